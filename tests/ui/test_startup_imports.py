"""The window starts without the engine, networkx or the story builder: they load with
the first result (or in the background), so a cold start stays quick."""

from __future__ import annotations

import os
import subprocess
import sys

HEAVY = ("engine", "networkx", "gradviz.core.story_builder", "gradviz.core.player")


def test_importing_the_window_loads_no_heavy_module() -> None:
    code = (
        "import sys, gradviz.ui.main_window\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        check=True,
    ).stdout.strip()
    assert out == "", f"imported at start-up: {out}"
