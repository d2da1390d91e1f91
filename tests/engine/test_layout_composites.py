"""Composites PyTorch builds from other ops, checked against torch: outer/ger (a view times a
vector: ViewBackward0 into MulBackward0) and tile (repeat, RepeatBackward0). Their graphs,
values and first create_graph gradients must match; the registry samples cover the ops."""

from __future__ import annotations

import numpy as np
import pytest
from parity import graph_structure

import engine

torch = pytest.importorskip("torch", reason="PyTorch 2.13 is the parity reference")

CASES = {
    "outer": (((3,), (4,)), lambda T, a, b: T.outer(a, b)),
    "outer_method": (((3,), (2,)), lambda T, a, b: a.outer(b * 2)),
    "ger": (((2,), (3,)), lambda T, a, b: T.ger(a, b)),
    "tile_short": (((2, 3), (1,)), lambda T, a, b: T.tile(a, (2,)) * b),
    "tile_long": (((3,), (1,)), lambda T, a, b: a.tile(2, 1, 2) * b),
}


def _run(lib, shapes, fn):
    rng = np.random.default_rng(len(shapes))
    leaves = [
        lib.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True) for s in shapes
    ]
    out = fn(lib, *leaves)
    up = lib.tensor(np.linspace(-1, 1, out.numel(), dtype=np.float32).reshape(tuple(out.shape)))
    up.requires_grad_()
    grads = lib.autograd.grad(out, leaves, up, create_graph=True)
    return out, grads


@pytest.mark.parametrize("case", sorted(CASES))
def test_composite_matches_torch(case: str):
    shapes, fn = CASES[case]
    mine, my_grads = _run(engine, shapes, fn)
    theirs, their_grads = _run(torch, shapes, fn)
    np.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)
    assert graph_structure(mine.grad_fn) == graph_structure(theirs.grad_fn)
    for m, t in zip(my_grads, their_grads):
        np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)
        assert graph_structure(m.grad_fn) == graph_structure(t.grad_fn)


@pytest.mark.parametrize(
    "expr",
    [
        "T.outer(T.zeros(2, 2), T.zeros(2))",
        "T.outer(T.zeros(2), T.zeros(()))",
        "T.zeros(2, 3).tile(1.5)",
        "T.diag(T.zeros(2, 2, 2))",
        "T.zeros(3).repeat(2, -1)",
    ],
)
def test_composite_errors_match_torch(expr: str):
    errors = []
    for lib in (engine, torch):
        with pytest.raises((RuntimeError, TypeError)) as info:
            eval(expr, {"T": lib})  # noqa: S307 - our own expressions
        errors.append((info.type, str(info.value)))
    if "tile(1.5)" in expr:  # the argument parser's wording is torch's own
        assert errors[0][0] is errors[1][0] is TypeError
    else:
        assert errors[0] == errors[1]
