"""Indexing ops the older tutorials use: index_select, masked_fill, masked_select, gather,
scatter and scatter_add. Their gradients put values back at (or read them from) the same
positions, with the indexing ops of shape.py, so they differentiate again. (masked_fill with
a tensor value is masked.py's MaskedFillBackward1.)"""

from __future__ import annotations

import numpy as np

from .._registry import REGISTRY, Op, apply, register, unbroadcast
from .._rules import rule
from .._tensor import Tensor
from ._util import arr, needs
from .reductions import _dims
from .shape import Index, _scatter


def _index_array(index, what: str) -> np.ndarray:
    if not isinstance(index, Tensor) or index._data.dtype.kind not in "iu":
        raise RuntimeError(f"{what}(): Expected dtype int64 for index")
    return index._data


def _gather_key(idx: np.ndarray, dim: int) -> tuple:
    """numpy's fancy-index key that reads out[i][j][k] = a[i][idx[i][j][k]][k] (dim=1)."""
    key = []
    for d in range(idx.ndim):
        if d == dim:
            key.append(idx)
        else:
            shape = [1] * idx.ndim
            shape[d] = idx.shape[d]
            key.append(np.arange(idx.shape[d]).reshape(shape))
    return tuple(np.broadcast_arrays(*key))


def _check_gather(a, dim: int, idx: np.ndarray, what: str) -> None:
    x = a._data
    if idx.ndim != max(x.ndim, 1) and not (idx.ndim <= 1 and x.ndim <= 1):
        raise RuntimeError(f"Index tensor must have the same number of dimensions as {what}")
    for d in range(idx.ndim):
        if d != dim and idx.shape[d] > x.shape[d]:
            raise RuntimeError(
                f"Size does not match at dimension {d} expected index {list(idx.shape)} to be "
                f"no larger than self {list(x.shape)} apart from dimension {dim}"
            )
    n = x.shape[dim] if x.ndim else 1
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise RuntimeError(
            f"index {int(idx.max())} is out of bounds for dimension {dim} with size {n}"
        )


@register
class IndexSelect(Op):
    name, grad_fn, symbol = "index_select", "IndexSelectBackward0", "select[idx]"
    rules = (rule("self", "index", "1 at each selected row of {self}, summed when repeated"),)
    dtype_rule = "first"
    methods = functions = ("index_select",)

    @classmethod
    def call(cls, a, dim, index):
        idx = _index_array(index, "index_select")
        if idx.ndim > 1:
            raise IndexError("index_select(): Index is supposed to be a vector")
        d = _dims(dim, a._data.ndim)[0] if a._data.ndim else 0
        return apply(cls, (a,), {"dim": d, "index": idx.reshape(-1)})

    @staticmethod
    def forward(ctx, a, dim, index):
        x = arr(a)
        if x.ndim == 0:
            return np.take(x.reshape(1), index).reshape(())
        try:
            return np.take(x, index, axis=dim)
        except IndexError:
            raise IndexError(
                f"index out of range in self (dimension {dim} has size {x.shape[dim]})"
            ) from None

    @staticmethod
    def backward(ctx, g):
        shape = ctx.input_shapes[0]
        if not shape:
            return (g.reshape(()),)
        # torch's index_select_backward: zeros(sizes).index_add_(dim, index, grad)
        zeros = g.__class__._make(np.zeros(shape, dtype=g._data.dtype), g._dtype, False, None)
        params = {"dim": ctx.params["dim"], "index": ctx.params["index"], "alpha": 1}
        return (apply(IndexAdd, (zeros, g), params),)


@register
class IndexAdd(Op):
    """index_add(self, dim, index, source, alpha): source's rows added at index, along dim."""

    name, grad_fn, symbol = "index_add", "IndexAddBackward0", "add[idx]"
    input_names = ("self", "source")
    rules = (
        rule("self", "index", "1"),
        rule("source", "index", "{alpha} at each row of {self} it is added to"),
    )
    dtype_rule = "first"
    methods = functions = ("index_add",)

    @classmethod
    def call(cls, a, dim, index, source, *, alpha=1):
        idx = _index_array(index, "index_add")
        if idx.ndim > 1:
            raise IndexError("index_add_(): Index is supposed to be a vector")
        d = _dims(dim, a._data.ndim)[0] if a._data.ndim else 0
        return apply(cls, (a, source), {"dim": d, "index": idx.reshape(-1), "alpha": alpha})

    @staticmethod
    def forward(ctx, a, source, dim, index, alpha):
        out = np.array(arr(a))
        src = arr(source)
        np.add.at(out, (slice(None),) * dim + (index,), src if alpha == 1 else src * alpha)
        return out

    @staticmethod
    def backward(ctx, g):
        p = ctx.params
        grad_source = None
        if needs(ctx, 1):  # torch: grad.index_select(dim, index).expand_as(source) * alpha
            picked = apply(IndexSelect, (g,), {"dim": p["dim"], "index": p["index"]})
            grad_source = picked.expand(ctx.input_shapes[1])
            if p["alpha"] != 1:
                grad_source = REGISTRY["mul_scalar"].call(grad_source, p["alpha"])
        return (g if needs(ctx, 0) else None, grad_source)


