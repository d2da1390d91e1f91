"""The sandbox runs scripts in a worker process that can be stopped, capped and lost."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from gradviz.core.sandbox import run_sandboxed, start_run

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "assets" / "examples").glob("*.py"))
SMALL_MB = 256


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


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
    assert run.elapsed < 3.0
    assert _gone(run.pid)


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


def test_children_of_the_script_are_killed_too(tmp_path) -> None:
    pid_file = tmp_path / "child.pid"
    source = (
        "import subprocess, sys\n"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(p.pid))\n"
        "while True:\n    pass\n"
    )
    result = run_sandboxed(source, timeout_s=1.0)
    assert result.error.kind == "timeout"
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 2
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(child)


def test_a_huge_allocation_is_reported_as_memory() -> None:
    result = run_sandboxed("x = bytearray(10**11)\n", timeout_s=30, memory_mb=SMALL_MB)
    assert result.error is not None and result.error.kind == "memory"
    assert f"{SMALL_MB} MB" in result.error.message
    assert result.error.hint


def test_a_growing_list_is_stopped_by_the_memory_limit() -> None:
    source = "chunks = []\nwhile True:\n    chunks.append(bytearray(2**20))\n"
    result = run_sandboxed(source, timeout_s=30, memory_mb=SMALL_MB)
    assert result.error is not None and result.error.kind == "memory", result.error


def test_a_dying_interpreter_is_a_crash() -> None:
    result = run_sandboxed("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    assert result.error is not None and result.error.kind == "crash"
    assert "SIGSEGV" in result.error.message


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


def test_an_orphaned_worker_still_dies_by_its_cpu_limit(tmp_path) -> None:
    """If the app itself dies, nobody kills the worker: its own CPU limit does."""
    import subprocess
    import sys

    source = tmp_path / "loop.py"
    source.write_text("while True:\n    pass\n")
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gradviz.core.worker",
            str(source),
            str(tmp_path / "r"),
            "256",
            "<editor>",
            "1",
        ],
        timeout=30,
    )
    assert done.returncode != 0 and time.monotonic() - started < 10


def test_prewarmed_worker_runs_the_next_script_and_is_replaced():
    from gradviz.core import sandbox

    sandbox.prewarm()
    try:
        spare = sandbox._spare[0]
        assert spare is not None and spare.alive()
        result = sandbox.run_sandboxed("import torch\nprint(torch.ones(2) * 3)\n", timeout_s=20)
        assert result.error is None and result.stdout == "tensor([3., 3.])\n"
        assert sandbox._spare[0] is not None and sandbox._spare[0] is not spare  # a new spare
        run = sandbox.start_run("while True:\n    pass\n", timeout_s=20)
        time.sleep(0.3)
        run.cancel()
        assert run.poll().error.kind == "timeout"
    finally:
        sandbox.shutdown_prewarmed()
    assert sandbox._spare[0] is None
