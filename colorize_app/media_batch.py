"""Files of a batch job: finding the inputs, and the manifest that makes a job resumable.

Part of the media module (the one place that touches the user's files). Inputs are files,
folders (walked recursively) and glob patterns; each found file gets a relative path that
its output keeps under the output folder. The manifest is one JSON-lines file in the output
folder: a line per run (its settings) and a line per finished input (fingerprint, settings
key, result). Lines are appended and synced one at a time, so a job killed at any moment
leaves every finished input on record; a torn last line is ignored when read back.
"""

from __future__ import annotations

import glob
import json
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO

from algorithms.errors import BadInputError

#: The manifest's file name in the output folder.
MANIFEST_NAME = "colorize-batch.jsonl"
#: Characters that make an INPUT a glob pattern rather than a path.
_GLOB_CHARACTERS = "*?["


@dataclass(frozen=True)
class FoundInput:
    """An input file and where its output goes, relative to the output folder."""

    path: str  # the file, as found (absolute)
    relative: str  # its path relative to the INPUT it was found through ('/' separated)


def _is_pattern(text: str) -> bool:
    return any(character in text for character in _GLOB_CHARACTERS) and not os.path.exists(text)


def _walk(folder: str, extensions: Sequence[str], skip: Sequence[str]) -> list[str]:
    """Files under ``folder`` with one of ``extensions``, recursively, in sorted order.

    Hidden files and folders (a leading dot: unfinished atomic writes, .git) and the
    folders in ``skip`` (the output folder when it lies inside an input) are left out.
    """
    found = []
    for root, folders, files in os.walk(folder, followlinks=False):
        folders[:] = sorted(name for name in folders if not name.startswith(".")
                            and os.path.realpath(os.path.join(root, name)) not in skip)
        found.extend(os.path.join(root, name) for name in sorted(files)
                     if not name.startswith(".")
                     and os.path.splitext(name)[1].lower() in extensions
                     and os.path.isfile(os.path.join(root, name)))
    return found


def _pattern_root(pattern: str) -> str:
    """The folder a glob pattern's matches are made relative to: its part before a wildcard."""
    parts = pattern.split(os.sep)
    fixed = []
    for part in parts:
        if any(character in part for character in _GLOB_CHARACTERS):
            break
        fixed.append(part)
    return os.sep.join(fixed) or "."


def find_inputs(inputs: Iterable[str], extensions: Sequence[str],
                output_folder: str | None = None) -> list[FoundInput]:
    """Every input file named by ``inputs`` (files, folders, glob patterns), once each.

    A file keeps its own name; a folder's files keep their path below the folder; a
    pattern's matches keep their path below the pattern's fixed leading folders (``**``
    matches any depth). Folders are walked recursively for files with one of
    ``extensions`` (lower case, with the dot). BadInputError (one line) when an INPUT
    names nothing.
    """
    skip = [os.path.realpath(output_folder)] if output_folder else []
    found: list[FoundInput] = []
    seen: set[str] = set()

    def add(path: str, relative: str) -> None:
        real = os.path.realpath(path)
        if real not in seen:  # the same file through two INPUTs is done once
            seen.add(real)
            found.append(FoundInput(os.path.abspath(path), relative.replace(os.sep, "/")))

    for name in inputs:
        if _is_pattern(name):
            root = _pattern_root(name)
            matches = sorted(glob.glob(name, recursive=True))
            if not matches:
                raise BadInputError(f"nothing matches {name}")
            for match in matches:
                if os.path.isdir(match):
                    for path in _walk(match, extensions, skip):
                        add(path, os.path.relpath(path, root))
                elif os.path.splitext(match)[1].lower() in extensions:
                    add(match, os.path.relpath(match, root))
        elif os.path.isdir(name):
            if os.path.realpath(name) in skip:
                raise BadInputError(f"OUT_DIR is the input folder {name}: give another "
                                    f"folder for the results")
            files = _walk(name, extensions, skip)
            if not files:
                raise BadInputError(f"no {'/'.join(e[1:] for e in extensions[:4])}... "
                                    f"files in folder {name}")
            for path in files:
                add(path, os.path.relpath(path, name))
        elif os.path.lexists(name):
            add(name, os.path.basename(name))  # the reader gives a bad file's one-line error
        else:
            raise BadInputError(f"no such file or folder: {name}")
    return found


def fingerprint(path: str) -> list:
    """[size in bytes, modification time in ns] of a file; [] when it cannot be read.

    Cheap on archives of any size; a changed scan (new size or time) is done again.
    """
    try:
        status = os.stat(path)
    except OSError:
        return []
    return [status.st_size, status.st_mtime_ns]


# --------------------------------------------------------------------------------------------
# The manifest


class Manifest:
    """The job's JSON-lines record in the output folder, held open (and locked) by one run.

    ``records`` maps each output's relative path to the last record written for it.
    """

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.path = os.path.join(folder, MANIFEST_NAME)
        self.records: dict[str, dict] = {}
        self.torn_lines = 0
        self._file: IO[str] | None = None
        os.makedirs(folder, exist_ok=True)
        try:
            self._file = open(self.path, "a+", encoding="utf-8")
        except OSError as error:
            raise BadInputError(f"cannot write {self.path}: "
                                f"{error.strerror or error}") from None
        self._lock()
        self._read()

    def _lock(self) -> None:
        """Refuse a second job writing into the same folder at the same time."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no lock
            return
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._file.close()
            self._file = None
            raise BadInputError(f"another batch job is writing into this folder "
                                f"({self.path} is locked)") from None

    def _read(self) -> None:
        self._file.seek(0)
        text = self._file.read()
        for line in text.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                self.torn_lines += 1  # a run killed while writing this line
                continue
            if isinstance(record, dict) and isinstance(record.get("output"), str):
                self.records[record["output"]] = record
        if text and not text.endswith("\n"):
            self._file.write("\n")  # never glue the next record onto a torn line

    def is_done(self, output: str, settings_key: str, input_print: list) -> bool:
        """True when ``output`` was written by a run with these settings from this input.

        ``input_print`` is the input's :func:`fingerprint`; the output must still exist.
        """
        record = self.records.get(output)
        return bool(record and record.get("status") == "done"
                    and record.get("settings") == settings_key
                    and record.get("fingerprint") == input_print
                    and os.path.exists(os.path.join(self.folder, output)))

    def append(self, record: dict) -> None:
        """Add one line and sync it to disk before returning."""
        record = dict(record, time=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        self._file.write(json.dumps(record, sort_keys=True) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        if isinstance(record.get("output"), str):
            self.records[record["output"]] = record

    def close(self) -> None:
        if self._file is not None:
            self._file.close()  # releases the lock
            self._file = None

    def __enter__(self) -> Manifest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