@register
class MaskedFill(Op):
    name, grad_fn, symbol = "masked_fill", "MaskedFillBackward0", "fill[mask]"
    rules = (rule("self", "index", "1 where {mask} is False, 0 where it is True"),)
    dtype_rule = "first"
    methods = functions = ("masked_fill",)

    @classmethod
    def call(cls, a, mask, value):
        m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
        if m.dtype != np.bool_:
            raise RuntimeError(
                "masked_fill_ only supports boolean masks, but got mask with dtype "
                f"{mask.dtype if isinstance(mask, Tensor) else m.dtype}"
            )
        np.broadcast_shapes(m.shape, a._data.shape)
        if isinstance(value, Tensor):
            if value._data.ndim:
                raise RuntimeError(
                    "masked_fill_ only supports a 0-dimensional value tensor, but got tensor "
                    f"with {value._data.ndim} dimension(s)."
                )
            # MaskedFillBackward1, defined in masked.py
            return apply(REGISTRY["masked_fill_tensor"], (a, value), {"mask": m})
        return apply(cls, (a,), {"mask": m, "value": value})

    @staticmethod
    def forward(ctx, a, mask, value):
        x = arr(a)
        out = np.where(mask, np.asarray(value).astype(x.dtype), x)
        return np.broadcast_to(out, x.shape).copy() if out.shape != x.shape else out

    @staticmethod
    def backward(ctx, g):
        return (apply(MaskedFill, (g,), {"mask": ctx.params["mask"], "value": 0}),)


@register
class MaskedSelect(Op):
    name, grad_fn, symbol = "masked_select", "MaskedSelectBackward0", "[mask]"
    rules = (rule("self", "index", "1 at each position where {mask} is True"),)
    dtype_rule = "first"
    methods = functions = ("masked_select",)

    @classmethod
    def call(cls, a, mask):
        m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
        if m.dtype != np.bool_:
            raise RuntimeError("masked_select: expected BoolTensor for mask")
        return apply(cls, (a,), {"mask": m})

    @staticmethod
    def forward(ctx, a, mask):
        x = arr(a)
        shape = np.broadcast_shapes(x.shape, mask.shape)
        return np.broadcast_to(x, shape)[np.broadcast_to(mask, shape)]

    @staticmethod
    def backward(ctx, g):
        a_shape = ctx.input_shapes[0]
        mask = ctx.params["mask"]
        shape = np.broadcast_shapes(a_shape, mask.shape)
        # torch's masked_select_backward: zeros.masked_scatter_(mask, grad), summed to self
        zeros = g.__class__._make(np.zeros(shape, dtype=g._data.dtype), g._dtype, False, None)
        full = apply(MaskedScatter, (zeros, g), {"mask": np.broadcast_to(mask, shape)})
        return (unbroadcast(full, a_shape),)


@register
class MaskedScatter(Op):
    """masked_scatter(self, mask, source): source's first values, in order, where mask is True."""

    name, grad_fn, symbol = "masked_scatter", "MaskedScatterBackward0", "[mask]="
    input_names = ("self", "source")
    rules = (
        rule("self", "index", "1 where {mask} is False, 0 where it is True"),
        rule("source", "index", "1 for each value written, in order"),
    )
    dtype_rule = "first"
    methods = ("masked_scatter",)

    @classmethod
    def call(cls, a, mask, source):
        m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
        if m.dtype != np.bool_:
            raise RuntimeError("masked_scatter_ only supports boolean masks")
        m = np.broadcast_to(m, a._data.shape)
        if int(m.sum()) > source._data.size:
            raise RuntimeError("masked_scatter: expected source to have at least as many elements")
        return apply(cls, (a, source), {"mask": m})

    @staticmethod
    def forward(ctx, a, source, mask):
        out = np.array(arr(a))
        out[mask] = arr(source).reshape(-1)[: int(mask.sum())]
        return out

    @staticmethod
    def backward(ctx, g):
        mask = ctx.params["mask"]
        grad_self = apply(MaskedFill, (g,), {"mask": mask, "value": 0}) if needs(ctx, 0) else None
        grad_source = None
        if needs(ctx, 1):
            grad_source = apply(
                MaskedScatterBackward, (g,), {"mask": mask, "sizes": ctx.input_shapes[1]}
            )
        return grad_self, grad_source


