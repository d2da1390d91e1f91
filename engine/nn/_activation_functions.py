"""The activations of torch.nn.functional beyond relu/tanh/sigmoid (re-exported by
nn.functional): each runs the op, or the composition of ops, torch runs, so the grad_fn
nodes carry torch's names (relu6 is hardtanh(0, 6), softmin is softmax(−x))."""

from __future__ import annotations

import warnings

import numpy as np

from .. import _dtype as dt
from .._ops.activations import ClampMin, Elu, Gelu, Hardtanh, Silu, Softplus
from .._ops.elementwise import LogSigmoid
from .._ops.reductions import Norm, Softmax
from .._tensor import Tensor

__all__ = [
    "elu",
    "elu_",
    "gelu",
    "hardtanh",
    "hardtanh_",
    "logsigmoid",
    "normalize",
    "one_hot",
    "relu6",
    "silu",
    "softmin",
    "softplus",
]


def _maybe_inplace(input: Tensor, name: str, out: Tensor, inplace: bool) -> Tensor:  # noqa: A002
    return input._inplace(name, out._data, out) if inplace else out


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    return Gelu.call(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return _maybe_inplace(input, "silu_", Silu.call(input), inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    return _maybe_inplace(input, "elu_", Elu.call(input, alpha), inplace)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    return elu(input, alpha, inplace=True)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    return Softplus.call(input, beta, threshold)


def hardtanh(
    input: Tensor,  # noqa: A002
    min_val: float = -1.0,
    max_val: float = 1.0,
    inplace: bool = False,
) -> Tensor:
    return _maybe_inplace(input, "hardtanh_", Hardtanh.call(input, min_val, max_val), inplace)


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
