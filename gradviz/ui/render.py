"""How a Scene becomes a picture: the graphics items for boxes, edges and gradient tokens,
the in-place updater that keeps them in step with a Scene, and headless rendering to an
image.

The interactive canvas (gradviz.ui.canvas) and image export both build their items with
`SceneItems`, so an exported PNG shows exactly what the canvas shows at rest.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsItem,
    QGraphicsScene,
    QStyleOptionGraphicsItem,
    QWidget,
)

from gradviz.core import scene_types as st
from gradviz.core.scene_types import Scene, SceneBox, SceneEdge
from gradviz.ui import theme
from gradviz.ui.fonts import mono_font, ui_font
from gradviz.ui.text_measure import Measure, measure

# ---------------------------------------------------------------------------------------
# Polylines


class Polyline:
    """Points with cumulative lengths, to find the point a fraction of the way along."""

    __slots__ = ("points", "_xs", "_ys", "_cum", "length")

    def __init__(self, points: list[QPointF]) -> None:
        self.points = points
        xs = self._xs = [p.x() for p in points]
        ys = self._ys = [p.y() for p in points]
        cum = [0.0]
        for i in range(1, len(points)):
            cum.append(cum[-1] + math.hypot(xs[i] - xs[i - 1], ys[i] - ys[i - 1]))
        self._cum = cum
        self.length = cum[-1]

    def direction_at(self, fraction: float) -> tuple[float, float]:
        """The unit direction of travel at `fraction` (1, 0 for a degenerate line)."""
        eps = 1.0 / max(self.length, 1.0)
        ax, ay = self.xy_at(fraction - eps)
        bx, by = self.xy_at(fraction + eps)
        dx, dy = bx - ax, by - ay
        norm = math.hypot(dx, dy)
        return (dx / norm, dy / norm) if norm > 0 else (1.0, 0.0)

    def point_at(self, fraction: float) -> QPointF:
        """The point at `fraction` (0 = first point, 1 = last) of the arc length."""
        return QPointF(*self.xy_at(fraction))

    def xy_at(self, fraction: float) -> tuple[float, float]:
        """point_at as plain numbers (edges ask for dozens of points each)."""
        xs, ys = self._xs, self._ys
        if len(xs) == 1 or self.length <= 0.0:
            return xs[0], ys[0]
        target = min(max(fraction, 0.0), 1.0) * self.length
        cum = self._cum
        # Few segments per edge: a linear scan beats bisect's overhead here.
        i = 1
        while i < len(cum) - 1 and cum[i] < target:
            i += 1
        seg = cum[i] - cum[i - 1]
        t = 0.0 if seg <= 0.0 else (target - cum[i - 1]) / seg
        return xs[i - 1] + (xs[i] - xs[i - 1]) * t, ys[i - 1] + (ys[i] - ys[i - 1]) * t


def _exit_point(inside: QPointF, outside: QPointF, rect: QRectF) -> QPointF:
    """Where the segment inside -> outside crosses the border of `rect` (the nearest
    border line the segment reaches, in closed form)."""
    x0, y0 = inside.x(), inside.y()
    dx, dy = outside.x() - x0, outside.y() - y0
    t = 1.0
    if dx > 0:
        t = min(t, (rect.right() - x0) / dx)
    elif dx < 0:
        t = min(t, (rect.left() - x0) / dx)
    if dy > 0:
        t = min(t, (rect.bottom() - y0) / dy)
    elif dy < 0:
        t = min(t, (rect.top() - y0) / dy)
    t = max(t, 0.0)
    return QPointF(x0 + dx * t, y0 + dy * t)


def clip_polyline(
    points: list[QPointF], source: QRectF | None, target: QRectF | None
) -> list[QPointF]:
    """Trim a polyline so it starts where it leaves `source` and ends where it enters
    `target`. Layouts may route edges from box centres or from box borders; either way
    the drawn edge then touches the borders and its arrowhead stays visible."""
    pts = list(points)
    if source is not None and len(pts) >= 2 and source.contains(pts[0]):
        k = 0
        while k < len(pts) and source.contains(pts[k]):
            k += 1
        if k < len(pts):
            pts = [_exit_point(pts[k - 1], pts[k], source)] + pts[k:]
    if target is not None and len(pts) >= 2 and target.contains(pts[-1]):
        k = len(pts) - 1
        while k >= 0 and target.contains(pts[k]):
            k -= 1
        if k >= 0:
            pts = pts[: k + 1] + [_exit_point(pts[k + 1], pts[k], target)]
    return pts


def _shorten_end(points: list[QPointF], by: float) -> list[QPointF]:
    """Pull the last point back by `by` along the last segment (room for an arrowhead)."""
    if len(points) < 2:
        return points
    a, b = points[-2], points[-1]
    seg = math.hypot(b.x() - a.x(), b.y() - a.y())
    if seg <= by + 1.0:
        return points
    t = (seg - by) / seg
    return points[:-1] + [QPointF(a.x() + (b.x() - a.x()) * t, a.y() + (b.y() - a.y()) * t)]


def rounded_polyline_path(points: list[QPointF], radius: float) -> QPainterPath:
    """A path through `points` whose bends are rounded off with quadratic curves."""
    path = QPainterPath(points[0])
    for i in range(1, len(points) - 1):
        prev, corner, nxt = points[i - 1], points[i], points[i + 1]
        d_in = math.hypot(corner.x() - prev.x(), corner.y() - prev.y())
        d_out = math.hypot(nxt.x() - corner.x(), nxt.y() - corner.y())
        r = min(radius, d_in / 2, d_out / 2)
        if r <= 0.5:
            path.lineTo(corner)
            continue
        a = corner + (prev - corner) * (r / d_in)
        b = corner + (nxt - corner) * (r / d_out)
        path.lineTo(a)
        path.quadTo(corner, b)
    if len(points) > 1:
        path.lineTo(points[-1])
    return path


def arrowhead(tip: QPointF, from_point: QPointF) -> QPolygonF:
    """A filled triangle with its tip at `tip`, pointing away from `from_point`."""
    dx, dy = tip.x() - from_point.x(), tip.y() - from_point.y()
    norm = math.hypot(dx, dy) or 1.0
    ux, uy = dx / norm, dy / norm
    bx, by = tip.x() - ux * theme.ARROW_LENGTH, tip.y() - uy * theme.ARROW_LENGTH
    half = theme.ARROW_WIDTH / 2
    return QPolygonF(
        [tip, QPointF(bx - uy * half, by + ux * half), QPointF(bx + uy * half, by - ux * half)]
    )


_NO_CACHE = QGraphicsItem.CacheMode.NoCache
_DEVICE_CACHE = QGraphicsItem.CacheMode.DeviceCoordinateCache

# ---------------------------------------------------------------------------------------
# Fonts and text


@cache  # a few dozen (kind, size) pairs; kept, so measures stay valid
def _font(kind: str, px: int) -> QFont:
    """Cached fonts by kind and whole pixel size (fonts are shared, never mutated)."""
    pt = px * 0.75  # the inverse of fonts.pt_to_px, exact for whole pixels
    if kind == "mono":
        return mono_font(pt)
    return ui_font(pt, bold=(kind == "bold"))


_METRICS: dict[tuple[str, int], Measure] = {}


def _metrics(kind: str, px: int) -> Measure:
    """measure(_font(kind, px)), in one lookup (boxes ask for it hundreds of times)."""
    found = _METRICS.get((kind, px))
    if found is None:
        found = _METRICS[(kind, px)] = measure(_font(kind, px))
    return found


def _px(pt: float) -> int:
    return max(1, round(pt * 4 / 3))


# Semantic zoom: text is drawn only where it is at least this many pixels high on screen;
# what would be smaller is dropped by priority (values and grads first, then subtitles,
# then the full title, which gives way to a short name drawn at a readable size).
MIN_SCREEN_PX = 9.0

# Tests set this to a list to collect (text, pixel height on screen) for every text drawn.
TEXT_PROBE: list | None = None


def _put_text(painter: QPainter, rect: QRectF, flags: int, text: str) -> None:
    if TEXT_PROBE is not None:
        TEXT_PROBE.append((text, painter.font().pixelSize() * _lod(painter)))
    painter.drawText(rect, flags, text)


def readable(px: float, lod: float) -> bool:
    """Whether text of `px` scene pixels is tall enough on screen at zoom `lod`."""
    return px * lod >= MIN_SCREEN_PX - 1e-6


# Pills (gradient tokens, edge labels, cut marks) grow up to this much when zoomed out
# so their text stays readable; further out they are drawn without text.
PILL_GROWTH = 1.6


def pill_growth(px: int, lod: float) -> float | None:
    """How much a pill with `px` text must grow to stay readable at `lod` (1 when it
    already is), or None when that would be more than PILL_GROWTH."""
    if readable(px, lod):
        return 1.0
    grow = MIN_SCREEN_PX / (px * max(lod, 1e-6))
    return grow if grow <= PILL_GROWTH else None


def _grown(rect: QRectF, factor: float) -> QRectF:
    w, h = rect.width() * factor, rect.height() * factor
    c = rect.center()
    return QRectF(c.x() - w / 2, c.y() - h / 2, w, h)


# ---------------------------------------------------------------------------------------
# Boxes

ACCENT_WIDTH = 4.0
V_PAD = 5.0
STRIP_PAD = 3.0
ITEM_MARGIN = 12.0  # room around a box for its glow, selection ring and badge


@dataclass(frozen=True)
class TextRow:
    text: str
    font: QFont
    color: QColor
    rect: QRectF


@dataclass(frozen=True)
class BoxLayout:
    """Where each piece of a box goes, in the box's local coordinates (centre = 0, 0)."""

    rect: QRectF
    rows: tuple[TextRow, ...]
    strip: QRectF | None
    strip_row: TextRow | None
    line_tag: TextRow | None


