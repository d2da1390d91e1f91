"""The loss panel and the parameter history: linked to the timeline, drawn natively."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fixtures_app import data_dir, run_code, window  # noqa: F401 - the fixtures
from golden import assert_matches_golden
from PySide6.QtCore import QPoint, QPointF, Qt

from gradviz.core import series_view
from gradviz.core.series_view import iterations_at_step
from gradviz.ui import theme
from gradviz.ui.loss_panel import LossPanel
from gradviz.ui.param_history import ParamPanel, element_labels

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
from training_scripts import LINREG, XOR  # noqa: E402

SINGLE = "import torch\nw = torch.ones(2, requires_grad=True)\n(w * w).sum().backward()\n"


@pytest.fixture(scope="module")
def linreg_story():
    from gradviz.core.trace import trace_source

    return trace_source(LINREG, "linreg.py").story


def _click(qtbot, plot, i: int) -> None:
    qtbot.mouseClick(plot, Qt.MouseButton.LeftButton, pos=plot.point_of(i).toPoint())


def test_clicking_the_curve_jumps_to_that_iterations_episode(qtbot, window):  # noqa: F811
    window.set_time_limit_s(60)
    run_code(qtbot, window, LINREG, timeout_ms=60000)
    assert window.result.error is None
    assert window.loss_dock.isVisible() and window.history_dock.isVisible()
    plot = window.training.panel.plot
    series = window._story.series
    assert plot.count == 100
    qtbot.waitUntil(lambda: plot.width() > 300)
    _click(qtbot, plot, 4)
    step = window.current_step
    assert step == series_view.jump_step(series, window._story, 4)
    assert window._story.steps[step].kind == "seed"
    story = window._story
    assert story.episodes[story.steps[step].episode].title.endswith("iteration 5")
    assert plot.current == (4, 4)
    # The timeline moved by the click is the one the window shows.
    assert window.current_scene().step == step
    # An iteration of the loop's middle is untold at first (the window's story is lazy):
    # the click opens its stand-in step, which the worker tells; the window then shows it.
    assert 49 in plot.hidden and plot.hidden_kind == "untold"
    assert "told when opened" in plot.hover_text(49)
    _click(qtbot, plot, 49)
    assert story.steps[window.current_step].kind == "untold"
    if hasattr(window, "untold"):  # the window has the worker tell it

        def told_50() -> bool:
            now = window._story
            return now.episodes[now.steps[window.current_step].episode].title.endswith(
                "iteration 50"
            ) and not series_view.stand_in(series, now, 49)

        qtbot.waitUntil(told_50, timeout=20000)
        story = window._story
        qtbot.waitUntil(lambda: window._story.steps[window.current_step].kind == "seed")
        qtbot.waitUntil(lambda: plot.current == (49, 49))
        assert 49 not in plot.hidden and 48 in plot.hidden  # the shading follows the story
    # And back to a told one near the end; the mark follows the timeline too.
    _click(qtbot, plot, 98)
    assert story.episodes[story.steps[window.current_step].episode].title.endswith("iteration 99")
    window.transport.go_to(series_view.jump_step(series, story, 2))
    assert plot.current == (2, 2)


def test_selecting_a_parameter_fills_the_small_multiples_and_panels_hide_after(qtbot, window):  # noqa: F811
    window.set_time_limit_s(60)  # 300 iterations of an MLP: seconds on a busy machine
    run_code(qtbot, window, XOR, timeout_ms=60000)
    assert window.result.error is None
    history = window.training.history
    assert history.history.name == "model.0.weight"  # the first parameter made
    box = next(b for b in window.current_scene().boxes if b.title == "model.2.weight")
    window.canvas.boxClicked.emit(box.id)
    assert history.history.name == "model.2.weight"
    assert history.chooser.currentText() == "model.2.weight"
    cells = history.history.columns()
    assert [c[0] for c in cells] == [f"model.2.weight[0, {j}]" for j in range(4)]
    p = window._story.series["params"]["model.2.weight"]
    assert [c[1][-1] for c in cells] == p["value"][-1]
    assert [c[2][-1] for c in cells] == p["grad"][-1]
    history.chooser.setCurrentText("model.0.bias")
    assert len(history.history.columns()) == 4
    # A script with one backward call is no training loop: the panels go away.
    run_code(qtbot, window, SINGLE)
    assert window.result.error is None
    assert not window.loss_dock.isVisible()
    assert not window.history_dock.isVisible()


def test_the_mark_follows_the_timeline(linreg_story):
    story, series = linreg_story, linreg_story.series
    summary = next(s.index for s in story.steps if s.kind == "summary")
    assert iterations_at_step(series, story, summary) == (30, 69)
    assert iterations_at_step(series, story, series_view.jump_step(series, story, 7)) == (7, 7)
    last_ep = story.episodes[-1]
    assert iterations_at_step(series, story, last_ep.last_step) == (99, 99)
    assert iterations_at_step(series, story, 0) == (0, 0)


def test_element_labels():
    assert element_labels("w", [], "values") == ["w"]
    assert element_labels("w", [2, 2], "values") == ["w[0, 0]", "w[0, 1]", "w[1, 0]", "w[1, 1]"]
    assert element_labels("w", [50], "norm") == ["‖w‖"]


def _light_app() -> None:
    """The app's fonts and light theme, as in the window (goldens must not depend on
    which tests ran before)."""
    from gradviz.ui.app import apply_app_theme, create_application

    create_application()
    apply_app_theme("light")
    theme.apply_theme("light")


def test_loss_panel_golden(qtbot, linreg_story):
    _light_app()
    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.resize(640, 220)
    panel.set_series(linreg_story.series, linreg_story)
    assert panel.log_box.isChecked()  # the loss spans eight decades
    panel.plot.set_current((20, 20))
    panel.show()
    qtbot.waitExposed(panel)
    qtbot.mouseMove(panel.plot, pos=panel.plot.point_of(84).toPoint())
    qtbot.waitUntil(lambda: panel.plot.hover == 84)
    assert panel.plot.hover_text(84).startswith("iteration 85: loss = ")
    assert_matches_golden(panel.grab().toImage(), "loss_panel_linreg")
    # Linear scale: the same numbers, another picture (not compared: the log one is).
    panel.log_box.setChecked(False)
    assert not panel.plot.log_y


def test_param_history_golden(qtbot):
    from gradviz.core.trace import trace_source

    _light_app()
    series = trace_source(XOR, "xor_sgd.py").story.series
    panel = ParamPanel()
    qtbot.addWidget(panel)
    panel.resize(520, 260)
    panel.set_series(series)
    panel.history.set_current((120, 120))
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.history.columns()[0][0] == "model.0.weight[0, 0]"
    assert_matches_golden(panel.grab().toImage(), "param_history_xor")


def test_hover_outside_the_plot_shows_nothing(qtbot, linreg_story):
    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.resize(400, 200)
    panel.set_series(linreg_story.series, linreg_story)
    panel.show()
    assert panel.plot.iteration_at(QPointF(2, 2)) is None
    assert panel.plot.iteration_at(QPointF(panel.plot.width() - 13, 50)) == 99
    with qtbot.assertNotEmitted(panel.plot.iterationClicked):
        qtbot.mouseClick(panel.plot, Qt.MouseButton.LeftButton, pos=QPoint(3, 3))


def test_printed_scalars_are_extra_curves_unless_they_repeat_the_loss(qtbot):
    series = {
        "iterations": 3,
        "loss": {"name": "loss", "values": [0.9, 0.5, 0.25]},
        "episodes": [0, 1, 2],
        "params": {},
        "logged": {
            "printed value": {"x": [0.0, 2.0], "y": [0.9, 0.25]},  # print(i, loss.item())
            "loss": {"x": [0.0, 1.0, 2.0], "y": [0.9, 0.5, 0.2500004]},  # f"{loss:.7f}"
            "acc": {"x": [0.0, 1.0, 2.0], "y": [0.5, 0.75, 1.0]},
        },
    }
    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.set_series(series)
    labels = [c[0] for c in panel.plot.curves()]
    assert labels == ["loss", "acc (printed)"]
    acc = panel.plot.curves()[1]
    assert acc[1] == [1.0, 2.0, 3.0] and acc[2] == [0.5, 0.75, 1.0]  # x: iteration numbers
    assert "printed are this loss" in panel.caption.toolTip()
    assert not panel.log_box.isChecked()  # 0.25 to 1: no decades to span


def test_a_story_without_a_loop_is_fitted_to_the_room_the_closed_panels_leave(qtbot, window):  # noqa: F811
    """The panels of a training loop close before the next story's graph is drawn: it is
    fitted to the whole canvas, not to the canvas above panels about to close."""
    run_code(qtbot, window, LINREG, timeout_ms=60000)
    assert window.loss_dock.isVisible()
    small = window.canvas.viewport().height()
    examples = Path(__file__).resolve().parents[2] / "assets" / "examples"
    run_code(qtbot, window, (examples / "05_control_flow.py").read_text())
    assert not window.loss_dock.isVisible()
    assert window.canvas.viewport().height() > small
    assert window.canvas.zoom() < 1.0  # big enough that the fit depends on the room
    assert abs(window.canvas.zoom() - window.canvas.fit_zoom()) < 1e-6
