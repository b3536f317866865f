"""Finished shots of a video refinement kept on disk, so that an interrupted run resumes.

:class:`ShotCheckpoints` is the file storage that ``deep_video_prior.pipeline.refine_video`` is
given (the engine itself does no file I/O): one ``<name>.npz`` per finished shot in a
folder, written atomically by :func:`colorize_app.io.safe_files.atomic_output`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from algorithms.errors import BadInputError
from colorize_app.io import safe_files


class ShotCheckpoints:
    """The shots of one job in ``folder`` (made on the first save).

    Each file holds ``key`` (the engine's digest of the shot's inputs and settings),
    ``chroma`` (frames, h, w, channels) float32 and ``gain``; a file of another key, or one
    that cannot be read, counts as absent and is trained again.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def _path(self, name: str) -> Path:
        return self.folder / f"{name}.npz"

    def load(self, name: str, key: str) -> tuple[np.ndarray, float] | None:
        """The saved (chroma, gain) of shot ``name``, or None if absent or stale."""
        path = self._path(name)
        try:
            safe_files.check_input_file(path, "a shot checkpoint")
            with np.load(path) as saved:
                if str(saved["key"]) != key:
                    return None
                return saved["chroma"], float(saved["gain"])
        except (BadInputError, OSError, KeyError, ValueError):
            return None

    def save(self, name: str, key: str, chroma: np.ndarray, gain: float) -> None:
        """Keep a finished shot (the file appears complete or not at all)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with safe_files.atomic_output(self._path(name)) as temporary:
            with safe_files.open_temporary(temporary) as file:
                np.savez(file, key=np.array(key), chroma=chroma, gain=np.array(gain))


def shot_checkpoints(folder: str | os.PathLike[str] | None) -> ShotCheckpoints | None:
    """:class:`ShotCheckpoints` in ``folder``, or None (no checkpoints) for None."""
    return None if folder is None else ShotCheckpoints(folder)
