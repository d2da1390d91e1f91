"""PySide6 6.12.0 drops a reference to None on every void call and soon dies with
"Fatal Python error: none_dealloc". Check the installed PySide6 survives many such
calls, in a subprocess so that a crash fails this test instead of killing the run."""

from __future__ import annotations

import subprocess
import sys

import PySide6

SCRIPT = """
from PySide6.QtCore import QObject
o = QObject()
for _ in range(20_000):
    o.setObjectName("x")
print("ok")
"""


def test_installed_pyside6_is_below_6_12() -> None:
    major, minor = (int(part) for part in PySide6.__version__.split(".")[:2])
    assert (major, minor) < (6, 12), f"PySide6 {PySide6.__version__}: 6.12 crashes"


def test_many_void_calls_do_not_crash_the_interpreter() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stderr[-2000:]}"
    assert done.stdout.strip() == "ok"
