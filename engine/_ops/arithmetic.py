"""Arithmetic: add, sub, mul, div, neg, pow."""

from __future__ import annotations

import numpy as np

from .._registry import apply, register
from .._rules import Elementwise, elementwise, pow_scalar
from .._tensor import Tensor
from ._util import arr


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
        return fn(a._data if a.__class__ is Tensor else a, b._data if b.__class__ is Tensor else b)
    except ValueError:
        err = _shape_error(a, b)
        if err is not None:
            raise err from None
        raise


@register
class Add(Elementwise):
    name, grad_fn, symbol = "add", "AddBackward0", "+"
    input_names = ("self", "other")
    methods = ("add", "__add__", "__radd__")
    functions = ("add",)
    defaults = {"alpha": 1}
    # alpha scales `other` inside the one node, as PyTorch's AddBackward0 does.
    rules = (
        elementwise("self", "1", lambda m, g, x, r, p: g),
        elementwise("other", "{alpha}", lambda m, g, x, r, p: m.scale(g, p.get("alpha", 1))),
    )

    @classmethod
    def call(cls, a, b, *, alpha=1):
        return apply(cls, (a, b), {"alpha": alpha} if alpha != 1 else None)

    @staticmethod
    def compute(a, b, alpha=1):
        return _binary(np.add, a, b if alpha == 1 else arr(b) * alpha)


@register
class Sub(Elementwise):
    name, grad_fn, symbol = "sub", "SubBackward0", "−"
    input_names = ("self", "other")
    methods = ("sub", "__sub__", "subtract")
    functions = ("sub", "subtract")
    defaults = {"alpha": 1}
    rules = (
        elementwise("self", "1", lambda m, g, x, r, p: g),
        elementwise("other", "−{alpha}", lambda m, g, x, r, p: m.scale(-g, p.get("alpha", 1))),
    )

    @classmethod
    def call(cls, a, b, *, alpha=1):
        return apply(cls, (a, b), {"alpha": alpha} if alpha != 1 else None)

    @staticmethod
    def compute(a, b, alpha=1):
        return _binary(np.subtract, a, b if alpha == 1 else arr(b) * alpha)


@register
class Rsub(Elementwise):
    """number - tensor: PyTorch records it as RsubBackward1 with one input."""

    name, grad_fn, symbol = "rsub", "RsubBackward1", "−"
    methods = ("__rsub__",)
    rules = (elementwise("self", "−1", lambda m, g, x, r, p: -g),)

    @classmethod
    def call(cls, a, other):
        if other.__class__ is a.__class__:
            return Sub.call(other, a)
        return apply(cls, (a,), {"other": other})

    @staticmethod
    def compute(a, other):
        return _binary(np.subtract, other, a)


@register
class Mul(Elementwise):
    name, grad_fn, symbol = "mul", "MulBackward0", "×"
    input_names = ("self", "other")
    methods = ("mul", "__mul__", "__rmul__", "multiply")
    functions = ("mul", "multiply")
    rules = (
        elementwise("self", "{other}", lambda m, g, x, r, p: g * x["other"]),
        elementwise("other", "{self}", lambda m, g, x, r, p: g * x["self"]),
    )

    @staticmethod
    def compute(a, b):
        return _binary(np.multiply, a, b)


@register
class Div(Elementwise):
    name, grad_fn, symbol = "div", "DivBackward0", "÷"
    input_names = ("self", "other")
    dtype_rule = "float"
    methods = ("div", "__truediv__", "divide", "true_divide")
    functions = ("div", "divide", "true_divide")
    rules = (
        elementwise("self", "1/{other}", lambda m, g, x, r, p: g / x["other"]),
        elementwise(
            "other",
            "−{self}/{other}²",
            lambda m, g, x, r, p: -g * ((x["self"] / x["other"]) / x["other"]),
        ),
    )

    @staticmethod
    def compute(a, b):
        with np.errstate(divide="ignore", invalid="ignore"):  # x/0 is inf or nan, silently
            return _binary(np.true_divide, a, b)


@register
class Reciprocal(Elementwise):
    name, grad_fn, symbol = "reciprocal", "ReciprocalBackward0", "1/"
    dtype_rule = "float"
    methods = ("reciprocal",)
    functions = ("reciprocal",)
    rules = (elementwise("self", "−{result}²", lambda m, g, x, r, p: -g * (r * r)),)

    @staticmethod
    def compute(a):
        with np.errstate(divide="ignore"):
            return np.reciprocal(np.asarray(arr(a), dtype=np.result_type(arr(a), np.float32)))


def rtruediv(a, number):
    """number / tensor: PyTorch computes reciprocal(a) * number."""
    return Reciprocal.call(a) * number


