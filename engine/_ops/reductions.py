"""Reductions: sum, mean, max/min, norm, softmax, log_softmax."""

from __future__ import annotations

import numpy as np

from .._registry import REGISTRY, Op, apply, register
from .._rules import rule
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


def _unsqueeze_dims(g, dims: tuple, keepdim: bool):
    """PyTorch's unsqueeze_multiple: put reduced dims back, one unsqueeze each, lowest first."""
    if not keepdim and dims:
        for d in sorted(dims):
            g = g.unsqueeze(d)
    return g


def _expand_back(g, shape: tuple, dims: tuple, keepdim: bool):
    """Broadcast a reduced gradient back to the input's shape (PyTorch's sum_backward)."""
    return _unsqueeze_dims(g, dims, keepdim).expand(shape)


def _div(g, n):
    """Division by a count as PyTorch's formulas do it: div.Scalar (DivBackward1)."""
    return REGISTRY["div_scalar"].call(g, n)


@register
class Sum(Op):
    name, grad_fn, symbol = "sum", "SumBackward0", "Σ"
    rules = (rule("self", "reduce", "{grad} spread over every element of {self}"),)
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
    rules = (rule("self", "reduce", "{grad} spread over the summed dims {dim}"),)
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
    rules = (rule("self", "reduce", "{grad}/n spread over every element of {self} (n elements)"),)
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
        return (_div(g.expand(shape), n),)


@register
class MeanDim(Op):
    name, grad_fn, symbol = "mean_dim", "MeanBackward1", "mean"
    rules = (rule("self", "reduce", "{grad}/n spread over the averaged dims {dim} (n per mean)"),)
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
        return (_div(_expand_back(g, ctx.input_shapes[0], ctx.dims, ctx.keepdim), ctx.count),)


def _spread_to_extremes(g, a, value_arr):
    """PyTorch's evenly_distribute_backward: the gradient of max/min over all of `a` is
    shared evenly by every tied extreme, masked_fill_(zeros, mask, grad / count)."""
    from .. import _dtype
    from .masked import masked_fill_tensor

    T = g.__class__
    x = a._data
    mask = x == value_arr
    count = T._make(np.asarray(mask.sum(), dtype=np.int64), _dtype.int64, False, None)
    zeros = T._make(np.zeros(x.shape, dtype=g._data.dtype), g._dtype, False, None)
    return masked_fill_tensor(zeros, mask, g / count)


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
        return (_spread_to_extremes(g, a, r._data),)


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
        # PyTorch's value_selecting_reduction_backward: zeros.scatter(dim, indices, grad).
        shape = ctx.input_shapes[0]
        if ctx.dim is None:
            return (g,)
        T = g.__class__
        zeros = T._make(np.zeros(shape, dtype=g._data.dtype), g._dtype, False, None)
        src = _unsqueeze_dims(g, (ctx.dim,), ctx.keepdim)
        return (apply(REGISTRY["scatter"], (zeros, src), {"dim": ctx.dim, "index": ctx.idx}),)


@register
class MaxDim(_ExtremeDim):
    name, grad_fn, symbol = "max_dim", "MaxBackward0", "max"
    rules = (rule("self", "reduce", "{grad} sent to the argmax along dim {dim}, 0 elsewhere"),)
    arg = staticmethod(np.argmax)


@register
class MinDim(_ExtremeDim):
    name, grad_fn, symbol = "min_dim", "MinBackward0", "min"
    rules = (rule("self", "reduce", "{grad} sent to the argmin along dim {dim}, 0 elsewhere"),)
    arg = staticmethod(np.argmin)


@register
class Max(_Extreme):
    name, grad_fn, symbol = "max", "MaxBackward1", "max"
    rules = (rule("self", "reduce", "{grad}/k to each of the k maxima of {self}, 0 elsewhere"),)
    methods = functions = ("max", "amax")
    fn = staticmethod(np.max)
    by_dim = MaxDim


@register
class Min(_Extreme):
    name, grad_fn, symbol = "min", "MinBackward1", "min"
    rules = (rule("self", "reduce", "{grad}/k to each of the k minima of {self}, 0 elsewhere"),)
    methods = functions = ("min", "amin")
    fn = staticmethod(np.min)
    by_dim = MinDim


