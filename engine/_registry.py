"""One op, one place: the registry of op definitions and the dispatcher that runs them.

An op is a subclass of `Op` decorated with `@register`. It holds, together: its forward (on
numpy arrays), its derivatives and its display metadata (symbol, local rules). The Tensor
methods and `engine.*` functions named in `methods`/`functions` are bound from here, and the
tests walk `REGISTRY` (tests/engine/op_samples.py needs samples for every op).

How to add an op
----------------
1. Elementwise op (every derivative is "grad times something elementwise"): subclass
   `engine._rules.Elementwise`, write `compute` and one `elementwise(...)` rule per input.
   The backward (numpy fast path and differentiable create_graph path), the saved tensors and
   the display formulas are all generated from the rules::

       @register
       class Sin(Elementwise):
           name, grad_fn, symbol = "sin", "SinBackward0", "sin"
           methods = functions = ("sin",)
           dtype_rule = "float"
           rules = (elementwise("self", "cos({self})", lambda m, g, x, r, p: g * m.cos(x["self"])),)

           @staticmethod
           def compute(a):
               return np.sin(arr(a))

   The rule's function gets `m` (math namespace: `_rules.NUMPY` or `_rules.ENGINE`), the
   upstream gradient `g`, the inputs its text names (`x["self"]`), the output `r` and the
   params `p`. Use `m.*` and Python operators only, and follow PyTorch's formula in
   tools/autograd/derivatives.yaml so create_graph builds PyTorch's nodes: `m.scale(t, c)` is
   mul by a number (MulBackward1), `m.div_scalar`, `m.where`, `m.tanh_backward`, ... Add a
   method to both namespaces when you need a new primitive (and register its op).
   Placeholders in the text ({self}, {other}, {result}, params) are the only inputs the rule
   may read, and exactly those inputs are saved for backward.
2. Any other op (matmul, reductions, shape, indexing, joins, losses): subclass `Op`, write
   `forward(ctx, *inputs, **params)` and `backward(ctx, grad)` with engine ops (so it
   differentiates again), and declare `rules = (rule("self", "reduce", "spread {grad} over
   the summed dims"), ...)`: one display rule per differentiable input, in input order, kind
   one of `_rules.KINDS`, placeholders naming inputs, params, {result} or {grad}.
   Where PyTorch runs a fused kernel in the backward (its node is then named
   `…BackwardBackward0`, e.g. tanh_backward, mse_loss_backward), register that kernel as an op
   of its own (see _ops/backward_ops.py, MseLossBackward in _ops/losses.py) and call it from
   the backward when a graph is built; compute its values with the same numpy function the
   fast path uses, so the formula is written once.
3. Add samples to tests/engine/op_samples.py: the parity suite then checks values, grads,
   grad_fn names, next_functions, double backward (values and the graph create_graph=True
   builds) and test_local_rules.py checks the rules (upstream × factor = what was sent).
"""

from __future__ import annotations

import numpy as np

from . import _dtype as dt
from ._autograd import recording as _recording
from ._autograd.graph import BackwardNode, Context, SavedTensor
from ._grad_mode import STATE
from ._optable import OPS
from ._tensor import Tensor

REGISTRY: dict[str, type[Op]] = OPS  # the one table; Tensor reads it as _optable.OPS


class Op:
    name: str = ""
    grad_fn: str | None = None  # PyTorch's node name, e.g. "MulBackward0"
    symbol: str = ""  # short display symbol, e.g. "×"; the only source of op symbols
    rules: tuple = ()  # LocalRule per differentiable input, in input order (see _rules.py)
    defaults: dict = {}  # values of params a call may leave out, for display (e.g. alpha=1)
    formulas: tuple[str, ...] = ()  # derived from `rules` by @register: one line per rule
    input_names: tuple[str, ...] = ("self",)
    saved_names: tuple[str, ...] = ()  # names of save_for_backward slots: _saved_<name>
    saves_result: bool = False  # the output is saved too, as _saved_result
    dtype_rule: str = "promote"  # promote | float | first | bool | array
    differentiable: bool = True
    is_view: bool = False  # the output is a view of input 0: it shares its version counter
    multi_grad: bool = False  # backward takes one gradient per output (custom Functions)
    n_outputs: int = 1
    methods: tuple[str, ...] = ()  # Tensor methods bound to `call`
    functions: tuple[str, ...] = ()  # engine-level functions bound to `call`

    @staticmethod
    def forward(ctx: Context, *arrays, **params):
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, grad):
        raise NotImplementedError

    @classmethod
    def call(cls, *inputs, **params):
        """The user-facing function; ops with richer signatures override it."""
        return apply(cls, inputs, params)

    @classmethod
    def local_rules(cls) -> tuple:
        """One LocalRule per differentiable input, in input order."""
        return cls.rules

    @classmethod
    def _prepare(cls) -> None:
        """Hook run by @register (Elementwise derives its saving plan here)."""

    @classmethod
    def describe(cls) -> dict:
        """Display metadata for tools and the UI."""
        return {
            "name": cls.name,
            "grad_fn": cls.grad_fn,
            "symbol": cls.symbol,
            "formulas": {r.input: f for r, f in zip(cls.rules, cls.formulas)},
            "inputs": cls.input_names,
        }


def _letters(op: type[Op]) -> dict:
    """Neutral letters for the legacy one-line formulas: inputs a, b, c..., output `out`."""
    names = {n: "abcdefgh"[i] for i, n in enumerate(op.input_names)}
    return {**names, "result": "out", "grad": "g"}


