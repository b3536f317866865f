"""Safe file handling for every reader and writer: the part of the media module below formats.

Readers call :func:`check_input_file` (or :func:`read_input_bytes`) first: a folder, a FIFO,
a device, a socket, a ``/proc`` or ``/sys`` file, a symbolic-link loop, a missing or empty
file is refused with one line before anything is opened for reading, so nothing blocks or
reads forever. Writers go through :func:`atomic_output`: a temporary created exclusively
(``O_CREAT | O_EXCL | O_NOFOLLOW``) under a random name in the target folder, synced, then
renamed into place; an output that is any input of the command (symbolic and hard links
included) is refused, and any OSError becomes one sentence naming the path. Temporaries of
a process that died are removed the next time the same output is written.
Processes and memory are :mod:`colorize_app.runtime.system`'s.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import re
import secrets
import shutil
import stat
import time
from collections.abc import Iterable, Iterator
from typing import Union

from algorithms.errors import BadInputError
from colorize_app.runtime.system import process_alive

PathLike = Union[str, "os.PathLike[str]"]

#: Folders whose files are not data (their sizes are 0 or unbounded): refused as inputs.
PSEUDO_FILESYSTEMS = ("/proc", "/sys")
#: A temporary left without a process id (older versions) is removed after this many seconds.
_LEGACY_PARTIAL_AGE_S = 24 * 3600


# --------------------------------------------------------------------------------------------
# Reading


def _kind(mode: int) -> str:
    """What a non-regular file is, for messages."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


@functools.cache
def _pseudo_devices() -> frozenset:
    devices = set()
    for root in PSEUDO_FILESYSTEMS:
        with contextlib.suppress(OSError):
            devices.add(os.stat(root).st_dev)
    return frozenset(devices)


def _stat_error(path: str, error: OSError, missing: str) -> BadInputError:
    if error.errno == errno.ELOOP:
        return BadInputError(f"{path}: too many levels of symbolic links (a link loop)")
    if error.errno in (errno.ENOENT, errno.ENOTDIR):
        if os.path.islink(path):
            return BadInputError(f"{path} is a symbolic link to a missing file")
        return BadInputError(f"{missing}: {path}")
    if error.errno in (errno.EACCES, errno.EPERM):
        return BadInputError(f"cannot read {path}: permission denied")
    return BadInputError(f"cannot read {path}: {reason(error)}")


def _check_stat(path: str, status: os.stat_result, what: str, allow_empty: bool = False
                ) -> None:
    if stat.S_ISDIR(status.st_mode):
        raise BadInputError(f"{path} is a folder, not {what}")
    if not stat.S_ISREG(status.st_mode):
        raise BadInputError(f"{path} is {_kind(status.st_mode)}, not {what}")
    if status.st_dev in _pseudo_devices():
        raise BadInputError(f"{path} is a system file (/proc, /sys), not {what}")
    if status.st_size == 0 and not allow_empty:
        raise BadInputError(f"{path} is empty (0 bytes)")


def check_input_file(path: PathLike, what: str = "an image file",
                     missing: str = "no such file", allow_empty: bool = False
                     ) -> os.stat_result:
    """Refuse anything but a non-empty regular file (one line), before it is opened.

    A FIFO, device, socket or ``/proc`` file would block or never end; a folder, a missing
    file, a link loop or an empty file is named as such. Returns the file's ``os.stat``.
    """
    path = os.fspath(path)
    try:
        status = os.stat(path)
    except OSError as error:
        raise _stat_error(path, error, missing) from None
    except ValueError:  # an embedded NUL character
        raise BadInputError(f"{missing}: {path!r}") from None
    _check_stat(path, status, what, allow_empty)
    return status


def read_input_bytes(path: PathLike, what: str, limit: int,
                     missing: str = "no such file") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (one-line BadInputError).

    Opened without blocking (a FIFO swapped in after the check cannot stall the read) and
    re-checked on the open descriptor; never reads more than ``limit`` bytes.
    """
    path = os.fspath(path)
    check_input_file(path, what, missing)
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                             | getattr(os, "O_NOCTTY", 0))
    except OSError as error:
        raise _stat_error(path, error, missing) from None
    with os.fdopen(descriptor, "rb") as file:
        status = os.fstat(descriptor)
        _check_stat(path, status, what)
        if status.st_size > limit:
            raise BadInputError(f"{path} is too large for {what} ({status.st_size:,} bytes; "
                                f"the limit is {limit:,})")
        try:
            data = file.read(limit + 1)
        except OSError as error:
            raise BadInputError(f"cannot read {path}: {reason(error)}") from None
    if len(data) > limit:
        raise BadInputError(f"{path} is too large for {what} (over {limit:,} bytes)")
    return data


def file_sha256(path: PathLike, what: str = "a file",
                missing: str = "cannot read, no such file") -> str:
    """Hex SHA-256 of a file's bytes (pooch's file hash); one-line BadInputError when the
    file is not a readable regular file (``what`` names it in the message)."""
    import pooch

    path = os.fspath(path)
    # A FIFO would block and a /proc file never end: regular files only.
    check_input_file(path, what, missing=missing)
    try:
        return pooch.file_hash(path, alg="sha256")
    except OSError as error:
        raise BadInputError(f"cannot read {path}: {reason(error)}") from None


def reason(error: OSError) -> str:
    """An OSError's reason in lower case, e.g. ``no space left on device``."""
    text = error.strerror or str(error) or type(error).__name__
    return text[:1].lower() + text[1:]