def grad_text(box: SceneBox) -> str | None:
    """The gradient strip's text: a leaf always shows its .grad, even when None."""
    if box.role == st.ROLE_LEAF:
        return f".grad = {box.grad if box.grad is not None else 'None'}"
    if box.grad is not None:
        return f"grad = {box.grad}"
    return None


@dataclass(frozen=True)
class _Wanted:
    name: str
    text: str
    kind: str  # "bold" (title), "ui" or "mono"
    color: QColor


# A row too wide for its box may shrink this many pixels below its height-fitted size
# before it is elided; more would break the title > body size hierarchy.
WIDTH_SHRINK_PX = 2
MODULE_BORDER_GAP = 3.5  # between the two borders of a collapsed module's box


@lru_cache(maxsize=8192)
def layout_box(box: SceneBox) -> BoxLayout:
    """Fit the box's text into its size: shrink all fonts until the rows fit the height
    (dropping the least important rows if even the smallest size is too tall), then let a
    row that is too wide shrink a little more, and elide what still does not fit."""
    w, h = max(box.width, 8.0), max(box.height, 8.0)
    rect = QRectF(-w / 2, -h / 2, w, h)
    side = theme.BOX_PADDING + ACCENT_WIDTH / 2
    avail_w = max(w - 2 * side, 4.0)

    muted = box.muted
    title_colour = theme.MUTED_TEXT if muted else theme.role_style(box.role).title
    wanted = [_Wanted("title", box.title, "bold", title_colour)]
    if box.subtitle:
        wanted.append(
            _Wanted("subtitle", box.subtitle, "ui", theme.MUTED_TEXT if muted else theme.TEXT_MUTED)
        )
    if box.value is not None:
        wanted.append(
            _Wanted("value", box.value, "mono", theme.MUTED_TEXT if muted else theme.TEXT)
        )
    if box.note:
        wanted.append(_Wanted("note", box.note, "mono", theme.NOTE_TEXT))
    strip_text = grad_text(box)

    title_px, body_px, min_px = _px(theme.TITLE_PT), _px(theme.BODY_PT), _px(theme.MIN_PT)

    def px_of(kind: str, shrink: int) -> int:
        return max((title_px if kind == "bold" else body_px) - shrink, min_px)

    def needed_height(rows: list[_Wanted], shrink: int) -> float:
        total = 2 * V_PAD + sum(
            _metrics(r.kind, px_of(r.kind, shrink)).height() + theme.ROW_GAP for r in rows
        )
        if strip_text is not None:
            total += _metrics("mono", px_of("mono", shrink)).height() + 2 * STRIP_PAD
        return total

    max_shrink = title_px - min_px
    shrink = next((s for s in range(max_shrink + 1) if needed_height(wanted, s) <= h), None)
    if shrink is None:  # too tall even at the smallest size: drop rows, least useful first
        shrink = max_shrink
        for name in ("subtitle", "note", "value"):
            if needed_height(wanted, shrink) <= h:
                break
            wanted = [r for r in wanted if r.name != name]

    def fitted(text: str, kind: str) -> tuple[str, int]:
        """The text and pixel size for one row: a little smaller if that makes it fit."""
        base = px_of(kind, shrink)
        for px in range(base, max(base - WIDTH_SHRINK_PX, min_px) - 1, -1):
            if _metrics(kind, px).horizontalAdvance(text) <= avail_w:
                return text, px
        px = max(base - WIDTH_SHRINK_PX, min_px)
        return _metrics(kind, px).elidedText(text, Qt.TextElideMode.ElideRight, avail_w), px

    strip = strip_row = None
    content_bottom = rect.bottom()
    if strip_text is not None:
        strip_h = _metrics("mono", px_of("mono", shrink)).height() + 2 * STRIP_PAD
        strip = QRectF(rect.left(), rect.bottom() - strip_h, w, strip_h)
        color = theme.GRAD_NONE_TEXT if box.grad is None else theme.GRAD_STRIP_TEXT
        text, px = fitted(strip_text, "mono")
        strip_row = TextRow(text, _font("mono", px), color, strip.adjusted(side, 0, -side, 0))
        content_bottom = strip.top()

    heights = [_metrics(r.kind, px_of(r.kind, shrink)).height() for r in wanted]
    block = sum(heights) + theme.ROW_GAP * max(len(heights) - 1, 0)
    y = rect.top() + max((content_bottom - rect.top() - block) / 2, 0.0)
    # Rows of one kind (the value and the note are both mono) share the smallest size any
    # of them needed, so numbers that belong together look alike.
    px_by_kind: dict[str, int] = {}
    for r in wanted:
        px_by_kind[r.kind] = min(px_by_kind.get(r.kind, 1000), fitted(r.text, r.kind)[1])
    rows = []
    for r, row_h in zip(wanted, heights):
        px = px_by_kind[r.kind]
        fm = _metrics(r.kind, px)
        text = fm.elidedText(r.text, Qt.TextElideMode.ElideRight, avail_w)
        row_rect = QRectF(rect.left() + side, y, avail_w, row_h)
        rows.append(TextRow(text, _font(r.kind, px), r.color, row_rect))
        y += row_h + theme.ROW_GAP

    return BoxLayout(rect, tuple(rows), strip, strip_row, _line_tag(box, rect, rows, side))


def needs_zoomed_layout(layout: BoxLayout, lod: float) -> bool:
    """Whether some text of the box would be drawn below MIN_SCREEN_PX at `lod`."""
    rows = [*layout.rows, layout.strip_row]
    return any(r is not None and not readable(r.font.pixelSize(), lod) for r in rows)


