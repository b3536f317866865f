"""What identifies a file and a set of settings: the keys that resume a run.

- :func:`fingerprint`: a file's size and modification time (a folder's: each file's), read
  from the file system only, so cheap on archives of any size. A changed file (new size or
  time) is another input: the batch manifest and every video run's resume folder are keyed
  by it.
- :func:`settings_digest`: a short SHA-256 of settings (dataclasses, dicts, lists, numbers,
  strings, paths, arrays) in a canonical JSON form, the same for equal settings in any
  order. Resume folders, the refined frames of one set of settings, a video's keyframes
  and a batch job's settings key are all named by it.
- :func:`video_check`: what a video *project* records to recognise its video after it was
  moved or copied (a copy has a new modification time, so the fingerprint would not do):
  the size and the SHA-256 of the first MiB of a file, the frame count of a folder.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from typing import Any

import numpy as np

#: Bytes of a video file's start hashed to recognise it (hashing gigabytes would take long).
VIDEO_CHECK_BYTES = 1 << 20


def fingerprint(path: str | os.PathLike[str]) -> list:
    """``[size in bytes, modification time in ns]`` of a file; of a folder, one
    ``[name, size, time]`` per file in it (sorted by name); ``[]`` when it cannot be read."""
    try:
        if os.path.isdir(path):
            entries = sorted(os.scandir(path), key=lambda entry: entry.name)
            return [[entry.name, entry.stat().st_size, entry.stat().st_mtime_ns]
                    for entry in entries if entry.is_file()]
        status = os.stat(path)
    except OSError:
        return []
    return [status.st_size, status.st_mtime_ns]


def _plain(value: Any) -> Any:
    """``value`` in a form JSON writes (what json.dumps cannot write by itself)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"type": type(value).__name__, **dataclasses.asdict(value)}
    if isinstance(value, np.ndarray):
        contiguous = np.ascontiguousarray(value)
        return {"dtype": str(contiguous.dtype), "shape": list(contiguous.shape),
                "sha256": hashlib.sha256(contiguous.tobytes()).hexdigest()}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, range):
        return [value.start, value.stop, value.step]
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    return repr(value)


def settings_digest(settings: Any, length: int = 16) -> str:
    """The first ``length`` hex digits of the SHA-256 of ``settings`` as canonical JSON
    (keys sorted, ``", "`` and ``": "`` separators; a dataclass as its fields and its
    type's name, an array as its dtype, shape and the SHA-256 of its bytes)."""
    text = json.dumps(settings, sort_keys=True, default=_plain)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def video_check(path: str) -> dict:
    """What recognises a project's video again: ``{"bytes": size, "head_sha256": SHA-256 of
    the first MiB}`` for a file, ``{"frames": count}`` for a folder of frames.

    A video re-encoded or cut changes both; one moved or copied keeps them. OSError when it
    cannot be read.
    """
    if os.path.isdir(path):
        from colorize_app.io import media

        return {"frames": len(media.list_images(path))}
    with open(path, "rb") as file:
        head = file.read(VIDEO_CHECK_BYTES)
    return {"bytes": os.path.getsize(path), "head_sha256": hashlib.sha256(head).hexdigest()}
