"""The builder, driven by clicks: leaves and ops, undo/redo, shape errors on the node,
detach, the code round trip through the panel, and the message for code it cannot show."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import fixtures_app
import pytest
from fixtures_app import wait_for_run
from golden import assert_matches_golden
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from gradviz.core.trace import trace_source
from gradviz.ui.builder_panel import BuilderPanel, BuilderView

data_dir = fixtures_app.data_dir
window = fixtures_app.window

_spec = importlib.util.spec_from_file_location(
    "codegen_cases", Path(__file__).resolve().parents[1] / "core" / "test_codegen.py"
)
_cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_cases)

Y_2XTX = (
    "import torch\n\nx = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)\n"
    "a = torch.dot(x, x)\ny = 2 * a\ny.backward()\nprint(x.grad)\n"
)


def app_look() -> None:
    """The app's fonts, style and light theme, whatever earlier tests left (goldens)."""
    from gradviz.ui import theme
    from gradviz.ui.app import create_application

    create_application()
    theme.apply_theme("light")


@pytest.fixture
def panel(qtbot):
    p = BuilderPanel()
    qtbot.addWidget(p)
    p.resize(640, 560)
    p.show()
    qtbot.waitExposed(p)
    return p


def settle() -> None:
    """New form rows are shown by a queued call: let it run before clicking them."""
    QApplication.processEvents()


def click_palette(panel: BuilderPanel, key: str) -> None:
    item = panel.palette_item(key)
    tree = panel.palette_tree
    tree.scrollToItem(item)
    QTest.mouseClick(
        tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualItemRect(item).center()
    )
    settle()


def click_node(panel: BuilderPanel, name: str) -> None:
    panel.view.centerOn(panel.view.items_by_name[name])
    QTest.mouseClick(
        panel.view.viewport(), Qt.MouseButton.LeftButton, pos=panel.view.node_point(name)
    )
    settle()


