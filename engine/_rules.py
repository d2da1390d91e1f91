"""Local derivative rules: each derivative written once, for the backward and for display.

An elementwise derivative is one function `vjp(m, grad, inputs, result, params)` that returns
the gradient for one input before broadcasting is summed away. `m` is a small math namespace:

- `NUMPY` runs the rule on numpy arrays: the fast path, taken when no graph is built;
- `ENGINE` runs it on engine tensors through registered ops, so with `create_graph=True` the
  gradient is differentiable again, and its nodes carry PyTorch's names (e.g. `m.scale` is
  `mul.Scalar`, MulBackward1; `m.tanh_backward` is TanhBackwardBackward0's op).

The factor a learner sees (∂out/∂input, elementwise) is the same function at grad = 1, so the
displayed rule, the numbers shown and the gradient sent cannot drift apart.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import _dtype as _dt
from . import _registry
from ._grad_mode import STATE
from ._registry import Op
from ._tensor import Tensor

KINDS = ("elementwise", "matmul", "reduce", "shape", "index", "join", "other")


def _placeholders(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n for _, n, _, _ in string.Formatter().parse(text) if n))


@dataclass(frozen=True)
class LocalRule:
    """The local derivative of an op's output with respect to one input.

    text: the display formula, with {input names}, {result} and {grad} placeholders.
    factor(m, inputs, result, params): for kind "elementwise", ∂out/∂input evaluated
    elementwise (broadcastable to the output); the VJP is unbroadcast(grad * factor).
    vjp(m, grad, inputs, result, params): the one function both are made from.
    """

    input: str
    kind: str
    text: str
    factor: Callable | None = None
    vjp: Callable | None = field(default=None, repr=False, compare=False)
    uses: tuple[str, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown rule kind {self.kind!r}")
        object.__setattr__(self, "uses", _placeholders(self.text))


class _FactorOf:
    """factor(m, inputs, result, params): a rule's vjp evaluated at grad = 1."""

    __slots__ = ("vjp",)

    def __init__(self, vjp: Callable) -> None:
        self.vjp = vjp

    def __call__(self, m, inputs: dict, result, params: dict | None = None):
        return self.vjp(m, m.ones_like(result), inputs, result, params or {})


def elementwise(input: str, text: str, vjp: Callable) -> LocalRule:  # noqa: A002
    """An elementwise rule. `vjp(m, g, x, r, p)` reads inputs as x["name"] (only the names
    its `text` mentions are passed), the output as r and parameters as p."""
    return LocalRule(input, "elementwise", text, _FactorOf(vjp), vjp)


def rule(input: str, kind: str, text: str) -> LocalRule:  # noqa: A002
    """A display-only rule for an op whose backward is written as its own function."""
    return LocalRule(input, kind, text)


# ----- the two math namespaces -------------------------------------------------------------
def _np_cond(c):
    return np.asarray(c._data if hasattr(c, "_data") else c, dtype=bool)


def pow_scalar(x, n):
    """x ** n on numpy, rounded as torch's CPU kernel rounds it for a Python-number exponent:
    2, 3 and -2 are multiplications (x*x, x*x*x, 1/(x*x)), -1 and -0.5 a reciprocal (of x,
    of sqrt(x)); other exponents, and tensor exponents, go through pow (checked bit for bit
    against torch 2.13 in float32 and float64)."""
    if (n.__class__ is int or n.__class__ is float) and x.dtype in _TORCH_POW_DTYPES:
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # torch is silent
            if n == 2:
                return x * x
            if n == 3:
                return x * x * x
            if n == -1:
                return np.reciprocal(x)
            if n == -2:
                return np.reciprocal(x * x)
            if n == -0.5:
                return np.reciprocal(np.sqrt(x))
    return np.power(x, n)


