"""One op, one place: the registry of op definitions and the dispatcher that runs them.

An op is a subclass of `Op` decorated with `@register`. It holds, together:
its forward (on numpy arrays), its backward (a vector-Jacobian product written with
engine ops, so higher-order gradients work), and its display metadata (symbol and
local-derivative formulas). The Tensor methods and `engine.*` functions named in
`methods`/`functions` are bound from here, and the tests walk `REGISTRY`.
"""

from __future__ import annotations

import numpy as np

from . import _dtype as dt
from ._grad_mode import STATE
from .autograd import recording as _recording
from .autograd.graph import BackwardNode, Context, SavedTensor

REGISTRY: dict[str, type[Op]] = {}


class Op:
    name: str = ""
    grad_fn: str | None = None  # PyTorch's node name, e.g. "MulBackward0"
    symbol: str = ""  # short display symbol, e.g. "×"
    formulas: tuple[str, ...] = ()  # local derivative per input, e.g. "∂(a·b)/∂a = b"
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
    def describe(cls) -> dict:
        """Display metadata for tools and the UI."""
        return {
            "name": cls.name,
            "grad_fn": cls.grad_fn,
            "symbol": cls.symbol,
            "formulas": dict(zip(cls.input_names, cls.formulas)),
            "inputs": cls.input_names,
        }


def register(cls: type[Op]) -> type[Op]:
    if cls.name in REGISTRY:
        raise ValueError(f"op {cls.name!r} registered twice")
    REGISTRY[cls.name] = cls
    return cls


def op_for_grad_fn(grad_fn_name: str) -> type[Op] | None:
    for op in REGISTRY.values():
        if op.grad_fn == grad_fn_name:
            return op
    return None


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
    if first.__class__ is not _Tensor[0]:
        return None
    d = first._dtype
    if len(inputs) == 1:
        return d
    if len(inputs) == 2:
        other = inputs[1]
        cls = other.__class__
        if cls is _Tensor[0]:
            return d if other._dtype is d else None
        if cls is float:
            return d if d.is_floating_point else None
        if cls is int:
            return d if d.category >= 1 else None
    return None


def _edge(t) -> tuple:
    if t is None or t.__class__ is not _Tensor[0] or not t.requires_grad:
        return (None, 0)
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    return (t._accumulator(), 0)


_Tensor: list = []  # filled by _tensor.py to avoid an import cycle
index_fn: list = []  # Tensor.__getitem__, filled by _ops/shape.py


_NO_PARAMS: dict = {}  # shared default; never mutated


def apply(op: type[Op], inputs: tuple, params: dict | None = None):
    """Run `op` on `inputs` (tensors or Python numbers), building the graph when needed."""
    Tensor = _Tensor[0]
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
    lead = len(gshape) - len(shape)
    dims = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and gshape[i + lead] != 1
    )
    if dims:
        grad = grad.sum(dim=dims, keepdim=True)
    if grad._data.shape != shape:
        grad = grad.reshape(shape)
    return grad
