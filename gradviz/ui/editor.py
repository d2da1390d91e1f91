"""The code editor: line numbers, Python colours, the current step's line, error marks."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QToolTip, QWidget

from gradviz.ui import theme
from gradviz.ui.fonts import mono_font
from gradviz.ui.highlighter import PythonHighlighter

STEP_LINE_COLOR = QColor("#fff3c4")  # the line the shown step comes from
ERROR_LINE_COLOR = QColor("#fde2e1")
ERROR_MARK_COLOR = QColor("#d93025")
GUTTER_BG = QColor("#f6f7f9")
GUTTER_FG = QColor("#9aa0a6")
GUTTER_FG_CURRENT = QColor("#3c4043")
_LIGHT_LOOK = (STEP_LINE_COLOR, ERROR_LINE_COLOR, ERROR_MARK_COLOR, GUTTER_BG, GUTTER_FG)
_LIGHT_LOOK += (GUTTER_FG_CURRENT,)
_DARK_LOOK = tuple(
    QColor(c) for c in ("#4A3F14", "#4A2323", "#EF6C6C", "#1E2227", "#7D8793", "#D5DBE2")
)
INDENT = "    "


class _Gutter(QWidget):
    """The line-number strip on the editor's left edge."""

    def __init__(self, editor: CodeEditor) -> None:
        super().__init__(editor)
        self._editor = editor

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(self._editor.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        self._editor.paint_gutter(event)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        # A click on a number selects that line, as in most editors.
        cursor = self._editor.cursorForPosition(event.position().toPoint())
        self._editor.select_line(cursor.blockNumber() + 1)


class CodeEditor(QPlainTextEdit):
    """A small Python editor. Lines are 1-based in every public method."""

    runRequested = Signal()

    def __init__(self, parent: QWidget | None = None, point_size: float = 10) -> None:
        super().__init__(parent)
        self.setFont(mono_font(point_size))
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * len(INDENT))
        self.setPlaceholderText("# Type PyTorch code here, then press Ctrl+Enter to run it.")
        self.highlighter = PythonHighlighter(self.document())
        self._gutter = _Gutter(self)
        self._step_line: int | None = None
        self._error_line: int | None = None
        self._error_message = ""
        self.blockCountChanged.connect(self._update_gutter_width)
        self.updateRequest.connect(self._update_gutter)
        self._update_gutter_width()

    # -- public API ---------------------------------------------------------------

    @property
    def step_line(self) -> int | None:
        return self._step_line

    @property
    def error_line(self) -> int | None:
        return self._error_line

    def apply_theme(self) -> None:
        """Follow the current theme (gradviz.ui.theme): page, gutter, line marks, syntax."""
        global STEP_LINE_COLOR, ERROR_LINE_COLOR, ERROR_MARK_COLOR
        global GUTTER_BG, GUTTER_FG, GUTTER_FG_CURRENT
        dark = theme.THEME == "dark"
        (
            STEP_LINE_COLOR,
            ERROR_LINE_COLOR,
            ERROR_MARK_COLOR,
            GUTTER_BG,
            GUTTER_FG,
            GUTTER_FG_CURRENT,
        ) = _DARK_LOOK if dark else _LIGHT_LOOK
        self.highlighter.set_scheme(theme.THEME)
        self._refresh_selections()
        self.viewport().update()
        self._gutter.update()

    def highlight_line(self, line: int | None) -> None:
        """Shade the line of the step being shown (None clears it), scrolling to it."""
        self._step_line = line if self._valid(line) else None
        if self._step_line is not None:
            self._ensure_line_visible(self._step_line)
        self._refresh_selections()

    def mark_error_line(self, line: int | None, message: str) -> None:
        """Mark the line where the script failed; the message shows as its tooltip."""
        self._error_line = line if self._valid(line) else None
        self._error_message = message
        if self._error_line is not None:
            self._ensure_line_visible(self._error_line)
        self._refresh_selections()

    def clear_error(self) -> None:
        self._error_line = None
        self._error_message = ""
        self._refresh_selections()

    def select_line(self, line: int | None) -> None:
        """Put the cursor on a line and select its text (from a node or an error)."""
        if not self._valid(line):
            return
        block = self.document().findBlockByNumber(line - 1)
        text = block.text()
        start = block.position() + len(text) - len(text.lstrip())
        cursor = QTextCursor(block)
        # Anchor at the end, cursor at the start: the view scrolls to the code's start.
        cursor.setPosition(block.position() + len(text))
        cursor.setPosition(start, QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)
        self.centerCursor()

    def selected_line(self) -> int:
        return self.textCursor().blockNumber() + 1

    def line_text(self, line: int) -> str:
        return self.document().findBlockByNumber(line - 1).text() if self._valid(line) else ""

    # -- keys -----------------------------------------------------------------------

    @staticmethod
    def _is_run_key(event: QKeyEvent) -> bool:
        return event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and bool(
            event.modifiers() & Qt.KeyboardModifier.ControlModifier
        )

    def event(self, event: QEvent) -> bool:
        # Claim Ctrl+Enter before any window shortcut does, so it runs exactly once.
        if event.type() == QEvent.Type.ShortcutOverride and self._is_run_key(event):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if self._is_run_key(event):
            self.runRequested.emit()
            return
        if event.key() == Qt.Key.Key_Tab and not event.modifiers():
            self.textCursor().insertText(INDENT)
            return
        if event.key() == Qt.Key.Key_Backtab:
            self._dedent()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            self._newline_with_indent()
            return
        super().keyPressEvent(event)

    def _newline_with_indent(self) -> None:
        # Keep the indentation, and add a level after a colon, as Python editors do.
        line = self.textCursor().block().text()[: self.textCursor().positionInBlock()]
        indent = line[: len(line) - len(line.lstrip())]
        if line.rstrip().endswith(":"):
            indent += INDENT
        self.textCursor().insertText("\n" + indent)
        self.ensureCursorVisible()

    def _dedent(self) -> None:
        cursor = self.textCursor()
        text = cursor.block().text()
        remove = min(len(INDENT), len(text) - len(text.lstrip(" ")))
        if remove:
            cursor.movePosition(QTextCursor.MoveOperation.StartOfBlock)
            cursor.movePosition(
                QTextCursor.MoveOperation.Right, QTextCursor.MoveMode.KeepAnchor, remove
            )
            cursor.removeSelectedText()

    # -- tooltips ---------------------------------------------------------------------

    def _tooltip_for_line(self, line: int) -> str:
        return self._error_message if line == self._error_line else ""

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.ToolTip:
            line = self.cursorForPosition(event.pos()).blockNumber() + 1
            tip = self._tooltip_for_line(line)
            if tip:
                QToolTip.showText(event.globalPos(), tip, self)
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)

    # -- gutter -------------------------------------------------------------------------

    def gutter_width(self) -> int:
        digits = max(3, len(str(self.blockCount())))
        return 14 + self.fontMetrics().horizontalAdvance("9") * digits

    def _update_gutter_width(self, _count: int = 0) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _update_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        rect = self.contentsRect()
        self._gutter.setGeometry(QRect(rect.left(), rect.top(), self.gutter_width(), rect.height()))

    def paint_gutter(self, event: QPaintEvent) -> None:
        painter = QPainter(self._gutter)
        painter.fillRect(event.rect(), GUTTER_BG)
        painter.setFont(self.font())
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        width = self._gutter.width()
        while block.isValid() and top <= event.rect().bottom():
            bottom = top + round(self.blockBoundingRect(block).height())
            line = block.blockNumber() + 1
            if block.isVisible() and bottom >= event.rect().top():
                if line == self._error_line:
                    painter.setBrush(ERROR_MARK_COLOR)
                    painter.setPen(Qt.PenStyle.NoPen)
                    painter.drawEllipse(QRect(3, top + height // 2 - 3, 6, 6))
                current = line in (self._step_line, self.textCursor().blockNumber() + 1)
                painter.setPen(GUTTER_FG_CURRENT if current else GUTTER_FG)
                painter.drawText(0, top, width - 6, height, Qt.AlignmentFlag.AlignRight, str(line))
            block = block.next()
            top = bottom
        painter.end()

    # -- helpers --------------------------------------------------------------------------

    def _valid(self, line: int | None) -> bool:
        return line is not None and 1 <= line <= self.blockCount()

    def _ensure_line_visible(self, line: int) -> None:
        # Scroll without moving the learner's cursor.
        block = self.document().findBlockByNumber(line - 1)
        first = self.firstVisibleBlock().blockNumber()
        visible = max(1, self.viewport().height() // max(1, self.fontMetrics().height()))
        if not first <= block.blockNumber() < first + visible - 1:
            self.verticalScrollBar().setValue(max(0, block.blockNumber() - visible // 3))

    def _line_selection(self, line: int, color: QColor) -> QTextEdit.ExtraSelection:
        selection = QTextEdit.ExtraSelection()
        selection.format.setBackground(color)
        selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        selection.cursor = QTextCursor(self.document().findBlockByNumber(line - 1))
        selection.cursor.clearSelection()
        return selection

    def _refresh_selections(self) -> None:
        selections = []
        if self._valid(self._step_line):
            selections.append(self._line_selection(self._step_line, STEP_LINE_COLOR))
        if self._valid(self._error_line):
            error = self._line_selection(self._error_line, ERROR_LINE_COLOR)
            selections.append(error)
        self.setExtraSelections(selections)
        self._gutter.update()
