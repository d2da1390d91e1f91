"""Smooth and clipped activations behind torch.nn.functional: gelu, silu, elu, softplus,
hardtanh (relu6 is hardtanh(0, 6)), clamp_min (what F.normalize clamps its norm with), and
cosh/sinh (gelu's tanh-form double backward divides by cosh, as torch's does).

Each derivative is written once, as a rule; where PyTorch runs a fused kernel in the
backward (gelu_backward, elu_backward, softplus_backward, hardtanh_backward) that kernel is
an op of its own here too, so create_graph=True builds PyTorch's …BackwardBackward0 nodes.
The numpy fast path and the kernel op share one numpy function per formula."""

from __future__ import annotations

import math

import numpy as np

from .._registry import apply, register
from .._rules import NUMPY, Elementwise, elementwise
from ._util import arr
from .elementwise import _Unary

# PyTorch's constants: kAlpha = 1/√2, kBeta (tanh form) = √(2/π), φ's 1/√(2π), kKappa.
_SQRT1_2 = 1.0 / math.sqrt(2.0)
_TANH_BETA = math.sqrt(2.0 / math.pi)
_PDF_BETA = 1.0 / math.sqrt(2.0 * math.pi)
_KAPPA = 0.044715

# numpy has no erf; math.erf is exact, and the per-element call only costs on large arrays.
_erf = np.frompyfunc(math.erf, 1, 1)


def _float(a) -> np.ndarray:
    x = arr(a)
    return x if x.dtype.kind == "f" else x.astype(np.float32)


def _is_numpy(m) -> bool:
    return m is NUMPY


def _mask(m, cond, like):
    """A 0/1 float mask of `cond` in `like`'s dtype (PyTorch's `(cond).type_as(grad)`)."""
    if _is_numpy(m):
        return np.asarray(cond).astype(np.asarray(like).dtype)
    return cond.to(like.dtype)


# ----- numpy formulas (the values; the kernel ops reuse them) -------------------------------
def gelu_values(x: np.ndarray, approximate: str) -> np.ndarray:
    """Computed in float64, then rounded to x's dtype: within a few ulp of torch's float32
    kernels, and within 2e-7 where those round the far negative tail to 0."""
    x64 = x.astype(np.float64)
    if approximate == "tanh":
        inner = _TANH_BETA * (x64 + _KAPPA * x64 * x64 * x64)
        return (0.5 * x64 * (1.0 + np.tanh(inner))).astype(x.dtype)
    return (x64 * 0.5 * (1.0 + _erf64(x64 * _SQRT1_2))).astype(x.dtype)


def _erf64(x: np.ndarray) -> np.ndarray:
    return _erf(x).astype(np.float64)


def gelu_backward_values(g: np.ndarray, x: np.ndarray, approximate: str) -> np.ndarray:
    x64 = x.astype(np.float64)
    if approximate == "tanh":
        t = np.tanh(_TANH_BETA * (x64 + _KAPPA * x64 * x64 * x64))
        d_inner = _TANH_BETA * (1.0 + 3.0 * _KAPPA * x64 * x64)
        slope = 0.5 * (1.0 + t) + 0.5 * x64 * (1.0 - t * t) * d_inner
    else:
        cdf = 0.5 * (1.0 + _erf64(x64 * _SQRT1_2))
        slope = cdf + x64 * _PDF_BETA * np.exp(-0.5 * x64 * x64)
    return (g * slope).astype(g.dtype)


def elu_backward_values(
    g: np.ndarray, x: np.ndarray, alpha: float, is_result: bool = False
) -> np.ndarray:
    """x is elu's input, or its output when is_result (elu_ saves only that): on the
    negative side the slope α·eˣ is then output + α."""
    if is_result:
        return np.where(x <= 0, g * (x + alpha), g).astype(g.dtype, copy=False)
    with np.errstate(over="ignore"):
        return np.where(x <= 0, g * (alpha * np.exp(x)), g).astype(g.dtype, copy=False)


