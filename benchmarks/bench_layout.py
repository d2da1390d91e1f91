"""Layered layout quality and speed against networkx multipartite_layout and Graphviz dot.

Run: python benchmarks/bench_layout.py [--sizes 50,200,1000,3000] [--families mlp,rnn]
     [--dot-timeout 60]

Crossings are counted the same way for every layout: straight segments between node
centres, proper intersections only (edges sharing an endpoint never count), on what
each one draws. Ours draws a node shared by many steps (an RNN's weights) once per group
of consumers (gradviz.core.shared_refs), so its crossings are counted on that drawn
graph, copies and their edges included ("drawn" column); dot and multipartite draw the
graph as it is. Our time includes finding the shared nodes.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from dag_families import FAMILIES  # noqa: E402

from gradviz.core.layout import DEFAULT_SIZE, layered_layout  # noqa: E402
from gradviz.core.shared_refs import split_shared  # noqa: E402

SIZES = (50, 200, 1000, 3000)
DOT_TIMEOUT = 60.0  # seconds; --dot-timeout changes it
_CHUNK = 2_000_000  # segment pairs per numpy batch


def count_crossings(graph: nx.DiGraph, pos: dict) -> int:
    """Proper crossings between straight edges drawn between node centres."""
    edges = [(u, v) for u, v in graph.edges() if u != v]
    if len(edges) < 2:
        return 0
    ids = {node: i for i, node in enumerate(graph.nodes)}
    xy = np.array([pos[node] for node in graph.nodes], dtype=float)
    src = np.array([ids[u] for u, _ in edges])
    dst = np.array([ids[v] for _, v in edges])
    p, q = xy[src], xy[dst]
    lo, hi = np.minimum(p[:, 0], q[:, 0]), np.maximum(p[:, 0], q[:, 0])
    order = np.argsort(lo, kind="stable")
    total = 0
    rows = max(1, _CHUNK // len(edges))
    for start in range(0, len(order), rows):
        total += _crossings_of_rows(start, start + rows, order, lo, hi, p, q, src, dst)
    return total


def _crossings_of_rows(start, stop, order, lo, hi, p, q, src, dst) -> int:
    """Crossings between edges order[start:stop] and the edges after them in ``order``."""
    i = order[start:stop]
    k = np.arange(start, min(stop, len(order)))
    later = np.arange(len(order))[None, :] > k[:, None]
    overlap = later & (lo[order][None, :] <= hi[i][:, None])
    a, b = np.nonzero(overlap)
    e, f = i[a], order[b]
    shared = (src[e] == src[f]) | (src[e] == dst[f]) | (dst[e] == src[f]) | (dst[e] == dst[f])
    e, f = e[~shared], f[~shared]
    d1 = _orient(p[e], q[e], p[f])
    d2 = _orient(p[e], q[e], q[f])
    d3 = _orient(p[f], q[f], p[e])
    d4 = _orient(p[f], q[f], q[e])
    return int(np.count_nonzero((d1 * d2 < 0) & (d3 * d4 < 0)))


def _orient(a, b, c):
    return np.sign(
        (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    )


def run_ours(graph: nx.DiGraph):
    """Our layout of the graph as drawn: (drawn graph, positions, seconds)."""
    start = time.perf_counter()
    drawn = split_shared(graph).graph
    pos = layered_layout(drawn, "LR")
    return drawn, pos, time.perf_counter() - start


def run_multipartite(graph: nx.DiGraph):
    """networkx multipartite_layout with one column per topological generation."""
    start = time.perf_counter()
    # A dict of lists keeps each column in generation order (the string key form
    # goes through sets, so its order would change with the hash seed).
    columns = dict(enumerate(nx.topological_generations(graph)))
    pos = nx.multipartite_layout(graph, subset_key=columns)
    pos = {node: (float(x), float(y)) for node, (x, y) in pos.items()}
    return pos, time.perf_counter() - start


def run_dot(graph: nx.DiGraph, timeout: float = DOT_TIMEOUT):
    """Graphviz dot positions via -Tplain, or (None, '> timeout') when it runs too long."""
    names = {node: f"n{i}" for i, node in enumerate(graph.nodes)}
    w, h = DEFAULT_SIZE[0] / 72, DEFAULT_SIZE[1] / 72  # dot sizes are inches
    lines = ["digraph G {", "rankdir=LR;", f"node [shape=box,fixedsize=true,width={w},height={h}];"]
    lines += [f"{names[n]};" for n in graph.nodes]
    lines += [f"{names[u]} -> {names[v]};" for u, v in graph.edges()]
    lines.append("}")
    start = time.perf_counter()
    try:
        out = subprocess.run(
            ["dot", "-Tplain"],
            input="\n".join(lines),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        ).stdout
    except subprocess.TimeoutExpired:
        return None, f"> {timeout:g}"
    except subprocess.CalledProcessError as err:
        return None, f"failed ({err.returncode})"
    elapsed = time.perf_counter() - start
    back = {name: node for node, name in names.items()}
    pos = {}
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] == "node":
            pos[back[parts[1]]] = (float(parts[2]), float(parts[3]))
    return pos, elapsed


def _ratio(a, b) -> str:
    if a is None or b is None:
        return "-"
    if b == 0:
        return "=" if a == 0 else "inf"
    return f"{a / b:.2f}"


def _fmt_time(t) -> str:
    return t if isinstance(t, str) else f"{t:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--no-dot", action="store_true", help="skip Graphviz even if installed")
    parser.add_argument("--dot-timeout", type=float, default=DOT_TIMEOUT, help="seconds")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    families = args.families.split(",")
    has_dot = shutil.which("dot") is not None and not args.no_dot

    print(
        "| family | nodes | edges | drawn | ours X | ours s | dot X | dot s | multipartite X | "
        "mp s | X ours/dot | X ours/mp | s ours/dot |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for family in families:
        for size in sizes:
            graph = FAMILIES[family](size, seed=1)
            drawn, pos, ours_t = run_ours(graph)
            ours_x = count_crossings(drawn, pos)
            mp_pos, mp_t = run_multipartite(graph)
            mp_x = count_crossings(graph, mp_pos)
            dot_x, dot_t = None, "n/a"
            if has_dot:
                dot_pos, dot_t = run_dot(graph, args.dot_timeout)
                if dot_pos is not None:
                    dot_x = count_crossings(graph, dot_pos)
            row = [
                family, graph.number_of_nodes(), graph.number_of_edges(),
                drawn.number_of_nodes(), ours_x, f"{ours_t:.3f}",
                "-" if dot_x is None else dot_x, _fmt_time(dot_t),
                mp_x, f"{mp_t:.3f}",
                _ratio(ours_x, dot_x), _ratio(ours_x, mp_x),
                _ratio(ours_t, None if isinstance(dot_t, str) else dot_t),
            ]  # fmt: skip
            print("| " + " | ".join(str(c) for c in row) + " |", flush=True)
    print("\ndrawn: boxes we draw (a shared node's reference boxes included); X: crossings.")
    if not has_dot:
        print("Graphviz `dot` is not on PATH (or --no-dot): the dot columns are skipped.")


if __name__ == "__main__":
    main()
