"""Operating-system limits the worker puts on itself before the learner's code runs.

Linux only, through ctypes (no extra packages); elsewhere every function is a no-op
that says so. Each returns a short phrase for the run's report ("network: off") so the
app can tell the learner what was and was not enforced.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys

PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
PR_SET_CHILD_SUBREAPER = 36
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000

# Landlock (linux/landlock.h). Only write-like rights are handled, so reading stays free.
_SYS_LANDLOCK = {"x86_64": (444, 445, 446), "aarch64": (444, 445, 446)}
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1
_FS_WRITE_FILE = 1 << 1
_FS_WRITES_V1 = sum(1 << bit for bit in (1, 4, 5, 6, 7, 8, 9, 10, 11, 12))
_FS_REFER = 1 << 13  # ABI 2
_FS_TRUNCATE = 1 << 14  # ABI 3
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1  # ABI 4


def _libc():
    return ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


_LIBC = _libc()


def _prctl(option: int, value: int) -> bool:
    if _LIBC is None:
        return False
    return _LIBC.prctl(option, ctypes.c_ulong(value), 0, 0, 0) == 0


def die_with_parent(parent_pid: int) -> bool:
    """SIGKILL this process when its parent goes, and exit now if it is already gone."""
    ok = _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:
        os._exit(0)
    return ok


def adopt_orphans() -> bool:
    """Orphaned grandchildren (double forks, setsid) stay our descendants, so the parent
    can find and kill them through the process tree."""
    return _prctl(PR_SET_CHILD_SUBREAPER, 1)


def isolate_network() -> str:
    """Enter new user and network namespaces: only a down loopback is left."""
    if _LIBC is None:
        return "network: allowed (no namespaces on this platform)"
    uid, gid = os.getuid(), os.getgid()
    if _LIBC.unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0:
        return f"network: allowed (namespaces unavailable: {os.strerror(ctypes.get_errno())})"
    # Map our own ids, or the kernel refuses to create files in the new namespace.
    try:
        for name, text in (
            ("setgroups", "deny"),
            ("uid_map", f"{uid} {uid} 1"),
            ("gid_map", f"{gid} {gid} 1"),
        ):
            fd = os.open(f"/proc/self/{name}", os.O_WRONLY)
            try:
                os.write(fd, text.encode())
            finally:
                os.close(fd)
    except OSError as exc:
        return f"network: off (ids unmapped: {exc.strerror})"
    return "network: off"


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _landlock_abi(create: int) -> int:
    abi = _LIBC.syscall(create, None, ctypes.c_size_t(0), LANDLOCK_CREATE_RULESET_VERSION)
    return abi if abi > 0 else 0


def restrict_writes(writable: list[str], block_tcp: bool = False) -> str:
    """Landlock: writes only beneath the given folders; optionally no TCP at all."""
    numbers = _SYS_LANDLOCK.get(os.uname().machine) if _LIBC is not None else None
    if numbers is None:
        return "writes: anywhere (Landlock not available on this platform)"
    create, add_rule, restrict = numbers
    abi = _landlock_abi(create)
    if abi < 1:
        return "writes: anywhere (Landlock not enabled in this kernel)"
    fs = _FS_WRITES_V1 | (_FS_REFER if abi >= 2 else 0) | (_FS_TRUNCATE if abi >= 3 else 0)
    net = (_NET_BIND_TCP | _NET_CONNECT_TCP) if block_tcp and abi >= 4 else 0
    attr = _RulesetAttr(fs, net, 0)  # fields this kernel does not know are left zero
    ruleset = _LIBC.syscall(create, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)), 0)
    if ruleset < 0:
        return f"writes: anywhere (Landlock refused: {os.strerror(ctypes.get_errno())})"
    try:
        for folder in writable:
            try:
                fd = os.open(folder, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                allowed = fs if os.path.isdir(folder) else (fs & (_FS_WRITE_FILE | _FS_TRUNCATE))
                rule = _PathBeneath(allowed, fd)
                _LIBC.syscall(add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, ctypes.byref(rule), 0)
            finally:
                os.close(fd)
        if not _prctl(PR_SET_NO_NEW_PRIVS, 1) or _LIBC.syscall(restrict, ruleset, 0) != 0:
            return f"writes: anywhere (Landlock refused: {os.strerror(ctypes.get_errno())})"
    finally:
        os.close(ruleset)
    return "writes: working folder only" + (", no TCP" if net else "")


def data_bytes() -> int:
    """Private writable memory mapped now (what RLIMIT_DATA counts), 0 if unknown."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def limit_memory(memory_mb: int, slack_mb: int) -> str:
    """A hard RLIMIT_DATA (soft = hard, so the script cannot raise it).

    It counts heap and anonymous mappings, not the address space, so threads (whose
    stacks are mostly untouched reservations) stay usable; slack_mb leaves room for
    them. The parent also watches the real resident size."""
    cap = data_bytes() + (memory_mb + slack_mb) * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    try:
        resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))
    except (ValueError, OSError):
        return "memory: watched only"
    return "memory: hard limit"


def limit_cpu(seconds: int) -> None:
    """A backstop: if the parent never kills us, the kernel still will (hard limit too)."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        seconds = min(seconds, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))


def limit_file_size(mb: int) -> None:
    """Files the script writes (and its raw output log) stay small; writes past it fail."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    size = mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
