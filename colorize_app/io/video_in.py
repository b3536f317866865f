"""Video in: probing and streaming frames from video files and folders of frames.

Part of the media module (``from colorize_app import media; video_in.open_frames(...)``).
Videos are decoded by the ffmpeg binary that imageio-ffmpeg ships, one frame at a
time, so a long video is never held in memory. Frames are float32 RGB (H, W, 3) in
[0, 1]; gray sources give R = G = B.
"""

from __future__ import annotations

import collections.abc
import logging
import os
import re
import subprocess
from collections.abc import Generator
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from algorithms.errors import BadInputError
from colorize_app.io.safe_files import PathLike

#: File extensions read (and written) as videos; anything else is a folder of frames.
VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm")
#: A folder of frames has no frame rate of its own; videos made from one are timed at this.
FOLDER_FPS = 25.0
#: Forward jumps longer than this many frames seek instead of decoding every frame between.
_SEEK_AFTER = 48


def is_video_path(path: PathLike) -> bool:
    """True when ``path`` has a video file extension (.mp4, .mov, .avi, .mkv, .webm, .m4v)."""
    return os.path.splitext(os.fspath(path))[1].lower() in VIDEO_EXTENSIONS


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary shipped with imageio-ffmpeg."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def last_ffmpeg_line(text: str) -> str:
    """The last meaningful line of ffmpeg's log, for one-line error messages."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no details"


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`probe_video` found in a video file.

    ``timestamps`` are the frames' presentation times in seconds from the file's start
    (as ffmpeg's ``-ss`` counts), in display order, one per frame; ``fps`` is the stream's
    rate (exact rates such as 30000/1001 are recovered from the rounded header) or, for a
    variable frame rate, the average rate.
    """

    path: str
    frame_count: int
    width: int
    height: int
    fps: float
    variable_frame_rate: bool
    has_audio: bool
    audio_codec: str | None
    timestamps: tuple[float, ...]


def _input_section(log: str) -> str:
    """The part of ffmpeg's log that describes the input file (not the output)."""
    for marker in ("Stream mapping:", "Output #0"):
        if marker in log:
            log = log.split(marker, 1)[0]
    return log


def audio_codec_of(path: PathLike) -> str | None:
    """Codec name of the file's first audio stream (e.g. ``"aac"``), None without audio.

    Reads the header only.
    """
    result = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i",
                             ffmpeg_input(path)], capture_output=True, text=True,
                            errors="replace")
    log = _without_name(result.stderr, path)
    audio = re.search(r"Stream #0:\d+.*?: Audio: (\w+)", _input_section(log))
    return audio.group(1) if audio else None


def probe_video(path: PathLike) -> VideoInfo:
    """Frame count, size, frame rate and audio of a video file, without decoding it.

    Lists the video stream's packets (a stream copy, fast) for the exact frame count
    and timestamps. Raises BadInputError (one line) for a missing, empty, unreadable
    or corrupt file, a file with no video stream, or one with no frames.
    """
    from colorize_app.io import safe_files

    path = os.fspath(path)
    safe_files.check_input_file(path, "a video file")
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", ffmpeg_input(path),
               "-map", "0:v:0", "-c", "copy", "-f", "framecrc", "-"]
    result = subprocess.run(command, capture_output=True, text=True, errors="replace")
    # ffmpeg's log quotes the file name: a name holding "Stream #0:0: Video: ..." must not be
    # read as the stream's description.
    log = _without_name(result.stderr, path)
    header = _input_section(log)
    video = re.search(r"Stream #0:\d+.*?: Video: (\w+).*?, (\d+)x(\d+)[ ,\n]", header)
    if result.returncode != 0 or video is None:
        if "Permission denied" in log:
            raise BadInputError(f"cannot read {path}: permission denied")
        if "Input #0" in log and video is None:
            raise BadInputError(f"{path} has no video stream")
        raise BadInputError(f"{path} is not a video that can be read "
                            f"({last_ffmpeg_line(log)})")
    width, height = int(video.group(2)), int(video.group(3))
    check_frame_size(path, width, height)
    rotation = re.search(r"rotation of (-?[\d.]+) degrees", header)
    if rotation and round(abs(float(rotation.group(1)))) % 180 == 90:
        width, height = height, width  # ffmpeg turns such frames upright when decoding
    audio = re.search(r"Stream #0:\d+.*?: Audio: (\w+)", header)
    timestamps = _packet_times(result.stdout)
    if not timestamps:
        raise BadInputError(f"{path} has no video frames")
    declared = re.search(r", ([\d.]+) (?:fps|tbr)", video.group(0) + header[video.end():])
    fps, variable = _frame_rate(timestamps, float(declared.group(1)) if declared else 0.0)
    return VideoInfo(path=path, frame_count=len(timestamps), width=width, height=height,
                     fps=fps, variable_frame_rate=variable, has_audio=audio is not None,
                     audio_codec=audio.group(1) if audio else None,
                     timestamps=tuple(timestamps))


