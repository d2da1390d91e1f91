"""The public recording API: what happened in the engine, as plain events, in order.

    with engine.autograd.record() as rec:
        y = 2 * torch.dot(x, x)
        y.backward()
    for event in rec.events: ...

Every event is an immutable named tuple (cheap to make: recording must stay light). Values are numpy snapshots taken at the moment
of the event. Nothing here runs unless a recorder is active: the hot path checks one list.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import NamedTuple

import numpy as np

from .._grad_mode import STATE
from .graph import AccumulateGrad, BackwardNode

_ENGINE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Events between two gc.freeze() calls while recording (Recorder._settle). Short enough that
# what is left unfrozen never grows into a full collection of its own: at 5,000, a 10^5-op
# chain still had one (~15 ms) after every freeze, a twentieth of its run.
FREEZE_EVERY = 1_000
_FROZE = [False]  # whether recording froze objects that it must unfreeze at the end
# Taken at import: the learner's script may replace attributes of the gc module.
_gc_collect, _gc_freeze, _gc_unfreeze = gc.collect, gc.freeze, gc.unfreeze
_gc_isenabled, _gc_get_freeze_count = gc.isenabled, gc.get_freeze_count
SNAPSHOT_LIMIT = 20_000  # elements; bigger tensors are recorded without their values (no
# learner reads 20,000 numbers, and copying them would dominate recording)


class Location(NamedTuple):
    filename: str
    line: int
    function: str


class TensorInfo(NamedTuple):
    uid: int
    shape: tuple
    dtype: str
    requires_grad: bool
    is_leaf: bool
    grad_fn: int | None  # uid of its grad_fn node
    grad_fn_name: str | None
    version: int
    value: np.ndarray | None  # snapshot; None when too big


class ScalarInfo(NamedTuple):
    """A Python number used as an operand."""

    value: float | int | bool


class EdgeInfo(NamedTuple):
    node: int | None  # uid of the next node, None for (None, 0)
    name: str | None
    input_nr: int
    tensor: int | None  # uid of the leaf behind an AccumulateGrad


# ---- tensor events -----------------------------------------------------------------------
class TensorCreated(NamedTuple):
    seq: int
    tensor: TensorInfo
    how: str  # "tensor", "arange", "randn", ...
    location: Location | None


class RequiresGradSet(NamedTuple):
    seq: int
    tensor: TensorInfo
    location: Location | None


class OpRan(NamedTuple):
    """Forward: one op ran."""

    seq: int
    op: str  # registry name, e.g. "mul"
    grad_fn: str | None  # node name when a node was recorded, e.g. "MulBackward0"
    node: int | None
    inputs: tuple  # TensorInfo | ScalarInfo per input
    output: TensorInfo
    params: dict
    grad_enabled: bool
    next_functions: tuple  # EdgeInfo per input
    saved: tuple  # names of saved tensors, e.g. ("_saved_self",)
    location: Location | None
    modules: tuple = ()  # (id, class name) of each nn.Module whose forward ran it, outermost first
    # (name, TensorInfo) of each tensor the op took as a parameter, not as a differentiable
    # input: a loss's target, an index, a mask. No gradient flows to them.
    side: tuple = ()


class Detached(NamedTuple):
    seq: int
    source: int  # uid of the original tensor
    result: TensorInfo
    in_place: bool
    location: Location | None


class DataTaken(NamedTuple):
    """`t.data`: a new tensor on t's storage, outside autograd. An in-place change to it
    (`w.data -= lr * w.grad.data`, `w.grad.data.zero_()`) changes t's numbers too."""

    seq: int
    source: int  # uid of t
    result: TensorInfo
    location: Location | None


class InplaceModified(NamedTuple):
    seq: int
    op: str  # "add_", "zero_", ...
    tensor: TensorInfo  # after the change (version included)
    grad_enabled: bool
    location: Location | None


