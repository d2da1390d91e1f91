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
