"""Frame sequences and resume folders of the video job (:mod:`colorize_app.jobs.video_job`):
lazy per-frame conversions (gray, resized, colorized on access), so that long videos are
never held in memory, and a folder of PNG frames read as a sequence (the folders of a run
are :mod:`colorize_app.sessions.video_run`'s).
"""

from __future__ import annotations

import collections.abc
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

#: A first frame whose channels differ by more than this is a colour frame.
_COLOUR_TOLERANCE = 3.0 / 255.0


class MappedFrames(collections.abc.Sequence):
    """``function(frames[i])`` computed on access (the last result is kept)."""

    def __init__(self, frames: Sequence[np.ndarray],
                 function: Callable[[np.ndarray], np.ndarray]) -> None:
        self._frames = frames
        self._function = function
        self._last: tuple[int, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self._frames)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        index = range(len(self))[index]
        if self._last is None or self._last[0] != index:
            self._last = (index, self._function(self._frames[index]))
        return self._last[1].copy()  # the caller may change the one it was given


def gray_of(frame: np.ndarray) -> np.ndarray:
    """The neutral RGB frame with the same CIELAB lightness as ``frame`` (H, W, 3) in [0, 1]."""
    from algorithms.colorspace import lab_lightness, lab_to_rgb_fast

    lab = np.zeros(frame.shape[:2] + (3,), np.float32)
    lab[..., 0] = lab_lightness(frame)
    return lab_to_rgb_fast(lab)


def as_gray(frames: Sequence[np.ndarray], name: str) -> tuple[Sequence[np.ndarray], list[str]]:
    """The frames themselves when gray, else their lightness as gray frames (and a note)."""
    from algorithms.colorspace import is_gray

    if is_gray(frames[0], tolerance=_COLOUR_TOLERANCE):
        return frames, []
    return MappedFrames(frames, gray_of), [
        f"{name} is in colour: it is recoloured (only its lightness is used)"]


def resized_to(frames: Sequence[np.ndarray], width: int, height: int) -> Sequence[np.ndarray]:
    """Frames resized to width x height (area averaging down, bicubic up), clipped to [0, 1]."""
    import cv2

    def resize(frame: np.ndarray) -> np.ndarray:
        shrinking = frame.shape[0] * frame.shape[1] >= width * height
        interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
        return np.clip(cv2.resize(frame, (width, height), interpolation=interpolation), 0, 1)

    return MappedFrames(frames, resize)


class FrameRange(collections.abc.Sequence):
    """Frames ``frames[span.start:span.stop]``, read on access (one shot of a longer video)."""

    def __init__(self, frames: Sequence[np.ndarray], span: range) -> None:
        self._frames, self._span = frames, span

    def __len__(self) -> int:
        return len(self._span)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        return self._frames[self._span[index]]


class Concatenated(collections.abc.Sequence):
    """Several frame sequences read as one, in order (a video's shots joined again)."""

    def __init__(self, parts: Sequence[Sequence[np.ndarray]]) -> None:
        self._parts = list(parts)
        self._starts = np.cumsum([0] + [len(part) for part in self._parts])

    def __len__(self) -> int:
        return int(self._starts[-1])

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        index = range(len(self))[index]
        part = int(np.searchsorted(self._starts, index, side="right")) - 1
        return self._parts[part][index - int(self._starts[part])]


class FrameFolder(collections.abc.Sequence):
    """The PNG frames ``00000.png ...`` of a folder as a lazy sequence of RGB float32 frames.

    Frames are named as :class:`video_out.FrameWriter` names them; one may be missing (``has``).
    """

    def __init__(self, folder: str | os.PathLike[str], count: int) -> None:
        self.folder, self.frame_count = Path(folder), count
        self.digits = max(5, len(str(count - 1)))  # as video_out.FrameWriter names them

    def path(self, index: int) -> Path:
        return self.folder / f"{index:0{self.digits}d}.png"

    def __len__(self) -> int:
        return self.frame_count

    def has(self, index: int) -> bool:
        return self.path(index).is_file()

    def missing(self) -> list[int]:
        """Indices of the frames not written yet, in order."""
        return [index for index in range(self.frame_count) if not self.has(index)]

    def complete(self) -> bool:
        return all(self.has(index) for index in range(self.frame_count))

    def __getitem__(self, index):
        """Frame ``index`` (H, W, 3) float32 in [0, 1] (a gray PNG is repeated to RGB)."""
        from colorize_app.io import media

        if not 0 <= index < self.frame_count:
            raise IndexError(index)
        pixels = media.read_image(self.path(index)).pixels
        return pixels if pixels.ndim == 3 else np.repeat(pixels[..., None], 3, axis=2)