@register
class Neg(Elementwise):
    name, grad_fn, symbol = "neg", "NegBackward0", "−"
    dtype_rule = "first"
    methods = ("neg", "__neg__", "negative")
    functions = ("neg", "negative")
    rules = (elementwise("self", "−1", lambda m, g, x, r, p: -g),)

    @staticmethod
    def compute(a):
        return np.negative(arr(a))


def _pow_grad(m, g, x, r, p):
    n = p["exponent"]
    if n == 0:
        return m.zeros_like(g)
    return g * m.mul_scalar(m.pow(x["self"], n - 1), n)


@register
class Pow(Elementwise):
    """tensor ** number."""

    name, grad_fn, symbol = "pow", "PowBackward0", "^"
    rules = (elementwise("self", "{exponent}·{self}^({exponent} − 1)", _pow_grad),)

    @classmethod
    def call(cls, a, exponent):
        if exponent.__class__ is a.__class__:
            return PowTensor.call(a, exponent)
        return apply(cls, (a,), {"exponent": exponent})

    @staticmethod
    def compute(a, exponent):
        base = arr(a)
        if isinstance(exponent, float) and base.dtype.kind in "iub":
            base = base.astype(np.float32)
        elif isinstance(exponent, int) and exponent < 0 and base.dtype.kind in "iu":
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return pow_scalar(base, exponent)


def _pow_self_grad(m, g, x, r, p):
    a, b = x["self"], x["exponent"]
    return m.where(b == 0, 0.0, g * (b * m.pow(a, m.sub_scalar(b, 1))))


def _pow_exponent_grad(m, g, x, r, p):
    a, b = x["self"], x["exponent"]
    return g * m.where((a == 0) & (b >= 0), 0.0, r * m.log(a))  # 0^b contributes nothing


@register
class PowTensor(Elementwise):
    """tensor ** tensor."""

    name, grad_fn, symbol = "pow_tensor", "PowBackward1", "^"
    input_names = ("self", "exponent")
    rules = (
        elementwise("self", "{exponent}·{self}^({exponent} − 1)", _pow_self_grad),
        elementwise(
            "exponent",
            "{result}·ln({self}), or 0 where {self} = 0 ≤ {exponent}",
            _pow_exponent_grad,
        ),
    )

    @staticmethod
    def compute(a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            return _binary(np.power, a, b)


def _rpow_grad(m, g, x, r, p):
    base = p["base"]
    with np.errstate(divide="ignore"):
        log_base = float(np.log(float(base)))
    if base == 0:
        return g * m.where(x["self"] >= 0, 0.0, m.mul_scalar(r, log_base))
    return g * m.mul_scalar(r, log_base)


@register
class Rpow(Elementwise):
    """number ** tensor."""

    name, grad_fn, symbol = "rpow", "PowBackward2", "^"
    dtype_rule = "float"
    rules = (elementwise("self", "{result}·ln({base})", _rpow_grad),)

    @classmethod
    def call(cls, a, base):
        return apply(cls, (a,), {"base": base})

    @staticmethod
    def compute(a, base):
        return np.power(float(base), arr(a))


# ----- tensor-and-number overloads --------------------------------------------------------
# PyTorch's derivative formulas multiply by plain numbers with these (mul.Scalar and friends),
# so a create_graph gradient shows MulBackward1, DivBackward1, AddBackward1, SubBackward1.
class _ScalarOp(Elementwise):
    dtype_rule = "promote"

    @classmethod
    def call(cls, a, other):
        return apply(cls, (a,), {"other": other})


@register
class MulScalar(_ScalarOp):
    name, grad_fn, symbol = "mul_scalar", "MulBackward1", "×"
    rules = (elementwise("self", "{other}", lambda m, g, x, r, p: m.mul_scalar(g, p["other"])),)

    @staticmethod
    def compute(a, other):
        return _binary(np.multiply, a, other)


@register
class DivScalar(_ScalarOp):
    name, grad_fn, symbol = "div_scalar", "DivBackward1", "÷"
    dtype_rule = "float"
    rules = (elementwise("self", "1/{other}", lambda m, g, x, r, p: m.div_scalar(g, p["other"])),)

    @staticmethod
    def compute(a, other):
        with np.errstate(divide="ignore", invalid="ignore"):
            return _binary(np.true_divide, a, other)


@register
class AddScalar(_ScalarOp):
    name, grad_fn, symbol = "add_scalar", "AddBackward1", "+"
    rules = (elementwise("self", "1", lambda m, g, x, r, p: g),)

    @staticmethod
    def compute(a, other):
        return _binary(np.add, a, other)


@register
class SubScalar(_ScalarOp):
    name, grad_fn, symbol = "sub_scalar", "SubBackward1", "−"
    rules = (elementwise("self", "1", lambda m, g, x, r, p: g),)

    @staticmethod
    def compute(a, other):
        return _binary(np.subtract, a, other)
