"""Run a learner's script in a separate worker process.

A script that loops forever, eats all memory or crashes the interpreter must never
take the window down with it, so it runs in ``python -m gradviz.core.worker``, in a
session and process group of its own, with a scrubbed environment and a private
temporary working folder. Nothing here blocks: ``start_run`` returns at once and
``SandboxRun.pump()`` reads whatever the worker's result pipe holds. A GUI watches
``fileno()`` and ``pidfd`` with notifiers and calls ``pump()`` when they fire; the
CLI calls ``wait()``.

Every way a run can end maps to exactly one outcome (``ErrorInfo.kind``): finished
(no error), syntax, runtime, timeout, memory, signal, exit, lost.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import math
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gradviz.core import channel, procs
from gradviz.core.result import TraceResult
from gradviz.core.worker import MEMORY_HINT, MEMORY_MESSAGE

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MEMORY_MB = 1024
CPU_BACKSTOP_S = 5
RSS_ALLOWANCE_MB = 200  # the interpreter, numpy and the engine, on top of the learner's limit
LIMIT_KEYS = ("memory_mb", "cpu_s", "allow_network", "allow_writes")  # what a spare is confined to
GRACE_S = 0.3  # from SIGTERM to SIGKILL when a run is stopped or over its limits
WATCH_INTERVAL_S = 0.1  # how often the resident size is checked
STARTUP_LIMIT_S = 60.0  # the worker's own start-up (imports), before the script's clock
LOG_TAIL_BYTES = 4096
SCRIPT_NAME = ".gradviz-script.py"
DIR_PREFIX = "gradviz-run-"

TIMEOUT_HINT = (
    "Look for a loop that never ends (a `while` whose condition stays true), or raise "
    "the limit (Run → Time limit…) if the script is just slow."
)
CRASH_HINT = (
    "The script, or a library it called, ended the Python interpreter. "
    "The window is fine: edit the script and run it again."
)
SEGV_HINT = (
    "The interpreter crashed. Very deep recursion (after sys.setrecursionlimit) is the "
    "usual cause. The window is fine: edit the script and run it again."
)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
# Where the gradviz and engine packages live, so the child imports the same code.
_PROJECT_ROOT = Path(__file__).resolve().parents[2]
_ENV_KEEP = {"PATH", "LANG", "LANGUAGE", "TZ", "TERM", "SYSTEMROOT"}
_ENV_PREFIXES = ("LC_", "PYTHON", "OMP_", "MKL_", "OPENBLAS_")


def child_env(home: str) -> dict[str, str]:
    """An allow-list of the app's environment: no tokens or credentials leak to the script."""
    env = {k: v for k, v in os.environ.items() if k in _ENV_KEEP or k.startswith(_ENV_PREFIXES)}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(_PROJECT_ROOT), env.get("PYTHONPATH", "")) if p
    )
    env.pop("PYTHONSTARTUP", None)
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["HOME"] = env["TMPDIR"] = env["TMP"] = env["TEMP"] = home
    # One BLAS thread: faster start, and the worker stays single-threaded so that it
    # can enter new namespaces.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    return env


def _seconds(value: float) -> str:
    return f"{value:g}" if value >= 1 else f"{value:.1f}"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def clean_stale_dirs() -> int:
    """Remove run folders left by app processes that no longer exist (a crash, a kill)."""
    removed = 0
    root = Path(tempfile.gettempdir())
    with contextlib.suppress(OSError):
        for folder in root.glob(DIR_PREFIX + "*"):
            owner = folder.name[len(DIR_PREFIX) :].split("-", 1)[0]
            if not owner.isdigit() or int(owner) == os.getpid() or procs.alive(int(owner)):
                continue
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


