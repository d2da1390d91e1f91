"""What a newcomer finds without reading anything: the first start runs its example,
a toolbar, the plain step keys on the graph, the Edit menu, tooltips, Help and About,
focus on the graph, and exports from the File menu."""

from __future__ import annotations

import fixtures_app
from fixtures_app import run_code
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QToolButton

from gradviz import __version__
from gradviz.ui import chrome
from gradviz.ui.help import about_html, page_html

data_dir = fixtures_app.data_dir
window = fixtures_app.window

SIMPLE = (
    "import torch\n"
    "x = torch.arange(4.0, requires_grad=True)\n"
    "y = 2 * torch.dot(x, x)\n"
    "y.backward()\n"
)


def test_first_start_runs_the_example_it_loads(qtbot, window) -> None:
    # The fixture's window has finished the run it started on its own.
    assert window.result is not None and window.player is not None
    assert window.player.step_count > 1
    assert "example" in window.windowTitle()
    # It opens at the story's default step, the whole graph fitted.
    assert window.current_step == window.player.story.default_step
    visible = window.canvas.visible_scene_rect().adjusted(-1, -1, 1, 1)
    for item in window.canvas.box_items().values():
        assert visible.contains(item.scene_rect())


def test_canvas_gets_most_of_the_window(qtbot, window) -> None:
    canvas = window.canvas.size()
    assert canvas.width() * canvas.height() > 0.4 * window.width() * window.height()
    assert window.centralWidget() is window.graph_panel
    for dock in (window.editor_dock, window.inspector_dock, window.console_dock):
        assert dock.isVisible()


def test_toolbar_has_run_stop_steps_and_speed_with_tooltips(qtbot, window) -> None:
    bar = window.toolbar
    actions = bar.actions()
    for action in (
        window.run_action,
        window.stop_action,
        window.prev_action,
        window.play_action,
        window.next_action,
    ):
        assert action in actions
        assert action.toolTip(), action.text()
    assert not window.stop_action.isEnabled()  # nothing running
    # The speed box in the toolbar drives the transport.
    window.speed_box.setCurrentIndex(window.speed_box.findData(2.0))
    assert window.transport.speed == 2.0
    assert window.speed_box.toolTip()
    # Step buttons work from the toolbar.
    window.transport.go_to_start()
    bar.widgetForAction(window.next_action).click()
    assert window.current_step == 1
    bar.widgetForAction(window.prev_action).click()
    assert window.current_step == 0
    # Every button in the toolbar explains itself.
    for button in bar.findChildren(QToolButton):
        if button.defaultAction() is not None:
            assert button.toolTip(), button.defaultAction().text()


def test_run_button_runs_and_stop_is_enabled_meanwhile(qtbot, window) -> None:
    window.files.set_text("import time\nwhile True:\n    time.sleep(0.01)\n")
    window.toolbar.widgetForAction(window.run_action).click()
    assert window.running and window.stop_action.isEnabled()
    window.toolbar.widgetForAction(window.stop_action).click()
    qtbot.waitUntil(lambda: not window.running, timeout=5000)
    assert not window.stop_action.isEnabled()


def test_plain_keys_step_when_the_canvas_has_focus(qtbot, window) -> None:
    run_code(qtbot, window, SIMPLE)
    canvas = window.canvas
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_Home)
    assert window.current_step == 0
    qtbot.keyClick(canvas, Qt.Key.Key_Right)
    qtbot.keyClick(canvas, Qt.Key.Key_Right)
    assert window.current_step == 2
    qtbot.keyClick(canvas, Qt.Key.Key_Left)
    assert window.current_step == 1
    qtbot.keyClick(canvas, Qt.Key.Key_End)
    assert window.current_step == window.player.step_count - 1
    qtbot.keyClick(canvas, Qt.Key.Key_PageUp)
    assert window.current_step == 0  # one episode: its start
    qtbot.keyClick(canvas, Qt.Key.Key_PageDown)
    assert window.current_step == window.player.step_count - 1
    qtbot.keyClick(canvas, Qt.Key.Key_Home)
    qtbot.keyClick(canvas, Qt.Key.Key_Space)
    assert window.transport.playing
    qtbot.keyClick(canvas, Qt.Key.Key_Space)
    assert not window.transport.playing
    # In the editor the same keys edit text, they do not step.
    window.editor.setFocus()
    step = window.current_step
    qtbot.keyClick(window.editor, Qt.Key.Key_Right)
    assert window.current_step == step


def test_edit_menu_undo_redo_cut_copy_paste_find_and_go_to_line(qtbot, window) -> None:
    titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert titles[:2] == ["File", "Edit"]
    editor = window.editor
    window.files.set_text("alpha\nbeta\ngamma\n")
    editor.setFocus()
    cursor = editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    editor.setTextCursor(cursor)
    editor.insertPlainText("delta\n")
    assert window.undo_action.isEnabled()
    window.undo_action.trigger()
    assert editor.toPlainText() == "alpha\nbeta\ngamma\n"
    window.redo_action.trigger()
    assert editor.toPlainText().endswith("delta\n")
    # Find selects the next match; go to line moves the cursor.
    assert chrome.find_in_editor(window, "gamma")
    assert editor.textCursor().selectedText() == "gamma"
    window.copy_action.trigger()
    window.cut_action.trigger()
    assert "gamma" not in editor.toPlainText()
    window.paste_action.trigger()
    assert "gamma" in editor.toPlainText()
    assert not chrome.find_in_editor(window, "omega")
    chrome.go_to_line(window, 2)
    assert editor.textCursor().blockNumber() == 1
    for action in window.edit_menu.actions():
        if not action.isSeparator():
            assert action.toolTip(), action.text()


