"""Running sums and products along a dim: cumsum and cumprod, with PyTorch's backwards
(cumsum_backward and cumprod_backward in FunctionsManual.cpp)."""

from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from .._registry import Op, apply, register
from .._rules import rule
from ._util import arr, building_graph, plain_grad
from .layout_ops import Flip
from .reductions import _dims
from .shape import Cat

_NO_DIM = object()


def _parse(name: str, a, dim, dtype) -> dict:
    if dim is _NO_DIM:
        raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
    d = _dims(dim, a._data.ndim)
    if dtype is None and not a._dtype.is_floating_point:
        dtype = dt.int64  # integers and bools accumulate in int64, as in PyTorch
    return {"dim": d[0] if d else 0, "dtype": dtype}


def _out_dtype(a, dtype):
    return dtype.np if dtype is not None else arr(a).dtype


def _trivial(ctx) -> bool:
    """One element along the dim (or in all): the gradient passes unchanged."""
    shape = ctx.input_shapes[0]
    return int(np.prod(shape)) <= 1 or shape[ctx.params["dim"]] == 1


def _reversed_cumsum(t, dim: int):
    """Σ over positions ≥ k, as PyTorch writes it: flip, cumsum, flip."""
    return Flip.call(Cumsum.call(Flip.call(t, dim), dim), dim)


@register
class Cumsum(Op):
    name, grad_fn, symbol = "cumsum", "CumsumBackward0", "cumΣ"
    rules = (rule("self", "reduce", "{grad} summed from each position to the end of dim {dim}"),)
    dtype_rule = "array"
    methods = functions = ("cumsum",)

    @classmethod
    def call(cls, a, dim=_NO_DIM, dtype=None):
        return apply(cls, (a,), _parse("cumsum", a, dim, dtype))

    @staticmethod
    def forward(ctx, a, dim, dtype):
        ctx.own = a._dtype  # the gradient goes back in the input's dtype
        x = arr(a).astype(_out_dtype(a, dtype), copy=False)
        return np.cumsum(x, axis=dim) if x.ndim else x.copy()

    @staticmethod
    def backward(ctx, g):
        g = g.to(ctx.own)
        if _trivial(ctx):
            return (g,)
        return (_reversed_cumsum(g, ctx.params["dim"]),)


@register
class Cumprod(Op):
    name, grad_fn, symbol = "cumprod", "CumprodBackward0", "cumΠ"
    rules = (
        rule(
            "self",
            "reduce",
            "Σ over later positions of {grad}·{result}, divided by {self} (zeros handled apart)",
        ),
    )
    dtype_rule = "array"
    saved_names = ("self", "result")
    saves_result = True
    methods = functions = ("cumprod",)

    @classmethod
    def call(cls, a, dim=_NO_DIM, dtype=None):
        return apply(cls, (a,), _parse("cumprod", a, dim, dtype))

    @staticmethod
    def forward(ctx, a, dim, dtype):
        ctx.save_for_backward(a)
        x = arr(a).astype(_out_dtype(a, dtype), copy=False)
        return np.cumprod(x, axis=dim) if x.ndim else x.copy()

    @staticmethod
    def backward(ctx, g):
        x, result = ctx.saved_tensors
        own = x.dtype
        g = g.to(own)
        if _trivial(ctx):
            return (g,)
        dim = ctx.params["dim"]
        if not (x._data == 0).any():  # PyTorch's O(n) formula: Σ_{j≥k} g_j·y_j / x_k
            return (_reversed_cumsum(result * g, dim).div(x).to(own),)
        if not building_graph():
            return (plain_grad(g, _grad_with_zeros(x._data, g._data, dim).astype(g._data.dtype)),)
        return (_grad_with_zeros_composite(x, g, dim).to(own),)


def _grad_with_zeros(x: np.ndarray, g: np.ndarray, dim: int) -> np.ndarray:
    """d/dx_k of Σ_j g_j·Π_{i≤j} x_i without dividing by zero. In each slice with its first
    zero at z: before z the division formula holds (the terms from z on are 0), at z it is
    the product before z times Σ_{j≥z} g_j·Π_{z<i≤j} x_i, and after z everything is 0."""
    xs, gs = np.moveaxis(x, dim, -1), np.moveaxis(g, dim, -1)
    out = np.zeros(xs.shape, dtype=np.result_type(x, g))
    n = xs.shape[-1]
    for idx in np.ndindex(xs.shape[:-1]):
        row, grow, dest = xs[idx], gs[idx], out[idx]
        zeros = np.flatnonzero(row == 0)
        z = int(zeros[0]) if zeros.size else n
        before = np.cumprod(row[:z])
        if z:
            dest[:z] = (before * grow[:z])[::-1].cumsum()[::-1] / row[:z]
        if z < n:
            after = np.cumprod(np.concatenate(([1], row[z + 1 :])))
            dest[z] = (before[-1] if z else 1) * np.sum(grow[z:] * after)
    return np.moveaxis(out, -1, dim)


def _grad_with_zeros_composite(x, g, dim: int):
    """The same gradient from engine ops, so it differentiates again: PyTorch's O(n²) form,
    at k Σ_{j≥k} g_j times the product of x_0..x_j without x_k. PyTorch copies each k into a
    buffer (CopySlices nodes); here the k are joined with cat (CatBackward0)."""
    n = x.shape[dim]
    ones_shape = list(x.shape)
    ones_shape[dim] = 1
    ones = x.new_ones(ones_shape)
    parts = []
    for k in range(n):
        omitted = ones
        if k + 1 < n:
            omitted = Cat.call([ones, x.narrow(dim, k + 1, n - k - 1).cumprod(dim)], dim)
        if k:
            omitted = x.narrow(dim, 0, k).cumprod(dim).narrow(dim, k - 1, 1) * omitted
        parts.append((g.narrow(dim, k, n - k) * omitted).sum(dim, keepdim=True))
    return Cat.call(parts, dim)
