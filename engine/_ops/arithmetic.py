"""Arithmetic: add, sub, mul, div, neg, pow."""

from __future__ import annotations

import numpy as np

from .._registry import Op, apply, register, unbroadcast
from .._registry import _Tensor as _T
from ._util import arr, building_graph, needs, plain_grad


def _shape_error(a, b):
    sa, sb = np.shape(arr(a)), np.shape(arr(b))
    n = max(len(sa), len(sb))
    pa, pb = (1,) * (n - len(sa)) + sa, (1,) * (n - len(sb)) + sb
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            return RuntimeError(
                f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) "
                f"at non-singleton dimension {i}"
            )
    return None


def _binary(fn, a, b):
    try:
        return fn(a._data if a.__class__ is _T[0] else a, b._data if b.__class__ is _T[0] else b)
    except ValueError:
        err = _shape_error(a, b)
        if err is not None:
            raise err from None
        raise


def _scaled(x, alpha):
    """x * alpha, skipping the multiply (and its node) in the common alpha == 1 case."""
    return x if alpha == 1 else x * alpha


@register
class Add(Op):
    name, grad_fn, symbol = "add", "AddBackward0", "+"
    input_names = ("self", "other")
    formulas = ("∂(a+b)/∂a = 1", "∂(a+b)/∂b = 1")
    methods = ("add", "__add__", "__radd__")
    functions = ("add",)

    @classmethod
    def call(cls, a, b, *, alpha=1):
        return apply(cls, (a, b), {"alpha": alpha} if alpha != 1 else None)

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        # alpha scales `other` inside the one node, as PyTorch's AddBackward0 does.
        return _binary(np.add, a, b if alpha == 1 else arr(b) * alpha)

    @staticmethod
    def backward(ctx, g):
        s, flags = ctx.input_shapes, ctx.needs_input_grad
        return (
            unbroadcast(g, s[0]) if flags[0] else None,
            unbroadcast(_scaled(g, ctx.params.get("alpha", 1)), s[1]) if flags[1] else None,
        )


@register
class Sub(Op):
    name, grad_fn, symbol = "sub", "SubBackward0", "−"
    input_names = ("self", "other")
    formulas = ("∂(a−b)/∂a = 1", "∂(a−b)/∂b = −1")
    methods = ("sub", "__sub__", "subtract")
    functions = ("sub", "subtract")

    @classmethod
    def call(cls, a, b, *, alpha=1):
        return apply(cls, (a, b), {"alpha": alpha} if alpha != 1 else None)

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        return _binary(np.subtract, a, b if alpha == 1 else arr(b) * alpha)

    @staticmethod
    def backward(ctx, g):
        s, flags = ctx.input_shapes, ctx.needs_input_grad
        alpha = ctx.params.get("alpha", 1)
        if flags[1]:
            if building_graph():
                minus = _scaled(-g, alpha)
            else:
                minus = plain_grad(
                    g, np.negative(g._data) * alpha if alpha != 1 else np.negative(g._data)
                )
        return (
            unbroadcast(g, s[0]) if flags[0] else None,
            unbroadcast(minus, s[1]) if flags[1] else None,
        )


@register
class Rsub(Op):
    """number - tensor: PyTorch records it as RsubBackward1 with one input."""

    name, grad_fn, symbol = "rsub", "RsubBackward1", "−"
    formulas = ("∂(c−a)/∂a = −1",)
    methods = ("__rsub__",)

    @classmethod
    def call(cls, a, other):
        if other.__class__ is a.__class__:
            return Sub.call(other, a)
        return apply(cls, (a,), {"other": other})

    @staticmethod
    def forward(ctx, a, other):
        return _binary(np.subtract, other, a)

    @staticmethod
    def backward(ctx, g):
        return (-g,)


@register
class Mul(Op):
    name, grad_fn, symbol = "mul", "MulBackward0", "×"
    input_names = ("self", "other")
    saved_names = ("self", "other")
    formulas = ("∂(a·b)/∂a = b", "∂(a·b)/∂b = a")
    methods = ("mul", "__mul__", "__rmul__", "multiply")
    functions = ("mul", "multiply")

    @staticmethod
    def forward(ctx, a, b):
        if ctx.needs_input_grad is not None:
            # Save only what the backward needs, as PyTorch does.
            ctx.save_for_backward(
                a if needs(ctx, 1) and a.__class__ is b.__class__ else None,
                b if needs(ctx, 0) and a.__class__ is b.__class__ else None,
            )
            if a.__class__ is not b.__class__:
                ctx.scalar = b if needs(ctx, 0) else a
        return _binary(np.multiply, a, b)

    @staticmethod
    def backward(ctx, g):
        s = ctx.input_shapes
        a, b = ctx.saved_tensors
        if a is None and b is None:  # one side was a Python number
            if building_graph():
                ga = g * ctx.scalar
            else:
                ga = plain_grad(g, (g._data * ctx.scalar).astype(g._data.dtype, copy=False))
            return (ga, None) if needs(ctx, 0) else (None, ga)
        return (
            unbroadcast(g * b, s[0]) if needs(ctx, 0) else None,
            unbroadcast(g * a, s[1]) if needs(ctx, 1) else None,
        )


