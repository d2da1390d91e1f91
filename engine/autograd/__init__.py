"""engine.autograd: backward, grad, custom Functions, functional helpers and recording."""

from __future__ import annotations

from .. import _missing
from .._autograd import recording as _record_module
from .._grad_mode import STATE
from .._tensor import Tensor
from . import functional, graph, profiler, recording, variable  # noqa: F401
from ._backward import make_seeds, run_backward
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .function import Function, FunctionCtx
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph import FREED_MESSAGE, AccumulateGrad, Node
from .recording import Recorder, record
from .variable import Variable

__all__ = [
    "AccumulateGrad",
    "FREED_MESSAGE",
    "Function",
    "FunctionCtx",
    "GradcheckError",
    "Node",
    "Recorder",
    "Variable",
    "backward",
    "detect_anomaly",
    "set_detect_anomaly",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "record",
]


def _as_tuple(x) -> tuple:
    if x is None:
        return ()
    if isinstance(x, (list, tuple)):
        return tuple(x)
    return (x,)


def _start(call: str, roots, seeds, implicit, retain_graph, create_graph) -> None:
    if STATE.recorders:
        _record_module._emit(
            _record_module.BackwardStarted,
            call,
            tuple(_record_module.info(r) for r in roots),
            tuple(_record_module.snapshot(s._data) for s in seeds),
            implicit,
            bool(retain_graph),
            bool(create_graph),
            _record_module.location(),
            tuple(None if imp else s._uid for s, imp in zip(seeds, implicit)),
        )


def _finish(call: str, error: BaseException | None) -> None:
    if STATE.recorders:
        _record_module._emit(
            _record_module.BackwardFinished, call, None if error is None else str(error)
        )


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of `tensors` into the .grad of the leaves."""
    roots = _as_tuple(tensors)
    grads = _as_tuple(grad_tensors) or (None,) * len(roots)
    seeds, implicit = make_seeds(roots, grads)
    if retain_graph is None:
        retain_graph = create_graph
    _start("backward", roots, seeds, implicit, retain_graph, create_graph)
    try:
        if inputs is not None:
            inputs = _as_tuple(inputs)
            captured = run_backward(roots, seeds, retain_graph, create_graph, inputs, False)
            for t, g in zip(inputs, captured):
                if g is not None:
                    from ._backward import _accumulate

                    _accumulate(t._accumulator(), g, create_graph, False)
        else:
            run_backward(roots, seeds, retain_graph, create_graph)
    except BaseException as err:
        _finish("backward", err)
        raise
    _finish("backward", None)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    only_inputs=True,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
):
    """Return the gradients of `outputs` with respect to `inputs` (no .grad is touched)."""
    roots = _as_tuple(outputs)
    ins = _as_tuple(inputs)
    if not ins:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    grads = _as_tuple(grad_outputs) or (None,) * len(roots)
    seeds, implicit = make_seeds(roots, grads)  # checks the outputs first, as PyTorch does
    for t in ins:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    _start("grad", roots, seeds, implicit, retain_graph, create_graph)
    try:
        captured = run_backward(roots, seeds, retain_graph, create_graph, ins, accumulate=False)
        if allow_unused is None:
            allow_unused = materialize_grads
        for i, g in enumerate(captured):
            if g is None and not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior."
                )
        if materialize_grads:
            from .._creation import zeros_like

            captured = [zeros_like(t) if g is None else g for t, g in zip(ins, captured)]
    except BaseException as err:
        _finish("grad", err)
        raise
    if STATE.recorders:
        _record_module._emit(
            _record_module.GradsReturned,
            tuple(_record_module.info(t) for t in ins),
            tuple(_record_module.info(g) if g is not None else None for g in captured),
        )
    _finish("grad", None)
    return tuple(captured)


def _tensor_backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    backward(self, gradient, retain_graph, create_graph, inputs=inputs)


# Tensor sits below this package, so the package that runs backward binds the method.
_tensor_backward.__name__ = "backward"
_tensor_backward.__qualname__ = "Tensor.backward"
Tensor.backward = _tensor_backward

__getattr__ = _missing.missing_attribute("torch.autograd", __name__)
