"""Custom differentiable operations, PyTorch style: subclass Function, write forward and
backward as static methods, call `.apply`.

Both of torch's styles work: `forward(ctx, *args)`, or `forward(*args)` with a separate
`setup_context(ctx, inputs, output)`. Outputs a backward did not receive a gradient for get
zeros (or None after `ctx.set_materialize_grads(False)`), so backward always gets one
argument per output.
"""

from __future__ import annotations

import functools

from .._grad_mode import STATE, _Scope
from .graph import BackwardNode, Context, Node


class FunctionCtx(Context):
    """ctx for custom Functions: save_for_backward, saved_tensors, needs_input_grad."""

    def mark_non_differentiable(self, *tensors) -> None:
        self.non_differentiable = tensors

    def mark_dirty(self, *tensors) -> None:
        self.dirty = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value


class _FunctionOp:
    """Adapts a Function subclass to what BackwardNode expects of a registry op."""

    def __init__(self, fn_cls, n_args: int, tensor_positions: tuple) -> None:
        self.fn_cls = fn_cls
        self.grad_fn = f"{fn_cls.__name__}Backward"
        self.name = fn_cls.__name__
        self.saved_names = ()
        self.n_args = n_args
        self.positions = tensor_positions
        self.multi_grad = True

    def backward(self, ctx, *grad_outputs):
        with _Scope(STATE.grad_enabled):
            grads = self.fn_cls.backward(ctx, *grad_outputs)
        if not isinstance(grads, tuple):
            grads = (grads,)
        if len(grads) > self.n_args and all(g is None for g in grads[self.n_args :]):
            grads = grads[: self.n_args]
        if len(grads) != self.n_args:
            raise RuntimeError(
                f"function {self.grad_fn} returned an incorrect number of gradients "
                f"(expected {self.n_args}, got {len(grads)})"
            )
        for i, g in enumerate(grads):
            if g is not None and i not in self.positions:
                raise RuntimeError(
                    f"function {self.grad_fn} returned a gradient different than None at "
                    f"position {i + 1}, but the corresponding forward input was not a Variable"
                )
        return tuple(
            _fit(self.grad_fn, grads[i], ctx.input_shapes[k], i)
            for k, i in enumerate(self.positions)
        )


def _fit(name: str, g, shape: tuple, i: int):
    """A returned gradient of a broadcastable shape is summed down, as torch does."""
    if g is None or tuple(g.shape) == shape:
        return g
    from .._registry import unbroadcast

    try:
        lead = g.ndim - len(shape)
        ok = lead >= 0 and all(s == n or s == 1 for s, n in zip(shape, tuple(g.shape)[lead:]))
    except AttributeError:
        ok = False
    if not ok:
        raise RuntimeError(
            f"Function {name} returned an invalid gradient at index {i} - got "
            f"{list(g.shape)} but expected shape compatible with {list(shape)}"
        )
    return unbroadcast(g, shape)


class FunctionNode(BackwardNode):
    """The grad_fn of one custom Function call (torch's <module>.<Name>Backward)."""

    def __repr__(self) -> str:
        return f"<torch.autograd.function.{self.op.grad_fn} object at {id(self):#x}>"

    def apply(self, grad_outputs: tuple) -> tuple:
        n = len(self.ctx.output_meta)
        if len(grad_outputs) < n:
            grad_outputs = tuple(grad_outputs) + (None,) * (n - len(grad_outputs))
        grad_outputs = tuple(
            self.missing_grad(i) if g is None else g for i, g in enumerate(grad_outputs)
        )
        return self.op.backward(self.ctx, *grad_outputs)

    def missing_grad(self, i: int):
        """Zeros like output i, unless the Function turned materialization off."""
        if not getattr(self.ctx, "materialize_grads", True):
            return None
        import numpy as np

        from .._tensor import Tensor

        shape, d = self.ctx.output_meta[i]
        return Tensor._make(np.zeros(shape, d.np), d, False, None)


def _overrides(cls, name: str) -> bool:
    return getattr(cls, name) is not getattr(Function, name)


class Function:
    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement the backward for your custom Function.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        from .. import _registry
        from .._tensor import LEAF_INPLACE_ERROR, Tensor

        positions = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor))
        tensors = tuple(args[i] for i in positions)
        needs = STATE.grad_enabled and any(t.requires_grad for t in tensors)
        ctx = FunctionCtx(
            tuple(isinstance(a, Tensor) and a.requires_grad for a in args) if needs else None
        )
        with _Scope(False):
            if _overrides(cls, "setup_context"):
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        dirty = getattr(ctx, "dirty", ())
        for t in dirty:
            t._vc[0] += 1
        if not needs:
            return out
        outs = out if isinstance(out, tuple) else (out,)
        ctx.input_shapes = tuple(t._data.shape for t in tensors)
        ctx.output_meta = tuple(
            (o._data.shape, o._dtype) if isinstance(o, Tensor) else ((), None) for o in outs
        )
        node = FunctionNode(
            _FunctionOp(cls, len(args), positions),
            ctx,
            tuple(_registry._edge(t) for t in tensors),
        )
        non_diff = getattr(ctx, "non_differentiable", ())
        results = []
        for i, o in enumerate(outs):
            if isinstance(o, Tensor) and o._dtype.is_floating_point:
                if any(o is t for t in non_diff):
                    results.append(o)
                    continue
                if any(o is t for t in dirty):
                    if o.requires_grad and o.grad_fn is None:
                        raise RuntimeError(LEAF_INPLACE_ERROR)
                elif any(o is t for t in tensors):
                    # returned an input unchanged: a new tensor on the same storage
                    src = o
                    o = Tensor._make(src._data, src._dtype, False, None)
                    o._vc = src._vc
                o.grad_fn, o.requires_grad_flag, o._output_nr = node, True, i
            results.append(o)
        first = next((r for r in results if isinstance(r, Tensor)), None)
        if STATE.recorders and first is not None:
            # One op of the graph, as in PyTorch; the ops inside its forward ran untracked.
            from .._autograd import recording

            recording.op_ran(node.op, tensors, first, node, {})
        return tuple(results) if isinstance(out, tuple) else results[0]


class InplaceFunction(Function):
    def __init__(self, inplace: bool = False) -> None:
        self.inplace = inplace


class _DelayedError(Node):
    """The grad_fn of a once_differentiable backward's results: differentiating again fails."""

    _display_name = "torch::autograd::DelayedError"

    def __init__(self, message: str, edges: tuple) -> None:
        super().__init__()
        self.message = message
        self.next_functions = edges

    def name(self) -> str:
        return self._display_name

    def apply(self, grad_outputs: tuple) -> tuple:
        raise RuntimeError(self.message)


def once_differentiable(fn):
    """Decorate a backward that is not itself differentiable: it runs under no_grad, and a
    second differentiation through it raises, as in torch."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        from .. import _registry
        from .._tensor import Tensor

        with _Scope(False):
            outputs = fn(ctx, *args)
        if not STATE.grad_enabled:
            return outputs
        grads_in = [a for a in args if isinstance(a, Tensor) and a.requires_grad]
        if not grads_in:
            return outputs
        node = _DelayedError(
            "trying to differentiate twice a function that was marked with @once_differentiable",
            tuple(_registry._edge(a) for a in grads_in),
        )
        single = not isinstance(outputs, tuple)
        wrapped = []
        for o in (outputs,) if single else outputs:
            if isinstance(o, Tensor) and o._dtype.is_floating_point:
                o = Tensor._make(o._data, o._dtype, True, node)
            wrapped.append(o)
        return wrapped[0] if single else tuple(wrapped)

    return wrapper
