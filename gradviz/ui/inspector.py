"""The inspector dock: every fact about one box, full tensors in scrollable text."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from gradviz.ui import theme
from gradviz.ui.fonts import mono_font, ui_font

# Rows whose value is a tensor printout: shown as monospace text that scrolls.
TENSOR_ROWS = {"value", ".grad", "grad", "gradient received", "saved tensors"}
MAX_TENSOR_LINES = 10
EMPTY_TEXT = "Click a box in the graph to see its name, shape, value and gradient."


def _is_tensor_row(name: str, value: str) -> bool:
    return name.strip().lower() in TENSOR_ROWS or "\n" in value


class _TensorView(QPlainTextEdit):
    """A read-only, unwrapped block of monospace text, as tall as its lines (up to a cap)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.setReadOnly(True)
        self.setFont(mono_font(9))
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setPlainText(text)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        lines = min(MAX_TENSOR_LINES, max(1, text.count("\n") + 1))
        metrics = QFontMetrics(self.font())
        # Room for a horizontal scrollbar, since long rows do not wrap.
        self.setFixedHeight(metrics.lineSpacing() * lines + 28)


class Inspector(QWidget):
    """Shows ``Player.details`` rows: (name, text) pairs, in order."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple[str, str]] = []
        self._stale = True  # rows kept while hidden, not yet laid out
        self._title = QLabel()
        self._title.setFont(ui_font(11, bold=True))
        self._title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._title.setWordWrap(True)
        self._body = QWidget()
        self._body_layout = QVBoxLayout(self._body)
        self._body_layout.setContentsMargins(0, 0, 4, 0)
        self._body_layout.setSpacing(2)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self._title)
        layout.addWidget(scroll, 1)
        self.clear()

    @property
    def rows(self) -> list[tuple[str, str]]:
        return list(self._rows)

    @property
    def title(self) -> str:
        return self._title.text()

    def clear(self) -> None:
        self.show_details([], "")

    def show_details(self, rows: list[tuple[str, str]], title: str | None = None) -> None:
        """Show rows for one box; the title defaults to the "name" row. Hidden (another
        tab is in front), the rows are only kept: they are laid out when it is shown."""
        rows = list(rows)
        if title is None:
            title = next((v for n, v in rows if n.strip().lower() == "name"), "")
        if rows == self._rows and title == self._title.text() and not self._stale:
            return  # the same box at the next step: nothing to rebuild
        self._rows = rows
        self._title.setText(title)
        self._stale = not self.isVisible()
        if not self._stale:
            self._build_body()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self._build_body()

    def _build_body(self) -> None:
        rows = self._rows
        self._clear_body()
        if not rows:
            hint = QLabel(EMPTY_TEXT)
            hint.setWordWrap(True)
            hint.setStyleSheet(f"color: {theme.TEXT_MUTED.name()};")
            self._body_layout.addWidget(hint)
        for name, value in rows:
            self._add_row(name, value)
        self._body_layout.addStretch(1)

    def _clear_body(self) -> None:
        while self._body_layout.count():
            item = self._body_layout.takeAt(0)
            widget = item.widget()
            if widget is not None:
                widget.hide()  # deleteLater() alone leaves it painted until the next loop
                widget.deleteLater()

    def _add_row(self, name: str, value: str) -> None:
        label = QLabel(name)
        label.setFont(ui_font(8, bold=True))
        label.setStyleSheet(f"color: {theme.TEXT_MUTED.name()}; margin-top: 6px;")
        self._body_layout.addWidget(label)
        if _is_tensor_row(name, value):
            self._body_layout.addWidget(_TensorView(value))
            return
        text = QLabel(value or "—")
        text.setFont(mono_font(9) if name.strip().lower() in {"shape", "dtype"} else ui_font(9))
        text.setWordWrap(True)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._body_layout.addWidget(text)