@lru_cache(maxsize=4096)
def zoomed_layout(box: SceneBox, px: int) -> BoxLayout:
    """The box's text when zoomed out: every text at least `px` scene pixels (so at
    least MIN_SCREEN_PX on screen), keeping rows by priority (title, value, gradient,
    note, subtitle) while they fit the box's height. No rows at all when not even the
    title fits (the painter then draws a short name)."""
    base = layout_box(box)
    rect = base.rect
    side = theme.BOX_PADDING + ACCENT_WIDTH / 2
    avail_w = max(rect.width() - 2 * side, 4.0)
    colours = {}
    texts = {
        "title": box.title or None,
        "subtitle": box.subtitle or None,
        "value": box.value or None,
        "note": box.note or None,
    }
    # layout_box keeps its rows in this order, skipping the missing ones.
    present = ["title"] + [n for n in ("subtitle", "value", "note") if texts[n]]
    for name, row in zip(present, base.rows):
        colours[name] = row.color
    kind = _ROW_KINDS
    strip_text = base.strip_row.text if base.strip_row is not None else None
    if strip_text is not None:
        texts["grad"] = grad_text(box)
        colours["grad"] = base.strip_row.color

    title_size, body_size = max(_px(theme.TITLE_PT), px), max(_px(theme.BODY_PT), px)

    def size(name: str) -> int:
        return title_size if name == "title" else body_size

    # Badges straddle the top edge at a readable size: keep the rows below them.
    top = rect.top()
    if box_badges(box):
        top += (_metrics("bold", max(_px(theme.SMALL_PT), px)).height() + 2) / 2
    budget = rect.bottom() - top - 2 * V_PAD
    chosen = []
    for name in ("title", "value", "grad", "note", "subtitle"):
        if name not in colours or not texts.get(name):
            continue
        h = _metrics(kind[name], size(name)).height() + (2 * STRIP_PAD if name == "grad" else 0)
        if h + theme.ROW_GAP > budget:
            if name == "title":
                return BoxLayout(rect, (), None, None, None)
            continue
        budget -= h + theme.ROW_GAP
        chosen.append(name)

    def fitted(name: str) -> str:
        fm = _metrics(kind[name], size(name))
        text = texts[name]
        if name == "title" and fm.horizontalAdvance(text) > avail_w:
            text = short_name(text)
        return fm.elidedText(text, Qt.TextElideMode.ElideRight, avail_w)

    strip = strip_row = None
    bottom = rect.bottom()
    if "grad" in chosen:
        h = _metrics("mono", size("grad")).height() + 2 * STRIP_PAD
        strip = QRectF(rect.left(), rect.bottom() - h, rect.width(), h)
        strip_row = TextRow(
            fitted("grad"),
            _font("mono", size("grad")),
            colours["grad"],
            strip.adjusted(side, 0, -side, 0),
        )
        bottom = strip.top()
    order = [n for n in ("title", "subtitle", "value", "note") if n in chosen]
    heights = [_metrics(kind[n], size(n)).height() for n in order]
    block = sum(heights) + theme.ROW_GAP * max(len(heights) - 1, 0)
    y = top + max((bottom - top - block) / 2, 0.0)
    rows = []
    for name, h in zip(order, heights):
        text = fitted(name)
        if not text or text == "…":
            if name == "title":
                return BoxLayout(rect, (), None, None, None)
            continue
        rows.append(
            TextRow(
                text,
                _font(kind[name], size(name)),
                colours[name],
                QRectF(rect.left() + side, y, avail_w, h),
            )
        )
        y += h + theme.ROW_GAP
    return BoxLayout(rect, tuple(rows), strip, strip_row, None)


# Their rows carry the theme's colours. A box's item and its zoomed-out look share one
# layout_box (a graph's boxes are laid out once, not once per zoom).
theme.on_theme_changed(zoomed_layout.cache_clear)
theme.on_theme_changed(layout_box.cache_clear)


_ROW_KINDS = {"title": "bold", "subtitle": "ui", "value": "mono", "note": "mono", "grad": "mono"}


def _line_tag(box: SceneBox, rect: QRectF, rows: list[TextRow], side: float) -> TextRow | None:
    """A small "L3" in the top-left corner, if the title leaves room for it."""
    if box.line is None or not rows:
        return None
    px = _px(theme.SMALL_PT)
    fm = _metrics("ui", px)
    text = f"L{box.line}"
    tag_w = fm.horizontalAdvance(text)
    title_w = measure(rows[0].font).horizontalAdvance(rows[0].text)
    left = rect.left() + ACCENT_WIDTH + 4
    if left + tag_w + 4 > -title_w / 2 or rect.height() < 2 * fm.height():
        return None
    return TextRow(
        text,
        _font("ui", px),
        theme.TEXT_MUTED,
        QRectF(left, rect.top() + 2, tag_w + 1, fm.height()),
    )


def box_badges(box: SceneBox) -> list[tuple[str, QColor]]:
    """The small marks on a box's top-right corner: its state's (✓, !) and its own
    badges (freed), never a halo."""
    out = []
    state = theme.state_style(box.state)
    if state.badge:
        out.append((state.badge, state.badge_color or theme.TEXT_MUTED))
    for badge in box.badges:
        if badge == st.BADGE_FREED and badge not in (t for t, _ in out):
            out.append((badge, theme.state_style(st.STATE_FREED).badge_color))
        elif badge == st.BADGE_SHARED:  # one of the boxes of a node shared by many steps
            out.append((badge, theme.role_style(box.role).accent))
    return out


@lru_cache(maxsize=1024)
def _inside_box(box: tuple, part: tuple) -> QPainterPath:
    """The part of a box's rounded outline (both as (x, y, w, h)) inside a rect."""
    outline = QPainterPath()
    outline.addRoundedRect(QRectF(*box), theme.BOX_RADIUS, theme.BOX_RADIUS)
    piece = QPainterPath()
    piece.addRect(QRectF(*part))
    return outline.intersected(piece)


def paint_box(
    painter: QPainter, box: SceneBox, layout: BoxLayout, selected: bool, lod: float = 1.0
) -> None:
    """Paint a box in its role's look and its state's decoration, in local coordinates.
    Shared by the graph items and the legend swatches.

    Semantic zoom: each text is drawn only if it is readable on screen at `lod`; when
    even the title is too small, a short name is drawn at a readable size instead."""
    role = theme.role_style(box.role)
    state = theme.state_style(box.state)
    muted = box.muted and box.state not in (st.STATE_ACTIVE, st.STATE_ERROR)
    if lod > 0 and needs_zoomed_layout(layout, lod):
        layout = zoomed_layout(box, math.ceil(MIN_SCREEN_PX / lod - 1e-6))
    rect = layout.rect
    outline = QPainterPath()
    outline.addRoundedRect(rect, theme.BOX_RADIUS, theme.BOX_RADIUS)

    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    if state.glow is not None and not muted:
        _paint_glow(painter, rect, state.glow)

    if box.ref_of is not None and not muted:
        # One of several boxes of one shared node: drawn as a stack of cards.
        painter.setPen(QPen(role.border, 1.0))
        painter.setBrush(role.fill)
        painter.drawRoundedRect(rect.translated(4.0, -4.0), theme.BOX_RADIUS, theme.BOX_RADIUS)

    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(theme.MUTED_FILL if muted else (state.fill or role.fill))
    painter.drawPath(outline)

    # The accent and the grad strip are cut to the rounded outline as paths, made once
    # per size: clipping to a path made each box cost half as much again to paint.
    box_key = rect.getRect()
    if not muted:
        painter.setBrush(role.accent)
        accent = (rect.left(), rect.top(), ACCENT_WIDTH, rect.height())
        painter.drawPath(_inside_box(box_key, accent))
    if layout.strip is not None:
        painter.setBrush(theme.GRAD_STRIP_FILL)
        painter.drawPath(_inside_box(box_key, layout.strip.getRect()))
        painter.setPen(QPen(theme.GRAD_STRIP_LINE, 1.0))
        top = layout.strip.top()
        painter.drawLine(QPointF(rect.left(), top), QPointF(rect.right(), top))

    if muted:
        pen = QPen(theme.MUTED_BORDER, theme.BOX_BORDER, Qt.PenStyle.DashLine)
        inset = theme.BOX_BORDER / 2
    else:
        pen = QPen(state.border or role.border, state.border_width)
        if state.border_dash:
            pen.setStyle(Qt.PenStyle.DashLine)
        inset = state.border_width / 2
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRoundedRect(
        rect.adjusted(inset, inset, -inset, -inset),
        theme.BOX_RADIUS - inset,
        theme.BOX_RADIUS - inset,
    )
    if box.role == st.ROLE_MODULE:  # a collapsed module: a double border
        pen.setWidthF(min(pen.widthF(), theme.BOX_BORDER))
        painter.setPen(pen)
        gap = inset + MODULE_BORDER_GAP
        painter.drawRoundedRect(
            rect.adjusted(gap, gap, -gap, -gap),
            theme.BOX_RADIUS - gap,
            theme.BOX_RADIUS - gap,
        )

    title = layout.rows[0] if layout.rows else None
    if title is not None and readable(title.font.pixelSize(), lod):
        for row in layout.rows:
            if readable(row.font.pixelSize(), lod):
                _draw_text(painter, row, Qt.AlignmentFlag.AlignCenter)
        strip = layout.strip_row
        if strip is not None and readable(strip.font.pixelSize(), lod):
            _draw_text(painter, strip, Qt.AlignmentFlag.AlignCenter)
        tag = layout.line_tag
        if tag is not None and readable(tag.font.pixelSize(), lod):
            _draw_text(painter, tag, Qt.AlignmentFlag.AlignLeft)
    elif lod > 0:
        _paint_short_name(painter, box, rect, lod, theme.MUTED_TEXT if muted else role.title)
    _paint_badges(painter, rect, box_badges(box), lod)

    if selected:
        ring = QPen(theme.SELECTION, 2.0, Qt.PenStyle.CustomDashLine)
        ring.setDashPattern([3.0, 2.0])
        painter.setPen(ring)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(
            rect.adjusted(-5, -5, 5, 5), theme.BOX_RADIUS + 4, theme.BOX_RADIUS + 4
        )


