"""Small text files the user gives or keeps: name lists (the photos `colorize train
--exclude` leaves out) and region files (swatch pairs for colour transfer, whose format
lives in :mod:`algorithms.regions`).

Like the image files of :mod:`colorize_app.io.media`, each is size-checked before it is
read, every problem is a one-line :class:`~algorithms.errors.BadInputError` naming the
file, and writing is atomic.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from algorithms.errors import BadInputError
from colorize_app.io.safe_files import (
    PathLike,
    atomic_write_bytes,
    check_input_file,
    read_input_bytes,
)

#: Largest region file read, in bytes (a thousand pairs take about 100 kB).
MAX_REGION_FILE_BYTES = 4 * 1024**2

#: A name list larger than this is not a list of photo names.
MAX_NAME_LIST_BYTES = 16 * 1024 * 1024


def read_name_list(path: PathLike, what: str = "name list") -> list[str]:
    """The non-blank lines of a UTF-8 text file, stripped; lines starting with # are skipped."""
    path = os.fspath(path)
    check_input_file(path, f"a {what}")
    if not os.path.isfile(path):
        raise BadInputError(f"{path} is not a regular file")
    if os.path.getsize(path) > MAX_NAME_LIST_BYTES:
        raise BadInputError(f"{path} is too large for a {what}")
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read(MAX_NAME_LIST_BYTES + 1)
    except UnicodeDecodeError:
        raise BadInputError(f"bad {what} {path}: not UTF-8 text") from None
    except OSError as error:
        raise BadInputError(f"cannot read {path}: {error.strerror or error}") from None
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]



def read_regions(path: PathLike) -> list:
    """Swatch pairs (list of ``algorithms.regions.SwatchPair``) from a region JSON file.

    Raises BadInputError (one line, naming the file) for a missing or unreadable
    file, text that is not JSON, or content that is not a valid list of pairs.
    """
    from algorithms.regions import parse_regions

    path = os.fspath(path)
    raw = read_input_bytes(path, "a region file", MAX_REGION_FILE_BYTES,
                           missing="no such region file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInputError(f"bad region file {path}: not UTF-8 text") from None
    try:
        return parse_regions(text)
    except BadInputError as error:
        raise BadInputError(f"bad region file {path}: {error}") from None


def write_regions(path: PathLike, pairs: Iterable, *, inputs: Iterable[PathLike] = ()) -> None:
    """Write swatch pairs to a region JSON file atomically (see ``algorithms.regions``)."""
    from algorithms.regions import regions_to_json

    atomic_write_bytes(path, regions_to_json(list(pairs)).encode("utf-8"), inputs=inputs)
