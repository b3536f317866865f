"""Files of a batch job: finding the inputs, and the manifest that makes a job resumable.

Part of the media module (the one place that touches the user's files). Inputs are files,
folders (walked recursively) and glob patterns; each found file gets a relative path that
its output keeps under the output folder. The manifest is one JSON-lines file in the output
folder: a line per run (its settings) and a line per finished input (fingerprint, settings
key, result). Lines are appended and synced one at a time, so a job killed at any moment
leaves every finished input on record; a torn last line is ignored when read back.
"""

from __future__ import annotations

import errno
import fnmatch
import json
import os
import stat
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import IO

from algorithms.errors import BadInputError

#: The manifest's file name in the output folder.
MANIFEST_NAME = "colorize-batch.jsonl"
#: Characters that make an INPUT a glob pattern rather than a path.
_GLOB_CHARACTERS = "*?["
#: Most input files a job takes, and most names a glob pattern may look at.
MAX_INPUTS = 2_000_000
MAX_WALK_ENTRIES = 10_000_000
#: Longest manifest line read (a record is a few hundred bytes; a video's a few kB).
MAX_LINE_BYTES = 1 << 20


@dataclass(frozen=True)
class FoundInput:
    """An input file and where its output goes, relative to the output folder."""

    path: str  # the file, as found (absolute)
    relative: str  # its path relative to the INPUT it was found through ('/' separated)


def _is_pattern(text: str) -> bool:
    return any(character in text for character in _GLOB_CHARACTERS) and not os.path.exists(text)


def _inside(path: str, folder: str) -> bool:
    """True when the real path ``path`` is ``folder`` or lies below it (both real paths)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _walk(folder: str, extensions: Sequence[str], skip: Sequence[str]) -> list[str]:
    """Files under ``folder`` with one of ``extensions``, recursively, in sorted order.

    Hidden files and folders (a leading dot: unfinished atomic writes, .git) and the
    folders in ``skip`` (the output folder when it lies inside an input) are left out.
    Links to folders are not followed, so a link loop cannot make the walk endless; the
    walk keeps its own stack, so a tree thousands of folders deep is no RecursionError.
    """
    found: list[str] = []
    skipped = set()  # the skipped folders by identity: no path resolved per folder
    for path in skip:
        try:
            status = os.stat(path)
        except OSError:
            continue
        skipped.add((status.st_dev, status.st_ino))
    inodes = {inode for _, inode in skipped}
    pending = [folder]
    while pending:
        root = pending.pop()
        try:
            with os.scandir(root) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError:
            continue
        folders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.inode() not in inodes or (
                            entry.stat(follow_symlinks=False).st_dev,
                            entry.inode()) not in skipped:
                        folders.append(entry.path)
                elif os.path.splitext(entry.name)[1].lower() in extensions and entry.is_file():
                    found.append(entry.path)
            except OSError:
                continue
        pending.extend(reversed(folders))  # depth first, in sorted order, as os.walk
        if len(found) > MAX_INPUTS:
            raise BadInputError(f"over {MAX_INPUTS:,} input files in {folder}: split the job")
    return found


def _pattern_root(pattern: str) -> str:
    """The folder a glob pattern's matches are made relative to: its part before a wildcard."""
    parts = pattern.split(os.sep)
    fixed = []
    for part in parts:
        if any(character in part for character in _GLOB_CHARACTERS):
            break
        fixed.append(part)
    return os.sep.join(fixed) or ("/" if pattern.startswith(os.sep) else ".")


