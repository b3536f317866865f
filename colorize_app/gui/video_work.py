"""The video window's files: its work folder in the cache, frame folders, quality presets.

Qt-free, so that it can be tested and reused without a window.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path

import numpy as np

from colorize_app import media
from colorize_app.gui.model_picker import ModelChoice
from deep_video_prior import RefineSettings
from deep_video_prior.settings import PRESETS as ENGINE_PRESETS

#: Quality presets, the engine's (measured in the README): Fast, Balanced (the default of
#: `colorize video`) and Best average colour along the motion at a growing working size;
#: Deep Video Prior trains a network per shot.
PRESETS: dict[str, RefineSettings] = dict(ENGINE_PRESETS)
#: Share of the progress bar that the per-frame colorization takes when no frame is done.
COLORIZE_SHARE = 0.4


def work_folder(source_path: str, choice: ModelChoice, temperature: float) -> Path:
    """The work folder of a video colorized with one model.

    It holds ``frames/`` (the per-frame colorization) and, per set of refine settings,
    ``checkpoints-<tag>/`` and ``refined-<tag>/``. It lies beside the command line's resume
    checkpoints (``colorize video``'s scheme: ``$COLORIZE_CACHE_DIR`` or the user's cache
    folder), named by the video's and the model's paths, sizes and times.
    """
    from colorize_app.video_frames import checkpoint_dir

    inputs = [source_path, choice.path] + ([choice.bins_path] if choice.bins_path else [])
    return checkpoint_dir("video-window", inputs, {"temperature": temperature})


#: Bytes of a video file's start hashed to recognise it (hashing gigabytes would take long).
FINGERPRINT_BYTES = 1 << 20


def video_fingerprint(path: str) -> dict:
    """What recognises a project's video again: ``{"bytes": size, "head_sha256": SHA-256 of
    the first MiB}`` for a file, ``{"frames": count}`` for a folder of frames.

    A video re-encoded or cut changes both; one moved or copied keeps them.
    """
    if os.path.isdir(path):
        return {"frames": len(media.list_images(path))}
    with open(path, "rb") as file:
        head = file.read(FINGERPRINT_BYTES)
    return {"bytes": os.path.getsize(path), "head_sha256": hashlib.sha256(head).hexdigest()}


def settings_tag(refine: RefineSettings) -> str:
    """A short name for the refined-frames folder of one set of settings."""
    fields = {k: v for k, v in dataclasses.asdict(refine).items() if k != "threads"}
    return hashlib.sha256(repr(sorted(fields.items())).encode()).hexdigest()[:12]


def duration_text(seconds: float) -> str:
    """``"1 min 5 s"`` or ``"42 s"``."""
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


class FrameFolder:
    """The PNG frames ``00000.png ...`` of a folder as a lazy sequence of RGB float32 frames."""

    def __init__(self, folder: Path, count: int) -> None:
        self.folder, self.count = Path(folder), count
        self.digits = max(5, len(str(count - 1)))  # as media.FrameWriter names them

    def path(self, index: int) -> Path:
        return self.folder / f"{index:0{self.digits}d}.png"

    def __len__(self) -> int:
        return self.count

    def has(self, index: int) -> bool:
        return self.path(index).is_file()

    def complete(self) -> bool:
        return all(self.has(index) for index in range(self.count))

    def __getitem__(self, index: int) -> np.ndarray:
        if not 0 <= index < self.count:
            raise IndexError(index)
        pixels = media.read_image(self.path(index)).pixels
        return pixels if pixels.ndim == 3 else np.repeat(pixels[..., None], 3, axis=2)
