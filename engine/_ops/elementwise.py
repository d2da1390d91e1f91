"""Elementwise functions: exp, log, sqrt, abs, trig, activations, clamp, where."""

from __future__ import annotations

import numpy as np

from .. import _dtype
from .._registry import Op, apply, register, unbroadcast
from ._util import arr, building_graph, needs, plain_grad


def _float_arr(a):
    x = arr(a)
    return x if x.dtype.kind == "f" else x.astype(np.float32)


class _Unary(Op):
    dtype_rule = "float"

    @classmethod
    def call(cls, a):
        return apply(cls, (a,))


@register
class Exp(_Unary):
    name, grad_fn, symbol = "exp", "ExpBackward0", "exp"
    saves_result, saved_names = True, ("result",)
    formulas = ("∂eᵃ/∂a = eᵃ",)
    methods = functions = ("exp",)

    @staticmethod
    def forward(ctx, a):
        return np.exp(_float_arr(a))

    @staticmethod
    def backward(ctx, g):
        (r,) = ctx.saved_tensors
        return (g * r,)


@register
class Log(_Unary):
    name, grad_fn, symbol = "log", "LogBackward0", "ln"
    saved_names = ("self",)
    formulas = ("∂ln a/∂a = 1/a",)
    methods = functions = ("log",)

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(_float_arr(a))

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return (g / a,)


@register
class Sqrt(_Unary):
    name, grad_fn, symbol = "sqrt", "SqrtBackward0", "√"
    saves_result, saved_names = True, ("result",)
    formulas = ("∂√a/∂a = 1/(2√a)",)
    methods = functions = ("sqrt",)

    @staticmethod
    def forward(ctx, a):
        with np.errstate(invalid="ignore"):
            return np.sqrt(_float_arr(a))

    @staticmethod
    def backward(ctx, g):
        (r,) = ctx.saved_tensors
        return (g / (2 * r),)


@register
class Abs(_Unary):
    name, grad_fn, symbol = "abs", "AbsBackward0", "|·|"
    saved_names = ("self",)
    formulas = ("∂|a|/∂a = sign(a)",)
    dtype_rule = "first"
    methods = ("abs", "__abs__", "absolute")
    functions = ("abs", "absolute")

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.abs(arr(a))

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return (g * a.sign(),)


@register
class Sign(_Unary):
    name, grad_fn, symbol = "sign", "SignBackward0", "sign"
    formulas = ("∂sign(a)/∂a = 0",)
    dtype_rule = "first"
    methods = functions = ("sign",)

    @staticmethod
    def forward(ctx, a):
        return np.sign(arr(a))

    @staticmethod
    def backward(ctx, g):
        return (g * 0,)


@register
class Sin(_Unary):
    name, grad_fn, symbol = "sin", "SinBackward0", "sin"
    saved_names = ("self",)
    formulas = ("∂sin a/∂a = cos a",)
    methods = functions = ("sin",)

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.sin(_float_arr(a))

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        if not building_graph():
            return (plain_grad(g, g._data * np.cos(a._data)),)
        return (g * a.cos(),)


@register
class Cos(_Unary):
    name, grad_fn, symbol = "cos", "CosBackward0", "cos"
    saved_names = ("self",)
    formulas = ("∂cos a/∂a = −sin a",)
    methods = functions = ("cos",)

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.cos(_float_arr(a))

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        if not building_graph():
            return (plain_grad(g, -g._data * np.sin(a._data)),)
        return (-g * a.sin(),)


@register
class Tanh(_Unary):
    name, grad_fn, symbol = "tanh", "TanhBackward0", "tanh"
    saves_result, saved_names = True, ("result",)
    formulas = ("∂tanh a/∂a = 1 − tanh²a",)
    methods = functions = ("tanh",)

    @staticmethod
    def forward(ctx, a):
        return np.tanh(_float_arr(a))

    @staticmethod
    def backward(ctx, g):
        (r,) = ctx.saved_tensors
        if not building_graph():
            x = r._data
            return (plain_grad(g, g._data * (1 - x * x)),)
        return (g * (1 - r * r),)


