"""What makes a new graph's first frame quick, without changing what it shows: text
measured once per font, and items drawn directly until their first paint."""

from __future__ import annotations

import pytest
from conftest import make_scene
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QGraphicsItem

from gradviz.ui import render
from gradviz.ui.canvas import GraphCanvas
from gradviz.ui.text_measure import Measure, measure

TEXTS = [
    "",
    "…",
    "MulBackward0",
    ".grad = [0.1235, 2., -3.5]",
    "a\nb",
    "x" * 300,
    "e\u0301t\u00e9",
    "\u2028z",
    "✂ no_grad",
    "∂L/∂w₁ = 12.5",
]


@pytest.mark.parametrize("kind", ["bold", "ui", "mono"])
def test_measured_widths_and_elisions_are_qts(qapp, kind) -> None:
    font = render._font(kind, 12)
    qt, ours = QFontMetricsF(font), Measure(font)
    assert ours.height() == qt.height()
    for text in TEXTS:
        width = qt.horizontalAdvance(text)
        assert ours.horizontalAdvance(text) == width
        for room in (width - 1, width - 0.01, width, width + 0.01, width / 2, 4.0, 80.5):
            mode = Qt.TextElideMode.ElideRight
            assert ours.elidedText(text, mode, room) == qt.elidedText(text, mode, room), (
                text,
                room,
            )
            assert ours.elidedText(text, mode, room) == qt.elidedText(text, mode, room)


def test_one_measure_per_font_object(qapp) -> None:
    font = render._font("mono", 11)
    assert measure(font) is measure(font)
    assert measure(render._font("mono", 12)) is not measure(font)


def _modes(view: GraphCanvas) -> set:
    items = [*view.box_items().values(), *view.token_items().values()]
    return {item.cacheMode() for item in items}


@pytest.fixture
def view(qtbot, qapp) -> GraphCanvas:
    canvas = GraphCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(900, 600)
    canvas.show()
    qtbot.waitExposed(canvas)
    return canvas


def test_a_new_graph_is_drawn_directly_then_cached_once_painted(qtbot, view) -> None:
    view.show_scene(make_scene(3), animate=False)
    assert _modes(view) == {QGraphicsItem.CacheMode.NoCache}
    view.viewport().repaint()
    qtbot.waitUntil(lambda: _modes(view) == {QGraphicsItem.CacheMode.DeviceCoordinateCache})
    # Edges too, except long ones (their pixmaps would be mostly empty).
    for item in view.edge_items().values():
        rect = item.boundingRect()
        small = rect.width() * rect.height() <= render.EDGE_CACHE_MAX_AREA
        assert (item.cacheMode() == QGraphicsItem.CacheMode.DeviceCoordinateCache) == small
    # Stepping within the episode keeps the items, and their caches.
    view.show_scene(make_scene(4), animate=False)
    assert _modes(view) == {QGraphicsItem.CacheMode.DeviceCoordinateCache}


def test_a_new_graph_painted_now_is_painted_once(qtbot, view) -> None:
    from PySide6.QtCore import QEvent, QObject

    qtbot.wait(50)

    class Count(QObject):
        paints = 0

        def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
            if event.type() == QEvent.Type.Paint:
                Count.paints += 1
            return False

    counter = Count()
    view.viewport().installEventFilter(counter)
    view.show_scene(make_scene(3), animate=False)
    view.paint_now()
    assert Count.paints == 1
    qtbot.wait(50)  # the scene's queued updates have nothing left to paint
    assert Count.paints == 1
