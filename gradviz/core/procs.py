"""Find and end a worker's whole process tree, and its resident memory (Linux /proc).

``killpg`` misses children that called ``setsid``; the worker is their subreaper, so
walking parent links from the worker still finds them while it lives.
"""

from __future__ import annotations

import contextlib
import os
import signal


def _stat_fields(text: bytes) -> list[bytes]:
    """The fields of /proc/<pid>/stat after the command name (state, parent, ...): the
    name is in parentheses and may contain spaces or ')'."""
    return text[text.rfind(b")") + 2 :].split()


def _parents() -> dict[int, int]:
    """pid → parent pid of every process we can see."""
    table: dict[int, int] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return table
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                text = stat.read()
        except OSError:
            continue
        fields = _stat_fields(text)
        if len(fields) > 1 and fields[0] != b"Z":  # a zombie is already dead
            table[int(name)] = int(fields[1])
    return table


def _children(pid: int) -> list[int] | None:
    """pid's children from /proc/<pid>/task/*/children (a few small reads, where a full
    /proc scan reads one file per process on the machine); None if the kernel lacks it."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return [] if os.path.isdir("/proc/self/task") else None  # pid is gone
    out: list[int] = []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", "rb") as f:
                out += [int(p) for p in f.read().split()]
        except FileNotFoundError:
            if not os.path.exists(f"/proc/{pid}/task/{task}"):
                continue  # the thread ended meanwhile
            return None  # no children files: this kernel lacks CONFIG_PROC_CHILDREN
        except OSError:
            continue
    return [child for child in out if _alive(child)]


def _alive(pid: int) -> bool:
    """Not a zombie (already dead, only waiting to be reaped) and not gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            text = stat.read()
    except OSError:
        return False
    fields = _stat_fields(text)
    return bool(fields) and fields[0] != b"Z"


def descendants(pid: int) -> list[int]:
    """Every process below pid, children first."""
    found, todo = [], [pid]
    while todo:
        kids = _children(todo.pop())
        if kids is None:
            return _descendants_by_scan(pid)
        found += kids
        todo += kids
    return found


def _descendants_by_scan(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for child, parent in _parents().items():
        children.setdefault(parent, []).append(child)
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            found.append(child)
            todo.append(child)
    return found


def freeze_and_kill(pid: int) -> None:
    """SIGSTOP the group and every descendant (a stopped process cannot fork), then
    SIGKILL them all; a second look catches anything forked during the first."""
    _send_all(pid, [], signal.SIGSTOP)
    found = descendants(pid)
    _send_all(pid, found, signal.SIGSTOP)
    late = [p for p in descendants(pid) if p not in set(found)]
    _send_all(pid, found + late, signal.SIGKILL)


def terminate_tree(pid: int) -> list[int]:
    """SIGTERM pid's group and every descendant, so a script's own handlers may tidy up;
    returns the descendants seen, to be killed after the grace period even if the
    worker is gone by then (its orphans no longer hang below it)."""
    found = descendants(pid)
    _send_all(pid, found, signal.SIGTERM)
    return found


def kill_known(pids: list[int]) -> None:
    """SIGKILL processes found earlier that may have outlived their parent."""
    for target in pids:
        with contextlib.suppress(OSError):
            os.kill(target, signal.SIGKILL)


def _send_all(pid: int, targets: list[int], sig: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(pid, sig)
    for target in [pid, *targets]:
        with contextlib.suppress(OSError):
            os.kill(target, sig)


def resident_bytes(pid: int) -> int:
    """Resident memory of one process (0 if unknown). Its children have their own
    RLIMIT_DATA, inherited from the worker."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, not ours
    return True
