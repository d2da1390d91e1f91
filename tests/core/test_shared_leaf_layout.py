"""Shared leaves drawn once per group of consumers (gradviz.core.shared_refs) and how the
player, the story file and the HTML payload carry those reference boxes."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import networkx as nx
import pytest
from story_helpers import player_of
from web_support import expand_rows

from gradviz.core import story_json
from gradviz.core.html_export import export_html
from gradviz.core.layout import layered_layout, layout_graph
from gradviz.core.shared_refs import COPY_MARK, original_of, split_shared

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_layout import count_crossings, run_multipartite  # noqa: E402
from dag_families import mlp, residual, rnn_shared  # noqa: E402

RNN = """
import torch
torch.manual_seed(0)
W_h = torch.randn(3, 3, requires_grad=True)
W_x = torch.randn(3, 2, requires_grad=True)
b = torch.zeros(3, requires_grad=True)
xs = torch.randn(6, 2)
h = torch.zeros(3)
for t in range(6):
    h = torch.tanh(W_h @ h + W_x @ xs[t] + b)
loss = h.sum()
loss.backward()
"""

NOT_SHARED = """
import torch
x = torch.arange(4.0, requires_grad=True)
w = torch.ones(4, requires_grad=True)
y = (x * w).sum() + (x * x).sum()
y.backward()
"""


@pytest.fixture(scope="module")
def rnn_player():
    return player_of(RNN)


def test_drawn_rnn_family_has_under_half_multipartites_crossings() -> None:
    graph = rnn_shared(200)
    split = split_shared(graph)
    pos = layered_layout(split.graph, "LR")
    ours = count_crossings(split.graph, pos)  # the copies and their edges included
    mp_pos, _ = run_multipartite(graph)
    multipartite = count_crossings(graph, mp_pos)
    assert multipartite > 1000  # the family is a hard case for a naive layout
    assert ours <= 0.5 * multipartite
    shared = {"AccumulateGrad(W_h)", "AccumulateGrad(W_x)", "AccumulateGrad(b)", "xs"}
    assert set(split.copies) == shared


def test_copies_carry_the_original_id_and_every_edge_is_drawn_once() -> None:
    graph = rnn_shared(200)
    split = split_shared(graph)
    drawn = split.graph
    assert set(graph.nodes) <= set(drawn.nodes)
    assert set(drawn.nodes) - set(graph.nodes) == set(split.ref_of)
    for ref, node in split.ref_of.items():
        assert ref.startswith(f"{node}{COPY_MARK}")
        assert original_of(ref, graph) == node
        assert drawn.in_degree(ref) == 0 and drawn.out_degree(ref) >= 1
        assert ref in split.copies[node]
    # Each original edge is drawn exactly once, from the node or one of its copies.
    mapped = sorted((split.ref_of.get(u, u), v) for u, v in drawn.edges())
    assert mapped == sorted(graph.edges())
    for node, boxes in split.copies.items():
        assert boxes[0] == node and len(boxes) >= 3


@pytest.mark.parametrize("family", [mlp, residual])
def test_a_graph_without_shared_leaves_is_laid_out_as_before(family) -> None:
    graph = family(200, seed=1)
    split = split_shared(graph)
    assert split.graph is graph and not split.ref_of and not split.copies
    assert layout_graph(split.graph) == layout_graph(graph)


def test_a_leaf_used_by_a_few_nearby_ops_is_not_copied() -> None:
    graph = nx.DiGraph([("w", f"op{i}") for i in range(6)] + [(f"op{i}", "sum") for i in range(6)])
    assert not split_shared(graph).copies  # six consumers, all in one layer: one group


def test_story_without_shared_leaves_draws_one_box_per_node() -> None:
    player = player_of(NOT_SHARED)
    for k in range(player.step_count):
        scene = player.scene(k)
        ep = player.story.episodes[scene.episode]
        assert [b.id for b in scene.boxes] == [n.id for n in ep.nodes]
        assert all(b.ref_of is None and "shared" not in b.badges for b in scene.boxes)


def test_copies_show_their_nodes_state_at_every_step(rnn_player) -> None:
    player = rnn_player
    copies_seen = 0
    for k in range(player.step_count):
        scene = player.scene(k)
        ep = player.story.episodes[scene.episode]
        nodes = {n.id: n for n in ep.nodes}
        state = player.state(k)
        ids = [b.id for b in scene.boxes]
        assert len(ids) == len(set(ids))
        by_node: dict[str, list] = {}
        for box in scene.boxes:
            node = box.ref_of or box.id
            assert node in nodes
            by_node.setdefault(node, []).append(box)
            if box.ref_of is not None:
                assert "shared" in box.badges
                assert box.value == state.get(node, {}).get("value")
                assert player.details(k, box.id) == player.details(k, node)
        for node, boxes in by_node.items():
            if len(boxes) > 1:
                copies_seen += len(boxes) - 1
                texts = {(b.title, b.value, b.grad, b.note, b.state, b.badges) for b in boxes}
                assert len(texts) == 1, node  # copies highlight and update together
        # Every story edge is drawn once, from a box of its source.
        drawn = {b.id: b.ref_of or b.id for b in scene.boxes}
        edges = {e.id: e for e in ep.edges}
        for edge in scene.edges:
            assert drawn[edge.source] == edges[edge.id].source
            assert len(edge.points) >= 2
    assert copies_seen > 0
    # The three parameters' AccumulateGrad nodes and xs get reference boxes.
    shared, _, titles = player.drawn(player.story.steps[-1].episode)
    assert sorted(titles.values()) == [
        "AccumulateGrad (W_h)",
        "AccumulateGrad (W_x)",
        "AccumulateGrad (b)",
    ]
    assert len(shared) == 4


def test_story_file_keeps_the_reference_boxes(rnn_player) -> None:
    loaded = story_json.loads(story_json.dumps(rnn_player))
    for k in range(0, rnn_player.step_count, 7):
        assert loaded.scene(k) == rnn_player.scene(k)


def test_html_payload_marks_copies_with_their_node(rnn_player) -> None:
    page = export_html(rnn_player, "rnn", RNN)
    found = re.search(
        r'<script id="gradviz-data" type="application/json">(.*?)</script>', page, re.S
    )
    data = json.loads(found.group(1))
    strings = data["strings"]
    for k, shown in enumerate(expand_rows(data)):  # the rows the page shows (data.js)
        rows = shown["b"]
        boxes = rnn_player.scene(k).boxes
        assert len(rows) == len(boxes)
        for row, box in zip(rows, boxes):
            static = data["boxes"][row[0]]
            assert static[0] == box.id
            assert (static[12] if len(static) > 12 else None) == box.ref_of
            texts = [None if row[i] < 0 else strings[row[i]] for i in (1, 2, 3, 4, 7)]
            assert texts == [box.state, box.value, box.grad, box.note, ",".join(box.badges) or None]