def ffmpeg_input(path: PathLike) -> str:
    """``path`` for ffmpeg's ``-i``: the file protocol, so that a name such as
    ``concat:a|b`` or ``http:...`` is read as a file name, never as another protocol."""
    return "file:" + os.path.abspath(os.fspath(path))


def _without_name(log: str, path: PathLike) -> str:
    """ffmpeg's log with the input's name taken out (it may contain anything)."""
    for name in (ffmpeg_input(path), os.path.abspath(os.fspath(path)), os.fspath(path)):
        if name:
            log = log.replace(name, "INPUT")
    return log


def check_frame_size(path: PathLike, width: int, height: int) -> None:
    """Refuse frames over ``media.MAX_PIXELS`` before anything is decoded (one-line error)."""
    from colorize_app.io import media

    if width * height > media.MAX_PIXELS:
        raise BadInputError(f"{os.fspath(path)} is too large ({width} x {height} pixels per "
                            f"frame, over {media.MAX_PIXELS:,})")


def _packet_times(framecrc: str) -> list[float]:
    """Sorted presentation times (s) of the packets listed by ffmpeg's framecrc muxer."""
    time_base = Fraction(1, 1)
    ticks: list[int] = []
    for line in framecrc.splitlines():
        if line.startswith("#tb 0:"):
            time_base = Fraction(line.split(":", 1)[1].strip())
        elif line and not line.startswith("#"):
            fields = line.split(",")
            try:
                ticks.append(int(fields[2]))
            except (IndexError, ValueError):  # a packet without a timestamp: keep its place
                ticks.append(ticks[-1] + 1 if ticks else 0)
    ticks.sort()
    return [float(tick * time_base) for tick in ticks]


def _frame_rate(timestamps: list[float], declared: float) -> tuple[float, bool]:
    """(frames per second, variable?) from the frame times and the header's rounded rate."""
    if len(timestamps) < 3 or timestamps[-1] <= timestamps[0]:
        return (declared if declared > 0 else FOLDER_FPS), False
    intervals = np.diff(timestamps)
    average = (len(timestamps) - 1) / (timestamps[-1] - timestamps[0])
    typical = float(np.median(intervals))
    # Timestamps are rounded to the stream's time base (1 ms in mkv): allow that jitter.
    variable = bool(np.abs(intervals - typical).max() > 0.05 * typical + 1e-3)
    if variable:
        return float(average), True
    # The header shows the rate rounded (29.97): recover NTSC's 30000/1001 and the like.
    candidates = [rate for rate in (declared, round(declared), round(declared) * 1000 / 1001)
                  if rate > 0]
    best = min(candidates, key=lambda rate: abs(rate - average), default=average)
    return (float(best) if abs(best - average) <= 5e-3 * average else float(average)), False


# --------------------------------------------------------------------------------------------
# Frame sources


def _natural_key(path: str) -> list:
    """Sort key putting frame2.png before frame10.png."""
    parts = re.split(r"(\d+)", os.path.basename(path).lower())
    return [int(part) if part.isdigit() else part for part in parts]


