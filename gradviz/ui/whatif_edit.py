"""What-if editing: change a leaf's value (typed, scrubbed in the panel, or dragged on its
box) and watch forward and backward run again, in place.

The value is written into the script line that makes the leaf (the code stays the single
source of truth), the script runs in the sandbox with the window's limits, and the new
story is shown with the previous layout (`_wi().PinnedPlayer`): no box moves, the step
stays, and each box flashes what its value and .grad moved by.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, QTimer, QVariantAnimation, Signal
from PySide6.QtGui import QBrush, QColor, QMouseEvent, QPen, QTextCursor
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QGraphicsItemGroup,
    QGraphicsRectItem,
    QGraphicsSimpleTextItem,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from gradviz.core import sandbox
from gradviz.ui.fonts import mono_font, ui_font
from gradviz.ui.function_plot import FunctionPlot
from gradviz.ui.run_controller import RunController

FLASH_MS = 1600
PLOT_DOCK_H = 380
MAX_SCRUB_ELEMENTS = 6
SCRUB_PER_PX = 0.02  # value change per pixel of horizontal drag (Shift: 10× finer)


REFRESH_AFTER_MS = 60  # after a result, before the panel looks at it


def _wi():
    """gradviz.core.whatif (it loads numpy, networkx and the player): imported on first use,
    never at the window's start-up."""
    from gradviz.core import whatif

    return whatif


def _utf16(text: str, index: int) -> int:
    """A Python string index as a Qt (UTF-16) document position."""
    return len(text[:index].encode("utf-16-le")) // 2


