"""Run a learner's script in a separate worker process.

A script that loops forever, eats all memory or crashes the interpreter must
never take the window down with it, so it runs in ``python -m
gradviz.core.worker`` in a process group of its own. The parent only polls:
``start_run`` returns at once and ``SandboxRun.poll()`` never blocks, which
lets a GUI timer drive it.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gradviz.core.result import TraceResult
from gradviz.core.worker import EXIT_MEMORY, MEMORY_HINT, MEMORY_MESSAGE

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MEMORY_MB = 1024
CPU_BACKSTOP_S = 5

TIMEOUT_HINT = (
    "Look for a loop that never ends (a `while` whose condition stays true), or raise "
    "the limit (Run → Time limit…) if the script is just slow."
)
# Where the gradviz and engine packages live, so the child imports the same code.
_PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(_PROJECT_ROOT), env.get("PYTHONPATH", "")) if p
    )
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    # One BLAS thread: faster start, and its buffers don't eat the memory cap.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    return env


def _seconds(value: float) -> str:
    return f"{value:g}" if value >= 1 else f"{value:.1f}"


class _Spare:
    """A worker started ahead of time, its imports done, waiting for a job on stdin."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="gradviz-run-"))
        with open(self.dir / "worker.log", "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gradviz.core.worker", "--wait"],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=str(self.dir),
                env=_child_env(),
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self.process.poll() is None

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=2)
        shutil.rmtree(self.dir, ignore_errors=True)


_spare: list = [None]  # the one prewarmed worker, if prewarm() was asked for
_keep_warm = [False]


def prewarm() -> None:
    """Start a worker now so the next run skips Python's and numpy's start-up (~250 ms).

    After the first call, a new spare is started whenever one is used."""
    if not _keep_warm[0]:
        atexit.register(shutdown_prewarmed)  # never leave a waiting worker behind
    _keep_warm[0] = True
    spare = _spare[0]
    if spare is None or not spare.alive():
        _spare[0] = _Spare()


def shutdown_prewarmed() -> None:
    """End the spare worker (the app calls this on exit)."""
    _keep_warm[0] = False
    spare, _spare[0] = _spare[0], None
    if spare is not None:
        spare.discard()


