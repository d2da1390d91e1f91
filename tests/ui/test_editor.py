from __future__ import annotations

from PySide6.QtCore import Qt

from gradviz.ui.editor import CodeEditor
from gradviz.ui.highlighter import COLORS

CODE = "import torch\nx = torch.ones(3)  # a comment\ny = x * 2\nprint('#not a comment')\n"


def make_editor(qtbot, text: str = CODE) -> CodeEditor:
    editor = CodeEditor()
    qtbot.addWidget(editor)
    editor.setPlainText(text)
    editor.resize(500, 300)
    editor.show()
    return editor


def test_ctrl_enter_and_ctrl_return_request_a_run(qtbot) -> None:
    editor = make_editor(qtbot)
    for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
        with qtbot.waitSignal(editor.runRequested, timeout=1000):
            qtbot.keyClick(editor, key, Qt.KeyboardModifier.ControlModifier)
    assert editor.toPlainText() == CODE  # no newline typed


def test_plain_enter_keeps_indentation_and_indents_after_colon(qtbot) -> None:
    editor = make_editor(qtbot, "")
    qtbot.keyClicks(editor, "def f(a):")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "b = a")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "return b")
    assert editor.toPlainText() == "def f(a):\n    b = a\n    return b"


def test_step_line_and_error_line_are_marked(qtbot) -> None:
    editor = make_editor(qtbot)
    editor.highlight_line(3)
    editor.mark_error_line(2, "NameError: name 'z' is not defined")
    assert editor.step_line == 3 and editor.error_line == 2
    lines = sorted(s.cursor.blockNumber() + 1 for s in editor.extraSelections())
    assert lines == [2, 3]
    editor.highlight_line(None)
    editor.clear_error()
    assert editor.extraSelections() == []
    editor.highlight_line(99)  # past the end: ignored, not an error
    assert editor.step_line is None


def test_select_line_selects_the_code_on_it(qtbot) -> None:
    editor = make_editor(qtbot)
    editor.select_line(3)
    assert editor.selected_line() == 3
    assert editor.textCursor().selectedText() == "y = x * 2"


def test_gutter_leaves_room_for_line_numbers(qtbot) -> None:
    editor = make_editor(qtbot, "\n" * 1500)
    assert editor.viewportMargins().left() == editor.gutter_width()
    assert editor.gutter_width() >= editor.fontMetrics().horizontalAdvance("9999")


def _color_at(editor: CodeEditor, line: int, column: int) -> str | None:
    block = editor.document().findBlockByNumber(line - 1)
    for fmt_range in block.layout().formats():
        if fmt_range.start <= column < fmt_range.start + fmt_range.length:
            return fmt_range.format.foreground().color().name()
    return None


def test_highlighter_colours_keywords_comments_and_strings(qtbot) -> None:
    editor = make_editor(qtbot)
    assert _color_at(editor, 1, 0) == COLORS["keyword"]  # import
    assert _color_at(editor, 2, 20) == COLORS["comment"]
    assert _color_at(editor, 4, 8) == COLORS["string"]  # '#' inside a string
    assert _color_at(editor, 3, 8) == COLORS["number"]


def test_editor_uses_the_bundled_monospace_font(qtbot) -> None:
    editor = make_editor(qtbot)
    assert "Mono" in editor.font().family()
