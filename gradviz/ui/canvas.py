"""The graph canvas: shows one Scene at a time, animates gradient tokens between steps, and
lets the learner pan, zoom, pinch and click boxes."""

from __future__ import annotations

import gc
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass

from PySide6.QtCore import (
    QCoreApplication,
    QEasingCurve,
    QEvent,
    QPoint,
    QPointF,
    QRectF,
    Qt,
    QTimer,
    QVariantAnimation,
    Signal,
)
from PySide6.QtGui import (
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPathStroker,
    QPixmapCache,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGraphicsScene,
    QGraphicsView,
    QLabel,
    QPinchGesture,
    QToolTip,
    QWidget,
)

from gradviz.core.scene_types import Scene
from gradviz.ui import heap, theme
from gradviz.ui.minimap import Minimap
from gradviz.ui.render import (
    BoxItem,
    EdgeItem,
    Polyline,
    SceneItems,
    TokenItem,
    box_tooltip_text,
    edge_tooltip_text,
    scene_rect_with_margin,
)

PIXMAP_CACHE_KB = 96 * 1024
GRADUAL_ITEMS = 400  # a new graph with more boxes and edges is built over several turns
BUILD_SLICE_S = 0.025  # the time one turn may spend making items (their first paint follows)
BUILD_SLACK = 0.02  # room left around a graph being built, as a share of its size
CACHE_AFTER_MS = 120  # after a new graph's first paint, its items start keeping their pixels
FOLLOW_MS = 260  # the smooth pan that keeps the step's focus and its neighbours in view
FOLLOW_MARGIN = 32  # viewport pixels kept free around what the step is about

# Plain keys on the canvas, the same as in the HTML export.
KEY_COMMANDS = {
    Qt.Key.Key_Right: "next",
    Qt.Key.Key_Left: "previous",
    Qt.Key.Key_Space: "play",
    Qt.Key.Key_Home: "first",
    Qt.Key.Key_End: "last",
    Qt.Key.Key_PageDown: "next_episode",
    Qt.Key.Key_PageUp: "previous_episode",
    Qt.Key.Key_F: "fit",
    Qt.Key.Key_Z: "zoom_episode",
}


class CollectorPause:
    """Python's cyclic collector, off while a big graph is built: its full pass over the
    story's objects (~70 ms) would land on top of a slice and its paint. It runs once
    afterwards, in a turn of its own. Left alone if someone else had turned it off."""

    def __init__(self) -> None:
        self._paused = False

    def pause(self) -> None:
        if not self._paused and gc.isenabled():
            gc.disable()
            self._paused = True

    def resume(self) -> None:
        if self._paused:
            gc.enable()
            self._paused = False
        heap.settle()  # the graph just built stays until the next one


def _episode_key(scene: Scene) -> tuple[int, str, int]:
    # A new run can start again at episode 0: its title or length tells it apart.
    return scene.episode, scene.episode_title, scene.step_count


@dataclass
class _Flight:
    """One token's trip: from its edge's target back to the source, then to its rest."""

    token: TokenItem
    polyline: Polyline
    rest: QPointF


