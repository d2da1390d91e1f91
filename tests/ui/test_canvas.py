"""The graph canvas, its headless render, minimap and legend, on a hand-made story for
y = 2 * dot(x, x) (see conftest.make_scene)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import STEP_COUNT, make_scene
from golden import assert_matches_golden, mismatched_pixels
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QImage,
    QMouseEvent,
    QNativeGestureEvent,
    QPixmapCache,
    QPointingDevice,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import QApplication

from gradviz.core import scene_types as st
from gradviz.core.scene_types import Scene, SceneBox
from gradviz.ui import theme
from gradviz.ui.canvas import GraphCanvas
from gradviz.ui.legend import ENTRIES, Legend
from gradviz.ui.render import (
    BoxItem,
    EdgeItem,
    TokenItem,
    layout_box,
    render_scene_image,
    save_scene_png,
)


@pytest.fixture
def canvas(qtbot) -> GraphCanvas:
    view = GraphCanvas()
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    return view


def box_of(scene: Scene, box_id: str) -> SceneBox:
    return next(b for b in scene.boxes if b.id == box_id)


# -- items --------------------------------------------------------------------------------


def test_show_scene_makes_one_item_per_box_edge_and_token(canvas, dot_scene) -> None:
    canvas.show_scene(dot_scene, animate=False)
    assert set(canvas.box_items()) == {b.id for b in dot_scene.boxes}
    assert set(canvas.edge_items()) == {e.id for e in dot_scene.edges}
    assert set(canvas.token_items()) == {"x-dot-self", "x-dot-other"}
    items = canvas.scene().items()
    assert sum(isinstance(i, BoxItem) for i in items) == 7
    assert sum(isinstance(i, EdgeItem) for i in items) == 7
    assert sum(isinstance(i, TokenItem) for i in items) == 2
    assert len(items) == 16
    assert canvas.token_items()["x-dot-self"].text == "[2., 4., 6.]"


def test_next_step_of_the_episode_reuses_items(canvas) -> None:
    canvas.show_scene(make_scene(4), animate=False)
    boxes, edges = canvas.box_items(), canvas.edge_items()
    canvas.show_scene(make_scene(5), animate=False)
    assert all(canvas.box_items()[k] is item for k, item in boxes.items())
    assert all(canvas.edge_items()[k] is item for k, item in edges.items())
    # What changed is updated in place: dot is done now, and the token moved on.
    assert canvas.box_items()["dot"].box.state == st.STATE_DONE
    assert set(canvas.token_items()) == {"x-dot-self", "x-dot-other"}
    # Another episode starts from fresh items.
    canvas.show_scene(make_scene(5, episode=1), animate=False)
    assert all(canvas.box_items()[k] is not item for k, item in boxes.items())


def test_removed_boxes_and_edges_leave_the_scene(canvas, dot_scene) -> None:
    canvas.show_scene(dot_scene, animate=False)
    smaller = replace(
        dot_scene,
        boxes=tuple(b for b in dot_scene.boxes if b.id != "xd"),
        edges=tuple(e for e in dot_scene.edges if e.id != "x-xd"),
    )
    canvas.show_scene(smaller, animate=False)
    assert "xd" not in canvas.box_items() and "x-xd" not in canvas.edge_items()
    assert len(canvas.scene().items()) == 14


def test_every_step_of_the_story_shows(canvas) -> None:
    for step in range(STEP_COUNT):
        canvas.show_scene(make_scene(step), animate=True)
        expected = sum(e.token is not None for e in make_scene(step).edges)
        assert len(canvas.token_items()) == expected
    canvas.finish_animation()


def test_text_is_fitted_inside_small_boxes(qapp) -> None:
    box = SceneBox(
        id="b", role=st.ROLE_LEAF, title="AVeryLongTensorNameIndeed", subtitle="float32 [3, 4, 5]",
        value="[[1., 2., 3., 4.], [5., 6., 7., 8.]]", grad="[[0.5, 0.5, 0.5, 0.5]]",
        x=0, y=0, width=90, height=60, state=st.STATE_IDLE, line=7, note="0 + 1 = 1",
    )  # fmt: skip
    layout = layout_box(box)
    assert layout.rows[0].text.endswith("…")  # elided, not overflowing
    for row in (*layout.rows, layout.strip_row):
        assert layout.rect.contains(row.rect)
    assert layout.strip is not None and layout.strip.bottom() == layout.rect.bottom()


# -- clicks, selection, pan and zoom ------------------------------------------------------


def test_clicking_a_box_emits_its_id_and_selects_it(qtbot, canvas, dot_scene) -> None:
    canvas.show_scene(dot_scene, animate=False)
    dot = box_of(dot_scene, "dot")
    pos = canvas.mapFromScene(QPointF(dot.x, dot.y))
    with qtbot.waitSignal(canvas.boxClicked, timeout=1000) as blocker:
        qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert blocker.args == ["dot"]
    assert canvas.selected_box() == "dot"
    assert canvas.box_items()["dot"].selected
    # The selection survives stepping on.
    canvas.show_scene(make_scene(6), animate=False)
    assert canvas.box_items()["dot"].selected


def test_clicking_empty_space_emits_nothing(qtbot, canvas, dot_scene) -> None:
    canvas.show_scene(dot_scene, animate=False)
    with qtbot.assertNotEmitted(canvas.boxClicked):
        qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(3, 3))


def test_select_box_moves_the_highlight(canvas, dot_scene) -> None:
    canvas.show_scene(dot_scene, animate=False)
    canvas.select_box("x")
    canvas.select_box("mul")
    assert not canvas.box_items()["x"].selected and canvas.box_items()["mul"].selected
    canvas.select_box(None)
    assert canvas.selected_box() is None and not canvas.box_items()["mul"].selected


def _send_mouse(widget, kind: QEvent.Type, pos: QPoint, buttons: Qt.MouseButton) -> None:
    button = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
    event = QMouseEvent(
        kind, QPointF(pos), QPointF(widget.mapToGlobal(pos)), button, buttons,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(widget, event)


def test_dragging_pans_and_is_not_a_click(qtbot, canvas, dot_scene) -> None:
    canvas.show_scene(dot_scene, animate=False)
    canvas.set_zoom(3.0)
    before = canvas.visible_scene_rect().center()
    vp = canvas.viewport()
    start, end = QPoint(450, 300), QPoint(250, 200)
    with qtbot.assertNotEmitted(canvas.boxClicked):
        _send_mouse(vp, QEvent.Type.MouseButtonPress, start, Qt.MouseButton.LeftButton)
        for t in (0.25, 0.5, 0.75, 1.0):
            p = start + (end - start) * t
            _send_mouse(vp, QEvent.Type.MouseMove, p, Qt.MouseButton.LeftButton)
        _send_mouse(vp, QEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton)
    after = canvas.visible_scene_rect().center()
    # Dragging left and up by (200, 100) px moves the view right and down by that / zoom.
    assert after.x() - before.x() == pytest.approx(200 / 3, abs=2)
    assert after.y() - before.y() == pytest.approx(100 / 3, abs=2)


def test_fit_to_view_shows_the_whole_graph(canvas, dot_scene) -> None:
    canvas.show_scene(dot_scene, animate=False)
    canvas.resize(400, 300)
    canvas.fit_to_view()
    assert canvas.zoom() < 1.0
    graph = canvas.scene().itemsBoundingRect()
    assert canvas.visible_scene_rect().adjusted(-1, -1, 1, 1).contains(graph)
    # A roomy view does not blow a small graph up beyond FIT_MAX_ZOOM.
    canvas.resize(3000, 2000)
    canvas.fit_to_view()
    assert canvas.zoom() == pytest.approx(theme.FIT_MAX_ZOOM)


def test_zoom_buttons_change_the_transform(canvas, dot_scene) -> None:
    canvas.show_scene(dot_scene, animate=False)
    canvas.reset_zoom()
    assert canvas.transform() == QTransform()
    canvas.zoom_in()
    assert canvas.zoom() == pytest.approx(theme.ZOOM_STEP)
    assert canvas.transform().m22() == pytest.approx(theme.ZOOM_STEP)
    canvas.zoom_out()
    canvas.zoom_out()
    assert canvas.zoom() == pytest.approx(1 / theme.ZOOM_STEP)
    for _ in range(100):
        canvas.zoom_out()
    assert canvas.zoom() == pytest.approx(theme.ZOOM_MIN)


def test_wheel_zooms_around_the_pointer(canvas, dot_scene) -> None:
    canvas.show_scene(dot_scene, animate=False)
    canvas.set_zoom(2.0)  # the graph overflows the view, so there is room to keep the anchor
    pointer = QPoint(300, 200)
    under_before = canvas.mapToScene(pointer)
    vp = canvas.viewport()
    event = QWheelEvent(
        QPointF(pointer), QPointF(vp.mapToGlobal(pointer)), QPoint(0, 0), QPoint(0, 120),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
        False,
    )  # fmt: skip
    QApplication.sendEvent(vp, event)
    assert canvas.zoom() == pytest.approx(2.0 * theme.ZOOM_STEP)
    under_after = canvas.mapToScene(pointer)
    assert (under_after - under_before).manhattanLength() < 2


def test_trackpad_pinch_zooms(canvas, dot_scene) -> None:
    canvas.show_scene(dot_scene, animate=False)
    before = canvas.zoom()
    pos = QPointF(300, 200)
    event = QNativeGestureEvent(
        Qt.NativeGestureType.ZoomNativeGesture, QPointingDevice.primaryPointingDevice(), 2,
        pos, pos, QPointF(canvas.viewport().mapToGlobal(pos.toPoint())), 0.25, QPointF(0, 0), 0,
    )  # fmt: skip
    QApplication.sendEvent(canvas.viewport(), event)
    assert canvas.zoom() == pytest.approx(before * 1.25)


def test_an_empty_scene_shows_and_renders(canvas) -> None:
    empty = Scene(0, 0, 0, "", "empty", "", None, (), (), 0, 0)
    canvas.show_scene(empty)
    assert canvas.box_items() == {} and not canvas.minimap.isVisible()
    image = render_scene_image(empty)
    assert not image.isNull() and image.pixelColor(0, 0) == theme.CANVAS_BG


# -- animation ----------------------------------------------------------------------------


def test_tokens_fly_from_target_to_source_then_rest_mid_edge(qtbot, canvas) -> None:
    canvas.show_scene(make_scene(3), animate=False)
    canvas.show_scene(make_scene(4), animate=True)
    assert canvas.is_animating()
    token = canvas.token_items()["dot-mul"]
    polyline = canvas.edge_items()["dot-mul"].geometry.polyline
    start = polyline.point_at(1.0)  # the target end: the gradient comes from there
    assert (token.pos() - start).manhattanLength() < 1
    qtbot.waitUntil(lambda: not canvas.is_animating(), timeout=3000)
    assert (token.pos() - polyline.point_at(0.5)).manhattanLength() < 1
    assert token.opacity() == 1.0


def test_a_token_already_shown_does_not_fly_again(canvas) -> None:
    canvas.show_scene(make_scene(4), animate=False)
    canvas.show_scene(make_scene(4), animate=True)
    assert not canvas.is_animating()


def test_parallel_tokens_do_not_cover_each_other(canvas, dot_scene) -> None:
    canvas.show_scene(dot_scene, animate=False)
    a, b = (canvas.token_items()[k] for k in ("x-dot-self", "x-dot-other"))
    rect_a = a.pill_rect().translated(a.pos())
    rect_b = b.pill_rect().translated(b.pos())
    assert not rect_a.intersects(rect_b)


# -- minimap ------------------------------------------------------------------------------


def test_minimap_appears_only_when_the_graph_does_not_fit(qtbot, canvas, dot_scene) -> None:
    canvas.show_scene(dot_scene, animate=False)
    assert not canvas.minimap.isVisible()  # fitted on first show
    canvas.set_zoom(3.0)
    assert canvas.minimap.isVisible()
    # Clicking the minimap centres the canvas there.
    mini = canvas.minimap
    target = box_of(dot_scene, "dot")
    pos = mini.mapFromScene(QPointF(target.x, target.y))
    qtbot.mouseClick(mini.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    centre = canvas.visible_scene_rect().center()
    assert abs(centre.x() - target.x) < 20 and abs(centre.y() - target.y) < 20
    canvas.fit_to_view()
    assert not canvas.minimap.isVisible()


def test_a_new_graph_shown_at_the_old_zoom_does_not_flash_the_minimap(canvas) -> None:
    """A new graph is placed at the old zoom first, where it does not fit: the minimap was
    shown and sized for it, then hidden by the fit, within the first frame's time."""
    from gradviz.ui.main_window import empty_scene

    shows = []

    class Watch(QObject):
        def eventFilter(self, watched, event) -> bool:
            if watched is canvas.minimap and event.type() == QEvent.Type.Show:
                shows.append(event)
            return False

    canvas.show_scene(empty_scene(), animate=False)
    watch = Watch()
    canvas.minimap.installEventFilter(watch)
    big = grid_scene(100, 0)  # 100 boxes: far from fitting at zoom 1
    canvas.show_scene(big, animate=False)
    assert canvas.zoom() < 0.5 and not canvas.minimap.isVisible() and shows == []
    canvas.set_zoom(1.0)  # the next step at this zoom: the minimap follows it
    canvas.show_scene(replace(big, step=1), animate=False)
    assert canvas.minimap.isVisible() and len(shows) == 1