@register
class Sigmoid(_Unary):
    name, grad_fn, symbol = "sigmoid", "SigmoidBackward0", "σ"
    saves_result, saved_names = True, ("result",)
    formulas = ("∂σ(a)/∂a = σ(a)(1 − σ(a))",)
    methods = functions = ("sigmoid",)

    @staticmethod
    def forward(ctx, a):
        x = _float_arr(a)
        with np.errstate(over="ignore"):
            return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))

    @staticmethod
    def backward(ctx, g):
        (r,) = ctx.saved_tensors
        if not building_graph():
            x = r._data
            return (plain_grad(g, g._data * x * (1 - x)),)
        return (g * r * (1 - r),)


@register
class Relu(_Unary):
    name, grad_fn, symbol = "relu", "ReluBackward0", "relu"
    saves_result, saved_names = True, ("result",)
    formulas = ("∂relu(a)/∂a = 1 if a > 0 else 0",)
    dtype_rule = "first"
    methods = functions = ("relu",)

    @staticmethod
    def forward(ctx, a):
        x = arr(a)
        return np.maximum(x, np.zeros((), dtype=x.dtype))

    @staticmethod
    def backward(ctx, g):
        (r,) = ctx.saved_tensors
        return (g * (r > 0),)


@register
class Clamp(Op):
    name, grad_fn, symbol = "clamp", "ClampBackward1", "clamp"
    saved_names = ("self",)
    formulas = ("∂clamp(a)/∂a = 1 inside [min, max], else 0",)
    dtype_rule = "first"
    methods = functions = ("clamp", "clip")

    @classmethod
    def call(cls, a, min=None, max=None):  # noqa: A002
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        unwrap = lambda v: v.item() if v.__class__ is a.__class__ else v  # noqa: E731
        return apply(cls, (a,), {"min": unwrap(min), "max": unwrap(max)})

    @staticmethod
    def forward(ctx, a, min, max):  # noqa: A002
        ctx.save_for_backward(a)
        ctx.min, ctx.max = min, max
        return np.clip(arr(a), min, max)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        x = a._data
        inside = np.ones(x.shape, dtype=bool)
        if ctx.min is not None:
            inside &= x >= ctx.min
        if ctx.max is not None:
            inside &= x <= ctx.max
        return (g * a.__class__._make(inside, _bool(), False, None),)


def _bool():
    return _dtype.bool_


@register
class Where(Op):
    name, grad_fn, symbol = "where", "WhereBackward0", "where"
    # The condition is a parameter, not an input: PyTorch's WhereBackward0 has two edges.
    input_names = ("self", "other")
    saved_names = ("condition",)
    formulas = ("∂where(c, a, b)/∂a = 1 where c", "∂where(c, a, b)/∂b = 1 where not c")
    functions = ("where",)

    @classmethod
    def call(cls, condition, a, b):
        return apply(cls, (a, b), {"condition": condition})

    @staticmethod
    def forward(ctx, a, b, condition):
        ctx.cond = np.asarray(arr(condition)).astype(bool)
        return np.where(ctx.cond, arr(a), arr(b))

    @staticmethod
    def backward(ctx, g):
        T = g.__class__
        c = T._make(ctx.cond, _bool(), False, None)
        s = ctx.input_shapes
        zero = g * 0
        return (
            unbroadcast(Where.call(c, g, zero), s[0]) if needs(ctx, 0) else None,
            unbroadcast(Where.call(c, zero, g), s[1]) if needs(ctx, 1) else None,
        )


@register
class Clone(_Unary):
    name, grad_fn, symbol = "clone", "CloneBackward0", "clone"
    formulas = ("∂a/∂a = 1",)
    dtype_rule = "first"
    methods = functions = ("clone",)

    @staticmethod
    def forward(ctx, a):
        return np.array(arr(a), copy=True)

    @staticmethod
    def backward(ctx, g):
        return (g,)


@register
class ToDtype(Op):
    name, grad_fn, symbol = "to_dtype", "ToCopyBackward0", "to"
    formulas = ("∂a/∂a = 1 (cast back)",)
    dtype_rule = "array"

    @classmethod
    def call(cls, a, dtype):
        return apply(cls, (a,), {"dtype": dtype})

    @staticmethod
    def forward(ctx, a, dtype):
        ctx.src = a._dtype
        return arr(a).astype(dtype.np)

    @staticmethod
    def backward(ctx, g):
        return (g.to(ctx.src),)