def softplus_backward_values(g: np.ndarray, x: np.ndarray, beta, threshold) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        z = np.exp(x * beta)
        return np.where(x * beta > threshold, g, g * z / (z + 1)).astype(g.dtype, copy=False)


def hardtanh_backward_values(g: np.ndarray, x: np.ndarray, lo, hi) -> np.ndarray:
    return np.where((x <= lo) | (x >= hi), np.zeros((), dtype=g.dtype), g)


# ----- the vjps: numpy fast path, or the kernel op when a graph is built ---------------------
def _gelu_vjp(m, g, x, approximate):
    if _is_numpy(m):
        return gelu_backward_values(g, x, approximate)
    return GeluBackward.call(g, x, approximate)


def _elu_vjp(m, g, x, alpha, is_result=False):
    if _is_numpy(m):
        return elu_backward_values(g, x, alpha, is_result)
    return EluBackward.call(g, x, alpha, is_result)


def _softplus_vjp(m, g, x, beta, threshold):
    if _is_numpy(m):
        return softplus_backward_values(g, x, beta, threshold)
    return SoftplusBackward.call(g, x, beta, threshold)


def _hardtanh_vjp(m, g, x, lo, hi):
    if _is_numpy(m):
        return hardtanh_backward_values(g, x, lo, hi)
    return HardtanhBackward.call(g, x, lo, hi)


def _silu_vjp(m, g, x, r, p):
    """PyTorch's infinitely_differentiable_silu_backward: g·σ(x)·(1 + x·(1 − σ(x)))."""
    s = m.sigmoid(x["self"])
    return g * s * m.add_scalar(x["self"] * m.rsub(s, 1.0), 1.0)


def _gelu_second(m, x, approximate):
    """gelu″(x), for gelu_backward's own derivative in its input."""
    if approximate == "tanh":
        # gelu′ = f′·g·h + f·g·h with f = ½x, g = 1 − tanh²(u), h = u′, u = β(x + κx³);
        # built step by step as torch's gelu_double_backward builds it (its nodes too).
        inner = m.mul_scalar(x + m.mul_scalar(m.pow(x, 3), _KAPPA), _TANH_BETA)
        t = _tanh(m, inner)
        sech = _one(m, x) / _cosh(m, inner)
        f = m.mul_scalar(x, 0.5)
        g = m.rsub(t * t, 1.0)
        h = m.mul_scalar(m.add_scalar(m.mul_scalar(x, 3 * _KAPPA) * x, 1.0), _TANH_BETA)
        f_prime_gh = m.mul_scalar(g, 0.5) * h
        g_prime = m.mul_scalar(sech, 2) * (-sech * t) * h
        h_prime = m.mul_scalar(m.mul_scalar(x, 6 * _KAPPA), _TANH_BETA)
        return m.mul_scalar(f_prime_gh, 2) + f * h * g_prime + f * g * h_prime
    sq = x * x
    pdf = m.mul_scalar(m.exp(m.mul_scalar(sq, -0.5)), _PDF_BETA)
    return m.mul_scalar(pdf, 2.0) - sq * pdf


def _tanh(m, x):
    from .elementwise import Tanh

    return np.tanh(x) if _is_numpy(m) else Tanh.call(x)


def _cosh(m, x):
    return np.cosh(x) if _is_numpy(m) else Cosh.call(x)


def _sinh(m, x):
    return np.sinh(x) if _is_numpy(m) else Sinh.call(x)


def _one(m, like):
    """The constant 1 of `like`'s dtype (torch's `1 / t` divides a wrapped number: no edge)."""
    if _is_numpy(m):
        return 1.0
    return like.__class__._make(np.ones((), dtype=like._data.dtype), like._dtype, False, None)