# -- rendering ----------------------------------------------------------------------------


def test_render_is_deterministic(qapp, dot_scene) -> None:
    first = render_scene_image(dot_scene)
    second = render_scene_image(dot_scene)
    assert first.size() == second.size()
    assert first == second


def test_render_size_follows_scale_and_width(qapp, dot_scene) -> None:
    one = render_scene_image(dot_scene)
    two = render_scene_image(dot_scene, scale=2.0)
    assert abs(two.width() - 2 * one.width()) <= 1
    assert render_scene_image(dot_scene, width=500).width() == 500
    # White margin all round.
    assert one.pixelColor(2, 2) == theme.CANVAS_BG
    assert one.pixelColor(one.width() - 3, one.height() - 3) == theme.CANVAS_BG


def test_save_scene_png(qapp, dot_scene, tmp_path) -> None:
    path = tmp_path / "scene.png"
    save_scene_png(dot_scene, path)
    assert QImage(str(path)).size() == render_scene_image(dot_scene).size()


def test_render_matches_the_canvas(qtbot, canvas, dot_scene) -> None:
    """The canvas at 100%, sized to the export and at rest, shows the exported picture."""
    image = render_scene_image(dot_scene)
    canvas.show_scene(make_scene(4), animate=False)
    canvas.show_scene(dot_scene, animate=False)  # reused items must paint like fresh ones
    canvas.resize(image.width(), image.height())
    canvas.reset_zoom()
    canvas.centerOn(canvas.sceneRect().center())
    assert canvas.viewport().size() == image.size()
    assert canvas.visible_scene_rect() == QRectF(canvas.sceneRect())
    grabbed = canvas.viewport().grab().toImage()
    assert grabbed.size() == image.size()
    mask = mismatched_pixels(grabbed, image, tolerance=40)
    assert mask.mean() < 0.002, f"{int(mask.sum())} pixels differ"


