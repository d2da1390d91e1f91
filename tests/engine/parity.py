"""Helpers shared by the engine's parity tests: run the same thing on the engine and on
PyTorch, then compare values, dtypes and graph structure."""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

import engine

# How `Sample.kinds` letters turn into input data (see op_samples.py).
KIND_DTYPES = {"f": "float32", "p": "float32", "a": "float32", "d": "float64", "u": "float32"}


def rng_for(*key: object) -> np.random.Generator:
    """A generator seeded from `key`, the same in every run (hash() is salted per process)."""
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def make_array(rng: np.random.Generator, shape: tuple, kind: str) -> np.ndarray:
    """Input data of one kind: f normal, p positive, a away from zero, u in (-0.9, 0.9),
    d normal float64, i small int64, b bool."""
    if kind == "i":
        return rng.integers(-3, 4, size=shape).astype(np.int64)
    if kind == "b":
        return rng.random(shape) > 0.5
    if kind == "p":
        x = rng.uniform(0.5, 2.0, size=shape)
    elif kind == "a":
        x = rng.uniform(0.3, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    elif kind == "u":
        x = rng.uniform(-0.9, 0.9, size=shape)
    else:
        x = rng.standard_normal(shape)
    return np.asarray(x, dtype=KIND_DTYPES[kind])


def to_numpy(t: Any) -> np.ndarray:
    """The values of an engine or torch tensor as a fresh numpy array."""
    if isinstance(t, engine.Tensor):
        return np.array(t._data)
    return t.detach().cpu().numpy(force=True).copy()  # force: torch may return ZeroTensors


def is_float(arr: np.ndarray) -> bool:
    return arr.dtype.kind == "f"


def leaf_pair(torch: Any, arr: np.ndarray, requires_grad: bool) -> tuple:
    """The same data as an engine leaf and a torch leaf."""
    mine = engine.tensor(arr.copy(), requires_grad=requires_grad)
    theirs = torch.tensor(arr.copy(), requires_grad=requires_grad)
    return mine, theirs


def graph_structure(root: Any) -> tuple:
    """A canonical form of the backward graph below `root` (a grad_fn or None): nodes
    numbered in depth-first order of first visit, each as (name, ((child, input_nr), ...)).
    Two graphs with equal forms have the same names, edges, input_nr and sharing."""
    if root is None:
        return ()
    index: dict[int, int] = {}
    nodes: list = []

    def visit(node: Any) -> int:
        key = id(node)
        if key in index:
            return index[key]
        index[key] = len(nodes)
        nodes.append(None)
        edges = tuple((None if nxt is None else visit(nxt), nr) for nxt, nr in node.next_functions)
        nodes[index[key]] = (node.name(), edges)
        return index[key]

    visit(root)
    return tuple(nodes)


def dtype_name(t: Any) -> str:
    """'torch.float32' for both libraries."""
    return str(t.dtype)


def assert_close(mine: Any, theirs: Any, *, rtol: float = 1e-4, atol: float = 1e-5) -> None:
    a, b = to_numpy(mine), to_numpy(theirs)
    assert a.shape == b.shape, (a.shape, b.shape)
    if a.dtype == bool or b.dtype == bool or a.dtype.kind in "iu":
        np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)


def assert_same_tensor(mine: Any, theirs: Any, *, rtol: float = 1e-4, atol: float = 1e-5):
    """Values, shape, dtype, requires_grad, is_leaf and grad_fn name all agree."""
    assert tuple(mine.shape) == tuple(theirs.shape)
    assert dtype_name(mine) == dtype_name(theirs)
    assert mine.requires_grad == theirs.requires_grad
    assert mine.is_leaf == theirs.is_leaf
    assert grad_fn_name(mine) == grad_fn_name(theirs)
    assert_close(mine, theirs, rtol=rtol, atol=atol)


def grad_fn_name(t: Any) -> str | None:
    return None if t.grad_fn is None else t.grad_fn.name()
