"""Reductions: sum, mean, max/min, norm, softmax, log_softmax."""

from __future__ import annotations

import numpy as np

from .._registry import Op, apply, register
from ._util import arr


def _dims(dim, ndim: int) -> tuple:
    if dim is None:
        return tuple(range(ndim))
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    n = max(ndim, 1)
    out = []
    for d in dims:
        if not -n <= d < n:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})"
            )
        out.append(d % n)
    return tuple(out) if ndim else ()


def _expand_back(g, shape: tuple, dims: tuple, keepdim: bool):
    """Broadcast a reduced gradient back to the input's shape."""
    if not keepdim and dims:
        kept = list(g._data.shape)
        for d in sorted(dims):
            kept.insert(d, 1)
        g = g.reshape(tuple(kept))
    return g.expand(shape)


@register
class Sum(Op):
    name, grad_fn, symbol = "sum", "SumBackward0", "Σ"
    formulas = ("∂(Σa)/∂aᵢ = 1",)
    methods = functions = ("sum",)
    dtype_rule = "array"

    @classmethod
    def call(cls, a, dim=None, keepdim=False, dtype=None):
        if dim is not None:
            return SumDim.call(a, dim, keepdim)
        return apply(cls, (a,))

    @staticmethod
    def forward(ctx, a):
        x = arr(a)
        # ndarray methods skip numpy's Python-level wrappers: this runs in every backward seed.
        return x.sum(dtype=np.int64 if x.dtype.kind in "biu" else None)

    @staticmethod
    def backward(ctx, g):
        return (g.expand(ctx.input_shapes[0]),)


@register
class SumDim(Op):
    name, grad_fn, symbol = "sum_dim", "SumBackward1", "Σ"
    formulas = ("∂(Σₖa)/∂aᵢ = 1",)
    dtype_rule = "array"

    @classmethod
    def call(cls, a, dim, keepdim=False):
        return apply(cls, (a,), {"dim": dim, "keepdim": keepdim})

    @staticmethod
    def forward(ctx, a, dim, keepdim):
        x = arr(a)
        ctx.dims, ctx.keepdim = _dims(dim, x.ndim), keepdim
        return np.sum(
            x, axis=ctx.dims, keepdims=keepdim, dtype=np.int64 if x.dtype.kind in "biu" else None
        )

    @staticmethod
    def backward(ctx, g):
        return (_expand_back(g, ctx.input_shapes[0], ctx.dims, ctx.keepdim),)


def _mean_check(a):
    if not a._dtype.is_floating_point:
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {a._dtype.legacy.replace('Tensor', '')}"
        )


@register
class Mean(Op):
    name, grad_fn, symbol = "mean", "MeanBackward0", "mean"
    formulas = ("∂mean(a)/∂aᵢ = 1/n",)
    methods = functions = ("mean",)
    dtype_rule = "first"

    @classmethod
    def call(cls, a, dim=None, keepdim=False, dtype=None):
        _mean_check(a)
        if dim is not None:
            return MeanDim.call(a, dim, keepdim)
        return apply(cls, (a,))

    @staticmethod
    def forward(ctx, a):
        return arr(a).mean()

    @staticmethod
    def backward(ctx, g):
        shape = ctx.input_shapes[0]
        n = int(np.prod(shape)) if shape else 1
        return (g.expand(shape) / n,)