# ----- the forward ops -----------------------------------------------------------------------
@register
class Cosh(_Unary):
    """cosh: torch.cosh; gelu's tanh-form double backward divides by it, as torch's does."""

    name, grad_fn, symbol = "cosh", "CoshBackward0", "cosh"
    methods = functions = ("cosh",)
    rules = (elementwise("self", "sinh({self})", lambda m, g, x, r, p: g * _sinh(m, x["self"])),)

    @staticmethod
    def compute(a):
        with np.errstate(over="ignore"):
            return np.cosh(_float(a))


@register
class Sinh(_Unary):
    name, grad_fn, symbol = "sinh", "SinhBackward0", "sinh"
    methods = functions = ("sinh",)
    rules = (elementwise("self", "cosh({self})", lambda m, g, x, r, p: g * _cosh(m, x["self"])),)

    @staticmethod
    def compute(a):
        with np.errstate(over="ignore"):
            return np.sinh(_float(a))


@register
class Gelu(Elementwise):
    name, grad_fn, symbol = "gelu", "GeluBackward0", "gelu"
    dtype_rule = "float"
    defaults = {"approximate": "none"}
    rules = (
        elementwise(
            "self",
            "Φ({self}) + {self}·φ({self}) (approximate={approximate})",
            lambda m, g, x, r, p: _gelu_vjp(m, g, x["self"], p["approximate"]),
        ),
    )

    @classmethod
    def call(cls, a, approximate: str = "none"):
        if approximate not in ("none", "tanh"):
            raise RuntimeError("approximate argument must be either none or tanh.")
        return apply(cls, (a,), {"approximate": approximate})

    @staticmethod
    def compute(a, approximate):
        return gelu_values(_float(a), approximate)


@register
class Silu(_Unary):
    name, grad_fn, symbol = "silu", "SiluBackward0", "silu"
    rules = (elementwise("self", "σ({self})·(1 + {self}·(1 − σ({self})))", _silu_vjp),)

    @staticmethod
    def compute(a):
        x = _float(a)
        with np.errstate(over="ignore"):
            return x / (1 + np.exp(-x))


@register
class Elu(Elementwise):
    name, grad_fn, symbol = "elu", "EluBackward0", "elu"
    dtype_rule = "float"
    defaults = {"alpha": 1.0}
    rules = (
        elementwise(
            "self",
            "1 if {self} > 0 else {alpha}·e^{self}",
            lambda m, g, x, r, p: _elu_vjp(m, g, x["self"], p["alpha"]),
        ),
    )

    @classmethod
    def call(cls, a, alpha: float = 1.0):
        return apply(cls, (a,), {"alpha": alpha})

    @staticmethod
    def compute(a, alpha):
        x = _float(a)
        with np.errstate(over="ignore"):
            return np.where(x > 0, x, np.expm1(x) * x.dtype.type(alpha))


@register
class EluInplace(Elementwise):
    """F.elu(x, inplace=True) / F.elu_: the input is overwritten, so the derivative is read
    from the output (EluBackward1)."""

    name, grad_fn, symbol = "elu_inplace", "EluBackward1", "elu"
    dtype_rule = "float"
    defaults = {"alpha": 1.0}
    rules = (
        elementwise(
            "self",
            "1 if {result} > 0 else {result} + {alpha}",
            lambda m, g, x, r, p: _elu_vjp(m, g, r, p["alpha"], True),
        ),
    )

    @classmethod
    def call(cls, a, alpha: float = 1.0):
        return apply(cls, (a,), {"alpha": alpha})

    @staticmethod
    def compute(a, alpha):
        return Elu.compute(a, alpha)


