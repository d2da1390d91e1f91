"""Where the page's view opens when the graph is too big to show whole at a readable
zoom: on the step's boxes, or on a finished backward's leaves, with no empty margin on one
side while the graph is cut on the other; and placed again when the canvas's room
changes (the narration's height) unless the learner has moved the view."""

from __future__ import annotations

import pytest
from test_story_custom_function import SQUARE
from web_support import EXAMPLES, WEBENGINE_ERROR, player_of

from gradviz.core.html_export import export_html

pytestmark = pytest.mark.skipif(bool(WEBENGINE_ERROR), reason=WEBENGINE_ERROR or "-")


BOXES_IN_VIEW = """(() => {
  const c = document.getElementById('canvas').getBoundingClientRect();
  return Array.from(document.querySelectorAll('#boxes .box.role-leaf')).map((g) => {
    const r = g.getBoundingClientRect();
    return [r.left >= c.left - 0.5 && r.right <= c.right + 0.5
            && r.top >= c.top - 0.5 && r.bottom <= c.bottom + 0.5, r.top - c.top];
  });
})()"""


def _open(qtbot, tmp_path, source: str, name: str):
    from web_support import Browser

    browser = Browser(qtbot, 1280, 800)
    page = export_html(player_of(source, name), name, source)
    browser.load_html(page, tmp_path)
    qtbot.wait(300)  # the narration's room settles after the first frame
    return browser


def test_a_finished_backward_opens_on_its_leaves(qtbot, tmp_path) -> None:
    browser = _open(qtbot, tmp_path, SQUARE, "square.py")
    try:
        view = browser.json("gradviz.view()")
        assert view["k"] >= 0.85  # readable: the graph does not fit whole at this size
        leaves = browser.json(BOXES_IN_VIEW)
        assert leaves and all(inside for inside, _ in leaves), leaves
    finally:
        browser.close()


def test_the_opening_view_follows_the_room_it_is_given(qtbot, tmp_path) -> None:
    source = (EXAMPLES / "14_rnn_unrolled.py").read_text(encoding="utf-8")
    browser = _open(qtbot, tmp_path, source, "rnn.py")
    try:
        # Its long narration takes room from the canvas after the first placement; the
        # leaves' boxes still start below the canvas's top edge, in full.
        leaves = browser.json(BOXES_IN_VIEW)
        assert leaves and all(top >= 0 for _, top in leaves), leaves
        placed = browser.json("gradviz.view()")
        browser.js("gradviz.home()")
        assert browser.json("gradviz.view()") == placed  # what the page opens with
    finally:
        browser.close()
