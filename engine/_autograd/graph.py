"""The backward graph, as PyTorch exposes it: nodes with name(), next_functions and hooks.

Public as `engine.autograd.graph`; it lives here, below Tensor, so Tensor and the ops can
build nodes without importing the autograd API package."""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Mapping
from types import MappingProxyType

from . import _saved_hooks

_node_counter = itertools.count()

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


class RemovableHandle:
    """Returned by register_hook; remove() takes the hook out again."""

    _ids = itertools.count()

    def __init__(self, hooks: dict) -> None:
        self.id = next(RemovableHandle._ids)
        self._hooks = weakref.ref(hooks) if hasattr(hooks, "__weakref__") else (lambda: hooks)

    def remove(self) -> None:
        hooks = self._hooks()
        if hooks is not None:
            hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


class _HookDict(dict):
    """A dict that can be weakly referenced by handles."""


# Shared read-only stand-ins for a node's hook tables until a hook is registered: most nodes
# never get one, and not allocating five dicts per node keeps the garbage collector quiet.
_NONE: Mapping = MappingProxyType({})


class Node:
    """A backward function. Subclasses implement apply(grad_outputs) -> grad_inputs."""

    _display_name = "Node"
    _pre_hooks: Mapping = _NONE
    _post_hooks: Mapping = _NONE
    _tensor_pre_hooks: Mapping = _NONE  # output_nr -> _HookDict, from Tensor.register_hook
    _retain_grad_tensors: Mapping = _NONE  # output_nr -> the non-leaf that retains its grad

    def __init__(self) -> None:
        self.uid = next(_node_counter)  # also the sequence number: later nodes run first
        self.next_functions: tuple = ()

    @property
    def metadata(self) -> dict:
        meta = self.__dict__.get("_metadata")
        if meta is None:
            meta = self.__dict__["_metadata"] = {}
        return meta

    def name(self) -> str:
        return self._display_name

    def __repr__(self) -> str:
        return f"<{self._display_name} object at {id(self):#x}>"

    def _own(self, table: str) -> dict:
        """This node's own hook table `table`, created on first use."""
        found = self.__dict__.get(table)
        if found is None:
            found = self.__dict__[table] = _HookDict() if table.endswith("hooks") else {}
        return found

    def register_hook(self, fn) -> RemovableHandle:
        """fn(grad_inputs, grad_outputs) runs after the node; it may return new grad_inputs."""
        hooks = self._own("_post_hooks")
        handle = RemovableHandle(hooks)
        hooks[handle.id] = fn
        return handle

    def register_prehook(self, fn) -> RemovableHandle:
        """fn(grad_outputs) runs before the node; it may return new grad_outputs."""
        hooks = self._own("_pre_hooks")
        handle = RemovableHandle(hooks)
        hooks[handle.id] = fn
        return handle

    def _register_tensor_hook(self, output_nr: int, fn) -> RemovableHandle:
        hooks = self._own("_tensor_pre_hooks").setdefault(output_nr, _HookDict())
        handle = RemovableHandle(hooks)
        hooks[handle.id] = fn
        return handle

    def _retain_grad(self, output_nr: int, tensor) -> None:
        self._own("_retain_grad_tensors")[output_nr] = tensor

    @property
    def saved_names(self) -> tuple[str, ...]:
        return ()

    def _release(self) -> bool:
        """Free saved buffers; True if there was anything to free."""
        return False