@register
class Softplus(Elementwise):
    name, grad_fn, symbol = "softplus", "SoftplusBackward0", "softplus"
    dtype_rule = "float"
    defaults = {"beta": 1.0, "threshold": 20.0}
    rules = (
        elementwise(
            "self",
            "σ({beta}·{self}), or 1 where {beta}·{self} > {threshold}",
            lambda m, g, x, r, p: _softplus_vjp(m, g, x["self"], p["beta"], p["threshold"]),
        ),
    )

    @classmethod
    def call(cls, a, beta: float = 1.0, threshold: float = 20.0):
        return apply(cls, (a,), {"beta": beta, "threshold": threshold})

    @staticmethod
    def compute(a, beta, threshold):
        # Above the threshold softplus is x itself (log1p(e^βx)/β rounds to it), as in torch.
        x = _float(a)
        xb = x * x.dtype.type(beta)
        with np.errstate(over="ignore"):
            soft = np.log1p(np.exp(xb)) / x.dtype.type(beta)
        return np.where(xb > threshold, x, soft)


@register
class Hardtanh(Elementwise):
    name, grad_fn, symbol = "hardtanh", "HardtanhBackward0", "hardtanh"
    dtype_rule = "first"
    defaults = {"min_val": -1.0, "max_val": 1.0}
    rules = (
        elementwise(
            "self",
            "1 where {min_val} < {self} < {max_val}, else 0",
            lambda m, g, x, r, p: _hardtanh_vjp(m, g, x["self"], p["min_val"], p["max_val"]),
        ),
    )

    @classmethod
    def call(cls, a, min_val: float = -1.0, max_val: float = 1.0):
        if min_val > max_val:
            raise ValueError("min_val cannot be greater than max_val")
        return apply(cls, (a,), {"min_val": min_val, "max_val": max_val})

    @staticmethod
    def compute(a, min_val, max_val):
        x = arr(a)
        if x.dtype.kind != "f":  # integer tensors clamp to whole bounds, keeping their dtype
            return np.clip(x, math.ceil(min_val), math.floor(max_val)).astype(x.dtype)
        return np.clip(x, x.dtype.type(min_val), x.dtype.type(max_val))


@register
class ClampMin(Elementwise):
    """clamp_min(x, min): F.normalize clamps the norm with it (ClampMinBackward0)."""

    name, grad_fn, symbol = "clamp_min", "ClampMinBackward0", "max(·, m)"
    dtype_rule = "first"
    methods = functions = ("clamp_min",)
    rules = (
        elementwise(
            "self",
            "1 where {self} ≥ {min}, else 0",
            lambda m, g, x, r, p: m.where(x["self"] >= p["min"], g, 0.0),
        ),
    )

    @classmethod
    def call(cls, a, min):  # noqa: A002 - torch's name
        if min.__class__ is a.__class__:
            min = min.item()  # noqa: A001
        return apply(cls, (a,), {"min": min})

    @staticmethod
    def compute(a, min):  # noqa: A002
        x = arr(a)
        return np.maximum(x, np.asarray(min, dtype=x.dtype))


# ----- the fused backward kernels (what create_graph=True records) ----------------------------
@register
class GeluBackward(Elementwise):
    name, grad_fn, symbol = "gelu_backward", "GeluBackwardBackward0", "gelu′"
    input_names = ("grad_output", "self")
    defaults = {"approximate": "none"}
    rules = (
        elementwise(
            "grad_output",
            "Φ({self}) + {self}·φ({self}) (approximate={approximate})",
            lambda m, g, x, r, p: _gelu_vjp(m, g, x["self"], p["approximate"]),
        ),
        elementwise(
            "self",
            "{grad_output}·gelu″({self}) (approximate={approximate})",
            lambda m, g, x, r, p: (
                g * x["grad_output"] * _gelu_second(m, x["self"], p["approximate"])
            ),
        ),
    )

    @classmethod
    def call(cls, grad_output, x, approximate: str = "none"):
        return apply(cls, (grad_output, x), {"approximate": approximate})

    @staticmethod
    def compute(grad_output, x, approximate):
        return gelu_backward_values(arr(grad_output), arr(x), approximate)