@register
class Div(Op):
    name, grad_fn, symbol = "div", "DivBackward0", "÷"
    input_names = ("self", "other")
    saved_names = ("self", "other")
    formulas = ("∂(a/b)/∂a = 1/b", "∂(a/b)/∂b = −a/b²")
    dtype_rule = "float"
    methods = ("div", "__truediv__", "divide", "true_divide")
    functions = ("div", "divide", "true_divide")

    @staticmethod
    def forward(ctx, a, b):
        if ctx.needs_input_grad is not None:
            ctx.save_for_backward(
                a if needs(ctx, 1) else None, b if b.__class__ is a.__class__ else None
            )
            ctx.scalar = b
        with np.errstate(divide="ignore", invalid="ignore"):  # x/0 is inf or nan, silently
            return _binary(np.true_divide, a, b)

    @staticmethod
    def backward(ctx, g):
        s = ctx.input_shapes
        a, b = ctx.saved_tensors
        if b is None:
            return (g / ctx.scalar, None)
        return (
            unbroadcast(g / b, s[0]) if needs(ctx, 0) else None,
            unbroadcast(-g * a / (b * b), s[1]) if needs(ctx, 1) else None,
        )


@register
class Reciprocal(Op):
    name, grad_fn, symbol = "reciprocal", "ReciprocalBackward0", "1/"
    saves_result = True
    saved_names = ("result",)
    formulas = ("∂(1/a)/∂a = −1/a²",)
    dtype_rule = "float"
    methods = ("reciprocal",)
    functions = ("reciprocal",)

    @staticmethod
    def forward(ctx, a):
        with np.errstate(divide="ignore"):
            return np.reciprocal(np.asarray(arr(a), dtype=np.result_type(arr(a), np.float32)))

    @staticmethod
    def backward(ctx, g):
        (r,) = ctx.saved_tensors
        return (-g * r * r,)


def rtruediv(a, number):
    """number / tensor: PyTorch computes reciprocal(a) * number."""
    return Reciprocal.call(a) * number


@register
class Neg(Op):
    name, grad_fn, symbol = "neg", "NegBackward0", "−"
    formulas = ("∂(−a)/∂a = −1",)
    dtype_rule = "first"
    methods = ("neg", "__neg__", "negative")
    functions = ("neg", "negative")

    @staticmethod
    def forward(ctx, a):
        return np.negative(arr(a))

    @staticmethod
    def backward(ctx, g):
        return (-g,)


@register
class Pow(Op):
    """tensor ** number."""

    name, grad_fn, symbol = "pow", "PowBackward0", "^"
    saved_names = ("self",)
    formulas = ("∂(aⁿ)/∂a = n·aⁿ⁻¹",)

    @classmethod
    def call(cls, a, exponent):
        if exponent.__class__ is a.__class__:
            return PowTensor.call(a, exponent)
        return apply(cls, (a,), {"exponent": exponent})

    @staticmethod
    def forward(ctx, a, exponent):
        ctx.save_for_backward(a)
        ctx.exponent = exponent
        base = arr(a)
        if isinstance(exponent, float) and base.dtype.kind in "iub":
            base = base.astype(np.float32)
        elif isinstance(exponent, int) and exponent < 0 and base.dtype.kind in "iu":
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return np.power(base, exponent)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        n = ctx.exponent
        if n == 0:
            return (g * 0,)
        if not building_graph():
            dtype = np.result_type(g._data, a._data)
            values = g._data * (n * np.power(a._data, n - 1)).astype(dtype, copy=False)
            return (plain_grad(g, values),)
        if n == 2:  # the common square: two ops instead of three
            return (g * (a * 2),)
        return (g * n * a ** (n - 1),)


@register
class PowTensor(Op):
    """tensor ** tensor."""

    name, grad_fn, symbol = "pow_tensor", "PowBackward1", "^"
    input_names = ("self", "exponent")
    saved_names = ("self", "exponent", "result")
    saves_result = True
    formulas = ("∂(aᵇ)/∂a = b·aᵇ⁻¹", "∂(aᵇ)/∂b = aᵇ·ln a")

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _binary(np.power, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b, r = ctx.saved_tensors
        s = ctx.input_shapes
        ga = unbroadcast(g * b * a ** (b - 1), s[0]) if needs(ctx, 0) else None
        gb = None
        if needs(ctx, 1):
            from .elementwise import Where

            safe_log = Where.call(a == 0, 0.0, a.log())  # 0^b contributes nothing
            gb = unbroadcast(g * r * safe_log, s[1])
        return ga, gb


@register
class Rpow(Op):
    """number ** tensor."""

    name, grad_fn, symbol = "rpow", "PowBackward2", "^"
    saved_names = ("result",)
    saves_result = True
    formulas = ("∂(cᵃ)/∂a = cᵃ·ln c",)
    dtype_rule = "float"

    @classmethod
    def call(cls, a, base):
        return apply(cls, (a,), {"base": base})

    @staticmethod
    def forward(ctx, a, base):
        ctx.base = base
        return np.power(float(base), arr(a))

    @staticmethod
    def backward(ctx, g):
        (r,) = ctx.saved_tensors
        return (g * r * float(np.log(ctx.base)),)