def short_name(title: str) -> str:
    """A box's name when zoomed far out: "MulBackward0" -> "Mul", "AccumulateGrad" -> "Acc"."""
    for suffix in ("Backward0", "Backward1", "Backward"):
        if title.endswith(suffix) and len(title) > len(suffix):
            return title[: -len(suffix)]
    if title == "AccumulateGrad":
        return "Acc"
    return title


def _paint_short_name(
    painter: QPainter, box: SceneBox, rect: QRectF, lod: float, color: QColor
) -> None:
    """Zoomed far out: the title (or its short name, if the title is too wide) in a font
    big enough to read, if that fits the box."""
    px = math.ceil(MIN_SCREEN_PX / lod)
    fm = _metrics("bold", px)
    if fm.height() > rect.height() - 2:
        return
    avail = rect.width() - 2 * theme.BOX_PADDING
    name = box.title if fm.horizontalAdvance(box.title) <= avail else short_name(box.title)
    text = fm.elidedText(name, Qt.TextElideMode.ElideRight, avail)
    if not text or text == "…":
        return
    painter.setFont(_font("bold", px))
    painter.setPen(color)
    _put_text(painter, rect, _CENTER, text)


def _draw_text(painter: QPainter, row: TextRow, align: Qt.AlignmentFlag) -> None:
    painter.setFont(row.font)
    painter.setPen(row.color)
    _put_text(painter, row.rect, int(align | Qt.AlignmentFlag.AlignVCenter), row.text)


def _paint_glow(painter: QPainter, rect: QRectF, color: QColor) -> None:
    """A soft halo: a few widening translucent rings around the box."""
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for grow, alpha in ((7.0, 40), (4.5, 70), (2.0, 120)):
        c = QColor(color)
        c.setAlpha(alpha)
        painter.setPen(QPen(c, 3.0))
        r = theme.BOX_RADIUS + grow
        painter.drawRoundedRect(rect.adjusted(-grow, -grow, grow, grow), r, r)


def badge_rects(rect: QRectF, badges: list[tuple[str, QColor]], px: int) -> list[QRectF]:
    """Pills straddling the top-right corner of `rect`, right to left."""
    fm = _metrics("bold", px)
    h = fm.height() + 2
    right = rect.right() - 6
    out = []
    for text, _ in badges:
        w = max(h, fm.horizontalAdvance(text) + 8)
        out.append(QRectF(right - w, rect.top() - h / 2, w, h))
        right -= w + 3
    return out


def _badge_px(lod: float) -> int:
    return max(_px(theme.SMALL_PT), math.ceil(MIN_SCREEN_PX / max(lod, 1e-6)))


def _paint_badges(
    painter: QPainter, rect: QRectF, badges: list[tuple[str, QColor]], lod: float
) -> None:
    """Small pills straddling the top-right corner: ✓ done, "freed", ! error. Drawn at a
    readable size; left out when that would be bigger than the box."""
    if not badges:
        return
    px = _badge_px(lod)
    pills = badge_rects(rect, badges, px)
    # Zoomed far out a readable badge would outgrow the box (and the item's margin).
    if pills[-1].left() < rect.left() or pills[0].height() / 2 > ITEM_MARGIN:
        return
    font = _font("bold", px)
    for pill, (text, color) in zip(pills, badges):
        h = pill.height()
        painter.setPen(QPen(theme.CANVAS_BG, 1.5))
        painter.setBrush(color)
        painter.drawRoundedRect(pill, h / 2, h / 2)
        painter.setFont(font)
        painter.setPen(theme.BADGE_TEXT)
        _put_text(painter, pill, _CENTER, text)


def _lod(painter: QPainter) -> float:
    return QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())


def _box_bounds(layout: BoxLayout) -> QRectF:
    m = ITEM_MARGIN
    return layout.rect.adjusted(-m, -m, m, m)


class BoxItem(QGraphicsItem):
    """One SceneBox, positioned at its centre; repainted only when its box changes."""

    def __init__(self, box: SceneBox, cached: bool = True) -> None:
        super().__init__()
        self.box = box
        self.layout = layout_box(box)
        self._bounds = _box_bounds(self.layout)
        self._text_rects: list[QRectF] | None = None
        self.selected = False
        self.z = 0.0
        # Boxes rarely change while tokens move over them: cache their pixels.
        self.setCacheMode(_DEVICE_CACHE if cached else _NO_CACHE)
        self.setPos(box.x, box.y)
        self._apply_state()

    def set_box(self, box: SceneBox) -> None:
        if box == self.box:
            return
        if (box.width, box.height) != (self.box.width, self.box.height):
            self.prepareGeometryChange()
        old, self.box = self.box, box
        self.layout = layout_box(box)
        self._text_rects = None
        self._bounds = _box_bounds(self.layout)
        if (box.x, box.y) != (old.x, old.y):
            self.setPos(box.x, box.y)
        self._apply_state()
        self.update()

    def cache_pixels(self) -> None:
        self.setCacheMode(_DEVICE_CACHE)

    def set_selected(self, selected: bool) -> None:
        if selected != self.selected:
            self.selected = selected
            self.update()

    def _apply_state(self) -> None:
        self.setOpacity(theme.state_style(self.box.state).opacity)

    def scene_rect(self) -> QRectF:
        return self.layout.rect.translated(self.pos())

    def text_rects(self) -> list[QRectF]:
        """Its text rows (title, subtitle, value, note, grad strip, line tag), as tight as
        their text, in scene coordinates."""
        if self._text_rects is None:
            lay = self.layout
            rects = []
            for row in (*lay.rows, lay.strip_row, lay.line_tag):
                if row is None or not row.text:
                    continue
                w = min(measure(row.font).horizontalAdvance(row.text), row.rect.width())
                left = row.rect.left() if row is lay.line_tag else row.rect.center().x() - w / 2
                rects.append(QRectF(left, row.rect.top(), w, row.rect.height()))
            self._text_rects = rects
        pos = self.pos()
        return [r.translated(pos) for r in self._text_rects]

    def badge_rects(self, lod: float = 1.0) -> list[QRectF]:
        badges = box_badges(self.box)
        return badge_rects(self.scene_rect(), badges, _badge_px(lod)) if badges else []

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(self.layout.rect, theme.BOX_RADIUS, theme.BOX_RADIUS)
        return path

    def paint(self, painter: QPainter, option, widget: QWidget | None = None) -> None:
        paint_box(painter, self.box, self.layout, self.selected, _lod(painter))


# ---------------------------------------------------------------------------------------
# Edges


@dataclass(frozen=True)
class EdgeGeometry:
    polyline: Polyline  # the visible stretch, from the source's border to the target's
    path: QPainterPath  # stroked line, shortened where the arrowhead sits
    arrow: QPolygonF
    label_rect: QRectF | None  # the preferred place of the label (SceneItems may move it)
    cut_rect: QRectF | None
    bounds: QRectF
    cut_text: str = theme.CUT_MARK_TEXT  # "✂ cut", or "✂ detach" when the edge says why
    label_spots: tuple = ()  # other places the label may go, best first


def _pill_at(center: QPointF, text: str, font: QFont, pad_x: float, pad_y: float) -> QRectF:
    fm = measure(font)
    w, h = fm.horizontalAdvance(text) + 2 * pad_x, fm.height() + 2 * pad_y
    return QRectF(center.x() - w / 2, center.y() - h / 2, w, h)


def edge_geometry(edge: SceneEdge, source: QRectF | None, target: QRectF | None) -> EdgeGeometry:
    pts = [QPointF(x, y) for x, y in edge.points]
    if len(pts) < 2 and source is not None and target is not None:
        pts = [source.center(), target.center()]
    if not pts:
        pts = [QPointF(0, 0)]
    grow = 1.5  # leave a hair of space between arrow tip and box border
    pts = clip_polyline(
        pts,
        source.adjusted(-grow, -grow, grow, grow) if source is not None else None,
        target.adjusted(-grow, -grow, grow, grow) if target is not None else None,
    )
    polyline = Polyline(pts)
    style = theme.edge_style(edge.kind)

    # The arrow sits at the target (forward data) or at the source (gradients flow back).
    ordered = pts[::-1] if style.arrow_at_source else pts
    if len(ordered) >= 2:
        arrow = arrowhead(ordered[-1], ordered[-2])
        line_pts = _shorten_end(ordered, theme.ARROW_LENGTH * 0.7)
    else:
        arrow, line_pts = QPolygonF(), ordered
    path = rounded_polyline_path(line_pts, theme.EDGE_CORNER_RADIUS)

    label_rect = cut_rect = None
    spots: tuple = ()
    cut_text = theme.CUT_MARK_TEXT
    if edge.kind == st.EDGE_CUT:
        # One mark says both that it is cut and why ("✂ detach"), never two pills.
        if edge.label and edge.label != "cut":
            cut_text = f"✂ {edge.label}"
        font = _font("bold", _px(theme.SMALL_PT))
        cut_rect = _pill_at(polyline.point_at(0.5), cut_text, font, 6, 2)
    elif edge.label:
        spots, grown_spots = _label_spots(polyline, edge.label, source, target)
        label_rect = spots[0]

    bounds = path.boundingRect().united(arrow.boundingRect())
    if cut_rect is not None:
        bounds = bounds.united(_grown(cut_rect, PILL_GROWTH))
    if spots:
        bounds = bounds.united(grown_spots)
    pad = style.width + theme.ACTIVE_EDGE_EXTRA + 6
    return EdgeGeometry(
        polyline,
        path,
        arrow,
        label_rect,
        cut_rect,
        bounds.adjusted(-pad, -pad, pad, pad),
        cut_text,
        spots,
    )


