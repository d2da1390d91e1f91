"""What-if in the window: an edited leaf re-runs in the sandbox, the grads shown are the
engine's, no box moves, the step stays; the f/f′ plot follows and its point drags."""

from __future__ import annotations

import math

import fixtures_app
import numpy as np
import pytest
from fixtures_app import run_code
from golden import assert_matches_golden
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

import engine
from gradviz.core.whatif import Samples, grid_points, line_points
from gradviz.ui.function_plot import FunctionPlot, nice_ticks

data_dir = fixtures_app.data_dir
window = fixtures_app.window

VECTOR = (
    "import torch\n\nx = torch.tensor([0.0, 1.0, 2.0, 3.0], requires_grad=True)\n"
    "y = 2 * torch.dot(x, x)\ny.backward()\nprint(x.grad)\n"
)
SCALAR = (
    "import torch\n\nx = torch.tensor(1.5, requires_grad=True)\ny = x * torch.sin(x)\n"
    "y.backward()\nprint(x.grad)\n"
)


def run_to_end(qtbot, window, source: str) -> None:
    """Run, then show the last step (where x.grad is known)."""
    run_code(qtbot, window, source)
    window.show_step(window.player.step_count - 1, animate=False)


def app_look() -> None:
    """The app's fonts, style and light theme, whatever earlier tests left (goldens)."""
    from gradviz.ui import theme
    from gradviz.ui.app import create_application

    create_application()
    theme.apply_theme("light")


def positions(window) -> dict:
    return {b.id: (b.x, b.y, b.width, b.height) for b in window.current_scene().boxes}


def leaf_box(window):
    return next(b for b in window.current_scene().boxes if b.role == "leaf")


def wait_for_whatif(qtbot, controller, count: int) -> None:
    qtbot.waitUntil(
        lambda: len(controller.done) >= count and not controller.runner.running, timeout=20000
    )


def test_an_edited_value_reruns_in_place(qtbot, window):
    run_to_end(qtbot, window, VECTOR)
    controller = window.whatif.controller
    controller.done = []
    controller.updated.connect(controller.done.append)
    step = window.current_step
    before = positions(window)
    canvas_before = {k: (i.pos().x(), i.pos().y()) for k, i in window.canvas.box_items().items()}
    window.on_box_clicked(leaf_box(window).id)
    assert window.whatif.leaf_box.currentText() == "x"
    window.whatif.value_edit.setText("[1.0, -2.0, 0.5, 3.0]")
    QTest.keyClick(window.whatif.value_edit, Qt.Key.Key_Return)
    wait_for_whatif(qtbot, controller, 1)
    # The code is the source of truth: the leaf's line now holds the new value.
    assert window.editor.toPlainText().splitlines()[2] == (
        "x = torch.tensor([1.0, -2.0, 0.5, 3.0], requires_grad=True)"
    )
    assert window.current_step == step
    assert positions(window) == before  # no box moved
    canvas_after = {k: (i.pos().x(), i.pos().y()) for k, i in window.canvas.box_items().items()}
    assert canvas_after == canvas_before
    x = engine.tensor([1.0, -2.0, 0.5, 3.0], requires_grad=True)
    (2 * engine.dot(x, x)).backward()
    assert leaf_box(window).grad == "[4., -8., 2., 12.]"
    assert window.result.stdout.strip() == str(x.grad)
    assert controller.flash.items  # the differences flash
    assert controller.last_changes[leaf_box(window).id]["grad"] == "Δ [4., -12., -6., 0.]"
    assert window.canvas.selected_box() == leaf_box(window).id  # still selected


def test_dragging_the_leaf_box_changes_its_number(qtbot, window):
    run_to_end(qtbot, window, VECTOR)
    controller = window.whatif.controller
    controller.done = []
    controller.updated.connect(controller.done.append)
    before = positions(window)
    canvas = window.canvas
    item = canvas.box_items()[leaf_box(window).id]
    rect = item.scene_rect()
    start = canvas.mapFromScene(QPointF(rect.left() + rect.width() * 0.1, rect.center().y()))
    viewport = canvas.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    QTest.mouseMove(viewport, start + QPoint(25, 0))
    QTest.mouseMove(viewport, start + QPoint(50, 0))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=start + QPoint(50, 0))
    wait_for_whatif(qtbot, controller, 1)
    line = window.editor.toPlainText().splitlines()[2]
    assert line == "x = torch.tensor([1.0, 1.0, 2.0, 3.0], requires_grad=True)"  # x₀: 0 + 50 × 0.02
    assert positions(window) == before
    assert leaf_box(window).grad == "[4., 4., 8., 12.]"  # x.grad = 4x follows


