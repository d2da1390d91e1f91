"""Opening and saving scripts: dialogs, the recent-files menu, drag and drop.

Opening a file only loads it into the editor; it never runs it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QPlainTextEdit, QWidget

from gradviz.core.script_file import ScriptFileError, read_script
from gradviz.ui.settings import Settings

FILE_FILTER = "Python scripts (*.py);;All files (*)"


def dropped_script(event: QDragEnterEvent | QDropEvent) -> str | None:
    """The local file a drag carries, if it is a single plain file."""
    mime = event.mimeData()
    if not mime.hasUrls() or len(mime.urls()) != 1:
        return None
    url = mime.urls()[0]
    if not url.isLocalFile():
        return None
    path = url.toLocalFile()
    return path if Path(path).is_file() else None


class FileController(QObject):
    """Owns the current file of one editor: open, save, save as, recent, drops."""

    fileOpened = Signal(str)  # path, after its text is in the editor
    fileSaved = Signal(str)
    titleChanged = Signal(str)  # "name.py — gradviz" style window title
    recentChanged = Signal()

    def __init__(self, editor: QPlainTextEdit, settings: Settings, parent: QWidget) -> None:
        super().__init__(parent)
        self._editor = editor
        self._settings = settings
        self._window = parent
        self.path: Path | None = None
        self.untitled_name: str | None = None
        # Asked before discarding unsaved text; returns False to cancel. Replaceable
        # (the tests answer without a modal dialog).
        self.confirm_discard: Callable[[], bool] = self._ask_to_save
        # Shows why a file could not be opened; replaceable like confirm_discard.
        self.warn: Callable[[str, str], object] = lambda title, text: QMessageBox.warning(
            self._window, title, text
        )
        self.last_error = ""
        editor.modificationChanged.connect(lambda _m: self.titleChanged.emit(self.title()))

    # -- state -------------------------------------------------------------------

    @property
    def modified(self) -> bool:
        return self._editor.document().isModified()

    def display_name(self) -> str:
        if self.path is not None:
            return self.path.name
        return self.untitled_name or "untitled"

    def title(self) -> str:
        return f"{self.display_name()}{' •' if self.modified else ''} — gradviz"

    # -- opening -----------------------------------------------------------------

    def open_dialog(self) -> bool:
        if not self.confirm_discard():
            return False
        path, _ = QFileDialog.getOpenFileName(
            self._window, "Open script", self._start_dir(), FILE_FILTER
        )
        return bool(path) and self.open_path(path, confirm=False)

    def open_path(self, path: str | Path, confirm: bool = True) -> bool:
        """Load a file into the editor (never runs it). False if it cannot be read."""
        if confirm and not self.confirm_discard():
            return False
        path = Path(path)
        try:
            text = read_script(path)  # never blocks on a FIFO; refuses devices and huge files
        except ScriptFileError as exc:
            self.last_error = f"Cannot open {path.name}: {exc}."
            self.warn("Cannot open file", f"{path}\n\n{self.last_error}")
            return False
        self.set_text(text, path)
        self._settings.add_recent_file(str(path))
        self._settings.set_last_directory(str(path.resolve().parent))
        self.recentChanged.emit()
        self.fileOpened.emit(str(path))
        return True

    def set_text(self, text: str, path: Path | None = None, name: str | None = None) -> None:
        """Replace the editor text as a fresh, unmodified document (undo still works).

        name labels text that has no file of its own, such as an example."""
        self.path = path
        self.untitled_name = name
        cursor = self._editor.textCursor()
        cursor.select(cursor.SelectionType.Document)
        cursor.insertText(text)
        cursor.movePosition(cursor.MoveOperation.Start)
        self._editor.setTextCursor(cursor)
        self._editor.document().setModified(False)
        self.titleChanged.emit(self.title())

    # -- saving ------------------------------------------------------------------

    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self.save_to(self.path)

    def save_as(self) -> bool:
        start = str(self.path) if self.path else str(Path(self._start_dir()) / "script.py")
        path, _ = QFileDialog.getSaveFileName(self._window, "Save script", start, FILE_FILTER)
        if not path:
            return False
        if not Path(path).suffix:
            path += ".py"
        return self.save_to(Path(path))

    def save_to(self, path: str | Path) -> bool:
        path = Path(path)
        try:
            path.write_text(self._editor.toPlainText(), encoding="utf-8")
        except OSError as exc:
            QMessageBox.warning(self._window, "Cannot save file", f"{path}\n\n{exc}")
            return False
        self.path = path
        self._editor.document().setModified(False)
        self._settings.add_recent_file(str(path))
        self._settings.set_last_directory(str(path.resolve().parent))
        self.recentChanged.emit()
        self.titleChanged.emit(self.title())
        self.fileSaved.emit(str(path))
        return True

    # -- helpers -------------------------------------------------------------------

    def _start_dir(self) -> str:
        if self.path is not None:
            return str(self.path.parent)
        return self._settings.last_directory() or str(Path.home())

    def _ask_to_save(self) -> bool:
        if not self.modified or not self._editor.toPlainText().strip():
            return True
        answer = QMessageBox.question(
            self._window,
            "Unsaved changes",
            f"Save the changes to {self.display_name()}?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard


class RecentFilesMenu(QMenu):
    """File → Recent: rebuilt from settings whenever it is about to show."""

    def __init__(self, files: FileController, settings: Settings, parent: QWidget) -> None:
        super().__init__("Open &Recent", parent)
        self._files = files
        self._settings = settings
        self.aboutToShow.connect(self.rebuild)
        files.recentChanged.connect(self.rebuild)
        self.rebuild()

    def rebuild(self) -> None:
        self.clear()
        paths = [p for p in self._settings.recent_files() if Path(p).exists()]
        for index, path in enumerate(paths):
            action = QAction(f"&{index + 1}  {Path(path).name}", self)
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _checked=False, p=path: self._files.open_path(p))
            self.addAction(action)
        if not paths:
            empty = self.addAction("No recent files")
            empty.setEnabled(False)
            return
        self.addSeparator()
        self.addAction("Clear list", self._clear)

    def _clear(self) -> None:
        self._settings.clear_recent_files()
        self.rebuild()


class DropOpener(QObject):
    """Event filter: a file dropped on the watched widgets is opened (not run)."""

    def __init__(self, files: FileController, widgets: list[QWidget]) -> None:
        super().__init__(files)
        self._files = files
        for widget in widgets:
            widget.setAcceptDrops(True)
            widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            if dropped_script(event):
                event.acceptProposedAction()
                return True
        elif kind == QEvent.Type.Drop:
            path = dropped_script(event)
            if path:
                event.acceptProposedAction()
                self._files.open_path(path)
                return True
        return super().eventFilter(watched, event)