@dataclass(frozen=True)
class EdgeLook:
    """Pens and brushes for one kind of edge, built once and shared (painting runs for
    every visible edge on every full repaint, so it must not build Qt objects)."""

    glow: QPen | None
    line: QPen
    arrow_pen: QPen
    arrow_brush: QBrush


@lru_cache(maxsize=16)
def edge_look(kind: str, active: bool) -> EdgeLook:
    style = theme.edge_style(kind)
    width = style.width + (theme.ACTIVE_EDGE_EXTRA if active else 0.0)
    round_cap, round_join = Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin
    glow = None
    if active:
        glow = QPen(theme.ACTIVE_EDGE_GLOW, width + 6, Qt.PenStyle.SolidLine, round_cap, round_join)
    line = QPen(style.color, width, style.pen_style, round_cap, round_join)
    arrow_pen = QPen(style.color, 1.0, Qt.PenStyle.SolidLine, round_cap, round_join)
    return EdgeLook(glow, line, arrow_pen, QBrush(style.color))


theme.on_theme_changed(edge_look.cache_clear)

EDGE_CACHE_MAX_AREA = 400.0 * 400.0  # scene units²
_NO_PEN = QPen(Qt.PenStyle.NoPen)
_NO_BRUSH = QBrush(Qt.BrushStyle.NoBrush)
_ANTIALIAS = QPainter.RenderHint.Antialiasing
_CENTER = int(Qt.AlignmentFlag.AlignCenter)


LABEL_AT = 0.75  # an input-slot label ("self", "other") names the target's slot
LABEL_SPOTS = (0.75, 0.62, 0.88, 0.5, 0.38)  # where else along the edge it may go


@lru_cache(maxsize=256)
def _label_half_size(text: str) -> tuple[float, float]:
    """Half the width and height of a label's pill (a graph has a few distinct labels)."""
    size = _pill_at(QPointF(0, 0), text, _font("ui", _px(theme.SMALL_PT)), 3, 0)
    return size.width() / 2, size.height() / 2


def _label_spots(
    polyline: Polyline, text: str, source: QRectF | None, target: QRectF | None
) -> tuple[tuple[QRectF, ...], QRectF]:
    """Places for a label beside the line, best first: near its target on the side
    facing away from the straight line between the two boxes (so the labels of
    parallel edges part), then the other side, then further along the edge. Also the
    rect round all of them grown by PILL_GROWTH (the edge item's bounds must hold it)."""
    half_w, half_h = _label_half_size(text)
    mid = None
    if source is not None and target is not None:
        mid = (source.center() + target.center()) / 2
        mid_x, mid_y = mid.x(), mid.y()
    centres = []
    for fraction in LABEL_SPOTS:
        ax, ay = polyline.xy_at(fraction)
        ux, uy = polyline.direction_at(fraction)
        nx, ny = -uy, ux  # the left-hand normal
        side = 1.0
        if mid is not None:
            # Which side of the line between the box centres is this edge on?
            off = (ax - mid_x) * nx + (ay - mid_y) * ny
            side = -1.0 if off < -0.5 else 1.0
        # Distance from the line to the label's centre: half its extent along the normal.
        reach = abs(nx) * half_w + abs(ny) * half_h + 3
        for s in (side, -side):
            centres.append((ax + nx * s * reach, ay + ny * s * reach))
    w, h = 2 * half_w, 2 * half_h
    spots = tuple(QRectF(cx - half_w, cy - half_h, w, h) for cx, cy in centres)
    # The grown rects share one size: their union spans the extreme centres.
    gw, gh = w * PILL_GROWTH, h * PILL_GROWTH
    xs, ys = [c[0] for c in centres], [c[1] for c in centres]
    left, top = min(xs) - gw / 2, min(ys) - gh / 2
    grown = QRectF(left, top, max(xs) - gw / 2 + gw - left, max(ys) - gh / 2 + gh - top)
    return spots, grown


class EdgeItem(QGraphicsItem):
    """One SceneEdge, drawn in scene coordinates (the item itself stays at 0, 0)."""

    def __init__(self, cached: bool = True) -> None:
        super().__init__()
        self.edge: SceneEdge | None = None
        self.geometry: EdgeGeometry | None = None
        self.look: EdgeLook | None = None
        self._bounds = QRectF()
        self._key: tuple | None = None
        self.quick_key: tuple | None = None  # SceneItems' cheap "has anything changed?"
        self.z = 0.0
        self.label_rect: QRectF | None = None  # where the label is drawn (None: left out)
        self.cached = cached  # False: drawn directly until cache_pixels()

    def place_label(self, rect: QRectF | None) -> None:
        """Draw the label at `rect` (one of geometry.label_spots), or not at all."""
        if rect != self.label_rect:
            self.label_rect = rect
            self.update()

    def set_edge(
        self, edge: SceneEdge, source: QRectF | None, target: QRectF | None, faint: bool
    ) -> None:
        key = (edge, _rect_key(source), _rect_key(target), faint)
        if key == self._key:
            return
        self.prepareGeometryChange()
        self._key = key
        self.edge = edge
        self.geometry = edge_geometry(edge, source, target)
        self.label_rect = self.geometry.label_rect
        self.look = edge_look(edge.kind, edge.active)
        self._bounds = self.geometry.bounds
        self._set_cache_mode()
        self.setOpacity(theme.FAINT_EDGE_OPACITY if faint else 1.0)
        self.update()

    def cache_pixels(self) -> None:
        self.cached = True
        self._set_cache_mode()

    def _set_cache_mode(self) -> None:
        # Cached pixels make repaints of big graphs several times cheaper, but a long
        # diagonal edge would cache a large, mostly empty pixmap: draw those directly.
        small = self._bounds.width() * self._bounds.height() <= EDGE_CACHE_MAX_AREA
        mode = _DEVICE_CACHE if small and self.cached else _NO_CACHE
        if self.cacheMode() != mode:
            self.setCacheMode(mode)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option, widget: QWidget | None = None) -> None:
        if self.edge is None:
            return
        geo = self.geometry
        # Most edges carry no text: skip the level-of-detail sum for them.
        has_text = self.label_rect is not None or geo.cut_rect is not None
        lod = _lod(painter) if has_text else 1.0
        paint_edge(painter, self.edge, geo, self.look, lod, self.label_rect)


_GEOMETRY_LABEL = object()


def paint_edge(
    painter: QPainter,
    edge: SceneEdge,
    geo: EdgeGeometry,
    look: EdgeLook,
    lod: float = 1.0,
    label_rect=_GEOMETRY_LABEL,
) -> None:
    """Paint an edge: its line, arrowhead, label and, on a cut edge, the "✂ cut" mark.
    Expects an antialiasing painter (views and renders set it once for all items)."""
    painter.setBrush(_NO_BRUSH)
    if look.glow is not None:
        painter.setPen(look.glow)
        painter.drawPath(geo.path)
    painter.setPen(look.line)
    painter.drawPath(geo.path)
    if not geo.arrow.isEmpty():
        painter.setPen(look.arrow_pen)
        painter.setBrush(look.arrow_brush)
        painter.drawPolygon(geo.arrow)
    small = _px(theme.SMALL_PT)
    grow = pill_growth(small, lod)
    if grow is None:
        return  # labels too small to read (the cut edge stays dashed)
    small = math.ceil(small * grow)
    if label_rect is _GEOMETRY_LABEL:
        label_rect = geo.label_rect
    if label_rect is not None and edge.label:
        label_rect = _grown(label_rect, grow)
        painter.setPen(_NO_PEN)
        painter.setBrush(theme.EDGE_LABEL_BG)
        painter.drawRoundedRect(label_rect, 3, 3)
        painter.setFont(_font("ui", small))
        painter.setPen(theme.EDGE_LABEL_TEXT)
        _put_text(painter, label_rect, _CENTER, edge.label)
    if geo.cut_rect is not None:
        r = _grown(geo.cut_rect, grow)
        painter.setPen(QPen(theme.CUT_MARK_BORDER, 1.2))
        painter.setBrush(theme.CUT_MARK_FILL)
        painter.drawRoundedRect(r, r.height() / 2, r.height() / 2)
        painter.setFont(_font("bold", small))
        painter.setPen(theme.CUT_MARK_COLOR)
        _put_text(painter, r, _CENTER, geo.cut_text)


