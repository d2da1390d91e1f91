"""Every example at every step: gradient pills, edge labels, cut marks and badges never
overlap each other or any box's text. And at fit, light and dark: the whole graph is in
view, every text drawn is at least 9 px high on screen (goldens of the viewport)."""

from __future__ import annotations

import pytest
from example_stories import NAMES, example_player
from golden import assert_matches_golden
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QGraphicsScene

from gradviz.core.player import Player
from gradviz.ui import render, theme
from gradviz.ui.canvas import GraphCanvas
from gradviz.ui.render import SceneItems

VIEWPORT = (960, 600)  # the canvas of a 1280x800 window, roughly


@pytest.fixture(scope="module")
def players() -> dict[str, Player]:
    return {name: example_player(name) for name in NAMES}


def _overlaps(a: QRectF, b: QRectF, slack: float = 0.5) -> bool:
    return a.adjusted(slack, slack, -slack, -slack).intersects(b)


def overlaps_at(items: SceneItems) -> list[str]:
    labels = items.label_rects()
    texts = items.text_rects()
    problems = []
    for i, (what, rect) in enumerate(labels):
        for other, rect2 in labels[i + 1 :]:
            if _overlaps(rect, rect2):
                problems.append(f"{what} overlaps {other}")
        for other, rect2 in texts:
            if _overlaps(rect, rect2):
                problems.append(f"{what} covers {other}")
    return problems


@pytest.mark.parametrize("example", NAMES)
def test_labels_never_overlap_each_other_or_box_text(qapp, players, example) -> None:
    player = players[example]
    graphics = QGraphicsScene()
    items = SceneItems(graphics)
    problems = {}
    steps = range(player.step_count)
    if any(s.kind == "summary" for s in player.story.steps):
        # A training loop (examples 11-13): thousands of steps whose iterations share one
        # layout; its first two iterations and its last one are checked.
        told = {0, 1, len(player.story.episodes) - 1}
        steps = [k for k in steps if player.story.steps[k].episode in told]
    for k in steps:
        scene = player.scene(k)
        if items.scene is not None and items.scene.episode != scene.episode:
            items.clear()
        items.apply(scene)
        found = overlaps_at(items)
        if found:
            problems[k + 1] = found
        # Labels placed step by step land where a fresh placement puts them.
        fresh = SceneItems(QGraphicsScene())
        fresh.apply(scene)
        assert {e: i.label_rect for e, i in items.edges.items()} == {
            e: i.label_rect for e, i in fresh.edges.items()
        }, (example, k)
        assert {e: t.pos() for e, t in items.tokens.items()} == {
            e: t.pos() for e, t in fresh.tokens.items()
        }, (example, k)
        fresh.clear()
    items.clear()
    assert not problems, f"{example}: {problems}"


def _fit_canvas(qtbot, scene) -> GraphCanvas:
    canvas = GraphCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(*VIEWPORT)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.show_scene(scene, animate=False)
    canvas.fit_to_view()
    return canvas


@pytest.mark.parametrize("name", ["light", "dark"])
@pytest.mark.parametrize("example", NAMES)
def test_fit_shows_the_whole_graph_readably(qtbot, players, example, name) -> None:
    player = players[example]
    scene = player.scene(player.story.default_step)
    theme.apply_theme(name)
    try:
        canvas = _fit_canvas(qtbot, scene)
        visible = canvas.visible_scene_rect().adjusted(-1, -1, 1, 1)
        for item in canvas.box_items().values():
            assert visible.contains(item.scene_rect()), item.box.id
        render.TEXT_PROBE = []
        image = canvas.viewport().grab().toImage()
        drawn = render.TEXT_PROBE
        render.TEXT_PROBE = None
        assert drawn, "at fit, at least the titles are drawn"
        small = [(t, round(px, 1)) for t, px in drawn if px < render.MIN_SCREEN_PX - 0.01]
        assert not small, f"text below 9 px on screen: {small[:5]}"
        titles = {t for t, _ in drawn}
        assert any(b.title in titles or render.short_name(b.title) in titles for b in scene.boxes)
        assert_matches_golden(image, f"fit_{name}_{example}")
    finally:
        render.TEXT_PROBE = None
        theme.apply_theme("light")
