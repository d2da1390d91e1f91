"""Elementwise functions: exp, log, sqrt, abs, trig, activations, clamp, where."""

from __future__ import annotations

import numpy as np

from .._registry import apply, register
from .._rules import NUMPY, Elementwise, elementwise
from ._util import arr


def _float_arr(a):
    x = arr(a)
    return x if x.dtype.kind == "f" else x.astype(np.float32)


class _Unary(Elementwise):
    dtype_rule = "float"

    @classmethod
    def call(cls, a):
        return apply(cls, (a,))


@register
class Exp(_Unary):
    name, grad_fn, symbol = "exp", "ExpBackward0", "exp"
    methods = functions = ("exp",)
    rules = (elementwise("self", "{result}", lambda m, g, x, r, p: g * r),)

    @staticmethod
    def compute(a):
        return np.exp(_float_arr(a))


@register
class Log(_Unary):
    name, grad_fn, symbol = "log", "LogBackward0", "ln"
    methods = functions = ("log",)
    rules = (elementwise("self", "1/{self}", lambda m, g, x, r, p: g / x["self"]),)

    @staticmethod
    def compute(a):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(_float_arr(a))


@register
class Sqrt(_Unary):
    name, grad_fn, symbol = "sqrt", "SqrtBackward0", "√"
    methods = functions = ("sqrt",)
    rules = (elementwise("self", "1/(2·{result})", lambda m, g, x, r, p: g / m.scale(r, 2)),)

    @staticmethod
    def compute(a):
        with np.errstate(invalid="ignore"):
            return np.sqrt(_float_arr(a))


@register
class Abs(_Unary):
    name, grad_fn, symbol = "abs", "AbsBackward0", "|·|"
    dtype_rule = "first"
    methods = ("abs", "__abs__", "absolute")
    functions = ("abs", "absolute")
    rules = (elementwise("self", "sign({self})", lambda m, g, x, r, p: g * m.sgn(x["self"])),)

    @staticmethod
    def compute(a):
        return np.abs(arr(a))


@register
class Sign(_Unary):
    name, grad_fn, symbol = "sign", "SignBackward0", "sign"
    dtype_rule = "first"
    methods = functions = ("sign",)
    rules = (elementwise("self", "0", lambda m, g, x, r, p: m.zeros_like(g)),)

    @staticmethod
    def compute(a):
        return np.sign(arr(a))


@register
class Sgn(_Unary):
    """sign as PyTorch's derivative formulas call it (abs backward): SgnBackward0."""

    name, grad_fn, symbol = "sgn", "SgnBackward0", "sgn"
    dtype_rule = "first"
    methods = functions = ("sgn",)
    rules = (elementwise("self", "0", lambda m, g, x, r, p: m.zeros_like(g)),)

    @staticmethod
    def compute(a):
        return np.sign(arr(a))


@register
class Sin(_Unary):
    name, grad_fn, symbol = "sin", "SinBackward0", "sin"
    methods = functions = ("sin",)
    rules = (elementwise("self", "cos({self})", lambda m, g, x, r, p: g * m.cos(x["self"])),)

    @staticmethod
    def compute(a):
        return np.sin(_float_arr(a))


@register
class Cos(_Unary):
    name, grad_fn, symbol = "cos", "CosBackward0", "cos"
    methods = functions = ("cos",)
    rules = (elementwise("self", "−sin({self})", lambda m, g, x, r, p: g * -m.sin(x["self"])),)

    @staticmethod
    def compute(a):
        return np.cos(_float_arr(a))


@register
class Tanh(_Unary):
    name, grad_fn, symbol = "tanh", "TanhBackward0", "tanh"
    methods = functions = ("tanh",)
    rules = (elementwise("self", "1 − {result}²", lambda m, g, x, r, p: m.tanh_backward(g, r)),)

    @staticmethod
    def compute(a):
        return np.tanh(_float_arr(a))


@register
class Sigmoid(_Unary):
    name, grad_fn, symbol = "sigmoid", "SigmoidBackward0", "σ"
    methods = functions = ("sigmoid",)
    rules = (
        elementwise(
            "self", "{result}·(1 − {result})", lambda m, g, x, r, p: m.sigmoid_backward(g, r)
        ),
    )

    @staticmethod
    def compute(a):
        return NUMPY.sigmoid(_float_arr(a))


@register
class LogSigmoid(_Unary):
    """log σ(a) (torch.nn.functional.logsigmoid): LogSigmoidBackward0."""

    name, grad_fn, symbol = "log_sigmoid", "LogSigmoidBackward0", "log σ"
    rules = (
        elementwise(
            "self",
            "1 − σ({self})",
            lambda m, g, x, r, p: m.log_sigmoid_backward(g, x["self"]),
        ),
    )

    @staticmethod
    def compute(a):
        return NUMPY.log_sigmoid(_float_arr(a))


