"""Small multiples of one leaf or parameter over a training loop: its value and its .grad
after every iteration, drawn with QPainter.

A tensor of at most 16 elements gets one cell per element (a sparkline of the value over
a sparkline of the .grad); a bigger one gets a single cell with the L2 norms ‖w‖ and
‖w.grad‖. The numbers come from core (`Story.series["params"]`); the cell text shows the
iteration the timeline is on (else the last one).
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from gradviz.ui import theme
from gradviz.ui.fonts import mono_font, ui_font

CELL_W, CELL_H, GAP = 150.0, 70.0, 8.0
LEGEND_H = 18.0
_LIGHT = {"value": "#1a73e8", "grad": "#d93025", "now": "#188038"}
_DARK = {"value": "#8ab4f8", "grad": "#f28b82", "now": "#81c995"}


def colors() -> dict:
    return _DARK if theme.THEME == "dark" else _LIGHT


def element_labels(name: str, shape: list, kind: str) -> list[str]:
    """w, w[2], w[1, 0] per element (row-major); one ‖w‖ cell for a norm."""
    if kind == "norm":
        return [f"‖{name}‖"]
    if not shape:
        return [name]
    labels = []
    count = math.prod(shape)
    for flat in range(count):
        index, rest = [], flat
        for size in reversed(shape):
            index.append(rest % size)
            rest //= size
        labels.append(f"{name}[{', '.join(str(i) for i in reversed(index))}]")
    return labels


def _fmt(v) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    if v == 0 or 1e-3 <= abs(v) < 1e4:
        return f"{v:.4g}"
    return f"{v:.2e}"


class ParamHistory(QWidget):
    """The grid of cells for the selected parameter."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.series: dict = {}
        self.name: str | None = None
        self.current: tuple[int, int] | None = None
        # What stays the same while the learner steps: the cells' series and their drawn
        # lines (a 1,000-iteration loop has 1,000 points per sparkline, dozens of them).
        self._cells: tuple[tuple, list] | None = None
        self._paths: dict[tuple, QPainterPath] = {}
        self._static: tuple[tuple, QPixmap] | None = None
        self.setMinimumHeight(int(CELL_H + LEGEND_H + GAP))

    # -- data -----------------------------------------------------------------------------
    def set_series(self, series: dict) -> None:
        self.series = series or {}
        if self.name not in self.params():
            self.name = next(iter(self.params()), None)
        self._resize_for_cells()
        self.update()

    def params(self) -> dict:
        return self.series.get("params", {}) or {}

    def select(self, name: str) -> bool:
        """Show `name`'s history; False (nothing changes) if it has none."""
        if name not in self.params():
            return False
        self.name = name
        self._resize_for_cells()
        self.update()
        return True

    def set_current(self, current: tuple[int, int] | None) -> None:
        if current != self.current:
            self.current = current
            self.update()

    def columns(self, n: int | None = None) -> list[list]:
        """Per cell: (label, value series, grad series), each a list over iterations."""
        key = (self.name, id(self.series))
        if self._cells is None or self._cells[0] != key:
            self._cells = (key, self._columns())
            self._paths.clear()
        return self._cells[1]

    def _columns(self) -> list[list]:
        p = self.params().get(self.name or "")
        if p is None:
            return []
        labels = element_labels(self.name, p.get("shape", []), p.get("kind", "values"))
        cells = []
        for e, label in enumerate(labels):
            if p.get("kind") == "norm":
                values, grads = p["value"], p["grad"]
            else:
                values = [
                    row[e] if row is not None and e < len(row) else None for row in p["value"]
                ]
                grads = [row[e] if row is not None and e < len(row) else None for row in p["grad"]]
            cells.append((label, values, grads))
        return cells

    def _grid(self) -> tuple[int, int]:
        count = len(self.columns())
        cols = max(1, min(count, int((self.width() + GAP) // (CELL_W + GAP))))
        return cols, max(1, math.ceil(count / cols)) if count else 0

    def _resize_for_cells(self) -> None:
        _cols, rows = self._grid()
        self.setMinimumHeight(int(LEGEND_H + rows * (CELL_H + GAP) + GAP))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._resize_for_cells()
        super().resizeEvent(event)

    # -- painting -------------------------------------------------------------------------
    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = theme.PALETTE
        p.fillRect(self.rect(), QColor(pal.canvas_bg))
        p.setFont(ui_font(8.5))
        cells = self.columns()
        if not cells:
            p.setPen(QColor(pal.caption_text))
            p.drawText(
                QRectF(self.rect()).adjusted(8, 8, -8, -8),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                "Click a leaf or parameter in the graph to see its value and .grad "
                "over the iterations.",
            )
            p.end()
            return
        self._legend(p)
        p.drawPixmap(0, 0, self._static_pixmap(cells))  # frames, labels, sparklines
        for rect, cell in self._cell_rects(cells):
            self._cell(p, rect, *cell, static=False)  # the iteration shown, its numbers
        p.end()

    def _cell_rects(self, cells: list) -> list:
        cols, _rows = self._grid()
        width = (self.width() - GAP * (cols + 1)) / cols
        out = []
        for k, cell in enumerate(cells):
            r, c = divmod(k, cols)
            rect = QRectF(
                GAP + c * (width + GAP), LEGEND_H + GAP / 2 + r * (CELL_H + GAP), width, CELL_H
            )
            out.append((rect, cell))
        return out

    def _static_pixmap(self, cells: list) -> QPixmap:
        """What does not change as the learner steps, drawn once per size and series."""
        key = (self.size(), id(cells), theme.PALETTE.canvas_bg, self.devicePixelRatioF())
        if self._static is None or self._static[0] != key:
            ratio = self.devicePixelRatioF()
            pixmap = QPixmap(self.size() * ratio)
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            p = QPainter(pixmap)
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            for rect, cell in self._cell_rects(cells):
                self._cell(p, rect, *cell, static=True)
            p.end()
            self._static = (key, pixmap)
        return self._static[1]

    def shown_iteration(self) -> int:
        n = int(self.series.get("iterations", 0) or 0)
        if self.current is None:
            return n - 1
        return self.current[1]

    def _legend(self, p: QPainter) -> None:
        c = colors()
        x = GAP
        p.setFont(ui_font(8.5))
        i = self.shown_iteration()
        kind = self.params().get(self.name, {}).get("kind")
        parts = (("value", c["value"]), (".grad", c["grad"]))
        if kind == "norm":
            parts = (("‖value‖ (L2 norm)", c["value"]), ("‖.grad‖", c["grad"]))
        for text, color in parts:
            p.setPen(QPen(QColor(color), 2.5))
            p.drawLine(QPointF(x, LEGEND_H / 2 + 1), QPointF(x + 16, LEGEND_H / 2 + 1))
            p.setPen(QColor(theme.PALETTE.text))
            w = p.fontMetrics().horizontalAdvance(text)
            p.drawText(QRectF(x + 20, 0, w + 4, LEGEND_H), Qt.AlignmentFlag.AlignVCenter, text)
            x += w + 36
        p.setPen(QColor(theme.PALETTE.text_muted))
        note = f"after iteration {i + 1}"
        room = self.width() - x - GAP
        if p.fontMetrics().horizontalAdvance(note) <= room:
            p.drawText(
                QRectF(x, 0, room, LEGEND_H),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                note,
            )

    def _cell(
        self, p: QPainter, rect: QRectF, label: str, values: list, grads: list, static: bool
    ) -> None:
        """static: the frame, label and sparklines; else the iteration shown and its numbers."""
        pal = theme.PALETTE
        c = colors()
        p.setFont(mono_font(8.5))
        if static:
            p.setPen(QPen(QColor(pal.minimap_border), 1))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(rect, 4, 4)
            p.setPen(QColor(pal.text))
            p.drawText(
                QRectF(rect.left() + 6, rect.top() + 2, rect.width() - 12, 15),
                Qt.AlignmentFlag.AlignVCenter,
                label,
            )
        i = self.shown_iteration()
        spark_w = rect.width() - 12
        text_w = min(64.0, spark_w * 0.42)
        top = rect.top() + 18
        h = (rect.height() - 22) / 2
        for row, (data, color) in enumerate(((values, c["value"]), (grads, c["grad"]))):
            line = QRectF(rect.left() + 6, top + row * h + 1, spark_w - text_w - 4, h - 3)
            self._spark(p, line, data, QColor(color), static)
            if static:
                continue
            now = data[i] if 0 <= i < len(data) else None
            p.setPen(QColor(color))
            p.drawText(
                QRectF(line.right() + 4, line.top(), text_w, line.height()),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                _fmt(now),
            )
        p.setFont(ui_font(8.5))

    def _spark(
        self, p: QPainter, rect: QRectF, data: list, color: QColor, static: bool = True
    ) -> None:
        n = len(data)
        if n == 0:
            return
        lo, hi = self._range(data)
        if hi - lo < 1e-30:
            lo, hi = lo - 1.0, hi + 1.0

        def at(k: int, v: float) -> QPointF:
            x = rect.left() + (k / max(1, n - 1)) * rect.width()
            return QPointF(x, rect.bottom() - (v - lo) / (hi - lo) * rect.height())

        if static and lo < 0 < hi:  # zero, faintly
            zero = at(0, 0.0).y()
            p.setPen(QPen(QColor(theme.PALETTE.minimap_border), 1, Qt.PenStyle.DotLine))
            p.drawLine(QPointF(rect.left(), zero), QPointF(rect.right(), zero))
        if not static and self.current is not None:
            a, b = self.current
            now = QColor(colors()["now"])
            if b > a:
                now.setAlpha(45)
                x0, x1 = at(a, lo).x(), at(b, lo).x()
                p.fillRect(QRectF(x0, rect.top(), max(1.0, x1 - x0), rect.height()), now)
            else:
                x = at(a, lo).x()
                p.setPen(QPen(now, 1, Qt.PenStyle.DashLine))
                p.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
        if not static:
            return
        key = (id(data), rect.left(), rect.top(), rect.width(), rect.height())
        path = self._paths.get(key)
        if path is None:
            path, down = QPainterPath(), False
            for k, v in enumerate(data):
                if v is None or not math.isfinite(v):
                    down = False
                    continue
                if down:
                    path.lineTo(at(k, v))
                else:
                    path.moveTo(at(k, v))
                    down = True
            self._paths[key] = path
        p.setPen(QPen(color, 1.4))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)

    def _range(self, data: list) -> tuple[float, float]:
        key = ("range", id(data))
        if key not in self._paths:
            finite = [v for v in data if v is not None and math.isfinite(v)]
            self._paths[key] = (min(finite), max(finite)) if finite else (0.0, 1.0)
        return self._paths[key]


class ParamPanel(QWidget):
    """A chooser of the parameter above its small multiples (scrolling when tall)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = ParamHistory()
        self.chooser = QComboBox()
        self.chooser.setToolTip("Which leaf or parameter (or click one in the graph)")
        self.chooser.currentTextChanged.connect(self._chosen)
        label = QLabel("History of")
        label.setFont(ui_font(9))
        header = QHBoxLayout()
        header.setContentsMargins(6, 2, 6, 0)
        header.addWidget(label)
        header.addWidget(self.chooser, 1)
        scroll = QScrollArea()
        scroll.setWidget(self.history)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll = scroll
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(scroll, 1)

    def set_series(self, series: dict) -> None:
        self.history.set_series(series)
        self.chooser.blockSignals(True)
        self.chooser.clear()
        self.chooser.addItems(list(self.history.params()))
        if self.history.name:
            self.chooser.setCurrentText(self.history.name)
        self.chooser.blockSignals(False)

    def select(self, name: str) -> bool:
        if not self.history.select(name):
            return False
        self.chooser.blockSignals(True)
        self.chooser.setCurrentText(name)
        self.chooser.blockSignals(False)
        return True

    def _chosen(self, name: str) -> None:
        if name:
            self.history.select(name)
