"""Full backward hooks on a Module, done as torch does: identity Functions wrap the module's
inputs and outputs (BackwardHookFunctionBackward nodes), so the hook sees the gradients
with respect to the module's outputs and then to its inputs."""

from __future__ import annotations

import warnings

from ..._grad_mode import STATE
from ..._tensor import Tensor
from ...autograd.function import Function

NO_INPUT_GRAD_WARNING = (
    "Full backward hook is firing when gradients are computed with respect to module outputs "
    "since no inputs require gradients. See https://docs.pytorch.org/docs/main/generated/"
    "torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for more details."
)


class BackwardHookFunction(Function):
    @staticmethod
    def forward(ctx, *args):
        return args

    @staticmethod
    def backward(ctx, *grads):
        return grads


class BackwardHook:
    """One call's state: the gradients of the outputs, kept until the inputs' arrive."""

    def __init__(self, module, user_hooks: list) -> None:
        self.module = module
        self.user_hooks = user_hooks
        self.grad_outputs = None
        self.n_inputs = 0
        self.n_outputs = 0
        self.input_index: list[int] | None = None
        self.output_index: list[int] | None = None

    @staticmethod
    def _pack(index: list[int], values, size: int) -> tuple:
        out = [None] * size
        for i, v in zip(index, values):
            out[i] = v
        return tuple(out)

    def _wrap(self, args: tuple, on_node) -> tuple[tuple, list[int] | None]:
        index = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tensors = [args[i] for i in index]
        if not (STATE.grad_enabled and any(t.requires_grad for t in tensors)):
            return args, None
        new = BackwardHookFunction.apply(*tensors)
        if not isinstance(new, tuple):
            new = (new,)
        node = next(t.grad_fn for t in new if t.grad_fn is not None)
        on_node(node)
        out = list(args)
        for i, t, old in zip(index, new, tensors):
            out[i] = t if old.requires_grad else old
        return tuple(out), index

    def setup_input_hook(self, args: tuple) -> tuple:
        def on_node(node) -> None:
            def hook(grad_inputs, _grad_outputs):
                if self.grad_outputs is None:
                    return None  # the gradient reached the inputs without passing the outputs
                res = self._pack(self.input_index, grad_inputs, self.n_inputs)
                for user_hook in self.user_hooks:
                    out = user_hook(self.module, res, self.grad_outputs)
                    if out is None:
                        continue
                    if len(out) != len(res):
                        raise RuntimeError(
                            "Backward hook returned an invalid number of grad_input, got "
                            f"{len(out)}, but expected {len(res)}"
                        )
                    res = out
                self.grad_outputs = None
                return tuple(res[i] for i in self.input_index)

            node.register_hook(hook)

        self.n_inputs = len(args)
        args, self.input_index = self._wrap(args, on_node)
        return args

    def setup_output_hook(self, result):
        def on_node(node) -> None:
            def prehook(grad_outputs):
                self.grad_outputs = self._pack(self.output_index, grad_outputs, self.n_outputs)
                if self.input_index is None:  # no input needs a gradient: call the hooks now
                    warnings.warn(NO_INPUT_GRAD_WARNING, stacklevel=2)
                    grad_inputs = (None,) * self.n_inputs
                    for user_hook in self.user_hooks:
                        res = user_hook(self.module, grad_inputs, self.grad_outputs)
                        if res is not None and not (
                            isinstance(res, tuple) and all(r is None for r in res)
                        ):
                            raise RuntimeError(
                                "Backward hook for Modules where no input requires gradient "
                                "should always return None or None for all gradients."
                            )
                    self.grad_outputs = None
                return None

            node.register_prehook(prehook)

        single = not isinstance(result, tuple)
        outs = (result,) if single else result
        self.n_outputs = len(outs)
        outs, self.output_index = self._wrap(outs, on_node)
        return outs[0] if single else outs