class _Letters(dict):
    def __missing__(self, key: str) -> str:
        return key


def formula_line(op: type[Op], r) -> str:
    """A rule as one line, e.g. '∂out/∂a = cos(a)' (what `Op.formulas` holds)."""
    letters = _Letters(_letters(op))
    text = r.text.format_map(letters)
    wrt = letters.get(r.input, r.input)
    return f"∂out/∂{wrt} = {text}" if r.kind == "elementwise" else f"∂out/∂{wrt}: {text}"


def register(cls: type[Op]) -> type[Op]:
    if cls.name in REGISTRY:
        raise ValueError(f"op {cls.name!r} registered twice")
    REGISTRY[cls.name] = cls
    cls._prepare()
    if cls.rules:  # ops not yet converted keep their hand-written `formulas`
        cls.formulas = tuple(formula_line(cls, r) for r in cls.rules)
    return cls


def op_for_grad_fn(grad_fn_name: str) -> type[Op] | None:
    for op in REGISTRY.values():
        if op.grad_fn == grad_fn_name:
            return op
    return None


def local_rules_for_grad_fn(grad_fn_name: str) -> tuple:
    """The local rules of the op whose grad_fn is named `grad_fn_name` (empty if none)."""
    op = op_for_grad_fn(grad_fn_name)
    return op.local_rules() if op is not None else ()


def _result_dtype(op: type[Op], inputs: tuple, arr: np.ndarray) -> dt.dtype:
    rule = op.dtype_rule
    if rule == "promote":
        return _promote_fast(inputs) or dt.result_type(inputs)
    if rule == "first":
        return inputs[0]._dtype
    if rule == "float":
        d = dt.result_type(inputs)
        return d if d.is_floating_point else dt.get_default_dtype()
    if rule == "first":
        return inputs[0]._dtype
    if rule == "bool":
        return dt.bool_
    return dt.from_numpy_dtype(arr.dtype)


def _promote_fast(inputs: tuple) -> dt.dtype | None:
    """The common cases of result_type without its general loop: one tensor, two tensors of
    one dtype, or a tensor with a Python number of its own category or lower."""
    first = inputs[0]
    if first.__class__ is not Tensor:
        return None
    d = first._dtype
    if len(inputs) == 1:
        return d
    if len(inputs) == 2:
        other = inputs[1]
        cls = other.__class__
        if cls is Tensor:
            return d if other._dtype is d else None
        if cls is float:
            return d if d.is_floating_point else None
        if cls is int:
            return d if d.category >= 1 else None
    return None


def _edge(t) -> tuple:
    if t is None or t.__class__ is not Tensor or not t.requires_grad:
        return (None, 0)
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    return (t._accumulator(), 0)


_NO_PARAMS: dict = {}  # shared default; never mutated


def apply(op: type[Op], inputs: tuple, params: dict | None = None):
    """Run `op` on `inputs` (tensors or Python numbers), building the graph when needed."""
    if params is None:
        params = _NO_PARAMS
    needs = False
    if op.differentiable and STATE.grad_enabled:
        flags = tuple([t.__class__ is Tensor and t.requires_grad_flag for t in inputs])
        needs = True in flags
    if needs:
        ctx = Context(flags)
        ctx.input_shapes = tuple([t._data.shape if t.__class__ is Tensor else () for t in inputs])
        ctx.params = params
    else:
        ctx = Context(None)
    out = op.forward(ctx, *inputs, **params)
    extra = ()
    if op.n_outputs > 1:
        out, *extra = out
    arr = out if out.__class__ is np.ndarray else np.asarray(out)
    rule = op.dtype_rule
    if rule == "promote":
        d = _promote_fast(inputs) or dt.result_type(inputs)
    elif rule == "first":
        d = inputs[0]._dtype
    else:
        d = _result_dtype(op, inputs, arr)
    if arr.dtype != d.np:
        arr = arr.astype(d.np)
    node = None
    if needs:
        if d.is_floating_point:
            node = BackwardNode(op, ctx, tuple([_edge(t) for t in inputs]))
        else:
            needs = False  # integer and bool results never require grad, as in PyTorch
    result = Tensor._make(arr, d, needs, node)
    if op.is_view:
        result._vc = inputs[0]._vc  # in-place changes to either are seen by saved-tensor checks
    if needs and op.saves_result:
        ctx.saved = [*ctx.saved, SavedTensor(result, is_output=True)]
    if STATE.recorders:
        _recording.op_ran(op, inputs, result, node, params)
    if extra:
        return (
            result,
            *(
                Tensor._make(np.asarray(e), dt.from_numpy_dtype(np.asarray(e).dtype), False, None)
                for e in extra
            ),
        )
    return result


def unbroadcast(grad, shape: tuple):
    """Sum a broadcast gradient back down to `shape` (with engine ops, so it differentiates)."""
    gshape = grad._data.shape
    if gshape == shape:
        return grad
    if shape == ():  # PyTorch's sum_to: one full sum (SumBackward0), no view
        return grad.sum()
    lead = len(gshape) - len(shape)
    dims = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and gshape[i + lead] != 1
    )
    if dims:
        grad = grad.sum(dim=dims, keepdim=True)
    if grad._data.shape != shape:
        grad = grad.reshape(shape)
    return grad
