"""The output console: the script's stdout as a notebook shows it, then any error in red.

No amount of output may freeze the window, so what is shown is bounded: the first and
last ``KEEP_LINES`` lines, each cut at ``MAX_LINE_CHARS``, with a note saying how much
was left out and a "Save full output…" link. It is a QPlainTextEdit without line
wrapping, which lays out only the lines in view, and text goes in with one insert.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QColor, QContextMenuEvent, QMouseEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QFileDialog, QPlainTextEdit, QWidget

from gradviz.core.errors import ErrorInfo
from gradviz.core.result import TraceResult
from gradviz.ui.fonts import mono_font

TEXT_COLOR = QColor("#1f2933")
ERROR_COLOR = QColor("#c5221f")
HINT_COLOR = QColor("#5f4b00")
MUTED_COLOR = QColor("#80868b")
LINK_COLOR = QColor("#0b5fa5")

KEEP_LINES = 500  # shown from the start and from the end of the output
MAX_LINE_CHARS = 500
MAX_BLOCKS = 2 * KEEP_LINES + 200  # a hard ceiling on what the widget ever holds
SAVE_LINK = "save:"

ERROR_TITLES = {
    "syntax": "SyntaxError",
    "runtime": "Error",
    "timeout": "Stopped",
    "memory": "Out of memory",
    "signal": "The run was killed",
    "exit": "The run ended early",
    "lost": "The run was lost",
    "crash": "The run crashed",
}


def _fmt(color: QColor, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(color)
    fmt.setFontWeight(700 if bold else 400)
    fmt.setFontItalic(italic)
    return fmt


def _link(href: str, bold: bool = False) -> QTextCharFormat:
    link = _fmt(LINK_COLOR, bold=bold)
    link.setAnchor(True)
    link.setAnchorHref(href)
    link.setFontUnderline(True)
    return link


def _frames_only(traceback: str) -> str:
    """The traceback without its last line, which repeats the message shown above it."""
    lines = traceback.rstrip().splitlines()
    return "\n".join(lines[:-1]) if len(lines) > 1 else ""


def _cut_line(line: str) -> str:
    if len(line) <= MAX_LINE_CHARS:
        return line
    return f"{line[:MAX_LINE_CHARS]} … ({len(line) - MAX_LINE_CHARS:,} more characters)"


def bounded(text: str) -> tuple[str, str, int]:
    """(head, tail, lines left out between them), each line cut to MAX_LINE_CHARS."""
    lines = text.split("\n")
    if len(lines) <= 2 * KEEP_LINES:
        return "\n".join(_cut_line(line) for line in lines), "", 0
    head = "\n".join(_cut_line(line) for line in lines[:KEEP_LINES])
    tail = "\n".join(_cut_line(line) for line in lines[-KEEP_LINES:])
    return head, tail, len(lines) - 2 * KEEP_LINES


class Console(QPlainTextEdit):
    """Read-only, monospace. Clicking "line N" of an error emits lineClicked(N)."""

    lineClicked = Signal(int)
    anchorClicked = Signal(QUrl)

    def __init__(self, parent: QWidget | None = None, point_size: float = 9.5) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setFont(mono_font(point_size))
        # No wrapping: a 2 MB line would otherwise be re-laid out on every resize.
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setMaximumBlockCount(MAX_BLOCKS)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * 8)
        self.setPlaceholderText("The script's printed output appears here.")
        self.full_output = ""  # everything the run printed (as kept by the worker)
        self.anchorClicked.connect(self._on_anchor)

    # -- public API -------------------------------------------------------------

    def show_result(self, result: TraceResult) -> None:
        """Replace the contents with a finished run: its stdout, then its error if any."""
        self.clear()
        self.full_output = result.stdout
        self.append_output(result.stdout)
        error_at = self.document().characterCount() - 1
        if result.error is not None:
            self.append_error(result.error)
        note = result.sandbox_note()
        if note:
            self._insert(f"\nSandbox: {note}\n", _fmt(MUTED_COLOR, italic=True))
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
        if not text:
            return
        head, tail, left_out = bounded(text)
        self._insert(head, _fmt(TEXT_COLOR))
        if left_out:
            self._insert(f"\n… {left_out:,} more lines … ", _fmt(MUTED_COLOR, italic=True))
            self._insert("Save full output…", _link(SAVE_LINK))
            self._insert("\n" + tail, _fmt(TEXT_COLOR))

    def append_error(self, error: ErrorInfo) -> None:
        if not self.document().isEmpty() and self.document().lastBlock().text():
            self._insert("\n", _fmt(TEXT_COLOR))
        if not self.document().isEmpty():
            self._insert("\n", _fmt(TEXT_COLOR))
        title = ERROR_TITLES.get(error.kind, "Error")
        self._insert(title, _fmt(ERROR_COLOR, bold=True))
        if error.line is not None:
            self._insert(" on ", _fmt(ERROR_COLOR, bold=True))
            self._insert(f"line {error.line}", _link(f"line:{error.line}", bold=True))
        self._insert("\n", _fmt(ERROR_COLOR))
        message, _tail, _n = bounded(error.message.rstrip())
        self._insert(message + "\n", _fmt(ERROR_COLOR))
        if error.hint:
            self._insert("Hint: " + error.hint.rstrip() + "\n", _fmt(HINT_COLOR, italic=True))
        frames = _frames_only(error.traceback)
        if error.kind == "runtime" and frames.count("  File ") > 1:
            # Only worth showing when the error happened inside a function call.
            self._insert("\n" + bounded(frames)[0] + "\n", _fmt(MUTED_COLOR))
        elif error.kind in ("signal", "exit", "lost") and error.traceback.strip():
            # What the dying process wrote itself (already cut and cleaned by the sandbox).
            self._insert("\n" + bounded(error.traceback.strip())[0] + "\n", _fmt(MUTED_COLOR))

    def save_full_output(self, path: str | Path) -> None:
        Path(path).write_text(self.full_output, encoding="utf-8", errors="replace")

    def save_full_output_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save full output", "output.txt", "Text files (*.txt)"
        )
        if path:
            self.save_full_output(path)

    # -- internals ------------------------------------------------------------------

    def _insert(self, text: str, fmt: QTextCharFormat) -> None:
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text, fmt)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        href = self.anchorAt(event.position().toPoint())
        super().mouseReleaseEvent(event)
        if href and not self.textCursor().hasSelection():
            self.anchorClicked.emit(QUrl(href))

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt override
        menu = self.createStandardContextMenu()
        menu.addSeparator()
        action = menu.addAction("Save full output…", self.save_full_output_dialog)
        action.setEnabled(bool(self.full_output))
        menu.exec(event.globalPos())

    def _on_anchor(self, url: QUrl) -> None:
        text = url.toString()
        if text.startswith("line:"):
            self.lineClicked.emit(int(text.split(":", 1)[1]))
        elif text == SAVE_LINK:
            self.save_full_output_dialog()
