"""The loss curve of a training loop, drawn with QPainter, linked to the timeline.

Core computes the numbers (`Story.series`, see gradviz/core/training_series.py): the loss
of every backward call, the scalars the script printed, and for each iteration the step
to jump to. This widget draws them, marks the iteration the timeline is on, shows the
point under the mouse, and turns a click into `iterationClicked(i)` (0-based).
Iterations not told step by step (a long loop's middle: one summary step, or untold
episodes told when opened) are shaded; clicking one jumps to the step that stands for it.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from gradviz.core import series_view
from gradviz.ui import theme
from gradviz.ui.fonts import ui_font
from gradviz.ui.function_plot import _Axes, nice_ticks

MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 52.0, 12.0, 10.0, 24.0
LOG_SPAN = 100.0  # max/min beyond this: the curve starts on a log scale
_LIGHT = {"loss": "#1a73e8", "now": "#188038", "band": "#9aa0a6"}
_DARK = {"loss": "#8ab4f8", "now": "#81c995", "band": "#5f6368"}
_LOGGED_LIGHT = ("#e37400", "#9334e6", "#d01884", "#12b5cb", "#7cb342", "#795548")
_LOGGED_DARK = ("#fdd663", "#c58af9", "#ff8bcb", "#78d9ec", "#aed581", "#bcaaa4")


def colors() -> dict:
    return _DARK if theme.THEME == "dark" else _LIGHT


def logged_colors() -> tuple:
    return _LOGGED_DARK if theme.THEME == "dark" else _LOGGED_LIGHT


def fmt(v: float) -> str:
    if v == 0 or 1e-3 <= abs(v) < 1e4:
        return f"{v:.4g}"
    return f"{v:.3e}"


def decade(t: float) -> str:
    """10**t for an integer t, short: 0.01, 1, 100, 1e-05."""
    return f"{10**t:g}"


class LossPlot(QWidget):
    """The loss (and printed scalars) per iteration; x is the iteration number, 1-based."""

    iterationClicked = Signal(int)  # 0-based iteration index

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(220, 110)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.series: dict = {}
        self.hidden: list[int] = []  # iterations not told step by step (series_view)
        self.hidden_kind = "summary"  # or "untold": told when opened
        self.log_y = False
        self.current: tuple[int, int] | None = None
        self.hover: int | None = None
        self._axes: _Axes | None = None
        self._paths: dict[tuple, QPainterPath] = {}  # drawn curves: they stay while stepping

    # -- data -----------------------------------------------------------------------------
    def set_series(self, series: dict, story=None) -> None:
        self.series = series or {}
        self.set_story(story)
        self.hover = None
        self.current = None
        self.log_y = self.spans_decades()
        self.update()

    def set_story(self, story) -> None:
        """Which iterations the story does not tell step by step (now: a lazy story's
        untold episodes get told as they are opened)."""
        self.hidden = series_view.hidden_iterations(self.series, story) if story else []
        kinds = {series_view.stand_in(self.series, story, i) for i in self.hidden[:1]}
        self.hidden_kind = kinds.pop() if kinds else "summary"
        self.update()

    def set_log_y(self, on: bool) -> None:
        self.log_y = bool(on)
        self.update()

    def set_current(self, current: tuple[int, int] | None) -> None:
        if current != self.current:
            self.current = current
            self.update()

    @property
    def count(self) -> int:
        return int(self.series.get("iterations", 0) or 0)

    def losses(self) -> list:
        return list(self.series.get("loss", {}).get("values", ()))

    def curves(self) -> list[tuple[str, list, list, QColor]]:
        """(label, xs, ys, colour): the loss first, then each printed series."""
        out = []
        loss = self.series.get("loss", {})
        if self.count:
            name = loss.get("name", "loss")
            ys = [math.nan if v is None else float(v) for v in self.losses()]
            out.append((name, [i + 1.0 for i in range(self.count)], ys, QColor(colors()["loss"])))
        palette = logged_colors()
        for j, (label, s) in enumerate(self.logged().items()):
            xs = [float(x) + 1.0 for x in s.get("x", ())]
            ys = [float(y) for y in s.get("y", ())]
            out.append((f"{label} (printed)", xs, ys, QColor(palette[j % len(palette)])))
        return out

    def logged(self) -> dict:
        """The printed series, except those that only repeat the loss (`print(i, loss)`)."""
        losses = self.losses()

        def repeats_loss(s: dict) -> bool:
            pairs = list(zip(s.get("x", ()), s.get("y", ())))
            return bool(pairs) and all(
                0 <= int(x) < len(losses)
                and losses[int(x)] is not None
                # printed with fewer digits (f"{loss:.4f}") still counts as the loss
                and math.isclose(losses[int(x)], y, rel_tol=1e-3, abs_tol=5e-5)
                for x, y in pairs
            )

        logged = self.series.get("logged", {}) or {}
        return {k: s for k, s in logged.items() if not repeats_loss(s)}

    def spans_decades(self) -> bool:
        values = [v for _l, _x, ys, _c in self.curves() for v in ys if math.isfinite(v)]
        if not values or min(values) <= 0:
            return False
        return max(values) / min(values) > LOG_SPAN

    def _ty(self, v: float) -> float:
        if not self.log_y:
            return v
        return math.log10(v) if v > 0 else math.nan

    def _y_range(self) -> tuple[float, float]:
        ys = [self._ty(v) for _l, _x, vals, _c in self.curves() for v in vals]
        ys = [v for v in ys if math.isfinite(v)]
        if not ys:
            return (0.0, 1.0)
        lo, hi = min(ys), max(ys)
        if hi - lo < 1e-12:
            lo, hi = lo - 1.0, hi + 1.0
        pad = (hi - lo) * 0.06
        return lo - pad, hi + pad

    def axes(self) -> _Axes:
        rect = QRectF(
            MARGIN_L,
            MARGIN_T,
            max(10.0, self.width() - MARGIN_L - MARGIN_R),
            max(10.0, self.height() - MARGIN_T - MARGIN_B),
        )
        xr = (1.0, max(2.0, float(self.count)))
        return _Axes(rect, xr, self._y_range())

    def iteration_at(self, pos: QPointF) -> int | None:
        """The iteration (0-based) whose x is nearest a point inside the plot."""
        ax = self._axes or self.axes()
        if not self.count or not ax.rect.adjusted(-6, -6, 6, 6).contains(pos):
            return None
        x, _y = ax.to_data(pos)
        return max(0, min(self.count - 1, round(x) - 1))

    def point_of(self, i: int) -> QPointF:
        """Where iteration i's loss is drawn (its x at mid-height when not finite)."""
        ax = self._axes or self.axes()
        values = self.losses()
        v = values[i] if 0 <= i < len(values) else None
        y = self._ty(v) if v is not None else math.nan
        if not math.isfinite(y):
            y = (ax.yr[0] + ax.yr[1]) / 2
        return ax.to_px(i + 1.0, y)

    # -- painting -------------------------------------------------------------------------
    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = theme.PALETTE
        p.fillRect(self.rect(), QColor(pal.canvas_bg))
        p.setFont(ui_font(8.5))
        if not self.count:
            p.setPen(QColor(pal.caption_text))
            p.drawText(
                QRectF(self.rect()),
                Qt.AlignmentFlag.AlignCenter,
                "Run a training loop (two or more backward calls) to see its loss.",
            )
            p.end()
            return
        ax = self._axes = self.axes()
        self._summary_band(p, ax)
        self._frame(p, ax)
        self._current(p, ax)
        for label, xs, ys, color in reversed(self.curves()):
            self._curve(p, ax, xs, ys, color, label)
        self._legend(p, ax)
        self._hover(p, ax)
        p.end()

    def _summary_band(self, p: QPainter, ax: _Axes) -> None:
        runs: list[list[int]] = []  # contiguous runs of hidden iterations
        for i in self.hidden:
            if runs and runs[-1][1] == i - 1:
                runs[-1][1] = i
            else:
                runs.append([i, i])
        band = QColor(colors()["band"])
        band.setAlpha(40)
        label = "summarised" if self.hidden_kind == "summary" else "told when opened"
        for lo, hi in runs:
            x0 = ax.to_px(lo + 0.5, ax.yr[0]).x()
            x1 = ax.to_px(hi + 1.5, ax.yr[0]).x()
            r = QRectF(x0, ax.rect.top(), x1 - x0, ax.rect.height()).intersected(ax.rect)
            p.fillRect(r, band)
            w = p.fontMetrics().horizontalAdvance(label) + 8
            if w > r.width():
                continue
            tag = QRectF(r.center().x() - w / 2, r.top() + 2, w, 15)
            bg = QColor(theme.PALETTE.canvas_bg)
            bg.setAlpha(200)
            p.fillRect(tag, bg)
            p.setPen(QColor(theme.PALETTE.text_muted))
            p.drawText(tag, Qt.AlignmentFlag.AlignCenter, label)

    def _frame(self, p: QPainter, ax: _Axes) -> None:
        pal = theme.PALETTE
        text, grid = QColor(pal.text_muted), QColor(pal.minimap_border)
        r = ax.rect
        for t in self._y_ticks(ax):
            y = ax.to_px(ax.xr[0], t).y()
            p.setPen(QPen(grid, 1))
            p.drawLine(QPointF(r.left(), y), QPointF(r.right(), y))
            p.setPen(text)
            label = decade(t) if self.log_y else fmt(t)
            p.drawText(
                QRectF(0, y - 8, r.left() - 5, 16),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                label,
            )
        for t in nice_ticks(*ax.xr, count=max(2, int(r.width() // 70))):
            if t != int(t):
                continue
            x = ax.to_px(t, ax.yr[0]).x()
            p.setPen(QPen(grid, 1))
            p.drawLine(QPointF(x, r.bottom()), QPointF(x, r.bottom() + 3))
            p.setPen(text)
            p.drawText(
                QRectF(x - 30, r.bottom() + 3, 60, 16), Qt.AlignmentFlag.AlignHCenter, f"{t:g}"
            )
        p.setPen(QPen(grid, 1))
        p.drawRect(r)

    def _y_ticks(self, ax: _Axes) -> list[float]:
        if not self.log_y:
            return nice_ticks(*ax.yr, count=max(2, int(ax.rect.height() // 26)))
        lo, hi = math.ceil(ax.yr[0]), math.floor(ax.yr[1])
        every = max(1, math.ceil((hi - lo + 1) / max(2, int(ax.rect.height() // 22))))
        ticks = [float(t) for t in range(lo, hi + 1) if t % every == 0]
        return ticks if len(ticks) >= 2 else nice_ticks(*ax.yr, count=3)

    def _curve(
        self, p: QPainter, ax: _Axes, xs: list, ys: list, color: QColor, label: str = ""
    ) -> None:
        rect = ax.rect
        key = (id(self.series), label, rect.getRect(), ax.xr, ax.yr, self.log_y)
        path = self._paths.get(key)
        if path is None:
            if len(self._paths) > 64:
                self._paths.clear()
            path = self._paths[key] = self._path(ax, xs, ys)
        p.save()
        p.setClipRect(ax.rect.adjusted(-2, -2, 2, 2))
        p.setPen(QPen(color, 1.8))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)
        if len(xs) <= 40:  # few points (printed every N steps): show each one
            p.setBrush(color)
            for x, v in zip(xs, ys):
                y = self._ty(v)
                if math.isfinite(y):
                    p.drawEllipse(ax.to_px(x, y), 2.5, 2.5)
        p.restore()

    def _path(self, ax: _Axes, xs: list, ys: list) -> QPainterPath:
        path = QPainterPath()
        pen_down = False
        for x, v in zip(xs, ys):
            y = self._ty(v)
            if not math.isfinite(y):
                pen_down = False
                continue
            pt = ax.to_px(x, y)
            if pen_down:
                path.lineTo(pt)
            else:
                path.moveTo(pt)
                pen_down = True
        return path

    def _current(self, p: QPainter, ax: _Axes) -> None:
        if self.current is None:
            return
        lo, hi = self.current
        now = QColor(colors()["now"])
        if hi > lo:  # the summary step: all the iterations it stands for
            band = QColor(now)
            band.setAlpha(45)
            x0 = ax.to_px(lo + 0.5, ax.yr[0]).x()
            x1 = ax.to_px(hi + 1.5, ax.yr[0]).x()
            p.fillRect(QRectF(x0, ax.rect.top(), x1 - x0, ax.rect.height()), band)
            return
        pt = self.point_of(lo)
        p.setPen(QPen(now, 1.2, Qt.PenStyle.DashLine))
        p.drawLine(QPointF(pt.x(), ax.rect.top()), QPointF(pt.x(), ax.rect.bottom()))

    def _after_curves_marker(self, p: QPainter, i: int, color: QColor) -> None:
        pt = self.point_of(i)
        p.setPen(QPen(QColor(theme.PALETTE.canvas_bg), 2))
        p.setBrush(color)
        p.drawEllipse(pt, 5, 5)
        p.setBrush(Qt.BrushStyle.NoBrush)

    def _legend(self, p: QPainter, ax: _Axes) -> None:
        if self.current is not None and self.current[0] == self.current[1]:
            self._after_curves_marker(p, self.current[0], QColor(colors()["now"]))
        curves = self.curves()
        metrics = p.fontMetrics()
        width = max(metrics.horizontalAdvance(c[0]) for c in curves) + 34
        box = self._legend_box(ax, curves, width, 16.0 * len(curves) + 4)
        bg = QColor(theme.PALETTE.canvas_bg)
        bg.setAlpha(225)
        p.fillRect(box, bg)
        y = box.top() + 2
        for label, _xs, _ys, color in curves:
            x = box.left() + 4
            p.setPen(QPen(color, 2.5))
            p.drawLine(QPointF(x, y + 8), QPointF(x + 18, y + 8))
            p.setPen(QColor(theme.PALETTE.text))
            p.drawText(QRectF(x + 22, y, width - 26, 16), Qt.AlignmentFlag.AlignVCenter, label)
            y += 16

    def _legend_box(self, ax: _Axes, curves: list, w: float, h: float) -> QRectF:
        """The corner of the plot where the legend covers the fewest points of the curves."""
        r = ax.rect.adjusted(4, 4, -4, -4)
        corners = [
            QRectF(r.right() - w, r.top(), w, h),
            QRectF(r.right() - w, r.bottom() - h, w, h),
            QRectF(r.left(), r.bottom() - h, w, h),
            QRectF(r.left(), r.top(), w, h),
        ]
        points = []
        for _label, xs, ys, _color in curves:
            step = max(1, len(xs) // 200)  # a sample is enough to judge
            for x, v in list(zip(xs, ys))[::step]:
                y = self._ty(v)
                if math.isfinite(y):
                    points.append(ax.to_px(x, y))
        covered = [
            sum(1 for pt in points if box.adjusted(-3, -3, 3, 3).contains(pt)) for box in corners
        ]
        return corners[covered.index(min(covered))]

    def _hover(self, p: QPainter, ax: _Axes) -> None:
        i = self.hover
        if i is None or not 0 <= i < self.count:
            return
        self._after_curves_marker(p, i, QColor(colors()["loss"]))
        text = self.hover_text(i)
        metrics = p.fontMetrics()
        w = metrics.horizontalAdvance(text) + 12
        pt = self.point_of(i)
        x = min(max(ax.rect.left() + 2, pt.x() + 10), ax.rect.right() - w - 2)
        # Beside the point, on the side of it with more room (never over the point itself).
        y = pt.y() - 26 if pt.y() > ax.rect.center().y() else pt.y() + 10
        box = QRectF(x, y, w, 18)
        p.setPen(QPen(QColor(theme.PALETTE.minimap_border), 1))
        p.setBrush(QColor(theme.PALETTE.caption_bg))
        p.drawRoundedRect(box, 3, 3)
        p.setPen(QColor(theme.PALETTE.text))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def hover_text(self, i: int) -> str:
        values = self.losses()
        v = values[i] if i < len(values) else None
        name = self.series.get("loss", {}).get("name", "loss")
        shown = fmt(v) if v is not None else "—"
        note = ""
        if i in self.hidden:
            note = "  (summarised)" if self.hidden_kind == "summary" else "  (told when opened)"
        return f"iteration {i + 1}: {name} = {shown}{note}"

    # -- mouse ----------------------------------------------------------------------------
    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        i = self.iteration_at(event.position())
        if i != self.hover:
            self.hover = i
            self.setToolTip(self.hover_text(i) if i is not None else "")
            self.update()

    def leaveEvent(self, _event) -> None:  # noqa: N802 - Qt override
        if self.hover is not None:
            self.hover = None
            self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() != Qt.MouseButton.LeftButton:
            return
        i = self.iteration_at(event.position())
        if i is not None:
            self.iterationClicked.emit(i)


class LossPanel(QWidget):
    """The plot under a one-line header: what is plotted, and the log-scale switch."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = LossPlot()
        self.caption = QLabel()
        self.caption.setFont(ui_font(9))
        self.caption.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.log_box = QCheckBox("log scale")
        self.log_box.setToolTip("Plot on a logarithmic scale (useful when the loss spans decades)")
        self.log_box.toggled.connect(self.plot.set_log_y)
        header = QHBoxLayout()
        header.setContentsMargins(6, 2, 6, 0)
        header.addWidget(self.caption, 1)
        header.addWidget(self.log_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.plot, 1)

    def set_series(self, series: dict, story=None) -> None:
        self.plot.set_series(series, story)
        n = self.plot.count
        name = (series or {}).get("loss", {}).get("name", "loss")
        hidden = len(self.plot.hidden)
        text = f"{name} over {n:,} iterations"
        if hidden and self.plot.hidden_kind == "summary":
            text += f" ({hidden:,} summarised)"
        elif hidden:
            text += f" ({hidden:,} told when opened)"
        tip = "Click a point to jump to that iteration; hover to read its value."
        repeated = len((series or {}).get("logged", {}) or {}) - len(self.plot.logged())
        if repeated:
            tip += " The values the script printed are this loss, so they are not drawn twice."
        self.caption.setText(text + " · click a point to jump")
        self.caption.setToolTip(tip)
        self.plot.setToolTip(tip)
        self.log_box.blockSignals(True)
        self.log_box.setChecked(self.plot.log_y)
        self.log_box.blockSignals(False)


_SUBSCRIPTS = str.maketrans("", "", "₀₁₂₃₄₅₆₇₈₉")
DOCK_H = 210  # px: the curve and one row of small multiples stay readable at 1280x800


class TrainingView:
    """Keeps the loss and history docks in step with the window's story and timeline."""

    def __init__(self, window, panel: LossPanel, history, docks: tuple) -> None:
        self.window, self.panel, self.history, self.docks = window, panel, history, docks
        self.series: dict = {}
        self._ranges: dict = {}
        self._story = None  # the story the shading was computed for
        self._pending: int | None = None  # a clicked iteration whose episode is being told

    def refresh(self) -> None:
        """After a run: the new story's series; the docks show only for a training loop."""
        story = getattr(self.window, "_story", None)
        series = (getattr(story, "series", None) or {}) if _has_loop(story) else {}
        self.series = series
        self._ranges = series_view.iteration_ranges(series, story) if series else {}
        self._story = story
        self.panel.set_series(series, story)
        self.history.set_series(series)
        appearing = bool(series) and not self.docks[0].isVisible()
        for dock in self.docks:
            dock.setVisible(bool(series))
        if appearing:
            self.size_docks()
            QTimer.singleShot(0, self.size_docks)  # again once the docks are laid out
        self.follow_step()

    def make_room(self, story) -> bool:
        """Before a story without a training loop is drawn: the docks close now, so its
        graph is fitted to the room it will have (closed after its first frame, they left
        it fitted to a canvas a third smaller). Whether they closed."""
        if not self.docks[0].isVisible() or _has_loop(story):
            return False
        for dock in self.docks:
            dock.hide()
        self.window.layout().activate()  # the canvas takes the room now, not after a paint
        return True

    def size_docks(self) -> None:
        """The curve gets 60 % of the width under the graph, the history the rest."""
        try:
            height = max(DOCK_H, self.window.height() // 4)  # taller on a big screen
            self.window.resizeDocks([self.docks[0]], [height], Qt.Orientation.Vertical)
            room = self.docks[0].width() + self.docks[1].width()
            sizes = [int(room * 0.6), room - int(room * 0.6)]
            self.window.resizeDocks(list(self.docks), sizes, Qt.Orientation.Horizontal)
            self.window.canvas.fit_to_view()  # the graph lost room
        except RuntimeError:  # the window closed before the timer fired
            pass

    def follow_step(self, *_args) -> None:
        if not self.series:
            return
        story = getattr(self.window, "_story", None)
        if story is not self._story:  # an untold episode was told and spliced in
            self._story = story
            self.panel.plot.set_story(story)
        step = self.window.current_step
        player = getattr(self.window, "player", None)
        if player is not None:  # collapsed modules: the step of the story run
            step = player.source_step(step)
        current = series_view.iterations_at_step(self.series, story, step, self._ranges)
        self.panel.plot.set_current(current)
        self.history.history.set_current(current)

    def jump(self, i: int) -> None:
        """A click on the curve: the timeline goes to iteration i's episode (its seed
        step), or to the step that stands for it (an untold one is then told)."""
        story = getattr(self.window, "_story", None)
        step = series_view.jump_step(self.series, story, i) if story is not None else None
        if step is None:
            return
        kind = series_view.stand_in(self.series, story, i)
        player = getattr(self.window, "player", None)
        # With collapsed modules the timeline counts the collapsed story's steps.
        self._pending = i if kind == "untold" else None
        self.window.transport.go_to(player.view_step(step) if player else step)
        if kind == "summary":
            hidden = series_view.hidden_iterations(self.series, story)
            self.window.statusBar().showMessage(
                f"Iteration {i + 1} is summarised: iterations {hidden[0] + 1}–{hidden[-1] + 1} "
                "are told as one summary step (the curve still shows each one).",
                8000,
            )
        elif kind is None:
            self.window.statusBar().showMessage(f"Iteration {i + 1}", 3000)
        self.follow_step()

    def told(self, *_args) -> None:
        """An untold episode was told (and spliced in by the window, whose slot ran
        first): the shading follows, and a clicked iteration goes on to its seed step."""
        self.follow_step()
        i, self._pending = self._pending, None
        story = getattr(self.window, "_story", None)
        if i is None or story is None or series_view.stand_in(self.series, story, i):
            return
        step = series_view.jump_step(self.series, story, i)
        player = getattr(self.window, "player", None)
        if step is not None:
            self.window.transport.go_to(player.view_step(step) if player else step)
            self.follow_step()

    def box_clicked(self, box_id: str) -> None:
        box = next((b for b in self.window.current_scene().boxes if b.id == box_id), None)
        if box is not None and self.series:
            self.history.select(box.title.translate(_SUBSCRIPTS))

    def repaint(self) -> None:
        try:
            self.panel.plot.update()
            self.history.history.update()
        except RuntimeError:  # the window is gone (its widgets were deleted)
            pass


def _has_loop(story) -> bool:
    """Whether a story's series is a training loop's (see series_view.is_loop)."""
    return series_view.is_loop(getattr(story, "series", None))


def install(window) -> TrainingView:
    """Add the Loss and History docks under the graph, hidden until a training loop runs."""
    from PySide6.QtWidgets import QDockWidget

    from gradviz.ui.param_history import ParamPanel

    panel, history = LossPanel(), ParamPanel()
    docks = []
    for title, name, widget in (
        ("Loss", "LossDock", panel),
        ("History", "ParamHistoryDock", history),
    ):
        dock = QDockWidget(title, window)
        dock.setObjectName(name)
        dock.setWidget(widget)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        docks.append(dock)
    window.splitDockWidget(docks[0], docks[1], Qt.Orientation.Horizontal)
    window.resizeDocks(docks, [3, 2], Qt.Orientation.Horizontal)
    window.resizeDocks([docks[0]], [DOCK_H], Qt.Orientation.Vertical)
    for dock in docks:
        dock.hide()
    view = TrainingView(window, panel, history, tuple(docks))
    window.loss_dock, window.history_dock, window.training = docks[0], docks[1], view
    # Connected after the window's own slots: the story is loaded when these run.
    window.runner.finished.connect(lambda *_: view.refresh())
    window.transport.stepRequested.connect(view.follow_step)
    told = getattr(window.runner, "told", None)  # a lazy story's episode, told on demand
    if told is not None:
        told.connect(view.told)
    window.canvas.boxClicked.connect(view.box_clicked)
    panel.plot.iterationClicked.connect(view.jump)
    theme.on_theme_changed(view.repaint)
    for action in window.menuBar().actions():
        if action.menu() is not None and action.text().replace("&", "") == "View":
            for dock in docks:
                action.menu().addAction(dock.toggleViewAction())
    return view