def click_check(box) -> None:
    """Click a check box on its indicator (a stretched box is not clickable everywhere)."""
    QTest.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(7, box.height() // 2))


def type_into(edit, text: str) -> None:
    edit.selectAll()
    QTest.keyClicks(edit, text)


def build_y_2xtx(panel: BuilderPanel) -> None:
    click_palette(panel, "leaf")
    type_into(panel.value_edit, "[1.0, 2.0, 3.0]")
    QTest.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    click_palette(panel, "dot")
    click_node(panel, "x")  # picks the first input...
    click_node(panel, "x")  # ... and the second
    QTest.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    click_palette(panel, "mul")
    type_into(panel.inputs[0].lineEdit(), "2")
    panel.inputs[1].setCurrentText("")
    click_node(panel, "a")
    type_into(panel.name_edit, "y")
    QTest.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    click_node(panel, "y")
    QTest.mouseClick(panel.output_button, Qt.MouseButton.LeftButton)


def test_build_by_clicks_undo_redo_and_the_code_runs(qtbot, panel):
    emitted = []
    panel.codeChanged.connect(emitted.append)
    build_y_2xtx(panel)
    assert panel.code() == Y_2XTX
    assert emitted[-1] == Y_2XTX
    result = trace_source(panel.code())
    assert result.error is None
    assert result.stdout == "tensor([ 4.,  8., 12.])\n"  # dy/dx = 4x
    assert panel.undo_stack.count() == 4
    QTest.mouseClick(panel.undo_button, Qt.MouseButton.LeftButton)  # the output
    assert panel.code() == Y_2XTX.replace("y.backward()\nprint(x.grad)\n", "")
    QTest.mouseClick(panel.undo_button, Qt.MouseButton.LeftButton)  # y = 2 * a
    QTest.mouseClick(panel.undo_button, Qt.MouseButton.LeftButton)  # a = dot
    assert panel.code() == "import torch\n\nx = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)\n"
    assert set(panel.view.items_by_name) == {"x"}
    for _ in range(3):
        QTest.mouseClick(panel.redo_button, Qt.MouseButton.LeftButton)
    assert panel.code() == Y_2XTX
    assert emitted[-1] == Y_2XTX


def test_rename_rewire_and_delete(qtbot, panel):
    build_y_2xtx(panel)
    click_node(panel, "x")
    type_into(panel.name_edit, "v")
    QTest.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert "a = torch.dot(v, v)" in panel.code() and "print(v.grad)" in panel.code()
    click_node(panel, "y")
    panel.inputs[0].setCurrentText("3")  # rewire: 3 * a
    QTest.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert "y = 3 * a\n" in panel.code()
    click_node(panel, "a")
    QTest.mouseClick(panel.delete_button, Qt.MouseButton.LeftButton)
    # a, then y and the backward call that read it, are gone; the print of v.grad stays
    assert panel.code() == (
        "import torch\n\nv = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)\nprint(v.grad)\n"
    )
    panel.undo_stack.undo()
    assert "y = 3 * a\n" in panel.code()


def test_shape_errors_show_on_the_node_in_pytorchs_words(qtbot, panel):
    click_palette(panel, "leaf")
    type_into(panel.value_edit, "[1.0, 2.0, 3.0]")
    QTest.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    click_palette(panel, "constant")
    type_into(panel.value_edit, "[1.0, 2.0]")
    QTest.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    click_palette(panel, "add")
    click_node(panel, "x")
    click_node(panel, "c")
    QTest.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    item = panel.view.items_by_name["a"]
    assert item.error == (
        "RuntimeError: The size of tensor a (3) must match the size of tensor b (2) at "
        "non-singleton dimension 0"
    )
    assert item.toolTip() == item.error
    click_node(panel, "a")
    assert panel.form_error.text() == item.error  # in full, under the form
    assert panel.view.items_by_name["x"].error is None


def test_detach_from_the_builder_stops_the_gradient(qtbot, panel):
    assert panel.load_code(
        "import torch\n\nx = torch.tensor([1.0, 2.0], requires_grad=True)\ny = x * x\n"
        "s = y.sum()\ns.backward()\nprint(x.grad)\n"
    )
    click_node(panel, "y")
    click_check(panel.detach_boxes[1])
    QTest.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert "y = x * x.detach()\n" in panel.code()
    assert panel.model.inputs_of("y") == [("x", False), ("x", True)]
    result = trace_source(panel.code())
    assert result.stdout == "tensor([1., 2.])\n"  # x, not 2x: the second edge is cut
    # a no_grad region, from the same form
    click_node(panel, "y")
    click_check(panel.no_grad_box)
    QTest.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert "with torch.no_grad():\n    y = x * x.detach()\n" in panel.code()


@pytest.mark.parametrize("index", range(20))
def test_round_trip_through_the_panel(panel, index):
    source = _cases.EXPRESSIBLE[index]
    assert panel.load_code(source)
    assert panel.code() == source
    assert panel.load_code(panel.code()) and panel.code() == source


def test_code_it_cannot_show_gets_a_plain_message(qtbot, panel):
    source = "import torch\n\nx = torch.tensor(1.0, requires_grad=True)\nfor i in range(3):\n    x = x * 2\n"
    assert not panel.load_code(source)
    assert panel.message_label.isVisible()
    assert panel.message_label.text().startswith("Line 4: a `for` loop.")
    assert "left as it is" in panel.message_label.text()
    assert not panel.palette_tree.isEnabled()
    assert panel.undo_stack.count() == 0 and not panel.form_box.isEnabled()


def test_builder_mode_in_the_window(qtbot, window):
    before = "import torch\nx = torch.tensor(1.0, requires_grad=True)\nwhile True:\n    pass\n"
    window.files.set_text(before)
    window.builder_action.trigger()
    assert window.builder_stack.currentWidget() is window.builder
    assert not window.builder.expressible
    assert window.editor.toPlainText() == before  # the code is left alone
    window.builder_action.trigger()
    window.files.set_text("")
    window.builder_action.trigger()
    qtbot.wait(50)  # the dock takes the column's height
    build_y_2xtx(window.builder)
    assert window.editor.toPlainText() == Y_2XTX  # every edit rewrites the script
    QTest.mouseClick(window.builder.run_button, Qt.MouseButton.LeftButton)
    wait_for_run(qtbot, window)
    assert window.result.error is None
    assert window.result.stdout == "tensor([ 4.,  8., 12.])\n"
    window.builder_action.trigger()
    assert window.builder_stack.currentWidget() is window.editor_panel


def test_builder_golden(qtbot, panel):
    app_look()
    assert panel.load_code(
        Y_2XTX.replace("y = 2 * a\n", "y = 2 * a\nc = torch.tensor([1.0, 2.0])\n")
        .replace("y.backward()", "u = x.detach() * a\nwith torch.no_grad():\n    e = x + c\ny.backward()")
    )  # fmt: skip
    click_node(panel, "a")
    # The builder's own drawing (the node graph), at a fixed size: the palette and form are
    # stock Qt widgets whose metrics follow whatever app style earlier tests left.
    view = BuilderView()
    qtbot.addWidget(view)
    view.setFixedSize(464, 218)
    view.show()
    qtbot.waitExposed(view)
    view.show_model(panel.model, panel.checks, panel.selected)
    qtbot.wait(20)
    assert_matches_golden(view.grab().toImage(), "builder_y_2xTx")