class SavedTensor:
    """A tensor saved for backward, with the version it had then."""

    __slots__ = (
        "tensor",
        "version",
        "is_output",
        "freed",
        "saved_by",
        "packed",
        "unpack_hook",
        "meta",
    )

    def __init__(self, tensor, is_output: bool = False) -> None:
        self.tensor = tensor
        self.version = tensor._vc[0]
        self.is_output = is_output
        self.freed = False
        # An op's own output is reported as the output of the op that saved it, even after
        # an in-place change gave the tensor a new grad_fn (PyTorch's SavedVariable does so).
        self.saved_by = tensor.grad_fn.name() if is_output and tensor.grad_fn else None
        self.unpack_hook = None
        if _saved_hooks.STACK:  # saved_tensors_hooks: keep what pack returns, not the tensor
            pack, self.unpack_hook = _saved_hooks.STACK[-1]
            self.meta = (tensor.requires_grad_flag, tensor.grad_fn, tensor._output_nr)
            self.packed = pack(tensor)
            self.tensor = None

    def _restored(self, t):
        """What unpack_hook returned, with the saved tensor's autograd metadata put back."""
        if not hasattr(t, "_data"):
            return t
        requires_grad, grad_fn, output_nr = self.meta
        out = type(t)._make(t._data, t._dtype, requires_grad, grad_fn)
        out._output_nr = output_nr
        return out

    def register_hooks(self, pack_hook, unpack_hook) -> None:
        """Pack this saved tensor now; unpack_hook(packed) runs at each later access."""
        if self.freed:
            raise RuntimeError(FREED_MESSAGE)
        if self.unpack_hook is not None:
            raise RuntimeError("Calling register_hooks on a saved tensor with hooks already set")
        t = self.tensor
        self.meta = (t.requires_grad_flag, t.grad_fn, t._output_nr)
        self.packed = pack_hook(type(t)._make(t._data, t._dtype, False, None))
        self.unpack_hook, self.tensor = unpack_hook, None

    def unpack(self):
        if self.freed:
            raise RuntimeError(FREED_MESSAGE)
        if self.unpack_hook is not None:
            return self._restored(self.unpack_hook(self.packed))
        t = self.tensor
        if t._vc[0] != self.version:
            raise RuntimeError(_modified_message(t, self.version, self.saved_by))
        return t


def _modified_message(t, expected: int, saved_by: str | None = None) -> str:
    shape = list(t._data.shape)
    where = ""
    op = saved_by or (t.grad_fn.name() if t.grad_fn is not None else None)
    if op is not None:
        op = op[: op.rfind("Backward")] if "Backward" in op else op
        where = f", which is output {t._output_nr} of {op},"
    return (
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [torch.{t._dtype.legacy} {shape}]{where} is at version "
        f"{t._vc[0]}; expected version {expected} instead. Hint: enable anomaly detection to "
        "find the operation that failed to compute its gradient, with "
        "torch.autograd.set_detect_anomaly(True, check_nan=False)."
    )


_NO_PARAMS: dict = MappingProxyType({})  # type: ignore[assignment]


class Context:
    """What an op's forward leaves for its backward (PyTorch's ctx)."""

    # The attributes ops commonly set get slots, so most contexts never allocate a __dict__.
    __slots__ = (
        "saved",
        "needs_input_grad",
        "params",
        "input_shapes",
        "scalar",
        "alpha",
        "exponent",
        "dim",
        "dims",
        "keepdim",
        "__dict__",
    )

    def __init__(self, needs_input_grad: tuple[bool, ...] | None) -> None:
        self.saved: list[SavedTensor | None] | tuple = ()
        self.needs_input_grad = needs_input_grad
        self.params: dict = _NO_PARAMS

    def save_for_backward(self, *tensors) -> None:
        if self.needs_input_grad is None:  # no graph is being built: nothing to keep
            return
        self.saved = [None if t is None else SavedTensor(t) for t in tensors]

    @property
    def saved_tensors(self) -> tuple:
        return tuple(None if s is None else s.unpack() for s in self.saved)


_ATTR_NAMES: dict = {}  # op -> ("_saved_self", ...)


