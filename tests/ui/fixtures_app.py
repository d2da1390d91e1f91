"""Fixtures for the app's UI tests: an isolated data folder and a ready main window.

Import what you use from here (``from fixtures_app import window``); tests/ui's
conftest puts this folder on sys.path.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "gradviz" / "assets" / "examples"
TEST_TIME_LIMIT_S = 5.0
TEST_MEMORY_MB = 256


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings and autosave go to a fresh folder, never the user's profile."""
    folder = tmp_path / "gradviz-data"
    folder.mkdir()
    monkeypatch.setenv("GRADVIZ_DATA_DIR", str(folder))
    return folder


def make_window(qtbot, time_limit_s: float = TEST_TIME_LIMIT_S):
    from gradviz.ui.app import create_application
    from gradviz.ui.main_window import MainWindow

    create_application()
    window = MainWindow()
    window.files.confirm_discard = lambda: True  # no modal "save changes?" in tests
    window.set_time_limit_s(time_limit_s)
    window.set_memory_limit_mb(TEST_MEMORY_MB)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    # A first start runs the example it loads: let that run finish before the test.
    qtbot.waitUntil(lambda: not window.running, timeout=20000)
    return window


@pytest.fixture
def window(qtbot, data_dir):
    """A shown MainWindow with short run limits; any run is stopped at the end."""
    win = make_window(qtbot)
    yield win
    win.stop()


def wait_for_run(qtbot, window, timeout_ms: int = 15000) -> None:
    """Process events until the window's run has finished and been shown."""
    qtbot.waitUntil(lambda: not window.running, timeout=timeout_ms)


def run_code(qtbot, window, source: str, timeout_ms: int = 15000):
    window.files.set_text(source)
    window.run()
    wait_for_run(qtbot, window, timeout_ms)
    return window.result