_TORCH_POW_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class NUMPY:  # noqa: N801 - used as a namespace, `m`
    """Rules on numpy arrays."""

    cos, sin, exp, log, sgn = np.cos, np.sin, np.exp, np.log, np.sign

    @staticmethod
    def scale(x, c):
        return x if c == 1 else x * c

    @staticmethod
    def mul_scalar(x, c):
        return x * c

    @staticmethod
    def div_scalar(x, c):
        return x / c

    @staticmethod
    def add_scalar(x, c):
        return x + c

    @staticmethod
    def sub_scalar(x, c):
        return x - c

    @staticmethod
    def rsub(x, c):
        return c - x

    @staticmethod
    def logit(x):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x / (1 - x))

    @staticmethod
    def pow(x, n):
        return pow_scalar(x, n)

    @staticmethod
    def where(cond, a, b):
        return np.where(_np_cond(cond), a, b)

    @staticmethod
    def masked_fill(x, mask, value):
        return np.where(_np_cond(mask), value, x)

    @staticmethod
    def zeros_like(x):
        return np.zeros_like(x)

    @staticmethod
    def ones_like(x):
        x = np.asarray(x)
        return np.ones(x.shape, dtype=x.dtype if x.dtype.kind == "f" else np.float32)

    @staticmethod
    def to(x, dtype):
        return np.asarray(x).astype(dtype.np)

    # The fused backward kernels PyTorch names in double backward (…BackwardBackward0).
    @staticmethod
    def tanh_backward(g, y):
        return g * (1 - y * y)

    @staticmethod
    def sigmoid_backward(g, y):
        return g * (1 - y) * y

    @staticmethod
    def threshold_backward(g, x, threshold):
        return np.where(x > threshold, g, 0)

    @staticmethod
    def leaky_relu_backward(g, x, negative_slope):
        return np.where(x > 0, g, g * negative_slope)

    @staticmethod
    def sigmoid(x):
        with np.errstate(over="ignore"):
            return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))

    @staticmethod
    def log_sigmoid(x):
        return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))

    @staticmethod
    def log_sigmoid_backward(g, x):
        """g·σ(−x), as PyTorch's kernel computes it from e^−|x|."""
        z = np.exp(-np.abs(x))
        return np.where(x < 0, 1 - z / (1 + z), z / (1 + z)) * g


def _call(name: str, *args):
    return _registry.REGISTRY[name].call(*args)


def _const(like, values: np.ndarray):
    return like.__class__._make(values, like._dtype, False, None)


class ENGINE:  # noqa: N801 - used as a namespace, `m`
    """Rules on engine tensors: every step is a registered op, so the gradient differentiates."""

    @staticmethod
    def cos(x):
        return _call("cos", x)

    @staticmethod
    def sin(x):
        return _call("sin", x)

    @staticmethod
    def exp(x):
        return _call("exp", x)

    @staticmethod
    def log(x):
        return _call("log", x)

    @staticmethod
    def sgn(x):
        return _call("sgn", x)

    @staticmethod
    def scale(x, c):
        """PyTorch's maybe_multiply: x * c, skipped when c is 1."""
        return x if c == 1 else _call("mul_scalar", x, c)

    @staticmethod
    def mul_scalar(x, c):
        return _call("mul_scalar", x, c)

    @staticmethod
    def div_scalar(x, c):
        return _call("div_scalar", x, c)

    @staticmethod
    def add_scalar(x, c):
        return _call("add_scalar", x, c)

    @staticmethod
    def sub_scalar(x, c):
        return _call("sub_scalar", x, c)

    @staticmethod
    def rsub(x, c):
        """c − x for a number c as PyTorch's C++ formulas write it: c becomes a constant
        tensor, so the node is SubBackward0 with a None edge (not RsubBackward1)."""
        return _call("sub", _const(x, np.asarray(c, dtype=x._data.dtype)), x)

    @staticmethod
    def logit(x):
        return _call("logit", x)

    @staticmethod
    def pow(x, n):
        return _call("pow", x, n)

    @staticmethod
    def where(cond, a, b):
        return _call("where", cond, a, b)

    @staticmethod
    def masked_fill(x, mask, value):
        return _call("masked_fill", x, mask, value)

    @staticmethod
    def zeros_like(x):
        return _const(x, np.zeros_like(x._data))

    @staticmethod
    def ones_like(x):
        return _const(x, np.ones_like(x._data))

    @staticmethod
    def to(x, dtype):
        return x.to(dtype)

    @staticmethod
    def tanh_backward(g, y):
        return _call("tanh_backward", g, y)

    @staticmethod
    def sigmoid_backward(g, y):
        return _call("sigmoid_backward", g, y)

    @staticmethod
    def threshold_backward(g, x, threshold):
        return _call("threshold_backward", g, x, threshold)

    @staticmethod
    def leaky_relu_backward(g, x, negative_slope):
        return _call("leaky_relu_backward", g, x, negative_slope)

    @staticmethod
    def sigmoid(x):
        return _call("sigmoid", x)

    @staticmethod
    def log_sigmoid(x):
        return _call("log_sigmoid", x)

    @staticmethod
    def log_sigmoid_backward(g, x):
        return _call("log_sigmoid_backward", g, x)


