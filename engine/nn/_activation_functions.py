"""The activations of torch.nn.functional beyond relu/tanh/sigmoid (re-exported by
nn.functional): each runs the op, or the composition of ops, torch runs, so the grad_fn
nodes carry torch's names (relu6 is hardtanh(0, 6), softmin is softmax(−x))."""

from __future__ import annotations

import warnings

import numpy as np

from .. import _dtype as dt
from .._grad_mode import STATE
from .._ops.activations import ClampMin, Elu, EluInplace, Gelu, Hardtanh, Silu, Softplus
from .._ops.elementwise import LogSigmoid
from .._ops.nn_ops import LeakyReluInplace
from .._ops.reductions import Norm, Softmax
from .._tensor import LEAF_INPLACE_ERROR, Tensor

__all__ = [
    "elu",
    "elu_",
    "gelu",
    "hardtanh",
    "hardtanh_",
    "leaky_relu_",
    "logsigmoid",
    "normalize",
    "one_hot",
    "relu6",
    "silu",
    "softmin",
    "softplus",
]


def _original(t: Tensor) -> Tensor:
    """What torch saves for an in-place op whose derivative reads the input it overwrites
    (silu_; hardtanh_ reads its output, which gives the same mask): a copy of the original,
    on the same graph edge and with the same identity, that the write does not touch."""
    c = Tensor._make(t._data.copy(), t._dtype, t.requires_grad_flag, t.grad_fn)
    c._output_nr, c._uid = t._output_nr, t._uid
    return c


def _check_leaf(t: Tensor) -> None:
    if t.requires_grad_flag and t.grad_fn is None and STATE.grad_enabled:
        raise RuntimeError(LEAF_INPLACE_ERROR)  # before the op runs (and is recorded)


def _inplace(input: Tensor, name: str, op, *params) -> Tensor:  # noqa: A002
    _check_leaf(input)
    out = op.call(_original(input), *params)
    return input._inplace(name, out._data, out)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    return Gelu.call(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return _inplace(input, "silu_", Silu) if inplace else Silu.call(input)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    if inplace:  # torch's elu_ saves its output, not the input it overwrites (EluBackward1)
        _check_leaf(input)
        out = EluInplace.call(input, alpha)
        return input._inplace("elu_", out._data, out)
    return Elu.call(input, alpha)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    return elu(input, alpha, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:  # noqa: A002
    # Like elu_: torch saves the output, not the input it overwrites (LeakyReluBackward1).
    _check_leaf(input)
    out = LeakyReluInplace.call(input, negative_slope)
    return input._inplace("leaky_relu_", out._data, out)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    return Softplus.call(input, beta, threshold)


def hardtanh(
    input: Tensor,  # noqa: A002
    min_val: float = -1.0,
    max_val: float = 1.0,
    inplace: bool = False,
) -> Tensor:
    if inplace:
        return _inplace(input, "hardtanh_", Hardtanh, min_val, max_val)
    return Hardtanh.call(input, min_val, max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:  # noqa: A002
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return hardtanh(input, 0.0, 6.0, inplace)


def logsigmoid(input: Tensor) -> Tensor:  # noqa: A002
    return LogSigmoid.call(input)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:  # noqa: A002
    if dim is None:
        warnings.warn(
            "Implicit dimension choice for softmin has been deprecated. Change the call to "
            "include dim=X as an argument.",
            UserWarning,
            stacklevel=_stacklevel - 1,
        )
        dim = 0 if input.dim() in (0, 1, 3) else 1
    x = -input
    if dtype is not None:
        x = x.to(dtype)
    return Softmax.call(x, dim)


def normalize(
    input: Tensor,  # noqa: A002
    p: float = 2.0,
    dim: int = 1,
    eps: float = 1e-12,
    out: Tensor | None = None,
) -> Tensor:
    """x / max(‖x‖_p, eps) along dim, composed as torch composes it (norm, clamp_min,
    expand_as, div), so its nodes are torch's."""
    denom = ClampMin.call(Norm.call(input, p, dim, True), eps).expand_as(input)
    if out is not None:
        return out.copy_(input / denom)
    return input / denom


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """An int64 tensor with a trailing class dimension: 1 at each value's class. No grad."""
    if tensor._dtype is not dt.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    idx = tensor._data
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(idx.max()) + 1
    if idx.size:
        if idx.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if idx.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    values = (idx[..., None] == np.arange(num_classes)).astype(np.int64)
    return Tensor._make(values, dt.int64, False, None)
