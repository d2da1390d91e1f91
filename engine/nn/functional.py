"""nn.functional: the stateless functions behind the layers, dispatching to the same ops
(and so the same grad_fn nodes) torch's functions run."""

from __future__ import annotations

import warnings

import numpy as np

from .. import _dtype as dt
from .. import _missing
from .._ops.elementwise import Relu, Sigmoid, Tanh
from .._ops.losses import (
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    MseLoss,
    NllLoss,
    check_reduction,
)
from .._ops.nn_ops import Addmm, Embedding, LeakyRelu, SqueezeInplaceDim
from .._ops.reductions import LogSoftmax, Softmax
from .._ops.shape import UnsafeView
from .._tensor import Tensor
from ._activation_functions import *  # noqa: F403
from ._activation_functions import __all__ as _activation_all

__all__ = [
    *_activation_all,
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "dropout",
    "embedding",
    "l1_loss",
    "leaky_relu",
    "linear",
    "log_softmax",
    "mse_loss",
    "nll_loss",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """x @ Wᵀ + b, built from the nodes torch builds: addmm on 2-D input (views around it
    otherwise), mm without a bias."""
    nd = input._data.ndim
    if bias is not None:
        if nd == 2:
            return Addmm.call(bias, input, weight.t())
        flat = input.reshape(-1, input._data.shape[-1]) if nd else input.reshape(1, 1)
        out = Addmm.call(bias, flat, weight.t())
        return out.view(*input._data.shape[:-1], weight._data.shape[0])
    if nd == 2:
        return input.mm(weight.t())
    if nd == 1:
        return SqueezeInplaceDim.call(input.unsqueeze(0).mm(weight.t()), 0)
    out = input.reshape(-1, input._data.shape[-1]).mm(weight.t())
    return UnsafeView.call(out, *input._data.shape[:-1], weight._data.shape[0])


def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return input.relu_() if inplace else Relu.call(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    if inplace:
        return leaky_relu_(input, negative_slope)  # noqa: F405 - from _activation_functions
    return LeakyRelu.call(input, negative_slope)


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    return Tanh.call(input)


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    return Sigmoid.call(input)


def _softmax_dim(ndim: int) -> int:
    warnings.warn(
        "Implicit dimension choice for softmax has been deprecated. Change the call to "
        "include dim=X as an argument.",
        UserWarning,
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:  # noqa: A002
    if dim is None:
        dim = _softmax_dim(input.dim())
    if dtype is not None:
        input = input.to(dtype)
    return Softmax.call(input, dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None):  # noqa: A002
    if dim is None:
        dim = _softmax_dim(input.dim())
    if dtype is not None:
        input = input.to(dtype)
    return LogSoftmax.call(input, dim)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):  # noqa: A002
    """Zero each element with probability p and scale the rest by 1/(1−p). The mask is
    drawn as torch's CPU kernel draws it: bernoulli_(1 − p) on a tensor shaped like the
    input, then divided by 1 − p."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        zero = Tensor._make(np.zeros((), dtype=input._data.dtype), input._dtype, False, None)
        return input.mul_(zero) if inplace else input * zero
    from .._creation import empty

    noise = empty(input.shape, dtype=input.dtype)
    noise.bernoulli_(1 - p)
    noise.div_(1 - p)
    return input.mul_(noise) if inplace else input * noise


def embedding(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    if padding_idx is not None:
        n = weight.size(0)
        if not -n <= padding_idx < n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx %= n
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError(
            "embedding: max_norm, scale_grad_by_freq and sparse are not supported by this engine"
        )
    return Embedding.call(weight, input, padding_idx)


# ----- losses --------------------------------------------------------------------------
def _legacy_reduction(size_average, reduce, reduction: str) -> str:
    """The deprecated size_average/reduce flags, mapped as torch maps them."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn(
        "size_average and reduce args will be deprecated, please use reduction='"
        + _legacy_string(size_average, reduce)
        + "' instead.",
        UserWarning,
        stacklevel=3,
    )
    return _legacy_string(size_average, reduce)


def _legacy_string(size_average, reduce) -> str:
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        return "mean"
    return "sum" if reduce else "none"


def _broadcast_pair(input: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:  # noqa: A002
    shape = tuple(np.broadcast_shapes(input._data.shape, target._data.shape))
    if input._data.shape != shape:
        input = input.expand(*shape)
    if target._data.shape != shape:
        target = target.expand(*shape)
    return input, target


def _size_warning(input: Tensor, target: Tensor) -> None:  # noqa: A002
    if target.size() != input.size():
        warnings.warn(
            f"Using a target size ({target.size()}) that is different to the input size "
            f"({input.size()}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            UserWarning,
            stacklevel=3,
        )


def mse_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    _size_warning(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    x, y = _broadcast_pair(input, target)
    if weight is not None:
        if weight.size() != input.size():
            raise ValueError("Weights and input must have the same size.")
        weighted = (x - y) ** 2 * weight
        if reduction == "none":
            return weighted
        if reduction == "sum":
            return weighted.sum()
        return weighted.sum() / weight.sum()
    return MseLoss.call(x, y, reduction)


def l1_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """torch composes it: (x − y).abs(), then mean or sum (SubBackward0, AbsBackward0, ...)."""
    _size_warning(input, target)
    reduction = check_reduction(_legacy_reduction(size_average, reduce, reduction))
    x, y = _broadcast_pair(input, target)
    loss = (x - y).abs()
    if weight is not None:
        loss = loss * weight
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def nll_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return NllLoss.call(input, target, weight, ignore_index, reduction)


def cross_entropy(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """log_softmax over the class dimension, then nll_loss (class-index targets), or
    −Σ target·log_softmax for class probabilities."""
    reduction = check_reduction(_legacy_reduction(size_average, reduce, reduction))
    class_dim = 0 if input.dim() == 1 else 1
    logp = LogSoftmax.call(input, class_dim)
    if target._dtype.is_floating_point:
        return _cross_entropy_probs(logp, target, weight, reduction, label_smoothing, class_dim)
    loss = NllLoss.call(logp, target, weight, ignore_index, reduction)
    if label_smoothing > 0:
        smooth = _smoothing_term(logp, target, weight, ignore_index, reduction, class_dim)
        loss = loss * (1 - label_smoothing) + smooth * (label_smoothing / logp.shape[class_dim])
    return loss


def _class_weight_view(weight: Tensor, logp: Tensor, class_dim: int) -> Tensor:
    shape = [1] * logp.dim()
    shape[class_dim] = weight.shape[0]
    return weight.view(*shape)


def _smoothing_term(logp, target, weight, ignore_index, reduction, class_dim):
    """The uniform part of label smoothing: −Σ_c w_c·log p_c per sample, ignored targets 0."""
    x = logp if weight is None else logp * _class_weight_view(weight, logp, class_dim)
    per = -x.sum(class_dim)
    keep = Tensor._make((target._data != ignore_index), dt.bool_, False, None)
    per = per * keep
    if reduction == "sum":
        return per.sum()
    if reduction == "none":
        return per
    if weight is None:
        return per.sum() / float(keep._data.sum())
    w = weight._data[np.where(keep._data, target._data, 0)] * keep._data
    return per.sum() / float(w.sum())


def _cross_entropy_probs(logp, target, weight, reduction, label_smoothing, class_dim):
    if target.shape != logp.shape:
        raise RuntimeError(
            "Expected target size " + str(list(logp.shape)) + ", got " + str(list(target.shape))
        )
    n_classes = logp.shape[class_dim]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    x = logp * target
    if weight is not None:
        x = x * _class_weight_view(weight, logp, class_dim)
    if reduction == "none":
        return -x.sum(class_dim)
    total = -x.sum()
    if reduction == "sum":
        return total
    return total / (logp.numel() / n_classes)


def binary_cross_entropy(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if target.size() != input.size():
        raise ValueError(
            f"Using a target size ({target.size()}) that is different to the input size "
            f"({input.size()}) is deprecated. Please ensure they have the same size."
        )
    if weight is not None:
        shape = np.broadcast_shapes(target._data.shape, weight._data.shape)
        weight = weight.expand(*shape) if weight._data.shape != shape else weight
    return BinaryCrossEntropy.call(input, target, weight, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if target.size() != input.size():
        raise ValueError(
            f"Target size ({target.size()}) must be the same as input size ({input.size()})"
        )
    return BinaryCrossEntropyWithLogits.call(input, target, weight, pos_weight, reduction)


__getattr__ = _missing.missing_attribute("torch.nn.functional", __name__)  # speaks of torch