def _elu_double(m, g, x, r, p):
    """PyTorch's elu_double_backward: on the negative side, elu_backward(g·grad_output) in
    the input, or g·grad_output itself in the output (is_result)."""
    a = x["self"]
    scaled = m.mul_scalar(g * x["grad_output"], 1.0)  # torch's ·input_scale (1 here): a node
    if p.get("is_result"):
        return scaled * _mask(m, a < 0, g)
    return _elu_vjp(m, scaled, a, p["alpha"]) * _mask(m, a < 0, g)


@register
class EluBackward(Elementwise):
    name, grad_fn, symbol = "elu_backward", "EluBackwardBackward0", "elu′"
    input_names = ("grad_output", "self")  # self: elu's output when is_result
    defaults = {"is_result": False}
    rules = (
        elementwise(
            "grad_output",
            "1 if {self} > 0 else {alpha}·e^{self} (or {self} + {alpha}: is_result)",
            lambda m, g, x, r, p: _elu_vjp(m, g, x["self"], p["alpha"], p.get("is_result")),
        ),
        elementwise("self", "{grad_output}·{alpha}·e^{self} where {self} < 0, else 0", _elu_double),
    )

    @classmethod
    def call(cls, grad_output, x, alpha: float = 1.0, is_result: bool = False):
        params = {"alpha": alpha, "is_result": True} if is_result else {"alpha": alpha}
        return apply(cls, (grad_output, x), params)

    @staticmethod
    def compute(grad_output, x, alpha, is_result=False):
        return elu_backward_values(arr(grad_output), arr(x), alpha, is_result)


def _softplus_double(m, g, x, r, p):
    """PyTorch's softplus_double_backward(g·grad_output, x): σ′(βx)·β below the threshold."""
    beta = p["beta"]
    xb = m.mul_scalar(x["self"], beta)
    slope = m.sigmoid_backward(g * x["grad_output"], m.sigmoid(xb))
    return m.mul_scalar(slope * _mask(m, xb < p["threshold"], g), beta)


@register
class SoftplusBackward(Elementwise):
    name, grad_fn, symbol = "softplus_backward", "SoftplusBackwardBackward0", "softplus′"
    input_names = ("grad_output", "self")
    rules = (
        elementwise(
            "grad_output",
            "σ({beta}·{self}), or 1 where {beta}·{self} > {threshold}",
            lambda m, g, x, r, p: _softplus_vjp(m, g, x["self"], p["beta"], p["threshold"]),
        ),
        elementwise(
            "self",
            "{grad_output}·{beta}·σ′({beta}·{self}) where {beta}·{self} < {threshold}, else 0",
            _softplus_double,
        ),
    )

    @classmethod
    def call(cls, grad_output, x, beta: float = 1.0, threshold: float = 20.0):
        return apply(cls, (grad_output, x), {"beta": beta, "threshold": threshold})

    @staticmethod
    def compute(grad_output, x, beta, threshold):
        return softplus_backward_values(arr(grad_output), arr(x), beta, threshold)


@register
class HardtanhBackward(Elementwise):
    name, grad_fn, symbol = "hardtanh_backward", "HardtanhBackwardBackward0", "hardtanh′"
    input_names = ("grad_output", "self")
    rules = (
        elementwise(
            "grad_output",
            "1 where {min_val} < {self} < {max_val}, else 0",
            lambda m, g, x, r, p: _hardtanh_vjp(m, g, x["self"], p["min_val"], p["max_val"]),
        ),
        elementwise("self", "0", lambda m, g, x, r, p: m.zeros_like(g)),
    )

    @classmethod
    def call(cls, grad_output, x, min_val: float = -1.0, max_val: float = 1.0):
        return apply(cls, (grad_output, x), {"min_val": min_val, "max_val": max_val})

    @staticmethod
    def compute(grad_output, x, min_val, max_val):
        return hardtanh_backward_values(arr(grad_output), arr(x), min_val, max_val)
