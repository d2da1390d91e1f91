"""Layout ops that copy (none is a view): repeat (and tile, which calls it), tril/triu, flip
and roll; and outer, a composite of view and mul as in PyTorch. Their backwards follow PyTorch's derivatives.yaml: repeat_backward sums the copies,
the others apply the same op (or its inverse) to the gradient."""

from __future__ import annotations

import numpy as np

from .._registry import Op, apply, register
from .._rules import rule
from .._tensor import Tensor
from ._util import arr, zeros_of
from .reductions import _dims


def _int_list(values, what: str) -> tuple:
    """varargs or one sequence (list, tuple, torch.Size) of ints, as PyTorch's IntArrayRef."""
    if len(values) == 1 and isinstance(values[0], (tuple, list)):
        values = values[0]
    out = []
    for v in values:
        if isinstance(v, Tensor):
            v = v.item()
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{what}(): argument must be a tuple of ints, not {type(v).__name__}")
        out.append(int(v))
    return tuple(out)


@register
class Repeat(Op):
    name, grad_fn, symbol = "repeat", "RepeatBackward0", "repeat"
    rules = (rule("self", "reduce", "{grad} summed over the {repeats} copies of {self}"),)
    dtype_rule = "first"
    methods = ("repeat",)

    @classmethod
    def call(cls, a, *repeats):
        repeats = _int_list(repeats, "repeat")
        if len(repeats) < a._data.ndim:
            raise RuntimeError(
                "Number of dimensions of repeat dims can not be smaller than number of "
                "dimensions of tensor"
            )
        if any(r < 0 for r in repeats):
            lead = len(repeats) - a._data.ndim
            padded = (1,) * lead + a._data.shape
            shape = [p * r for p, r in zip(padded, repeats)]
            bad = next(s for s in shape if s < 0)
            raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: {shape}")
        return apply(cls, (a,), {"repeats": repeats})

    @staticmethod
    def forward(ctx, a, repeats):
        x = arr(a)
        # np.tile copies and matches repeat once there are at least as many repeats as dims.
        return np.tile(x, repeats) if repeats else x.copy()

    @staticmethod
    def backward(ctx, g):
        # PyTorch's repeat_backward: sum away the new leading dims, then split each repeated
        # dim into (repeat, size) with one view and sum the repeat dims at once.
        repeats, shape = ctx.params["repeats"], ctx.input_shapes[0]
        if 0 in repeats:
            return (zeros_of(shape, g),)
        for _ in range(len(repeats) - len(shape)):
            g = g.sum(0)
        split, sum_dims = [], []
        for r, n in zip(repeats[len(repeats) - len(shape) :], shape):
            if r != 1:
                split.append(r)
                sum_dims.append(len(split) - 1)
            split.append(n)
        if sum_dims:
            g = g.reshape(split).sum(tuple(sum_dims))
        return (g,)


def tile(a, *dims):
    """PyTorch's composite tile: pad the reps with leading ones, then repeat."""
    dims = _int_list(dims, "tile")
    dims = (1,) * (a._data.ndim - len(dims)) + dims
    return Repeat.call(a, dims)


def _matrix_check(a, name: str) -> None:
    if a._data.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")


@register
class Tril(Op):
    name, grad_fn, symbol = "tril", "TrilBackward0", "tril"
    rules = (rule("self", "index", "{grad} kept on and below diagonal {diagonal}, 0 above"),)
    defaults = {"diagonal": 0}
    dtype_rule = "first"
    methods = functions = ("tril",)

    @classmethod
    def call(cls, a, diagonal=0):
        _matrix_check(a, "tril")
        return apply(cls, (a,), {"diagonal": int(diagonal)})

    @staticmethod
    def forward(ctx, a, diagonal):
        return np.tril(arr(a), diagonal)

    @staticmethod
    def backward(ctx, g):
        return (Tril.call(g, ctx.params["diagonal"]),)


