"""The output console: the script's stdout as a notebook shows it, then any error in red."""

from __future__ import annotations

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor, QTextOption
from PySide6.QtWidgets import QTextBrowser, QWidget

from gradviz.core.errors import ErrorInfo
from gradviz.core.result import TraceResult
from gradviz.ui.fonts import mono_font

TEXT_COLOR = QColor("#1f2933")
ERROR_COLOR = QColor("#c5221f")
HINT_COLOR = QColor("#5f4b00")
MUTED_COLOR = QColor("#80868b")
LINK_COLOR = QColor("#0b5fa5")

ERROR_TITLES = {
    "syntax": "SyntaxError",
    "runtime": "Error",
    "timeout": "Stopped",
    "memory": "Out of memory",
    "crash": "The run crashed",
}


def _fmt(color: QColor, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(color)
    fmt.setFontWeight(700 if bold else 400)
    fmt.setFontItalic(italic)
    return fmt


def _frames_only(traceback: str) -> str:
    """The traceback without its last line, which repeats the message shown above it."""
    lines = traceback.rstrip().splitlines()
    return "\n".join(lines[:-1]) if len(lines) > 1 else ""


class Console(QTextBrowser):
    """Read-only, monospace. Clicking "line N" of an error emits lineClicked(N)."""

    lineClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None, point_size: float = 9.5) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setOpenLinks(False)
        self.setFont(mono_font(point_size))
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * 8)
        self.setPlaceholderText("The script's printed output appears here.")
        self.anchorClicked.connect(self._on_anchor)

    # -- public API -------------------------------------------------------------

    def show_result(self, result: TraceResult) -> None:
        """Replace the contents with a finished run: its stdout, then its error if any."""
        self.clear()
        self.append_output(result.stdout)
        error_at = self.document().characterCount() - 1
        if result.error is not None:
            self.append_error(result.error)
        self.moveCursor(QTextCursor.MoveOperation.End)
        self.ensureCursorVisible()
        if result.error is not None:
            # Scroll back so that the error's heading is the first thing in view.
            cursor = QTextCursor(self.document())
            cursor.setPosition(max(0, error_at))
            self.setTextCursor(cursor)
            self.ensureCursorVisible()

    def show_status(self, text: str) -> None:
        """A muted one-line message, e.g. "Running…", replacing the contents."""
        self.clear()
        self._insert(text, _fmt(MUTED_COLOR, italic=True))

    def append_output(self, text: str) -> None:
        # Inserted as plain text, so spaces, tabs and blank lines come out as printed.
        if text:
            self._insert(text, _fmt(TEXT_COLOR))

    def append_error(self, error: ErrorInfo) -> None:
        if not self.document().isEmpty() and not self.toPlainText().endswith("\n"):
            self._insert("\n", _fmt(TEXT_COLOR))
        if not self.document().isEmpty():
            self._insert("\n", _fmt(TEXT_COLOR))
        title = ERROR_TITLES.get(error.kind, "Error")
        self._insert(title, _fmt(ERROR_COLOR, bold=True))
        if error.line is not None:
            self._insert(" on ", _fmt(ERROR_COLOR, bold=True))
            link = _fmt(LINK_COLOR, bold=True)
            link.setAnchor(True)
            link.setAnchorHref(f"line:{error.line}")
            link.setFontUnderline(True)
            self._insert(f"line {error.line}", link)
        self._insert("\n", _fmt(ERROR_COLOR))
        self._insert(error.message.rstrip() + "\n", _fmt(ERROR_COLOR))
        if error.hint:
            self._insert("Hint: " + error.hint.rstrip() + "\n", _fmt(HINT_COLOR, italic=True))
        frames = _frames_only(error.traceback)
        if error.kind == "runtime" and frames.count("  File ") > 1:
            # Only worth showing when the error happened inside a function call.
            self._insert("\n" + frames + "\n", _fmt(MUTED_COLOR))

    # -- internals ------------------------------------------------------------------

    def _insert(self, text: str, fmt: QTextCharFormat) -> None:
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text, fmt)

    def _on_anchor(self, url: QUrl) -> None:
        text = url.toString()
        if text.startswith("line:"):
            self.lineClicked.emit(int(text.split(":", 1)[1]))