def _folder_frame_size(path: str) -> tuple[int, int]:
    """(width, height) of an image file as read_image will return it, from its header."""
    from PIL import Image

    from colorize_app.io import media

    try:
        with Image.open(path) as image:
            width, height = image.size
            if image.getexif().get(0x0112, 1) in (5, 6, 7, 8):  # EXIF orientation turns it
                width, height = height, width
    except (OSError, SyntaxError, ValueError):
        return media.image_size(path)  # a TIFF Pillow cannot open, or this file's error
    return width, height


class FrameSource(collections.abc.Sequence):
    """The frames of a video file or a folder of images, decoded on access.

    ``source[i]`` is frame i as float32 RGB (H, W, 3) in [0, 1]. Reading in order
    streams through the video once; going back or far ahead restarts the decoder
    at that frame. Use :meth:`reopened` for a second, independent reader of the
    same frames, and :meth:`close` (or ``with``) to stop the decoder.

    Attributes
    ----------
    path, width, height, fps, has_audio, is_folder
        As named; a folder's ``fps`` is :data:`FOLDER_FPS`.
    notes : tuple of str
        What the caller should tell the user, e.g. a variable frame rate.
    """

    def __init__(self, path: str, *, width: int, height: int, fps: float, has_audio: bool,
                 notes: tuple[str, ...], files: list[str] | None = None,
                 info: VideoInfo | None = None) -> None:
        self.path = path
        self.width = width
        self.height = height
        self.fps = fps
        self.has_audio = has_audio
        self.notes = notes
        self.is_folder = files is not None
        self._files = files
        self._info = info
        # imageio-ffmpeg's frame reader: its first item (the metadata) is read at its start.
        self._frames: Generator[bytes, None, None] | None = None
        self._position = 0  # index of the frame the decoder yields next
        self._last: tuple[int, np.ndarray] | None = None

    def __len__(self) -> int:
        if self._files is not None:
            return len(self._files)
        assert self._info is not None  # a video's reader is made with its probe
        return self._info.frame_count

    def __getitem__(self, index):
        if isinstance(index, slice):
            return _FrameRange(self, range(len(self))[index])
        count = len(self)
        if not -count <= index < count:
            raise IndexError(f"frame {index} of a {count}-frame video")
        index = index % count
        if self._last is not None and self._last[0] == index:
            return self._last[1].copy()  # the caller may change the one it was given
        frame = self._read_file(self._files[index]) if self._files is not None \
            else self._decode(index)
        self._last = (index, frame)
        return frame

    def reopened(self) -> FrameSource:
        """A second reader of the same frames with its own decoder (no new probe)."""
        return FrameSource(self.path, width=self.width, height=self.height, fps=self.fps,
                           has_audio=self.has_audio, notes=self.notes, files=self._files,
                           info=self._info)

    def close(self) -> None:
        """Stop the decoder (it restarts if a frame is read again)."""
        if self._frames is not None:
            self._frames.close()
            self._frames = None

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def _read_file(self, path: str) -> np.ndarray:
        from colorize_app.io import media

        pixels = media.read_image(path).pixels
        if pixels.shape[:2] != (self.height, self.width):
            raise BadInputError(f"{path} is {pixels.shape[1]} x {pixels.shape[0]}, but the "
                                f"other frames are {self.width} x {self.height}")
        if pixels.ndim == 2:
            pixels = np.repeat(pixels[..., None], 3, axis=2)
        return pixels

    def _decode(self, index: int) -> np.ndarray:
        if self._frames is None or index < self._position or index > self._position + _SEEK_AFTER:
            self._start_decoder(index)
        frame_bytes = self._next_bytes(index)
        while self._position <= index:
            frame_bytes = self._next_bytes(index)
        levels = np.frombuffer(frame_bytes, np.uint8).reshape(self.height, self.width, 3)
        return levels.astype(np.float32) * np.float32(1.0 / 255.0)

    def _next_bytes(self, index: int) -> bytes:
        assert self._frames is not None  # _decode started the decoder
        try:
            frame_bytes = next(self._frames)
        except StopIteration:
            self.close()
            raise BadInputError(f"{self.path}: frame {index + 1} of {len(self)} could not be "
                                "decoded (truncated or corrupt file)") from None
        except (RuntimeError, OSError) as error:
            self.close()
            raise BadInputError(f"{self.path}: decoding failed at frame {index + 1} "
                                f"({last_ffmpeg_line(str(error))})") from None
        self._position += 1
        return frame_bytes

    def _start_decoder(self, index: int) -> None:
        """(Re)start decoding so that the next frame it yields is frame ``index``."""
        import imageio_ffmpeg

        # Its warnings (e.g. that a rotated video's frames are turned upright) are about
        # what our own probe already accounts for; real failures still raise.
        logging.getLogger("imageio_ffmpeg").setLevel(logging.ERROR)
        self.close()
        input_params: list[str] = []
        if index > 0:
            # Seek to just before frame ``index``: ffmpeg decodes from the key frame before
            # and drops the frames before that time (rounded to the stream's time base, so
            # by less than half a tick). Both times count from the file's start.
            assert self._info is not None  # a video's reader is made with its probe
            input_params = ["-ss", f"{max(0.0, self._info.timestamps[index] - 1e-4):.6f}"]
        self._frames = imageio_ffmpeg.read_frames(
            ffmpeg_input(self.path), input_params=input_params,
            # Every frame at the probed size: a stream whose frame size changes part-way
            # would otherwise be cut into misaligned byte runs (garbage frames, then a
            # "truncated" error); its later frames are scaled to the first frames' size.
            output_params=["-map", "0:v:0", "-fps_mode", "passthrough", "-an", "-sn",
                           "-vf", f"scale={self.width}:{self.height}"])
        try:
            next(self._frames)  # the metadata; sizes come from our own probe
        except (RuntimeError, OSError) as error:
            self._frames = None
            raise BadInputError(f"cannot decode {self.path} "
                                f"({last_ffmpeg_line(str(error))})") from None
        self._position = index


