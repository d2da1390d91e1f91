"""The backward graph, as PyTorch exposes it: nodes with name(), next_functions and hooks."""

from __future__ import annotations

import itertools
import weakref

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


class Node:
    """A backward function. Subclasses implement apply(grad_outputs) -> grad_inputs."""

    _display_name = "Node"

    def __init__(self) -> None:
        self.uid = next(_node_counter)  # also the sequence number: later nodes run first
        self.next_functions: tuple = ()
        self._pre_hooks = _HookDict()
        self._post_hooks = _HookDict()
        self._tensor_pre_hooks: dict = {}  # output_nr -> _HookDict, from Tensor.register_hook
        self._retain_grad_tensors: dict = {}  # output_nr -> weakref of non-leaf that retains
        self.metadata: dict = {}

    def name(self) -> str:
        return self._display_name

    def __repr__(self) -> str:
        return f"<{self._display_name} object at {id(self):#x}>"

    def register_hook(self, fn) -> RemovableHandle:
        """fn(grad_inputs, grad_outputs) runs after the node; it may return new grad_inputs."""
        handle = RemovableHandle(self._post_hooks)
        self._post_hooks[handle.id] = fn
        return handle

    def register_prehook(self, fn) -> RemovableHandle:
        """fn(grad_outputs) runs before the node; it may return new grad_outputs."""
        handle = RemovableHandle(self._pre_hooks)
        self._pre_hooks[handle.id] = fn
        return handle

    def _register_tensor_hook(self, output_nr: int, fn) -> RemovableHandle:
        hooks = self._tensor_pre_hooks.setdefault(output_nr, _HookDict())
        handle = RemovableHandle(hooks)
        hooks[handle.id] = fn
        return handle

    @property
    def saved_names(self) -> tuple[str, ...]:
        return ()

    def _release(self) -> bool:
        """Free saved buffers; True if there was anything to free."""
        return False


class SavedTensor:
    """A tensor saved for backward, with the version it had then."""

    __slots__ = ("tensor", "version", "is_output", "freed", "saved_by")

    def __init__(self, tensor, is_output: bool = False) -> None:
        self.tensor = tensor
        self.version = tensor._vc[0]
        self.is_output = is_output
        self.freed = False
        # An op's own output is reported as the output of the op that saved it, even after
        # an in-place change gave the tensor a new grad_fn (PyTorch's SavedVariable does so).
        self.saved_by = tensor.grad_fn.name() if is_output and tensor.grad_fn else None

    def unpack(self):
        if self.freed:
            raise RuntimeError(FREED_MESSAGE)
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


class Context:
    """What an op's forward leaves for its backward (PyTorch's ctx)."""

    __slots__ = ("saved", "needs_input_grad", "params", "__dict__")

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.saved: list[SavedTensor | None] = []
        self.needs_input_grad = needs_input_grad
        self.params: dict = {}

    def save_for_backward(self, *tensors) -> None:
        if self.needs_input_grad is None:  # no graph is being built: nothing to keep
            return
        self.saved = [None if t is None else SavedTensor(t) for t in tensors]

    @property
    def saved_tensors(self) -> tuple:
        return tuple(None if s is None else s.unpack() for s in self.saved)


class BackwardNode(Node):
    """The grad_fn of one op call: its registry entry, its ctx and its inputs."""

    def __init__(self, op, ctx: Context, next_functions: tuple, input_meta: tuple) -> None:
        super().__init__()
        self.op = op
        self.ctx = ctx
        self.next_functions = next_functions
        self.input_meta = input_meta  # (shape, dtype) per input, for checks and display
        self.released = False

    def name(self) -> str:
        return self.op.grad_fn

    def __repr__(self) -> str:
        return f"<{self.op.grad_fn} object at {id(self):#x}>"

    @property
    def saved_names(self) -> tuple[str, ...]:
        return tuple(f"_saved_{n}" for n, s in zip(self.op.saved_names, self.ctx.saved) if s)

    def __getattr__(self, attr: str):
        # _saved_self, _saved_other, _saved_result ... as PyTorch names them.
        if attr.startswith("_saved_"):
            ctx = self.__dict__.get("ctx")
            op = self.__dict__.get("op")
            if ctx is not None:
                name = attr[len("_saved_") :]
                if name in op.saved_names:
                    i = op.saved_names.index(name)
                    if i < len(ctx.saved) and ctx.saved[i] is not None:
                        return ctx.saved[i].unpack()
                    if self.released:
                        raise RuntimeError(FREED_MESSAGE)
                    return None
                if name in ctx.params:
                    return ctx.params[name]
        raise AttributeError(f"'{self.op.grad_fn}' object has no attribute '{attr}'")

    def apply(self, grad_outputs: tuple) -> tuple:
        if self.released and self.op.saved_names:
            raise RuntimeError(FREED_MESSAGE)
        if getattr(self.op, "multi_grad", False):
            grads = self.op.backward(self.ctx, *grad_outputs)
        else:
            grads = self.op.backward(self.ctx, grad_outputs[0])
        if not isinstance(grads, tuple):
            grads = (grads,)
        return grads

    def _release(self) -> bool:
        had = any(s is not None for s in self.ctx.saved)
        for s in self.ctx.saved:
            if s is not None:
                s.freed = True
                s.tensor = None
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
