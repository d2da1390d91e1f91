"""cumprod's gradient where the input holds zeros (no division by x): the numpy path, and
the create_graph path (differentiable, second derivatives), against torch. PyTorch builds
that second path with CopySlices nodes, the engine with cat: only values are compared."""

from __future__ import annotations

import numpy as np
import pytest

import engine

torch = pytest.importorskip("torch", reason="PyTorch 2.13 is the parity reference")

ROWS = [
    [[2.0, 0.0, 3.0, -1.5], [0.0, 1.5, 0.0, 2.0], [1.0, -2.0, 0.5, 0.0]],
    [[0.0, 0.0, 2.0], [3.0, 0.0, 0.0]],
]


def _grads(lib, values, dim: int, dtype):
    x = lib.tensor(np.array(values, dtype=dtype), requires_grad=True)
    y = x.cumprod(dim)
    up = np.linspace(-1.0, 2.0, y.numel()).reshape(tuple(y.shape)).astype(dtype)
    (plain,) = lib.autograd.grad(y, x, lib.tensor(up), retain_graph=True)
    g = lib.tensor(up, requires_grad=True)
    (built,) = lib.autograd.grad(y, x, g, create_graph=True)
    w = lib.tensor(np.cos(np.arange(x.numel())).reshape(tuple(x.shape)).astype(dtype))
    second = lib.autograd.grad((built * w).sum(), [x, g])
    return [t.detach().numpy() for t in (y, plain, built, *second)]


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("case", range(len(ROWS)))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cumprod_with_zeros_matches_torch(case: int, dim: int, dtype):
    ours = _grads(engine, ROWS[case], dim, dtype)
    theirs = _grads(torch, ROWS[case], dim, dtype)
    names = ["value", "grad", "create_graph grad", "d/dx", "d/dgrad"]
    for name, a, b in zip(names, ours, theirs):
        assert a.dtype == b.dtype, name
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=name)
