"""The child process that runs one user script for the sandbox.

Usage: ``python -m gradviz.core.worker SOURCE RESULT MEMORY_MB [FILENAME [CPU_S]]``

It reads the script from SOURCE, caps its own address space, traces the
script and writes ``TraceResult.to_json()`` to RESULT. The result goes to a
file, not stdout, because the user's code prints to stdout.

Exit codes tell the parent what happened when no result could be written.
"""

from __future__ import annotations

import gc
import os
import sys

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_MEMORY = 3  # ran out of memory and could not even write a result

MEMORY_MESSAGE = "Stopped: the script tried to use more than {mb} MB of memory."
MEMORY_HINT = (
    "Use smaller tensors or fewer copies, or raise the limit (Run → Memory limit…) "
    "if the script really needs that much."
)


def _address_space_bytes() -> int:
    """The current virtual size of this process (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def limit_memory(memory_mb: int) -> None:
    """Let the script allocate about memory_mb more than the worker already uses.

    RLIMIT_AS counts the interpreter and numpy too, so the cap is measured on top
    of what is mapped after the imports; then a 1024 MB limit means 1024 MB for
    the learner's tensors, whatever the platform's baseline.
    """
    try:
        import resource
    except ImportError:  # not POSIX: run without a cap
        return
    cap = _address_space_bytes() + memory_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def limit_cpu(seconds: int) -> None:
    """A backstop: if the parent dies and never kills us, the kernel still will."""
    try:
        import resource
    except ImportError:
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        seconds = min(seconds, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, hard))


def _is_memory_error(error: object) -> bool:
    """Did the script die of a MemoryError (as opposed to merely mentioning one)?"""
    message = str(getattr(error, "message", ""))
    lines = str(getattr(error, "traceback", "")).strip().splitlines()
    return message.startswith("MemoryError") or bool(lines and lines[-1].startswith("MemoryError"))


def _as_memory_failure(result, memory_mb: int):
    """The same result, its error reworded to name the memory limit and how to raise it."""
    import dataclasses

    message = MEMORY_MESSAGE.format(mb=memory_mb)
    error = dataclasses.replace(result.error, kind="memory", message=message, hint=MEMORY_HINT)
    return dataclasses.replace(result, error=error)


def _write(path: str, text: str) -> None:
    # Write then rename, so the parent never reads half a result.
    tmp = path + ".part"
    with open(tmp, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)


def _wait_for_job() -> list[str] | None:
    """A prewarmed worker: import the tracer now, then wait for a job on stdin.

    The job is one JSON line, {"argv": [SOURCE, RESULT, MEMORY_MB, FILENAME, CPU_S],
    "cwd": DIR}. EOF (the app went away) ends the worker quietly.
    """
    import json

    import gradviz.core.trace  # noqa: F401 - the imports are most of a cold start

    line = sys.stdin.readline()
    if not line.strip():
        return None
    job = json.loads(line)
    if job.get("cwd"):
        os.chdir(job["cwd"])
    return [str(a) for a in job["argv"]]


def main(argv: list[str]) -> int:
    if argv[:1] == ["--wait"]:
        argv = _wait_for_job()
        if argv is None:
            return EXIT_OK
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return EXIT_USAGE
    source_path, result_path, memory_mb = argv[0], argv[1], int(argv[2])
    filename = argv[3] if len(argv) > 3 else "<editor>"
    cpu_s = int(argv[4]) if len(argv) > 4 else 0
    with open(source_path, encoding="utf-8") as src:
        source = src.read()

    from gradviz.core.trace import TraceResult, trace_source

    # Spare memory to give back when the script exhausts it, so that the
    # result can still be serialised and written.
    reserve = bytearray(8 * 1024 * 1024)
    limit_memory(memory_mb)
    if cpu_s > 0:
        limit_cpu(cpu_s)

    result = None
    out_of_memory = False
    try:
        result = trace_source(source, filename)
    except MemoryError:
        # No "as": the traceback would keep the script's frames (and memory) alive.
        out_of_memory = True
    del reserve
    gc.collect()

    try:
        if out_of_memory:
            result = TraceResult.failed(
                "memory", MEMORY_MESSAGE.format(mb=memory_mb), hint=MEMORY_HINT
            )
        elif result.error is not None and (
            result.error.kind == "memory"
            or (result.error.kind == "runtime" and _is_memory_error(result.error))
        ):
            # Say which limit was hit and how to change it, keeping the line.
            result = _as_memory_failure(result, memory_mb)
        _write(result_path, result.to_json())
    except MemoryError:
        return EXIT_MEMORY
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