def _glob(pattern: str) -> list[str]:
    """The paths matching ``pattern`` (``*``, ``?``, ``[...]`` within a name; ``**`` any
    depth), sorted, as :func:`glob.glob` with ``recursive=True`` finds them.

    Unlike :func:`glob.glob`, a real folder is entered once per ``**`` however many links
    lead to it, so links that loop (two links to ``.`` made 2^40 paths) end the search;
    at most :data:`MAX_WALK_ENTRIES` names are looked at.
    """
    root = _pattern_root(pattern)
    parts = pattern.split(os.sep)
    fixed = 0
    while fixed < len(parts) and not any(c in parts[fixed] for c in _GLOB_CHARACTERS):
        fixed += 1
    segments = [part for part in parts[fixed:] if part]
    found: list[str] = []
    looked = [0]

    def entries(folder: str) -> list:
        try:
            with os.scandir(folder) as scan:
                listed = list(scan)
        except OSError:
            return []
        looked[0] += len(listed)
        if looked[0] > MAX_WALK_ENTRIES:
            raise BadInputError(f"{pattern} reaches over {MAX_WALK_ENTRIES:,} files and "
                                "folders: give a narrower pattern")
        return sorted(listed, key=lambda entry: entry.name)

    def is_folder(entry) -> bool:
        try:
            return entry.is_dir()  # through links, as glob does
        except OSError:
            return False

    # Our own stack (a tree thousands of folders deep is no RecursionError): entries are
    # (folder, index of the next segment, the real folders this ** has entered).
    pending: list[tuple[str, int, set]] = []
    if os.path.isdir(root):
        pending.append((root, 0, set()))
    while pending:
        folder, index, visited = pending.pop()
        if index == len(segments):
            found.append(folder)
            continue
        head = segments[index]
        if head == "**":
            try:
                status = os.stat(folder)
            except OSError:
                continue
            if (status.st_dev, status.st_ino) in visited:
                continue  # searched through another path: a link loop, or a second link
            visited.add((status.st_dev, status.st_ino))
            pending.append((folder, index + 1, set()))  # ** matches no folder at all
            pending.extend((entry.path, index, visited) for entry in entries(folder)
                           if not entry.name.startswith(".") and is_folder(entry))
            continue
        last = index == len(segments) - 1
        if not any(character in head for character in _GLOB_CHARACTERS):
            path = os.path.join(folder, head)
            if os.path.lexists(path) and (last or os.path.isdir(path)):
                pending.append((path, index + 1, visited))
            continue
        for entry in entries(folder):
            if entry.name.startswith(".") and not head.startswith("."):
                continue  # as glob: hidden names only for a pattern that starts with a dot
            if fnmatch.fnmatchcase(entry.name, head) and (last or is_folder(entry)):
                pending.append((entry.path, index + 1, visited))
    return sorted(set(found))


def find_inputs(inputs: Iterable[str], extensions: Sequence[str],
                output_folder: str | None = None) -> list[FoundInput]:
    """Every input file named by ``inputs`` (files, folders, glob patterns), once each.

    A file keeps its own name; a folder's files keep their path below the folder; a
    pattern's matches keep their path below the pattern's fixed leading folders (``**``
    matches any depth). Folders are walked recursively for files with one of
    ``extensions`` (lower case, with the dot). The output folder, when it lies inside a
    folder or a pattern's fixed folder, is no input (its files are the results of an
    earlier run). BadInputError (one line) when an INPUT names nothing.
    """
    out_real = os.path.realpath(output_folder) if output_folder else None
    skip = [out_real] if out_real else []
    found: list[FoundInput] = []
    seen: set[str] = set()

    def add(path: str, relative: str) -> None:
        real = os.path.realpath(path)
        if real not in seen:  # the same file through two INPUTs is done once
            seen.add(real)
            found.append(FoundInput(os.path.abspath(path), relative.replace(os.sep, "/")))
            if len(found) > MAX_INPUTS:
                raise BadInputError(f"over {MAX_INPUTS:,} input files: split the job")

    for name in inputs:
        if _is_pattern(name):
            root = _pattern_root(name)
            root_real = os.path.realpath(root)
            if out_real and root_real == out_real:
                raise BadInputError(f"OUT_DIR is the folder of the pattern {name}: give "
                                    "another folder for the results")
            # Results of an earlier run are no inputs: OUT_DIR inside the pattern's folder.
            excluded = out_real if out_real and _inside(out_real, root_real) else None
            matches = _glob(name)
            if not matches:
                raise BadInputError(f"nothing matches {name}")
            for match in matches:
                if excluded and _inside(os.path.realpath(match), excluded):
                    continue
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


# --------------------------------------------------------------------------------------------
# The manifest