def _box_key(item: BoxItem | None) -> tuple | None:
    """A box item's place and size (what an edge's geometry depends on)."""
    if item is None:
        return None
    box = item.box
    return (box.x, box.y, box.width, box.height)


def _set_z(item: QGraphicsItem, z: float) -> None:
    """Stacking, set only when it changes (a graph's thousands of items, on every step)."""
    if item.z != z:
        item.z = z
        item.setZValue(z)


def _rect_key(rect: QRectF | None) -> tuple[float, float, float, float] | None:
    return None if rect is None else (rect.x(), rect.y(), rect.width(), rect.height())


# ---------------------------------------------------------------------------------------
# Gradient tokens


class TokenItem(QGraphicsItem):
    """A pill carrying a gradient's value, centred on its position."""

    def __init__(self, text: str, cached: bool = True) -> None:
        super().__init__()
        self.source_text: str | None = None  # as given; `text` is what fits
        self.share = 1.0  # of the widest pill: less when the gap between boxes is narrow
        self.text = ""
        self._rect = QRectF()
        self._bounds = QRectF()
        self.setCacheMode(_DEVICE_CACHE if cached else _NO_CACHE)
        self.set_text(text)

    def set_text(self, text: str, share: float = 1.0) -> None:
        if text == self.source_text and share == self.share:
            return
        self.prepareGeometryChange()
        self.source_text, self.share = text, share
        fm = _metrics("bold", _px(theme.TOKEN_PT))
        max_text = theme.TOKEN_MAX_WIDTH * share - 2 * theme.TOKEN_PAD_X
        self.text = fm.elidedText(text, Qt.TextElideMode.ElideRight, max_text)
        self._rect = token_rect(self.text, QPointF(0, 0))
        # Its rim and drop shadow, and room to grow readable when zoomed out.
        self._bounds = _grown(self._rect, PILL_GROWTH).adjusted(-3, -3, 3, 4)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._bounds

    def cache_pixels(self) -> None:
        self.setCacheMode(_DEVICE_CACHE)

    def pill_rect(self) -> QRectF:
        """The pill itself (without its rim and shadow), around the item's position."""
        return QRectF(self._rect)

    def paint(self, painter: QPainter, option, widget: QWidget | None = None) -> None:
        paint_token(painter, self._rect, self.text, _lod(painter))


def token_rect(text: str, centre: QPointF) -> QRectF:
    """The pill a token's text needs, centred on `centre`."""
    font = _font("bold", _px(theme.TOKEN_PT))
    return _pill_at(centre, text, font, theme.TOKEN_PAD_X, theme.TOKEN_PAD_Y)


def paint_token(painter: QPainter, rect: QRectF, text: str, lod: float = 1.0) -> None:
    """A gradient token: a bold pill with a white rim and a soft shadow. Zoomed out it
    grows a little to keep its text readable, then loses its text."""
    px = _px(theme.TOKEN_PT)
    grow = pill_growth(px, lod)
    if grow is not None and grow > 1.0:
        rect = _grown(rect, grow)
        px = math.ceil(px * grow)
    painter.setRenderHint(_ANTIALIAS, True)
    radius = rect.height() / 2
    painter.setPen(_NO_PEN)
    painter.setBrush(QColor(0, 0, 0, 45))  # the shadow lifts it off the edge below
    painter.drawRoundedRect(rect.translated(0, 1.5), radius, radius)
    painter.setPen(QPen(theme.TOKEN_BORDER, 1.5))
    painter.setBrush(QBrush(theme.TOKEN_FILL))
    painter.drawRoundedRect(rect, radius, radius)
    if grow is not None:  # zoomed far out: the pill without its text
        painter.setFont(_font("bold", px))
        painter.setPen(theme.TOKEN_TEXT)
        _put_text(painter, rect, _CENTER, text)


# ---------------------------------------------------------------------------------------
# Tooltips


def box_tooltip_text(box: SceneBox, rows: list[tuple[str, str]] | None = None) -> str:
    """A box's tooltip (rich text): its title and subtitle, then `rows` (name, value) when
    given (full values from the player), else what the box shows."""
    from html import escape

    if rows is None:
        rows = []
        if box.value is not None:
            rows.append(("value", box.value))
        if box.grad is not None:
            rows.append((".grad" if box.role == st.ROLE_LEAF else "gradient received", box.grad))
        if box.note:
            rows.append(("sum", box.note))
    head = f"<b>{escape(box.title)}</b>"
    if box.subtitle:
        head += f"<br><i>{escape(box.subtitle)}</i>"
    if box.muted:
        head += "<br>not on any gradient path"
    body = "".join(
        f"<tr><td><b>{escape(k)}</b>&nbsp;</td><td><pre style='margin:0'>{escape(v)}</pre></td></tr>"
        for k, v in rows
    )
    return head + (f"<table>{body}</table>" if body else "")


def edge_tooltip_text(edge: SceneEdge, scene: Scene | None, crossed: str | None = None) -> str:
    """An edge's tooltip: what it carries and, once backward has crossed it, the gradient."""
    titles = {b.id: b.title for b in scene.boxes} if scene is not None else {}
    ends = f"{titles.get(edge.source, edge.source)} → {titles.get(edge.target, edge.target)}"
    if edge.kind == st.EDGE_CUT:
        return f"{ends}: cut (detach / no_grad), no gradient crosses it"
    if edge.kind == st.EDGE_SEED:
        return f"{ends}: this gradient= tensor becomes the seed of backward"
    text = crossed or (edge.token.text if edge.token is not None else None)
    if text is not None:
        return f"{ends}\ngradient that crossed it (backward): {text}"
    if edge.kind == st.EDGE_GRAD:
        return f"{ends}\na gradient has crossed it"
    return f"{ends}\nno gradient has crossed it yet"


# ---------------------------------------------------------------------------------------
# Keeping a QGraphicsScene in step with a Scene

Z_EDGE, Z_BOX, Z_TOKEN = 0.0, 10.0, 20.0
TOKEN_SPOTS = (0.5, 0.35, 0.65, 0.25, 0.75)  # resting places tried, middle first
TOKEN_NARROWER = (0.75, 0.55, 0.4)  # shares of the widest pill tried when none fits


