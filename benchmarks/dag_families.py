"""Deterministic DAG families shaped like autograd graphs, for layout benchmarks and tests.

Every generator takes an approximate node count and returns a ``networkx.DiGraph`` whose
edges follow data flow (inputs -> ops -> outputs). Node names are strings.
"""

from __future__ import annotations

import random

import networkx as nx


def mlp(nodes: int, seed: int = 0) -> nx.DiGraph:
    """Chained dense layers: weight leaf -> AccumulateGrad -> matmul, + bias leaf, relu."""
    del seed  # fully regular
    graph = nx.DiGraph()
    hidden = "x"
    graph.add_node(hidden)
    for i in range(max(1, (nodes - 1) // 6)):
        weight, acc, mm = f"W{i}", f"AccumulateGrad(W{i})", f"mm{i}"
        bias, add, relu = f"b{i}", f"add{i}", f"relu{i}"
        graph.add_edges_from([(weight, acc), (acc, mm), (hidden, mm)])
        graph.add_edges_from([(mm, add), (bias, add), (add, relu)])
        hidden = relu
    return graph


def rnn(nodes: int, seed: int = 0) -> nx.DiGraph:
    """Unrolled RNN: the leaves W_h, W_x and b feed every step.

    Each step: input leaf x_t, mm(x_t, W_x), mm(h, W_h), add, add(b), tanh.
    """
    del seed
    graph = nx.DiGraph()
    hidden = "h0"
    graph.add_nodes_from(["W_h", "W_x", "b", hidden])
    for t in range(max(1, (nodes - 4) // 6)):
        x, mm_x, mm_h = f"x{t}", f"mm_x{t}", f"mm_h{t}"
        add, add_b, tanh = f"add{t}", f"add_b{t}", f"tanh{t}"
        graph.add_edges_from([(x, mm_x), ("W_x", mm_x), (hidden, mm_h), ("W_h", mm_h)])
        graph.add_edges_from([(mm_x, add), (mm_h, add), (add, add_b), ("b", add_b)])
        graph.add_edge(add_b, tanh)
        hidden = tanh
    return graph


def rnn_shared(nodes: int, seed: int = 0) -> nx.DiGraph:
    """An unrolled RNN cell ``h = tanh(W_h @ h + W_x @ xs[t] + b)`` as a story draws it.

    The leaves W_h, W_x and b each feed their AccumulateGrad, which feeds every step;
    the input tensor xs feeds one select per step. Each step: select, mv(W_x, x_t),
    mv(W_h, h), add, add(b), tanh; the last hidden state is summed into the seed.
    """
    del seed
    graph = nx.DiGraph()
    for leaf in ("W_h", "W_x", "b"):
        graph.add_edge(leaf, f"AccumulateGrad({leaf})")
    hidden = "h0"
    graph.add_nodes_from(["xs", hidden])
    for t in range(max(1, (nodes - 11) // 6)):
        sel, mv_x, mv_h = f"select{t}", f"mv_x{t}", f"mv_h{t}"
        add, add_b, tanh = f"add{t}", f"add_b{t}", f"tanh{t}"
        graph.add_edges_from([("xs", sel), (sel, mv_x), ("AccumulateGrad(W_x)", mv_x)])
        graph.add_edges_from([(hidden, mv_h), ("AccumulateGrad(W_h)", mv_h)])
        graph.add_edges_from([(mv_h, add), (mv_x, add), (add, add_b)])
        graph.add_edges_from([("AccumulateGrad(b)", add_b), (add_b, tanh)])
        hidden = tanh
    graph.add_edges_from([(hidden, "sum"), ("sum", "seed")])
    return graph


def residual(nodes: int, seed: int = 0) -> nx.DiGraph:
    """Residual stack: blocks of op(weight) -> op(weight) -> add(skip).

    Every fourth block projects its skip path through an op with its own weight.
    """
    del seed
    graph = nx.DiGraph()
    x = "input"
    graph.add_node(x)
    per_block = 5
    for i in range(max(1, (nodes - 1) // per_block)):
        conv1, conv2, add = f"conv{i}a", f"conv{i}b", f"add{i}"
        graph.add_edges_from([(x, conv1), (f"w{i}a", conv1), (conv1, conv2)])
        graph.add_edges_from([(f"w{i}b", conv2), (conv2, add)])
        if i % 4 == 3:
            proj = f"proj{i}"
            graph.add_edges_from([(x, proj), (f"w{i}p", proj), (proj, add)])
        else:
            graph.add_edge(x, add)
        x = add
    return graph


def random_dag(nodes: int, seed: int = 0) -> nx.DiGraph:
    """Random DAG with mostly local edges, plus a few leaves and long-range edges."""
    rng = random.Random(seed)
    graph = nx.DiGraph()
    names = [f"v{i}" for i in range(max(1, nodes))]
    graph.add_nodes_from(names)
    for i in range(1, len(names)):
        if rng.random() < 0.12:
            continue  # a leaf: no inputs
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            if rng.random() < 0.05:
                j = rng.randrange(i)  # rare long-range edge
            else:
                j = max(0, i - 1 - int(rng.expovariate(0.4)))
            graph.add_edge(names[j], names[i])
    return graph


FAMILIES = {
    "mlp": mlp,
    "residual": residual,
    "random": random_dag,
    "rnn": rnn,
    "rnn_shared": rnn_shared,
}
