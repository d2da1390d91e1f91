"""Autosave of the editor text, and its recovery after a window that did not close cleanly.

Each window has its own autosave file and lock, named by a per-window id
(``autosave-<pid>-<n>.py`` and ``.lock``), so two windows never overwrite or delete
each other's recovery. A clean close removes both. At start, every autosave whose
lock names a process that is gone (a crash, a SIGKILL, a power cut) is offered back.
Text is written at most ``DEFAULT_DELAY_MS`` after the last keystroke, and at once
(synchronously, atomically) before every Run: a script may kill the window.
"""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QWidget

from gradviz.ui.settings import data_dir

PREFIX = "autosave-"
DEFAULT_DELAY_MS = 400  # the promise is 500 ms; the rest is room for a busy event loop
MAX_DELAY_MS = 2000  # even while typing without a pause, text is never older than this
_window_numbers = itertools.count(1)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False  # kill(0) would ask about our own process group
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists but is not ours
    return True


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", encoding="utf-8", errors="surrogatepass") as out:
        out.write(text)
    os.replace(tmp, path)


@dataclass(frozen=True)
class Orphan:
    """The autosave of a window that did not close cleanly."""

    path: Path
    lock: Path
    text: str
    saved_at: float

    def discard(self) -> None:
        for file in (self.path, self.lock):
            file.unlink(missing_ok=True)


def find_orphans(directory: Path) -> list[Orphan]:
    """Autosaves whose window is gone, newest first."""
    orphans = []
    for path in directory.glob(PREFIX + "*.py"):
        lock = path.with_suffix(".lock")
        try:
            pid = int(lock.read_text().strip() or 0)
        except (OSError, ValueError):
            pid = 0
        if pid and pid != os.getpid() and _pid_alive(pid):
            continue  # a window of another gradviz that is still open owns it
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
            saved_at = path.stat().st_mtime
        except OSError:
            continue
        if text.strip():
            orphans.append(Orphan(path, lock, text, saved_at))
    # Locks of dead windows that had nothing unsaved: nothing to offer, just remove them.
    for lock in directory.glob(PREFIX + "*.lock"):
        if not lock.with_suffix(".py").exists():
            try:
                pid = int(lock.read_text().strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if pid != os.getpid() and not _pid_alive(pid):
                lock.unlink(missing_ok=True)
    return sorted(orphans, key=lambda o: -o.saved_at)


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
        self.window_id = f"{os.getpid()}-{next(_window_numbers)}"
        self.path = self.directory / f"{PREFIX}{self.window_id}.py"
        self._marker = self.path.with_suffix(".lock")
        # Decide before this window writes its own lock.
        self._orphans = find_orphans(self.directory)
        self._delay_ms = delay_ms
        self._first_unsaved: float | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.save_now)
        editor.textChanged.connect(self._changed)

    # -- session -----------------------------------------------------------------

    def recoverable(self) -> list[Orphan]:
        """Every autosave left by a window that did not close cleanly, newest first."""
        return list(self._orphans)

    def recoverable_text(self) -> str | None:
        """The newest text autosaved by a window that did not close cleanly, if any."""
        return self._orphans[0].text if self._orphans else None

    def forget_recoverable(self, orphan: Orphan | None = None) -> None:
        """The learner restored or discarded it: remove its files (default: the newest)."""
        if orphan is None and self._orphans:
            orphan = self._orphans[0]
        if orphan is not None:
            orphan.discard()
            self._orphans = [o for o in self._orphans if o.path != orphan.path]

    def begin_session(self) -> None:
        """Mark this window as open; call once it is up."""
        self._marker.write_text(str(os.getpid()), encoding="utf-8")

    def end_session(self) -> None:
        """A clean close: nothing to recover from this window."""
        self._timer.stop()
        self.path.unlink(missing_ok=True)
        self._marker.unlink(missing_ok=True)

    @property
    def pending(self) -> bool:
        return self._timer.isActive()

    def _changed(self) -> None:
        now = time.monotonic()
        if self._first_unsaved is None:
            self._first_unsaved = now
        overdue_ms = MAX_DELAY_MS - (now - self._first_unsaved) * 1000
        self._timer.start(max(0, int(min(self._delay_ms, overdue_ms))))

    def save_now(self) -> None:
        """Write the text now if it has unsaved changes; otherwise there is nothing to keep."""
        self._timer.stop()
        self._first_unsaved = None
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