# ----- ops whose backward is generated from their rules ------------------------------------
def np_unbroadcast(x: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum a broadcast numpy gradient back down to `shape`."""
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    dims = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and x.shape[i + lead] != 1
    )
    if dims:
        x = x.sum(axis=dims, keepdims=True)
    return x.reshape(shape)


_NO_CONSTS: dict = {}


class Elementwise(Op):
    """An op whose derivatives are all elementwise rules: saving, the backward (numpy fast
    path and differentiable path) and the display formulas all come from `rules`.

    Subclasses define `compute(*inputs, **params)` (inputs are tensors or Python numbers;
    read arrays with `_ops._util.arr`) and `rules`, one per input in `input_names` order."""

    @staticmethod
    def compute(*inputs, **params):
        raise NotImplementedError

    @classmethod
    def _prepare(cls) -> None:
        names = cls.input_names
        if tuple(r.input for r in cls.rules) != names:
            raise TypeError(f"{cls.__name__}: one rule per input, in order {names}")
        used = {u for r in cls.rules for u in r.uses}
        saved_inputs = tuple(n for n in names if n in used)
        cls.saved_names = saved_inputs + (("result",) if "result" in used else ())
        cls.saves_result = "result" in used
        # Precomputed once per op, so a call does no name lookups: which input positions
        # are saved, and per rule which (name, saved slot) pairs it reads.
        cls._save_index = tuple(names.index(n) for n in saved_inputs)
        cls._rule_plan = tuple(
            (r, tuple((u, saved_inputs.index(u)) for u in r.uses if u in saved_inputs))
            for r in cls.rules
        )
        cls._plans = {}  # needs_input_grad -> per saved input: does a needed rule read it?

    @classmethod
    def _plan(cls, needs: tuple) -> tuple:
        wanted = {
            name for (_, reads), need in zip(cls._rule_plan, needs) if need for name, _ in reads
        }
        plan = tuple(cls.input_names[j] in wanted for j in cls._save_index)
        cls._plans[needs] = plan
        return plan

    @classmethod
    def forward(cls, ctx, *inputs, **params):
        needs = ctx.needs_input_grad
        if needs is not None and cls._save_index:
            plan = cls._plans.get(needs) or cls._plan(needs)
            to_save, consts = [], None
            for j, want in zip(cls._save_index, plan):
                v = inputs[j]
                if want and v.__class__ is not Tensor:  # a Python number: kept as it is
                    consts = consts or {}
                    consts[cls.input_names[j]] = v
                    v = None
                to_save.append(v if want else None)
            ctx.save_for_backward(*to_save)
            if consts:
                ctx.consts = consts
        return cls.compute(*inputs, **params)

    @classmethod
    def backward(cls, ctx, g):
        Tensor = g.__class__
        saved = ctx.saved
        result = saved[-1].unpack() if cls.saves_result else None
        consts = ctx.__dict__.get("consts") if cls._save_index else None
        fast = not STATE.grad_enabled
        if fast:
            # numpy promotes like PyTorch only when every tensor has the gradient's dtype.
            d, gd = g._dtype, g._data
            fast = result is None or result._dtype is d
            res = None if result is None else result._data
        needs, shapes, params = ctx.needs_input_grad, ctx.input_shapes, ctx.params
        out = []
        for i, (r, reads) in enumerate(cls._rule_plan):
            if not needs[i]:
                out.append(None)
                continue
            if fast:
                arrays = {}
                for name, slot in reads:
                    s = saved[slot]
                    if s is None:
                        arrays[name] = consts[name]
                        continue
                    t = s.unpack()
                    if t._dtype is not d:
                        break
                    arrays[name] = t._data
                else:
                    grad = r.vjp(NUMPY, gd, arrays, res, params)
                    if grad is gd and gd.shape == shapes[i]:  # e.g. add: the gradient itself
                        out.append(g)
                        continue
                    if grad.__class__ is not np.ndarray:
                        grad = np.asarray(grad)
                    if grad.shape != shapes[i]:
                        grad = np_unbroadcast(grad, shapes[i])
                    dtype = d if grad.dtype == gd.dtype else _dt.from_numpy_dtype(grad.dtype)
                    out.append(Tensor._make(grad, dtype, False, None))
                    continue
            x = {}
            for name, slot in reads:
                s = saved[slot]
                x[name] = s.unpack() if s is not None else consts[name]
            out.append(_registry.unbroadcast(r.vjp(ENGINE, g, x, result, params), shapes[i]))
        return tuple(out)


def vjp_inputs(op, rule: LocalRule) -> tuple[tuple[str, ...], bool] | None:
    """What `op`'s backward hands `rule`'s vjp: the inputs it may read, by name, and
    whether the result is among them. None when the op's backward is its own, not made
    from its rules (then no promise is made). A display that evaluates the rule on just
    these reads the numbers the backward did."""
    if not (isinstance(op, type) and issubclass(op, Elementwise)):
        return None
    if getattr(op.backward, "__func__", None) is not Elementwise.backward.__func__:
        return None
    for r, reads in op._rule_plan:
        if r is rule:
            return tuple(name for name, _ in reads), op.saves_result
    return None
