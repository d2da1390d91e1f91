"""Every hostile script through ``gradviz export FILE -o out.json``: each ends with one
clear line within its limit, no app traceback, nothing left behind (run_corpus.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_the_whole_hostile_corpus(tmp_path) -> None:
    from corpus import SPECIAL_FILES, cases

    assert len(cases()) + len(SPECIAL_FILES) >= 150
    report = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, str(HERE / "run_corpus.py"), "--report", str(report)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    data = json.loads(report.read_text())
    failures = [
        f"{r['name']}: {'; '.join(r['problems'])}" for r in data["results"] if r["problems"]
    ]
    assert not failures, "\n".join(failures) + "\n" + done.stdout[-2000:]
    assert data["stray_processes"] == 0
    assert done.returncode == 0
