"""The sandbox runs scripts in a worker process that can be stopped, capped and lost."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

from gradviz.core import sandbox
from gradviz.core.sandbox import run_sandboxed, start_run

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "assets" / "examples").glob("*.py"))
SMALL_MB = 256


def _gone(pid: int, within_s: float = 2.0) -> bool:
    """Killing is asynchronous: the process is reaped soon after, never waited for."""
    deadline = time.monotonic() + within_s
    while True:
        sandbox.reap_dying()
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)


def test_a_normal_script_returns_its_result_and_output() -> None:
    source = (
        "import torch\n"
        "x = torch.ones(2, requires_grad=True)\n"
        "y = (x * x).sum()\n"
        "y.backward()\n"
        "print('grad:', x.grad)\n"
        "print('{not json}')\n"
    )
    result = run_sandboxed(source, timeout_s=30, memory_mb=SMALL_MB)
    assert result.error is None, result.error
    assert "grad: tensor([2., 2.])" in result.stdout
    assert "{not json}" in result.stdout  # printing never mixes with the result channel


def test_start_run_does_not_block() -> None:
    started = time.monotonic()
    run = start_run("import time\ntime.sleep(30)\n", timeout_s=30)
    try:
        assert time.monotonic() - started < 0.5
        assert run.poll() is None
    finally:
        run.cancel()


def test_an_endless_loop_is_stopped_at_the_time_limit() -> None:
    run = start_run("while True:\n    pass\n", timeout_s=1.5)
    result = run.wait()
    assert result.error is not None and result.error.kind == "timeout"
    assert "Stopped after 1.5 s" in result.error.message
    assert result.error.hint
    assert run.elapsed < 8.0  # the limit counts the script; start-up comes on top
    assert _gone(run.pid)
    assert not list(Path(tempfile.gettempdir()).glob(f"gradviz-run-{os.getpid()}-*"))


def test_cancel_ends_the_run_within_a_second() -> None:
    run = start_run("while True:\n    pass\n", timeout_s=60)
    time.sleep(0.5)
    started = time.monotonic()
    run.cancel()
    result = run.poll()
    assert time.monotonic() - started < 1.0
    assert result is not None and result.error.kind == "timeout"
    assert "Stop" in result.error.message
    assert _gone(run.pid)


def _data_limit(pid: int) -> str:
    with open(f"/proc/{pid}/limits") as limits:
        return next(line for line in limits if line.startswith("Max data size")).split()[3]


def test_a_spare_is_confined_before_its_job_and_serves_only_its_own_limits() -> None:
    sandbox.prewarm()
    try:
        first = run_sandboxed("x = 1\n", timeout_s=30, memory_mb=SMALL_MB)
        assert first.error is None
        sandbox.prewarm_if_wanted()  # the next spare, confined for the last run's limits
        spare = sandbox._spare[0]
        deadline = time.monotonic() + 30
        while _data_limit(spare.process.pid) == "unlimited" and time.monotonic() < deadline:
            time.sleep(0.05)  # it confines itself once its imports are done
        assert int(_data_limit(spare.process.pid)) < (SMALL_MB + 512) * 1024 * 1024
        same = start_run("print('same')\n", timeout_s=30, memory_mb=SMALL_MB)
        assert same._worker is spare and "same" in same.wait().stdout
        sandbox.prewarm_if_wanted()
        other_spare = sandbox._spare[0]
        bigger = start_run("print('bigger')\n", timeout_s=30, memory_mb=2 * SMALL_MB)
        assert bigger._worker is not other_spare  # confined for other limits: not used
        assert "bigger" in bigger.wait().stdout
    finally:
        sandbox.shutdown_prewarmed()


def test_stop_asks_first_and_kills_after_the_grace_period(tmp_path) -> None:
    """SIGTERM first, so a script's handler may tidy up; SIGKILL once the grace is over,
    even for a script that ignores SIGTERM. cancel() itself never waits."""
    tidied = tmp_path / "tidied"
    source = (
        "import signal, time\n"
        "def tidy(*_):\n"
        f"    open({str(tidied)!r}, 'w').write('yes')\n"
        "    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "signal.signal(signal.SIGTERM, tidy)\n"
        "print('ready', flush=True)\n"
        "while True:\n"
        "    time.sleep(0.01)\n"
    )
    run = start_run(source, timeout_s=60, allow_writes=True)
    deadline = time.monotonic() + 20
    while run._script_started is None and time.monotonic() < deadline:
        run.poll()
        time.sleep(0.02)
    time.sleep(0.3)
    run.cancel()
    assert run.poll().error.kind == "timeout"
    assert not _gone(run.pid, within_s=sandbox.GRACE_S / 3)  # still in its grace period
    assert _gone(run.pid, within_s=sandbox.GRACE_S + 2.0)
    assert tidied.read_text() == "yes"


@pytest.mark.parametrize(
    ("setsid", "ending"),
    [(True, "timeout"), (True, "finished"), (False, "finished")],
    ids=["setsid-child-timeout", "setsid-child-finished", "child-finished"],
)
def test_children_of_the_script_are_killed_too(tmp_path, setsid: bool, ending: str) -> None:
    pid_file = tmp_path / "child.pid"
    child = (
        "import os, time; os.setsid(); time.sleep(60)" if setsid else "import time; time.sleep(60)"
    )
    source = (
        "import subprocess, sys\n"
        f"p = subprocess.Popen([sys.executable, '-c', {child!r}])\n"
        f"open({str(pid_file)!r}, 'w').write(str(p.pid))\n"
        + ("while True:\n    pass\n" if ending == "timeout" else "")
    )
    limit = 1.5 if ending == "timeout" else 20
    result = run_sandboxed(source, timeout_s=limit, allow_writes=True)
    assert (result.error.kind if result.error else "finished") == ending, result.error
    assert _gone(int(pid_file.read_text()))


def test_a_huge_allocation_is_reported_as_memory() -> None:
    result = run_sandboxed("x = bytearray(10**11)\n", timeout_s=30, memory_mb=SMALL_MB)
    assert result.error is not None and result.error.kind == "memory"
    assert f"{SMALL_MB} MB" in result.error.message
    assert result.error.hint


def test_a_growing_list_is_stopped_by_the_memory_limit() -> None:
    source = "chunks = []\nwhile True:\n    chunks.append(bytearray(2**20))\n"
    result = run_sandboxed(source, timeout_s=30, memory_mb=SMALL_MB)
    assert result.error is not None and result.error.kind == "memory", result.error


def test_a_dying_interpreter_is_named_by_its_signal() -> None:
    result = run_sandboxed("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    assert result.error is not None and result.error.kind == "signal"
    assert "SIGSEGV" in result.error.message


@pytest.mark.parametrize(
    ("source", "kind", "words"),
    [
        ("import os\nos.kill(os.getpid(), 9)\n", "signal", "SIGKILL"),
        ("import os\nos._exit(3)\n", "exit", "code 3"),
        ("import os\nos._exit(0)\n", "exit", "os._exit(0)"),
        ("import sys\nsys.exit(4)\n", "runtime", "SystemExit: 4"),
        ("import sys\nsys.exit(0)\nprint('not reached')\n", None, ""),
    ],
    ids=["sigkill", "os-exit-3", "os-exit-0", "sys-exit-4", "sys-exit-0"],
)
def test_every_ending_has_its_own_outcome(source: str, kind: str | None, words: str) -> None:
    result = run_sandboxed(source, timeout_s=10, memory_mb=SMALL_MB)
    assert (result.error.kind if result.error else None) == kind, result.error
    if kind:
        assert words in result.error.message and "\n" not in result.error.message
        assert "MB" not in result.error.message  # never mistaken for the memory limit


@pytest.mark.parametrize(
    "leftover",
    [
        "import threading, time\nthreading.Thread(target=time.sleep, args=(60,)).start()\n",
        "import atexit, time\natexit.register(time.sleep, 60)\n",
        "import multiprocessing as mp, time\nmp.Process(target=time.sleep, args=(60,)).start()\n",
    ],
    ids=["thread", "atexit", "multiprocessing"],
)
def test_what_a_finished_script_leaves_running_does_not_make_it_time_out(leftover: str) -> None:
    result = run_sandboxed(leftover + "print('done')\n", timeout_s=5, memory_mb=SMALL_MB)
    assert result.error is None, result.error
    assert result.stdout == "done\n"


def test_the_worker_gets_a_scrubbed_environment_and_a_private_folder(monkeypatch) -> None:
    monkeypatch.setenv("GRADVIZ_TEST_SECRET_TOKEN", "s3cret")
    source = (
        "import os, sys\n"
        "print(sorted(os.environ))\n"
        "print(os.getcwd() == os.environ['HOME'], os.listdir('.'))\n"
        "print(sys.argv)\n"
    )
    result = run_sandboxed(source, timeout_s=10)
    assert result.error is None, result.error
    assert "GRADVIZ_TEST_SECRET_TOKEN" not in result.stdout and "s3cret" not in result.stdout
    assert "True []" in result.stdout  # cwd is HOME, a fresh empty folder
    assert "result" not in result.stdout  # no result path to rewrite


def test_many_threads_work_under_the_memory_limit() -> None:
    source = (
        "import threading\n"
        "done = []\n"
        "ts = [threading.Thread(target=done.append, args=(i,)) for i in range(50)]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]\n"
        "print(len(done))\n"
    )
    result = run_sandboxed(source, timeout_s=10, memory_mb=SMALL_MB)
    assert result.error is None, result.error
    assert result.stdout == "50\n"


def test_the_memory_limit_cannot_be_raised_by_the_script() -> None:
    source = (
        "import resource\n"
        "soft, hard = resource.getrlimit(resource.RLIMIT_DATA)\n"
        "resource.setrlimit(resource.RLIMIT_DATA, (hard * 4, hard * 4))\n"
    )
    result = run_sandboxed(source, timeout_s=10, memory_mb=SMALL_MB)
    assert result.error is not None and result.error.kind == "runtime"
    assert "ValueError" in result.error.message or "Error" in result.error.message
    big = "import numpy as np\nx = np.ones(600 * 2**20 // 8)\nprint(x.sum())\n"
    result = run_sandboxed(big, timeout_s=10, memory_mb=SMALL_MB)
    assert result.error is not None and result.error.kind == "memory", result.error


def test_network_and_outside_writes_are_off_unless_allowed(tmp_path) -> None:
    target = tmp_path / "outside.txt"
    source = (
        "import socket\n"
        "try:\n"
        "    socket.create_connection(('127.0.0.1', 9), timeout=1)\n"
        "except OSError as e:\n"
        "    print('net', e.errno)\n"
        "try:\n"
        f"    f = open({str(target)!r}, 'w')\n    f.write('x')\n    f.close()\n"
        "    print('wrote')\n"
        "except OSError as e:\n"
        "    print('write', type(e).__name__)\n"
        "f = open('inside.txt', 'w')\nf.write('ok')\nf.close()\n"
        "f = open('inside.txt')\nprint(f.read())\nf.close()\n"
    )
    result = run_sandboxed(source, timeout_s=10)
    assert result.error is None, result.error
    if "network: off" in result.sandbox:
        assert "net 101" in result.stdout  # no route: only a down loopback exists
    if "working folder only" in result.sandbox:
        assert "write PermissionError" in result.stdout and not target.exists()
    assert result.stdout.rstrip().endswith("ok")
    allowed = run_sandboxed(source, timeout_s=10, allow_network=True, allow_writes=True)
    assert "wrote" in allowed.stdout and target.read_text() == "x"
    assert "net 101" not in allowed.stdout


def test_a_syntax_error_comes_back_with_its_line() -> None:
    result = run_sandboxed("x = 1\ny = (x +\n", timeout_s=30)
    assert result.error is not None and result.error.kind == "syntax"
    assert result.error.line in (2, 3)


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_bundled_example_runs(example: Path) -> None:
    result = run_sandboxed(example.read_text(), timeout_s=60, filename=example.name)
    if example.stem == "08_retain_graph":
        # It ends by raising, on purpose, so that the learner sees the error.
        assert result.error is not None and result.error.kind == "runtime"
        assert "second time" in result.error.message
        assert result.error.line == len(example.read_text().splitlines())
    else:
        assert result.error is None, f"{example.name}: {result.error}"
    assert result.stdout.strip()


def test_a_worker_whose_parent_dies_dies_with_it(tmp_path) -> None:
    """If the app itself is killed, its worker (and the worker's children) go too."""
    import subprocess
    import sys

    pid_file = tmp_path / "worker.pid"
    app = (
        "import os, time\n"
        "from gradviz.core.sandbox import start_run\n"
        "run = start_run('while True:\\n    pass\\n', timeout_s=60)\n"
        f"open({str(pid_file)!r}, 'w').write(str(run.pid))\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", app])
    deadline = time.monotonic() + 20
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    worker = int(pid_file.read_text())
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 5
    while Path(f"/proc/{worker}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{worker}").exists()
