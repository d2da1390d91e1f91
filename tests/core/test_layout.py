"""Invariants of the layered DAG layout (gradviz.core.layout) on autograd-like families."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradviz.core import layout
from gradviz.core.layout import Layout, layered_layout, layout_graph

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_layout import count_crossings, run_multipartite  # noqa: E402
from dag_families import FAMILIES, mlp, rnn  # noqa: E402

CASES = [(name, n) for name in FAMILIES for n in (20, 200)] + [("random", 1000)]


def _varied_sizes(graph: nx.DiGraph, seed: int = 0) -> dict:
    rng = random.Random(seed)
    return {n: (rng.choice((40, 90, 120, 200)), rng.choice((24, 48, 80))) for n in graph}


def _shuffled(graph: nx.DiGraph, seed: int = 0) -> nx.DiGraph:
    """The same graph with nodes and edges inserted in another order."""
    rng = random.Random(seed)
    nodes, edges = list(graph.nodes), list(graph.edges)
    rng.shuffle(nodes)
    rng.shuffle(edges)
    copy = nx.DiGraph()
    copy.add_nodes_from(nodes)
    copy.add_edges_from(edges)
    return copy


def assert_no_overlap(layout: Layout, gap: float = 1.0) -> None:
    nodes = list(layout.positions)
    xy = np.array([layout.positions[n] for n in nodes])
    wh = np.array([layout.sizes[n] for n in nodes]) / 2
    for start in range(0, len(nodes), 500):  # chunks keep the pair matrix small
        a = slice(start, start + 500)
        dx = np.abs(xy[a, None, 0] - xy[None, :, 0]) - (wh[a, None, 0] + wh[None, :, 0])
        dy = np.abs(xy[a, None, 1] - xy[None, :, 1]) - (wh[a, None, 1] + wh[None, :, 1])
        overlap = (dx < gap) & (dy < gap)
        rows = np.arange(overlap.shape[0])
        overlap[rows, rows + start] = False  # a box against itself
        i, j = np.nonzero(overlap)
        assert not len(i), f"{nodes[i[0] + start]} overlaps {nodes[j[0]]}"


def assert_inside_bounds(layout: Layout) -> None:
    for node, (x, y) in layout.positions.items():
        w, h = layout.sizes[node]
        assert x - w / 2 >= -1e-9 and y - h / 2 >= -1e-9
        assert x + w / 2 <= layout.width + 1e-9 and y + h / 2 <= layout.height + 1e-9
    for points in layout.edge_points.values():
        for x, y in points:
            assert 0 <= x <= layout.width + 1e-9 and 0 <= y <= layout.height + 1e-9


@pytest.mark.parametrize(("family", "nodes"), CASES)
@pytest.mark.parametrize("direction", ["LR", "TB"])
def test_boxes_never_overlap_and_edges_point_forward(family, nodes, direction):
    graph = FAMILIES[family](nodes, seed=3)
    sizes = _varied_sizes(graph)
    layout = layout_graph(graph, direction, sizes=sizes, fold=False)
    assert set(layout.positions) == set(graph.nodes)
    assert layout.sizes == {n: (float(w), float(h)) for n, (w, h) in sizes.items()}
    assert_no_overlap(layout, gap=12)
    assert_inside_bounds(layout)
    axis = 0 if direction == "LR" else 1
    for u, v in graph.edges:
        assert layout.positions[u][axis] < layout.positions[v][axis], (u, v)


def test_three_thousand_nodes():
    graph = mlp(3000)
    layout = layout_graph(graph, fold=False)
    assert len(layout.positions) == graph.number_of_nodes()
    assert_no_overlap(layout, gap=12)
    for u, v in graph.edges:
        assert layout.positions[u][0] < layout.positions[v][0]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_edge_points_run_from_centre_to_centre(family):
    graph = FAMILIES[family](150, seed=5)
    layout = layout_graph(graph, fold=False)
    assert set(layout.edge_points) == set(graph.edges)
    for (u, v), points in layout.edge_points.items():
        assert len(points) >= 2
        assert points[0] == pytest.approx(layout.positions[u])
        assert points[-1] == pytest.approx(layout.positions[v])
        xs = [x for x, _ in points]
        assert xs == sorted(xs), "an LR edge never turns back"


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_deterministic_and_independent_of_insertion_order(family):
    graph = FAMILIES[family](300, seed=7)
    first = layout_graph(graph)
    assert layout_graph(graph) == first
    assert layout_graph(_shuffled(graph)) == first


def test_source_sits_next_to_its_first_use():
    """RNN weights feed every step: they belong before step 0, not in layer 0 of all."""
    graph = rnn(200)
    pos = layered_layout(graph, fold=False)
    first_use = min(pos[v][0] for v in graph.successors("W_x"))
    assert first_use - pos["W_x"][0] < 250  # one layer: box width + gap
    for t in (5, 20):
        x = pos[f"x{t}"][0]
        assert pos[f"mm_x{t}"][0] - x < 250, "each input leaf next to its matmul"


def test_rnn_far_fewer_crossings_than_multipartite():
    graph = rnn(200)
    ours = count_crossings(graph, layered_layout(graph, fold=False))
    theirs = count_crossings(graph, run_multipartite(graph)[0])
    assert ours < 0.5 * theirs, (ours, theirs)


def test_chain_families_draw_without_crossings():
    for family in ("mlp", "residual"):
        graph = FAMILIES[family](400)
        assert count_crossings(graph, layered_layout(graph, fold=False)) == 0, family


def test_anchor_keeps_a_shared_leaf_in_place():
    """A weight seen in an earlier, smaller episode keeps its position."""
    small, large = rnn(40), rnn(100)
    before = layered_layout(small)
    after = layered_layout(large, anchors={"W_h": before["W_h"]})
    assert after["W_h"] == pytest.approx(before["W_h"])
    assert_no_overlap(layout_graph(large, anchors={"W_h": before["W_h"]}))


def test_anchor_far_away_still_keeps_coordinates_non_negative():
    graph = rnn(40)
    layout = layout_graph(graph, anchors={"W_h": (-5000.0, -5000.0), "W_x": (10.0, 10.0)})
    assert_inside_bounds(layout)


def test_anchors_order_nodes_of_a_layer():
    graph = nx.DiGraph([("a", "out"), ("b", "out"), ("c", "out")])
    plain = layered_layout(graph)
    order = sorted("abc", key=lambda n: plain[n][1])
    flipped = {n: (0.0, float(-i * 100)) for i, n in enumerate(order)}
    anchored = layered_layout(graph, anchors=flipped)
    assert sorted("abc", key=lambda n: anchored[n][1]) == order[::-1]


def test_small_and_odd_graphs():
    assert layout_graph(nx.DiGraph()) == Layout({}, {}, {}, 0.0, 0.0)
    single = nx.DiGraph()
    single.add_node(("tuple", 1))
    layout = layout_graph(single, sizes={("tuple", 1): (10, 20)})
    assert layout.positions == {("tuple", 1): (5.0, 10.0)}
    assert (layout.width, layout.height) == (10.0, 20.0)

    mixed = nx.DiGraph([(1, "1"), (2, (3, 4)), ("z", 1)])
    mixed.add_node(99)  # isolated
    layout = layout_graph(mixed, "TB")
    assert_no_overlap(layout)
    for u, v in mixed.edges:
        assert layout.positions[u][1] < layout.positions[v][1]


def test_cycles_and_self_loops_do_not_break_the_layout():
    graph = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a"), ("c", "c"), ("c", "d")])
    layout = layout_graph(graph)
    assert set(layout.edge_points) == set(graph.edges)
    assert_no_overlap(layout)
    for (u, v), points in layout.edge_points.items():
        assert points[0] == pytest.approx(layout.positions[u])
        assert points[-1] == pytest.approx(layout.positions[v])


def test_disconnected_components_are_stacked_apart():
    graph = nx.disjoint_union_all([mlp(30), rnn(30), nx.path_graph(4, create_using=nx.DiGraph)])
    layout = layout_graph(graph, sizes=_varied_sizes(graph, 2))
    assert_no_overlap(layout, gap=12)
    assert_inside_bounds(layout)


def test_rejects_unknown_direction():
    with pytest.raises(ValueError):
        layout_graph(nx.DiGraph([(1, 2)]), direction="diagonal")


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 40), st.data())
def test_random_dags_keep_the_invariants(n, data):
    edges = data.draw(
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n)
    )
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from((min(a, b), max(a, b)) for a, b in edges if a != b)
    sizes = {v: (data.draw(st.integers(1, 200)), data.draw(st.integers(1, 90))) for v in graph}
    direction = data.draw(st.sampled_from(["LR", "TB"]))
    layout = layout_graph(graph, direction, sizes=sizes, fold=False)
    assert_no_overlap(layout, gap=1)
    assert_inside_bounds(layout)
    axis = 0 if direction == "LR" else 1
    for (u, v), points in layout.edge_points.items():
        assert layout.positions[u][axis] < layout.positions[v][axis]
        assert points[0] == pytest.approx(layout.positions[u])
        assert points[-1] == pytest.approx(layout.positions[v])


def test_network_simplex_ranks_are_optimal_on_small_dags():
    """No tree edge keeps a negative cut value, and ranks stay feasible and tight."""
    for seed in range(60):
        rng = random.Random(seed)
        n = rng.randint(2, 25)
        edges = sorted({(rng.randrange(v), v) for v in range(1, n) for _ in range(3)})
        weights = [rng.randint(1, 5) for _ in edges]
        rank = list(range(n))  # feasible: every edge goes to a higher id
        simplex = layout._NetworkSimplex(n, edges, weights, rank)
        simplex.run()
        assert all(rank[v] - rank[u] >= 1 for u, v in edges)
        assert all(simplex.cut[e] >= 0 for e in simplex.tree_edges)
        for e in simplex.tree_edges:
            assert rank[edges[e][1]] - rank[edges[e][0]] == 1
            assert simplex.cut[e] == _brute_cut_value(edges, weights, simplex.tree_edges, e)


def _brute_cut_value(edges, weights, tree_edges, e) -> int:
    """Weight from the tail side of tree edge e to its head side, minus the way back."""
    adjacency: dict[int, list[int]] = {}
    for f in tree_edges:
        if f != e:
            u, v = edges[f]
            adjacency.setdefault(u, []).append(v)
            adjacency.setdefault(v, []).append(u)
    side, stack = {edges[e][0]}, [edges[e][0]]
    while stack:
        for w in adjacency.get(stack.pop(), ()):
            if w not in side:
                side.add(w)
                stack.append(w)
    total = 0
    for (u, v), w in zip(edges, weights):
        total += w if (u in side and v not in side) else -w if (v in side and u not in side) else 0
    return total


def test_inversion_counter_matches_brute_force():
    rng = random.Random(1)
    for _ in range(50):
        values = [rng.randrange(8) for _ in range(rng.randrange(0, 40))]
        brute = sum(
            1
            for i in range(len(values))
            for j in range(i + 1, len(values))
            if values[i] > values[j]
        )
        assert layout._inversions(np.array(values)) == brute


def test_crossing_counter_paths_agree(monkeypatch):
    """Pairwise counting and merge counting give the same crossings."""
    rng = random.Random(2)
    edges = sorted({(rng.randrange(30), 30 + rng.randrange(30)) for _ in range(200)})
    lg = layout._LayeredGraph([0] * 30 + [1] * 30, edges, [10.0] * 60)
    lg.layers = [rng.sample(range(30), 30), rng.sample(range(30, 60), 30)]
    lg.pos = [0] * 60
    layout._renumber(lg)
    pairwise = layout._CrossingCounter(lg).count(lg.pos)
    monkeypatch.setattr(layout, "_PAIRWISE_EDGES", 0)
    assert layout._CrossingCounter(lg).count(lg.pos) == pairwise
    brute = sum(
        1
        for (a, b) in edges
        for (c, d) in edges
        if (lg.pos[a] - lg.pos[c]) * (lg.pos[b] - lg.pos[d]) < 0
    )
    assert pairwise == brute // 2


@pytest.mark.parametrize("direction", ["LR", "TB"])
@pytest.mark.parametrize(("family", "nodes"), [("mlp", 60), ("residual", 80), ("mlp", 400)])
def test_long_chains_fold_into_a_serpentine(family, nodes, direction):
    """A long chain is folded into bands: no strip many times longer than broad, boxes
    still apart, and every edge still runs from its source's centre to its target's."""
    graph = FAMILIES[family](nodes, seed=3)
    flat = layout_graph(graph, direction, fold=False)
    folded = layout_graph(graph, direction)
    ratio = lambda lay: max(lay.width / lay.height, lay.height / lay.width)  # noqa: E731
    assert ratio(flat) > 4
    assert ratio(folded) < 4
    assert_no_overlap(folded, gap=12)
    assert_inside_bounds(folded)
    for (u, v), points in folded.edge_points.items():
        assert points[0] == pytest.approx(folded.positions[u])
        assert points[-1] == pytest.approx(folded.positions[v])


def test_short_graphs_do_not_fold():
    graph = nx.DiGraph([(0, 1), (0, 2), (1, 3), (2, 3), (3, 4)])
    assert layout_graph(graph) == layout_graph(graph, fold=False)