class SceneItems:
    """The items of one QGraphicsScene, updated in place from successive Scenes.

    Items are keyed by box and edge id, so stepping through an episode only touches what
    changed. Stacking follows the Scene's order, so a reused set of items paints exactly
    like a freshly built one; labels are placed incrementally with the same result as a
    fresh placement (see _place_labels)."""

    def __init__(self, graphics_scene: QGraphicsScene) -> None:
        self.graphics_scene = graphics_scene
        self.boxes: dict[str, BoxItem] = {}
        self.edges: dict[str, EdgeItem] = {}
        self.tokens: dict[str, TokenItem] = {}  # keyed by edge id
        self.rest_fraction: dict[str, float] = {}  # where each token rests along its edge
        self.scene: Scene | None = None
        self.cached = True  # items keep their pixels (see draw_directly)
        self._reset_placement()

    def draw_directly(self) -> None:
        """Items made from now on paint straight onto the view until cache_pixels(). A
        new graph's first paint then draws each item once, not into a pixmap of its own
        and that onto the view (a third of the first frame's paint)."""
        self.cached = False

    def cache_pixels(self) -> None:
        """Let every item keep its pixels again (repaints while stepping get cheap)."""
        if self.cached:
            return
        self.cached = True
        for table in (self.boxes, self.edges, self.tokens):
            for item in table.values():
                item.cache_pixels()

    def _reset_placement(self) -> None:
        self._text_grid = _RectGrid()  # box text rows and badges, by box id
        self._hard_grid = _RectGrid()  # arrowheads and cut marks, by edge id
        self._soft_grid = _RectGrid()  # preferred label places, by edge id
        self._cut_grid = _RectGrid()  # cut marks, by edge id
        self._label_grid = _RectGrid()  # placed labels, by edge id, with their order
        self._spot_grid = _RectGrid()  # every place a label may go, by edge id
        self._labels: dict[str, QRectF | None] = {}  # edge id -> placed label
        self._token_rects: list[QRectF] = []
        self._redo: set[str] = set()  # labels near something that changed: placed again
        self._static_bounds: QRectF | None = None  # boxes and edges together (bounds())

    def apply(self, scene: Scene) -> None:
        for _ in self.apply_gradually(scene):
            pass

    def apply_gradually(self, scene: Scene) -> Iterator[None]:
        """apply(), pausing after every box and edge item it makes or updates, so that a
        caller can spread a big new graph over several turns of the event loop. Run to its
        end, it leaves exactly what apply() leaves; `scene` is the target from the start."""
        self.scene = scene
        self._redo = set()
        yield from self._apply_boxes(scene)
        yield from self._apply_edges(scene)
        self._apply_tokens(scene)
        yield from self._place_labels()

    def clear(self) -> None:
        for _ in self.clear_gradually():
            pass

    def clear_gradually(self) -> Iterator[None]:
        """clear(), pausing after every item it removes (see apply_gradually)."""
        for table in (self.tokens, self.edges, self.boxes):
            while table:
                self.graphics_scene.removeItem(table.popitem()[1])
                yield
        self.scene = None
        self._reset_placement()

    def item_count(self) -> int:
        return len(self.boxes) + len(self.edges) + len(self.tokens)

    def rest_point(self, edge_id: str) -> QPointF:
        """Where a token rests: the middle of its edge, unless another token is there."""
        polyline = self.edges[edge_id].geometry.polyline
        return polyline.point_at(self.rest_fraction.get(edge_id, 0.5))

    def rest_tokens(self) -> None:
        """Put every token at its resting place."""
        for edge_id, token in self.tokens.items():
            token.setPos(self.rest_point(edge_id))
            token.setOpacity(1.0)

    def bounds(self) -> QRectF:
        """The area to show: the laid-out episode plus everything drawn around it."""
        rect = QRectF()
        if self.scene is not None:
            rect = QRectF(0, 0, self.scene.width, self.scene.height)
        # Boxes and edges rarely move within an episode: their extent is kept until one
        # does (scanning thousands of items on every step costs ~10 ms).
        if self._static_bounds is None:
            static = QRectF()
            for table in (self.boxes, self.edges):
                for item in table.values():
                    static = static.united(item.sceneBoundingRect())
            self._static_bounds = static
        rect = rect.united(self._static_bounds)
        for token in self.tokens.values():
            rect = rect.united(token.sceneBoundingRect())
        return rect

    def label_rects(self, lod: float = 1.0) -> list[tuple[str, QRectF]]:
        """Everything drawn on top of the graph as a label, in scene coordinates:
        (what, rect) for gradient tokens, edge labels, cut marks and box badges."""
        out = []
        for edge_id, token in self.tokens.items():
            out.append((f"token {edge_id}", token.pill_rect().translated(token.pos())))
        for edge_id, item in self.edges.items():
            geo = item.geometry
            if geo is None:
                continue
            if item.label_rect is not None and item.edge.label:
                out.append((f"label {edge_id}", item.label_rect))
            if geo.cut_rect is not None:
                out.append((f"cut {edge_id}", geo.cut_rect))
        for box_id, item in self.boxes.items():
            out += [(f"badge {box_id}", rect) for rect in item.badge_rects(lod)]
        return out

    def text_rects(self) -> list[tuple[str, QRectF]]:
        """The text rows of every box, as tight as their text, in scene coordinates."""
        return [
            (f"text {box_id}", rect)
            for box_id, item in self.boxes.items()
            for rect in item.text_rects()
        ]

    def _grow_bounds(self, item: QGraphicsItem) -> None:
        """An item was added or changed: the extent grows to hold it (it shrinks only
        when items are removed, or for the next episode)."""
        if self._static_bounds is not None:
            self._static_bounds = self._static_bounds.united(item.sceneBoundingRect())

    def _changed(self, rect: QRectF) -> None:
        """Something drawn changed at `rect`: labels that may go there are placed again."""
        self._redo |= self._spot_grid.owners_hit(rect)

    def _box_obstacles(self, box_id: str, rects: list[QRectF]) -> None:
        """Record a box's text and badges as obstacles; what moves marks the step dirty."""
        # A new graph's boxes come before any edge: no label yet to place again.
        watched = bool(self._spot_grid)
        for rect in self._text_grid.remove(box_id):
            if watched:
                self._changed(rect)
        for rect in rects:
            self._text_grid.add(rect, box_id)
            if watched:
                self._changed(rect)

    def _apply_boxes(self, scene: Scene) -> Iterator[None]:
        wanted = {b.id for b in scene.boxes}
        for box_id in [k for k in self.boxes if k not in wanted]:
            self.graphics_scene.removeItem(self.boxes.pop(box_id))
            self._box_obstacles(box_id, [])
            self._static_bounds = None
        step = 1.0 / (len(scene.boxes) + 1)
        for i, box in enumerate(scene.boxes):
            item = self.boxes.get(box.id)
            if item is None:
                item = self.boxes[box.id] = BoxItem(box, self.cached)
                self.graphics_scene.addItem(item)
                self._grow_bounds(item)
                changed = True
            else:
                changed = item.box != box
                if changed:
                    item.set_box(box)
                    self._grow_bounds(item)
            if changed:
                self._box_obstacles(box.id, item.text_rects() + item.badge_rects())
            _set_z(item, Z_BOX + i * step)
            yield

    def _edge_obstacles(self, edge_id: str, geo: EdgeGeometry | None) -> None:
        for grid in (self._hard_grid, self._soft_grid, self._cut_grid):
            for rect in grid.remove(edge_id):
                self._changed(rect)
        self._spot_grid.remove(edge_id)
        self._redo.add(edge_id)
        if geo is None:
            return
        if geo.label_spots:
            # One rect round all of its spots: a change near any of them places the label
            # again (placing more labels again than needed gives the same places).
            around = geo.label_spots[0]
            for spot in geo.label_spots[1:]:
                around = around.united(spot)
            self._spot_grid.add(around, edge_id)
        if not geo.arrow.isEmpty():
            self._hard_grid.add(geo.arrow.boundingRect(), edge_id)
        if geo.cut_rect is not None:
            self._hard_grid.add(geo.cut_rect, edge_id)
            self._cut_grid.add(geo.cut_rect, edge_id)
            self._changed(geo.cut_rect)
        if geo.label_rect is not None:
            self._soft_grid.add(geo.label_rect, edge_id)

    def _apply_edges(self, scene: Scene) -> Iterator[None]:
        wanted = {e.id for e in scene.edges}
        for edge_id in [k for k in self.edges if k not in wanted]:
            self.graphics_scene.removeItem(self.edges.pop(edge_id))
            self._static_bounds = None
            self._edge_obstacles(edge_id, None)
            self._place(edge_id, None, None)
            self._labels.pop(edge_id, None)
        step = 1.0 / (len(scene.edges) + 1)
        hidden = {b.id for b in scene.boxes if b.state == st.STATE_HIDDEN}
        for i, edge in enumerate(scene.edges):
            item = self.edges.get(edge.id)
            if item is None:
                item = self.edges[edge.id] = EdgeItem(self.cached)
                self.graphics_scene.addItem(item)
            src, tgt = self.boxes.get(edge.source), self.boxes.get(edge.target)
            faint = edge.source in hidden or edge.target in hidden
            # What the edge's look depends on, in plain numbers: most steps change none.
            quick = (edge, _box_key(src), _box_key(tgt), faint)
            if quick != item.quick_key:
                item.quick_key = quick
                before = item.geometry
                item.set_edge(
                    edge,
                    src.scene_rect() if src is not None else None,
                    tgt.scene_rect() if tgt is not None else None,
                    faint=faint,
                )
                if item.geometry is not before:
                    self._grow_bounds(item)
                    self._edge_obstacles(edge.id, item.geometry)
            _set_z(item, Z_EDGE + i * step)
            yield

    def _apply_tokens(self, scene: Scene) -> None:
        carrying = {e.id: e.token for e in scene.edges if e.token is not None}
        for edge_id in [k for k in self.tokens if k not in carrying]:
            self.graphics_scene.removeItem(self.tokens.pop(edge_id))
        step = 1.0 / (len(carrying) + 1)
        self.rest_fraction.clear()
        # Tokens must not cover each other, arrowheads, cut marks, badges or box text, and
        # should not cover edge labels (those move or give way when there is no room).
        placed: list[QRectF] = []
        for i, (edge_id, token) in enumerate(carrying.items()):
            item = self.tokens.get(edge_id)
            if item is None:
                item = self.tokens[edge_id] = TokenItem(token.text, self.cached)
                self.graphics_scene.addItem(item)
            else:
                item.set_text(token.text)
            item.setZValue(Z_TOKEN + i * step)
            fraction = self._free_fraction(edge_id, item, placed, strict=True)
            if fraction is None:
                fraction = self._narrower(edge_id, item, placed)
            self.rest_fraction[edge_id] = fraction
            item.setPos(self.rest_point(edge_id))
            item.setOpacity(1.0)
            placed.append(item.pill_rect().translated(item.pos()))
        if placed != self._token_rects:
            for rect in self._token_rects + placed:
                self._changed(rect)
            self._token_rects = placed

    def _narrower(self, edge_id: str, token: TokenItem, placed: list[QRectF]) -> float:
        """No spot covers no box text (two wide boxes close together): a shorter pill, its
        text elided further, may fit the gap; else the widest pill where it covers least."""
        for share in TOKEN_NARROWER:
            token.set_text(token.source_text or "", share)
            fraction = self._free_fraction(edge_id, token, placed, strict=True)
            if fraction is not None:
                return fraction
        token.set_text(token.source_text or "")
        return self._free_fraction(edge_id, token, placed)

    def _free_fraction(
        self, edge_id: str, token: TokenItem, placed: list[QRectF], strict: bool = False
    ) -> float | None:
        """The middle of the edge, or the nearest spot along it that covers nothing hard
        (arrowheads, cut marks, other tokens), no preferred label place and no box text,
        else nothing hard and no box text, else (unless strict: None) nothing hard, else
        the middle."""
        polyline = self.edges[edge_id].geometry.polyline
        rect = token.pill_rect()
        spots = [(f, rect.translated(polyline.point_at(f))) for f in TOKEN_SPOTS]

        def hard(spot: QRectF) -> bool:
            return self._hard_grid.hits(spot) or any(spot.intersects(o) for o in placed)

        levels = (
            ((True, True), (False, True))
            if strict
            else ((True, True), (False, True), (False, False))
        )
        for soft, text in levels:
            for fraction, spot in spots:
                if hard(spot) or (text and self._text_grid.hits(spot)):
                    continue
                if soft and self._soft_grid.hits(spot):
                    continue
                return fraction
        return None if strict else 0.5

    def _place(self, edge_id: str, rect: QRectF | None, order: int | None) -> None:
        """Record a label's place; a move marks both places dirty for later labels."""
        old = self._labels.get(edge_id)
        if edge_id in self._labels and old == rect:
            return
        for gone in self._label_grid.remove(edge_id):
            self._changed(gone)
        if rect is not None:
            self._label_grid.add(rect, edge_id, order)
            self._changed(rect)
        self._labels[edge_id] = rect

    def _place_labels(self) -> Iterator[None]:
        """Put every edge label, in edge order, where it covers no token, cut mark, badge,
        box text or earlier label: its preferred spot, else another beside its edge, else
        leave it out for this step (the tooltip and inspector still name the slot).

        Only labels near something that changed are placed again; the greedy order makes
        that give exactly what placing every label from scratch gives."""
        tokens = self._token_rects
        for order, (edge_id, item) in enumerate(self.edges.items()):
            geo = item.geometry
            if geo is None or not geo.label_spots:
                continue
            if edge_id in self._labels and edge_id not in self._redo:
                item.place_label(self._labels[edge_id])
                continue
            chosen = None
            for spot in geo.label_spots:
                if (
                    any(spot.intersects(t) for t in tokens)
                    or self._cut_grid.hits(spot)
                    or self._text_grid.hits(spot)
                    or self._label_grid.hits(spot, below=order)
                ):
                    continue
                chosen = spot
                break
            self._place(edge_id, chosen, order)
            item.place_label(chosen)
            yield