class BackwardNode(Node):
    """The grad_fn of one op call: its registry entry, its ctx and its inputs."""

    def __init__(self, op, ctx: Context, next_functions: tuple) -> None:
        self.uid = next(_node_counter)  # Node.__init__ inlined: one node per op call
        self.op = op
        self.ctx = ctx
        self.next_functions = next_functions
        self.released = False
        # PyTorch's AccumulateGrad holds its leaf, so a leaf whose name was rebound still
        # gets its gradient while the graph lives. Ours holds it weakly (the leaf holds
        # its AccumulateGrad), so the node that uses the leaf holds it: no cycle.
        self._leaves = [f._variable() for f, _ in next_functions if f.__class__ is AccumulateGrad]

    def name(self) -> str:
        return self.op.grad_fn

    def __repr__(self) -> str:
        return f"<{self.op.grad_fn} object at {id(self):#x}>"

    @property
    def saved_names(self) -> tuple[str, ...]:
        op = self.op
        names = _ATTR_NAMES.get(op)
        if names is None:  # built once per registry op: recording asks for every node
            names = tuple(f"_saved_{n}" for n in op.saved_names)
            if isinstance(op, type):  # not custom Functions' per-call adapters
                _ATTR_NAMES[op] = names
        saved = self.ctx.saved
        # The common cases without building a list: every slot saved, or none.
        n_saved = len(saved) - saved.count(None)
        if n_saved == len(saved):
            return names[:n_saved]
        if n_saved == 0:
            return ()
        return tuple([n for n, s in zip(names, saved) if s is not None])

    def __getattr__(self, attr: str):
        # _raw_saved_<name>: the SavedTensor itself (register_hooks on one saved tensor).
        if attr.startswith("_raw_saved_"):
            op, ctx = self.__dict__.get("op"), self.__dict__.get("ctx")
            name = attr[len("_raw_saved_") :]
            if ctx is not None and name in op.saved_names:
                i = op.saved_names.index(name)
                if i < len(ctx.saved) and ctx.saved[i] is not None:
                    return ctx.saved[i]
        # _saved_self, _saved_other, _saved_result ... as PyTorch names them.
        if attr.startswith("_saved_"):
            ctx = self.__dict__.get("ctx")
            op = self.__dict__.get("op")
            if ctx is not None:
                name = attr[len("_saved_") :]
                if name in op.saved_names:
                    i = op.saved_names.index(name)
                    if i < len(ctx.saved) and ctx.saved[i] is not None:
                        saved = ctx.saved[i]
                        t = saved.unpack()
                        # torch hands back a new tensor object for a saved output
                        return _new_handle(t) if saved.is_output else t
                    if self.released:
                        raise RuntimeError(FREED_MESSAGE)
                    return None
                if name in ctx.params:
                    return ctx.params[name]
        raise AttributeError(f"'{self.op.grad_fn}' object has no attribute '{attr}'")

    def apply(self, grad_outputs: tuple) -> tuple:
        op = self.op
        if self.released and op.saved_names:
            raise RuntimeError(FREED_MESSAGE)
        if op.multi_grad:
            grads = op.backward(self.ctx, *grad_outputs)
        else:
            grads = op.backward(self.ctx, grad_outputs[0])
        if grads.__class__ is not tuple:
            grads = (grads,)
        return grads

    def _release(self) -> bool:
        had = False
        for s in self.ctx.saved:
            if s is not None:
                s.freed = True
                s.tensor = None
                had = True
        self.released = True
        return had


class AccumulateGrad(Node):
    """The node that adds an incoming gradient into a leaf's .grad."""

    _display_name = "AccumulateGrad"

    def __init__(self, variable) -> None:
        super().__init__()
        self._variable = weakref.ref(variable)

    @property
    def variable(self):
        return self._variable()

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"


def _new_handle(t):
    """Another tensor object on the same data, version counter and grad_fn."""
    out = type(t)._make(t._data, t._dtype, t.requires_grad_flag, t.grad_fn)
    out._vc, out._output_nr = t._vc, t._output_nr
    return out


def increment_version(tensor) -> None:
    """Mark `tensor` as modified in place (saved copies of it then refuse to be used)."""
    tensors = tensor if isinstance(tensor, (list, tuple)) else (tensor,)
    for t in tensors:
        t._vc[0] += 1
