"""Where a batch job writes: every path proven safe before work starts, folders made without
following links, and only what the job made removed.

Part of the media module. A batch job writes its results, its manifest and (for videos) the
shots of unfinished videos under OUT_DIR. Before any work, :func:`check_outputs` proves each
planned path safe: inside OUT_DIR, through no symbolic link (a link planted at
``OUT_DIR/sub`` or ``OUT_DIR/.colorize-parts`` would lead the writes, and the clean-up,
elsewhere), and onto no input (the real path and the file identity of every planned output
are compared with those of every input, whichever INPUT found it: with ``scans/a.png`` and
``scans/scans/a.png`` written into the folder above, the second's result would land on the
first). The workers make the folders with :func:`make_output_folders`, which refuses a link
appearing meanwhile; :func:`remove_frame_folder` removes a shot's frames and nothing else.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable

from algorithms.errors import BadInputError

#: The frames a frame-folder writer names (``00000.png``): all a shot folder may lose.
_FRAME_NAME = re.compile(r"^\d{5,}\.png$")


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise BadInputError(f"cannot write {path}: {error.strerror or error}") from None


def _identity(path: str) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return None
    return status.st_dev, status.st_ino


def check_outputs(out_dir: str, outputs: Iterable[str], inputs: Iterable[str]) -> None:
    """Refuse (one line, before any work) a planned output that is not safe to write.

    ``outputs`` are paths relative to ``out_dir`` ('/' separated) of files or folders the
    job will write; ``inputs`` every file it reads (photos, videos, the model). Each output
    must lie inside ``out_dir`` with no ``..``, pass through no symbolic link (nor be one),
    have no file where it needs a folder, and be no input (same real path, or the same
    file through a hard link).
    """
    base = os.path.abspath(out_dir)
    base_real = os.path.realpath(base)
    by_path, by_identity = {}, {}
    for source in inputs:
        by_path[os.path.realpath(source)] = source
        identity = _identity(source)
        if identity is not None:
            by_identity[identity] = source
    checked: set[str] = set()  # folders already proven safe
    for relative in outputs:
        parts = relative.split("/")
        if os.path.isabs(relative) or any(part in ("", ".", "..") for part in parts):
            raise BadInputError(f"refusing to write {relative!r}: not a path inside OUT_DIR")
        path = base
        for index, part in enumerate(parts):
            path = os.path.join(path, part)
            if path in checked:
                continue
            status = _lstat(path)
            if status is None:
                break  # made by the job, without following links
            if stat.S_ISLNK(status.st_mode):
                raise BadInputError(f"{path} is a symbolic link: refusing to write through "
                                    "it (outputs stay inside OUT_DIR)")
            if index < len(parts) - 1:
                if not stat.S_ISDIR(status.st_mode):
                    raise BadInputError(f"{path} is a file where the job needs a folder")
                checked.add(path)
        target = os.path.join(base, *parts)
        real = os.path.realpath(target)
        if not (real == base_real or real.startswith(base_real.rstrip(os.sep) + os.sep)):
            raise BadInputError(f"{target} lies outside OUT_DIR: refusing to write it")
        clashing = by_path.get(real) or by_identity.get(_identity(target) or (-1, -1))
        if clashing is not None:
            raise BadInputError(f"refusing to overwrite the input {clashing} (it is also the "
                                f"output {relative})")


def make_output_folders(out_dir: str, target: str) -> None:
    """Make the folders between ``out_dir`` and the file or folder ``target`` below it, one
    at a time, refusing a symbolic link or a file in the way (one line)."""
    base = os.path.abspath(out_dir)
    relative = os.path.relpath(os.path.dirname(os.path.abspath(target)), base)
    if relative == ".":
        return
    if relative.startswith(".."):
        raise BadInputError(f"{target} lies outside OUT_DIR {out_dir}")
    path = base
    for part in relative.split(os.sep):
        path = os.path.join(path, part)
        try:
            os.mkdir(path)
        except FileExistsError:
            pass
        except OSError as error:
            raise BadInputError(f"cannot make the folder {path}: "
                                f"{error.strerror or error}") from None
        status = os.lstat(path)
        if stat.S_ISLNK(status.st_mode) or not stat.S_ISDIR(status.st_mode):
            raise BadInputError(f"{path} is not a folder of its own (a link or a file): "
                                "refusing to write through it")


def remove_frame_folder(folder: str) -> None:
    """Remove the frames (``00000.png`` ...) a shot folder holds, then the folder when it
    is empty: never through a link, never another file."""
    status = _lstat(folder)
    if status is None or not stat.S_ISDIR(status.st_mode):
        return  # a link or a file where the shot was: not ours to remove
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        path = os.path.join(folder, name)
        try:
            if _FRAME_NAME.match(name) and stat.S_ISREG(os.lstat(path).st_mode):
                os.remove(path)
        except OSError:
            pass
    remove_empty_folder(folder)


def remove_empty_folder(folder: str) -> None:
    """Remove ``folder`` when it is a real, empty folder (never a link)."""
    status = _lstat(folder)
    if status is not None and stat.S_ISDIR(status.st_mode):
        try:
            os.rmdir(folder)
        except OSError:  # not empty: left as it is
            pass