@register
class MeanDim(Op):
    name, grad_fn, symbol = "mean_dim", "MeanBackward1", "mean"
    formulas = ("∂meanₖ(a)/∂aᵢ = 1/n",)
    dtype_rule = "first"

    @classmethod
    def call(cls, a, dim, keepdim=False):
        _mean_check(a)
        return apply(cls, (a,), {"dim": dim, "keepdim": keepdim})

    @staticmethod
    def forward(ctx, a, dim, keepdim):
        x = arr(a)
        ctx.dims, ctx.keepdim = _dims(dim, x.ndim), keepdim
        ctx.count = int(np.prod([x.shape[d] for d in ctx.dims])) if ctx.dims else 1
        return np.mean(x, axis=ctx.dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        return (_expand_back(g, ctx.input_shapes[0], ctx.dims, ctx.keepdim) / ctx.count,)


def _spread_to_extremes(g, a, value_arr, dims, keepdim):
    """The gradient of max/min over all of `a` goes evenly to every tied extreme."""
    x = a._data
    v = value_arr if keepdim or not dims else np.expand_dims(value_arr, dims)
    mask = x == v
    count = mask.sum(axis=dims, keepdims=True) if dims else mask.astype(np.int64)
    T = g.__class__
    weight = T._make((mask / count).astype(x.dtype), a._dtype, False, None)
    return _expand_back(g, x.shape, dims, keepdim) * weight


class _Extreme(Op):
    saved_names = ("self", "result")
    saves_result = True
    dtype_rule = "first"
    fn = staticmethod(np.max)

    @classmethod
    def call(cls, a, dim=None, keepdim=False):
        if dim is not None:
            from .. import _named

            values, indices = apply(cls.by_dim, (a,), {"dim": dim, "keepdim": keepdim})
            return _named.ValuesIndices(values, indices)
        if a._data.size == 0:
            raise RuntimeError(
                f"{cls.name}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        if not hasattr(a, "_data"):
            raise TypeError("expected a tensor")
        return apply(cls, (a,))

    @classmethod
    def forward(cls, ctx, a):
        ctx.save_for_backward(a)
        return cls.fn(arr(a))

    @staticmethod
    def backward(ctx, g):
        a, r = ctx.saved_tensors
        dims = tuple(range(a._data.ndim))
        return (_spread_to_extremes(g, a, r._data, dims, False),)


class _ExtremeDim(Op):
    saved_names = ("self",)
    dtype_rule = "first"
    n_outputs = 2
    arg = staticmethod(np.argmax)

    @classmethod
    def forward(cls, ctx, a, dim, keepdim):
        x = arr(a)
        d = _dims(dim, x.ndim)[0] if x.ndim else None
        idx = cls.arg(x, axis=d, keepdims=True) if x.ndim else np.zeros((), np.int64)
        values = np.take_along_axis(x, idx, axis=d) if x.ndim else x.copy()
        ctx.dim, ctx.keepdim, ctx.idx = d, keepdim, idx
        if not keepdim and x.ndim:
            values, idx = values.squeeze(d), idx.squeeze(d)
        return values, idx.astype(np.int64)

    @staticmethod
    def backward(ctx, g):
        shape = ctx.input_shapes[0]
        if ctx.dim is None:
            return (g,)
        T = g.__class__
        onehot = np.zeros(shape, dtype=g._data.dtype)
        np.put_along_axis(onehot, ctx.idx, 1, axis=ctx.dim)
        mask = T._make(onehot, g._dtype, False, None)
        return (_expand_back(g, shape, (ctx.dim,), ctx.keepdim) * mask,)


@register
class MaxDim(_ExtremeDim):
    name, grad_fn, symbol = "max_dim", "MaxBackward0", "max"
    formulas = ("∂maxₖ(a)/∂aᵢ = 1 at the argmax, else 0",)
    arg = staticmethod(np.argmax)


@register
class MinDim(_ExtremeDim):
    name, grad_fn, symbol = "min_dim", "MinBackward0", "min"
    formulas = ("∂minₖ(a)/∂aᵢ = 1 at the argmin, else 0",)
    arg = staticmethod(np.argmin)


@register
class Max(_Extreme):
    name, grad_fn, symbol = "max", "MaxBackward1", "max"
    formulas = ("∂max(a)/∂aᵢ = 1/k at the k maxima, else 0",)
    methods = functions = ("max", "amax")
    fn = staticmethod(np.max)
    by_dim = MaxDim


@register
class Min(_Extreme):
    name, grad_fn, symbol = "min", "MinBackward1", "min"
    formulas = ("∂min(a)/∂aᵢ = 1/k at the k minima, else 0",)
    methods = functions = ("min", "amin")
    fn = staticmethod(np.min)
    by_dim = MinDim


@register
class Norm(Op):
    name, grad_fn, symbol = "norm", "LinalgVectorNormBackward0", "‖·‖"
    saved_names = ("self", "result")
    saves_result = True
    formulas = ("∂‖a‖/∂a = a/‖a‖",)
    dtype_rule = "first"
    methods = functions = ("norm",)

    @classmethod
    def call(cls, a, p=2, dim=None, keepdim=False):
        if not a._dtype.is_floating_point:
            raise RuntimeError(
                "linalg.vector_norm: Expected a floating point or complex tensor as input. "
                f"Got {a._dtype.legacy.replace('Tensor', '')}"
            )
        return apply(cls, (a,), {"p": p, "dim": dim, "keepdim": keepdim})

    @staticmethod
    def forward(ctx, a, p, dim, keepdim):
        ctx.save_for_backward(a)
        x = arr(a)
        ctx.dims = _dims(dim, x.ndim)
        ctx.p, ctx.keepdim = p, keepdim
        ax = ctx.dims or None
        if p == 2:
            return np.sqrt(np.sum(x * x, axis=ax, keepdims=keepdim))
        if p == float("inf"):
            return np.max(np.abs(x), axis=ax, keepdims=keepdim)
        if p == 1:
            return np.sum(np.abs(x), axis=ax, keepdims=keepdim)
        return np.sum(np.abs(x) ** p, axis=ax, keepdims=keepdim) ** (1.0 / p)

    @staticmethod
    def backward(ctx, g):
        a, r = ctx.saved_tensors
        shape = a._data.shape
        gr = _expand_back(g, shape, ctx.dims, ctx.keepdim)
        rr = _expand_back(r, shape, ctx.dims, ctx.keepdim)
        p = ctx.p
        if p == 2:
            from .elementwise import Where

            return (Where.call(rr == 0, 0.0, gr * a / rr),)
        if p == 1:
            return (gr * a.sign(),)
        if p == float("inf"):
            mask = a.abs() == rr
            count = mask.sum(dim=ctx.dims or None, keepdim=True) if ctx.dims else mask.sum()
            return (gr * a.sign() * mask / count,)
        return (gr * a.sign() * a.abs() ** (p - 1) / rr ** (p - 1),)


@register
class Softmax(Op):
    name, grad_fn, symbol = "softmax", "SoftmaxBackward0", "softmax"
    saves_result, saved_names = True, ("result",)
    formulas = ("∂softmax(a)ᵢ/∂aⱼ = sᵢ(δᵢⱼ − sⱼ)",)
    dtype_rule = "float"
    methods = functions = ("softmax",)

    @classmethod
    def call(cls, a, dim, dtype=None):
        return apply(cls, (a,), {"dim": dim})

    @staticmethod
    def forward(ctx, a, dim):
        x = arr(a).astype(np.result_type(arr(a), np.float32))
        ctx.dim = _dims(dim, x.ndim)[0] if x.ndim else None
        e = np.exp(x - np.max(x, axis=ctx.dim, keepdims=True))
        return e / np.sum(e, axis=ctx.dim, keepdims=True)

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved_tensors
        gs = g * s
        return (gs - s * gs.sum(dim=ctx.dim, keepdim=True) if ctx.dim is not None else gs - s * gs,)


@register
class LogSoftmax(Op):
    name, grad_fn, symbol = "log_softmax", "LogSoftmaxBackward0", "log softmax"
    saves_result, saved_names = True, ("result",)
    formulas = ("∂log softmax(a)ᵢ/∂aⱼ = δᵢⱼ − softmax(a)ⱼ",)
    dtype_rule = "float"
    methods = functions = ("log_softmax",)

    @classmethod
    def call(cls, a, dim, dtype=None):
        return apply(cls, (a,), {"dim": dim})

    @staticmethod
    def forward(ctx, a, dim):
        x = arr(a).astype(np.result_type(arr(a), np.float32))
        ctx.dim = _dims(dim, x.ndim)[0] if x.ndim else None
        shifted = x - np.max(x, axis=ctx.dim, keepdims=True)
        return shifted - np.log(np.sum(np.exp(shifted), axis=ctx.dim, keepdims=True))

    @staticmethod
    def backward(ctx, g):
        (r,) = ctx.saved_tensors
        if ctx.dim is None:
            return (g - r.exp() * g,)
        return (g - r.exp() * g.sum(dim=ctx.dim, keepdim=True),)