@register
class Relu(_Unary):
    name, grad_fn, symbol = "relu", "ReluBackward0", "relu"
    dtype_rule = "first"
    methods = functions = ("relu",)
    rules = (
        elementwise(
            "self",
            "1 where {result} > 0, else 0",
            lambda m, g, x, r, p: m.threshold_backward(g, r, 0),
        ),
    )

    @staticmethod
    def compute(a):
        x = arr(a)
        return np.maximum(x, np.zeros((), dtype=x.dtype))


def _logit_grad(m, g, x, r, p):
    """PyTorch's infinitely_differentiable_logit_backward: g/(x(1 − x)), NaN outside [0, 1]
    (with eps: 0 outside [eps, 1 − eps])."""
    a, eps = x["self"], p.get("eps")
    if eps is None:
        return m.where((a >= 0.0) & (a <= 1.0), g / (a * m.rsub(a, 1.0)), float("nan"))
    return m.where((a >= eps) & (a <= 1.0 - eps), g / (a * m.rsub(a, 1.0)), 0.0)


@register
class Logit(Elementwise):
    name, grad_fn, symbol = "logit", "LogitBackward0", "logit"
    dtype_rule = "float"
    methods = functions = ("logit",)
    defaults = {"eps": None}
    rules = (
        elementwise("self", "1/({self}·(1 − {self})), 0 outside [{eps}, 1 − {eps}]", _logit_grad),
    )

    @classmethod
    def call(cls, a, eps=None):
        return apply(cls, (a,), {"eps": eps} if eps is not None else None)

    @staticmethod
    def compute(a, eps=None):
        x = _float_arr(a)
        if eps is not None:
            x = np.clip(x, eps, 1.0 - eps)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x / (1 - x))


def _inside(m, x, lo, hi):
    """The mask lo <= x <= hi (a missing bound is no bound), as clamp's backward builds it."""
    if lo is not None and hi is not None:
        return (x >= lo) & (x <= hi)
    return x >= lo if lo is not None else x <= hi


@register
class Clamp(Elementwise):
    name, grad_fn, symbol = "clamp", "ClampBackward1", "clamp"
    dtype_rule = "first"
    methods = functions = ("clamp", "clip")
    defaults = {"min": None, "max": None}
    rules = (
        elementwise(
            "self",
            "1 where {min} ≤ {self} ≤ {max}, else 0",
            lambda m, g, x, r, p: m.where(_inside(m, x["self"], p["min"], p["max"]), g, 0.0),
        ),
    )

    @classmethod
    def call(cls, a, min=None, max=None):  # noqa: A002
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        unwrap = lambda v: v.item() if v.__class__ is a.__class__ else v  # noqa: E731
        return apply(cls, (a,), {"min": unwrap(min), "max": unwrap(max)})

    @staticmethod
    def compute(a, min, max):  # noqa: A002
        return np.clip(arr(a), min, max)


@register
class Where(Elementwise):
    name, grad_fn, symbol = "where", "WhereBackward0", "where"
    # The condition is a parameter, not an input: PyTorch's WhereBackward0 has two edges.
    input_names = ("self", "other")
    rules = (
        elementwise(
            "self",
            "1 where {condition}, else 0",
            lambda m, g, x, r, p: m.where(p["condition"], g, 0.0),
        ),
        elementwise(
            "other",
            "0 where {condition}, else 1",
            lambda m, g, x, r, p: m.where(p["condition"], 0.0, g),
        ),
    )
    functions = ("where",)

    @classmethod
    def call(cls, condition, a, b):
        return apply(cls, (a, b), {"condition": condition})

    @staticmethod
    def compute(a, b, condition):
        return np.where(np.asarray(arr(condition)).astype(bool), arr(a), arr(b))


@register
class Clone(_Unary):
    name, grad_fn, symbol = "clone", "CloneBackward0", "clone"
    dtype_rule = "first"
    methods = functions = ("clone",)
    rules = (elementwise("self", "1", lambda m, g, x, r, p: g),)

    @staticmethod
    def compute(a):
        return np.array(arr(a), copy=True)


@register
class ToDtype(Elementwise):
    name, grad_fn, symbol = "to_dtype", "ToCopyBackward0", "to"
    dtype_rule = "array"
    # The gradient is cast back to the input's dtype (`src`, recorded as a param).
    rules = (elementwise("self", "1", lambda m, g, x, r, p: m.to(g, p["src"])),)

    @classmethod
    def call(cls, a, dtype):
        return apply(cls, (a,), {"dtype": dtype, "src": a._dtype})

    @staticmethod
    def compute(a, dtype, src):
        return arr(a).astype(dtype.np)


# The fused kernels the rules above call when a backward builds a graph (tanh_backward, ...).
from . import backward_ops, masked  # noqa: E402, F401
