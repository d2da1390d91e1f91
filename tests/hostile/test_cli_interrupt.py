"""Ctrl+C on ``gradviz export``: one line, and no worker left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _workers_of(cli_pid: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                cwd = os.readlink(f"/proc/{name}/cwd")
            except OSError:
                continue
            if f"gradviz-run-{cli_pid}-" in cwd:
                found.append(int(name))
    return found


def test_ctrl_c_prints_one_line_and_leaves_no_worker(tmp_path) -> None:
    script = tmp_path / "loop.py"
    script.write_text("while True:\n    pass\n")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    cli = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gradviz",
            "export",
            str(script),
            "-o",
            str(tmp_path / "o.json"),
            "--time-limit",
            "60",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 30
    while not _workers_of(cli.pid):
        assert time.monotonic() < deadline and cli.poll() is None
        time.sleep(0.05)
    workers = _workers_of(cli.pid)
    cli.send_signal(signal.SIGINT)  # what Ctrl+C in a terminal does
    _out, err = cli.communicate(timeout=30)
    assert cli.returncode == 130
    assert err.strip().count("\n") == 0 and "interrupted" in err
    assert "Traceback" not in err
    time.sleep(0.2)
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
    assert not list(Path("/tmp").glob(f"gradviz-run-{cli.pid}-*"))
