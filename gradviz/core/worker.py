"""The child process that runs one user script for the sandbox.

Usage: ``python -m gradviz.core.worker --fd N --parent PID``

It imports the tracer, then waits for one job (a JSON line) on stdin, confines
itself (memory, CPU, network, writes), traces the script and sends the
``TraceResult`` as one frame on the inherited pipe fd N. The result travels on
that pipe, never on stdout (the script prints there) nor through a path the
script could find in ``sys.argv``. After sending it the worker ends at once with
``os._exit``: threads, ``atexit`` handlers and child processes the script left
behind cannot hold up a finished run (the parent kills what remains).
"""

from __future__ import annotations

import gc
import json
import os
import sys
import threading

from gradviz.core import channel

EXIT_USAGE = 2
FILE_SIZE_MB = 64  # files the script writes, and its raw output log
THREAD_SLACK_MB = 256  # RLIMIT_DATA room on top of the memory limit, for thread stacks
RESERVE_MB = 8  # given back when the script exhausts memory, to send the result with
# Niceness: a worker (and a spare starting up) gives way to the window, so that a busy
# script or the next spare's start-up never slows what the learner is looking at; a
# background run (the what-if plot's samples) gives way to the learner's run as well.
WORKER_NICE = 5
BACKGROUND_NICE = 10

MEMORY_MESSAGE = "Stopped: the script tried to use more than {mb} MB of memory."
MEMORY_HINT = (
    "Use smaller tensors or fewer copies, or raise the limit (Run → Memory limit…) "
    "if the script really needs that much."
)

# Private references, taken before any user code runs (it may patch the modules).
_write, _exit, _close = os.write, os._exit, os.close
_collect = gc.collect
_gc_enable, _gc_isenabled, _gc_freeze = gc.enable, gc.isenabled, gc.freeze
_callbacks = gc.callbacks
_sending = threading.Lock()


def _send(fd: int, data: bytes) -> None:
    with _sending:  # a preview may be sent from another thread: frames never interleave
        view = memoryview(data)
        while view:
            view = view[_write(fd, view) :]


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


def _confine(job: dict) -> str:
    """Limit what the script may do; returns what is enforced, for the report."""
    from gradviz.core import confine

    notes = []
    confine.adopt_orphans()
    if not job.get("allow_network"):
        notes.append(confine.isolate_network())
    # Entering a user namespace resets the parent-death signal: set it again.
    confine.die_with_parent(int(job["parent"]))
    if not job.get("allow_writes"):
        writable = [job["workdir"], "/dev/null", "/dev/shm"]
        net_open = notes and not notes[0].startswith("network: off")
        notes.append(confine.restrict_writes(writable, block_tcp=bool(net_open)))
    else:
        notes.append("writes: allowed")
    confine.limit_file_size(FILE_SIZE_MB)
    if job.get("cpu_s"):
        confine.limit_cpu(int(job["cpu_s"]))
    notes.append(confine.limit_memory(int(job["memory_mb"]), THREAD_SLACK_MB))
    return "; ".join(notes)


# Touching 8 MB of fresh pages costs ~7 ms: a spare sets its reserve aside here before
# its job comes. (A list, so that nothing else keeps it alive once the job takes it.)
_set_aside: list[bytearray] = []


def _reserve() -> bytearray:
    return _set_aside.pop() if _set_aside else bytearray(RESERVE_MB * 1024 * 1024)


def run_job(job: dict, fd: int, confined: str | None = None) -> None:
    """Trace the job's script and send its result; never returns. `confined`: what the
    worker already enforces (it confined itself before the job came), else None."""
    from gradviz.core.result import TraceResult
    from gradviz.core.trace import trace_source

    if job.get("background"):
        _nicer(BACKGROUND_NICE)
    memory_mb = int(job["memory_mb"])
    out_of_memory = channel.frame(channel.MEMORY, b"")  # ready before memory runs out
    source_path = os.path.join(job["workdir"], job["script"])
    with open(source_path, encoding="utf-8", errors="surrogatepass", newline="") as src:
        source = src.read()
    os.unlink(source_path)  # the working folder is the learner's
    os.chdir(job["workdir"])
    sandbox = confined if confined is not None else _confine(job)
    # Spare memory to give back when the script exhausts it, so that the
    # result can still be serialised and written.
    reserve = _reserve()
    result = None
    collecting = _gc_isenabled()
    _send(fd, channel.frame(channel.READY, b""))  # the time limit counts from here
    try:
        lazy = job.get("requests_fd") is not None
        preview = _previewer(fd) if lazy else None  # a window: show a long loop early
        told = job.get("told")  # an export: how many iterations to tell in full
        # The collector stays paused from the story's build until the result is sent: its
        # one full collection of the recording would only delay the result.
        result = trace_source(
            source, job.get("filename") or "<editor>", lazy, preview, told, hold_gc=True
        )
    except MemoryError:
        pass  # no "as": the traceback would keep the script's frames (and memory) alive
    except BaseException as exc:  # noqa: BLE001 - a script that broke gradviz's own code
        result = TraceResult.failed(
            "runtime",
            f"The script broke gradviz's tracer ({type(exc).__name__}); run it again "
            "without changing Python's internals.",
        )
    del reserve
    try:
        _callbacks.clear()  # the script's gc callbacks must not run inside our code
        if result is None or (result.error is not None and result.error.kind == "memory"):
            _collect()  # room to write the result; otherwise not worth its ~10 ms
        if result is None:
            result = TraceResult.failed("memory", MEMORY_MESSAGE.format(mb=memory_mb))
        elif result.error is not None and (
            result.error.kind == "memory"
            or (result.error.kind == "runtime" and _is_memory_error(result.error))
        ):
            # Say which limit was hit and how to change it, keeping the line.
            result = _as_memory_failure(result, memory_mb)
        payload = TraceResult(result.story, result.stdout, result.error, sandbox).to_bytes()
        teller = result.teller if job.get("requests_fd") is not None else None
        if teller is not None:
            _send(fd, channel.frame(channel.SERVING, b""))
        _send(fd, channel.frame(channel.RESULT, payload))
    except MemoryError:
        _send(fd, out_of_memory)
        teller = None
    _end_descendants()
    if collecting:
        # From here on the worker only tells episodes on demand: what the run left (the
        # whole recording) stays out of the collector's sight, so that the first tell
        # does not pay for the full collection the build was spared.
        _gc_freeze()
        _gc_enable()
    if teller is not None:
        del result, payload
        _serve(teller, int(job["requests_fd"]), fd)
    _close(fd)
    _exit(0)