class Manifest:
    """The job's JSON-lines record in the output folder, held open (and locked) by one run.

    ``records`` maps each output's relative path to the last record written for it; given
    ``keep`` (a test on an output's relative path), only the records it accepts are held,
    so a manifest of millions of lines costs memory for this job's outputs alone. The file
    is opened without following a link and must be a regular file; it is read a line at a
    time, lines over :data:`MAX_LINE_BYTES` and records that are not what this program
    writes (binary, nested, tampered) are skipped and counted in ``torn_lines``.
    """

    def __init__(self, folder: str, keep: Callable[[str], bool] | None = None) -> None:
        self.folder = folder
        self.path = os.path.join(folder, MANIFEST_NAME)
        self.records: dict[str, dict] = {}
        self.torn_lines = 0
        self._keep = keep
        self._file: IO[bytes] | None = None
        os.makedirs(folder, exist_ok=True)
        flags = (os.O_RDWR | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
                 | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        try:
            descriptor = os.open(self.path, flags, 0o666)
        except OSError as error:
            if error.errno == errno.ELOOP or os.path.islink(self.path):
                raise BadInputError(f"{self.path} is a symbolic link: refusing to write "
                                    "the job's manifest through it") from None
            raise BadInputError(f"cannot write {self.path}: "
                                f"{error.strerror or error}") from None
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode) or status.st_nlink > 1:
            os.close(descriptor)
            what = "not a regular file" if not stat.S_ISREG(status.st_mode) else \
                "a hard link to another file"
            raise BadInputError(f"{self.path} is {what}: refusing to use it as the job's "
                                "manifest")
        self._file = os.fdopen(descriptor, "a+b")
        self._lock()
        self._read()

    @property
    def _open(self) -> IO[bytes]:
        """The manifest's file, while it is open."""
        if self._file is None:
            raise ValueError(f"{self.path} is closed")
        return self._file

    def _lock(self) -> None:
        """Refuse a second job writing into the same folder at the same time."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no lock
            return
        try:
            fcntl.flock(self._open.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._open.close()
            self._file = None
            raise BadInputError(f"another batch job is writing into this folder "
                                f"({self.path} is locked)") from None

    def _read(self) -> None:
        file = self._open
        file.seek(0)
        last = b"\n"
        while True:
            line = file.readline(MAX_LINE_BYTES + 1)
            if not line:
                break
            last = line[-1:]
            if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                while line and not line.endswith(b"\n"):  # skip the rest of the long line
                    line = file.readline(1 << 20)
                    last = line[-1:] or last
                self.torn_lines += 1
                continue
            record = _record(line)
            if record is None:
                if line.strip():
                    self.torn_lines += 1  # a run killed while writing it, or not ours
                continue
            if self._keep is None or self._keep(record["output"]):
                self.records[record["output"]] = record
        if last != b"\n":
            file.write(b"\n")  # never glue the next record onto a torn line

    def is_done(self, output: str, settings_key: str, input_print: list) -> bool:
        """True when ``output`` was written by a run with these settings from this input.

        ``input_print`` is the input's :func:`colorize_app.io.fingerprints.fingerprint`; the
        output must still exist.
        """
        record = self.records.get(output)
        return bool(record and record.get("status") == "done"
                    and record.get("settings") == settings_key
                    and record.get("fingerprint") == input_print
                    and os.path.exists(os.path.join(self.folder, output)))

    def append(self, record: dict) -> None:
        """Add one line and sync it to disk before returning."""
        record = dict(record, time=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        file = self._open
        file.write((json.dumps(record, sort_keys=True) + "\n").encode("utf-8"))
        file.flush()
        os.fsync(file.fileno())
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


#: The fields of a record this program reads back, and their types.
_RECORD_FIELDS = {"output": str, "input": str, "status": str, "settings": str, "run": str,
                  "error": str, "fingerprint": list, "frames": int}


def _record(line: bytes) -> dict | None:
    """The record on one manifest line, None when it is not one this program wrote."""
    try:
        record = json.loads(line.decode("utf-8"))
    except (ValueError, RecursionError):  # torn, binary (not UTF-8) or nested too deeply
        return None
    if not isinstance(record, dict) or not isinstance(record.get("output"), str):
        return None
    for name, kind in _RECORD_FIELDS.items():
        if name in record and not isinstance(record[name], kind):
            return None
    shots = record.get("shots")
    if shots is not None and not (
            isinstance(shots, list) and all(
                isinstance(shot, list) and len(shot) == 2
                and all(type(bound) is int for bound in shot) and 0 <= shot[0] < shot[1]
                for shot in shots)):
        return None
    if not all(isinstance(value, (int, str)) and not isinstance(value, bool)
               for value in record.get("fingerprint", [])):
        return None
    return record
