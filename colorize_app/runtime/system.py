"""Facts about the running system: whether a process still runs, and how much memory this
process may still use (the machine's and the container's cgroup limit, the lower).

Readers of ``/proc`` and ``/sys`` (Linux); elsewhere the answers are None or optimistic.
"""

from __future__ import annotations

import contextlib
import os

from algorithms.errors import MemoryBudgetError

#: Where the cgroup (container) memory files are (tests point it elsewhere).
CGROUP_ROOT = "/sys/fs/cgroup"


def _proc_stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the command name (Linux), None elsewhere."""
    try:
        with open(f"/proc/{int(pid)}/stat", encoding="ascii", errors="replace") as file:
            return file.read().rsplit(")", 1)[1].split()
    except (OSError, ValueError, IndexError):
        return None


def process_start_time(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot, Linux), None where unknown.

    With the PID it identifies a process: a PID reused by a new process starts later.
    """
    fields = _proc_stat_fields(pid)
    try:
        return int(fields[19]) if fields is not None else None
    except (ValueError, IndexError):
        return None


def process_alive(pid: int, start_time: int | None = None) -> bool:
    """True when process ``pid`` runs (and, given ``start_time``, is the same process)."""
    if pid == os.getpid():
        alive = True
    else:
        try:
            os.kill(pid, 0)
            # A killed process stays a zombie until its parent reaps it: dead all the same.
            fields = _proc_stat_fields(pid)
            alive = not (fields and fields[0] == "Z")
        except ProcessLookupError:
            alive = False
        except (PermissionError, OSError, ValueError, OverflowError):
            alive = True  # exists but belongs to someone else, or the platform cannot tell
    if alive and start_time is not None:
        current = process_start_time(pid)
        return current is None or current == start_time
    return alive


def _read_number(path: str) -> int | None:
    try:
        with open(path, encoding="ascii") as file:
            text = file.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def cgroup_memory_left() -> int | None:
    """Bytes this process's cgroup (container) may still allocate, None without a limit.

    cgroup v2 (``memory.max`` - ``memory.current``, the tightest along the hierarchy) or
    v1 (``memory.limit_in_bytes`` - ``memory.usage_in_bytes``).
    """
    relative = "/"
    try:
        with open("/proc/self/cgroup", encoding="ascii", errors="replace") as file:
            for line in file:
                parts = line.strip().split(":", 2)
                if len(parts) == 3 and parts[0] == "0":
                    relative = parts[2] or "/"
    except OSError:
        pass
    best: int | None = None
    folder = os.path.normpath(os.path.join(CGROUP_ROOT, relative.lstrip("/")))
    while True:
        limit = _read_number(os.path.join(folder, "memory.max"))
        used = _read_number(os.path.join(folder, "memory.current"))
        if limit is not None:
            left = max(limit - (used or 0), 0)
            best = left if best is None else min(best, left)
        if os.path.normpath(folder) == os.path.normpath(CGROUP_ROOT) \
                or not folder.startswith(os.path.normpath(CGROUP_ROOT)):
            break
        folder = os.path.dirname(folder)
    v1 = os.path.join(CGROUP_ROOT, "memory")
    limit = _read_number(os.path.join(v1, "memory.limit_in_bytes"))
    if limit is not None and limit < 2**60:  # "no limit" is a huge number in v1
        left = max(limit - (_read_number(os.path.join(v1, "memory.usage_in_bytes")) or 0), 0)
        best = left if best is None else min(best, left)
    return best


def available_memory() -> int | None:
    """Bytes this process can still allocate: the machine's and the container's, the lower."""
    machine = None
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    machine = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError):
        pass
    if machine is None:
        with contextlib.suppress(ValueError, OSError, AttributeError):
            machine = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    container = cgroup_memory_left()
    known = [value for value in (machine, container) if value is not None]
    return min(known) if known else None


def check_memory(needed: int, what: str, budget: int | None = None) -> None:
    """MemoryBudgetError (one line) when ``needed`` bytes exceed what is available."""
    budget = available_memory() if budget is None else budget
    if budget is not None and needed > budget:
        raise MemoryBudgetError(
            f"{what} needs about {needed / 2**30:.1f} GB of memory but only "
            f"{budget / 2**30:.1f} GB is available (machine or container limit); "
            "use a smaller image"
        )
