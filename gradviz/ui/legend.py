"""The legend: every box role, edge kind and box state, each drawn exactly as the canvas
draws it, with one line a learner can understand.

Two layouts: the full list with every explanation written out (the default, for a dock),
and a compact strip that fits under a canvas: small samples with names, and the
explanation of the sample under the pointer on a hint line.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, replace

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QFontMetricsF, QHelpEvent, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QToolTip, QVBoxLayout, QWidget

from gradviz.core import scene_types as st
from gradviz.core.scene_types import SceneBox, SceneEdge
from gradviz.ui import theme
from gradviz.ui.fonts import ui_font
from gradviz.ui.render import (
    edge_geometry,
    edge_look,
    layout_box,
    paint_box,
    paint_edge,
    paint_token,
    token_rect,
)

Painter = Callable[[QPainter], None]  # paints a sample centred on (0, 0)
MUTED = "muted"  # legend key of a box on no gradient path (SceneBox.muted)


@dataclass(frozen=True)
class LegendEntry:
    section: str  # "Boxes", "Edges" or "States"
    key: str  # the role, edge kind or state it shows
    name: str  # short name shown beside the sample
    explanation: str  # one line a learner understands


ENTRIES = (
    LegendEntry(
        "Boxes",
        st.ROLE_LEAF,
        "leaf tensor",
        "you created it with requires_grad=True; its .grad fills during backward",
    ),
    LegendEntry(
        "Boxes",
        st.ROLE_TENSOR,
        "tensor",
        "needs no gradient: ordinary data, or the result of detach()",
    ),
    LegendEntry(
        "Boxes",
        st.ROLE_CONSTANT,
        "constant",
        "a number or fixed tensor fed into an op; it never gets a gradient",
    ),
    LegendEntry(
        "Boxes",
        st.ROLE_OP,
        "op without grad",
        "ran under no_grad or on inputs needing no grad: nothing recorded for backward",
    ),
    LegendEntry(
        "Boxes",
        st.ROLE_GRAD_FN,
        "grad_fn",
        "an op recorded for backward (e.g. MulBackward0): turns the gradient it "
        "receives into gradients for its inputs",
    ),
    LegendEntry(
        "Boxes",
        st.ROLE_ACCUMULATE,
        "AccumulateGrad",
        "adds the gradient reaching a leaf into its .grad (0 + g the first time)",
    ),
    LegendEntry(
        "Boxes",
        st.ROLE_SEED,
        "seed",
        "the gradient that starts backward: 1 for y.backward(), or v for backward(v)",
    ),
    LegendEntry(
        "Edges", st.EDGE_DATA, "data edge", "the forward pass: from an input to the op that used it"
    ),
    LegendEntry(
        "Edges",
        st.EDGE_GRAD,
        "gradient edge",
        "the backward pass: the arrow points back to the input; the pill carries "
        "the gradient's value",
    ),
    LegendEntry("Edges", st.EDGE_CUT, "cut edge", "detach() / no_grad — gradients cannot cross"),
    LegendEntry(
        "Edges",
        st.EDGE_SEED,
        "gradient= edge",
        "the tensor passed as backward(gradient=v) becomes the seed",
    ),
    LegendEntry("States", st.STATE_HIDDEN, "faint", "not computed yet in the forward pass"),
    LegendEntry("States", st.STATE_ACTIVE, "glowing", "what this step is about"),
    LegendEntry("States", st.STATE_DONE, "✓ done", "backward has passed through it"),
    LegendEntry(
        "States",
        st.STATE_FREED,
        "freed badge",
        "its saved tensors were released after backward (retain_graph=True keeps them)",
    ),
    LegendEntry(
        "States",
        MUTED,
        "dashed, quiet",
        "not on any gradient path: a comparison, or a value used only in a test or print",
    ),
    LegendEntry("States", st.STATE_ERROR, "! error", "this step raised an error"),
)

_SAMPLE_TITLES = {
    st.ROLE_LEAF: "x",
    st.ROLE_TENSOR: "t",
    st.ROLE_CONSTANT: "2",
    st.ROLE_OP: "add",
    st.ROLE_GRAD_FN: "Mul",
    st.ROLE_ACCUMULATE: "Acc",
    st.ROLE_SEED: "1",
}


def sample_painter(entry: LegendEntry, size: QSize, with_text: bool = True) -> Painter:
    """A painter for the entry's sample, drawn with the canvas's own painting code.
    Without text, box samples are small coloured shapes (for the compact strip)."""
    if entry.section == "Edges":
        return _edge_sample(entry.key, size)
    if entry.section == "States":
        return _box_sample(st.ROLE_GRAD_FN, entry.key, size, with_text)
    return _box_sample(entry.key, st.STATE_IDLE, size, with_text)


def _box_sample(role: str, state: str, size: QSize, with_text: bool) -> Painter:
    leaf = role == st.ROLE_LEAF
    if with_text:
        w, h = (76.0, 48.0) if leaf else (66.0, 30.0)
    else:
        w, h = size.width() - 12.0, size.height() - 10.0
    muted, badges = state == MUTED, ()
    if muted:
        role, state = st.ROLE_OP, st.STATE_IDLE
    elif state == st.STATE_FREED:  # freed is a badge on a box backward has passed
        state, badges = st.STATE_DONE, (st.BADGE_FREED,)
    box = SceneBox(
        id=role,
        role=role,
        title=_SAMPLE_TITLES.get(role, "?") if with_text else "",
        subtitle="",
        value=None,
        grad="g" if leaf else None,  # a leaf shows its .grad strip, its defining feature
        x=0,
        y=0,
        width=w,
        height=h,
        state=state,
        line=None,
        muted=muted,
        badges=badges,
    )
    layout = layout_box(box)
    if not with_text:
        strip = QRectF(-w / 2, h / 2 - 6, w, 6) if leaf else None
        layout = replace(layout, rows=(), strip=strip, strip_row=None, line_tag=None)
    opacity = theme.state_style(state).opacity

    def paint(painter: QPainter) -> None:
        painter.setOpacity(opacity)
        paint_box(painter, box, layout, selected=False)
        painter.setOpacity(1.0)

    return paint


def _edge_sample(kind: str, size: QSize) -> Painter:
    half = size.width() / 2 - 6
    edge = SceneEdge(
        id=kind,
        source="a",
        target="b",
        kind=kind,
        points=((-half, 0.0), (half, 0.0)),
        active=False,
        token=None,
    )
    geo = edge_geometry(edge, None, None)
    look = edge_look(kind, False)
    pill = token_rect("0.5", QPointF(0, 0)) if kind == st.EDGE_GRAD else None
    if kind == st.EDGE_CUT and size.width() < 64:  # too short for the "✂ cut" mark
        geo = replace(geo, cut_rect=None)

    def paint(painter: QPainter) -> None:
        paint_edge(painter, edge, geo, look)
        if pill is not None:
            paint_token(painter, pill, "0.5")

    return paint


def _begin(widget: QWidget) -> QPainter:
    painter = QPainter(widget)
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
    return painter


class Swatch(QWidget):
    """One sample, at a fixed size."""

    def __init__(self, entry: LegendEntry, size: QSize, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(size)
        self._paint = sample_painter(entry, size)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = _begin(self)
        painter.translate(self.width() / 2, self.height() / 2)
        self._paint(painter)
        painter.end()


class FullLegend(QWidget):
    """Every entry with its explanation written out, grouped by section."""

    SWATCH = QSize(84, 54)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(6)
        for section in ("Boxes", "Edges", "States"):
            heading = QLabel(section)
            heading.setFont(ui_font(theme.TITLE_PT, bold=True))
            heading.setStyleSheet(f"color: {theme.TEXT.name()}; padding-top: 4px;")
            layout.addWidget(heading)
            grid = QGridLayout()
            grid.setHorizontalSpacing(10)
            grid.setVerticalSpacing(4)
            grid.setColumnStretch(1, 1)
            for row, entry in enumerate(e for e in ENTRIES if e.section == section):
                grid.addWidget(Swatch(entry, self.SWATCH), row, 0, Qt.AlignmentFlag.AlignTop)
                grid.addWidget(self._explanation(entry), row, 1)
            layout.addLayout(grid)
        layout.addStretch(1)

    @staticmethod
    def _explanation(entry: LegendEntry) -> QLabel:
        label = QLabel(f"<b>{html.escape(entry.name)}</b>: {html.escape(entry.explanation)}")
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setWordWrap(True)
        label.setFont(ui_font(theme.BODY_PT))
        label.setStyleSheet(f"color: {theme.TEXT.name()};")
        label.setMinimumWidth(160)
        return label


class CompactLegend(QWidget):
    """A strip of small samples with names that wraps to the width it gets; the sample
    under the pointer explains itself on the hint line below (and in a tooltip)."""

    SWATCH = QSize(44, 28)
    EDGE_SWATCH = QSize(66, 28)  # long enough to show the arrow beside a token or mark
    GAP = 10  # between chips
    PAD = 8
    HINT = "Point at a sample to see what it means."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self._name_font = ui_font(theme.SMALL_PT + 0.5)
        self._hint_font = ui_font(theme.SMALL_PT + 0.5)
        self._swatches = [
            self.EDGE_SWATCH if e.section == "Edges" else self.SWATCH for e in ENTRIES
        ]
        self._painters = [
            sample_painter(e, size, with_text=False) for e, size in zip(ENTRIES, self._swatches)
        ]
        fm = QFontMetricsF(self._name_font)
        self._chip_widths = [
            size.width() + 4 + fm.horizontalAdvance(e.name)
            for e, size in zip(ENTRIES, self._swatches)
        ]
        self._hovered: int | None = None
        self._chips: list[QRectF] = []
        self._chips_width = -1

    # Geometry: chips flow left to right and wrap; the hint line sits under them.

    def _flow(self, width: int) -> tuple[list[QRectF], float]:
        x = y = float(self.PAD)
        chips = []
        for w in self._chip_widths:
            if x > self.PAD and x + w > width - self.PAD:
                x, y = float(self.PAD), y + self.SWATCH.height() + 2
            chips.append(QRectF(x, y, w, self.SWATCH.height()))
            x += w + self.GAP
        return chips, y + self.SWATCH.height()

    def _hint_height(self) -> float:
        return QFontMetricsF(self._hint_font).height() + 6

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        return int(self._flow(width)[1] + self._hint_height() + self.PAD)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        width = max(self.width(), 600)
        return QSize(width, self.heightForWidth(width))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(200, self.heightForWidth(max(self.width(), 200)))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.updateGeometry()  # the height we need depends on the width we got

    def _layout(self) -> list[QRectF]:
        if self._chips_width != self.width():
            self._chips, _ = self._flow(self.width())
            self._chips_width = self.width()
        return self._chips

    def entry_at(self, pos: QPointF) -> int | None:
        return next((i for i, r in enumerate(self._layout()) if r.contains(pos)), None)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        hovered = self.entry_at(event.position())
        if hovered != self._hovered:
            self._hovered = hovered
            self.update()

    def leaveEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        self._hovered = None
        self.update()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            i = self.entry_at(QPointF(event.pos()))
            if i is None:
                QToolTip.hideText()
            else:
                entry = ENTRIES[i]
                QToolTip.showText(event.globalPos(), f"{entry.name}: {entry.explanation}", self)
            return True
        return super().event(event)

    def hint_text(self) -> str:
        if self._hovered is None:
            return self.HINT
        entry = ENTRIES[self._hovered]
        return f"{entry.name}: {entry.explanation}"

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = _begin(self)
        chips = self._layout()
        for i, (rect, paint) in enumerate(zip(chips, self._painters)):
            sw, sh = self._swatches[i].width(), self._swatches[i].height()
            if i == self._hovered:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(theme.MINIMAP_VIEW_FILL)
                painter.drawRoundedRect(rect.adjusted(-4, -1, 4, 1), 5, 5)
            painter.save()
            painter.translate(rect.left() + sw / 2, rect.top() + sh / 2)
            paint(painter)
            painter.restore()
            painter.setOpacity(1.0)
            painter.setFont(self._name_font)
            painter.setPen(theme.TEXT)
            text_rect = QRectF(rect.left() + sw + 4, rect.top(), rect.width() - sw - 4, sh)
            painter.drawText(text_rect, int(Qt.AlignmentFlag.AlignVCenter), ENTRIES[i].name)
        bottom = (chips[-1].bottom() if chips else 0) + 4
        hint = QRectF(self.PAD, bottom, self.width() - 2 * self.PAD, self._hint_height())
        painter.setFont(self._hint_font)
        painter.setPen(theme.TEXT if self._hovered is not None else theme.TEXT_MUTED)
        text = QFontMetricsF(self._hint_font).elidedText(
            self.hint_text(), Qt.TextElideMode.ElideRight, hint.width()
        )
        painter.drawText(hint, int(Qt.AlignmentFlag.AlignVCenter), text)
        painter.end()


class Legend(QWidget):
    """The legend: the full list by default (for a dock or a scroll area), or a compact
    strip (`compact=True`) that fits under the canvas."""

    def __init__(self, parent: QWidget | None = None, compact: bool = False) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.body: QWidget = CompactLegend(self) if compact else FullLegend(self)
        layout.addWidget(self.body)
        self.entries = ENTRIES
