"""Layered (Sugiyama-style) layout of a directed acyclic graph.

The pipeline, per weakly connected component (cycles are broken first by reversing
depth-first back edges; components are stacked across the flow):

1. rank: every node gets a layer. Longest path, then sources and chains are pulled
   towards their first use (a leaf feeding every RNN step sits just before step 0,
   not in layer 0 with all others), then a network simplex minimises edge length.
2. virtual nodes: edges spanning several layers are split at every layer. When one
   node has several long edges they share one chain (a "trunk") that branches off at
   each consumer, so a weight feeding 500 steps costs one chain, not 500 of them.
3. order: weighted-median sweeps down and up with transposition, from a breadth-first
   order of the sources and one of the sinks, keeping the order with fewest crossings.
4. coordinates: Brandes-Koepf alignment (four directions, preferring the longest
   paths, balanced median) with box sizes as separation, and a few smoothing passes
   that straighten virtual chains. When cheap enough, the candidates (and on small
   graphs the two refined orders) compete on crossings of edges drawn straight.
   Fan-out leaves then move to the outer side of their layer when their straight
   edges cross fewer others there.

Everything works on integer ids sorted by ``str(node)``, so results do not depend on
insertion order or hashing. ``anchors`` order their layers first and then shift the
whole drawing so they land on their previous coordinates where that keeps x, y >= 0.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import threading
from dataclasses import dataclass

import networkx as nx
import numpy as np

DEFAULT_SIZE = (120.0, 48.0)
NODE_GAP = 24.0  # between two boxes in one layer
VIRTUAL_GAP = 12.0  # between an edge bend point and anything else in its layer
LAYER_GAP = 64.0  # between the boxes of two consecutive layers
COMPONENT_GAP = 48.0  # between the bounding boxes of two components

# Folding long chains: a drawing longer than FOLD_RATIO times its breadth is cut into
# bands of consecutive layers laid side by side, every other one mirrored (a serpentine),
# so the next band starts where the last one ended. The number of bands is the one that
# brings the drawing closest to FOLD_TARGET (width / height), like a screen or a slide.
FOLD_RATIO = 3.0
FOLD_MIN_LAYERS = 8  # a short chain reads best straight, whatever its shape
FOLD_TARGET = 1.6
BAND_GAP = 56.0  # between two bands
TURN_ROOM = 44.0  # beyond the ends of the bands, where edges turn into the next band

# Crossing reduction, as dot: two short passes (sweeps, patience) from a breadth-first
# order of the sources and of the sinks, then a long refining pass of the better one
# (of both on small graphs): at most _MAX_SWEEPS sweeps, stopping after _PATIENCE (or
# a quarter of the sweeps) bring no gain. Graphs above _SWEEP_NODES (real + virtual)
# get proportionally fewer sweeps, at least 12.
_START_SWEEPS = (4, 8)
_MAX_SWEEPS = 256
_SWEEP_NODES = 4000
_PATIENCE = 48
_TRUNK_MIN = 5  # long edges out of (into) one node that share a trunk; fewer: own chains
_DRIFT_RATIO = 0.5  # a single alignment beats the median below this edge cost
_RELAX_PASSES = 6  # smoothing passes after Brandes-Koepf
_SMOOTH_ALL_NODES = 2000  # up to this many (real + virtual), smooth every candidate
_STRAIGHT_PAIRS = 2_000_000  # max pairs for choosing coordinates by straight crossings
_PAIR_BUDGET = 20_000_000  # max edge pairs the vectorised crossing counter holds
_PAIRWISE_EDGES = 400  # layer pairs with more edges count crossings by merging


@dataclass(frozen=True)
class Layout:
    """Result of :func:`layout_graph`. All coordinates are >= 0."""

    positions: dict  # node -> (x, y) centre
    sizes: dict  # node -> (w, h)
    edge_points: dict  # (u, v) -> ((x, y), ...): source centre, bends, target centre
    # (a self-loop gets just its centre twice)
    width: float
    height: float

    def zoom_to_fit(self, view: tuple[float, float]) -> float:
        """The zoom at which the whole drawing fits a (width, height) view."""
        return min(view[0] / max(self.width, 1.0), view[1] / max(self.height, 1.0))


def layered_layout(
    graph: nx.DiGraph,
    direction: str = "LR",
    sizes: dict | None = None,
    anchors: dict | None = None,
    fold: bool = True,
) -> dict:
    """Return {node: (x, y)} box centres of a layered layout of ``graph``."""
    return layout_graph(graph, direction, sizes, anchors, fold).positions


def layout_graph(
    graph: nx.DiGraph,
    direction: str = "LR",
    sizes: dict | None = None,
    anchors: dict | None = None,
    fold: bool = True,
) -> Layout:
    """Lay ``graph`` out in layers along ``direction`` ("LR" or "TB").

    ``sizes`` maps nodes to (width, height) boxes (default ``DEFAULT_SIZE``).
    ``anchors`` maps nodes to preferred (x, y) centres from an earlier layout; they
    order their layers and the whole drawing is shifted so they stay put if possible.
    With ``fold``, a long strip is folded into a serpentine of bands (see FOLD_RATIO).
    """
    across_is_y = _check_direction(direction)
    nodes = _stable_nodes(graph)
    if not nodes:
        return Layout({}, {}, {}, 0.0, 0.0)
    index = {node: i for i, node in enumerate(nodes)}
    box = [_box_size(sizes, node) for node in nodes]
    along = [w if across_is_y else h for w, h in box]
    across = [h if across_is_y else w for w, h in box]
    hints = _anchor_hints(anchors, index, across_is_y)

    edges = sorted({(index[u], index[v]) for u, v in graph.edges() if u != v})
    dag_edges = _break_cycles(len(nodes), edges)
    main, cross, paths = _layout_components(len(nodes), dag_edges, along, across, hints)

    # Paths are (along, across) points: the (x, y) of LR, swapped for TB.
    centres = list(zip(main, cross) if across_is_y else zip(cross, main))
    points = {}
    for u, v in edges:
        path = paths[(u, v)] if (u, v) in paths else paths[(v, u)][::-1]
        points[(u, v)] = path if across_is_y else [(c, m) for m, c in path]
    for u in sorted(index[u] for u, v in graph.edges() if u == v):
        points[(u, u)] = [centres[u], centres[u]]  # a self-loop: the caller draws it
    if fold:
        centres, points = _fold(centres, points, box, across_is_y)
    centres, points = _place_on_anchors(centres, points, box, anchors, index)
    return _make_layout(nodes, centres, box, points)


def zoom_bound(graph: nx.DiGraph, direction: str, sizes: dict | None, view: tuple) -> float:
    """An upper bound on the zoom that fits layout_graph(graph, direction, sizes) in a
    view of (width, height), for a fraction of a layout's cost.

    The layers and their places along the flow are exact (ranks and the widest box of
    each layer); across, a layer is at least its real boxes side by side. A drawing that
    may fold is not bounded (inf). The window skips laying a story out in a direction
    that cannot win."""
    across_is_y = _check_direction(direction)
    nodes = _stable_nodes(graph)
    if not nodes:
        return float("inf")
    index = {node: i for i, node in enumerate(nodes)}
    box = [_box_size(sizes, node) for node in nodes]
    along = [w if across_is_y else h for w, h in box]
    across = [h if across_is_y else w for w, h in box]
    edges = sorted({(index[u], index[v]) for u, v in graph.edges() if u != v})
    extents: dict[float, tuple[float, float]] = {}  # layer centre -> its extent, as _fold
    breadth = -COMPONENT_GAP
    dag_edges = _break_cycles(len(nodes), edges)
    groups = _components(len(nodes), dag_edges)
    local = {v: i for members in groups for i, v in enumerate(members)}
    group_of = {v: g for g, members in enumerate(groups) for v in members}
    own: list[list[tuple[int, int]]] = [[] for _ in groups]
    for u, v in dag_edges:
        own[group_of[u]].append((local[u], local[v]))
    for members, group_edges in zip(groups, own):
        rank = rank_layers(len(members), group_edges)
        depth = max(rank) + 1
        longest = [0.0] * depth
        row = [0.0] * depth
        count = [0] * depth
        for v, r in zip(members, rank):
            longest[r] = max(longest[r], along[v])
            row[r] += across[v]
            count[r] += 1
        gap = min(NODE_GAP, VIRTUAL_GAP)
        breadth += max(w + (k - 1) * gap for w, k in zip(row, count)) + COMPONENT_GAP
        centre = 0.0
        for r in range(depth):
            centre += (longest[r - 1] / 2 + LAYER_GAP if r else 0.0) + longest[r] / 2
            m = round(centre, 3)
            s, e = extents.get(m, (m, m))
            extents[m] = (min(s, m - longest[r] / 2), max(e, m + longest[r] / 2))
    length = max(e for _, e in extents.values()) - min(s for s, _ in extents.values())
    if len(extents) >= FOLD_MIN_LAYERS and length > FOLD_RATIO * breadth:
        return float("inf")  # it may fold, into bands whose breadth nothing here bounds
    view_along, view_across = view if across_is_y else view[::-1]
    return min(view_along / max(length, 1.0), view_across / max(breadth, 1.0))


# --------------------------------------------------------------------------- input


def _check_direction(direction: str) -> bool:
    """Return True when layers run along x (LR), False for TB."""
    if direction not in ("LR", "TB"):
        raise ValueError(f"direction must be 'LR' or 'TB', not {direction!r}")
    return direction == "LR"


def _stable_nodes(graph: nx.DiGraph) -> list:
    """Nodes sorted by their text, so the layout ignores insertion order."""
    order = {node: i for i, node in enumerate(graph.nodes)}
    return sorted(graph.nodes, key=lambda n: (str(n), type(n).__name__, order[n]))


def _box_size(sizes: dict | None, node) -> tuple[float, float]:
    if sizes is not None and node in sizes:
        w, h = sizes[node]
        return float(w), float(h)
    return DEFAULT_SIZE


def _anchor_hints(anchors: dict | None, index: dict, across_is_y: bool) -> dict:
    """Node id -> preferred coordinate across the layers."""
    if not anchors:
        return {}
    axis = 1 if across_is_y else 0
    return {index[n]: float(p[axis]) for n, p in anchors.items() if n in index}


def _break_cycles(n: int, edges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Reverse the back edges of a depth-first search so the graph becomes acyclic."""
    succ = [[] for _ in range(n)]
    for u, v in edges:
        succ[u].append(v)
    state = [0] * n  # 0 new, 1 on the stack, 2 done
    back = set()
    for root in range(n):
        if state[root]:
            continue
        state[root] = 1
        stack = [(root, 0)]
        while stack:
            u, i = stack[-1]
            if i == len(succ[u]):
                state[u] = 2
                stack.pop()
                continue
            stack[-1] = (u, i + 1)
            v = succ[u][i]
            if state[v] == 1:
                back.add((u, v))
            elif state[v] == 0:
                state[v] = 1
                stack.append((v, 0))
    if not back:
        return edges
    return sorted({(v, u) if (u, v) in back else (u, v) for u, v in edges})