def _nicer(by: int) -> None:
    try:
        os.nice(by)
    except OSError:
        pass  # not allowed here: it runs at the window's priority


def _previewer(fd: int):
    """Sends the story of a long run's first episode while the run goes on."""
    from gradviz.core.result import TraceResult

    def send(story) -> None:
        payload = TraceResult(story, "", None).to_bytes()
        _send(fd, channel.frame(channel.PREVIEW, payload))

    return send


def _serve(teller, requests: int, fd: int) -> None:
    """Tell untold episodes as the app asks for them (one index per line), until it
    closes the request pipe or goes away."""
    from gradviz.core.story import episode_to_dict, step_to_dict

    pending = b""
    while True:
        try:
            data = os.read(requests, 4096)
        except InterruptedError:
            continue
        except OSError:
            return
        if not data:
            return
        pending += data
        *lines, pending = pending.split(b"\n")
        for line in lines:
            try:
                index = int(line)
                told = teller.tell(index)
            except Exception:  # noqa: BLE001 - a bad request or a tell that failed
                told = None
                index = -1
            answer = {"index": index, "episode": None, "steps": []}
            if told is not None:
                episode, steps = told
                answer = {
                    "index": index,
                    "episode": episode_to_dict(episode),
                    "steps": [step_to_dict(s) for s in steps],
                }
            text = json.dumps(answer, ensure_ascii=False).encode("utf-8", "replace")
            _send(fd, channel.frame(channel.TOLD, text))


def _end_descendants() -> None:
    """Children the script left running go with us (we are their subreaper)."""
    import signal

    from gradviz.core.procs import descendants

    for pid in descendants(os.getpid()):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


WARM_UP = (
    "import torch\n"
    "x = torch.tensor([1.0, 2.0], requires_grad=True)\n"
    "y = (x * x + 1).sin().sum()\n"
    "y.backward()\n"
    "print(x.grad)\n"
)


def _warm_up() -> None:
    """Trace a tiny script once, so that the learner's run finds the tracer's lazy
    imports, compiled patterns and caches already made (it uses no random numbers, so
    the generator's state is as in a fresh process)."""
    import itertools

    from engine import _tensor
    from engine._autograd import graph
    from gradviz.core.trace import trace_source

    # The learner's tensors and nodes are numbered as in a fresh process: story ids, and
    # with them the layout's tie-breaks, do not depend on the warm-up.
    counters = [(_tensor, "_uids"), (graph, "_node_counter"), (graph.RemovableHandle, "_ids")]
    starts = [next(getattr(owner, name)) for owner, name in counters]
    try:
        trace_source(WARM_UP, "<warm-up>", lazy=True).to_bytes()
    except Exception:  # noqa: BLE001 - a warm-up that fails only leaves the caches cold
        pass
    finally:
        for (owner, name), start in zip(counters, starts):
            setattr(owner, name, itertools.count(start))


def main(argv: list[str]) -> int:
    try:
        fd = int(argv[argv.index("--fd") + 1])
        parent = int(argv[argv.index("--parent") + 1])
    except (ValueError, IndexError):
        print(__doc__, file=sys.stderr)
        return EXIT_USAGE
    from gradviz.core import confine

    confine.die_with_parent(parent)
    _nicer(WORKER_NICE)
    os.set_inheritable(fd, False)  # the script's own child processes never get it
    import gradviz.core.trace  # noqa: F401 - the imports are most of a cold start

    confined = None
    limits = json.loads(argv[argv.index("--limits") + 1]) if "--limits" in argv else None
    if limits is not None:  # a spare: confine now and warm up, while no run waits for it
        confined = _confine({**limits, "parent": parent, "workdir": os.getcwd()})
        _warm_up()
        _set_aside.append(_reserve())
    line = sys.stdin.readline()
    if not line.strip():
        return 0  # the app went away before giving us a job
    job = json.loads(line)
    job["parent"] = parent
    if "--requests" in argv:  # the pipe on which the app asks for untold episodes
        requests = int(argv[argv.index("--requests") + 1])
        os.set_inheritable(requests, False)
        if job.get("lazy"):
            job["requests_fd"] = requests
        else:
            os.close(requests)
    if limits is not None and any(job.get(k) != v for k, v in limits.items()):
        return EXIT_USAGE  # not the limits it was confined for (the sandbox never does this)
    # input() in the script sees end-of-file rather than waiting on our pipe.
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    run_job(job, fd, confined)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