@pytest.mark.parametrize("step", [0, 5, 6])
def test_scene_matches_golden(qapp, step) -> None:
    assert_matches_golden(render_scene_image(make_scene(step)), f"dot_step{step}")


def test_states_and_roles_match_golden(qapp) -> None:
    """Every role in every state, in boxes with long text: the look and the text fitting."""
    boxes, edges = [], []
    for row, state in enumerate((st.STATE_HIDDEN, st.STATE_IDLE, st.STATE_ACTIVE,
                                 st.STATE_DONE, st.STATE_FREED, st.STATE_ERROR)):  # fmt: skip
        for col, role in enumerate(st.ROLES):
            boxes.append(SceneBox(
                id=f"{role}-{state}", role=role, title=f"{role} {state}",
                subtitle="subtitle text here", value="[1.2500, -3.0000]",
                grad="[0.5, 0.5]" if role in (st.ROLE_LEAF, st.ROLE_GRAD_FN) else None,
                x=70 + col * 135, y=45 + row * 95, width=120, height=78, state=state,
                line=row + 1,
                note="0 + 1 = 1" if role == st.ROLE_ACCUMULATE else None,
            ))  # fmt: skip
    scene = Scene(
        step=0, step_count=1, episode=0, episode_title="looks", phase="forward",
        narration="", line=None, boxes=tuple(boxes), edges=tuple(edges),
        width=7 * 135, height=6 * 95,
    )  # fmt: skip
    assert_matches_golden(render_scene_image(scene), "roles_and_states")


