"""f and f′ side by side, or a contour of f for two leaves, drawn with QPainter.

The numbers come from core (`whatif.sample`: the learner's script run in the sandbox for
each value); this widget only draws them, marks the current point, and turns a drag of
that point into `pointDragged` (live) and `pointReleased` (final) signals, which the
what-if controller treats exactly like an edited value.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from gradviz.ui import theme
from gradviz.ui.fonts import ui_font

MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 44.0, 10.0, 22.0, 22.0
F_COLOR = QColor("#1a73e8")
G_COLOR = QColor("#d93025")
POINT_COLOR = QColor("#188038")


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (1, 2 or 5 times a power of ten apart)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step) * step
    ticks = []
    v = first
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 12))
        v += step
    return ticks


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def _range(values: list[float]) -> tuple[float, float]:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return (-1.0, 1.0)
    lo, hi = min(finite), max(finite)
    if hi - lo < 1e-12:
        lo, hi = lo - 1.0, hi + 1.0
    pad = (hi - lo) * 0.08
    return lo - pad, hi + pad


class _Axes:
    """Maps data to a panel rectangle of the widget."""

    def __init__(self, rect: QRectF, xr: tuple, yr: tuple) -> None:
        self.rect, self.xr, self.yr = rect, xr, yr

    def to_px(self, x: float, y: float) -> QPointF:
        r = self.rect
        fx = (x - self.xr[0]) / (self.xr[1] - self.xr[0])
        fy = (y - self.yr[0]) / (self.yr[1] - self.yr[0])
        return QPointF(r.left() + fx * r.width(), r.bottom() - fy * r.height())

    def to_data(self, p: QPointF) -> tuple[float, float]:
        r = self.rect
        fx = (p.x() - r.left()) / max(r.width(), 1.0)
        fy = (r.bottom() - p.y()) / max(r.height(), 1.0)
        return (
            self.xr[0] + fx * (self.xr[1] - self.xr[0]),
            self.yr[0] + fy * (self.yr[1] - self.yr[0]),
        )


class FunctionPlot(QWidget):
    """Mode "line": f and f′ of one scalar leaf; mode "contour": f of two scalar leaves."""

    pointDragged = Signal(tuple)  # the leaf values under the mouse, while dragging
    pointReleased = Signal(tuple)  # the final values when the mouse is released

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(60)  # a short dock must not hold up the docks beside it
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.mode = "empty"
        self.message = "Run a script whose output comes from one or two scalar leaves."
        self.names: list[str] = []
        self.output = "f"
        self.points: list[tuple] = []
        self.f: list[float] = []
        self.grads: list[tuple] = []
        self.current: tuple = ()
        self.current_f = math.nan
        self.current_grad: tuple = ()
        self._axes: list[_Axes] = []
        self._dragging = False
        self.setMouseTracking(False)

    # -- data -----------------------------------------------------------------------------
    def clear(self, message: str = "") -> None:
        self.mode = "empty"
        self.message = message or self.message
        self.update()

    def set_samples(self, names: list[str], output: str, samples, current: tuple) -> None:
        """Show `samples` (whatif.Samples) for leaves `names`, with the point `current`."""
        self.names = list(names)
        self.output = output
        self.points, self.f, self.grads = samples.points, samples.f, samples.grads
        self.mode = "line" if len(names) == 1 else "contour"
        self.set_current(current)

    def set_current(self, current: tuple, f: float | None = None, grad: tuple = ()) -> None:
        """Move the marked point (after a what-if); f and the gradient there, if known."""
        self.current = tuple(current)
        self.current_f = f if f is not None else self._interpolate(self.current)
        self.current_grad = tuple(grad) if grad else self._grad_at(self.current)
        self.update()

    def _interpolate(self, point: tuple) -> float:
        if self.mode == "contour" and self.points:
            return self._bilinear(point)
        if self.mode != "line" or not self.points:
            return math.nan
        xs = [p[0] for p in self.points]
        x = point[0]
        for i in range(len(xs) - 1):
            if xs[i] <= x <= xs[i + 1]:
                t = (x - xs[i]) / (xs[i + 1] - xs[i])
                return self.f[i] * (1 - t) + self.f[i + 1] * t
        return math.nan

    def _bilinear(self, point: tuple) -> float:
        """f inside the sampled grid, from its four nearest samples."""
        xs = sorted({p[0] for p in self.points})
        ys = sorted({p[1] for p in self.points})
        n = len(xs)
        x, y = point
        if not (xs[0] <= x <= xs[-1] and ys[0] <= y <= ys[-1]):
            return math.nan
        i = min(n - 2, max(0, int((x - xs[0]) / (xs[1] - xs[0]))))
        j = min(len(ys) - 2, max(0, int((y - ys[0]) / (ys[1] - ys[0]))))
        tx = (x - xs[i]) / (xs[i + 1] - xs[i])
        ty = (y - ys[j]) / (ys[j + 1] - ys[j])
        f = self.f
        return (
            f[j * n + i] * (1 - tx) * (1 - ty)
            + f[j * n + i + 1] * tx * (1 - ty)
            + f[(j + 1) * n + i] * (1 - tx) * ty
            + f[(j + 1) * n + i + 1] * tx * ty
        )

    def _grad_at(self, point: tuple) -> tuple:
        if not self.points:
            return ()
        nearest = min(
            range(len(self.points)),
            key=lambda i: sum((a - b) ** 2 for a, b in zip(self.points[i], point)),
        )
        return self.grads[nearest]

    # -- painting -------------------------------------------------------------------------
    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = theme.PALETTE
        p.fillRect(self.rect(), QColor(pal.canvas_bg))
        p.setFont(ui_font(8.5))
        self._axes = []
        if self.mode == "line":
            self._paint_line(p)
        elif self.mode == "contour":
            self._paint_contour(p)
        else:
            p.setPen(QColor(pal.caption_text))
            p.drawText(
                QRectF(self.rect()).adjusted(12, 12, -12, -12),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self.message,
            )
        p.end()

    def _panel_rects(self, n: int) -> list[QRectF]:
        w = self.width() / n
        return [
            QRectF(
                i * w + MARGIN_L,
                MARGIN_T,
                w - MARGIN_L - MARGIN_R,
                self.height() - MARGIN_T - MARGIN_B,
            )
            for i in range(n)
        ]

    def _frame(self, p: QPainter, ax: _Axes, title: str, color: QColor) -> None:
        pal = theme.PALETTE
        text = QColor(pal.caption_text)
        grid = QColor(pal.minimap_border)
        r = ax.rect
        p.setPen(QPen(grid, 1))
        for t in nice_ticks(*ax.yr):
            y = ax.to_px(ax.xr[0], t).y()
            p.drawLine(QPointF(r.left(), y), QPointF(r.right(), y))
            p.setPen(text)
            p.drawText(
                QRectF(0, y - 8, r.left() - 4, 16),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                _fmt(t),
            )
            p.setPen(QPen(grid, 1))
        for t in nice_ticks(*ax.xr):
            x = ax.to_px(t, ax.yr[0]).x()
            p.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()))
            p.setPen(text)
            p.drawText(
                QRectF(x - 30, r.bottom() + 2, 60, 16), Qt.AlignmentFlag.AlignHCenter, _fmt(t)
            )
            p.setPen(QPen(grid, 1))
        p.setPen(QPen(text, 1))
        p.drawRect(r)
        p.setPen(color)
        width = r.width() if self.mode == "line" else self.width() - r.left()
        p.drawText(
            QRectF(r.left(), 2, width, MARGIN_T - 4),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            title,
        )

    def _curve(self, p: QPainter, ax: _Axes, xs: list, ys: list, color: QColor) -> None:
        path = QPainterPath()
        pen_down = False
        for x, y in zip(xs, ys):
            if not math.isfinite(y):
                pen_down = False
                continue
            pt = ax.to_px(x, y)
            if pen_down:
                path.lineTo(pt)
            else:
                path.moveTo(pt)
                pen_down = True
        p.save()
        p.setClipRect(ax.rect)
        p.setPen(QPen(color, 2))
        p.drawPath(path)
        p.restore()

    def _marker(self, p: QPainter, ax: _Axes, x: float, y: float) -> None:
        if not (math.isfinite(x) and math.isfinite(y)):
            return
        pt = ax.to_px(x, y)
        p.setPen(QPen(QColor("white"), 2))
        p.setBrush(POINT_COLOR)
        p.drawEllipse(pt, 6, 6)
        p.setBrush(Qt.BrushStyle.NoBrush)

    def _paint_line(self, p: QPainter) -> None:
        name = self.names[0]
        xs = [pt[0] for pt in self.points]
        gs = [g[0] for g in self.grads]
        xr = (min(xs), max(xs))
        f_ax = _Axes(self._panel_rects(2)[0], xr, _range(self.f))
        g_ax = _Axes(self._panel_rects(2)[1], xr, _range(gs))
        self._axes = [f_ax, g_ax]
        x0 = self.current[0] if self.current else math.nan
        g0 = self.current_grad[0] if self.current_grad else math.nan
        self._frame(p, f_ax, f"{self.output}({name}) = {_fmt(self.current_f)}", F_COLOR)
        self._frame(p, g_ax, f"d{self.output}/d{name} = {_fmt(g0)}", G_COLOR)
        self._curve(p, f_ax, xs, self.f, F_COLOR)
        self._curve(p, g_ax, xs, gs, G_COLOR)
        # The tangent at the current point: its slope is the value on the right.
        if math.isfinite(x0) and math.isfinite(self.current_f) and math.isfinite(g0):
            half = (xr[1] - xr[0]) * 0.15
            a = f_ax.to_px(x0 - half, self.current_f - g0 * half)
            b = f_ax.to_px(x0 + half, self.current_f + g0 * half)
            p.save()
            p.setClipRect(f_ax.rect)
            p.setPen(QPen(G_COLOR, 1.5, Qt.PenStyle.DashLine))
            p.drawLine(a, b)
            p.restore()
        self._marker(p, f_ax, x0, self.current_f)
        self._marker(p, g_ax, x0, g0)

    def _paint_contour(self, p: QPainter) -> None:
        n = int(round(math.sqrt(len(self.points))))
        xs = sorted({pt[0] for pt in self.points})
        ys = sorted({pt[1] for pt in self.points})
        rect = self._panel_rects(1)[0]
        side = min(rect.width(), rect.height())
        rect = QRectF(rect.left(), rect.top(), side, side)
        ax = _Axes(rect, (xs[0], xs[-1]), (ys[0], ys[-1]))
        self._axes = [ax]
        lo, hi = _range(self.f)
        # Filled cells, light (low f) to dark blue (high f).
        dx, dy = (xs[-1] - xs[0]) / (n - 1), (ys[-1] - ys[0]) / (n - 1)
        for k, (x, y) in enumerate(self.points):
            v = self.f[k]
            t = 0.5 if not math.isfinite(v) else (v - lo) / (hi - lo)
            color = QColor.fromHsvF(0.6, 0.08 + 0.72 * t, 0.98 - 0.35 * t)
            a = ax.to_px(x - dx / 2, y + dy / 2)
            b = ax.to_px(x + dx / 2, y - dy / 2)
            p.fillRect(QRectF(a, b).intersected(rect), color)
        self._iso_lines(p, ax, n, xs, ys, lo, hi)
        a_name, b_name = self.names
        g = self.current_grad
        title = f"{self.output}({a_name}, {b_name}) = {_fmt(self.current_f)}"
        if g:
            title += f"   ∇ = ({_fmt(g[0])}, {_fmt(g[1])})"
        self._frame(p, ax, title, F_COLOR)
        p.setPen(QColor(theme.PALETTE.caption_text))
        p.drawText(
            QRectF(rect.right() + 6, rect.bottom() - 16, 80, 16),
            Qt.AlignmentFlag.AlignLeft,
            a_name + " →",
        )
        p.drawText(
            QRectF(rect.right() + 6, rect.top(), 80, 16), Qt.AlignmentFlag.AlignLeft, "↑ " + b_name
        )
        if len(self.current) == 2:
            self._gradient_arrow(p, ax)
            f0 = self.current_f if math.isfinite(self.current_f) else 0.0
            self._marker(p, ax, self.current[0], self.current[1] if math.isfinite(f0) else 0.0)

    def _iso_lines(self, p, ax, n, xs, ys, lo, hi) -> None:
        """Marching squares: a few levels of f as thin lines."""
        grid = [[self.f[j * n + i] for i in range(n)] for j in range(n)]
        p.save()
        p.setPen(QPen(QColor(255, 255, 255, 170), 1))
        for level in nice_ticks(lo, hi, 7):
            for j in range(n - 1):
                for i in range(n - 1):
                    corners = [
                        (xs[i], ys[j], grid[j][i]),
                        (xs[i + 1], ys[j], grid[j][i + 1]),
                        (xs[i + 1], ys[j + 1], grid[j + 1][i + 1]),
                        (xs[i], ys[j + 1], grid[j + 1][i]),
                    ]
                    crossings = []
                    for k in range(4):
                        (x1, y1, v1), (x2, y2, v2) = corners[k], corners[(k + 1) % 4]
                        if not (math.isfinite(v1) and math.isfinite(v2)):
                            continue
                        if (v1 - level) * (v2 - level) < 0:
                            t = (level - v1) / (v2 - v1)
                            crossings.append(ax.to_px(x1 + t * (x2 - x1), y1 + t * (y2 - y1)))
                    if len(crossings) >= 2:
                        p.drawLine(crossings[0], crossings[1])
                    if len(crossings) == 4:
                        p.drawLine(crossings[2], crossings[3])
        p.restore()

    def _gradient_arrow(self, p: QPainter, ax: _Axes) -> None:
        g = self.current_grad
        if len(g) != 2 or not all(math.isfinite(v) for v in g):
            return
        start = ax.to_px(*self.current)
        # Screen direction of the gradient (axes may be scaled differently).
        sx = ax.rect.width() / (ax.xr[1] - ax.xr[0])
        sy = ax.rect.height() / (ax.yr[1] - ax.yr[0])
        vx, vy = g[0] * sx, -g[1] * sy
        length = math.hypot(vx, vy)
        if length < 1e-12:
            return
        scale = min(ax.rect.width(), ax.rect.height()) * 0.25 / length
        end = QPointF(start.x() + vx * scale, start.y() + vy * scale)
        p.setPen(QPen(G_COLOR, 2.5))
        p.drawLine(start, end)
        ux, uy = vx / length, vy / length
        head = QPolygonF(
            [
                end,
                QPointF(end.x() - 10 * ux + 5 * uy, end.y() - 10 * uy - 5 * ux),
                QPointF(end.x() - 10 * ux - 5 * uy, end.y() - 10 * uy + 5 * ux),
            ]
        )
        p.setBrush(G_COLOR)
        p.drawPolygon(head)
        p.setBrush(Qt.BrushStyle.NoBrush)

    # -- dragging the point -----------------------------------------------------------------
    def value_at(self, pos: QPointF) -> tuple | None:
        """The leaf values a position on the plot stands for (None off the plots)."""
        for ax in self._axes:
            if ax.rect.adjusted(-8, -8, 8, 8).contains(pos):
                x, y = ax.to_data(pos)
                x = min(max(x, ax.xr[0]), ax.xr[1])
                if self.mode == "contour":
                    return (x, min(max(y, ax.yr[0]), ax.yr[1]))
                return (x,)
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        value = self.value_at(event.position())
        if event.button() == Qt.MouseButton.LeftButton and value is not None:
            self._dragging = True
            self.set_current(value)
            self.pointDragged.emit(value)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._dragging:
            value = self.value_at(event.position())
            if value is not None:
                self.set_current(value)
                self.pointDragged.emit(value)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._dragging:
            self._dragging = False
            value = self.value_at(event.position()) or self.current
            self.pointReleased.emit(tuple(value))
