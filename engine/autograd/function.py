"""Custom differentiable operations, PyTorch style: subclass Function, write forward and
backward as static methods, call `.apply`."""

from __future__ import annotations

from .._grad_mode import STATE, _Scope
from .graph import BackwardNode, Context


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

    def __init__(self, fn_cls, tensor_positions: tuple) -> None:
        self.fn_cls = fn_cls
        self.grad_fn = f"{fn_cls.__name__}Backward"
        self.name = fn_cls.__name__
        self.saved_names = ()
        self.positions = tensor_positions
        self.multi_grad = True

    def backward(self, ctx, *grad_outputs):
        with _Scope(STATE.grad_enabled):
            grads = self.fn_cls.backward(ctx, *grad_outputs)
        if not isinstance(grads, tuple):
            grads = (grads,)
        return tuple(grads[i] if i < len(grads) else None for i in self.positions)


class Function:
    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement the backward for your custom Function.")

    @classmethod
    def apply(cls, *args):
        from .. import _registry
        from .._tensor import Tensor

        positions = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor))
        tensors = tuple(args[i] for i in positions)
        needs = STATE.grad_enabled and any(t.requires_grad for t in tensors)
        ctx = FunctionCtx(
            tuple(isinstance(a, Tensor) and a.requires_grad for a in args) if needs else None
        )
        with _Scope(False):
            out = cls.forward(ctx, *args)
        if not needs:
            return out
        outs = out if isinstance(out, tuple) else (out,)
        node = BackwardNode(
            _FunctionOp(cls, positions), ctx, tuple(_registry._edge(t) for t in tensors)
        )
        results = []
        for i, o in enumerate(outs):
            if isinstance(o, Tensor) and o._dtype.is_floating_point:
                if any(
                    o is t for t in tensors
                ):  # returned an input unchanged: give it its own identity
                    o = Tensor._make(o._data, o._dtype, False, None)
                o.grad_fn, o.requires_grad_flag, o._output_nr = node, True, i
            results.append(o)
        return tuple(results) if isinstance(out, tuple) else results[0]
