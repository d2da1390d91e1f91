from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from PySide6.QtWidgets import QPlainTextEdit

from gradviz.ui.autosave import AutoSave, RecoveryBar

REPO = Path(__file__).resolve().parents[2]


def make(qtbot, folder: Path, delay_ms: int = 50) -> tuple[QPlainTextEdit, AutoSave]:
    editor = QPlainTextEdit()
    qtbot.addWidget(editor)
    return editor, AutoSave(editor, directory=folder, delay_ms=delay_ms)


def type_text(editor: QPlainTextEdit, text: str) -> None:
    editor.insertPlainText(text)  # like typing: the document becomes modified


def test_text_is_saved_after_a_pause(qtbot, tmp_path) -> None:
    editor, autosave = make(qtbot, tmp_path)
    type_text(editor, "x = 1")
    assert autosave.pending
    with qtbot.waitSignal(autosave.saved, timeout=2000):
        pass
    assert autosave.path.read_text() == "x = 1"


def test_saved_or_unchanged_text_leaves_nothing_to_recover(qtbot, tmp_path) -> None:
    editor, autosave = make(qtbot, tmp_path)
    type_text(editor, "x = 1")
    autosave.save_now()
    editor.document().setModified(False)  # e.g. File → Save
    autosave.save_now()
    assert not autosave.path.exists()


def test_clean_exit_offers_nothing(qtbot, tmp_path) -> None:
    editor, autosave = make(qtbot, tmp_path)
    autosave.begin_session()
    type_text(editor, "x = 1")
    autosave.end_session()
    _editor, again = make(qtbot, tmp_path)
    assert again.recoverable_text() is None


def test_unclean_exit_in_this_process_is_offered(qtbot, tmp_path) -> None:
    editor, autosave = make(qtbot, tmp_path)
    autosave.begin_session()
    type_text(editor, "y = 2")
    autosave.save_now()
    # No end_session(): as if the window had died.
    _editor, again = make(qtbot, tmp_path)
    assert again.recoverable_text() == "y = 2"


def test_killed_process_is_offered_back(qtbot, tmp_path) -> None:
    script = textwrap.dedent(
        f"""
        import os, signal
        from PySide6.QtWidgets import QApplication, QPlainTextEdit
        from gradviz.ui.autosave import AutoSave
        app = QApplication([])
        editor = QPlainTextEdit()
        autosave = AutoSave(editor, directory={str(tmp_path)!r})
        autosave.begin_session()
        editor.insertPlainText("z = 3  # unsaved")
        autosave.save_now()
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", script], env=env, timeout=60)
    assert done.returncode == -9
    _editor, again = make(qtbot, tmp_path)
    assert again.recoverable_text() == "z = 3  # unsaved"


def test_a_live_other_session_is_not_a_crash(qtbot, tmp_path) -> None:
    editor, autosave = make(qtbot, tmp_path)
    autosave.begin_session()
    type_text(editor, "a = 1")
    autosave.save_now()
    autosave.path.with_suffix(".lock").write_text(str(os.getppid()))  # alive, not us
    _editor, again = make(qtbot, tmp_path)
    assert again.recoverable_text() is None


def test_two_windows_never_touch_each_others_recovery(qtbot, tmp_path) -> None:
    first_editor, first = make(qtbot, tmp_path)
    second_editor, second = make(qtbot, tmp_path)
    assert first.path != second.path
    for autosave in (first, second):
        autosave.begin_session()
    type_text(first_editor, "one = 1")
    type_text(second_editor, "two = 2")
    first.save_now()
    second.save_now()
    first.end_session()  # a clean close of the first window
    assert second.path.read_text() == "two = 2"
    # The second window now "dies": a new start offers its text, and only that.
    _editor, third = make(qtbot, tmp_path)
    assert [o.text for o in third.recoverable()] == ["two = 2"]


def test_every_orphaned_window_is_offered(qtbot, tmp_path) -> None:
    for text in ("a = 1", "b = 2", "c = 3"):
        editor, autosave = make(qtbot, tmp_path)
        autosave.begin_session()
        type_text(editor, text)
        autosave.save_now()
    _editor, again = make(qtbot, tmp_path)
    orphans = again.recoverable()
    assert sorted(o.text for o in orphans) == ["a = 1", "b = 2", "c = 3"]
    again.forget_recoverable(orphans[0])
    assert len(again.recoverable()) == 2 and not orphans[0].path.exists()


def test_typing_without_a_pause_is_still_saved_within_the_cap(qtbot, tmp_path) -> None:
    from gradviz.ui import autosave as module

    editor, autosave = make(qtbot, tmp_path, delay_ms=module.DEFAULT_DELAY_MS)
    assert module.DEFAULT_DELAY_MS <= 500
    saves = []
    autosave.saved.connect(lambda: saves.append(1))
    for i in range(12):  # a keystroke every 200 ms: the 500 ms pause never comes
        type_text(editor, str(i % 10))
        qtbot.wait(200)
    assert saves and autosave.path.exists()


def test_recovery_bar_restores_or_discards(qtbot) -> None:
    bar = RecoveryBar("w = 4\nv = 5")
    qtbot.addWidget(bar)
    bar.show()
    with qtbot.waitSignal(bar.restoreRequested) as blocker:
        bar.restore_button.click()
    assert blocker.args == ["w = 4\nv = 5"] and not bar.isVisible()
    other = RecoveryBar("q = 1")
    qtbot.addWidget(other)
    other.show()
    with qtbot.waitSignal(other.dismissed):
        other.discard_button.click()