class ParamUpdated(NamedTuple):
    """An optimizer's step() changed one parameter in place (under no_grad)."""

    seq: int
    optimizer: str  # "SGD", "Adam", ...
    tensor: TensorInfo  # after the update (version included)
    old: np.ndarray | None
    grad: np.ndarray | None
    buffers: dict  # the optimizer's state for it after the step: momentum_buffer, exp_avg, ...
    hyper: dict  # lr, momentum, betas, ...
    rule: str  # the update in symbols: "w ← w − lr·g"
    location: Location | None
    old_buffers: dict = {}  # the same state before the step (a buffer made by it is absent)
    step: int | None = None  # the optimizer's step count t for it after the step (Adam, ...)


class GradZeroed(NamedTuple):
    seq: int
    owner: int  # uid of the leaf whose .grad was zeroed
    grad: TensorInfo
    location: Location | None


class GradSet(NamedTuple):
    seq: int
    owner: int
    grad: TensorInfo | None  # None for `x.grad = None`
    location: Location | None


# ---- backward events ---------------------------------------------------------------------
class BackwardStarted(NamedTuple):
    seq: int
    call: str  # "backward" or "grad"
    roots: tuple  # TensorInfo of each output
    seeds: tuple  # np.ndarray per root
    implicit: tuple  # bool per root: seed created implicitly (ones)
    retain_graph: bool
    create_graph: bool
    location: Location | None
    seed_uids: tuple = ()  # per root: uid of the gradient= tensor passed, None if implicit


class NodeStarted(NamedTuple):
    seq: int
    node: int
    name: str
    grad_outputs: tuple  # np.ndarray | None per output (fan-in already summed)


class GradientSent(NamedTuple):
    """One edge of the backward pass: node -> next node, carrying a gradient."""

    seq: int
    node: int
    name: str
    slot: int  # index in next_functions
    to_node: int | None
    to_name: str | None
    input_nr: int
    grad: np.ndarray | None
    grad_uid: int | None = None  # the gradient tensor (with create_graph, an op's output)


class GradsReturned(NamedTuple):
    """autograd.grad() hands its results to the caller; no .grad is touched."""

    seq: int
    inputs: tuple  # TensorInfo per input
    grads: tuple  # TensorInfo | None per input (None: unused, allow_unused=True)


class GradAccumulated(NamedTuple):
    seq: int
    node: int  # the AccumulateGrad node
    tensor: int  # uid of the leaf
    old: np.ndarray | None
    incoming: np.ndarray
    new: np.ndarray
    grad_uid: int


class GradRetained(NamedTuple):
    seq: int
    tensor: int  # a non-leaf that called retain_grad()
    grad: np.ndarray


class HookFired(NamedTuple):
    seq: int
    kind: str  # "tensor", "pre", "post"
    node: int
    hook: str  # the hook's name
    changed: bool  # the hook returned a replacement
    seen: np.ndarray | None = None  # a tensor hook: the gradient it was given
    returned: np.ndarray | None = None  # and the one it returned instead, if it did


class BuffersFreed(NamedTuple):
    seq: int
    node: int
    name: str
    saved: tuple  # names of the freed saved tensors


class BackwardFinished(NamedTuple):
    seq: int
    call: str
    error: str | None


class Recorder:
    """Collects events while active. Use through `engine.autograd.record()`."""

    def __init__(self, max_events: int = 500_000, snapshots: bool = True) -> None:
        self.events: list = []
        self.max_events = max_events
        self.snapshots = snapshots
        self.truncated = False
        self._next_freeze = FREEZE_EVERY

    def __enter__(self) -> Recorder:
        STATE.recorders = [*STATE.recorders, self]
        self._next_freeze = len(self.events) + FREEZE_EVERY
        return self

    def __exit__(self, *exc) -> None:
        STATE.recorders = [r for r in STATE.recorders if r is not self]
        if not STATE.recorders and _FROZE[0]:
            _FROZE[0] = False
            _gc_unfreeze()  # the garbage collector sees everything again

    def _settle(self) -> None:
        """Every FREEZE_EVERY events: move what exists now out of the garbage collector's
        sight (gc.freeze). Events are tuples the collector tracks for good, and a long
        run's full collections would walk every one of them again and again: on a
        10^5-op chain that is a third of the run. Garbage cycles frozen here are only
        collected after the recording. Only if nobody else froze objects, so that
        __exit__'s unfreeze gives back exactly the state it found."""
        self._next_freeze = len(self.events) + FREEZE_EVERY
        if _gc_isenabled() and (_FROZE[0] or _gc_get_freeze_count() == 0):
            _gc_collect(1)  # young garbage cycles go first: frozen, they would wait to the end
            _gc_freeze()
            _FROZE[0] = True

    def __iter__(self):
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def _add(self, cls, *args) -> None:
        events = self.events
        if len(events) >= self.max_events:
            self.truncated = True
            return
        events.append(cls(len(events), *args))  # seq is the event's index