class WhatIfController(QObject):
    """Turns value edits into sandboxed re-runs shown in place on the window."""

    updated = Signal(float)  # seconds from the edit to the new picture
    samplesReady = Signal()

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.runner = RunController(self)
        self.runner.finished.connect(self._on_result)
        self.sampler = RunController(self)
        self.sampler.finished.connect(self._on_samples)
        self._pending: str | None = None
        self._started = 0.0
        self.last_latency: float | None = None
        self.last_changes: dict = {}
        self.flash = Flash(window.canvas)
        self.plot: FunctionPlot | None = None
        self._sample_plan: tuple | None = None  # (leaves, points, output)

    # -- editing --------------------------------------------------------------------------
    def leaves(self) -> list[str]:
        """Leaves of the shown story that the script makes with one editable call."""
        story = getattr(self.window, "_story", None)
        if story is None:
            return []
        sites = _wi().leaf_sites(self.window.editor.toPlainText())
        return [n for n in _wi().leaf_names(story) if n in sites]

    def value_of(self, name: str):
        story = getattr(self.window, "_story", None)
        return _wi().leaf_value(story, name) if story is not None else None

    def edit(self, name: str, value_text: str) -> bool:
        """Give leaf `name` the value `value_text` (a Python literal) and re-run."""
        editor = self.window.editor
        source = editor.toPlainText()
        site = _wi().leaf_sites(source).get(name)
        if site is None:
            return False
        new = _wi().with_value(source, site, value_text)
        # Replace just the changed span: the editor keeps its undo history and cursor.
        start = site.value_start if site.value_start is not None else site.start
        end_old = site.value_end if site.value_start is not None else site.end
        end_new = end_old + len(new) - len(source)
        cursor = QTextCursor(editor.document())
        cursor.setPosition(_utf16(source, start))
        cursor.setPosition(_utf16(source, end_old), QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(new[start:end_new])
        self._started = time.perf_counter()
        if self.runner.running:
            self._pending = new  # the latest value wins; it runs when this one is back
        else:
            self._start(new)
        return True

    def _start(self, source: str) -> None:
        w = self.window
        self.runner.start(
            source,
            timeout_s=w.time_limit_s,
            memory_mb=w.memory_limit_mb,
            filename=w.files.path.name if w.files.path else "<editor>",
            allow_network=w.settings.allow_network(),
            allow_writes=w.settings.allow_writes(),
        )
        # The next edit (a drag sends many) finds a worker with its imports done.
        sandbox.prewarm_if_wanted()

    def _on_result(self, result, elapsed: float) -> None:
        w = self.window
        old = w.player
        if (
            old is None
            or result.error is not None
            or not result.story.steps
            or not _wi().same_graph(old.story, result.story)
        ):
            w._on_result(result, elapsed)  # a different graph: shown like any run
        else:
            step, selected = w.current_step, w._selected_box
            new = _wi().PinnedPlayer(result.story, old)
            self.last_changes = _wi().changes(old, new, step)
            w.result, w._story, w.player = result, result.story, new
            w.console.show_result(result)
            w.show_step(step, animate=False)
            if selected is not None:
                w.canvas.select_box(selected)
            self.flash.show(self.last_changes)
        self.last_latency = time.perf_counter() - self._started
        self.updated.emit(self.last_latency)
        self._move_plot_point()
        if self._pending is not None:
            source, self._pending = self._pending, None
            self._start(source)

    # -- f and f′ -------------------------------------------------------------------------
    def resample(self) -> None:
        """Sample f (and its gradient) over the scalar leaves of the current story."""
        story = getattr(self.window, "_story", None)
        if self.plot is None:
            return
        source = self.window.editor.toPlainText()
        target = _wi().backward_target(source)
        scalars = [n for n in _wi().scalar_leaves(story) if n in self.leaves()] if story else []
        if target is None or not scalars:
            self.plot.clear(
                "Plots appear for a script whose .backward() output comes from one or two scalar leaves."
            )
            return
        leaves = scalars[:2]
        center = [float(self.value_of(n).reshape(-1)[0]) for n in leaves]
        points = (
            _wi().line_points(center[0]) if len(leaves) == 1 else _wi().grid_points(*center, n=13)
        )
        script = _wi().sampling_script(source, leaves, points)
        if script is None:
            return
        self._sample_plan = (leaves, points, target[1])
        self.plot.clear("Sampling f…")
        w = self.window
        self.sampler.start(
            script, timeout_s=w.time_limit_s, memory_mb=w.memory_limit_mb, background=True
        )

    def _on_samples(self, result, _elapsed: float) -> None:
        if self._sample_plan is None or self.plot is None:
            return
        leaves, points, output = self._sample_plan
        samples = _wi().parse_samples(result.stdout, points) if result.error is None else None
        if samples is None:
            self.plot.clear("f could not be sampled: the script failed for these values.")
            return
        self.plot.set_samples(leaves, output, samples, self._current_point(leaves))
        self._move_plot_point()
        self.samplesReady.emit()

    def _current_point(self, leaves: list[str]) -> tuple:
        values = [self.value_of(n) for n in leaves]
        return tuple(float(v.reshape(-1)[0]) for v in values if v is not None)

    def _move_plot_point(self) -> None:
        if self.plot is None or self._sample_plan is None or self.plot.mode == "empty":
            return
        leaves = self._sample_plan[0]
        story = self.window._story
        grads = []
        for name in leaves:
            g = _leaf_grad(story, name)
            grads.append(float(g.reshape(-1)[0]) if g is not None and g.size else float("nan"))
        self.plot.set_current(self._current_point(leaves), grad=tuple(grads))

    def drag_plot(self, point: tuple) -> None:
        if self._sample_plan is None:
            return
        for name, v in zip(self._sample_plan[0], point):
            self.edit(name, _wi().literal(float(v)))


def _leaf_grad(story, name: str):
    """The leaf's .grad at the story's default step (where a viewer opens)."""
    from gradviz.core.values import decode

    for ep in story.episodes:
        for n in ep.nodes:
            if n.role == "leaf" and n.title == name:
                found = None
                last = min(story.default_step, len(story.steps) - 1)
                for s in story.steps[: last + 1]:
                    for target, field, raw in s.updates:
                        if target == n.id and field == "grad_full":
                            found = raw
                if found is not None:
                    return decode(found)
    return None


class Flash:
    """For a moment, a pill over each changed box: what its value and .grad moved by."""

    def __init__(self, canvas) -> None:
        self.canvas = canvas
        self.items: list[QGraphicsItemGroup] = []
        self._fade = QVariantAnimation(canvas)  # ends with the canvas
        self._fade.setDuration(FLASH_MS)
        self._fade.setStartValue(1.0)
        self._fade.setEndValue(0.0)
        self._fade.valueChanged.connect(self._set_opacity)
        self._fade.finished.connect(self.clear)

    def clear(self) -> None:
        # The canvas clears its scene for a new episode: those items are gone already.
        items, self.items = self.items, []
        if not isValid(self.canvas):
            return
        scene = self.canvas.scene()
        for item in items:
            if isValid(item) and item.scene() is scene:
                scene.removeItem(item)

    def show(self, changes: dict) -> None:
        self._fade.stop()
        self.clear()
        boxes = self.canvas.box_items()
        for box_id, fields in changes.items():
            box = boxes.get(box_id)
            if box is None:
                continue
            parts = [f"value {fields['value']}"] if "value" in fields else []
            if "grad" in fields:
                parts.append(f"grad {fields['grad']}")
            self.items.append(self._pill(box.scene_rect(), "   ".join(parts)))
        if self.items:
            self._fade.start()

    def _pill(self, rect: QRectF, text: str) -> QGraphicsItemGroup:
        # Screen-sized at any zoom: the group ignores the view's scale and sits just above
        # the box's top edge.
        label = QGraphicsSimpleTextItem(text)
        label.setFont(mono_font(9))
        label.setBrush(QBrush(QColor("#ffffff")))
        br = label.boundingRect()
        pad = 4.0
        w, h = br.width() + 2 * pad, br.height() + 2 * pad
        bg = QGraphicsRectItem(QRectF(-w / 2, -h - 3, w, h))
        bg.setBrush(QBrush(QColor(232, 113, 10, 240)))
        bg.setPen(QPen(Qt.PenStyle.NoPen))
        label.setPos(-w / 2 + pad, -h - 3 + pad)
        group = QGraphicsItemGroup()
        group.addToGroup(bg)
        group.addToGroup(label)
        group.setFlag(QGraphicsItemGroup.GraphicsItemFlag.ItemIgnoresTransformations)
        group.setPos(QPointF(rect.center().x(), rect.top()))
        group.setZValue(1000)
        self.canvas.scene().addItem(group)
        return group

    def _set_opacity(self, value) -> None:
        for item in self.items:
            if isValid(item):
                item.setOpacity(float(value))


class ScrubField(QLabel):
    """A number you drag left or right to change (Shift for finer steps)."""

    scrubbed = Signal(int, float)  # element index, new value
    released = Signal()

    def __init__(self, index: int, value: float) -> None:
        super().__init__()
        self.index = index
        self.value = value
        self._press: tuple[float, float] | None = None
        self.setFont(mono_font(9))
        self.setCursor(Qt.CursorShape.SizeHorCursor)
        self.setToolTip("Drag left or right to change this number (Shift: finer)")
        self.setStyleSheet(
            "QLabel { border: 1px solid #9aa0a6; border-radius: 3px; padding: 1px 6px;"
            " background: rgba(26, 115, 232, 0.08); }"
        )
        self._show()

    def _show(self) -> None:
        self.setText(f"{self.value:.3g}")

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self._press = (event.position().x(), self.value)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._press is None:
            return
        fine = event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        dx = event.position().x() - self._press[0]
        self.value = round(self._press[1] + dx * SCRUB_PER_PX * (0.1 if fine else 1.0), 4)
        self._show()
        self.scrubbed.emit(self.index, self.value)

    def mouseReleaseEvent(self, _event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self._press = None
        self.released.emit()


class WhatIfPanel(QWidget):
    """The dock: pick a leaf, type or scrub its value; f/f′ (or the contour) below."""

    def __init__(self, controller: WhatIfController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.leaf_box = QComboBox()
        self.leaf_box.currentTextChanged.connect(self._show_leaf)
        self.value_edit = QLineEdit()
        self.value_edit.setFont(mono_font(9))
        self.value_edit.setPlaceholderText("a new value, e.g. [1.0, 2.0]")
        self.value_edit.returnPressed.connect(self.apply_typed)
        self.scrub_row = QHBoxLayout()
        self.scrub_row.setSpacing(4)
        self.status = QLabel("Change a leaf's value: forward and backward run again.")
        self.status.setWordWrap(True)
        self.status.setFont(ui_font(8.5))
        self.plot = FunctionPlot()
        controller.plot = self.plot
        self.plot.pointDragged.connect(controller.drag_plot)
        self.plot.pointReleased.connect(controller.drag_plot)
        controller.updated.connect(self._on_updated)
        top = QHBoxLayout()
        top.addWidget(QLabel("What if"))
        top.addWidget(self.leaf_box, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.value_edit)
        layout.addLayout(self.scrub_row)
        layout.addWidget(self.status)
        layout.addWidget(self.plot, 1)
        self._scrubs: list[ScrubField] = []

    def refresh(self) -> None:
        """A new story was shown: list its leaves, and sample f for the plot."""
        current = self.leaf_box.currentText()
        leaves = self.controller.leaves()
        self.leaf_box.blockSignals(True)
        self.leaf_box.clear()
        self.leaf_box.addItems(leaves)
        if current in leaves:
            self.leaf_box.setCurrentText(current)
        self.leaf_box.blockSignals(False)
        self._show_leaf(self.leaf_box.currentText())
        self.controller.resample()

    def select_leaf(self, name: str) -> None:
        if self.leaf_box.findText(name) >= 0:
            self.leaf_box.setCurrentText(name)

    def _show_leaf(self, name: str) -> None:
        for field in self._scrubs:
            field.deleteLater()
        self._scrubs = []
        value = self.controller.value_of(name) if name else None
        if value is None:
            self.value_edit.clear()
            return
        self.value_edit.setText(_wi().literal(value))
        flat = value.reshape(-1)
        if value.dtype.kind == "f" and flat.size <= MAX_SCRUB_ELEMENTS:
            for i, v in enumerate(flat):
                field = ScrubField(i, float(v))
                field.scrubbed.connect(self._scrubbed)
                self.scrub_row.addWidget(field)
                self._scrubs.append(field)

    def apply_typed(self) -> bool:
        name, text = self.leaf_box.currentText(), self.value_edit.text().strip()
        from gradviz.core.builder_model import literal_ok

        if not name or not literal_ok(text):
            self.status.setText("Type the value as a Python number or list, e.g. [1.0, 2.0].")
            return False
        return self.controller.edit(name, text)

    def _scrubbed(self, index: int, value: float) -> None:
        name = self.leaf_box.currentText()
        current = self.controller.value_of(name)
        if current is None:
            return
        new = current.astype("float64").copy()
        new.reshape(-1)[index] = value
        text = _wi().literal(new)
        self.value_edit.setText(text)
        self.controller.edit(name, text)

    def _on_updated(self, seconds: float) -> None:
        self.status.setText(f"Forward and backward ran again: {seconds * 1000:.0f} ms.")
        # The fields follow an edit made elsewhere (a drag on the box or the plot), but
        # never under the learner's hands.
        value = self.controller.value_of(self.leaf_box.currentText())
        if value is None:
            return
        if not self.value_edit.hasFocus():
            self.value_edit.setText(_wi().literal(value))
        flat = value.reshape(-1)
        if len(self._scrubs) == flat.size:
            for field, v in zip(self._scrubs, flat):
                if field._press is None:
                    field.value = float(v)
                    field._show()


class CanvasScrubber(QObject):
    """Drag a leaf's box left or right to change its first number (click still selects)."""

    def __init__(self, window, panel: WhatIfPanel) -> None:
        super().__init__(window)
        self.window, self.panel = window, panel
        self._press: tuple | None = None  # (box id, x, element value, values)
        self._moved = False
        window.canvas.viewport().installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            return self._pressed(event)
        if kind == QEvent.Type.MouseMove and self._press is not None:
            return self._dragged(event)
        if kind == QEvent.Type.MouseButtonRelease and self._press is not None:
            box_id = self._press[0]
            self._press = None
            if not self._moved:  # a click: select the box as the canvas would
                self.window.canvas.select_box(box_id)
                self.window.canvas.boxClicked.emit(box_id)
            return True
        return False

    def _pressed(self, event) -> bool:
        canvas = self.window.canvas
        box_id = canvas.box_at(event.position().toPoint())
        scene = self.window.current_scene()
        box = next((b for b in scene.boxes if b.id == box_id), None)
        if box is None or box.role != "leaf" or box.title not in self.panel.controller.leaves():
            return False
        value = self.panel.controller.value_of(box.title)
        if value is None or value.dtype.kind != "f" or value.size > MAX_SCRUB_ELEMENTS:
            return False
        # Which number: the one under the mouse, across the box's width.
        item = canvas.box_items()[box_id]
        rect = item.scene_rect()
        x = canvas.mapToScene(event.position().toPoint()).x()
        index = min(value.size - 1, max(0, int((x - rect.left()) / rect.width() * value.size)))
        self._press = (box_id, event.position().x(), index, value.astype("float64").copy())
        self._moved = False
        self.panel.select_leaf(box.title)
        return True

    def _dragged(self, event) -> bool:
        box_id, x0, index, values = self._press
        dx = event.position().x() - x0
        if not self._moved and abs(dx) < QApplication.startDragDistance():
            return True
        self._moved = True
        fine = event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        new = values.copy()
        flat = new.reshape(-1)
        flat[index] = round(flat[index] + dx * SCRUB_PER_PX * (0.1 if fine else 1.0), 4)
        name = next(b.title for b in self.window.current_scene().boxes if b.id == box_id)
        text = _wi().literal(new)
        self.panel.value_edit.setText(text)
        self.panel.controller.edit(name, text)
        return True


def install(window) -> WhatIfPanel:
    """Add the What-if dock (value editing and the f/f′ plot) to the main window."""
    from PySide6.QtWidgets import QDockWidget

    controller = WhatIfController(window)
    panel = WhatIfPanel(controller)
    dock = QDockWidget("What if", window)
    dock.setObjectName("WhatIfDock")
    dock.setWidget(panel)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.splitDockWidget(window.inspector_dock, dock, Qt.Orientation.Vertical)
    window.whatif_dock, window.whatif = dock, panel
    CanvasScrubber(window, panel)
    # Once the window has shown a run's result and painted it: list its leaves and
    # sample f (a run of its own, in a new worker: it waits until the frame is out).
    window.runner.finished.connect(lambda *_: QTimer.singleShot(REFRESH_AFTER_MS, panel.refresh))
    # A new run makes the shown story's samples moot, and they would take a core from it.
    window.runner.started.connect(lambda: controller.sampler.stop(report=False))

    def clicked(box_id: str) -> None:
        box = next((b for b in window.current_scene().boxes if b.id == box_id), None)
        if box is not None and box.role == "leaf":
            panel.select_leaf(box.title)

    window.canvas.boxClicked.connect(clicked)

    def room_for_plot() -> None:
        # A plot to show: the dock takes a readable height (not while building).
        building = getattr(window, "builder_action", None)
        if building is not None and building.isChecked():
            return
        if dock.isVisible() and dock.height() < PLOT_DOCK_H:
            window.resizeDocks([dock], [PLOT_DOCK_H], Qt.Orientation.Vertical)

    controller.samplesReady.connect(room_for_plot)
    return panel
