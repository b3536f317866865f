"""Video out: H.264 video files (with the source's audio) or folders of PNG frames.

Part of the media module (``video_out.FrameWriter``). Everything is written to a hidden
temporary sibling and moved into place only when the writer's block ends normally;
an exception (CancelledError, KeyboardInterrupt, ...) removes it, and an input is
never overwritten.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from typing import IO

import numpy as np

from algorithms.errors import BadInputError
from colorize_app.io import safe_files
from colorize_app.io.video_in import (
    PathLike,
    audio_codec_of,
    ffmpeg_exe,
    ffmpeg_input,
    is_video_path,
    last_ffmpeg_line,
)

#: Quality of the H.264 encoding (x264's constant rate factor: 18 is visually lossless).
H264_CRF = 18
_FRAME_NAME = re.compile(r"^\d+\.png$")
#: Audio codecs copied as they are into these containers (players expect them there);
#: others are re-encoded (AAC, or Opus for WebM). Containers not listed: copy when possible.
_PLAYABLE_AUDIO = {
    ".mp4": {"aac", "mp3", "ac3", "eac3", "alac", "opus", "flac"},
    ".webm": {"opus", "vorbis"},
}
_PLAYABLE_AUDIO[".m4v"] = _PLAYABLE_AUDIO[".mov"] = _PLAYABLE_AUDIO[".mp4"]


class FrameWriter:
    """Write frames, in order, to a video file or a folder of PNG frames.

    Use as a context manager::

        with video_out.FrameWriter("out.mp4", fps=source.fps, audio_from=source.path,
                               inputs=[source.path]) as writer:
            for frame in frames:
                writer.write(frame)

    Parameters
    ----------
    path : str or path-like
        A video extension (.mp4, .m4v, .mov, .mkv, .avi: H.264 yuv420p; .webm: VP9) gives
        a video file; any other path a folder of frames 00000.png, 00001.png, ...
    fps : float
        Frame rate of a video file.
    audio_from : path, optional
        A video whose audio track is copied into the output video (re-encoded only when
        the output container cannot hold it). Ignored for folders or a source without audio.
    inputs : iterable of paths
        Files and folders this output was made from; writing over any of them is refused.
    frame_count : int, optional
        Expected number of frames, to choose how many digits frame names need.

    ``notes`` lists what the user should be told (odd size padded, audio re-encoded).
    """

    def __init__(self, path: PathLike, *, fps: float = 25.0,
                 audio_from: PathLike | None = None, inputs: Iterable[PathLike] = (),
                 frame_count: int | None = None) -> None:
        from colorize_app.io import safe_files

        self.path = os.fspath(path)
        self.is_video = is_video_path(self.path)
        if not fps > 0:
            raise BadInputError(f"frame rate must be positive, got {fps}")
        self.fps = float(fps)
        self.audio_from = None if audio_from is None else os.fspath(audio_from)
        self.inputs = [os.fspath(source) for source in inputs]
        self.digits = max(5, len(str(max(0, (frame_count or 0) - 1))))
        self.notes: list[str] = []
        self.frames_written = 0
        self._size: tuple[int, int] | None = None
        self._stack = contextlib.ExitStack()
        self._encoder: subprocess.Popen[bytes] | None = None
        self._encoder_log: IO[bytes] | None = None  # ffmpeg's messages, while it runs
        safe_files.check_not_input(self.path, self.inputs)
        self._temporary = ""

    # -- context manager ------------------------------------------------------------------

    def __enter__(self) -> FrameWriter:
        from colorize_app.io import safe_files

        if self.is_video:
            self._temporary = self._stack.enter_context(
                safe_files.atomic_output(self.path, inputs=self.inputs))
        else:
            self._temporary = _temporary_folder(self.path)
            self._stack.callback(shutil.rmtree, self._temporary, ignore_errors=True)
        return self

    def __exit__(self, exc_type, exc, traceback) -> bool:
        if exc_type is None:
            try:
                self._finish()
            except BaseException as error:
                self._stop_encoder(kill=True)
                self._stack.__exit__(type(error), error, error.__traceback__)
                raise
            return bool(self._stack.__exit__(None, None, None))
        self._stop_encoder(kill=True)
        return bool(self._stack.__exit__(exc_type, exc, traceback))

    # -- writing --------------------------------------------------------------------------

    def write(self, frame: np.ndarray) -> None:
        """Append one frame: float RGB (H, W, 3) or gray (H, W) in [0, 1] (clipped)."""
        if not self._temporary:
            raise RuntimeError("FrameWriter.write outside its with block")
        levels = _to_levels(frame)
        height, width = levels.shape[:2]
        if self._size is None:
            self._size = (width, height)
            if self.is_video:
                self._start_encoder(width, height)
        elif self._size != (width, height):
            raise BadInputError(f"frame {self.frames_written + 1} is {width} x {height}, but the "
                                f"first frame was {self._size[0]} x {self._size[1]}")
        if self.is_video:
            self._encode(levels)
        else:
            import cv2

            name = f"{self.frames_written:0{self.digits}d}.png"
            ok, encoded = cv2.imencode(".png", np.ascontiguousarray(levels[..., ::-1]))
            if not ok:  # pragma: no cover - OpenCV always encodes 8-bit RGB as PNG
                raise BadInputError(f"could not encode frame {name}")
            try:
                with open(os.path.join(self._temporary, name), "wb") as file:
                    file.write(encoded.tobytes())
            except OSError as error:  # disk full, folder removed...: one sentence
                raise BadInputError(f"cannot write {os.path.join(self.path, name)}: "
                                    f"{safe_files.reason(error)}") from None
        self.frames_written += 1

    def _finish(self) -> None:
        if self.frames_written == 0:
            raise BadInputError(f"no frames to write to {self.path}")
        if not self.is_video:
            _move_folder_into_place(self._temporary, self.path)
            return
        self._stop_encoder(kill=False)
        if self.audio_from and not os.path.isdir(self.audio_from):
            codec = audio_codec_of(self.audio_from)
            if codec is not None:
                self._add_audio(self.audio_from, codec)

    # -- ffmpeg ---------------------------------------------------------------------------

    def _start_encoder(self, width: int, height: int) -> None:
        even = (width + width % 2, height + height % 2)
        if even != (width, height):
            self.notes.append(f"frames of {width} x {height} padded to {even[0]} x {even[1]} "
                              "by repeating the edge (the video codec needs even sizes)")
        extension = os.path.splitext(self.path)[1].lower()
        if extension == ".webm":
            codec = ["-c:v", "libvpx-vp9", "-crf", "30", "-b:v", "0", "-row-mt", "1"]
        else:
            codec = ["-c:v", "libx264", "-crf", str(H264_CRF), "-preset", "medium"]
        faststart = ["-movflags", "+faststart"] if extension in (".mp4", ".m4v", ".mov") else []
        command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
                   "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{even[0]}x{even[1]}",
                   "-r", _rate(self.fps), "-i", "-", "-an", *codec, "-pix_fmt", "yuv420p",
                   *faststart, self._temporary]
        self._encoder_log = tempfile.TemporaryFile()
        # A session of its own: Ctrl+C reaches only us, and we stop ffmpeg ourselves.
        self._encoder = subprocess.Popen(command, stdin=subprocess.PIPE,
                                         stdout=subprocess.DEVNULL, stderr=self._encoder_log,
                                         start_new_session=True)

    def _encode(self, levels: np.ndarray) -> None:
        pad = (levels.shape[0] % 2, levels.shape[1] % 2)
        if any(pad):
            levels = np.pad(levels, ((0, pad[0]), (0, pad[1]), (0, 0)), mode="edge")
        encoder = self._encoder
        if encoder is None or encoder.stdin is None:
            raise RuntimeError("FrameWriter._encode before the encoder started")
        try:
            encoder.stdin.write(np.ascontiguousarray(levels).tobytes())
        except (BrokenPipeError, OSError):
            encoder.wait()
            raise BadInputError(f"ffmpeg could not encode {self.path} "
                                f"({last_ffmpeg_line(self._encoder_log_text())})") from None

    def _encoder_log_text(self) -> str:
        if self._encoder_log is None:  # no encoder started: nothing said
            return ""
        self._encoder_log.seek(0)
        return self._encoder_log.read().decode("utf-8", "replace")

    def _stop_encoder(self, kill: bool) -> None:
        encoder, self._encoder = self._encoder, None
        if encoder is None:
            return
        try:
            if kill:
                encoder.kill()
            if encoder.stdin is not None:  # always, with stdin=PIPE
                with contextlib.suppress(OSError):
                    encoder.stdin.close()
            code = encoder.wait()
            if code != 0 and not kill:
                raise BadInputError(f"ffmpeg could not encode {self.path} "
                                    f"({last_ffmpeg_line(self._encoder_log_text())})")
        finally:
            if encoder.poll() is None:  # interrupted while waiting
                encoder.kill()
                encoder.wait()
            if self._encoder_log is not None:
                self._encoder_log.close()

    def _add_audio(self, source: str, source_codec: str) -> None:
        """Mux the audio of ``source`` (``audio_from``) into the finished temporary video."""
        extension = os.path.splitext(self.path)[1].lower()
        muxed = safe_files.partial_path(self.path, extension)  # cleaned like any temporary
        fallback = "libopus" if extension == ".webm" else "aac"
        playable = _PLAYABLE_AUDIO.get(extension)
        attempts = ["copy", fallback] if playable is None or source_codec in playable \
            else [fallback]
        try:
            for audio_codec in attempts:
                command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                           "-i", ffmpeg_input(self._temporary),
                           "-i", ffmpeg_input(source),
                           "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", "-c:a", audio_codec,
                           *(["-b:a", "192k"] if audio_codec != "copy" else []), muxed]
                result = subprocess.run(command, capture_output=True, text=True,
                                        errors="replace", start_new_session=True)
                if result.returncode == 0:
                    break
            else:
                raise BadInputError(f"could not add the audio of {source} to "
                                    f"{self.path} ({last_ffmpeg_line(result.stderr)})")
            if audio_codec != "copy":
                self.notes.append(f"audio re-encoded from {source_codec} to "
                                  f"{fallback.replace('lib', '')} for {extension} playback")
            os.replace(muxed, self._temporary)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.remove(muxed)


def _rate(fps: float) -> str:
    """A frame rate for ffmpeg as an exact fraction (29.97... -> 30000/1001)."""
    from fractions import Fraction

    return str(Fraction(fps).limit_denominator(1001))


def _to_levels(frame: np.ndarray) -> np.ndarray:
    """uint8 RGB (H, W, 3) from a float frame in [0, 1] (gray frames repeated)."""
    frame = np.asarray(frame)
    if frame.ndim == 2:
        frame = frame[..., None].repeat(3, axis=2)
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.shape[0] < 1 or frame.shape[1] < 1:
        raise BadInputError(f"a frame must be (H, W) or (H, W, 3), got {frame.shape}")
    if not np.isfinite(frame).all():
        raise BadInputError("cannot write a frame containing NaN or infinite values")
    return np.rint(np.clip(frame, 0.0, 1.0) * 255.0).astype(np.uint8)


def _temporary_folder(path: str) -> str:
    """A new hidden folder beside ``path`` after checking that ``path`` may be written."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.exists(path) and not os.path.isdir(path):
        raise BadInputError(f"{path} is a file; give a folder name (frames) or a video file "
                            "name (.mp4, .mov, .mkv, .avi, .webm)")
    if os.path.isdir(path) and not _holds_only_frames(path):
        raise BadInputError(f"{path} already exists and holds other files; "
                            "give a new folder name for the frames")
    if not os.path.isdir(folder):
        raise BadInputError(f"output folder does not exist: {folder}")
    safe_files.remove_stale_partials(path)  # left by a run that was killed
    temporary = safe_files.partial_path(path)
    try:
        os.mkdir(temporary)
    except OSError as error:
        raise BadInputError(f"cannot write to {folder}: {safe_files.reason(error)}") from None
    return temporary


def _holds_only_frames(folder: str) -> bool:
    """True for an empty folder or one holding only frames written by an earlier run."""
    return all(_FRAME_NAME.match(name) for name in os.listdir(folder))


def _move_folder_into_place(temporary: str, path: str) -> None:
    """Rename the finished frame folder onto ``path``, replacing an earlier run's frames."""
    old = None
    if os.path.isdir(path):
        if not _holds_only_frames(path):  # filled while we worked: leave it alone
            raise BadInputError(f"{path} already exists and holds other files; "
                                "give a new folder name for the frames")
        old = f"{temporary}.old"
        try:
            os.rename(path, old)
        except OSError as error:
            raise BadInputError(f"cannot write {path}: {safe_files.reason(error)}") from None
    try:
        os.rename(temporary, path)
    except OSError as error:
        if old is not None:
            os.rename(old, path)
        raise BadInputError(f"cannot write {path}: {safe_files.reason(error)}") from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