def record(max_events: int = 500_000, snapshots: bool = True) -> Recorder:
    """Record engine events inside a `with` block."""
    return Recorder(max_events, snapshots)


# ---- helpers called by the engine (only when a recorder is active) ----------------------
# Recording runs once per op and per backward edge, so these are written for speed: events
# are built with tuple.__new__ (what a NamedTuple's own __new__ does, without its Python
# frame), and what never changes for a code line or a node is looked up once.
_new = tuple.__new__
_ndarray = np.ndarray
_SCALARS = frozenset({int, float, bool})
_PARAM_TYPES = (int, float, bool, str, tuple, type(None), slice)
_CODES: dict = {}  # id(code object) -> _ENGINE, or {instruction offset: Location} for user code
_KEPT: list = []  # the code objects in _CODES: alive, so that their ids are not reused
_ENGINE = object()
# Keyed by id(): hashing a code object hashes all its constants (microseconds for a script's
# module). Keyed by instruction offset: a frame's line number is computed only once per call site.
_CACHE_LIMIT = 20_000  # code objects; the cache starts again past this (long-lived processes)


def _emit(cls, *args) -> None:
    for r in STATE.recorders:
        r._add(cls, *args)


def _emit_to(recorders: list, cls, *args) -> None:
    for r in recorders:
        r._add(cls, *args)


def _push(recorders: list, cls, args: tuple) -> None:
    """Recorder._add for events whose every field is given: `args` is all but `seq`."""
    for r in recorders:
        events = r.events
        n = len(events)
        if n >= r.max_events:
            r.truncated = True
        else:
            events.append(_new(cls, (n, *args)))  # seq is the event's index
            if n >= r._next_freeze:
                r._settle()


def location() -> Location | None:
    """Where the user's code called into the engine: the innermost frame outside it."""
    f = sys._getframe(1)
    codes = _CODES
    while f is not None:
        code = f.f_code
        lines = codes.get(id(code))
        if lines is None:
            lines = _code_entry(code)
        if lines is not _ENGINE:
            offset = f.f_lasti
            loc = lines.get(offset)
            if loc is None:
                loc = lines[offset] = _new(Location, (code.co_filename, f.f_lineno, code.co_name))
            return loc  # immutable, so one object serves every event of that call site
        f = f.f_back
    return None


def _code_entry(code):
    if len(_KEPT) > _CACHE_LIMIT:
        _CODES.clear()
        _KEPT.clear()
    _KEPT.append(code)
    entry = _CODES[id(code)] = _ENGINE if code.co_filename.startswith(_ENGINE_DIR) else {}
    return entry


def snapshot(arr) -> np.ndarray | None:
    if arr is None:
        return None
    if arr.__class__ is not _ndarray:
        arr = np.asarray(arr)
    if arr.size > SNAPSHOT_LIMIT:
        return None
    return arr.copy()


def info(t) -> TensorInfo:
    fn = t.grad_fn
    arr = t._data
    if arr.__class__ is _ndarray:
        shape = arr.shape
        value = arr.copy() if arr.size <= SNAPSHOT_LIMIT else None
    else:
        shape = tuple(arr.shape)
        value = snapshot(arr)
    if fn is None:
        return _new(
            TensorInfo,
            (t._uid, shape, t._dtype.name, t.requires_grad_flag, True, None, None, t._vc[0], value),
        )
    return _new(
        TensorInfo,
        (
            t._uid,
            shape,
            t._dtype.name,
            t.requires_grad_flag,
            False,
            fn.uid,
            fn.name(),
            t._vc[0],
            value,
        ),
    )


