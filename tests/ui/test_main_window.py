"""The main window end to end: run, step, click, stop, errors, limits, recovery, files."""

from __future__ import annotations

import time

import fixtures_app
from fixtures_app import EXAMPLES, make_window, run_code, wait_for_run
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from gradviz.ui.main_window import example_files

# Fixtures shared with the other UI tests (pytest finds them as module attributes).
data_dir = fixtures_app.data_dir
window = fixtures_app.window

SIMPLE = (
    "import torch\n"
    "x = torch.arange(4.0, requires_grad=True)\n"
    "y = 2 * torch.dot(x, x)\n"
    "y.backward()\n"
    "print(x.grad)\n"
)
LOOP = "while True:\n    pass\n"


def test_ctrl_enter_runs_the_code(qtbot, window) -> None:
    window.files.set_text(SIMPLE)
    window.editor.setFocus()
    qtbot.keyClick(window.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert window.running
    assert window.progress.isVisible()
    wait_for_run(qtbot, window)
    assert window.result.error is None
    assert "tensor([ 0.,  4.,  8., 12.])" in window.console.toPlainText()
    assert window.player.step_count > 1
    assert window.transport.step_count == window.player.step_count
    assert not window.progress.isVisible()
    # After a run the window opens at the story's default step (the end of its last
    # backward), as the CLI export does, with the whole graph fitted.
    assert window.current_step == window.player.story.default_step
    assert window.current_scene().step == window.current_step


def test_play_pause_and_step_change_the_step(qtbot, window) -> None:
    run_code(qtbot, window, SIMPLE)
    window.transport.go_to_start()
    assert window.current_scene().step == 0
    window.next_action.trigger()
    assert window.current_step == 1 and window.current_scene().step == 1
    window.prev_action.trigger()
    assert window.current_step == 0
    window.transport.set_speed(4.0)
    window.transport.play()
    qtbot.waitUntil(lambda: window.current_step >= 2, timeout=3000)
    window.transport.pause()
    paused_at = window.current_step
    qtbot.wait(400)
    assert window.current_step == paused_at
    assert window.current_scene().step == paused_at


def test_the_slider_seeks_and_the_editor_follows(qtbot, window) -> None:
    run_code(qtbot, window, SIMPLE)
    last = window.player.step_count - 1
    window.transport.slider.setValue(last)
    assert window.current_step == last
    assert window.current_scene().step == last
    assert window.editor.step_line == window.player.step_line(last)
    assert window.narration.text() == window.current_scene().narration


def test_a_long_error_never_pushes_the_graph_away(qtbot, window) -> None:
    canvas_height = window.canvas.height()
    message = "raise ValueError(" + repr("a very long message " * 100) + ")\n"
    run_code(qtbot, window, "import torch\nx = torch.ones(2, requires_grad=True)\n" + message)
    qtbot.wait(100)
    label = window.narration
    assert "ValueError" in label.text()
    assert label.height() <= label.maximumHeight() < 10 * label.fontMetrics().lineSpacing()
    assert label.toolTip() == label.text()  # cut to its lines: the whole text on hover
    assert window.canvas.height() >= canvas_height - 4 * label.fontMetrics().lineSpacing()
    window._narrate("A short step.")
    assert label.toolTip() == ""


def test_clicking_a_node_shows_it_and_selects_its_line(qtbot, window) -> None:
    run_code(qtbot, window, SIMPLE)
    window.transport.go_to_end()
    window.canvas.finish_animation()
    scene = window.current_scene()
    box = next(b for b in scene.boxes if b.line is not None and b.state != "hidden")
    item = window.canvas.box_items()[box.id]
    pos = window.canvas.mapFromScene(item.sceneBoundingRect().center())
    qtbot.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert window.inspector.rows == window.player.details(window.current_step, box.id)
    assert window.inspector.rows
    line = window.player.box_line(box.id)
    assert line is not None and window.editor.selected_line() == line


def test_stop_ends_an_endless_loop_and_the_window_stays_responsive(qtbot, window) -> None:
    window.set_time_limit_s(60)
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(20)
    window.files.set_text(LOOP)
    window.run_action.trigger()
    qtbot.wait(600)  # events keep flowing while the script spins
    timer.stop()
    assert window.running and len(ticks) >= 10
    assert window.elapsed_label.text().endswith(" s")
    started = time.monotonic()
    window.stop_action.trigger()
    qtbot.waitUntil(lambda: not window.running, timeout=1000)
    assert time.monotonic() - started < 1.0
    assert window.result.error.kind == "timeout"
    assert "Stopped" in window.console.toPlainText()


def test_the_time_limit_stops_a_loop(qtbot, window) -> None:
    window.set_time_limit_s(1.0)
    result = run_code(qtbot, window, LOOP, timeout_ms=5000)
    assert result.error.kind == "timeout"
    assert "Stopped after 1 s" in window.console.toPlainText()


def test_a_syntax_error_shows_in_the_console_with_its_line(qtbot, window) -> None:
    result = run_code(qtbot, window, "import torch\nx = torch.ones(2\ny = 3\n")
    assert result.error.kind == "syntax"
    text = window.console.toPlainText()
    assert "SyntaxError" in text and f"line {result.error.line}" in text
    assert window.editor.error_line == result.error.line


def test_a_runtime_error_shows_with_its_line_after_the_output(qtbot, window) -> None:
    source = "import torch\nprint('before')\nx = torch.ones(2)\ny = x / undefined_name\n"
    result = run_code(qtbot, window, source)
    assert result.error.kind == "runtime" and result.error.line == 4
    text = window.console.toPlainText()
    assert text.index("before") < text.index("line 4")
    assert "undefined_name" in text
    assert window.editor.error_line == 4
    assert window.current_step == window.player.step_count - 1  # stops where it failed
    if result.error.hint:
        assert "Hint:" in text
    # Clicking "line 4" in the console selects it in the editor.
    window.console.lineClicked.emit(4)
    assert window.editor.selected_line() == 4


def test_a_memory_bomb_is_stopped(qtbot, window) -> None:
    result = run_code(qtbot, window, "x = bytearray(10**11)\n")
    assert result.error.kind == "memory"
    assert "memory" in window.console.toPlainText().lower()
    assert window.editor.error_line == 1


def test_the_autosave_is_offered_back_after_an_unclean_exit(qtbot, data_dir) -> None:
    first = make_window(qtbot)
    first.files.set_text("")
    qtbot.keyClicks(first.editor, "z = 42  # never saved")
    first.autosave.save_now()
    # The first window "dies" here: no close, so its session marker stays.
    second = make_window(qtbot)
    assert second.recovery_bar is not None and second.recovery_bar.isVisible()
    second.recovery_bar.restore_button.click()
    assert second.editor.toPlainText() == "z = 42  # never saved"
    assert second.files.modified
    assert not second.recovery_bar.isVisible()


def test_a_clean_exit_offers_nothing(qtbot, data_dir) -> None:
    first = make_window(qtbot)
    qtbot.keyClicks(first.editor, "a = 1")
    first.close()
    second = make_window(qtbot)
    assert second.recovery_bar is None


def test_opening_a_file_does_not_run_it(qtbot, window, tmp_path) -> None:
    path = tmp_path / "mine.py"
    path.write_text("print('should not run')\n")
    before = window.result  # the first start's run of its example
    assert window.open_file(path)
    assert window.editor.toPlainText() == "print('should not run')\n"
    assert not window.running and window.result is before
    assert "mine.py" in window.windowTitle()
    assert str(path.resolve()) in window.settings.recent_files()


def test_dropping_a_file_opens_it_without_running(qtbot, window, tmp_path) -> None:
    path = tmp_path / "dropped.py"
    path.write_text("x = 1\n")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    target = window.editor.viewport()
    args = (
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    enter = QDragEnterEvent(QPoint(20, 20), *args)
    assert QApplication.sendEvent(target, enter) and enter.isAccepted()
    QApplication.sendEvent(target, QDropEvent(QPointF(20, 20), *args))
    assert window.editor.toPlainText() == "x = 1\n"
    assert window.files.path == path and not window.running


def test_examples_menu_lists_every_example_and_runs_the_one_picked(qtbot, window) -> None:
    actions = [a for a in window.examples_menu.actions() if not a.isSeparator()]
    assert len(actions) == len(example_files()) >= 8
    actions[0].trigger()
    assert window.running
    wait_for_run(qtbot, window)
    assert window.result.error is None
    assert window.editor.toPlainText() == (EXAMPLES / "01_y_equals_2xTx.py").read_text()
    assert window.settings.last_example() == "01_y_equals_2xTx.py"


def test_direction_and_speed_are_remembered(qtbot, window) -> None:
    run_code(qtbot, window, SIMPLE)
    step = window.current_step
    window.direction_actions["TB"].trigger()
    assert window.settings.direction() == "TB"
    assert window.current_step == step
    window.transport.set_speed(2.0)
    assert window.settings.speed() == 2.0


# -- the console and the inspector on their own ------------------------------------------


def test_console_keeps_output_exact_and_shows_errors_in_red(qtbot) -> None:
    from gradviz.core.trace import TraceResult
    from gradviz.ui.console import ERROR_COLOR, Console

    console = Console()
    qtbot.addWidget(console)
    printed = "a    b\n\n\tc\ntensor([[1., 2.],\n        [3., 4.]])\n"
    failed = TraceResult.failed(
        "runtime", "NameError: name 'q' is not defined", line=7, hint="Define q first."
    )
    result = type(failed)(failed.story, printed, failed.error)
    console.show_result(result)
    text = console.toPlainText()
    assert text.startswith(printed)
    assert "Error on line 7" in text and "Hint: Define q first." in text
    cursor = console.document().find("NameError")
    assert cursor.charFormat().foreground().color() == ERROR_COLOR
    with qtbot.waitSignal(console.lineClicked) as blocker:
        console.anchorClicked.emit(QUrl("line:7"))
    assert blocker.args == [7]


def test_inspector_shows_tensors_as_scrollable_monospace_text(qtbot) -> None:
    from PySide6.QtWidgets import QPlainTextEdit

    from gradviz.ui.inspector import Inspector

    inspector = Inspector()
    qtbot.addWidget(inspector)
    big = "tensor([" + ", ".join(f"{i}." for i in range(400)) + "])"
    rows = [("name", "x"), ("shape", "[400]"), ("value", big), (".grad", big)]
    inspector.show_details(rows)
    assert inspector.title == "x" and inspector.rows == rows
    assert not inspector.findChildren(QPlainTextEdit)  # hidden: laid out once shown
    inspector.show()
    views = inspector.findChildren(QPlainTextEdit)
    assert len(views) == 2 and all(v.toPlainText() == big for v in views)
    assert all("Mono" in v.font().family() for v in views)
    inspector.clear()
    assert inspector.rows == []


def test_window_layout_and_limits_are_kept_between_sessions(qtbot, data_dir) -> None:
    first = make_window(qtbot)
    first.resize(1100, 700)
    first.console_dock.hide()
    first.set_time_limit_s(7.5)
    first.close()
    saved_geometry = first.saveGeometry()
    from gradviz.ui.main_window import MainWindow

    second = MainWindow()  # not make_window: that would set its own limits
    qtbot.addWidget(second)
    second.files.confirm_discard = lambda: True
    second.show()
    assert not second.console_dock.isVisible()
    assert second.time_limit_s == 7.5
    # The geometry is restored too (the offscreen screen clamps sizes, so no exact size).
    assert second.settings.window_geometry() == saved_geometry
