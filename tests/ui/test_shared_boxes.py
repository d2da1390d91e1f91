"""A node shared by many steps (example 14's weights) is drawn as several boxes: each is
marked, and selecting one selects them all."""

from __future__ import annotations

from example_stories import example_player

from gradviz.core import scene_types as st
from gradviz.ui.canvas import GraphCanvas
from gradviz.ui.render import box_badges


def test_selecting_one_box_of_a_shared_node_selects_all_of_them(qtbot) -> None:
    player = example_player("14_rnn_unrolled")
    scene = player.scene(player.step_count - 1)
    canvas = GraphCanvas()
    qtbot.addWidget(canvas)
    canvas.show_scene(scene, animate=False)
    groups: dict[str, list[str]] = {}
    for box in scene.boxes:
        if box.ref_of is not None:
            groups.setdefault(box.ref_of, []).append(box.id)
            assert st.BADGE_SHARED in [text for text, _ in box_badges(box)]
    assert len(groups) == 4 and all(len(ids) >= 3 for ids in groups.values())
    node, ids = sorted(groups.items())[0]
    items = canvas.box_items()
    canvas.select_box(ids[-1])
    assert {k for k, item in items.items() if item.selected} == set(ids)
    canvas.select_box(None)
    assert not any(item.selected for item in items.values())
    single = next(b.id for b in scene.boxes if b.ref_of is None)
    canvas.select_box(single)
    assert [k for k, item in items.items() if item.selected] == [single]