@register
class MaskedScatterBackward(Op):
    """torch's fused masked_scatter_backward: the gradient picked where mask is True, zero-padded
    to source's size, in source's shape."""

    name, grad_fn, symbol = "masked_scatter_backward", "MaskedScatterBackwardBackward0", "[mask]"
    input_names = ("grad_output",)
    rules = (rule("grad_output", "index", "1 at each position where {mask} is True"),)
    dtype_rule = "first"

    @staticmethod
    def forward(ctx, g, mask, sizes):
        picked = arr(g)[mask]
        out = np.zeros(int(np.prod(sizes)), dtype=picked.dtype)
        out[: picked.size] = picked
        return out.reshape(sizes)

    @staticmethod
    def backward(ctx, gg):  # derivatives.yaml: zeros_like(grad_output).masked_scatter(mask, grad)
        mask = ctx.params["mask"]
        zeros = gg.__class__._make(np.zeros(mask.shape, gg._data.dtype), gg._dtype, False, None)
        return (apply(MaskedScatter, (zeros, gg), {"mask": mask}),)


@register
class Gather(Op):
    name, grad_fn, symbol = "gather", "GatherBackward0", "gather"
    rules = (rule("self", "index", "1 at each gathered position of {self}, summed when repeated"),)
    dtype_rule = "first"
    methods = functions = ("gather",)

    @classmethod
    def call(cls, a, dim, index, *, sparse_grad: bool = False):
        idx = _index_array(index, "gather")
        d = _dims(dim, a._data.ndim)[0] if a._data.ndim else 0
        _check_gather(a, d, idx, "input tensor")
        return apply(cls, (a,), {"dim": d, "index": idx})

    @staticmethod
    def forward(ctx, a, dim, index):
        x = arr(a)
        if x.ndim == 0:
            return x.reshape(1)[index.reshape(-1)].reshape(index.shape)
        return x[_gather_key(index, dim)]

    @staticmethod
    def backward(ctx, g):
        # torch's gather_backward: zeros.scatter_add(dim, index, grad)
        shape = ctx.input_shapes[0]
        index, dim = ctx.params["index"], ctx.params["dim"]
        if not shape:
            return (g.sum(),)
        zeros = g.__class__._make(np.zeros(shape, dtype=g._data.dtype), g._dtype, False, None)
        return (apply(ScatterAdd, (zeros, g), {"dim": dim, "index": index}),)


def _scatter_positions(shape: tuple, key: tuple) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    mask[key] = True
    return mask