def test_the_plot_follows_and_its_point_drags(qtbot, window):
    controller = window.whatif.controller
    ready = []
    controller.samplesReady.connect(lambda: ready.append(1))
    run_to_end(qtbot, window, SCALAR)
    qtbot.waitUntil(lambda: bool(ready), timeout=30000)
    plot = window.whatif.plot
    assert plot.mode == "line" and plot.names == ["x"]
    xs = [p[0] for p in plot.points]
    h = xs[1] - xs[0]
    for i in range(1, len(xs) - 1):  # f′ shown = finite differences of f shown
        fd = (plot.f[i + 1] - plot.f[i - 1]) / (2 * h)
        assert plot.grads[i][0] == pytest.approx(fd, abs=0.02)
    assert plot.current == pytest.approx((1.5,))
    assert plot.current_grad[0] == pytest.approx(math.sin(1.5) + 1.5 * math.cos(1.5), abs=1e-5)
    controller.done = []
    controller.updated.connect(controller.done.append)
    window.whatif_dock.show()
    window.whatif_dock.raise_()
    plot.resize(400, 200)
    plot.repaint()
    f_axes = plot._axes[0]
    target = f_axes.to_px(0.5, 0.0).toPoint()
    QTest.mousePress(plot, Qt.MouseButton.LeftButton, pos=target)
    QTest.mouseRelease(plot, Qt.MouseButton.LeftButton, pos=target)
    wait_for_whatif(qtbot, controller, 1)
    value = float(window.editor.toPlainText().splitlines()[2].split("(")[1].split(",")[0])
    assert value == pytest.approx(0.5, abs=0.05)
    x = engine.tensor(value, requires_grad=True)
    (x * engine.sin(x)).backward()
    assert float(leaf_box(window).grad) == pytest.approx(float(x.grad), abs=1e-3)
    assert plot.current == pytest.approx((value,))
    assert float(window.whatif.value_edit.text()) == pytest.approx(value, abs=1e-4)  # follows


def test_a_new_run_stops_the_sampling_of_the_old_story(qtbot, window):
    """The samples of the story being replaced are moot, and they would take a core from
    the learner's new run: Run stops them; the new story is sampled once it is shown."""
    controller = window.whatif.controller
    ready = []
    controller.samplesReady.connect(lambda: ready.append(1))
    run_to_end(qtbot, window, SCALAR)
    qtbot.waitUntil(lambda: controller.sampler.running, timeout=10000)
    old_run = controller.sampler.run
    window.files.set_text(SCALAR.replace("1.5", "0.5"))
    window.run()
    assert not controller.sampler.running  # stopped at once, not left to finish
    assert old_run.done
    fixtures_app.wait_for_run(qtbot, window, 15000)
    qtbot.waitUntil(lambda: bool(ready), timeout=30000)
    assert window.whatif.plot.current == pytest.approx((0.5,))  # the new story's samples


def _line_samples() -> Samples:
    points = line_points(1.5, span=3.0, n=41)
    f = [p[0] * math.sin(p[0]) for p in points]
    g = [(math.sin(p[0]) + p[0] * math.cos(p[0]),) for p in points]
    return Samples(points, f, g)


def test_nice_ticks():
    assert nice_ticks(0.0, 1.0) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(-4.3, 2.1) == [-4.0, -2.0, 0.0, 2.0]


def test_plot_golden_line(qtbot):
    app_look()
    plot = FunctionPlot()
    qtbot.addWidget(plot)
    plot.resize(420, 200)
    plot.set_samples(["x"], "y", _line_samples(), (1.5,))
    plot.show()
    qtbot.waitExposed(plot)
    assert plot.current_f == pytest.approx(1.5 * math.sin(1.5), abs=0.01)
    assert_matches_golden(plot.grab().toImage(), "whatif_plot_line")


def test_plot_golden_contour(qtbot):
    app_look()
    points = grid_points(1.0, -0.5, n=13, span=2.0)
    f = [a**2 + 3 * b**2 + a * b for a, b in points]
    g = [(2 * a + b, 6 * b + a) for a, b in points]
    plot = FunctionPlot()
    qtbot.addWidget(plot)
    plot.resize(420, 260)
    plot.set_samples(["a", "b"], "q", Samples(points, f, g), (1.0, -0.5))
    plot.show()
    qtbot.waitExposed(plot)
    assert plot.current_f == pytest.approx(1.0 + 0.75 - 0.5, abs=0.05)
    assert plot.current_grad == pytest.approx((1.5, -2.0))
    assert_matches_golden(plot.grab().toImage(), "whatif_plot_contour")
    assert np.isfinite(plot.current_f)
