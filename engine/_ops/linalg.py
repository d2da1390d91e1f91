"""Linear algebra: dot, mm, mv, matmul."""

from __future__ import annotations

import numpy as np

from .._registry import Op, apply, register, unbroadcast
from .._rules import rule
from ._util import arr, needs


def _same_dtype(op: str, a, b) -> None:
    if a._dtype is not b._dtype:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {a._dtype.name} != "
            f"{b._dtype.name}"
            if op != "dot"
            else f"dot : expected both vectors to have same dtype, but found "
            f"{a._dtype.legacy.replace('Tensor', '')} and {b._dtype.legacy.replace('Tensor', '')}"
        )


@register
class Dot(Op):
    name, grad_fn, symbol = "dot", "DotBackward0", "·"
    input_names = ("self", "tensor")
    saved_names = ("self", "tensor")
    rules = (
        rule("self", "matmul", "{grad}·{tensor}"),
        rule("tensor", "matmul", "{grad}·{self}"),
    )
    methods = functions = ("dot", "inner")

    @classmethod
    def call(cls, a, b):
        if a._data.ndim != 1 or b._data.ndim != 1:
            raise RuntimeError(
                f"1D tensors expected, but got {a._data.ndim}D and {b._data.ndim}D tensors"
            )
        if a._data.shape != b._data.shape:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{a._data.shape[0]}] and src [{b._data.shape[0]}] to have the same "
                f"number of elements, but got {a._data.shape[0]} and {b._data.shape[0]} elements respectively"
            )
        _same_dtype("dot", a, b)
        return apply(cls, (a, b))

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if needs_any(ctx, 1) else None, b if needs_any(ctx, 0) else None)
        return np.dot(arr(a), arr(b))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return (g * b if needs(ctx, 0) else None, g * a if needs(ctx, 1) else None)


def needs_any(ctx, i: int) -> bool:
    return ctx.needs_input_grad is not None and bool(ctx.needs_input_grad[i])


@register
class Mm(Op):
    name, grad_fn, symbol = "mm", "MmBackward0", "@"
    input_names = ("self", "mat2")
    saved_names = ("self", "mat2")
    rules = (
        rule("self", "matmul", "{grad} · {mat2}ᵀ"),
        rule("mat2", "matmul", "{self}ᵀ · {grad}"),
    )
    methods = functions = ("mm",)

    @classmethod
    def call(cls, a, b):
        if a._data.ndim != 2 or b._data.ndim != 2:
            which = "self" if a._data.ndim != 2 else "mat2"
            raise RuntimeError(f"{which} must be a matrix")
        if a._data.shape[1] != b._data.shape[0]:
            raise RuntimeError(
                "mat1 and mat2 shapes cannot be multiplied ({}x{} and {}x{})".format(
                    *a._data.shape, *b._data.shape
                )
            )
        _same_dtype("mm", a, b)
        return apply(cls, (a, b))

    @staticmethod
    def forward(ctx, a, b):
        if ctx.needs_input_grad is not None:
            ctx.save_for_backward(a if needs(ctx, 1) else None, b if needs(ctx, 0) else None)
            ctx.col_major = (col_major(arr(a)), col_major(arr(b)))
        return np.matmul(arr(a), arr(b))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ca, cb = ctx.col_major
        return (
            mm_mat1_backward(g, b, ca) if needs(ctx, 0) else None,
            mm_mat2_backward(g, a, cb) if needs(ctx, 1) else None,
        )


def col_major(x: np.ndarray) -> bool:
    """PyTorch's test for a column-major matrix (e.g. w.t() of a contiguous w)."""
    return x.ndim == 2 and x.strides[0] == x.itemsize and x.strides[1] == x.itemsize * x.shape[0]


def mm_mat1_backward(g, mat2, mat1_col_major: bool):
    """PyTorch's mm_mat1_backward: G·Bᵀ, or (B·Gᵀ)ᵀ when mat1 was column-major."""
    if mat1_col_major:
        return Mm.call(mat2, g.t()).t()
    return Mm.call(g, mat2.t())


