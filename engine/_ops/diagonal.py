"""Diagonals: diagonal (a view), diag_embed, and torch.diag, which is diag_embed for a vector
and diagonal_copy for a matrix (PyTorch names that node DiagonalBackward0_copy)."""

from __future__ import annotations

import numpy as np

from .._registry import Op, apply, register
from .._rules import rule
from .._tensor import Tensor
from ._util import arr
from .reductions import _dims


def _plane(ndim: int, dim1: int, dim2: int) -> tuple:
    """dim1 and dim2 wrapped into range; PyTorch refuses the same dim twice."""
    d1, d2 = _dims((dim1, dim2), ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def _positions(n: int, offset: int) -> tuple:
    """Row and column indices of the n entries of diagonal `offset`."""
    steps = np.arange(n)
    return steps + max(-offset, 0), steps + max(offset, 0)


def _scatter_diagonal(values: np.ndarray, shape: tuple, offset: int, d1: int, d2: int):
    """zeros of `shape` with `values` (diagonal last, as diagonal returns it) on the diagonal
    `offset` of dims d1, d2."""
    out = np.zeros(shape, dtype=values.dtype)
    rows, cols = _positions(values.shape[-1], offset)
    np.moveaxis(out, (d1, d2), (-2, -1))[..., rows, cols] = values
    return out


class _DiagonalRead(Op):
    """Reading a diagonal; the gradient is placed back on it in zeros (diagonal_backward)."""

    rules = (rule("self", "index", "{grad} placed on diagonal {offset} of {self}, 0 elsewhere"),)
    dtype_rule = "first"

    @classmethod
    def call(cls, a, offset=0, dim1=0, dim2=1):
        d1, d2 = _plane(a._data.ndim, dim1, dim2)
        return apply(cls, (a,), {"offset": int(offset), "dim1": d1, "dim2": d2})

    @staticmethod
    def backward(ctx, g):
        p = ctx.params
        return (DiagonalBackward.call(g, ctx.input_shapes[0], p["offset"], p["dim1"], p["dim2"]),)


@register
class Diagonal(_DiagonalRead):
    name, grad_fn, symbol = "diagonal", "DiagonalBackward0", "diag"
    is_view = True
    methods = functions = ("diagonal",)

    @staticmethod
    def forward(ctx, a, offset, dim1, dim2):
        return np.diagonal(arr(a), offset, dim1, dim2)


@register
class DiagonalCopy(_DiagonalRead):
    name, grad_fn, symbol = "diagonal_copy", "DiagonalBackward0_copy", "diag"

    @staticmethod
    def forward(ctx, a, offset, dim1, dim2):
        return np.diagonal(arr(a), offset, dim1, dim2).copy()


@register
class DiagonalBackward(Op):
    """diagonal's backward as an op (create_graph records DiagonalBackwardBackward0)."""

    name, grad_fn, symbol = "diagonal_backward", "DiagonalBackwardBackward0", "diag′"
    input_names = ("grad_output",)
    rules = (rule("grad_output", "index", "{grad} read on diagonal {offset}"),)
    dtype_rule = "first"

    @classmethod
    def call(cls, g, input_sizes, offset, dim1, dim2):
        params = {"input_sizes": tuple(input_sizes), "offset": offset, "dim1": dim1, "dim2": dim2}
        return apply(cls, (g,), params)

    @staticmethod
    def forward(ctx, g, input_sizes, offset, dim1, dim2):
        return _scatter_diagonal(arr(g), input_sizes, offset, dim1, dim2)

    @staticmethod
    def backward(ctx, g):
        p = ctx.params
        return (Diagonal.call(g, p["offset"], p["dim1"], p["dim2"]),)


@register
class DiagEmbed(Op):
    name, grad_fn, symbol = "diag_embed", "DiagEmbedBackward0", "diag"
    rules = (rule("self", "index", "{grad} read on diagonal {offset}"),)
    dtype_rule = "first"
    functions = ("diag_embed",)

    @classmethod
    def call(cls, a, offset=0, dim1=-2, dim2=-1):
        d1, d2 = _plane(a._data.ndim + 1, dim1, dim2)
        return apply(cls, (a,), {"offset": int(offset), "dim1": d1, "dim2": d2})

    @staticmethod
    def forward(ctx, a, offset, dim1, dim2):
        x = arr(a)
        n = (x.shape[-1] if x.ndim else 1) + abs(offset)
        shape = list(x.shape[:-1])
        for d in sorted((dim1, dim2)):
            shape.insert(d, n)
        return _scatter_diagonal(x.reshape(x.shape or (1,)), tuple(shape), offset, dim1, dim2)

    @staticmethod
    def backward(ctx, g):
        p = ctx.params
        return (Diagonal.call(g, p["offset"], p["dim1"], p["dim2"]),)


def diag(a, diagonal: int = 0):
    """torch.diag: a vector onto the diagonal of a matrix, or a matrix's diagonal (a copy)."""
    nd = a._data.ndim
    if nd == 1:
        return DiagEmbed.call(a, diagonal, 0, 1)
    if nd == 2:
        return DiagonalCopy.call(a, diagonal, 0, 1)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {nd}D")


Tensor.diag = diag  # a composite over two registered ops, so bound here