# --------------------------------------------------------------------------------------------
# Output never an input


def check_not_input(path: PathLike, inputs: Iterable[PathLike | None]) -> None:
    """Raise BadInputError when ``path`` names the same file as one of ``inputs``.

    Symbolic links and hard links count as the same file; None entries are skipped.
    """
    for source in inputs:
        if source is not None and _same_file(os.fspath(path), os.fspath(source)):
            raise BadInputError(f"refusing to overwrite the input {os.fspath(path)}")


def _same_file(first: str, second: str) -> bool:
    try:
        return os.path.samefile(first, second)
    except (OSError, ValueError):  # one of them does not exist (yet): where would they be?
        return os.path.normcase(os.path.realpath(first)) == os.path.normcase(
            os.path.realpath(second)
        )


# --------------------------------------------------------------------------------------------
# Writing


def partial_path(path: PathLike, suffix: str = "") -> str:
    """A new hidden temporary name beside ``path``: ``.NAME.p<pid>-<random>.partial<suffix>``.

    The process id lets a later run tell a dead process's leftover from a live writer's.
    """
    folder, name = os.path.split(os.path.abspath(os.fspath(path)))
    return os.path.join(folder, f".{name}.p{os.getpid()}-{secrets.token_hex(4)}.partial{suffix}")


def remove_stale_partials(path: PathLike) -> None:
    """Remove temporaries for ``path`` left by processes that no longer run."""
    folder, name = os.path.split(os.path.abspath(os.fspath(path)))
    pattern = re.compile(rf"^\.{re.escape(name)}\.(?:p(\d+)-)?[0-9a-f]{{8}}\.partial")
    try:
        entries = os.listdir(folder)
    except OSError:
        return
    now = time.time()
    for entry in entries:
        match = pattern.match(entry)
        if not match:
            continue
        full = os.path.join(folder, entry)
        try:
            status = os.lstat(full)
        except OSError:
            continue
        pid = match.group(1)
        stale = (not process_alive(int(pid))) if pid else \
            now - status.st_mtime > _LEGACY_PARTIAL_AGE_S
        if not stale:
            continue
        if stat.S_ISDIR(status.st_mode):
            shutil.rmtree(full, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.remove(full)


def check_output_path(path: PathLike) -> tuple[str, str]:
    """(folder, name) of an output file that may be written; one-line error otherwise."""
    path = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(path))
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        status = None
    except OSError as error:
        raise BadInputError(f"cannot write {path}: {reason(error)}") from None
    if status is not None:
        if stat.S_ISDIR(status.st_mode) or os.path.isdir(path):
            raise BadInputError(f"{path} is a folder; give a file name to write")
        if not (stat.S_ISREG(status.st_mode) or stat.S_ISLNK(status.st_mode)):
            raise BadInputError(f"{path} is {_kind(status.st_mode)}; refusing to replace it")
    if not os.path.isdir(folder):
        raise BadInputError(f"output folder does not exist: {folder}")
    return folder, name


@contextlib.contextmanager
def atomic_output(path: PathLike, *, inputs: Iterable[PathLike | None] = ()
                  ) -> Iterator[str]:
    """Yield a temporary path next to ``path``; on success move it onto ``path``.

    The temporary file is created exclusively, never through a link (``O_CREAT | O_EXCL
    | O_NOFOLLOW``), under a random hidden name in the same folder with the same extension
    as ``path`` (for writers that pick the format from the name). It is synced to disk and
    renamed onto ``path`` only when the block ends normally; on any exception,
    KeyboardInterrupt and the CLI's SIGTERM/SIGHUP included, it is removed and ``path`` is
    left as it was. Raises BadInputError (one line naming the path) when the folder does not
    exist or cannot be written, when the disk is full, or when ``path`` is one of ``inputs``.
    """
    path = os.fspath(path)
    check_not_input(path, inputs)
    folder, name = check_output_path(path)
    remove_stale_partials(path)
    temporary = partial_path(path, os.path.splitext(name)[1])
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        # mode 0o666 lets the umask decide as usual.
        os.close(os.open(temporary, flags, 0o666))
    except OSError as error:
        raise BadInputError(f"cannot write to {folder}: {reason(error)}") from None
    try:
        yield temporary
        status = os.lstat(temporary)
        if not stat.S_ISREG(status.st_mode):  # replaced behind our back: never follow it
            raise BadInputError(f"cannot write {path}: its temporary file was replaced")
        descriptor = os.open(temporary, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, path)
    except OSError as error:
        _remove_quietly(temporary)
        raise BadInputError(f"cannot write {path}: {reason(error)}") from None
    except BaseException:
        _remove_quietly(temporary)
        raise
    _sync_folder(folder)


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


def open_temporary(temporary: str):
    """Open a temporary from :func:`atomic_output` for writing, never through a link."""
    descriptor = os.open(temporary, os.O_WRONLY | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0))
    return os.fdopen(descriptor, "wb")


def atomic_write_bytes(path: PathLike, data: bytes, *,
                       inputs: Iterable[PathLike | None] = ()) -> None:
    """Write ``data`` to ``path`` so that ``path`` is either untouched or complete."""
    with atomic_output(path, inputs=inputs) as temporary:
        with open_temporary(temporary) as file:
            file.write(data)


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable where the platform allows it (POSIX)."""
    if os.name != "posix":
        return
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:  # some file systems refuse fsync on folders; the data is already safe
        pass
    finally:
        os.close(descriptor)
