"""The window lays a story out both ways to choose a direction; the second layout reuses
the first's layer orders. The layouts must be exactly what a fresh layout gives."""

from __future__ import annotations

import networkx as nx

from gradviz.core import layout


def _graph() -> nx.DiGraph:
    g = nx.DiGraph()
    edges = [("x", "m1"), ("w", "m1"), ("m1", "a"), ("b", "a"), ("a", "s"), ("x", "s")]
    edges += [("s", "t"), ("w", "t"), ("t", "u"), ("m1", "u"), ("b", "u")]
    g.add_edges_from(edges)
    return g


def _sizes(g: nx.DiGraph) -> dict:
    return {n: (40 + 9 * len(str(n)), 30 + 5 * (i % 3)) for i, n in enumerate(sorted(g))}


def test_a_remembered_order_gives_the_fresh_layout() -> None:
    g, sizes = _graph(), _sizes(_graph())
    layout._ORDERS.clear()
    fresh_tb = layout.layout_graph(g, "TB", sizes)
    layout._ORDERS.clear()
    layout.layout_graph(g, "LR", sizes)  # remembers the orders
    assert layout._ORDERS
    remembered_tb = layout.layout_graph(g, "TB", sizes)
    assert remembered_tb.positions == fresh_tb.positions
    assert remembered_tb.edge_points == fresh_tb.edge_points


def test_anchors_are_part_of_what_is_remembered() -> None:
    g, sizes = _graph(), _sizes(_graph())
    layout._ORDERS.clear()
    plain = layout.layout_graph(g, "LR", sizes)
    anchored = layout.layout_graph(g, "LR", sizes, anchors={"b": (0.0, -500.0)})
    layout._ORDERS.clear()
    fresh = layout.layout_graph(g, "LR", sizes, anchors={"b": (0.0, -500.0)})
    assert anchored.positions == fresh.positions
    assert len(layout._ORDERS) == 1 and plain.positions


def test_memory_is_bounded() -> None:
    layout._ORDERS.clear()
    for k in range(layout._ORDERS_KEPT + 5):
        g = nx.DiGraph()
        nx.add_path(g, [f"n{i}" for i in range(k + 2)])
        layout.layout_graph(g, "LR")
    assert len(layout._ORDERS) == layout._ORDERS_KEPT


# A graph whose first refined order has no crossings, so the second start is left
# unrefined until a layout asks for it.
_LAZY_EDGES = [(0, 1), (0, 2), (0, 4), (0, 5), (1, 4), (1, 5), (2, 3), (2, 7), (5, 6), (5, 7)]


def _lazy_graph() -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_edges_from(_LAZY_EDGES)
    return g


def test_a_second_order_is_refined_only_when_asked(monkeypatch) -> None:
    layout._ORDERS.clear()
    lazy = layout.layout_graph(_lazy_graph(), "LR")
    (orders,) = layout._ORDERS.values()
    assert orders.pending is not None and len(orders) == 1  # never asked: no crossing

    # Every layout then draws some crossing (one more for every order alike), so each
    # asks for the second order and compares: it must choose as the shortcut did.
    real_count = layout._StraightCounter.count
    monkeypatch.setattr(layout._StraightCounter, "count", lambda self, c: real_count(self, c) + 1)
    layout._ORDERS.clear()
    eager = layout.layout_graph(_lazy_graph(), "LR")
    (orders,) = layout._ORDERS.values()
    assert orders.pending is None and len(orders) == 2
    assert eager.positions == lazy.positions and eager.edge_points == lazy.edge_points
    # and a remembered order settles its pending start for the next layout the same way
    monkeypatch.undo()
    layout._ORDERS.clear()
    layout.layout_graph(_lazy_graph(), "TB")
    monkeypatch.setattr(layout._StraightCounter, "count", lambda self, c: real_count(self, c) + 1)
    remembered = layout.layout_graph(_lazy_graph(), "LR")
    assert remembered.positions == lazy.positions
