"""Autosave of the editor text, and its recovery after a session that did not exit cleanly.

While the app runs, a marker file names the running process. A clean exit removes
it; if the next start still finds it (a crash, a kill, a power cut), the last
autosaved text is offered back through a ``RecoveryBar``.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QWidget

from gradviz.ui.settings import data_dir

AUTOSAVE_NAME = "autosave.py"
MARKER_NAME = "session.lock"
DEFAULT_DELAY_MS = 1500


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists but is not ours
    return True


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class AutoSave(QObject):
    """Saves an editor's text shortly after each change; knows about unclean exits."""

    saved = Signal()

    def __init__(
        self,
        editor: QPlainTextEdit,
        directory: Path | None = None,
        delay_ms: int = DEFAULT_DELAY_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent or editor)
        self._editor = editor
        self.directory = Path(directory) if directory is not None else data_dir()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / AUTOSAVE_NAME
        self._marker = self.directory / MARKER_NAME
        # Decide before this session writes its own marker.
        self._recoverable = self._find_recoverable()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.save_now)
        editor.textChanged.connect(self._timer.start)

    # -- session -----------------------------------------------------------------

    def _find_recoverable(self) -> str | None:
        if not self._marker.exists() or not self.path.exists():
            return None
        try:
            pid = int(self._marker.read_text().strip() or 0)
        except (OSError, ValueError):
            pid = 0
        # Another window that is still open owns the file: nothing crashed.
        if pid and pid != os.getpid() and _pid_alive(pid):
            return None
        text = self.path.read_text(encoding="utf-8", errors="replace")
        return text if text.strip() else None

    def recoverable_text(self) -> str | None:
        """The text autosaved by a session that did not exit cleanly, if any."""
        return self._recoverable

    def forget_recoverable(self) -> None:
        self._recoverable = None

    def begin_session(self) -> None:
        """Mark this session as running; call once the window is up."""
        self._marker.write_text(str(os.getpid()), encoding="utf-8")

    def end_session(self) -> None:
        """A clean exit: save any unsaved text and remove the marker."""
        self.save_now()
        try:
            self._marker.unlink()
        except FileNotFoundError:
            pass

    @property
    def pending(self) -> bool:
        return self._timer.isActive()

    def save_now(self) -> None:
        """Write the text now if it has unsaved changes; otherwise there is nothing to keep."""
        self._timer.stop()
        try:
            if self._editor.document().isModified():
                _write_atomically(self.path, self._editor.toPlainText())
            else:
                self.path.unlink(missing_ok=True)
        except OSError:
            return  # a full disk must not break editing; the next change retries
        self.saved.emit()


class RecoveryBar(QFrame):
    """A non-modal bar above the editor: "Recover the text from the last session?"."""

    restoreRequested = Signal(str)
    dismissed = Signal()

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = text
        self.setObjectName("RecoveryBar")
        self.setStyleSheet(
            "#RecoveryBar { background: #fff8e1; border: 1px solid #f0d48a; border-radius: 4px; }"
        )
        lines = text.count("\n") + 1
        label = QLabel(
            f"gradviz did not close properly last time. Restore the unsaved code ({lines} lines)?"
        )
        label.setWordWrap(True)
        self.restore_button = QPushButton("Restore")
        self.discard_button = QPushButton("Discard")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(label, 1)
        layout.addWidget(self.restore_button)
        layout.addWidget(self.discard_button)
        self.restore_button.clicked.connect(self._restore)
        self.discard_button.clicked.connect(self._discard)

    def _restore(self) -> None:
        self.restoreRequested.emit(self.text)
        self.hide()

    def _discard(self) -> None:
        self.dismissed.emit()
        self.hide()