# -- legend -------------------------------------------------------------------------------


def test_legend_explains_every_role_edge_kind_and_state(qtbot) -> None:
    keys = {e.key for e in ENTRIES}
    assert set(st.ROLES) <= keys
    assert {st.EDGE_DATA, st.EDGE_GRAD, st.EDGE_CUT, st.EDGE_SEED} <= keys
    assert all(e.explanation for e in ENTRIES)
    # Muted boxes and the freed badge are explained too.
    assert any("not on any gradient path" in e.explanation for e in ENTRIES)
    assert any(e.key == st.STATE_FREED and "badge" in e.name for e in ENTRIES)
    full, compact = Legend(), Legend(compact=True)
    for legend in (full, compact):
        qtbot.addWidget(legend)
        legend.resize(700, 400)
        legend.show()
    qtbot.waitExposed(compact)
    strip = compact.body
    assert strip.hint_text() == strip.HINT
    chip = strip._layout()[0].center()
    qtbot.mouseMove(strip, chip.toPoint())
    QApplication.sendEvent(
        strip,
        QMouseEvent(QEvent.Type.MouseMove, chip, strip.mapToGlobal(chip), Qt.MouseButton.NoButton,
                    Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier),
    )  # fmt: skip
    assert strip.hint_text().startswith("leaf tensor: you created it with requires_grad=True")