# ---------------------------------------------------------------------- components


def _components(n: int, edges: list[tuple[int, int]]) -> list[list[int]]:
    """Weakly connected components, each sorted, ordered by their smallest node."""
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for u, v in edges:
        ru, rv = find(u), find(v)
        if ru != rv:
            parent[max(ru, rv)] = min(ru, rv)
    groups: dict[int, list[int]] = {}
    for v in range(n):
        groups.setdefault(find(v), []).append(v)
    return [groups[r] for r in sorted(groups)]


def _layout_components(n, edges, along, across, hints):
    """Lay out each component and stack them across the layer direction."""
    members = _components(n, edges)
    if len(members) == 1:  # the usual case: its nodes and edges need no renumbering
        main, cross, paths, _ = _Component(edges, along, across, hints).solve()
        return main, cross, paths
    main = [0.0] * n
    cross = [0.0] * n
    paths: dict[tuple[int, int], list[tuple[float, float]]] = {}
    comp_of = {}
    for c, nodes in enumerate(members):
        for v in nodes:
            comp_of[v] = c
    comp_edges: list[list[tuple[int, int]]] = [[] for _ in members]
    for u, v in edges:
        comp_edges[comp_of[u]].append((u, v))
    offset = 0.0
    for nodes, c_edges in zip(members, comp_edges):
        local = {v: i for i, v in enumerate(nodes)}
        sub = _Component(
            [(local[u], local[v]) for u, v in c_edges],
            [along[v] for v in nodes],
            [across[v] for v in nodes],
            {local[v]: hints[v] for v in nodes if v in hints},
        )
        c_main, c_cross, c_paths, extent = sub.solve()
        for v, i in local.items():
            main[v] = c_main[i]
            cross[v] = c_cross[i] + offset
        for u, v in c_edges:
            paths[(u, v)] = [(m, c + offset) for m, c in c_paths[(local[u], local[v])]]
        offset += extent + COMPONENT_GAP
    return main, cross, paths


class _Component:
    """One connected DAG on nodes 0..n-1 laid out in layers."""

    def __init__(self, edges, along, across, hints):
        self.n = len(along)
        self.edges = edges
        self.along = along
        self.across = across
        self.hints = hints

    def solve(self):
        """Return main-axis and cross-axis centres, edge paths and the cross extent."""
        rank = rank_layers(self.n, self.edges)
        lg = _LayeredGraph(rank, self.edges, self.across)
        orders = _remembered_orders(lg, self.edges, self.hints)
        main = _layer_centres(lg, self.along)
        straight = _StraightCounter(lg, self.edges, main)
        cross = assign_cross(lg, straight.count if straight.usable else None)
        wanted = straight.usable and orders.others_wanted()
        first = straight.count(cross) if wanted else 0
        # No other order can beat none crossing (ties go to the first): the others are
        # neither laid out nor, if still pending, refined.
        if first:
            orders.settle(lg, self.hints)
            best = (first, 0, cross, orders[0])
            for k, layers in enumerate(orders[1:], 1):
                lg.layers = [list(layer) for layer in layers]
                _renumber(lg)
                other = assign_cross(lg, straight.count)
                best = min(best, (straight.count(other), k, other, layers))
            cross, lg.layers = best[2], [list(layer) for layer in best[3]]
            _renumber(lg)
        _place_fan_sources(lg, self.edges, main, cross, self.hints)
        low = min(cross[v] - lg.size[v] / 2 for v in range(lg.count))
        cross = [c - low for c in cross]
        high = max(cross[v] + lg.size[v] / 2 for v in range(lg.count))
        paths = {}
        for e, chain in lg.paths.items():
            paths[e] = _simplify([(main[lg.layer[v]], cross[v]) for v in chain])
        node_main = [main[lg.layer[v]] for v in range(self.n)]
        return node_main, cross[: self.n], paths, high


# Layer orders depend on the edges and hints alone, not on box sizes or direction: the
# window lays a story out both ways to choose one, and the second finds them here.
_ORDERS: dict[tuple, list[list[list[int]]]] = {}
_ORDERS_KEPT = 8
_ORDERS_LOCK = threading.Lock()  # the window lays out in its decoding thread too


def _remembered_orders(lg: _LayeredGraph, edges, hints: dict) -> _Orders:
    """order_layers(lg, hints), remembered for the next layout of the same graph."""
    key = (lg.real, tuple(edges), tuple(sorted(hints.items())))
    with _ORDERS_LOCK:
        orders = _ORDERS.get(key)
    if orders is None:
        orders = order_layers(lg, hints)
        with _ORDERS_LOCK:
            if len(_ORDERS) >= _ORDERS_KEPT:
                del _ORDERS[next(iter(_ORDERS))]
            _ORDERS[key] = orders
        return orders
    lg.pos = [0] * lg.count
    lg.layers = [list(layer) for layer in orders[0]]
    _renumber(lg)
    return orders


def forget_orders() -> None:
    """Drop the remembered layer orders: a benchmark's repeats lay a graph out anew."""
    with _ORDERS_LOCK:
        _ORDERS.clear()


def _place_fan_sources(lg: _LayeredGraph, edges, main, cross, hints: dict) -> None:
    """Move each leaf that feeds many nodes to the side of its layer where its edges,
    drawn straight, cross the fewest other edges.

    A weight feeding every RNN step sits at the start of a long trunk; lines from it to
    its consumers cut through everything between them unless it sits on the outside.
    """
    succ, pred = _adjacency(lg.real, edges)
    fans = [
        u
        for u in range(lg.real)
        if not pred[u] and len(succ[u]) >= _TRUNK_MIN and u not in hints  # anchored: stay
    ]
    if not fans:
        return
    fans.sort(key=lambda u: (-len(succ[u]), u))
    tails = np.array([u for u, _ in edges])
    heads = np.array([v for _, v in edges])
    xy = np.array([(main[lg.layer[v]], cross[v]) for v in range(lg.real)])
    for u in fans:
        others = [v for v in lg.layers[lg.layer[u]] if v != u]
        if not others:
            continue
        low = min(cross[v] - lg.size[v] / 2 for v in others)
        high = max(cross[v] + lg.size[v] / 2 for v in others)
        offset = lg.size[u] / 2 + NODE_GAP
        best, best_count = cross[u], None
        for candidate in (cross[u], low - offset, high + offset):
            xy[u, 1] = candidate
            count = _fan_crossings(xy, tails, heads, u)
            if best_count is None or count < best_count:
                best, best_count = candidate, count
        cross[u] = best
        xy[u, 1] = best