def _take_spare() -> _Spare | None:
    spare, _spare[0] = _spare[0], None
    if spare is not None and not spare.alive():
        spare.discard()
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
        cwd: str | None = None,
    ) -> None:
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        spare = _take_spare()
        self._dir = spare.dir if spare else Path(tempfile.mkdtemp(prefix="gradviz-run-"))
        self._result_path = self._dir / "result.json"
        self._log_path = self._dir / "worker.log"
        source_path = self._dir / "script.py"
        source_path.write_text(source, encoding="utf-8")
        self._started = time.monotonic()
        self._finished_at: float | None = None
        self._result: TraceResult | None = None
        self._stopped_by_user = False
        job = [
            str(source_path),
            str(self._result_path),
            str(int(memory_mb)),
            filename,
            # CPU time never exceeds wall time, so this only fires if we are gone.
            str(math.ceil(timeout_s) + CPU_BACKSTOP_S),
        ]
        if spare is not None:
            self._process = spare.process
            try:
                spare.process.stdin.write(
                    (json.dumps({"argv": job, "cwd": cwd}) + "\n").encode("utf-8")
                )
                spare.process.stdin.close()
                return
            except OSError:  # it died just now: start cold instead
                spare.discard()
                self._dir = Path(tempfile.mkdtemp(prefix="gradviz-run-"))
                self._result_path = self._dir / "result.json"
                self._log_path = self._dir / "worker.log"
                source_path = self._dir / "script.py"
                source_path.write_text(source, encoding="utf-8")
                job[0], job[1] = str(source_path), str(self._result_path)
        args = [sys.executable, "-m", "gradviz.core.worker", *job]
        with open(self._log_path, "wb") as log:
            self._process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=cwd or str(self._dir),
                env=_child_env(),
                start_new_session=True,  # its own process group: we kill it whole
            )

    @property
    def elapsed(self) -> float:
        """Seconds since the start, frozen once the run is over."""
        end = self._finished_at if self._finished_at is not None else time.monotonic()
        return end - self._started

    @property
    def done(self) -> bool:
        return self._result is not None

    @property
    def pid(self) -> int:
        return self._process.pid

    def poll(self) -> TraceResult | None:
        """The result once the run is over, else None. Never blocks."""
        if self._result is not None:
            return self._result
        code = self._process.poll()
        if code is None:
            if self.elapsed > self.timeout_s:
                self._kill()
                self._finish(self._timeout_result())
            return self._result
        self._finish(self._collect(code))
        return self._result

    def cancel(self) -> None:
        """Stop the run now; ``poll()`` then reports that the user stopped it."""
        if self._result is not None:
            return
        self._stopped_by_user = True
        self._kill()
        self._finish(
            TraceResult.failed("timeout", f"Stopped after {self.elapsed:.1f} s: you pressed Stop.")
        )

    def wait(self, poll_interval_s: float = 0.02) -> TraceResult:
        """Block until the run is over (for scripts and the CLI, not for a GUI)."""
        while True:
            result = self.poll()
            if result is not None:
                return result
            time.sleep(poll_interval_s)

    # -- internals --------------------------------------------------------

    def _kill(self) -> None:
        try:
            if hasattr(os, "killpg"):
                os.killpg(self._process.pid, signal.SIGKILL)
            else:  # pragma: no cover - not POSIX
                self._process.kill()
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self._process.wait(timeout=2)
        except subprocess.TimeoutExpired:  # pragma: no cover - unkillable child
            pass

    def _finish(self, result: TraceResult) -> None:
        self._finished_at = time.monotonic()
        self._result = result
        # The script may have left children of its own in the group.
        if hasattr(os, "killpg") and not self._stopped_by_user:
            try:
                os.killpg(self._process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        shutil.rmtree(self._dir, ignore_errors=True)
        if _keep_warm[0]:
            prewarm()  # ready for the next run

    def _timeout_result(self) -> TraceResult:
        return TraceResult.failed(
            "timeout",
            f"Stopped after {_seconds(self.timeout_s)} s: the script was still running.",
            hint=TIMEOUT_HINT,
        )

    def _log_tail(self, lines: int = 12) -> str:
        try:
            text = self._log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])

    def _memory_result(self) -> TraceResult:
        return TraceResult.failed(
            "memory", MEMORY_MESSAGE.format(mb=self.memory_mb), hint=MEMORY_HINT
        )

    def _collect(self, code: int) -> TraceResult:
        if code == 0 and self._result_path.exists():
            try:
                return TraceResult.from_json(self._result_path.read_text(encoding="utf-8"))
            except Exception as exc:  # noqa: BLE001 - a bad file is a worker crash
                return TraceResult.failed("crash", f"The worker wrote an unreadable result: {exc}")
        log = self._log_tail()
        if code == EXIT_MEMORY or "MemoryError" in log:
            return self._memory_result()
        if code < 0:
            try:
                how = f"killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"killed by signal {-code}"
            if -code == signal.SIGKILL:
                # Nobody here sent it: on Linux that is the kernel's out-of-memory killer.
                return self._memory_result()
        else:
            how = f"exit code {code}"
        message = f"The process running the script died ({how})."
        if log:
            message += "\n" + log
        return TraceResult.failed(
            "crash",
            message,
            hint="The script, or a library it called, crashed the Python interpreter. "
            "The window is fine: edit the script and run it again.",
        )


def start_run(
    source: str,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_mb: int = DEFAULT_MEMORY_MB,
    filename: str = "<editor>",
    cwd: str | None = None,
) -> SandboxRun:
    """Start running source in a worker process and return at once."""
    return SandboxRun(source, timeout_s, memory_mb, filename=filename, cwd=cwd)


def run_sandboxed(
    source: str,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_mb: int = DEFAULT_MEMORY_MB,
    filename: str = "<editor>",
    cwd: str | None = None,
) -> TraceResult:
    """Run source in a worker process and wait for its result."""
    return start_run(source, timeout_s, memory_mb, filename=filename, cwd=cwd).wait()