def test_tooltips_on_boxes_and_edges(qtbot, window) -> None:
    run_code(qtbot, window, SIMPLE)
    window.transport.go_to_end()
    canvas = window.canvas
    leaf = next(b for b in window.current_scene().boxes if b.role == "leaf")
    pos = canvas.mapFromScene(leaf.x, leaf.y)
    text = canvas.tooltip_at(pos)
    assert leaf.title in text and ".grad" in text and "tensor(" in text
    # An edge that a gradient crossed names that gradient.
    crossed = [e for e in window.current_scene().edges if e.kind == "grad" and len(e.points) >= 2]
    assert crossed
    edge = crossed[0]
    item = canvas.edge_items()[edge.id]
    middle = item.geometry.polyline.point_at(0.5)
    text = canvas.tooltip_at(canvas.mapFromScene(middle))
    assert "gradient that crossed it" in text, text
    # Nothing under the mouse: no tooltip.
    assert canvas.tooltip_at(QPoint(2, 2)) == ""


def test_tooltips_on_every_menu_action(qtbot, window) -> None:
    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()
        for action in menu.actions():
            if action.isSeparator() or action.menu() is not None:
                continue
            assert action.toolTip(), (menu_action.text(), action.text())


def test_help_pages_and_about_with_version(qtbot, window) -> None:
    texts = [a.text().replace("&", "") for a in window.menuBar().actions()[-1].menu().actions()]
    assert "How to read this graph" in texts and "Keyboard shortcuts" in texts
    page = page_html("how_to_read")
    for words in ("leaf tensor", "grad_fn", "AccumulateGrad", "not on any gradient path"):
        assert words in page
    assert "One worked step" in page and "1 · 2 = 2" in page
    shortcuts = page_html("shortcuts")
    for key in ("Space", "Home / End", "PgDn / PgUp", "Ctrl+Enter"):
        assert key in shortcuts
    dialog = chrome.show_help(window, "how_to_read")
    qtbot.addWidget(dialog)
    assert dialog.isVisible() and "worked step" in dialog.browser.toPlainText()
    dialog.close()
    assert __version__ in about_html()


def test_focus_on_the_graph_hides_and_restores_the_docks(qtbot, window) -> None:
    before = window.canvas.width()
    window.focus_action.trigger()
    assert not window.editor_dock.isVisible() and not window.inspector_dock.isVisible()
    qtbot.waitUntil(lambda: window.canvas.width() > before, timeout=2000)
    window.focus_action.trigger()
    assert window.editor_dock.isVisible() and window.inspector_dock.isVisible()
    qtbot.waitUntil(lambda: window.canvas.width() == before, timeout=2000)


def test_file_export_writes_png_svg_pdf_and_all_steps(qtbot, window, tmp_path) -> None:
    from gradviz.ui.export_image import ExportOptions

    run_code(qtbot, window, SIMPLE)
    for suffix in (".png", ".svg", ".pdf"):
        path = tmp_path / f"step{suffix}"
        window.export_png(path, ExportOptions(aspect="16:9"))
        assert path.stat().st_size > 1000
    paths = window.export_all_steps(tmp_path / "all")
    assert len(paths) == window.player.step_count
    assert [p.name for p in paths][0] == "step-001.png"
    from PySide6.QtGui import QImageReader

    gif = tmp_path / "steps.gif"
    assert window.export_gif(gif, ExportOptions(caption=False)) == window.player.step_count
    assert QImageReader(str(gif)).imageCount() == window.player.step_count


def test_auto_direction_follows_the_canvas_shape(qtbot, window) -> None:
    window.set_direction("auto")
    story = window.player.story
    window.resize(1600, 700)
    qtbot.wait(20)
    wide = window._direction_for(story)
    window.focus_action.trigger()  # the canvas alone
    window.resize(500, 1000)
    qtbot.wait(20)
    tall = window._direction_for(story)
    window.focus_action.trigger()
    assert wide == "LR"
    assert tall in ("LR", "TB")
    window.set_direction("TB")
    assert window._direction_for(story) == "TB"


def test_chain_rule_lines_show_under_the_narration(qtbot, window) -> None:
    run_code(qtbot, window, SIMPLE)
    with_math = [k for k, s in enumerate(window.player.story.steps) if s.math]
    assert with_math, "a backward with numbers has chain-rule lines"
    window.transport.go_to(with_math[-1])
    lines = window.player.story.steps[with_math[-1]].math
    assert window.math_label.isVisible()
    assert window.math_label.text().splitlines() == list(lines)
    window.transport.go_to(0)  # the forward pass has none
    assert not window.player.story.steps[0].math and not window.math_label.isVisible()
