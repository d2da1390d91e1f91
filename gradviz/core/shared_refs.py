"""Reference boxes: a shared leaf drawn once per group of consumers.

A leaf that feeds many steps of an unrolled loop (an RNN's W_h, W_x and b) pulls one
long edge from its box to every step; those edges cut through everything between.
Netron draws a shared initialiser next to each node that uses it; here the shared
node (a source, or the AccumulateGrad hanging off a leaf) is drawn once per group of
consumers in nearby layers: the original keeps the first group, every other group
gets a copy ``f"{node}{COPY_MARK}{k}"`` with an edge to each of its consumers. The
copies stand for the same node: a scene gives them the original's state and texts.

Graphs without such a node are returned as they are, so their layout does not change.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

import networkx as nx

from .layout import _break_cycles, _components, rank_layers

COPY_MARK = "#ref"
MIN_CONSUMERS = 4  # fewer uses: plain edges read fine
MIN_GROUPS = 3  # consumers in fewer layer groups than this: no copies
GROUP_SPAN = 2  # consumers at most this many layers after a group's first share its box


@dataclass(frozen=True)
class SharedSplit:
    """The graph as drawn, and how its boxes map back to the original nodes."""

    graph: nx.DiGraph  # the original nodes, the copies, and every edge once
    ref_of: dict  # copy -> original node
    copies: dict  # shared original node -> (the original, copy 1, copy 2, ...)


def copy_id(node: Hashable, k: int) -> str:
    return f"{node}{COPY_MARK}{k}"


def original_of(drawn: str, nodes) -> str:
    """The node a drawn box id stands for: itself, or the node it is a copy of."""
    if drawn in nodes or COPY_MARK not in drawn:
        return drawn
    base = drawn.rsplit(COPY_MARK, 1)[0]
    return base if base in nodes else drawn


def split_shared(graph: nx.DiGraph, can_share: Callable | None = None) -> SharedSplit:
    """Copy each shared node once per group of its consumers (see the module docstring).

    A shared node is a source, or the single successor of a source that has no other
    successor and no other input (a leaf's AccumulateGrad), with at least
    MIN_CONSUMERS consumers falling into at least MIN_GROUPS layer groups.
    ``can_share(node)`` may veto candidates (the player allows only leaves, tensors,
    constants and AccumulateGrad nodes).
    """
    heads = _candidates(graph, can_share)
    if not heads:
        return SharedSplit(graph, {}, {})
    layer = _consumer_layers(graph, heads)
    drawn = nx.DiGraph()
    drawn.add_nodes_from(graph.nodes)
    ref_of: dict = {}
    copies: dict = {}
    moved: dict = {}  # (head, consumer) -> drawn source
    for head in heads:
        groups = _groups(sorted(graph.successors(head), key=str), layer)
        if len(groups) < MIN_GROUPS:
            continue
        ids = [head]
        for k, group in enumerate(groups[1:], 1):
            ref = copy_id(head, k)
            ids.append(ref)
            ref_of[ref] = head
            drawn.add_node(ref)
            for consumer in group:
                moved[(head, consumer)] = ref
        copies[head] = tuple(ids)
    if not copies:
        return SharedSplit(graph, {}, {})
    drawn.add_edges_from((moved.get((u, v), u), v) for u, v in graph.edges())
    return SharedSplit(drawn, ref_of, copies)


def _candidates(graph: nx.DiGraph, can_share: Callable | None) -> list:
    heads = []
    for node in graph.nodes:
        if graph.out_degree(node) < MIN_CONSUMERS or graph.has_edge(node, node):
            continue
        preds = list(graph.predecessors(node))
        if preds:
            p = preds[0]
            if len(preds) > 1 or graph.in_degree(p) or graph.out_degree(p) != 1:
                continue
        if can_share is None or can_share(node):
            heads.append(node)
    return sorted(heads, key=str)


def _consumer_layers(graph: nx.DiGraph, heads: list) -> dict:
    """Layer of every node when each head's edge goes from a box of its own.

    Ranked on that fully split graph, the consumers sit where their other inputs put
    them, not where one long edge from the head would drag them.
    """
    nodes = sorted(graph.nodes, key=str)
    index = {node: i for i, node in enumerate(nodes)}
    fan = set(heads)
    edges = []
    extra = len(nodes)
    for u, v in graph.edges():
        if u == v:
            continue
        if u in fan:
            edges.append((extra, index[v]))  # a private copy of the head
            extra += 1
        else:
            edges.append((index[u], index[v]))
    edges = _break_cycles(extra, sorted(edges))
    rank = [0] * extra
    members = _components(extra, edges)
    comp = [0] * extra
    for c, group in enumerate(members):
        for v in group:
            comp[v] = c
    sub: list[list] = [[] for _ in members]
    for u, v in edges:
        sub[comp[u]].append((u, v))
    for group, group_edges in zip(members, sub):
        local = {v: i for i, v in enumerate(group)}
        ranks = rank_layers(len(group), [(local[u], local[v]) for u, v in group_edges])
        for v, r in zip(group, ranks):
            rank[v] = r
    return {node: rank[i] for node, i in index.items()}


def _groups(consumers: list, layer: dict) -> list[list]:
    """Consumers in layer order, cut into groups spanning at most GROUP_SPAN layers."""
    groups: list[list] = []
    first = None
    for c in sorted(consumers, key=lambda c: (layer[c], str(c))):
        if first is None or layer[c] - first > GROUP_SPAN:
            groups.append([])
            first = layer[c]
        groups[-1].append(c)
    return groups
