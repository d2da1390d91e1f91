"""Run the hostile corpus through ``gradviz export FILE -o out.json``, two at a time.

    python tests/hostile/run_corpus.py [--only NAME ...] [--report report.json]

This process makes itself a child subreaper, so every process a run leaves behind
(however it detached itself) is re-parented here, where it is seen, named and
killed. For each case it records the outcome the CLI reported, whether that outcome
is allowed, whether any app traceback or multi-line message leaked, how long it took,
and what was left behind (processes, /tmp/gradviz-run-* folders). Exit status 0 when
every case passes.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

from corpus import SPECIAL_FILES, write_corpus  # noqa: E402

from gradviz.core import procs  # noqa: E402

TIME_LIMIT_S = 2
MEMORY_MB = 256
HANG_S = 90  # a CLI still running after this is a hang (a failure of its own)
PARALLEL = 2
_KIND = re.compile(r"gradviz export: (?:the script stopped with an? )?(\w+) error")


def _subreaper() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def _special(folder: Path) -> dict[str, tuple[Path, set[str]]]:
    made = {}
    fifo = folder / "fifo.py"
    os.mkfifo(fifo)
    made["fifo"] = fifo
    made["dev_zero"] = Path("/dev/zero")
    made["dev_urandom"] = Path("/dev/urandom")
    (folder / "folder.py").mkdir()
    made["folder"] = folder / "folder.py"
    made["missing"] = folder / "missing.py"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(folder / "socket_file.py"))
    made["socket_file"] = folder / "socket_file.py"
    assert set(made) == set(SPECIAL_FILES)
    return {name: (path, {"refused"}) for name, path in made.items()}


def classify(out: str, err: str) -> str:
    if "gradviz export: cannot read" in err:
        return "refused"
    match = _KIND.search(err)
    if match:
        return match.group(1)
    if "built no graph" in err or out.startswith("wrote"):
        return "finished"
    return "unknown"


def problems_in(out: str, err: str, code: int) -> list[str]:
    found = []
    text = out + err
    if "Traceback" in text or re.search(r'File "[^"]*gradviz/', text):
        found.append("an app traceback leaked")
    message_lines = [
        line for line in err.splitlines() if line and not line.startswith(("hint:", "note:"))
    ]
    if len(message_lines) > 1:
        found.append(f"{len(message_lines)} message lines")
    if code not in (0, 1, 2):
        found.append(f"exit status {code}")
    return found


def run_case(name: str, path: Path, allowed: set[str], work: Path) -> dict:
    out_file = work / f"{name}.out.json"
    env = dict(os.environ, GRADVIZ_CORPUS_SECRET="s3cret-token", PYTHONPATH=str(REPO))
    env.pop("DISPLAY", None)
    started = time.monotonic()
    cli = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gradviz",
            "export",
            str(path),
            "-o",
            str(out_file),
            "--time-limit",
            str(TIME_LIMIT_S),
            "--memory-limit",
            str(MEMORY_MB),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=str(work),
    )
    try:
        out, err = cli.communicate(timeout=HANG_S)
        hung = False
    except subprocess.TimeoutExpired:
        cli.kill()
        out, err = cli.communicate()
        hung = True
    elapsed = time.monotonic() - started
    out_text = out.decode("utf-8", "replace")
    err_text = err.decode("utf-8", "replace")
    outcome = classify(out_text, err_text)
    problems = problems_in(out_text, err_text, cli.returncode)
    if hung:
        problems.append("the CLI hung")
    if outcome not in allowed:
        problems.append(f"outcome {outcome}, expected one of {sorted(allowed)}")
    if "s3cret-token" in out_text + err_text or (
        out_file.exists() and b"s3cret-token" in out_file.read_bytes()
    ):
        problems.append("the app's environment leaked to the script")
    leftovers = _leftovers_of(cli.pid)
    if leftovers:
        problems.append(f"left behind {len(leftovers)} process(es)")
    dirs = list(Path(tempfile.gettempdir()).glob(f"gradviz-run-{cli.pid}-*"))
    if dirs:
        problems.append(f"left {len(dirs)} run folder(s)")
    return {
        "name": name,
        "outcome": outcome,
        "seconds": round(elapsed, 2),
        "problems": problems,
        "message": err_text.strip().splitlines()[:1] or out_text.strip().splitlines()[:1],
    }


_lock = threading.Lock()


def _leftovers_of(cli_pid: int) -> list[int]:
    """Processes re-parented to us whose working folder belongs to that CLI's runs."""
    time.sleep(0.05)
    found = []
    with _lock:
        for pid in procs.descendants(os.getpid()):
            try:
                cwd = os.readlink(f"/proc/{pid}/cwd")
            except OSError:
                cwd = ""
            if f"gradviz-run-{cli_pid}-" in cwd:
                found.append(pid)
                os.kill(pid, signal.SIGKILL)
        for pid in found:  # only those: waitpid(-1) could steal a running CLI's status
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
    return found


def _reap() -> None:
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--report")
    args = parser.parse_args(argv)
    _subreaper()
    with tempfile.TemporaryDirectory(prefix="gradviz-hostile-") as tmp:
        folder = Path(tmp)
        table = write_corpus(folder / "scripts")
        table.update(_special(folder))
        if args.only:
            table = {k: v for k, v in table.items() if k in set(args.only)}
        started = time.monotonic()
        with ThreadPoolExecutor(PARALLEL) as pool:
            futures = [
                pool.submit(run_case, name, path, allowed, folder)
                for name, (path, allowed) in sorted(table.items())
            ]
            results = [f.result() for f in futures]
        total = time.monotonic() - started
        # Nothing at all may remain, whoever left it.
        stray = procs.descendants(os.getpid())
        for pid in stray:
            os.kill(pid, signal.SIGKILL)
        _reap()
    failed = [r for r in results if r["problems"]]
    report = {
        "cases": len(results),
        "failed": len(failed),
        "seconds": round(total, 1),
        "stray_processes": len(stray),
        "results": results,
    }
    if args.report:
        Path(args.report).write_text(json.dumps(report, indent=1))
    for r in failed:
        print(f"FAIL {r['name']}: {'; '.join(r['problems'])} | {r['message']}")
    print(f"{len(results)} cases, {len(failed)} failed, {len(stray)} stray, {total:.1f} s")
    return 1 if failed or stray else 0


if __name__ == "__main__":
    sys.exit(main())