class GraphCanvas(QGraphicsView):
    """Draws exactly what a Scene says; reuses its items while the episode stays the same."""

    boxClicked = Signal(str)  # the id of a box the learner clicked
    viewChanged = Signal()  # zoom, scroll or size changed (the minimap follows)
    keyCommand = Signal(str)  # a plain key: "next", "previous", "play", "first", ... (KEY_COMMANDS)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._graphics_scene = QGraphicsScene(self)
        self.setScene(self._graphics_scene)
        self._items = SceneItems(self._graphics_scene)
        self._cache_after_paint = False  # a new graph drawn directly: cache once painted
        self._paints = 0  # paint events of the viewport so far
        self._selected: str | None = None
        self._press_pos: QPoint | None = None
        self._flights: list[_Flight] = []
        self._travel_end = theme.TOKEN_TRAVEL_MS / (theme.TOKEN_TRAVEL_MS + theme.TOKEN_SETTLE_MS)
        self._easing = QEasingCurve(QEasingCurve.Type.InOutCubic)

        # One animation drives every token of a step: one timer, one repaint per frame.
        self._animation = QVariantAnimation(self)
        self._animation.setStartValue(0.0)
        self._animation.setEndValue(1.0)
        self._animation.setDuration(theme.TOKEN_TRAVEL_MS + theme.TOKEN_SETTLE_MS)
        self._animation.valueChanged.connect(self._advance_flights)
        self._animation.finished.connect(self._land_flights)

        # Boxes and edges cache their pixels; Qt's default 10 MB would evict them while a
        # big graph is on screen, so allow more (the limit is shared by the whole app).
        QPixmapCache.setCacheLimit(max(QPixmapCache.cacheLimit(), PIXMAP_CACHE_KB))
        # Following the step pans smoothly from the current centre to a new one.
        self._pan = QVariantAnimation(self)
        self._pan.setDuration(FOLLOW_MS)
        self._pan.setEasingCurve(QEasingCurve.Type.OutCubic)
        self._pan.valueChanged.connect(lambda p: self.centerOn(p))
        self.animate_pan = True
        # box id -> tooltip text; the window provides the full values from the player.
        self.box_tooltip = None
        self.edge_tooltip = None  # edge id -> tooltip text (the gradient that crossed it)
        self._configure_view()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setToolTip("")  # tooltips come from the box or edge under the mouse
        self.minimap = Minimap(self)
        self.minimap.hide()
        self._minimap_held = False  # a step is being shown: the minimap follows its end
        # A big new graph being built in slices, and the step to show once it is whole.
        self._building: Iterator[None] | None = None
        self._pending: Scene | None = None
        self._build_timer = QTimer(self)
        self._build_timer.setSingleShot(True)
        self._build_timer.setInterval(0)
        self._build_timer.timeout.connect(self._build_some)
        self._build_total = self._build_done = self._build_boxes = 0
        self._collector = CollectorPause()
        weakref.finalize(self, self._collector.resume)  # a canvas gone mid-build
        # While a big graph is being built: how far it has got, over the canvas's top.
        self._progress = QLabel(self)
        self._progress.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self._progress.hide()
        # Big graphs replaced by a new one, being taken apart in slices.
        self._discarding: list[tuple[Iterator[None], QGraphicsScene]] = []
        self._discard_timer = QTimer(self)
        self._discard_timer.setSingleShot(True)
        self._discard_timer.setInterval(0)
        self._discard_timer.timeout.connect(self._discard_some)

    def apply_theme(self) -> None:
        """Redraw everything in the current theme's colours (cached pixels are dropped)."""
        self.setBackgroundBrush(theme.CANVAS_BG)
        self.finish_building()
        scene = self._items.scene
        self._items.clear()
        if scene is not None:
            self._items.apply(scene)
            if self._selected is not None:
                self._mark_selected(self._selected)
        self.minimap.setBackgroundBrush(theme.CANVAS_BG)
        self.viewport().update()

    def _configure_view(self) -> None:
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setBackgroundBrush(theme.CANVAS_BG)
        self.setRenderHints(
            QPainter.RenderHint.Antialiasing
            | QPainter.RenderHint.TextAntialiasing
            | QPainter.RenderHint.SmoothPixmapTransform
        )
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        # Items set their own pens and keep their bounds generous, so skip the bookkeeping.
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState, True)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing, True)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # Dragging and the minimap replace scroll bars.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents, True)
        self.viewport().grabGesture(Qt.GestureType.PinchGesture)

    # -- showing scenes -------------------------------------------------------------------

    def show_scene(self, scene: Scene, animate: bool = True) -> None:
        """Show one step. Items of the same episode are updated in place; tokens that are
        new at this step fly from their edge's target back to its source. A big new graph
        is built over several turns of the event loop (see _build_some)."""
        previous = self._items.scene
        new_episode = previous is None or _episode_key(previous) != _episode_key(scene)
        self.finish_animation()
        if self._building is not None:
            if not new_episode:
                self._pending = scene  # shown as soon as the graph being built is whole
                return
            self._abandon_build()
        if new_episode:
            self._clear_items()
            self._selected = None
            if len(scene.boxes) + len(scene.edges) > GRADUAL_ITEMS:
                self._start_building(scene)
                return
        before = {} if new_episode else {e.id: e.token for e in previous.edges}
        if new_episode:
            self._items.draw_directly()  # its first frame sooner; cached once painted
            self._cache_after_paint = True
        else:
            self._items.cache_pixels()  # tokens are about to move over the boxes
        self._items.apply(scene)
        # A new graph at the old zoom rarely fits: the minimap would be shown and sized
        # for it, then hidden again by the fit. It follows the view once it is placed.
        self._minimap_held = True
        try:
            self.setSceneRect(scene_rect_with_margin(self._items))
            if self._selected is not None:
                self._mark_selected(self._selected)
            if new_episode:
                self.fit_to_view()
            else:
                self._follow_active(scene, animate)
        finally:
            self._minimap_held = False
        if animate:
            self._start_flights(
                [e.id for e in scene.edges if e.token is not None and before.get(e.id) != e.token]
            )
        self._sync_minimap()

    def paint_now(self) -> None:
        """Paint the graph now, once. The scene tells its views what changed in a queued
        call: delivered after a paint, it would paint every new item a second time. Here
        it is delivered now, and that paints (else a repaint does)."""
        painted = self._paints
        QCoreApplication.sendPostedEvents(self._graphics_scene, QEvent.Type.MetaCall)
        if self._paints == painted:
            self.viewport().repaint()

    def forget_graph(self) -> None:
        """Drop the graph on show: the next scene is drawn as a new graph, fitted afresh
        (a new run of the same script would otherwise update every box in place, then
        repaint them all at a slightly different zoom)."""
        self.finish_animation()
        if self._building is not None:
            self._abandon_build()
        self._clear_items()
        self._selected = None

    def current_scene(self) -> Scene | None:
        return self._pending or self._items.scene

    def box_items(self) -> dict[str, BoxItem]:
        self.finish_building()
        return dict(self._items.boxes)

    def edge_items(self) -> dict[str, EdgeItem]:
        self.finish_building()
        return dict(self._items.edges)

    def token_items(self) -> dict[str, TokenItem]:
        """Tokens by the id of the edge carrying them."""
        self.finish_building()
        return dict(self._items.tokens)

    # -- big graphs, built in slices --------------------------------------------------------

    def is_building(self) -> bool:
        return self._building is not None

    def finish_building(self) -> None:
        """Build the rest of a big graph now (for callers that need every item)."""
        if self._building is not None:
            for _ in self._building:
                pass
            self._building_done()

    def _abandon_build(self) -> None:
        """Stop building the graph being built (another graph replaces it)."""
        self._building = self._pending = None
        self._build_timer.stop()
        self._progress.hide()
        self._collector.resume()

    def _start_building(self, scene: Scene) -> None:
        """A graph of thousands of items takes seconds to make and first paint: make it a
        slice per event-loop turn, so the window stays responsive and the boxes appear as
        they are made. The view is fitted to the laid-out size first and keeps that zoom,
        so nothing painted while building is painted again."""
        self._building = self._items.apply_gradually(scene)
        self._collector.pause()
        self._pending = None
        # Each box and edge is a step, and so is placing each edge's label.
        self._build_total = len(scene.boxes) + 2 * len(scene.edges)
        self._build_done = 0
        self._build_boxes = len(scene.boxes)
        # Edges routed around the layout and their labels reach a little beyond it.
        margin = theme.RENDER_MARGIN + BUILD_SLACK * max(scene.width, scene.height)
        self.setSceneRect(
            QRectF(0, 0, scene.width, scene.height).adjusted(-margin, -margin, margin, margin)
        )
        self.fit_to_view()
        self._build_some()

    def _build_some(self) -> None:
        building = self._building
        if building is None:
            return
        deadline = time.perf_counter() + BUILD_SLICE_S
        for _ in building:
            self._build_done += 1
            if time.perf_counter() >= deadline:
                self._show_progress()
                self._build_timer.start()
                return
        self._building_done()

    def _show_progress(self) -> None:
        share = min(self._build_done / max(self._build_total, 1), 1.0)
        self._progress.setText(f"Drawing the graph ({self._build_boxes:,} boxes)… {share:.0%}")
        self._progress.setStyleSheet(
            f"color: {theme.TEXT_MUTED.name()}; background: {theme.CANVAS_BG.name()};"
            "padding: 3px 8px; border-radius: 4px;"
        )
        self._progress.adjustSize()
        self._progress.move((self.width() - self._progress.width()) // 2, 8)
        self._progress.show()
        self._progress.raise_()

    def _clear_items(self) -> None:
        """Remove the shown graph. Thousands of items take a long turn to remove: then a
        fresh scene is shown at once and the old one is taken apart a slice per turn."""
        if self._items.item_count() <= GRADUAL_ITEMS:
            self._items.clear()
            return
        old = self._items
        self._graphics_scene = QGraphicsScene(self)
        self.setScene(self._graphics_scene)
        self.minimap.setScene(self._graphics_scene)
        self._items = SceneItems(self._graphics_scene)
        self._discarding.append((old.clear_gradually(), old.graphics_scene))
        self._discard_some()

    def _discard_some(self) -> None:
        deadline = time.perf_counter() + BUILD_SLICE_S
        while self._discarding:
            steps, graphics_scene = self._discarding[0]
            for _ in steps:
                if time.perf_counter() >= deadline:
                    self._discard_timer.start()
                    return
            self._discarding.pop(0)
            graphics_scene.deleteLater()

    def _building_done(self) -> None:
        self._building = None
        # The collector catches up in a turn of its own, not on top of the last slice.
        QTimer.singleShot(0, self._collector.resume)
        self._build_timer.stop()
        self._progress.hide()
        zoom = self.zoom()
        was_fitted = abs(zoom - self.fit_zoom()) < 1e-9  # else the learner zoomed meanwhile
        self.setSceneRect(scene_rect_with_margin(self._items))
        # Keep the zoom the graph was built at if all of it fits: a new zoom paints every
        # box again.
        if was_fitted and self.fit_zoom() < zoom:
            self.fit_to_view()
        elif was_fitted:
            self.centerOn(self.sceneRect().center())
        if self._selected is not None:
            self._mark_selected(self._selected)
        self._sync_minimap()
        pending, self._pending = self._pending, None
        if pending is not None:
            self.show_scene(pending, animate=False)

    # -- token animation ------------------------------------------------------------------

    def is_animating(self) -> bool:
        return self._animation.state() == QVariantAnimation.State.Running

    def finish_animation(self) -> None:
        """Stop any flight and put every token at its rest, as a static render shows it."""
        if self.is_animating():
            self._animation.stop()
        self._land_flights()

    def _start_flights(self, edge_ids: list[str]) -> None:
        self._flights = [
            _Flight(
                self._items.tokens[edge_id],
                self._items.edges[edge_id].geometry.polyline,
                self._items.rest_point(edge_id),
            )
            for edge_id in edge_ids
        ]
        if self._flights:
            self._advance_flights(0.0)
            self._animation.start()

    def _advance_flights(self, value: float) -> None:
        t = float(value)
        if t < self._travel_end:
            # Travel target -> source, fading in at the start and out on arrival.
            u = self._easing.valueForProgress(t / self._travel_end)
            opacity = min(1.0, u / 0.12, (1.0 - u) / 0.18)
            for flight in self._flights:
                flight.token.setPos(flight.polyline.point_at(1.0 - u))
                flight.token.setOpacity(opacity)
        else:
            # Then reappear at the resting place, where it stays as the edge's value.
            v = (t - self._travel_end) / (1.0 - self._travel_end)
            for flight in self._flights:
                flight.token.setPos(flight.rest)
                flight.token.setOpacity(v)

    def _land_flights(self) -> None:
        for flight in self._flights:
            flight.token.setPos(flight.rest)
            flight.token.setOpacity(1.0)
        self._flights = []

    # -- selection and clicks -------------------------------------------------------------

    def select_box(self, box_id: str | None) -> None:
        """Highlight one box (None clears the selection)."""
        if self._selected is not None:
            for twin in self._twins(self._selected):
                self._items.boxes[twin].set_selected(False)
        self._selected = box_id
        if box_id is not None:
            self._mark_selected(box_id)

    def selected_box(self) -> str | None:
        return self._selected

    def _mark_selected(self, box_id: str) -> None:
        for twin in self._twins(box_id):
            self._items.boxes[twin].set_selected(True)

    def _twins(self, box_id: str) -> list[str]:
        """The box and, for a node shared by many steps, all its other boxes: one node."""
        boxes = self._items.boxes
        item = boxes.get(box_id)
        if item is None:
            return []
        ref = item.box.ref_of
        if ref is None:
            return [box_id]
        return [k for k, other in boxes.items() if other.box.ref_of == ref]

    def box_at(self, pos: QPoint) -> str | None:
        """The id of the box under a viewport position, if any."""
        for item in self.items(pos):
            if isinstance(item, BoxItem):
                return item.box.id
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press_pos = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        press, self._press_pos = self._press_pos, None
        if event.button() != Qt.MouseButton.LeftButton or press is None:
            return
        # A press and release in (nearly) one place is a click, not the end of a pan.
        pos = event.position().toPoint()
        if (pos - press).manhattanLength() < QApplication.startDragDistance():
            box_id = self.box_at(pos)
            if box_id is not None:
                self.select_box(box_id)
                self.boxClicked.emit(box_id)

    # -- zoom and view --------------------------------------------------------------------

    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float, anchor: QPoint | None = None) -> None:
        """Zoom to `factor`, keeping the scene point under `anchor` (a viewport position,
        default the centre) where it is."""
        factor = min(max(factor, theme.ZOOM_MIN), theme.ZOOM_MAX)
        old = self.zoom()
        centre_view = self.viewport().rect().center()
        anchor = centre_view if anchor is None else anchor
        anchor_scene = self.mapToScene(anchor)
        centre_scene = self.mapToScene(centre_view)
        self.setTransform(QTransform.fromScale(factor, factor))
        self.centerOn(anchor_scene + (centre_scene - anchor_scene) * (old / factor))
        self._view_changed()

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom() * theme.ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom() / theme.ZOOM_STEP)

    def reset_zoom(self) -> None:
        self.set_zoom(1.0)

    def fit_zoom(self) -> float:
        """The zoom at which the whole graph fits the viewport (at most FIT_MAX_ZOOM)."""
        rect, view = self.sceneRect(), self.viewport().rect()
        if rect.isEmpty() or view.isEmpty():
            return self.zoom()
        factor = min(view.width() / rect.width(), view.height() / rect.height())
        return min(max(factor, theme.ZOOM_MIN), theme.FIT_MAX_ZOOM)

    def fit_to_view(self, readable: bool = True) -> None:
        """Zoom so the whole graph is visible and centre it. Semantic zoom keeps what is
        drawn readable: zoomed far out, boxes show titles or short names only, so
        `readable` (kept for callers of the old minimum-zoom fit) changes nothing."""
        rect = self.sceneRect()
        if rect.isEmpty() or self.viewport().rect().isEmpty():
            return
        self._pan.stop()
        factor = self.fit_zoom()
        self.setTransform(QTransform.fromScale(factor, factor))
        self.centerOn(rect.center())
        self._view_changed()

    def focus_rect(self, scene: Scene) -> QRectF:
        """What a step is about: its focus boxes and, if they fit too, their neighbours."""
        active = {b.id for b in scene.boxes if b.state in ("active", "error")}
        if not active:
            return QRectF()
        near = set(active)
        for e in scene.edges:
            if e.source in active or e.target in active:
                near.update((e.source, e.target))

        def bounds(ids: set) -> QRectF:
            rect = QRectF()
            for b in scene.boxes:
                if b.id in ids:
                    rect = rect.united(
                        QRectF(b.x - b.width / 2, b.y - b.height / 2, b.width, b.height)
                    )
            return rect

        view = self.visible_scene_rect()
        m = FOLLOW_MARGIN / max(self.zoom(), 1e-6)
        wide = bounds(near).adjusted(-m, -m, m, m)
        if wide.width() <= view.width() and wide.height() <= view.height():
            return wide
        return bounds(active).adjusted(-m, -m, m, m)

    def _follow_active(self, scene: Scene, animate: bool = True) -> None:
        """Pan (smoothly) just enough that the step's focus and its neighbours are in view."""
        want = self.focus_rect(scene)
        if want.isEmpty():
            return
        view = self.visible_scene_rect()
        if view.contains(want):
            return
        centre = view.center()
        dx = dy = 0.0
        if want.width() > view.width():
            dx = want.center().x() - centre.x()
        elif want.left() < view.left():
            dx = want.left() - view.left()
        elif want.right() > view.right():
            dx = want.right() - view.right()
        if want.height() > view.height():
            dy = want.center().y() - centre.y()
        elif want.top() < view.top():
            dy = want.top() - view.top()
        elif want.bottom() > view.bottom():
            dy = want.bottom() - view.bottom()
        target = QPointF(centre.x() + dx, centre.y() + dy)
        self._pan.stop()
        if animate and self.animate_pan and self.isVisible():
            self._pan.setStartValue(centre)
            self._pan.setEndValue(target)
            self._pan.start()
        else:
            self.centerOn(target)

    def is_panning(self) -> bool:
        return self._pan.state() == QVariantAnimation.State.Running

    def finish_pan(self) -> None:
        if self.is_panning():
            end = self._pan.endValue()
            self._pan.stop()
            self.centerOn(end)

    # -- keys and tooltips ----------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        command = KEY_COMMANDS.get(Qt.Key(event.key()))
        plain = not (
            event.modifiers()
            & (
                Qt.KeyboardModifier.ControlModifier
                | Qt.KeyboardModifier.AltModifier
                | Qt.KeyboardModifier.MetaModifier
            )
        )
        if command is not None and plain:
            if command == "fit":
                self.fit_to_view()
            else:
                self.keyCommand.emit(command)
            event.accept()
            return
        super().keyPressEvent(event)

    def tooltip_at(self, pos: QPoint) -> str:
        """The tooltip for a viewport position: a box's full value, .grad and rule, or
        the gradient that crossed an edge."""
        for item in self.items(pos):
            if isinstance(item, BoxItem):
                box = item.box
                if self.box_tooltip is not None:
                    text = self.box_tooltip(box.id)
                    if text:
                        return text
                return box_tooltip_text(box)
        scene_pos = self.mapToScene(pos)
        slack = 6.0 / max(self.zoom(), 1e-6)
        for edge_id, item in self._items.edges.items():
            geo = item.geometry
            if geo is None or not geo.bounds.contains(scene_pos):
                continue
            if _near_path(geo.path, scene_pos, slack):
                if self.edge_tooltip is not None:
                    text = self.edge_tooltip(edge_id)
                    if text:
                        return text
                return edge_tooltip_text(item.edge, self._items.scene)
        return ""

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(event.pos())
            if text:
                QToolTip.showText(event.globalPos(), text, self.viewport())
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        handled = self._gesture_event(event)
        if event.type() == QEvent.Type.Paint:
            self._paints += 1
        if self._cache_after_paint and event.type() == QEvent.Type.Paint:
            self._cache_after_paint = False
            # Filling the caches repaints every item once more: not before the events
            # waiting behind the first frame (a click, a key) have been handled.
            QTimer.singleShot(CACHE_AFTER_MS, self._cache_pixels)
        return handled

    def _cache_pixels(self) -> None:
        self._items.cache_pixels()

    def visible_scene_rect(self) -> QRectF:
        return self.mapToScene(self.viewport().rect()).boundingRect()

    def wheelEvent(self, event: QWheelEvent) -> None:
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        # A mouse wheel (no pixel delta) or Ctrl zooms; a trackpad's two-finger scroll pans.
        if ctrl or event.pixelDelta().isNull():
            steps = event.angleDelta().y() / 120.0
            if steps:
                self.set_zoom(self.zoom() * theme.ZOOM_STEP**steps, event.position().toPoint())
            event.accept()
            return
        super().wheelEvent(event)

    def _gesture_event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Gesture:
            pinch = event.gesture(Qt.GestureType.PinchGesture)
            if isinstance(pinch, QPinchGesture):
                if pinch.changeFlags() & QPinchGesture.ChangeFlag.ScaleFactorChanged:
                    centre = self.viewport().mapFromGlobal(pinch.centerPoint().toPoint())
                    self.set_zoom(self.zoom() * pinch.scaleFactor(), centre)
                event.accept(pinch)
                return True
        if event.type() == QEvent.Type.NativeGesture:  # macOS trackpad pinch
            if event.gestureType() == Qt.NativeGestureType.ZoomNativeGesture:
                self.set_zoom(self.zoom() * (1.0 + event.value()), event.position().toPoint())
                return True
        return super().viewportEvent(event)

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self._view_changed()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._view_changed()

    def _view_changed(self) -> None:
        self._sync_minimap()
        self.viewChanged.emit()

    def _sync_minimap(self) -> None:
        """Show the minimap only while part of the graph is out of view."""
        if not hasattr(self, "minimap") or self._minimap_held:
            return  # called from Qt before __init__ finished, or while a step is placed
        content = self._items.bounds() if self._items.scene is not None else QRectF()
        fits = content.isEmpty() or self.visible_scene_rect().adjusted(-1, -1, 1, 1).contains(
            content
        )
        if fits:
            self.minimap.hide()
            return
        self.minimap.sync(self.sceneRect())
        self.minimap.move(
            self.width() - self.minimap.width() - theme.MINIMAP_MARGIN,
            self.height() - self.minimap.height() - theme.MINIMAP_MARGIN,
        )
        self.minimap.show()
        self.minimap.raise_()


def _near_path(path, point: QPointF, slack: float) -> bool:
    """Whether `point` is within `slack` of the stroked `path`."""
    stroker = QPainterPathStroker()
    stroker.setWidth(2 * slack)
    return stroker.createStroke(path).contains(point)