# -- big graphs ---------------------------------------------------------------------------


def grid_scene(n: int, step: int) -> Scene:
    """`n` boxes in a grid, each fed by the box above it; a few edges carry tokens."""
    cols = int(n**0.5) + 1
    boxes, edges = [], []
    for i in range(n):
        r, c = divmod(i, cols)
        boxes.append(SceneBox(
            id=f"b{i}", role=st.ROLES[i % len(st.ROLES)], title=f"MulBackward{i}",
            subtitle="mul  a × b", value="[1., 2.]", grad="[0.5]" if i % 3 == 0 else None,
            x=100 + c * 220, y=60 + r * 140, width=170, height=76,
            state=st.STATE_DONE if i < step else st.STATE_IDLE, line=i,
        ))  # fmt: skip
        if i >= cols:
            j = i - cols
            token = st.Token(f"[{i}.]") if (i + step) % 75 == 0 else None
            edges.append(st.SceneEdge(
                id=f"e{i}", source=f"b{j}", target=f"b{i}",
                kind=st.EDGE_GRAD if token else st.EDGE_DATA,
                points=((boxes[j].x, boxes[j].y), (boxes[i].x, boxes[i].y)),
                active=token is not None, token=token,
            ))  # fmt: skip
    return Scene(
        step=step, step_count=100, episode=0, episode_title="grid", phase="backward",
        narration="", line=None, boxes=tuple(boxes), edges=tuple(edges),
        width=200 + cols * 220, height=120 + (n // cols + 1) * 140,
    )  # fmt: skip


@pytest.mark.slow
def test_a_1500_box_graph_steps_in_place(canvas) -> None:
    """Stepping a big graph updates items in place (speed is measured in benchmarks/)."""
    canvas.resize(1280, 800)
    canvas.show_scene(grid_scene(1500, 0), animate=False)
    canvas.viewport().repaint()
    items = canvas.box_items()
    canvas.show_scene(grid_scene(1500, 1), animate=True)
    assert canvas.is_animating()
    assert all(canvas.box_items()[k] is v for k, v in items.items())
    canvas.viewport().repaint()
    canvas.reset_zoom()
    assert canvas.minimap.isVisible()  # zoomed in: the minimap shows the rest
    canvas.fit_to_view()
    assert canvas.minimap.isHidden()  # fitted: everything is in view


# -- following the step -------------------------------------------------------------------


def test_following_a_step_pans_smoothly_to_its_focus_and_neighbours(qtbot, canvas) -> None:
    canvas.show_scene(make_scene(0), animate=False)  # x is the focus, top left
    canvas.set_zoom(1.6)
    canvas.centerOn(0, 0)
    scene = make_scene(2)  # the focus moves to MulBackward0, further down
    canvas.show_scene(scene, animate=True)
    assert canvas.is_panning()  # a glide, not a jump
    qtbot.waitUntil(lambda: not canvas.is_panning(), timeout=3000)
    visible = canvas.visible_scene_rect()
    items = canvas.box_items()
    assert visible.contains(items["mul"].scene_rect())
    # Its neighbours (dot, two, seed) come into view too when they fit.
    for neighbour in ("dot", "two", "seed"):
        assert visible.intersects(items[neighbour].scene_rect()), neighbour


def test_semantic_zoom_draws_only_readable_text(qtbot, canvas, dot_scene) -> None:
    from gradviz.ui import render

    canvas.show_scene(dot_scene, animate=False)
    for zoom in (1.0, 0.7, 0.45, 0.2):
        canvas.set_zoom(zoom)
        QPixmapCache.clear()
        render.TEXT_PROBE = []
        try:
            canvas.viewport().grab()
            drawn = list(render.TEXT_PROBE)
        finally:
            render.TEXT_PROBE = None
        assert all(px >= render.MIN_SCREEN_PX - 0.01 for _, px in drawn), (zoom, drawn[:3])
        texts = {t for t, _ in drawn}
        if zoom == 1.0:
            assert "[1., 2., 3.]" in texts  # values when zoomed in
        if zoom == 0.2:  # far out: names only, drawn big enough to read
            assert "[1., 2., 3.]" not in texts and {"x", "Dot"} & texts
