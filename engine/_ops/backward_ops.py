"""The fused backward kernels PyTorch records as ops of their own when a backward builds a
graph (create_graph=True): TanhBackwardBackward0, SigmoidBackwardBackward0,
ThresholdBackwardBackward0, LeakyReluBackwardBackward0, LogSigmoidBackwardBackward0. Their values come from the same numpy functions the first-order
rules use (`_rules.NUMPY`), and their own derivatives are rules again."""

from __future__ import annotations

from .._registry import apply, register
from .._rules import NUMPY, Elementwise, elementwise
from ._util import arr


@register
class TanhBackward(Elementwise):
    name, grad_fn, symbol = "tanh_backward", "TanhBackwardBackward0", "tanh′"
    input_names = ("grad_output", "output")
    rules = (
        elementwise(
            "grad_output",
            "1 − {output}²",
            lambda m, g, x, r, p: m.tanh_backward(g, x["output"]),
        ),
        elementwise(
            "output",
            "−2·{output}·{grad_output}",
            lambda m, g, x, r, p: g * (m.mul_scalar(x["output"], -2) * x["grad_output"]),
        ),
    )

    @staticmethod
    def compute(grad_output, output):
        return NUMPY.tanh_backward(arr(grad_output), arr(output))


@register
class SigmoidBackward(Elementwise):
    name, grad_fn, symbol = "sigmoid_backward", "SigmoidBackwardBackward0", "σ′"
    input_names = ("grad_output", "output")
    rules = (
        elementwise(
            "grad_output",
            "{output}·(1 − {output})",
            lambda m, g, x, r, p: m.sigmoid_backward(g, x["output"]),
        ),
        elementwise(
            "output",
            "{grad_output}·(1 − 2·{output})",
            lambda m, g, x, r, p: (
                g * x["grad_output"] * m.add_scalar(m.mul_scalar(x["output"], -2), 1)
            ),
        ),
    )

    @staticmethod
    def compute(grad_output, output):
        return NUMPY.sigmoid_backward(arr(grad_output), arr(output))


@register
class ThresholdBackward(Elementwise):
    name, grad_fn, symbol = "threshold_backward", "ThresholdBackwardBackward0", "relu′"
    input_names = ("grad_output", "self")
    defaults = {"threshold": 0}
    rules = (
        elementwise(
            "grad_output",
            "1 where {self} > {threshold}, else 0",
            lambda m, g, x, r, p: m.threshold_backward(g, x["self"], p["threshold"]),
        ),
        elementwise("self", "0", lambda m, g, x, r, p: m.zeros_like(g)),
    )

    @classmethod
    def call(cls, grad_output, x, threshold):
        return apply(cls, (grad_output, x), {"threshold": threshold})

    @staticmethod
    def compute(grad_output, x, threshold):
        return NUMPY.threshold_backward(arr(grad_output), arr(x), threshold)


@register
class LeakyReluBackward(Elementwise):
    name, grad_fn, symbol = "leaky_relu_backward", "LeakyReluBackwardBackward0", "lrelu′"
    input_names = ("grad_output", "self")
    rules = (
        elementwise(
            "grad_output",
            "1 if {self} > 0 else {negative_slope}",
            lambda m, g, x, r, p: m.leaky_relu_backward(g, x["self"], p["negative_slope"]),
        ),
        elementwise("self", "0", lambda m, g, x, r, p: m.zeros_like(g)),
    )

    @classmethod
    def call(cls, grad_output, x, negative_slope):
        return apply(cls, (grad_output, x), {"negative_slope": negative_slope})

    @staticmethod
    def compute(grad_output, x, negative_slope):
        return NUMPY.leaky_relu_backward(arr(grad_output), arr(x), negative_slope)


def _log_sigmoid_double(m, g, x, r, p):
    """PyTorch's log_sigmoid_double_backward(grad·grad_output, self): ·(σ(x) − 1)·σ(x)."""
    z = m.sigmoid(x["self"])
    return g * x["grad_output"] * m.sub_scalar(z, 1) * z


@register
class LogSigmoidBackward(Elementwise):
    name, grad_fn, symbol = "log_sigmoid_backward", "LogSigmoidBackwardBackward0", "log σ′"
    input_names = ("grad_output", "self")
    rules = (
        elementwise(
            "grad_output",
            "σ(−{self})",
            lambda m, g, x, r, p: m.log_sigmoid_backward(g, x["self"]),
        ),
        elementwise("self", "{grad_output}·(σ({self}) − 1)·σ({self})", _log_sigmoid_double),
    )

    @staticmethod
    def compute(grad_output, x):
        return NUMPY.log_sigmoid_backward(arr(grad_output), arr(x))