class _RectGrid:
    """Rectangles bucketed on a coarse grid, by owner: "does this rect hit any?" without
    scanning them all (a big graph has thousands of labels), and cheap removal."""

    CELL = 128.0

    def __init__(self) -> None:
        self._cells: dict[tuple[int, int], list] = {}
        self._owned: dict[object, list] = {}

    def _keys(self, rect: QRectF) -> list[tuple[int, int]]:
        c = self.CELL
        left, top, right, bottom = rect.getCoords()  # one call into Qt, not four
        i0, i1 = math.floor(left / c), math.floor(right / c)
        j0, j1 = math.floor(top / c), math.floor(bottom / c)
        if i0 == i1 and j0 == j1:  # most rects sit in one cell
            return [(i0, j0)]
        return [(i, j) for i in range(i0, i1 + 1) for j in range(j0, j1 + 1)]

    def add(self, rect: QRectF, owner: object = None, order: int | None = None) -> None:
        entry = (rect, order, owner)
        keys = self._keys(rect)
        for key in keys:
            self._cells.setdefault(key, []).append(entry)
        self._owned.setdefault(owner, []).append((entry, keys))

    def __bool__(self) -> bool:
        """Whether it holds any rect."""
        return bool(self._owned)

    def remove(self, owner: object) -> list[QRectF]:
        """Forget `owner`'s rects and return them."""
        gone = []
        for entry, keys in self._owned.pop(owner, ()):
            for key in keys:
                self._cells[key].remove(entry)
            gone.append(entry[0])
        return gone

    def hits(self, rect: QRectF, below: int | None = None) -> bool:
        """Whether `rect` intersects a stored rect (only those of order < `below`)."""
        cells = self._cells
        for key in self._keys(rect):
            for other, order, _ in cells.get(key, ()):
                if below is not None and (order is None or order >= below):
                    continue
                if rect.intersects(other):
                    return True
        return False

    def owners_hit(self, rect: QRectF) -> set:
        """The owners of the stored rects that `rect` intersects."""
        out = set()
        for key in self._keys(rect):
            for other, _, owner in self._cells.get(key, ()):
                if rect.intersects(other):
                    out.add(owner)
        return out


# ---------------------------------------------------------------------------------------
# Headless rendering

_app: QApplication | None = None


def _ensure_app() -> None:
    """Graphics scenes need a QApplication; make one when rendering from a script."""
    global _app
    if QApplication.instance() is None:
        _app = QApplication([])


def scene_rect_with_margin(items: SceneItems, margin: float = theme.RENDER_MARGIN) -> QRectF:
    """The part of the graphics scene an export shows (and the canvas scrolls over).

    Snapped to whole pixels with an even width and height: a view centres a scene rect
    that fits it exactly, and half a pixel of an odd size would shift the picture."""
    rect = items.bounds().adjusted(-margin, -margin, margin, margin)
    left, top = math.floor(rect.left()), math.floor(rect.top())
    width = math.ceil(rect.right()) - left
    height = math.ceil(rect.bottom()) - top
    return QRectF(left, top, width + width % 2, height + height % 2)


def render_scene_image(scene: Scene, width: int | None = None, scale: float = 1.0) -> QImage:
    """Render `scene` at rest (tokens at the middle of their edges) on white with a margin.

    `width` (pixels) overrides `scale` when given. The same Scene always gives the same
    pixels."""
    _ensure_app()
    graphics_scene = QGraphicsScene()
    items = SceneItems(graphics_scene)
    items.apply(scene)
    source = scene_rect_with_margin(items)
    if width is not None:
        scale = width / source.width()
    size_w = max(1, math.ceil(source.width() * scale))
    size_h = max(1, math.ceil(source.height() * scale))
    image = QImage(size_w, size_h, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(theme.CANVAS_BG)
    painter = QPainter(image)
    painter.setRenderHints(
        QPainter.RenderHint.Antialiasing
        | QPainter.RenderHint.TextAntialiasing
        | QPainter.RenderHint.SmoothPixmapTransform
    )
    target = QRectF(0, 0, source.width() * scale, source.height() * scale)
    graphics_scene.render(painter, target, source, Qt.AspectRatioMode.IgnoreAspectRatio)
    painter.end()
    items.clear()
    return image


def save_scene_png(
    scene: Scene, path: str | Path, width: int | None = None, scale: float = 1.0
) -> None:
    """Render `scene` and write it as a PNG."""
    image = render_scene_image(scene, width=width, scale=scale)
    if not image.save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