def _operand(x):
    if x.__class__ in _SCALARS or not hasattr(x, "_data"):
        return _new(ScalarInfo, (x,))
    return info(x)


_NO_NEXT: dict = {}  # input_nr -> the EdgeInfo of a (None, nr) edge (immutable: made once)


def _edge_info(edge) -> EdgeInfo:
    node, nr = edge
    if node is None:  # a number or a tensor without grad: one edge in two of a `y * 2` chain
        info = _NO_NEXT.get(nr)
        if info is None:
            info = _NO_NEXT[nr] = _new(EdgeInfo, (None, None, nr, None))
        return info
    cls = node.__class__
    if cls is AccumulateGrad:
        var = node._variable()
    elif cls is BackwardNode:  # its __getattr__ would raise: only its own dict can hold one
        var = node.__dict__.get("variable")
    else:
        var = getattr(node, "variable", None)
    return _new(EdgeInfo, (node.uid, node.name(), nr, var._uid if var is not None else None))


def _slice_text(s: slice) -> str:
    """1:3, ::2 — a slice as the learner typed it."""
    text = f"{'' if s.start is None else s.start}:{'' if s.stop is None else s.stop}"
    return text + (f":{s.step}" if s.step not in (None, 1) else "")


def _params(params: dict) -> dict:
    return {
        k: _slice_text(v) if v.__class__ is slice else v
        for k, v in params.items()
        if isinstance(v, _PARAM_TYPES)
    }


def op_ran(op, inputs, result, node, params) -> None:
    operands = tuple(
        [
            _new(ScalarInfo, (x,))
            if x.__class__ in _SCALARS or not hasattr(x, "_data")
            else info(x)
            for x in inputs
        ]
    )
    modules = STATE.modules
    args = (
        op.name,
        None if node is None else node.name(),
        None if node is None else node.uid,
        operands,
        info(result),
        _params(params) if params else {},
        STATE.grad_enabled,
        () if node is None else tuple([_edge_info(e) for e in node.next_functions]),
        () if node is None else node.saved_names,
        location(),
        tuple([(id(m), type(m).__name__) for m in modules]) if modules else (),
        _side(params) if params else (),
    )
    _push(STATE.recorders, OpRan, args)


def _side(params: dict) -> tuple:
    return tuple(
        [
            (k, info(v))
            for k, v in params.items()
            if v.__class__ not in _SCALARS and hasattr(v, "_data")
        ]
    )


def tensor_created(t, how: str) -> None:
    _push(STATE.recorders, TensorCreated, (info(t), how, location()))


def requires_grad_set(t) -> None:
    _push(STATE.recorders, RequiresGradSet, (info(t), location()))


def detached(src, out, in_place: bool) -> None:
    _push(STATE.recorders, Detached, (src._uid, info(out), in_place, location()))


def data_taken(src, out) -> None:
    _push(STATE.recorders, DataTaken, (src._uid, info(out), location()))


def inplace(t, op: str) -> None:
    _push(STATE.recorders, InplaceModified, (op, info(t), STATE.grad_enabled, location()))


def param_updated(
    optimizer,
    t,
    old,
    grad,
    buffers: dict,
    hyper: dict,
    rule: str,
    old_buffers: dict | None = None,
    step: int | None = None,
) -> None:
    _push(
        STATE.recorders,
        ParamUpdated,
        (
            type(optimizer).__name__,
            info(t),
            snapshot(old),
            snapshot(grad),
            {k: snapshot(v) for k, v in buffers.items()},
            dict(hyper),
            rule,
            location(),
            {k: snapshot(v) for k, v in (old_buffers or {}).items()},
            step,
        ),
    )


def grad_zeroed(grad_tensor) -> None:
    _push(STATE.recorders, GradZeroed, (grad_tensor._grad_of, info(grad_tensor), location()))


def grad_set(t) -> None:
    g = t._grad
    _push(STATE.recorders, GradSet, (t._uid, info(g) if g is not None else None, location()))