class _Worker:
    """A started worker process: its private folder, its result pipe, its pidfd.

    Given the limits of the run it will serve (`limits`), it confines itself as soon as
    it has started, before its job arrives, so that a run does not wait for that."""

    def __init__(self, limits: dict | None = None) -> None:
        self.limits = limits
        if not _cleaned[0]:
            _cleaned[0] = True
            clean_stale_dirs()
        self.dir = Path(tempfile.mkdtemp(prefix=f"{DIR_PREFIX}{os.getpid()}-"))
        self.workdir = self.dir / "work"
        self.workdir.mkdir()
        self.log_path = self.dir / "worker.log"
        read_fd, write_fd = os.pipe()
        os.set_blocking(read_fd, False)
        self.fd = read_fd
        ask_fd, self.requests = os.pipe()  # the app asks the worker for untold episodes
        os.set_blocking(self.requests, False)  # asking never blocks the window
        try:
            with open(self.log_path, "wb") as log:
                self.process = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "gradviz.core.worker",
                        "--fd",
                        str(write_fd),
                        "--parent",
                        str(os.getpid()),
                        "--requests",
                        str(ask_fd),
                        *(["--limits", json.dumps(limits)] if limits else []),
                    ],
                    stdin=subprocess.PIPE,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=str(self.workdir),
                    env=child_env(str(self.workdir)),
                    pass_fds=(write_fd, ask_fd),
                    start_new_session=True,  # its own session and group: we end it whole
                )
        except BaseException:
            os.close(read_fd)
            os.close(self.requests)
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        finally:
            os.close(write_fd)
            os.close(ask_fd)
        self.pidfd: int | None = None
        self.kill_at: float | None = None  # when a terminated worker's grace period ends
        self.known: list[int] = []  # its descendants when it was terminated
        with contextlib.suppress(AttributeError, OSError):
            self.pidfd = os.pidfd_open(self.process.pid)

    def alive(self) -> bool:
        return self.process.poll() is None

    def send_job(self, job: dict) -> bool:
        try:
            self.process.stdin.write((json.dumps(job) + "\n").encode("utf-8"))
            self.process.stdin.close()
        except OSError:
            return False
        return True

    def kill(self) -> None:
        """Freeze the whole tree (no more forks), then kill it. Never waits."""
        self.kill_at = None
        if self.process.returncode is None:
            procs.freeze_and_kill(self.process.pid)
        else:
            with contextlib.suppress(OSError):
                os.killpg(self.process.pid, signal.SIGKILL)
        procs.kill_known(self.known)
        self.known = []

    def terminate(self, grace_s: float = GRACE_S) -> None:
        """Ask the whole tree to end (SIGTERM); `escalate()` kills it once grace_s has
        passed. Never waits: the event loop (or reap_dying) drives the rest."""
        if self.process.poll() is not None or grace_s <= 0:
            self.kill()
            return
        self.known = procs.terminate_tree(self.process.pid)
        self.kill_at = time.monotonic() + grace_s

    def escalate(self) -> None:
        """SIGKILL a terminated tree whose grace period is over."""
        if self.kill_at is not None and time.monotonic() >= self.kill_at:
            self.kill()

    def reaped(self) -> bool:
        """Collect the exit status if the process is gone and its grace period over;
        release everything once it is."""
        self.escalate()
        if self.kill_at is not None or self.process.poll() is None:
            return False
        self.release()
        return True

    def release(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.process.stdin.close()
        if self.requests >= 0:
            with contextlib.suppress(OSError):
                os.close(self.requests)
            self.requests = -1
        for fd in (self.fd, self.pidfd):
            if fd is not None and fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.fd, self.pidfd = -1, None
        shutil.rmtree(self.dir, ignore_errors=True)


_cleaned = [False]
_spare: list[_Worker | None] = [None]  # the one prewarmed worker, if prewarm() was asked for
_keep_warm = [False]
_spare_limits: list[dict | None] = [None]  # the limits of the last run: the next spare's
_dying: list[_Worker] = []  # killed, not yet reaped
_live: set[SandboxRun] = set()
_servers: set[SandboxRun] = set()  # finished runs whose workers tell untold episodes


def prewarm() -> None:
    """Start a worker now so the next run skips Python's and numpy's start-up (~250 ms).

    After the first call, a new spare is started whenever one is used."""
    _keep_warm[0] = True
    spare = _spare[0]
    if spare is None or not spare.alive():
        if spare is not None:
            _bury(spare)
        _spare[0] = _Worker(_spare_limits[0])


def prewarm_if_wanted() -> None:
    """Start the next spare, if prewarm() was ever asked for (call when idle)."""
    if _keep_warm[0]:
        prewarm()


def shutdown_prewarmed() -> None:
    """End the spare worker (the app calls this on exit)."""
    _keep_warm[0] = False
    spare, _spare[0] = _spare[0], None
    if spare is not None:
        _bury(spare)


def _bury(worker: _Worker) -> None:
    worker.kill()
    if not worker.reaped():
        _dying.append(worker)


def reap_dying() -> int:
    """Collect killed workers that have exited; returns how many are still pending."""
    _dying[:] = [w for w in _dying if not w.reaped()]
    return len(_dying)


def end_everything(wait_s: float = 1.0) -> None:
    """Kill every run and spare of this process and reap them (at exit, on Ctrl+C)."""
    for run in list(_live):
        run.cancel()
    for run in list(_servers):
        run.close_server()
    shutdown_prewarmed()
    deadline = time.monotonic() + wait_s
    while reap_dying() and time.monotonic() < deadline:
        time.sleep(0.01)


atexit.register(end_everything)


def _take_spare(limits: dict) -> _Worker | None:
    """The spare, if it is alive and confined for these limits."""
    _spare_limits[0] = limits
    spare, _spare[0] = _spare[0], None
    if spare is not None and (not spare.alive() or spare.limits not in (None, limits)):
        _bury(spare)
        return None
    return spare


class SandboxRun:
    """One script running in a worker process. Use ``start_run`` to make one."""

    def __init__(
        self,
        source: str,
        timeout_s: float,
        memory_mb: int,
        filename: str = "<editor>",
        cwd: str | None = None,  # kept for callers; the script runs in a private folder
        allow_network: bool = False,
        allow_writes: bool = False,
        lazy: bool = False,
        told: int | str | None = None,
        background: bool = False,
        spare: bool = True,
    ) -> None:
        self.timeout_s = timeout_s
        self._serving = False  # the worker stays after its result, to tell episodes
        self._preview_taken = False
        self.memory_mb = memory_mb
        self._started = time.monotonic()
        self._finished_at: float | None = None
        self._result: TraceResult | None = None
        self._reader = channel.FrameReader()
        self._payload: bytes | None = None  # a finished script's encoded result
        self._script_started: float | None = None  # when the worker began the script
        self._eof = False
        self._killed_for: str | None = None  # "memory" when our watchdog killed it
        self._next_watch = self._started + WATCH_INTERVAL_S
        job = {
            "script": SCRIPT_NAME,
            "filename": filename,
            "memory_mb": int(memory_mb),
            # CPU time never exceeds wall time, so this only fires if we are gone.
            "cpu_s": math.ceil(timeout_s) + CPU_BACKSTOP_S,
            "allow_network": bool(allow_network),
            "allow_writes": bool(allow_writes),
            "lazy": bool(lazy),
            "told": told,  # an export's iterations told in full (export_story.py)
            "background": bool(background),  # work nobody waits for: it yields the CPU
        }
        limits = {k: job[k] for k in LIMIT_KEYS}
        # The spare is kept for the learner's next Run: taken by the what-if plot's
        # samples (started as each story is shown), the next spare would still be warming
        # up when Run is pressed, and the run would wait for it.
        worker = _take_spare(limits) if spare and not background else None
        for attempt in range(2):
            if worker is None:
                worker = _Worker(limits)
            job["workdir"] = str(worker.workdir)
            script = worker.workdir / SCRIPT_NAME
            script.write_text(source, encoding="utf-8", errors="surrogatepass", newline="")
            if worker.send_job(job) or attempt:
                break
            _bury(worker)  # it died just now: start a cold one instead
            worker = None
        self._worker = worker
        _live.add(self)

    # -- what a caller watches ------------------------------------------------------

    @property
    def elapsed(self) -> float:
        """Seconds since the start, frozen once the run is over."""
        end = self._finished_at if self._finished_at is not None else time.monotonic()
        return end - self._started

    @property
    def done(self) -> bool:
        return self._result is not None or self._payload is not None

    @property
    def pid(self) -> int:
        return self._worker.process.pid

    def fileno(self) -> int:
        """The result pipe (readable when the worker sends something)."""
        return self._worker.fd

    @property
    def pidfd(self) -> int | None:
        """Readable when the worker exits (None where the platform has no pidfd)."""
        return self._worker.pidfd

    def seconds_to_next_check(self) -> float:
        """When pump() next has something to do without any fd firing (limits, watchdog)."""
        if self.done:
            return math.inf
        return max(0.0, min(self._deadline(), self._next_watch) - time.monotonic())

    def _deadline(self) -> float:
        """The time limit counts the script, not the worker's start-up (slow on a busy
        machine): its clock starts when the worker says it is about to run the script."""
        if self._script_started is None:
            return self._started + STARTUP_LIMIT_S
        return self._script_started + self.timeout_s

    def _over_time(self) -> bool:
        return time.monotonic() > self._deadline()

    def _slow_start(self) -> TraceResult:
        return self._lost(f"it did not start within {STARTUP_LIMIT_S:g} s")

    # -- driving it -------------------------------------------------------------------

    def pump(self) -> TraceResult | None:
        """Read what has arrived, apply the limits; the result once the run is over.

        Never blocks."""
        outcome = self.pump_raw()
        return self.decode(outcome) if isinstance(outcome, bytes) else outcome

    poll = pump

    def pump_raw(self) -> TraceResult | bytes | None:
        """Like pump(), but a finished script's result comes back still encoded, so that
        a GUI can decode it off its event loop with ``decode()``."""
        if self._result is not None:
            return self._result
        if self._payload is not None:
            return self._payload
        self._drain()
        frames = self._reader.frames
        final = channel.RESULT in frames or channel.MEMORY in frames
        code = None if final else self._worker.process.poll()
        if code is not None:
            self._drain()  # what it wrote just before it exited
        frames = self._reader.frames
        if self._script_started is None and channel.READY in frames:
            self._script_started = time.monotonic()
        if channel.RESULT in frames:
            self._serving = channel.SERVING in frames
            self._payload = frames[channel.RESULT]
            self._finish(None)
            return self._payload
        if channel.MEMORY in frames:
            self._finish(self._memory_result())
        elif code is not None:
            self._finish(self._from_exit(code))
        elif self._over_time():
            self._finish(self._timeout_result() if self._script_started else self._slow_start())
        elif time.monotonic() >= self._next_watch:
            self._next_watch = time.monotonic() + WATCH_INTERVAL_S
            limit = (self.memory_mb + RSS_ALLOWANCE_MB) * 1024 * 1024
            if procs.resident_bytes(self._worker.process.pid) > limit:
                self._finish(self._memory_result())
        return self._result

    def decode(self, payload: bytes) -> TraceResult:
        """The result from the worker's encoded payload (safe to call from another thread)."""
        try:
            result = TraceResult.from_json(payload)
        except Exception as exc:  # noqa: BLE001 - a bad result is a lost worker
            result = self._lost(f"its result could not be read ({type(exc).__name__})")
        self._result = result
        return result

    def cancel(self) -> None:
        """Stop the run now; the result says that the user stopped it. Never blocks."""
        if self._result is not None or self._payload is not None:
            return
        self._finish(
            TraceResult.failed("timeout", f"Stopped after {self.elapsed:.1f} s: you pressed Stop.")
        )

    def take_preview(self):
        """The story of a long run's first episode, once, if it came before the result."""
        if self._preview_taken or self.done:
            return None
        self._drain()
        payload = self._reader.frames.get(channel.PREVIEW)
        if payload is None:
            return None
        self._preview_taken = True
        try:
            return TraceResult.from_json(payload).story
        except Exception:  # noqa: BLE001 - a preview that cannot be read is no preview
            return None

    # -- a finished run's worker, telling untold episodes ------------------------------

    @property
    def serving(self) -> bool:
        """Does the worker stay to tell this story's untold episodes (and is it alive)?"""
        return self._serving and self._worker.process.poll() is None

    def ask(self, index: int) -> bool:
        """Ask for the untold episode `index`; its answer comes from `told()`. Never blocks."""
        if not self.serving:
            return False
        try:
            os.write(self._worker.requests, f"{int(index)}\n".encode())
        except OSError:
            return False
        return True

    def told(self) -> list[dict]:
        """Answers that have arrived: {"index", "episode": dict | None, "steps": [dict]}."""
        self._drain()
        answers = []
        while self._reader.told:
            try:
                answers.append(json.loads(self._reader.told.pop(0)))
            except ValueError:
                continue
        return answers

    def close_server(self) -> None:
        """End the worker that tells episodes (a new run, or the window closes)."""
        if not self._serving:
            return
        self._serving = False
        _servers.discard(self)
        worker = self._worker
        worker.kill()
        if not worker.reaped():
            _dying.append(worker)

    def wait(self) -> TraceResult:
        """Block until the run is over (for scripts and the CLI, not for a GUI)."""
        while True:
            result = self.pump()
            if result is not None:
                return result
            fds = [fd for fd in (self._worker.fd, self._worker.pidfd) if fd is not None]
            with contextlib.suppress(InterruptedError):
                select.select(fds, [], [], min(self.seconds_to_next_check(), 0.25))

    # -- internals --------------------------------------------------------------------

    def _drain(self) -> None:
        fd = self._worker.fd
        while not self._eof and fd >= 0:
            try:
                data = os.read(fd, 1 << 20)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._eof = True
                return
            self._reader.feed(data)

    def _finish(self, result: TraceResult | None) -> None:
        """The run is over (result None: its payload awaits decode()); end its processes."""
        self._finished_at = time.monotonic()
        self._result = result
        _live.discard(self)
        # Whatever the script left behind (children, threads) ends with the run. A script
        # that finished has nothing to tidy up: kill at once; one stopped gets a grace.
        worker = self._worker
        if result is None and self._serving:
            _servers.add(self)  # it stays to tell untold episodes, until close_server()
            return
        if result is None:
            worker.kill()
        else:
            worker.terminate()
        if not worker.reaped():
            _dying.append(worker)
        reap_dying()
        # The next spare is started by the caller when it is idle (prewarm_if_wanted).

    def _log_tail(self) -> str:
        try:
            with open(self._worker.log_path, "rb") as log:
                size = log.seek(0, os.SEEK_END)
                log.seek(max(0, size - LOG_TAIL_BYTES))
                data = log.read()
        except OSError:
            return ""
        text = _ANSI.sub("", data.decode("utf-8", "replace"))
        text = "".join(c for c in text if c.isprintable() or c in "\n\t")
        prefix = "…\n" if size > LOG_TAIL_BYTES else ""
        return prefix + text.strip()

    def _crash(self, kind: str, message: str, hint: str, log: str) -> TraceResult:
        result = TraceResult.failed(kind, message, hint=hint)
        if log:
            import dataclasses

            error = dataclasses.replace(result.error, traceback=log)
            result = dataclasses.replace(result, error=error)
        return result

    def _from_exit(self, code: int) -> TraceResult:
        if self._reader.corrupt:
            return self._lost("its result channel was written to by something else")
        log = self._log_tail()
        if self._script_started is None:  # it died in its own start-up, before the script
            result = self._lost(f"it failed to start (exit status {code})")
            return self._crash("lost", result.error.message, CRASH_HINT, log)
        if "MemoryError" in log.splitlines()[-1:] or log.endswith("MemoryError"):
            return self._memory_result()
        if code < 0:
            name = _signal_name(-code)
            hint = SEGV_HINT if -code == signal.SIGSEGV else CRASH_HINT
            message = f"The script's process was killed by {name} before it finished."
            return self._crash("signal", message, hint, log)
        if code == 0:
            message = "The script ended its process (os._exit(0)) before it finished."
        else:
            message = f"The script's process exited with code {code} before it finished."
        return self._crash("exit", message, CRASH_HINT, log)

    def _lost(self, why: str) -> TraceResult:
        return TraceResult.failed("lost", f"The worker process was lost: {why}.", hint=CRASH_HINT)

    def _timeout_result(self) -> TraceResult:
        return TraceResult.failed(
            "timeout",
            f"Stopped after {_seconds(self.timeout_s)} s: the script was still running.",
            hint=TIMEOUT_HINT,
        )

    def _memory_result(self) -> TraceResult:
        return TraceResult.failed(
            "memory", MEMORY_MESSAGE.format(mb=self.memory_mb), hint=MEMORY_HINT
        )


def start_run(
    source: str,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_mb: int = DEFAULT_MEMORY_MB,
    filename: str = "<editor>",
    cwd: str | None = None,
    allow_network: bool = False,
    allow_writes: bool = False,
    lazy: bool = False,
    told: int | str | None = None,
    background: bool = False,
    spare: bool = True,
) -> SandboxRun:
    """Start running source in a worker process and return at once. lazy: a long loop's
    middle iterations stay untold, and the worker stays to tell them (`ask`, `told`).
    told: an export's iterations told in full (an int or "all"), see export_story.py.
    background: a run nobody waits for (the what-if plot's samples) gives way to others.
    spare: False starts a worker of its own even when a prewarmed one is ready (a
    benchmark's cold reference; the spare stays for the window's next run)."""
    return SandboxRun(
        source,
        timeout_s,
        memory_mb,
        filename=filename,
        cwd=cwd,
        allow_network=allow_network,
        allow_writes=allow_writes,
        lazy=lazy,
        told=told,
        background=background,
        spare=spare,
    )


def run_sandboxed(
    source: str,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_mb: int = DEFAULT_MEMORY_MB,
    filename: str = "<editor>",
    cwd: str | None = None,
    allow_network: bool = False,
    allow_writes: bool = False,
) -> TraceResult:
    """Run source in a worker process and wait for its result."""
    return start_run(
        source, timeout_s, memory_mb, filename, cwd, allow_network, allow_writes
    ).wait()