def _src_part(src: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """The leading block of `src` that lines up with `index` (torch reads only that)."""
    return src[tuple(slice(0, n) for n in idx.shape)]


def _grad_of_src(g, dim: int, idx: np.ndarray, src_shape: tuple):
    """torch's grad.gather(dim, index), padded with zeros when src is larger than index."""
    part = apply(Gather, (g,), {"dim": dim, "index": idx})
    if tuple(idx.shape) == tuple(src_shape):
        return part
    return _scatter(part, src_shape, tuple(slice(0, n) for n in idx.shape))


def _indexed_args(a, dim, index, what: str) -> tuple:
    idx = index if isinstance(index, np.ndarray) else _index_array(index, what)
    d = _dims(dim, a._data.ndim)[0] if a._data.ndim else 0
    _check_gather(a, d, idx, "self")
    return d, idx


@register
class Scatter(Op):
    """scatter(self, dim, index, src): src's values written at index, along dim."""

    name, grad_fn, symbol = "scatter", "ScatterBackward0", "scatter"
    input_names = ("self", "src")
    rules = (
        rule("self", "index", "1 except where {src} overwrites it (0 there)"),
        rule("src", "index", "1 at each position it is written to"),
    )
    dtype_rule = "first"
    methods = functions = ("scatter",)

    @classmethod
    def call(cls, a, dim, index, src=None, *, value=None, reduce=None):
        if reduce is not None:
            raise NotImplementedError("scatter with reduce= is not supported by this engine")
        d, idx = _indexed_args(a, dim, index, "scatter")
        if src is None or not isinstance(src, Tensor):
            return apply(
                ScatterValue, (a,), {"dim": d, "index": idx, "value": value if src is None else src}
            )
        return apply(cls, (a, src), {"dim": d, "index": idx})

    @staticmethod
    def forward(ctx, a, src, dim, index):
        out = np.array(arr(a))
        out[_gather_key(index, dim)] = _src_part(arr(src), index)
        return out

    @staticmethod
    def backward(ctx, g):
        dim, idx = ctx.params["dim"], ctx.params["index"]
        shape, src_shape = ctx.input_shapes
        return (  # torch's grad.scatter(dim, index, 0)
            apply(ScatterValue, (g,), {"dim": dim, "index": idx, "value": 0})
            if needs(ctx, 0)
            else None,
            _grad_of_src(g, dim, idx, src_shape) if needs(ctx, 1) else None,
        )


@register
class ScatterValue(Op):
    """scatter(self, dim, index, value): one number written at index, along dim."""

    name, grad_fn, symbol = "scatter_value", "ScatterBackward1", "scatter"
    rules = (rule("self", "index", "1 except where {value} overwrites it (0 there)"),)
    dtype_rule = "first"

    @staticmethod
    def forward(ctx, a, dim, index, value):
        out = np.array(arr(a))
        out[_gather_key(index, dim)] = value
        return out

    @staticmethod
    def backward(ctx, g):  # torch's grad.scatter(dim, index, 0)
        p = ctx.params
        return (apply(ScatterValue, (g,), {"dim": p["dim"], "index": p["index"], "value": 0}),)


@register
class ScatterAdd(Op):
    """scatter_add(self, dim, index, src): src's values added at index, along dim."""

    name, grad_fn, symbol = "scatter_add", "ScatterAddBackward0", "scatter+"
    input_names = ("self", "src")
    rules = (
        rule("self", "index", "1"),
        rule("src", "index", "1 at each position it is added to"),
    )
    dtype_rule = "first"
    methods = functions = ("scatter_add",)

    @classmethod
    def call(cls, a, dim, index, src):
        d, idx = _indexed_args(a, dim, index, "scatter_add")
        return apply(cls, (a, src), {"dim": d, "index": idx})

    @staticmethod
    def forward(ctx, a, src, dim, index):
        out = np.array(arr(a))
        np.add.at(out, _gather_key(index, dim), _src_part(arr(src), index))
        return out

    @staticmethod
    def backward(ctx, g):
        dim, idx = ctx.params["dim"], ctx.params["index"]
        return (
            g if needs(ctx, 0) else None,
            _grad_of_src(g, dim, idx, ctx.input_shapes[1]) if needs(ctx, 1) else None,
        )


def _key_array(k):
    return k._data if isinstance(k, Tensor) else k


@register
class IndexPut(Op):
    """a[key] = values, out of place: what `t[mask] = v` builds when a gradient flows."""

    name, grad_fn, symbol = "index_put", "IndexPutBackward0", "[idx]="
    input_names = ("self", "values")
    rules = (
        rule("self", "index", "1 except at the written positions (0 there)"),
        rule("values", "index", "1 at each position it is written to"),
    )
    dtype_rule = "first"
    methods = ("index_put",)

    @classmethod
    def call(cls, a, indices, values, accumulate: bool = False):
        key = tuple(_key_array(k) for k in indices)
        return cls.with_key(a, key if len(key) != 1 else key[0], values, accumulate)

    @classmethod
    def with_key(cls, a, key, values, accumulate: bool = False):
        return apply(cls, (a, values), {"key": key, "accumulate": accumulate})

    @staticmethod
    def forward(ctx, a, values, key, accumulate):
        out = np.array(arr(a))
        if accumulate:
            np.add.at(out, key, arr(values))
        else:
            out[key] = arr(values)
        return out

    @staticmethod
    def backward(ctx, g):
        key = ctx.params["key"]
        shape, v_shape = ctx.input_shapes
        grad_self = None
        if needs(ctx, 0):
            if ctx.params["accumulate"]:
                grad_self = g
            else:  # torch's grad.index_put(indices, zeros_like(values))
                zeros = g.__class__._make(np.zeros(v_shape, g._data.dtype), g._dtype, False, None)
                grad_self = apply(IndexPut, (g, zeros), {"key": key, "accumulate": False})
        grad_values = None
        if needs(ctx, 1):
            grad_values = unbroadcast(apply(Index, (g,), {"key": key}), v_shape)
        return grad_self, grad_values
