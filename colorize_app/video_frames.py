"""Frame sequences and resume folders shared by `colorize video`, `colorize refine` and the
video window: lazy per-frame conversions (gray, resized, colorized on access), so that long
videos are never held in memory, and the cache folder where an interrupted run resumes.
"""

from __future__ import annotations

import collections.abc
import hashlib
import json
import os
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np

#: Environment variable that moves the folder of resume checkpoints.
CACHE_DIR_VARIABLE = "COLORIZE_CACHE_DIR"
#: A first frame whose channels differ by more than this is a colour frame.
_COLOUR_TOLERANCE = 3.0 / 255.0


class MappedFrames(collections.abc.Sequence):
    """``function(frames[i])`` computed on access (the last result is kept)."""

    def __init__(self, frames: Sequence[np.ndarray],
                 function: Callable[[np.ndarray], np.ndarray]) -> None:
        self._frames = frames
        self._function = function
        self._last: Optional[tuple[int, np.ndarray]] = None

    def __len__(self) -> int:
        return len(self._frames)

    def __getitem__(self, index):  # noqa: ANN001 - int or slice, as for any Sequence
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


def _fingerprint(path: str) -> list:
    """Absolute path, sizes and modification times of a file or a folder's files."""
    path = os.path.abspath(path)
    if os.path.isdir(path):
        entries = sorted(os.scandir(path), key=lambda entry: entry.name)
        return [path, [(e.name, e.stat().st_size, e.stat().st_mtime_ns)
                       for e in entries if e.is_file()]]
    status = os.stat(path)
    return [path, status.st_size, status.st_mtime_ns]


def checkpoint_dir(command: str, inputs: Sequence[str], extra: dict) -> Path:
    """Folder of the resume checkpoints of one job: same inputs and settings, same folder."""
    override = os.environ.get(CACHE_DIR_VARIABLE)
    if override:
        root = Path(override)
    else:
        from platformdirs import user_cache_dir

        root = Path(user_cache_dir("colorize", appauthor=False))
    key = json.dumps([command, [_fingerprint(path) for path in inputs], extra],
                     sort_keys=True, default=str)
    return root / "video-checkpoints" / hashlib.sha256(key.encode()).hexdigest()[:20]