@register
class Triu(Op):
    name, grad_fn, symbol = "triu", "TriuBackward0", "triu"
    rules = (rule("self", "index", "{grad} kept on and above diagonal {diagonal}, 0 below"),)
    defaults = {"diagonal": 0}
    dtype_rule = "first"
    methods = functions = ("triu",)

    @classmethod
    def call(cls, a, diagonal=0):
        _matrix_check(a, "triu")
        return apply(cls, (a,), {"diagonal": int(diagonal)})

    @staticmethod
    def forward(ctx, a, diagonal):
        return np.triu(arr(a), diagonal)

    @staticmethod
    def backward(ctx, g):
        return (Triu.call(g, ctx.params["diagonal"]),)


def _unique_dims(dims: tuple, ndim: int) -> tuple:
    dims = _dims(dims, max(ndim, 1)) if dims else ()
    seen = set()
    for d in dims:
        if d in seen:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        seen.add(d)
    return dims


@register
class Flip(Op):
    name, grad_fn, symbol = "flip", "FlipBackward0", "flip"
    rules = (rule("self", "shape", "{grad} flipped back along dims {dims}"),)
    dtype_rule = "first"
    methods = functions = ("flip",)

    @classmethod
    def call(cls, a, *dims):
        return apply(cls, (a,), {"dims": _unique_dims(_int_list(dims, "flip"), a._data.ndim)})

    @staticmethod
    def forward(ctx, a, dims):
        x = arr(a)
        return np.flip(x, dims).copy() if x.ndim else x.copy()  # a copy, as PyTorch's flip

    @staticmethod
    def backward(ctx, g):
        return (Flip.call(g, ctx.params["dims"]),)


def _as_ints(v, what: str) -> tuple:
    return _int_list((v,), what) if isinstance(v, (int, np.integer, Tensor)) else _int_list(v, what)


@register
class Roll(Op):
    name, grad_fn, symbol = "roll", "RollBackward0", "roll"
    rules = (rule("self", "shape", "{grad} rolled back: shifts {shifts} undone, dims {dims}"),)
    dtype_rule = "first"
    methods = functions = ("roll",)

    @classmethod
    def call(cls, a, shifts, dims=None):
        shifts = _as_ints(shifts, "roll")
        dims = () if dims is None else _as_ints(dims, "roll")
        if not shifts:
            raise RuntimeError("`shifts` required")
        if not dims and len(shifts) != 1:
            raise RuntimeError(
                f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}"
            )
        if dims and len(shifts) != len(dims):
            raise RuntimeError(
                f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}"
            )
        dims = _dims(dims, max(a._data.ndim, 1)) if dims else ()
        return apply(cls, (a,), {"shifts": shifts, "dims": dims})

    @staticmethod
    def forward(ctx, a, shifts, dims):
        x = arr(a)
        if not dims:  # roll the flattened tensor, then restore the shape
            return np.roll(x, shifts[0])
        return np.roll(x, shifts, dims)

    @staticmethod
    def backward(ctx, g):
        # derivatives.yaml: roll by the negated shifts, both lists reversed.
        p = ctx.params
        back = tuple(-s for s in reversed(p["shifts"]))
        return (Roll.call(g, back, tuple(reversed(p["dims"])) or None),)


def outer(a, vec2):
    """PyTorch's composite outer (and ger): a viewed as a column times vec2 (MulBackward0)."""
    for what, t in (("self", a), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {what}, but got {t._data.ndim}-D")
    return a.reshape(-1, 1) * vec2


# Methods PyTorch has beyond the registry's binding: tile (a composite) and the in-place
# tril_/triu_ (the engine's in-place path: the op, then its values written into self).
Tensor.tile = tile
Tensor.outer = Tensor.ger = outer
Tensor.tril_ = lambda self, diagonal=0: self._inplace_op("tril_", "tril", diagonal=diagonal)
Tensor.triu_ = lambda self, diagonal=0: self._inplace_op("triu_", "triu", diagonal=diagonal)
