"""Checks of model files before and after reading: file type, archive sizes, metadata.

Part of :mod:`algorithms.cnn.model_file` (its names are re-exported there). Everything a
damaged or crafted file can cause is refused with a one-line BadInputError before any
large allocation: a FIFO or /proc file, a zip directory declaring gigabytes, metadata of
the wrong type or outside finite ranges (a NaN input offset would give an all-white
picture without any error).
"""

from __future__ import annotations

import errno
import os
import zipfile
from pathlib import Path

import numpy as np

from algorithms.errors import BadInputError

#: Bounds of a project .npz read: members and their uncompressed bytes (from the zip
#: directory, before anything is inflated). The shipped models hold under 100 MB.
MAX_NPZ_MEMBERS = 4096
MAX_NPZ_BYTES = 2 * 1024**3
#: Known metadata keys whose values are checked: (type, lowest, highest) for numbers.
#: Other keys are kept as they are (later versions may add their own).
_NUMBER_METADATA = {
    "input_offset": (-1000.0, 1000.0),
    "input_scale": (1e-6, 1e6),
    "bn_epsilon": (1e-12, 1.0),
}
_TEXT_METADATA = ("padding", "name", "architecture", "source_format", "storage", "notes")


def validate_metadata(metadata: object, source: str) -> dict:
    """Check the types and finite ranges of the metadata keys this version knows.

    Numbers (input normalisation, batch-norm epsilon) must be finite and in range: a NaN
    offset or a zero scale would give an all-white picture without any error. Unknown keys
    are left alone.
    """
    if not isinstance(metadata, dict):
        raise BadInputError(f"{source}: metadata is not a JSON object")
    for key, (low, high) in _NUMBER_METADATA.items():
        if key not in metadata:
            continue
        value = metadata[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise BadInputError(f"{source}: metadata {key} must be a number, "
                                f"got {type(value).__name__}")
        # Compare as Python numbers: a 400-digit integer must not overflow a float cast.
        if isinstance(value, float) and not np.isfinite(value) or not low <= value <= high:
            raise BadInputError(f"{source}: metadata {key} must be a finite number in "
                                f"[{low:g}, {high:g}], got {str(value)[:40]}")
    for key in _TEXT_METADATA:
        if key in metadata and not isinstance(metadata[key], str):
            raise BadInputError(f"{source}: metadata {key} must be text, "
                                f"got {type(metadata[key]).__name__}")
    names = metadata.get("source_names", {})
    if not isinstance(names, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in names.items()):
        raise BadInputError(f"{source}: metadata source_names must map names to names")
    return metadata


def check_regular(path: Path, what: str) -> None:
    """Refuse a FIFO, device, /proc file, link loop, missing or empty file (one line)."""
    import stat

    try:
        status = os.stat(path)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise BadInputError(f"{path}: too many levels of symbolic links") from None
        raise BadInputError(f"no such {what.split(' ', 1)[1]}: {path}") from None
    if not stat.S_ISREG(status.st_mode):
        raise BadInputError(f"{path} is not a regular file (a FIFO, device or socket), "
                            f"not {what}")
    if status.st_size == 0:
        raise BadInputError(f"{path.name}: the {what.split(' ', 1)[1]} is empty")
    if str(path.resolve()).startswith(("/proc/", "/sys/")):
        raise BadInputError(f"{path} is a system file, not {what}")


def check_npz_sizes(path: Path, max_members: int = MAX_NPZ_MEMBERS,
                    max_bytes: int = MAX_NPZ_BYTES) -> None:
    """Refuse an archive whose directory declares too many members or bytes.

    zipfile never inflates a member past its declared size, so checking the directory
    first bounds the memory (a 4 GiB member of deflated zeros fits in 4 MB).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return  # np.load gives its own one-line error
    if len(infos) > max_members:
        raise BadInputError(f"{path.name}: too many members ({len(infos):,}) for a model file")
    total = sum(info.file_size for info in infos)
    if total > max_bytes:
        raise BadInputError(f"{path.name}: its members hold {total / 2**30:.1f} GiB "
                            f"uncompressed, over the {max_bytes / 2**30:.0f} GiB limit "
                            "for a model file")
    check_npy_shapes(path)


def check_npy_shapes(path: Path) -> None:
    """Refuse an archive member whose ``.npy`` header declares more bytes than it holds.

    numpy allocates the declared shape before reading the data: a header claiming
    100000 x 100000 floats in a 200-byte member asked for 40 GB (reported as "out of
    memory"). Headers numpy cannot parse are left to ``np.load``'s own error.
    """
    import math
    import tokenize

    from numpy.lib import format as npy

    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not info.filename.endswith(".npy"):
                    continue
                with archive.open(info) as member:
                    try:
                        version = npy.read_magic(member)
                        header = npy.read_array_header_1_0 if version == (1, 0) else \
                            npy.read_array_header_2_0
                        shape, _, dtype = header(member)
                    except (ValueError, SyntaxError, tokenize.TokenError, EOFError,
                            RecursionError):
                        continue
                    if dtype.hasobject:
                        continue  # refused by np.load (no pickles)
                    declared = math.prod(shape) * dtype.itemsize
                    if declared > info.file_size:
                        shown = str(shape) if len(str(shape)) <= 60 else str(shape)[:57] + "..."
                        name = info.filename[:60]
                        raise BadInputError(
                            f"{path.name}: {name} declares {shown} {dtype} values "
                            f"({declared:,} bytes) but holds {info.file_size:,} bytes "
                            "(truncated or tampered)")
    except BadInputError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError,
            RuntimeError):
        return  # np.load gives its own one-line error
