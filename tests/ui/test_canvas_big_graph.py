"""A graph of thousands of boxes is built, and taken apart, a slice per event-loop turn:
the window never freezes, and what is finally drawn is exactly what one pass draws."""

from __future__ import annotations

import pytest
from gaps import GapRecorder
from PySide6.QtWidgets import QGraphicsScene

from gradviz.core.player import Player
from gradviz.core.trace import trace_source
from gradviz.ui import canvas as canvas_module
from gradviz.ui.canvas import GraphCanvas
from gradviz.ui.render import SceneItems

GAP_BOUND_S = 0.5  # generous: the exact figure is in benchmarks/bench_app.py


def _chain_script(layers: int) -> str:
    """Five boxes a layer (weight leaf, AccumulateGrad, mul, add, tanh), one shared bias."""
    return (
        "import torch\n"
        "x = torch.tensor([1.0, 2.0], requires_grad=True)\n"
        "b = torch.tensor([0.1, -0.1], requires_grad=True)\n"
        "h = x\n"
        f"for i in range({layers}):\n"
        "    w = torch.full((2,), 0.5 + 0.001 * i, requires_grad=True)\n"
        "    h = (h * w + b).tanh()\n"
        "h.sum().backward()\n"
    )


@pytest.fixture(scope="module")
def big_player() -> Player:
    result = trace_source(_chain_script(120))
    assert result.error is None, result.error
    return Player(result.story)


@pytest.fixture
def canvas(qtbot) -> GraphCanvas:
    view = GraphCanvas()
    qtbot.addWidget(view)
    view.resize(1200, 700)
    view.show()
    qtbot.waitExposed(view)
    return view


def _drawn(items: SceneItems) -> dict:
    """Everything the items draw: box looks and places, edge geometry and label places."""
    return {
        "boxes": {k: (v.box, v.pos().toTuple(), v.zValue()) for k, v in items.boxes.items()},
        "edges": {
            k: (v.edge, v.geometry.path.boundingRect().getRect(), v.zValue())
            for k, v in items.edges.items()
        },
        "labels": {
            k: None if v.label_rect is None else v.label_rect.getRect()
            for k, v in items.edges.items()
        },
        "tokens": {k: (v.pos().toTuple(), v.zValue()) for k, v in items.tokens.items()},
    }


@pytest.fixture(scope="module")
def other_scene():
    """The first step of another, smaller story: a new episode for the canvas."""
    result = trace_source(_chain_script(3))
    return Player(result.story).scene(0)


def test_a_big_graph_is_built_over_several_turns_and_ends_as_one_pass_does(
    qtbot, canvas, big_player
) -> None:
    scene = big_player.scene(big_player.step_count - 1)
    assert len(scene.boxes) + len(scene.edges) > canvas_module.GRADUAL_ITEMS
    gaps = GapRecorder()
    canvas.show_scene(scene, animate=False)
    assert canvas.is_building()
    fitted_zoom = canvas.zoom()
    partial = len(canvas._items.boxes)
    assert 0 < partial < len(scene.boxes)  # the first slice is drawn in the first turn
    qtbot.waitUntil(lambda: not canvas.is_building(), timeout=60000)
    qtbot.wait(50)
    assert gaps.stop() < GAP_BOUND_S
    # Built at one zoom, which still shows all of it: nothing is painted twice.
    assert canvas.zoom() == fitted_zoom
    assert canvas.visible_scene_rect().contains(canvas._items.bounds())

    one_pass = SceneItems(QGraphicsScene())
    one_pass.apply(scene)
    assert _drawn(canvas._items) == _drawn(one_pass)


def test_steps_taken_while_building_are_shown_once_it_is_whole(qtbot, canvas, big_player) -> None:
    last = big_player.step_count - 1
    canvas.show_scene(big_player.scene(last - 1), animate=False)
    assert canvas.is_building()
    later = big_player.scene(last)
    canvas.show_scene(later, animate=False)
    assert canvas.current_scene() is later
    qtbot.waitUntil(lambda: not canvas.is_building(), timeout=60000)
    assert canvas._items.scene is later
    assert {k: v.box for k, v in canvas.box_items().items()} == {b.id: b for b in later.boxes}


def test_reading_the_items_finishes_the_build(canvas, big_player) -> None:
    scene = big_player.scene(big_player.step_count - 1)
    canvas.show_scene(scene, animate=False)
    assert canvas.is_building()
    assert set(canvas.box_items()) == {b.id for b in scene.boxes}
    assert not canvas.is_building()


def test_a_new_graph_replaces_a_big_one_without_a_long_turn(
    qtbot, canvas, big_player, other_scene
) -> None:
    last = big_player.step_count - 1
    canvas.show_scene(big_player.scene(last), animate=False)
    canvas.finish_building()
    old_scene = canvas.scene()
    other = other_scene
    gaps = GapRecorder()
    canvas.show_scene(other, animate=False)
    assert canvas.scene() is not old_scene  # shown at once in a fresh scene...
    qtbot.waitUntil(lambda: not canvas._discarding and not canvas.is_building(), timeout=60000)
    qtbot.wait(50)
    assert gaps.stop() < GAP_BOUND_S
    # ...and the old one is taken apart, leaving only the new graph's items.
    assert set(canvas.box_items()) == {b.id for b in other.boxes}
    assert len(canvas.scene().items()) == canvas._items.item_count()


def test_a_new_episode_while_building_abandons_the_old_build(
    qtbot, canvas, big_player, other_scene
) -> None:
    last = big_player.step_count - 1
    canvas.show_scene(big_player.scene(last), animate=False)
    assert canvas.is_building()
    other = other_scene
    canvas.show_scene(other, animate=False)
    qtbot.waitUntil(lambda: not canvas._discarding and not canvas.is_building(), timeout=60000)
    assert canvas._items.scene is other
    assert {k: v.box for k, v in canvas.box_items().items()} == {b.id: b for b in other.boxes}