class _FrameRange(collections.abc.Sequence):
    """A lazy slice of a FrameSource: indexes map onto the source's frames."""

    def __init__(self, source: FrameSource, indices: range) -> None:
        self._source = source
        self._indices = indices

    def __len__(self) -> int:
        return len(self._indices)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return _FrameRange(self._source, self._indices[index])
        return self._source[self._indices[index]]


def open_frames(path: PathLike) -> FrameSource:
    """Open a video file (mp4, mov, avi, mkv, webm) or a folder of frame images.

    A folder's images are taken in natural order (frame2 before frame10) and must all
    have the same size. Raises BadInputError (one line) for a missing or unreadable
    file, a video without frames, an empty folder or frames of different sizes.
    """
    from colorize_app.io import media

    path = os.fspath(path)
    if os.path.isdir(path):
        files = sorted(media.list_images(path), key=_natural_key)
        if not files:
            raise BadInputError(f"no frames (image files) in folder {path}")
        width, height = _folder_frame_size(files[0])
        check_frame_size(path, width, height)
        for file in files[1:]:
            size = _folder_frame_size(file)
            if size != (width, height):
                raise BadInputError(f"{file} is {size[0]} x {size[1]}, but the frames "
                                    f"before it are {width} x {height}")
        return FrameSource(path, width=width, height=height, fps=FOLDER_FPS, has_audio=False,
                           notes=(), files=files)
    if not is_video_path(path) and os.path.splitext(path)[1].lower() in media.IMAGE_EXTENSIONS:
        raise BadInputError(f"{path} is an image; give a video file or a folder of frames")
    info = probe_video(path)
    notes: tuple[str, ...] = ()
    if info.variable_frame_rate:
        notes = (f"{path} has a variable frame rate: the output is timed at its average rate, "
                 f"{info.fps:.3f} fps",)
    return FrameSource(path, width=info.width, height=info.height, fps=info.fps,
                       has_audio=info.has_audio, notes=notes, info=info)