def _fan_crossings(xy: np.ndarray, tails: np.ndarray, heads: np.ndarray, u: int) -> int:
    """Proper crossings between u's straight out-edges and every other straight edge."""
    mine = tails == u
    others = ~mine & (heads != u)
    o_tails, o_heads = tails[others], heads[others]
    c, d = xy[o_tails][None, :, :], xy[o_heads][None, :, :]
    a = xy[u][None, None, :]
    all_targets = heads[mine]
    rows = max(1, 2_000_000 // max(1, len(o_tails)))  # bound the pair matrix
    total = 0
    for start in range(0, len(all_targets), rows):
        targets = all_targets[start : start + rows]
        b = xy[targets][:, None, :]
        touching = (o_tails[None, :] == targets[:, None]) | (o_heads[None, :] == targets[:, None])
        d1 = _orientation(a, b, c)
        d2 = _orientation(a, b, d)
        d3 = _orientation(c, d, a)
        d4 = _orientation(c, d, b)
        total += int(np.count_nonzero((d1 * d2 < 0) & (d3 * d4 < 0) & ~touching))
    return total


def _orientation(p: np.ndarray, q: np.ndarray, r: np.ndarray) -> np.ndarray:
    cross = (q[..., 0] - p[..., 0]) * (r[..., 1] - p[..., 1])
    return np.sign(cross - (q[..., 1] - p[..., 1]) * (r[..., 0] - p[..., 0]))


class _StraightCounter:
    """Crossings of the real edges drawn as straight lines between centres.

    Two straight edges cross in exactly one gap between consecutive layers, where
    their order swaps; so count, gap by gap, the pairs of edge pieces whose order
    differs at the two sides (vectorised over precomputed pairs, like
    _CrossingCounter). ``usable`` is False when that would take too many pairs.
    """

    def __init__(self, lg: _LayeredGraph, edges, main: list[float]):
        per_gap = [0] * lg.depth
        for u, v in edges:
            per_gap[lg.layer[u]] += 1
            per_gap[lg.layer[v]] -= 1
        total = running = 0
        for g in range(lg.depth):
            running += per_gap[g]
            total += running * (running - 1) // 2
        self.usable = 0 < total <= _STRAIGHT_PAIRS
        if self.usable:
            self._build(lg, edges, main)

    def _build(self, lg: _LayeredGraph, edges, main: list[float]) -> None:
        groups: list[list[tuple[int, int, float, float]]] = [[] for _ in range(lg.depth)]
        for u, v in edges:
            ru, rv = lg.layer[u], lg.layer[v]
            span = main[rv] - main[ru]
            for g in range(ru, rv):
                groups[g].append(
                    (u, v, (main[g] - main[ru]) / span, (main[g + 1] - main[ru]) / span)
                )
        pieces = [p for group in groups for p in group]
        self.tail = np.array([p[0] for p in pieces], dtype=np.int64)
        self.head = np.array([p[1] for p in pieces], dtype=np.int64)
        self.start = np.array([p[2] for p in pieces])
        self.stop = np.array([p[3] for p in pieces])
        self.first, self.second = _pairs_in_groups([len(group) for group in groups])

    def count(self, cross: list[float]) -> int:
        x = np.asarray(cross, dtype=float)
        xu, xv = x[self.tail], x[self.head]
        a = xu + (xv - xu) * self.start
        b = xu + (xv - xu) * self.stop
        d = (a[self.first] - a[self.second]) * (b[self.first] - b[self.second])
        return int(np.count_nonzero(d < -1e-9))


def _layer_centres(lg: _LayeredGraph, along: list[float]) -> list[float]:
    """Centre coordinate of each layer along the flow, from the widest box per layer."""
    extent = [0.0] * lg.depth
    for v in range(len(along)):
        r = lg.layer[v]
        extent[r] = max(extent[r], along[v])
    centres = []
    pos = 0.0
    for r in range(lg.depth):
        if r:
            pos += extent[r - 1] / 2 + LAYER_GAP + extent[r] / 2
        else:
            pos = extent[0] / 2
        centres.append(pos)
    return centres


def _simplify(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Drop interior points that lie on the straight line through their neighbours."""
    if len(points) <= 2:
        return points
    kept = [points[0]]
    for i in range(1, len(points) - 1):
        (ax, ay), (bx, by), (cx, cy) = kept[-1], points[i], points[i + 1]
        if abs((bx - ax) * (cy - ay) - (by - ay) * (cx - ax)) > 1e-6:
            kept.append(points[i])
    kept.append(points[-1])
    return kept


# --------------------------------------------------------------------------- output


def _fold_bands(layers: list[tuple[float, float]], length: float, breadth: float, across_is_y):
    """Cut positions (along the flow) for the serpentine, or [] if folding does not help.

    `layers` are (start, end) extents of the layers along the flow, in order."""
    best, best_cost = 1, None
    for k in range(1, len(layers) + 1):
        band = length / k + 2 * TURN_ROOM * (k > 1)
        across = k * breadth + (k - 1) * BAND_GAP
        aspect = band / across if across_is_y else across / band
        cost = abs(np.log(aspect / FOLD_TARGET))
        if best_cost is None or cost < best_cost - 1e-9:
            best, best_cost = k, cost
        if k > 1 and best != k:
            break  # past the best: the cost only grows from here
    if best == 1:
        return []
    # Cut between layers, as close as possible to equal shares of the length.
    start = layers[0][0]
    gaps = [(a_end + b_start) / 2 for (_, a_end), (b_start, _) in zip(layers, layers[1:])]
    ascending = all(a <= b for a, b in zip(gaps, gaps[1:]))  # unless a box outgrows its gap
    cuts = []
    for j in range(1, best):
        goal = start + length * j / best
        cut = _nearest(gaps, goal) if ascending else min(gaps, key=lambda g: abs(g - goal))
        if not cuts or cut > cuts[-1]:
            cuts.append(cut)
    return cuts


def _nearest(ascending: list[float], goal: float) -> float:
    """The value nearest to goal (the first of a tie), by bisection."""
    i = bisect.bisect_left(ascending, goal)
    if i == 0:
        return ascending[0]
    if i == len(ascending):
        return ascending[-1]
    before, after = ascending[i - 1], ascending[i]
    return before if abs(before - goal) <= abs(after - goal) else after


def _fold(centres, points, box, across_is_y):
    """Fold a drawing much longer than broad into a serpentine of bands (FOLD_RATIO)."""
    if len(centres) < 3:
        return centres, points
    # Work in (along, across) coordinates: m along the flow, c across it.
    m_i, c_i = (0, 1) if across_is_y else (1, 0)
    at, size = np.array(centres, dtype=float), np.array(box, dtype=float)
    ms, cs = at[:, m_i], at[:, c_i]
    half_a, half_c = size[:, m_i] / 2, size[:, c_i] / 2
    lo, hi = float((ms - half_a).min()), float((ms + half_a).max())
    c_lo, c_hi = float((cs - half_c).min()), float((cs + half_c).max())
    point_cs = [q[c_i] for pts in points.values() for q in pts]
    if point_cs:
        c_lo = min(c_lo, min(point_cs))
        c_hi = max(c_hi, max(point_cs))
    length, breadth = hi - lo, max(c_hi - c_lo, 1.0)
    if length <= FOLD_RATIO * breadth:
        return centres, points
    layers = _layer_extents(ms, half_a)
    if len(layers) < FOLD_MIN_LAYERS:
        return centres, points
    cuts = _fold_bands(layers, length, breadth, across_is_y)
    if not cuts:
        return centres, points
    # Each band starts at its first layer's near side and ends at its last one's far side.
    near = sorted(s for s, _ in layers)
    far = sorted(e for _, e in layers)
    starts = [lo] + [near[bisect.bisect_left(near, cut)] for cut in cuts]
    ends = [far[bisect.bisect_right(far, cut) - 1] for cut in cuts] + [hi]
    width = max(e - s for s, e in zip(starts, ends))
    step = breadth + BAND_GAP
    placer = _BandPlacer(cuts, starts, width, c_lo, step, across_is_y)
    new_centres, _ = placer.place(ms, cs)
    new_points = {}
    edges = sorted(points)
    spots, bands = placer.place(
        [q[m_i] for e in edges for q in points[e]], [q[c_i] for e in edges for q in points[e]]
    )
    first = 0
    for lane, edge in enumerate(edges):
        last = first + len(points[edge])
        out = spots[first:last]
        if len(set(bands[first:last])) > 1:
            out = _turned(out, bands[first:last], lane, width, across_is_y)
        new_points[edge] = out
        first = last
    return new_centres, new_points


def _layer_extents(ms: np.ndarray, half: np.ndarray) -> list[tuple[float, float]]:
    """The layers' (start, end) along the flow, in order: boxes whose centres agree to
    three decimals are one layer, and the widest of them sets its extent."""
    centre, which = np.unique(ms, return_inverse=True)
    widest = np.zeros(len(centre))
    np.maximum.at(widest, which.ravel(), half)
    extents: dict[float, tuple[float, float]] = {}
    for m, a in zip(centre.tolist(), widest.tolist()):
        key = round(m, 3)
        s, e = extents.get(key, (key, key))
        extents[key] = (min(s, key - a), max(e, key + a))
    return [extents[key] for key in sorted(extents)]


class _BandPlacer:
    """Where points of the unfolded drawing land in the serpentine: band k holds the
    stretch between cuts k-1 and k, running backwards when k is odd."""

    def __init__(self, cuts, starts, width, c_lo, step, across_is_y) -> None:
        self.cuts = np.asarray(cuts, dtype=float)
        self.starts = np.asarray(starts, dtype=float)
        self.width, self.c_lo, self.step = width, c_lo, step
        self.across_is_y = across_is_y

    def place(self, ms: list[float], cs: list[float]) -> tuple[list, list[int]]:
        """The folded (x, y) of points at (along, across) = (ms, cs), and their bands."""
        m = np.asarray(ms, dtype=float)
        band = np.searchsorted(self.cuts, m, side="right")
        off = m - self.starts[band]
        m2 = (TURN_ROOM + np.where(band % 2 == 0, off, self.width - off)).tolist()
        c2 = (np.asarray(cs, dtype=float) - self.c_lo + band * self.step).tolist()
        spots = list(zip(m2, c2)) if self.across_is_y else list(zip(c2, m2))
        return spots, band.tolist()


def _turned(spots: list, bands: list[int], lane: int, width: float, across_is_y) -> list:
    """An edge's folded points with a turn around the end of each band it leaves, in a
    lane of its own so turning edges do not run on top of each other."""
    c_i = 1 if across_is_y else 0
    spread = 6.0 + (lane * 7.0) % (TURN_ROOM - 12.0)
    out = [spots[0]]
    for k in range(1, len(spots)):
        if bands[k] != bands[k - 1]:
            turn_m = TURN_ROOM + width + spread if bands[k - 1] % 2 == 0 else TURN_ROOM - spread
            for tc in (out[-1][c_i], spots[k][c_i]):
                out.append((turn_m, tc) if across_is_y else (tc, turn_m))
        out.append(spots[k])
    return out


def _place_on_anchors(centres, points, box, anchors, index):
    """Shift everything so anchored nodes sit on their anchors, then clamp to >= 0."""
    dx = dy = 0.0
    if anchors:
        offsets = [
            (anchors[n][0] - centres[i][0], anchors[n][1] - centres[i][1])
            for n, i in index.items()
            if n in anchors
        ]
        if offsets:
            dx = float(np.median([o[0] for o in offsets]))
            dy = float(np.median([o[1] for o in offsets]))
    min_x = min(min(x - w / 2 for (x, _), (w, _) in zip(centres, box)), _min_point(points, 0))
    min_y = min(min(y - h / 2 for (_, y), (_, h) in zip(centres, box)), _min_point(points, 1))
    dx = max(dx, -min_x)  # never push a box or a bend below zero
    dy = max(dy, -min_y)
    if not (dx or dy):  # the usual case: nothing to move (and big graphs have much)
        return centres, {e: tuple(pts) for e, pts in points.items()}
    centres = [(x + dx, y + dy) for x, y in centres]
    points = {e: tuple((x + dx, y + dy) for x, y in pts) for e, pts in points.items()}
    return centres, points


def _min_point(points: dict, axis: int) -> float:
    return min((p[axis] for pts in points.values() for p in pts), default=float("inf"))


def _make_layout(nodes, centres, box, points) -> Layout:
    positions = {node: centres[i] for i, node in enumerate(nodes)}
    sizes = {node: box[i] for i, node in enumerate(nodes)}
    edge_points = {(nodes[u], nodes[v]): pts for (u, v), pts in points.items()}
    width = max([x + w / 2 for (x, _), (w, _) in zip(centres, box)])
    height = max([y + h / 2 for (_, y), (_, h) in zip(centres, box)])
    bends = [p for pts in edge_points.values() for p in pts]
    if bends:
        width = max(width, max([x for x, _ in bends]))
        height = max(height, max([y for _, y in bends]))
    return Layout(positions, sizes, edge_points, width, height)


# ---------------------------------------------------------------------------- ranks


def rank_layers(n: int, edges: list[tuple[int, int]]) -> list[int]:
    """Layer of every node of a connected DAG; every edge goes to a higher layer."""
    succ, pred = _adjacency(n, edges)
    weights = [1] * len(edges)  # as dot; trunks only change how long edges are drawn
    topo = _topological_order(n, succ, pred)
    rank = [0] * n
    for v in topo:
        for u in pred[v]:
            rank[v] = max(rank[v], rank[u] + 1)
    _pull_forward(rank, topo, edges, weights, succ)
    if any(rank[v] - rank[u] > 1 for u, v in edges):  # else every edge is already shortest
        _NetworkSimplex(n, edges, weights, rank).run()
    low = min(rank)
    return [r - low for r in rank]


def _adjacency(n: int, edges):
    succ: list[list[int]] = [[] for _ in range(n)]
    pred: list[list[int]] = [[] for _ in range(n)]
    for u, v in edges:
        succ[u].append(v)
        pred[v].append(u)
    return succ, pred


def _topological_order(n: int, succ, pred) -> list[int]:
    indeg = [len(p) for p in pred]
    ready = [v for v in range(n) if indeg[v] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        u = heapq.heappop(ready)
        order.append(u)
        for v in succ[u]:
            indeg[v] -= 1
            if indeg[v] == 0:
                heapq.heappush(ready, v)
    return order


def _pull_forward(rank, topo, edges, weights, succ) -> None:
    """Move nodes next to their first consumer when that does not lengthen edges.

    A cheap start for the network simplex: longest path puts every leaf in layer 0.
    Edges from a leaf with a single consumer do not count against moving: the leaf
    follows its consumer (it is handled later, in reverse topological order).
    """
    w_in = [0] * len(rank)
    w_out = [0] * len(rank)
    has_input = [False] * len(rank)
    for _, v in edges:
        has_input[v] = True
    for (u, v), w in zip(edges, weights):
        w_out[u] += w
        if has_input[u] or len(succ[u]) > 1:
            w_in[v] += w
    for v in reversed(topo):
        if succ[v] and w_out[v] >= w_in[v]:
            rank[v] = min(rank[s] for s in succ[v]) - 1


class _NetworkSimplex:
    """Gansner et al.'s network simplex for layering: min sum of weight * edge length."""

    def __init__(self, n: int, edges, weights, rank: list[int]):
        self.n = n
        self.tail = [u for u, _ in edges]
        self.head = [v for _, v in edges]
        self.weight = weights
        self.rank = rank
        self.out_edges: list[list[int]] = [[] for _ in range(n)]
        self.in_edges: list[list[int]] = [[] for _ in range(n)]
        for e, (u, v) in enumerate(edges):
            self.out_edges[u].append(e)
            self.in_edges[v].append(e)
        self.in_tree = [False] * len(edges)
        self.tree_adj: list[list[int]] = [[] for _ in range(n)]
        self.tree_edges: list[int] = []
        self.cut = [0] * len(edges)
        self.par = [-1] * n
        self.low = [0] * n
        self.lim = [0] * n
        self.at_lim = [0] * n  # node with each postorder number
        self.search_from = 0

    def run(self, max_iterations: int | None = None) -> None:
        self._feasible_tree()
        self._number_subtree(0, -1, 0)
        self._init_cut_values()
        limit = max_iterations if max_iterations is not None else 10 * self.n + 100
        for _ in range(limit):
            leaving = self._leave_edge()
            if leaving < 0:
                break
            self._exchange(leaving, self._enter_edge(leaving))

    # -- tight spanning tree

    def _feasible_tree(self) -> None:
        """Grow a tree of tight edges, shifting it towards the nearest outside node."""
        rank, tail, head = self.rank, self.tail, self.head
        member = [False] * self.n
        rel = [0] * self.n  # rank of a tree node minus the current shift
        shift = 0
        out_heap: list[tuple[int, int]] = []  # tree tail: slack = key - shift
        in_heap: list[tuple[int, int]] = []  # tree head: slack = key + shift

        def grow(start: int) -> None:
            stack = [start]
            while stack:
                x = stack.pop()
                rx = rel[x] + shift
                for e in self.out_edges[x]:
                    h = head[e]
                    if member[h]:
                        continue
                    if rank[h] - rx == 1:
                        join(h, e)
                        stack.append(h)
                    else:
                        heapq.heappush(out_heap, (rank[h] - rel[x] - 1, e))
                for e in self.in_edges[x]:
                    t = tail[e]
                    if member[t]:
                        continue
                    if rx - rank[t] == 1:
                        join(t, e)
                        stack.append(t)
                    else:
                        heapq.heappush(in_heap, (rel[x] - rank[t] - 1, e))

        def join(v: int, e: int) -> None:
            member[v] = True
            rel[v] = rank[v] - shift
            self._add_tree_edge(e)

        member[0] = True
        rel[0] = rank[0]
        grow(0)
        while len(self.tree_edges) < self.n - 1:
            while out_heap and member[head[out_heap[0][1]]]:
                heapq.heappop(out_heap)
            while in_heap and member[tail[in_heap[0][1]]]:
                heapq.heappop(in_heap)
            slack_out = out_heap[0][0] - shift if out_heap else None
            slack_in = in_heap[0][0] + shift if in_heap else None
            if slack_in is None or (slack_out is not None and slack_out <= slack_in):
                shift += slack_out
                e = heapq.heappop(out_heap)[1]
                new = head[e]
            else:
                shift -= slack_in
                e = heapq.heappop(in_heap)[1]
                new = tail[e]
            join(new, e)
            grow(new)
        for v in range(self.n):
            rank[v] = rel[v] + shift

    def _add_tree_edge(self, e: int) -> None:
        self.in_tree[e] = True
        self.tree_edges.append(e)
        self.tree_adj[self.tail[e]].append(e)
        self.tree_adj[self.head[e]].append(e)

    # -- postorder numbering and cut values

    def _number_subtree(self, root: int, par_edge: int, first: int) -> None:
        """Postorder numbers (low..lim) of the subtree under ``root``."""
        tail, head = self.tail, self.head
        self.par[root] = par_edge
        self.low[root] = first
        counter = first
        stack = [(root, par_edge, 0)]
        while stack:
            v, pe, i = stack[-1]
            adj = self.tree_adj[v]
            if i < len(adj):
                stack[-1] = (v, pe, i + 1)
                e = adj[i]
                if e == pe:
                    continue
                w = head[e] if tail[e] == v else tail[e]
                self.par[w] = e
                self.low[w] = counter
                stack.append((w, e, 0))
            else:
                self.lim[v] = counter
                self.at_lim[counter] = v
                counter += 1
                stack.pop()

    def _init_cut_values(self) -> None:
        """Cut value of a tree edge = weight crossing tail side -> head side minus back."""
        net = [0] * self.n  # net outflow of each subtree
        for e, w in enumerate(self.weight):
            net[self.tail[e]] += w
            net[self.head[e]] -= w
        for lim in range(self.n):
            v = self.at_lim[lim]
            e = self.par[v]
            if e < 0:
                continue
            self.cut[e] = net[v] if self.tail[e] == v else -net[v]
            parent = self.head[e] if self.tail[e] == v else self.tail[e]
            net[parent] += net[v]

    # -- pivoting

    def _leave_edge(self) -> int:
        """A tree edge with negative cut value (most negative of the next few), or -1."""
        edges, cut = self.tree_edges, self.cut
        count = len(edges)
        best, found = -1, 0
        for k in range(count):
            i = (self.search_from + k) % count
            e = edges[i]
            if cut[e] < 0:
                if best < 0 or cut[e] < cut[best]:
                    best = e
                    self.search_from = i
                found += 1
                if found >= 30:
                    break
        return best

    def _child(self, e: int) -> int:
        t, h = self.tail[e], self.head[e]
        return t if self.lim[t] < self.lim[h] else h

    def _enter_edge(self, leaving: int) -> int:
        """Non-tree edge with least slack from the head side to the tail side."""
        child = self._child(leaving)
        lo, hi = self.low[child], self.lim[child]
        # inside == True: want edges entering the subtree (tail side is the subtree)
        into_subtree = child == self.tail[leaving]
        lim, rank, tail, head = self.lim, self.rank, self.tail, self.head
        best, best_slack = -1, None
        inside_count = hi - lo + 1
        if inside_count <= self.n - inside_count:
            nodes = self.at_lim[lo : hi + 1]
            lists = self.in_edges if into_subtree else self.out_edges
            far = tail if into_subtree else head
        else:
            nodes = self.at_lim[:lo] + self.at_lim[hi + 1 :]
            lists = self.out_edges if into_subtree else self.in_edges
            far = head if into_subtree else tail
        want_far_inside = not (inside_count <= self.n - inside_count)
        for v in nodes:
            for e in lists[v]:
                if self.in_tree[e]:
                    continue
                f = far[e]
                if (lo <= lim[f] <= hi) != want_far_inside:
                    continue
                slack = rank[head[e]] - rank[tail[e]] - 1
                if best_slack is None or slack < best_slack or (slack == best_slack and e < best):
                    best, best_slack = e, slack
        return best

    def _exchange(self, leaving: int, entering: int) -> None:
        tail, head, rank = self.tail, self.head, self.rank
        delta = rank[head[entering]] - rank[tail[entering]] - 1
        if delta:
            child = self._child(leaving)
            step = -delta if child == tail[leaving] else delta
            for v in self.at_lim[self.low[child] : self.lim[child] + 1]:
                rank[v] += step
        cv = self.cut[leaving]
        lca = self._update_path(tail[entering], head[entering], cv, True)
        self._update_path(head[entering], tail[entering], cv, False)
        self.cut[entering] = -cv
        self.cut[leaving] = 0
        self.in_tree[leaving] = False
        self.in_tree[entering] = True
        self.tree_adj[tail[leaving]].remove(leaving)
        self.tree_adj[head[leaving]].remove(leaving)
        self.tree_adj[tail[entering]].append(entering)
        self.tree_adj[head[entering]].append(entering)
        self.tree_edges[self.tree_edges.index(leaving)] = entering
        self._number_subtree(lca, self.par[lca], self.low[lca])

    def _update_path(self, v: int, w: int, cv: int, forward: bool) -> int:
        """Adjust cut values on the tree path from v up to the first ancestor of w."""
        low, lim, par, tail, head, cut = (
            self.low,
            self.lim,
            self.par,
            self.tail,
            self.head,
            self.cut,
        )
        while not (low[v] <= lim[w] <= lim[v]):
            e = par[v]
            if (v == tail[e]) == forward:
                cut[e] += cv
            else:
                cut[e] -= cv
            v = tail[e] if lim[tail[e]] > lim[head[e]] else head[e]
        return v


# -------------------------------------------------------------------- layered graph


class _LayeredGraph:
    """Real nodes 0..n-1 plus virtual nodes that split long edges at every layer.

    Long edges out of one node share one chain of virtual nodes (a trunk), and so do
    long edges into one node; ``paths`` keeps each real edge's chain of node ids.
    """

    def __init__(self, rank: list[int], edges, across: list[float]):
        self.layer = list(rank)
        self.size = list(across)  # extent across the layers; 0 for virtual nodes
        self.real = len(rank)
        self.depth = max(rank) + 1
        self.up: list[list[int]] = [[] for _ in rank]
        self.down: list[list[int]] = [[] for _ in rank]
        self.paths: dict[tuple[int, int], list[int]] = {}
        self.layers: list[list[int]] = []
        self.pos: list[int] = []
        self.only_up: list[int] = []
        self.only_down: list[int] = []
        self._links: set[tuple[int, int]] = set()
        self.shared: set[int] = set()  # virtual nodes of trunks carrying several edges
        self._split_long_edges(edges)

    @property
    def count(self) -> int:
        return len(self.layer)

    def is_virtual(self, v: int) -> bool:
        return v >= self.real

    def _split_long_edges(self, edges) -> None:
        rank = self.layer
        by_tail: dict[int, list[tuple[int, int]]] = {}
        for u, v in edges:
            if rank[v] - rank[u] == 1:
                self._link(u, v)
                self.paths[(u, v)] = [u, v]
            else:
                by_tail.setdefault(u, []).append((u, v))
        by_head: dict[int, list[tuple[int, int]]] = {}
        for u in sorted(by_tail):
            group = by_tail[u]
            if len(group) >= _TRUNK_MIN:
                self._out_trunk(u, group)
            else:
                for edge in group:
                    by_head.setdefault(edge[1], []).append(edge)
        for v in sorted(by_head):
            group = by_head[v]
            if len(group) >= _TRUNK_MIN:
                self._in_trunk(v, group)
            else:
                for edge in group:
                    self._in_trunk(v, [edge])  # a trunk of one edge is its own chain

    def _new_virtual(self, layer: int) -> int:
        self.layer.append(layer)
        self.size.append(0.0)
        self.up.append([])
        self.down.append([])
        return len(self.layer) - 1

    def _link(self, a: int, b: int) -> None:
        if (a, b) not in self._links:
            self._links.add((a, b))
            self.down[a].append(b)
            self.up[b].append(a)

    def _out_trunk(self, u: int, group) -> None:
        """One chain from u to its farthest consumer; nearer consumers branch off it."""
        rank = self.layer
        chain = [u]
        for r in range(rank[u] + 1, max(rank[v] for _, v in group)):
            chain.append(self._new_virtual(r))
            self._link(chain[-2], chain[-1])
            self.shared.add(chain[-1])
        for _, v in group:
            stop = rank[v] - rank[u]  # chain[stop - 1] sits one layer before v
            self._link(chain[stop - 1], v)
            self.paths[(u, v)] = chain[:stop] + [v]

    def _in_trunk(self, v: int, group) -> None:
        """One chain into v from its earliest producer; later producers join it."""
        rank = self.layer
        chain = [v]  # built backwards from v
        for r in range(rank[v] - 1, min(rank[u] for u, _ in group), -1):
            chain.append(self._new_virtual(r))
            self._link(chain[-1], chain[-2])
            if len(group) > 1:
                self.shared.add(chain[-1])
        for u, _ in group:
            stop = rank[v] - rank[u]
            self._link(u, chain[stop - 1])
            self.paths[(u, v)] = [u] + chain[:stop][::-1]


# ------------------------------------------------------------------------- ordering


class _Orders(list):
    """order_layers' refined orders, fewest crossings first. A second start whose
    refinement cannot come first (the first has no crossings, and ties keep the first
    first) is refined only when `settle` asks for it: a layout whose first order draws
    no crossing never does."""

    def __init__(self, refined: list, pending: list | None) -> None:
        super().__init__(refined)
        self.pending = pending  # (crossings, layers) of the start not yet refined
        self._lock = threading.Lock()  # the window lays out in its decoding thread too

    def others_wanted(self) -> bool:
        return len(self) > 1 or self.pending is not None

    def settle(self, lg: _LayeredGraph, hints: dict) -> None:
        """Refine the pending start (once), on `lg` (its layers are left changed)."""
        with self._lock:
            if self.pending is None:
                return
            _prepare_ordering(lg)
            crossings, layers = self.pending
            self.append(_refine(lg, _CrossingCounter(lg), hints, crossings, layers)[1])
            self.pending = None


def _prepare_ordering(lg: _LayeredGraph) -> None:
    lg.pos = [0] * lg.count
    # The single neighbour above / below each node, or -1: speeds up transposition.
    lg.only_up = [nbs[0] if len(nbs) == 1 else -1 for nbs in lg.up]
    lg.only_down = [nbs[0] if len(nbs) == 1 else -1 for nbs in lg.down]


def _refine(lg: _LayeredGraph, counter, hints: dict, crossings: int, layers: list):
    """The long pass from a start's order: (crossings, layers)."""
    lg.layers = [list(layer) for layer in layers]
    _renumber(lg)
    if not crossings:
        return crossings, layers
    sweeps = max(12, min(_MAX_SWEEPS, _MAX_SWEEPS * _SWEEP_NODES // max(1, lg.count)))
    return _improve_order(lg, counter, hints, (sweeps, min(_PATIENCE, sweeps // 4)))


def order_layers(lg: _LayeredGraph, hints: dict) -> _Orders:
    """Order every layer to reduce crossings (median sweeps + transposition).

    Like dot: a short pass from a breadth-first order of the sources, one from the
    sinks, then a long pass refining the better of the two, or both on small graphs
    (see _START_SWEEPS). Returns the refined orders, fewest crossings first;
    ``lg.layers`` holds the first.
    """
    _prepare_ordering(lg)
    counter = _CrossingCounter(lg)
    starts = []
    for downward in (True, False):
        lg.layers = _initial_order(lg, hints, downward)
        _renumber(lg)
        starts.append(_improve_order(lg, counter, hints, _START_SWEEPS))
        if starts[-1][0] == 0:
            break
    starts.sort(key=lambda item: item[0])
    results = []
    pending = None
    refined = 2 if lg.count <= _SMOOTH_ALL_NODES else 1  # small graphs: refine both
    for crossings, layers in starts[:refined]:
        if results and results[0][0] == 0:
            pending = [crossings, layers]  # sorts after the first whatever it becomes
            break
        results.append(_refine(lg, counter, hints, crossings, layers))
    results.sort(key=lambda item: item[0])
    lg.layers = [list(layer) for layer in results[0][1]]
    _renumber(lg)
    return _Orders([layers for _, layers in results], pending)


def _improve_order(lg: _LayeredGraph, counter: _CrossingCounter, hints: dict, budget):
    """Alternate down and up sweeps; return the fewest crossings seen and that order."""
    best = counter.count(lg.pos)
    best_layers = [list(layer) for layer in lg.layers]
    stall = 0
    max_sweeps, patience = budget
    for sweep in range(max_sweeps):
        if best == 0 or stall >= patience:
            break
        # As dot: two sweeps reverse ties in the sort, the next two let transposition
        # swap equal pairs, to move along plateaus.
        reverse = sweep % 4 < 2
        if sweep % 2 == 0:
            changed = _sweep(lg, range(1, lg.depth), lg.up, hints, reverse)
        else:
            changed = _sweep(lg, range(lg.depth - 2, -1, -1), lg.down, hints, reverse)
        _transpose(lg, reverse, changed)
        crossings = counter.count(lg.pos)
        stall += 1
        if crossings <= best:
            if crossings < 0.995 * best:
                stall = 0
            best = crossings
            best_layers = [list(layer) for layer in lg.layers]
    lg.layers = best_layers
    _renumber(lg)
    return best, best_layers


def _renumber(lg: _LayeredGraph) -> None:
    for layer in lg.layers:
        for i, v in enumerate(layer):
            lg.pos[v] = i


def _initial_order(lg: _LayeredGraph, hints: dict, downward: bool) -> list[list[int]]:
    """Breadth-first order from the sources (or sinks), so neighbours start together."""
    layers: list[list[int]] = [[] for _ in range(lg.depth)]
    seen = [False] * lg.count
    before, after = (lg.up, lg.down) if downward else (lg.down, lg.up)
    roots = [v for v in range(lg.count) if not before[v]]
    roots.sort(key=lambda v: (lg.layer[v] if downward else -lg.layer[v], v))
    for root in roots:
        if seen[root]:
            continue
        seen[root] = True
        queue = [root]
        for v in queue:  # the list grows while we walk it: a FIFO queue
            layers[lg.layer[v]].append(v)
            for w in after[v] + before[v]:  # like dot: forward first, then back
                if not seen[w]:
                    seen[w] = True
                    queue.append(w)
    if hints:
        layers = [_sort_anchored(layer, hints) for layer in layers]
    return layers


def _sort_anchored(layer: list[int], hints: dict) -> list[int]:
    """Put the anchored nodes of a layer in their anchors' order, in the same slots."""
    slots = [i for i, v in enumerate(layer) if v in hints]
    if len(slots) < 2:
        return layer
    ordered = sorted((layer[i] for i in slots), key=lambda v: (hints[v], v))
    layer = list(layer)
    for i, v in zip(slots, ordered):
        layer[i] = v
    return layer


def _sweep(lg: _LayeredGraph, layer_ids, neighbours, hints: dict, reverse: bool):
    """Sort each layer by the weighted median of its neighbours in the previous layer.

    Ties keep their current order, or swap it when ``reverse`` (to leave plateaus);
    anchored nodes break ties by their anchor. Nodes without neighbours there keep
    their slot. Returns the ids of the layers whose order changed.
    """
    pos = lg.pos
    only = lg.only_up if neighbours is lg.up else lg.only_down
    tie = -1 if reverse else 1
    changed = []
    for r in layer_ids:
        layer = lg.layers[r]
        keyed = []
        slots = []
        for i, v in enumerate(layer):
            single = only[v]
            if single >= 0:
                key = pos[single]
            elif neighbours[v]:
                key = _weighted_median(sorted([pos[u] for u in neighbours[v]]))
            else:
                continue
            keyed.append((key, hints.get(v, 0.0), tie * i, v) if hints else (key, tie * i, v))
            slots.append(i)
        keyed.sort()
        moved = [item[-1] for item in keyed]
        if moved == [layer[i] for i in slots]:
            continue
        changed.append(r)
        for i, v in zip(slots, moved):
            layer[i] = v
            pos[v] = i
    return changed


def _weighted_median(p: list[int]) -> float:
    """Gansner et al.'s median, interpolated towards the denser side for even counts."""
    m = len(p)
    half = m // 2
    if m % 2:
        return float(p[half])
    if m == 2:
        return (p[0] + p[1]) / 2
    left, right = p[half - 1] - p[0], p[-1] - p[half]
    if left + right == 0:
        return (p[half - 1] + p[half]) / 2
    return (p[half - 1] * right + p[half] * left) / (left + right)


def _transpose(lg: _LayeredGraph, strict: bool, changed) -> None:
    """Swap neighbours in a layer while that removes crossings.

    Works on marked pairs: at first every pair of the layers in ``changed`` and next to
    them (the others are as the last transposition left them), then only pairs whose
    crossings a swap may have changed. When not ``strict``, the first round also swaps
    pairs that cross equally either way, to leave plateaus.
    """
    marks = [[False] * len(layer) for layer in lg.layers]
    active = [False] * lg.depth
    for r in changed:
        for s in (r - 1, r, r + 1):
            if 0 <= s < lg.depth and not active[s]:
                active[s] = True
                marks[s] = [True] * len(lg.layers[s])
    equal_swaps = not strict
    busy = True
    while busy:
        busy = False
        for r in range(lg.depth):
            if active[r]:
                active[r] = False
                busy = True
                _transpose_layer(lg, r, marks, active, equal_swaps)
        equal_swaps = False


def _transpose_layer(lg: _LayeredGraph, r: int, marks, active, equal_swaps: bool) -> None:
    """Try the marked adjacent pairs of layer r left to right, marking what a swap
    disturbs: the pairs beside it and the pairs around the swapped nodes' neighbours."""
    pos, up, down, layer, flags = lg.pos, lg.up, lg.down, lg.layers[r], marks[r]
    up1, down1 = lg.only_up, lg.only_down
    end = len(layer) - 1
    i = -1
    while True:
        try:  # jump to the next marked pair (list.index runs in C)
            i = flags.index(True, i + 1, end)
        except ValueError:
            return
        flags[i] = False
        v, w = layer[i], layer[i + 1]
        a, b = up1[v], up1[w]
        if a >= 0 and b >= 0:  # the common case: one edge each (virtual nodes)
            keep, swap = pos[a] > pos[b], pos[a] < pos[b]
        else:
            keep, swap = _pair_crossings(up[v], up[w], pos)
        a, b = down1[v], down1[w]
        if a >= 0 and b >= 0:
            keep += pos[a] > pos[b]
            swap += pos[a] < pos[b]
        else:
            more_keep, more_swap = _pair_crossings(down[v], down[w], pos)
            keep += more_keep
            swap += more_swap
        if swap < keep or (equal_swaps and keep and swap == keep):
            layer[i], layer[i + 1] = w, v
            pos[v], pos[w] = i + 1, i
            flags[i + 1] = True
            if i:
                flags[i - 1] = True
                active[r] = True
            for u in up[v] + up[w] + down[v] + down[w]:
                _mark_around(marks, active, lg.layer[u], pos[u])


def _mark_around(marks, active, r: int, p: int) -> None:
    """Mark both pairs that contain the node at position p of layer r."""
    flags = marks[r]
    flags[p] = True
    if p:
        flags[p - 1] = True
    active[r] = True


def _pair_crossings(left: list[int], right: list[int], pos: list[int]) -> tuple[int, int]:
    """Crossings between the edges of two adjacent nodes, as placed and if swapped."""
    if len(left) * len(right) > 64:  # many edges: bisect a sorted side instead
        ends = sorted([pos[b] for b in right])
        keep = swap = 0
        for a in left:
            keep += bisect.bisect_left(ends, pos[a])
            swap += len(ends) - bisect.bisect_right(ends, pos[a])
        return keep, swap
    keep = swap = 0
    for a in left:
        pa = pos[a]
        for b in right:
            pb = pos[b]
            if pa > pb:
                keep += 1
            elif pa < pb:
                swap += 1
    return keep, swap


class _CrossingCounter:
    """Counts crossings between consecutive layers.

    Small layer pairs: vectorised over all edge pairs. Layer pairs with many edges:
    inversions of the lower ends in the order of the upper ends (merge counting).
    """

    def __init__(self, lg: _LayeredGraph):
        groups: list[list[tuple[int, int]]] = [[] for _ in range(lg.depth)]
        for a in range(lg.count):
            for b in lg.down[a]:
                groups[lg.layer[a]].append((a, b))
        tops, bottoms, sizes = [], [], []
        self.big_groups = []
        budget = 0
        for group in groups:
            g = len(group)
            if g < 2:
                continue
            if g > _PAIRWISE_EDGES or budget + g * g // 2 > _PAIR_BUDGET:
                self.big_groups.append(
                    (np.array([a for a, _ in group]), np.array([b for _, b in group]))
                )
                continue
            sizes.append(g)
            tops.extend(a for a, _ in group)
            bottoms.extend(b for _, b in group)
            budget += g * (g - 1) // 2
        self.top = np.array(tops, dtype=np.int64)
        self.bottom = np.array(bottoms, dtype=np.int64)
        self.first, self.second = _pairs_in_groups(sizes)

    def count(self, pos: list[int]) -> int:
        p = np.asarray(pos, dtype=np.int64)
        a, b = p[self.top], p[self.bottom]
        d = (a[self.first] - a[self.second]) * (b[self.first] - b[self.second])
        total = int(np.count_nonzero(d < 0))
        for top, bottom in self.big_groups:
            upper, lower = p[top], p[bottom]
            total += _inversions(lower[np.lexsort((lower, upper))])
        return total


def _pairs_in_groups(sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs i < j within each of consecutive groups of these sizes."""
    if not sizes:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    pairs = [_pairs_within(g) for g in sizes]
    starts = np.cumsum([0, *sizes[:-1]])
    shift = np.repeat(starts, [len(i) for i, _ in pairs])  # each pair's group start
    first = np.concatenate([i for i, _ in pairs]) + shift
    second = np.concatenate([j for _, j in pairs]) + shift
    return first, second


@functools.lru_cache(maxsize=256)
def _pairs_within(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs i < j of a group of ``size`` items (cached: sizes repeat a lot)."""
    return np.triu_indices(size, 1)


def _inversions(values: np.ndarray) -> int:
    """Pairs i < j with values[i] > values[j], by bottom-up merge counting in numpy.

    At each level, blocks of ``size`` pair up left/right; for every element of a right
    block, count the elements of its left block that are larger. Keys offset by the
    block pair keep the searches of different pairs apart.
    """
    values = np.asarray(values, dtype=np.int64)
    n = len(values)
    if n < 2:
        return 0
    values = values - values.min()
    stride = int(values.max()) + 1
    index = np.arange(n)
    total = 0
    size = 1
    while size < n:
        block = index // size
        pair = block // 2
        left = block % 2 == 0
        left_keys = np.sort(pair[left] * stride + values[left])
        right_pair = pair[~left]
        at_most = np.searchsorted(left_keys, right_pair * stride + values[~left], "right")
        block_end = np.searchsorted(left_keys, (right_pair + 1) * stride, "left")
        total += int((block_end - at_most).sum())
        size *= 2
    return total


# ---------------------------------------------------------------------- coordinates


def assign_cross(lg: _LayeredGraph, crossings=None) -> list[float]:
    """Cross-axis centres: balanced Brandes-Koepf over four alignment directions.

    With ``crossings`` (centres -> count), the balanced result and each single run
    compete after smoothing, and the one with fewest crossings wins.
    """
    conflicts = _inner_conflicts(lg)
    through = _longest_paths_through(lg)
    partners = _Partners(lg, through)
    # Each layer's separations, the same for all four runs and the smoothing (reversed
    # for a rightward run: a separation is symmetric in its two nodes).
    seps = [_separations(lg, layer) for layer in lg.layers]
    runs = [
        _align_and_compact(lg, conflicts, through, partners, downward, leftward, seps)
        for downward in (True, False)
        for leftward in (True, False)
    ]
    candidates, default = _balance(lg, runs)
    plan = _relax_plan(lg, seps)
    chosen = _relax(lg, candidates[default], _RELAX_PASSES, plan)
    if crossings is None:
        return chosen
    best = crossings(chosen)
    if best == 0:
        return chosen
    # Smoothing costs more than counting: on big graphs smooth only the best raw run.
    others = [i for i in range(len(candidates)) if i != default]
    if lg.count > _SMOOTH_ALL_NODES:
        others = [min(others, key=lambda i: crossings(candidates[i]))]
    for i in others:
        smoothed = _relax(lg, candidates[i], _RELAX_PASSES, plan)
        count = crossings(smoothed)
        if count < best:
            best, chosen = count, smoothed
    return chosen


def _inner_conflicts(lg: _LayeredGraph) -> set[tuple[int, int]]:
    """Edges that cross an edge between two virtual nodes: those never get aligned."""
    marked: set[tuple[int, int]] = set()
    pos = lg.pos
    for r in range(lg.depth - 1):
        upper, lower = lg.layers[r], lg.layers[r + 1]
        k0 = 0
        scan = 0
        for l1, v in enumerate(lower):
            inner = -1
            if lg.is_virtual(v):
                inner = next((u for u in lg.up[v] if lg.is_virtual(u)), -1)
            if inner < 0 and l1 != len(lower) - 1:
                continue
            k1 = pos[inner] if inner >= 0 else len(upper) - 1
            while scan <= l1:
                w = lower[scan]
                for u in lg.up[w]:
                    if (pos[u] < k0 or pos[u] > k1) and not (lg.is_virtual(u) and u == inner):
                        marked.add((u, w))
                        marked.add((w, u))
                scan += 1
            k0 = k1
    return marked


def _align_and_compact(
    lg: _LayeredGraph, conflicts, through, partners, downward: bool, leftward: bool, seps
):
    """One Brandes-Koepf run: vertical alignment to medians, then left compaction.

    Unlike the original, a node tries first the median neighbour on the longer path
    (``through``), and leaves a neighbour to a rival on a longer path: the main chain
    of a graph then runs straight instead of stepping aside at every side input.
    """
    layers = lg.layers if leftward else [layer[::-1] for layer in lg.layers]
    idx = [0] * lg.count
    for layer in layers:
        for i, v in enumerate(layer):
            idx[v] = i
    sequence = layers if downward else layers[::-1]
    # Neighbours in the layer before, in layer order; and for each of those, the longest
    # path through any of its neighbours in this layer (its rival's).
    before, rival_through = (
        (partners.up, partners.top_down) if downward else (partners.down, partners.top_up)
    )
    root = list(range(lg.count))
    align = list(range(lg.count))
    for layer in sequence[1:]:
        last = -1
        for v in layer:
            nbs = before[v]
            d = len(nbs)
            if not d:
                continue
            if not leftward:
                nbs = nbs[::-1]
            if d % 2:
                medians = (nbs[(d - 1) // 2],)
            else:
                a, b = nbs[d // 2 - 1], nbs[d // 2]
                medians = (b, a) if through[b] > through[a] else (a, b)
            for u in medians:
                if align[v] != v or (u, v) in conflicts or last >= idx[u]:
                    continue
                if rival_through[u] > through[v]:
                    continue  # u belongs to a longer path
                align[u] = v
                root[v] = root[u]
                align[v] = root[v]
                last = idx[u]
    x = _compact(lg, layers, root, seps if leftward else [s[::-1] for s in seps])
    return x if leftward else [-c for c in x]


class _Partners:
    """Each node's alignment partners (see _partners) above and below it, in layer
    order, and the longest path through any of them: the same for all four runs."""

    def __init__(self, lg: _LayeredGraph, through: list[int]) -> None:
        self.up = _in_layer_order(lg, lg.up)
        self.down = _in_layer_order(lg, lg.down)
        self.top_up = _top_through(self.up, through)
        self.top_down = _top_through(self.down, through)


def _in_layer_order(lg: _LayeredGraph, neighbours) -> list[list[int]]:
    """Each node's partners among ``neighbours``, sorted by position in their layer."""
    by_pos = lg.pos.__getitem__
    out = []
    for v in range(lg.count):
        nbs = _partners(lg, v, neighbours) if lg.shared else neighbours[v]
        out.append(sorted(nbs, key=by_pos) if len(nbs) > 1 else list(nbs))
    return out


def _top_through(partners: list[list[int]], through: list[int]) -> list[int]:
    """The longest path through any of each node's partners, or -1 without any."""
    return [
        max([through[u] for u in nbs]) if len(nbs) > 1 else through[nbs[0]] if nbs else -1
        for nbs in partners
    ]


def _partners(lg: _LayeredGraph, v: int, neighbours) -> list[int]:
    """Neighbours v may align with: a trunk is a bus, nodes line up with real ones."""
    nbs = neighbours[v]
    if v in lg.shared:
        return nbs
    return [u for u in nbs if u not in lg.shared] or nbs


def _longest_paths_through(lg: _LayeredGraph) -> list[int]:
    """Layers on the longest path through each node, not counting trunks."""
    depth = [0] * lg.count
    height = [0] * lg.count
    for layer in lg.layers:
        for v in layer:
            for u in lg.up[v]:
                if u not in lg.shared:
                    depth[v] = max(depth[v], depth[u] + 1)
    for layer in reversed(lg.layers):
        for v in layer:
            for w in lg.down[v]:
                if w not in lg.shared:
                    height[v] = max(height[v], height[w] + 1)
    return [d + h for d, h in zip(depth, height)]


def _compact(lg: _LayeredGraph, layers, root: list[int], seps) -> list[float]:
    """Place each block as far left as the blocks on its left allow (longest path);
    `seps`: each layer's separations (see _separations), in the order of `layers`."""
    succ: dict[int, list[tuple[int, float]]] = {}
    indeg = [0] * lg.count
    for layer, layer_seps in zip(layers, seps):
        for a, b, sep in zip(layer, layer[1:], layer_seps):
            succ.setdefault(root[a], []).append((root[b], sep))
            indeg[root[b]] += 1
    x = [0.0] * lg.count
    ready = [v for v in range(lg.count) if root[v] == v and indeg[v] == 0]
    while ready:
        a = ready.pop()
        for b, sep in succ.get(a, ()):
            reach = x[a] + sep
            if reach > x[b]:
                x[b] = reach
            indeg[b] -= 1
            if indeg[b] == 0:
                ready.append(b)
    return [x[r] for r in root]


def _separations(lg: _LayeredGraph, layer: list[int]) -> list[float]:
    """The least distance between the centres of each two neighbours in a layer."""
    size, real = lg.size, lg.real
    return [
        (size[a] + size[b]) / 2 + (VIRTUAL_GAP if a >= real or b >= real else NODE_GAP)
        for a, b in zip(layer, layer[1:])
    ]


def _balance(lg: _LayeredGraph, runs: list[list[float]]):
    """Align the four runs to the narrowest one; return [median, *runs] and the pick.

    Brandes and Koepf take the average median per node. When one alignment direction
    staircases (an RNN step whose side input sits above the chain drags the next step
    up one slot), the median drifts too, so a single run wins when its edges are
    much shorter (dot's objective: sum of weight * |dx|).
    """
    xs = np.array(runs, dtype=float)
    half = np.array(lg.size, dtype=float) / 2
    lows = (xs - half).min(axis=1)
    highs = (xs + half).max(axis=1)
    narrow = int(np.argmin(highs - lows))
    for k in range(4):
        leftward = k % 2 == 0
        xs[k] += (lows[narrow] - lows[k]) if leftward else (highs[narrow] - highs[k])
    ordered = np.sort(xs, axis=0)
    candidates = [(ordered[1] + ordered[2]) / 2, *xs]
    tails, heads, weights = _edge_arrays(lg)
    costs = [float(np.dot(weights, np.abs(c[tails] - c[heads]))) for c in candidates]
    best = int(np.argmin(costs))
    default = best if costs[best] < _DRIFT_RATIO * costs[0] else 0
    return [c.tolist() for c in candidates], default


def _edge_arrays(lg: _LayeredGraph):
    """Layered edges as (tails, heads, weights), weights 1 / 2 / 8 as in dot."""
    tails, heads, weights = [], [], []
    for a in range(lg.count):
        for b in lg.down[a]:
            tails.append(a)
            heads.append(b)
            weights.append((1.0, 2.0, 8.0)[lg.is_virtual(a) + lg.is_virtual(b)])
    return np.array(tails, dtype=np.int64), np.array(heads, dtype=np.int64), np.array(weights)


def _relax(lg: _LayeredGraph, x: list[float], passes: int, plan=None) -> list[float]:
    """Move nodes towards the weighted mean of their neighbours, keeping the order.

    Brandes-Koepf lines a virtual chain up with at most one of its ends; this
    straightens the chain and its ends so a long edge drawn as one straight line
    stays close to where the ordering routed it. Weights follow dot (1, 2, 8).
    Trunks stay where Brandes-Koepf put them and pull nobody: their straight edges
    fan out from one node, and bending the trunk towards them does not help.
    """
    x = list(x)
    rows = plan or _relax_plan(lg)
    up, down = lg.up, lg.down  # whom a node pulls (trunks, which pull nobody, skip)
    # Only a node whose inputs moved since it was last placed can move: the others
    # would be put back exactly where they are, so they are skipped (same result).
    dirty = bytearray(b"\x01") * lg.count
    for k in range(passes):
        moved = False
        for layer, pulls, gaps in rows if k % 2 == 0 else rows[::-1]:
            last = len(layer) - 1
            for i in range(last, -1, -1) if k % 4 >= 2 else range(last + 1):
                v = layer[i]
                pull = pulls[i]
                if pull is None or not dirty[v]:
                    continue
                dirty[v] = 0
                total = 0.0
                for u, w in pull[0]:
                    total += w * x[u]
                target = total * pull[1]
                if i:
                    target = max(target, x[layer[i - 1]] + gaps[i])
                if i < last:
                    target = min(target, x[layer[i + 1]] - gaps[i + 1])
                if target != x[v]:
                    moved = True
                    for u in up[v]:
                        dirty[u] = 1
                    for u in down[v]:
                        dirty[u] = 1
                    if i:
                        dirty[layer[i - 1]] = 1
                    if i < last:
                        dirty[layer[i + 1]] = 1
                x[v] = target
        if not moved:
            break  # every node sits at its target: later passes keep it there
    return x


def _relax_plan(lg: _LayeredGraph, seps=None):
    """Per layer: its nodes, each node's ((neighbour, weight) pulls, 1 / total weight)
    or None, and the separation of each node from the one before it (`seps`: each
    layer's separations, if already known)."""
    weight = (1.0, 2.0, 8.0)
    real, shared, up, down = lg.real, lg.shared, lg.up, lg.down
    rows = []
    if seps is None:
        seps = [_separations(lg, layer) for layer in lg.layers]
    for layer, layer_seps in zip(lg.layers, seps):
        pulls = []
        for v in layer:
            nbs = up[v] + down[v]
            if shared:
                nbs = [] if v in shared else [u for u in nbs if u not in shared]
            if not nbs:
                pulls.append(None)
                continue
            own = v >= real
            pull = [(u, weight[own + (u >= real)]) for u in nbs]
            total = 0.0
            for _, w in pull:
                total += w
            pulls.append((pull, 1.0 / total))
        rows.append((layer, pulls, [0.0, *layer_seps]))
    return rows