@register
class Norm(Op):
    name, grad_fn, symbol = "norm", "LinalgVectorNormBackward0", "‖·‖"
    saved_names = ("self", "result")
    saves_result = True
    rules = (
        rule(
            "self",
            "reduce",
            "{grad}·sign({self})·|{self}|^({p}−1) / {result}^({p}−1) (p = 2: {grad}·{self}/{result})",
        ),
    )
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
        # PyTorch's linalg_vector_norm_backward, step for step (so create_graph matches).
        masked_fill = REGISTRY["masked_fill"].call
        a, r = ctx.saved_tensors
        p = ctx.p
        full = len(ctx.dims) == a._data.ndim and ctx.params["dim"] is None
        if not full:
            g = _unsqueeze_dims(g, ctx.dims, ctx.keepdim)
            r = _unsqueeze_dims(r, ctx.dims, ctx.keepdim)
        if p == 2:
            return (g * masked_fill(a / r, r._data == 0, 0),)
        if p == 1:
            return (a.sgn() * g,)
        if p == float("inf"):
            mask = a.abs() == r
            count = mask.sum(dim=ctx.dims, keepdim=True) if not full else mask.sum()
            return (a.sgn() * ((g / count) * mask),)
        scale = masked_fill(g / r.pow(p - 1), r._data == 0, 0)
        return (a * a.abs().pow(p - 2) * scale,)


@register
class Softmax(Op):
    name, grad_fn, symbol = "softmax", "SoftmaxBackward0", "softmax"
    saves_result, saved_names = True, ("result",)
    rules = (rule("self", "other", "{result}·({grad} − Σ {grad}·{result} over dim {dim})"),)
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
        return (SoftmaxBackwardData.call(g, s, ctx.dim),)


@register
class LogSoftmax(Op):
    name, grad_fn, symbol = "log_softmax", "LogSoftmaxBackward0", "log softmax"
    saves_result, saved_names = True, ("result",)
    rules = (rule("self", "other", "{grad} − exp({result})·Σ {grad} over dim {dim}"),)
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
        return (LogSoftmaxBackwardData.call(g, r, ctx.dim),)


def _sum_keep(t, dim):
    """t summed over `dim`, kept as a size-1 dim (over everything for 0-d, dim None)."""
    return t.sum(dim=dim, keepdim=True) if dim is not None else t.sum()


@register
class SoftmaxBackwardData(Op):
    """softmax's backward as an op: create_graph records SoftmaxBackwardDataBackward0."""

    name, grad_fn, symbol = "softmax_backward_data", "SoftmaxBackwardDataBackward0", "softmax′"
    input_names = ("grad_output", "output")
    saved_names = ("grad_output", "output")
    rules = (
        rule("grad_output", "other", "{output}·({grad} − Σ {grad}·{output} over dim {dim})"),
        rule(
            "output",
            "other",
            "{grad_output}·{grad} − Σ({output}·{grad_output})·{grad} − {grad_output}·Σ({output}·{grad})",
        ),
    )

    @classmethod
    def call(cls, g, output, dim):
        return apply(cls, (g, output), {"dim": dim})

    @staticmethod
    def forward(ctx, g, output, dim):
        ctx.save_for_backward(g, output)
        go, y = arr(g), arr(output)
        gy = go * y
        return gy - y * (gy.sum(axis=dim, keepdims=True) if dim is not None else gy)

    @staticmethod
    def backward(ctx, gg):
        go, y = ctx.saved_tensors
        dim = ctx.params["dim"]
        needs = ctx.needs_input_grad
        d_go = SoftmaxBackwardData.call(gg, y, dim) if needs[0] else None
        d_y = None
        if needs[1]:  # PyTorch's softmax_double_backward
            d_y = go * gg - _sum_keep(y * go, dim) * gg - go * _sum_keep(y * gg, dim)
        return d_go, d_y


@register
class LogSoftmaxBackwardData(Op):
    """log_softmax's backward as an op: LogSoftmaxBackwardDataBackward0 under create_graph."""

    name, grad_fn, symbol = (
        "log_softmax_backward_data",
        "LogSoftmaxBackwardDataBackward0",
        "log softmax′",
    )
    input_names = ("grad_output", "output")
    saved_names = ("grad_output", "output")
    rules = (
        rule("grad_output", "other", "{grad} − Σ({grad}·exp({output})) over dim {dim}"),
        rule("output", "other", "−Σ {grad_output} over dim {dim} · exp({output})·{grad}"),
    )

    @classmethod
    def call(cls, g, output, dim):
        return apply(cls, (g, output), {"dim": dim})

    @staticmethod
    def forward(ctx, g, output, dim):
        ctx.save_for_backward(g, output)
        go, y = arr(g), arr(output)
        total = go.sum(axis=dim, keepdims=True) if dim is not None else go
        return go - np.exp(y) * total

    @staticmethod
    def backward(ctx, gg):
        go, y = ctx.saved_tensors
        dim = ctx.params["dim"]
        needs = ctx.needs_input_grad
        d_go = gg - _sum_keep(gg * y.exp(), dim) if needs[0] else None
        d_y = -_sum_keep(go, dim) * y.exp() * gg if needs[1] else None
        return d_go, d_y