def mm_mat2_backward(g, mat1, mat2_col_major: bool):
    """PyTorch's mm_mat2_backward: Aᵀ·G, or (Gᵀ·A)ᵀ when mat2 was column-major."""
    if mat2_col_major:
        return Mm.call(g.t(), mat1).t()
    return Mm.call(mat1.t(), g)


@register
class Mv(Op):
    name, grad_fn, symbol = "mv", "MvBackward0", "@"
    input_names = ("self", "vec")
    saved_names = ("self", "vec")
    rules = (
        rule("self", "matmul", "{grad} ⊗ {vec} (outer product)"),
        rule("vec", "matmul", "{self}ᵀ · {grad}"),
    )
    methods = functions = ("mv",)

    @classmethod
    def call(cls, a, v):
        if a._data.ndim != 2 or v._data.ndim != 1:
            raise RuntimeError("vector + matrix @ vector expected")
        if a._data.shape[1] != v._data.shape[0]:
            raise RuntimeError(
                "size mismatch, got input ({}), mat ({}x{}), vec ({})".format(
                    a._data.shape[0], *a._data.shape, v._data.shape[0]
                )
            )
        _same_dtype("mv", a, v)
        return apply(cls, (a, v))

    @staticmethod
    def forward(ctx, a, v):
        ctx.save_for_backward(a if needs_any(ctx, 1) else None, v if needs_any(ctx, 0) else None)
        return np.matmul(arr(a), arr(v))

    @staticmethod
    def backward(ctx, g):
        a, v = ctx.saved_tensors
        return (
            # PyTorch's grad.ger(vec): grad as a column times vec.
            g.reshape(g._data.shape[0], 1) * v if needs(ctx, 0) else None,
            Mv.call(a.t(), g) if needs(ctx, 1) else None,
        )


@register
class Bmm(Op):
    """Batched (broadcast) matmul for inputs with more than two dimensions."""

    name, grad_fn, symbol = "matmul_batched", "UnsafeViewBackward0", "@"
    input_names = ("self", "other")
    saved_names = ("self", "other")
    rules = (
        rule("self", "matmul", "{grad} · {other}ᵀ, batch by batch (summed over broadcast batches)"),
        rule("other", "matmul", "{self}ᵀ · {grad}, batch by batch (summed over broadcast batches)"),
    )

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if needs_any(ctx, 1) else None, b if needs_any(ctx, 0) else None)
        try:
            return np.matmul(arr(a), arr(b))
        except ValueError:
            raise RuntimeError(
                f"Expected size for first two dimensions of batch2 tensor to be: "
                f"{list(a._data.shape)} @ {list(b._data.shape)} mismatch"
            ) from None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        s = ctx.input_shapes
        return (
            unbroadcast(Bmm.call(g, b.transpose(-1, -2)), s[0]) if needs(ctx, 0) else None,
            unbroadcast(Bmm.call(a.transpose(-1, -2), g), s[1]) if needs(ctx, 1) else None,
        )


def matmul(a, b):
    """torch.matmul's dispatch: dot, mv, mm, or a batched product."""
    da, db = a._data.ndim, b._data.ndim
    if da == 0 or db == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D"
        )
    if da == 1 and db == 1:
        return Dot.call(a, b)
    if da == 2 and db == 1:
        return Mv.call(a, b)
    if da == 1 and db == 2:
        return Mm.call(a.unsqueeze(0), b).squeeze(0)
    if da == 2 and db == 2:
        return Mm.call(a, b)
    if db == 1:
        return Bmm.call(a, b.unsqueeze(-1)).squeeze(-1)
    if da == 1:
        return Bmm.call(a.unsqueeze(0), b).squeeze(-2)
    return Bmm.call(a, b)


def rmatmul(b, a):
    return matmul(a, b)
