"""Fused loss ops, one node each as in torch: mse_loss, nll_loss, binary_cross_entropy and
binary_cross_entropy_with_logits. Backwards are engine ops (double backward works), with a
numpy shortcut when no graph is being built."""

from __future__ import annotations

import numpy as np

from .._registry import Op, apply, register
from .._rules import ENGINE, rule
from ._util import arr, building_graph, plain_grad

REDUCTIONS = ("none", "mean", "sum")
_ATEN_REDUCTION = {"none": 0, "mean": 1, "sum": 2}  # torch.ops.aten's reduction numbers


def check_reduction(reduction: str) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(x: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":
        return np.asarray(x.mean(dtype=x.dtype))
    if reduction == "sum":
        return np.asarray(x.sum(dtype=x.dtype))
    return x


def _const(like, values: np.ndarray):
    """A constant engine tensor in `like`'s dtype (no graph)."""
    return like.__class__._make(
        values.astype(like._data.dtype, copy=False), like._dtype, False, None
    )


def _upstream_scale(ctx, g):
    """The upstream gradient spread over the loss's elements: g/N for mean, g for sum
    (both broadcast), elementwise for none."""
    if ctx.params["reduction"] == "mean":
        n = int(np.prod(ctx.input_shapes[0], dtype=np.int64))
        return g / n if building_graph() else plain_grad(g, g._data / g._data.dtype.type(n))
    return g


@register
class MseLoss(Op):
    name, grad_fn, symbol = "mse_loss", "MseLossBackward0", "mse"
    input_names = ("self", "target")
    saved_names = ("self", "target")
    rules = (
        rule("self", "other", "2({self} − {target})·{grad}, over N for mean"),
        rule("target", "other", "−2({self} − {target})·{grad}, over N for mean"),
    )

    @classmethod
    def call(cls, input, target, reduction="mean"):  # noqa: A002
        return apply(cls, (input, target), {"reduction": check_reduction(reduction)})

    @staticmethod
    def forward(ctx, x, y, reduction):
        ctx.save_for_backward(x, y)
        d = arr(x) - arr(y)
        return _reduce(d * d, reduction)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        flags = ctx.needs_input_grad
        reduction = ctx.params["reduction"]
        if not building_graph():
            gx = _mse_grad(g._data, x._data, y._data, reduction)
            return (
                plain_grad(g, gx) if flags[0] else None,
                plain_grad(g, -gx) if flags[1] else None,
            )
        # PyTorch: self gets mse_loss_backward(grad, self, target), target the same with
        # the two swapped: two MseLossBackwardBackward0 nodes under create_graph.
        return (
            MseLossBackward.call(g, x, y, reduction) if flags[0] else None,
            MseLossBackward.call(g, y, x, reduction) if flags[1] else None,
        )


def _mse_grad(go: np.ndarray, x: np.ndarray, y: np.ndarray, reduction: str) -> np.ndarray:
    """mse_loss's gradient for `x`: 2(x − y)·grad, over N for mean (PyTorch's kernel)."""
    norm = 2.0 / x.size if reduction == "mean" else 2.0
    return (norm * (x - y) * go).astype(x.dtype, copy=False)


def _mse_double(m, gg, x, reduction: str):
    """PyTorch's mse_loss_double_backward: 2·gg, over N for mean."""
    out = m.mul_scalar(gg, 2)
    return m.div_scalar(out, x._data.size) if reduction == "mean" else out


@register
class MseLossBackward(Op):
    """mse_loss's backward as an op: create_graph records MseLossBackwardBackward0."""

    name, grad_fn, symbol = "mse_loss_backward", "MseLossBackwardBackward0", "mse′"
    input_names = ("grad_output", "self", "target")
    saved_names = ("grad_output", "self", "target")
    rules = (
        rule("grad_output", "other", "2({self} − {target}), over N for mean"),
        rule("self", "other", "2·{grad}·{grad_output}, over N for mean"),
        rule("target", "other", "−2·{grad}·{grad_output}, over N for mean"),
    )

    @classmethod
    def call(cls, g, x, y, reduction):
        return apply(cls, (g, x, y), {"reduction": reduction})

    @staticmethod
    def forward(ctx, g, x, y, reduction):
        ctx.save_for_backward(g, x, y)
        return _mse_grad(arr(g), arr(x), arr(y), reduction)

    @staticmethod
    def backward(ctx, gg):
        go, x, y = ctx.saved_tensors
        reduction = ctx.params["reduction"]
        flags = ctx.needs_input_grad
        d_go = d_x = d_y = None
        if flags[0]:  # summed down to grad_output's shape, as PyTorch's engine does
            from .._registry import unbroadcast

            d_go = unbroadcast(MseLossBackward.call(gg, x, y, reduction), go._data.shape)
        if flags[1] or flags[2]:
            both = gg * go
            d_x = _mse_double(ENGINE, both, x, reduction) if flags[1] else None
            d_y = -_mse_double(ENGINE, both, y, reduction) if flags[2] else None
        return d_go, d_x, d_y


@register
class NllLoss(Op):
    """−weight[t]·x[t], averaged by the total weight of the targets that count."""

    name, grad_fn, symbol = "nll_loss", "NllLossBackward0", "nll"
    saved_names = ("self", "target", "weight", "total_weight")
    rules = (
        rule("self", "index", "−{weight}[{target}]·{grad} at each target class, over Σw for mean"),
    )
    dtype_rule = "first"

    @classmethod
    def call(cls, input, target, weight=None, ignore_index=-100, reduction="mean"):  # noqa: A002
        check_reduction(reduction)
        x, t = input._data, target._data
        if x.ndim < 1 or x.ndim > 1 and t.shape != x.shape[:1] + x.shape[2:]:
            if x.ndim == 2 and t.ndim == 1:
                raise ValueError(
                    f"Expected input batch_size ({x.shape[0]}) to match target batch_size "
                    f"({t.shape[0]})."
                )
            raise RuntimeError(f"expected target of shape {list(x.shape[:1] + x.shape[2:])}")
        if target._dtype.is_floating_point:
            raise RuntimeError(
                f"expected scalar type Long but found {target._dtype.legacy.replace('Tensor', '')}"
            )
        c = x.shape[1] if x.ndim > 1 else x.shape[0]
        valid = t != ignore_index
        if np.any((t[valid] < 0) | (t[valid] >= c)):
            bad = int(t[valid][(t[valid] < 0) | (t[valid] >= c)][0])
            raise IndexError(f"Target {bad} is out of bounds.")
        params = {
            "target": target,
            "weight": weight,
            "ignore_index": ignore_index,
            "reduction": reduction,
        }
        return apply(cls, (input,), params)

    @staticmethod
    def _picked(x: np.ndarray, t: np.ndarray, w, ignore_index: int):
        """Per-target (weight, class-axis mask) with ignored targets at weight 0."""
        valid = t != ignore_index
        safe = np.where(valid, t, 0)
        wt = (w[safe] if w is not None else np.ones(t.shape, x.dtype)) * valid
        wt = wt.astype(x.dtype, copy=False)
        if x.ndim == 1:
            return wt, np.arange(x.shape[0]) == safe
        classes = np.arange(x.shape[1]).reshape((1, -1) + (1,) * (x.ndim - 2))
        return wt, classes == np.expand_dims(safe, 1)

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction):
        ctx.save_for_backward(x)
        xa = arr(x)
        w = None if weight is None else weight._data
        wt, onehot = NllLoss._picked(xa, target._data, w, ignore_index)
        axis = 1 if xa.ndim > 1 else 0
        picked = np.sum(np.where(onehot, xa, 0), axis=axis, dtype=xa.dtype)
        losses = -wt * picked
        total = np.asarray(wt.sum(dtype=xa.dtype))
        ctx.total_weight = total
        if reduction == "none":
            return losses
        s = np.asarray(losses.sum(dtype=xa.dtype))
        if reduction == "sum":
            return s
        with np.errstate(invalid="ignore", divide="ignore"):
            return s / total

    @staticmethod
    def backward(ctx, g):
        if not building_graph():
            values = _nll_grad(g._data, ctx.input_shapes[0], ctx.params, ctx.total_weight)
            return (plain_grad(g, values),)
        (x,) = ctx.saved_tensors
        return (NllLossBackward.call(g, x, dict(ctx.params, total_weight=ctx.total_weight)),)


def _nll_grad(go: np.ndarray, shape: tuple, p: dict, total_weight) -> np.ndarray:
    """nll_loss's gradient: −w[t]·grad at each target class (over Σw for mean), 0 elsewhere."""
    zeros = np.zeros(shape, dtype=go.dtype)
    w = None if p["weight"] is None else p["weight"]._data
    wt, onehot = NllLoss._picked(zeros, p["target"]._data, w, p["ignore_index"])
    axis = 1 if len(shape) > 1 else 0
    if p["reduction"] == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            wt = wt / total_weight
    factor = np.where(onehot, -np.expand_dims(wt, axis), zeros).astype(go.dtype, copy=False)
    if p["reduction"] == "none" and len(shape) > 1:
        go = np.expand_dims(go, axis)
    return go * factor


@register
class NllLossBackward(Op):
    """nll_loss's backward as an op: create_graph records NllLossBackwardBackward0."""

    name, grad_fn, symbol = "nll_loss_backward", "NllLossBackwardBackward0", "nll′"
    input_names = ("grad_output", "self")
    dtype_rule = "first"
    rules = (
        rule("grad_output", "index", "nll_loss({grad}, {target}): −{weight}[{target}]·{grad}"),
        rule("self", "other", "0"),
    )

    @classmethod
    def call(cls, g, x, params: dict):
        return apply(cls, (g, x), params)

    @staticmethod
    def forward(ctx, g, x, target, weight, ignore_index, reduction, total_weight):
        shape = arr(x).shape
        p = {"target": target, "weight": weight, "ignore_index": ignore_index}
        return _nll_grad(arr(g), shape, {**p, "reduction": reduction}, total_weight)

    @staticmethod
    def backward(ctx, gg):
        # PyTorch: grad_output gets nll_loss(grad, target, ...), self gets zeros.
        p = ctx.params
        flags = ctx.needs_input_grad
        d_go = None
        if flags[0]:
            d_go = NllLoss.call(
                gg, p["target"], p["weight"], p["ignore_index"], reduction=p["reduction"]
            )
        d_x = ENGINE.zeros_like(gg) if flags[1] else None
        return d_go, d_x


def _check_unit_interval(x: np.ndarray) -> None:
    if np.any((x < 0) | (x > 1)):
        raise RuntimeError("all elements of input should be between 0 and 1")


@register
class BinaryCrossEntropy(Op):
    name, grad_fn, symbol = "binary_cross_entropy", "BinaryCrossEntropyBackward0", "bce"
    input_names = ("self", "target")
    saved_names = ("self", "target", "weight")
    rules = (
        rule("self", "other", "{weight}·({self} − {target})/({self}(1 − {self}))·{grad}"),
        rule("target", "other", "{weight}·(ln(1 − {self}) − ln {self})·{grad}"),
    )

    @classmethod
    def call(cls, input, target, weight=None, reduction="mean"):  # noqa: A002
        _check_unit_interval(input._data)
        params = {"weight": weight, "reduction": check_reduction(reduction)}
        return apply(cls, (input, target), params)

    @staticmethod
    def forward(ctx, x, y, weight, reduction):
        ctx.save_for_backward(x, y)
        xa, ya = arr(x), arr(y)
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(xa), -100)
            log_1mx = np.maximum(np.log1p(-xa), -100)
        loss = (ya - 1) * log_1mx - ya * log_x
        if weight is not None:
            loss = loss * weight._data
        return _reduce(loss.astype(xa.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        w = ctx.params["weight"]
        flags = ctx.needs_input_grad
        scale = _upstream_scale(ctx, g)
        if w is not None:
            scale = scale * _const(g, w._data)
        eps = 1e-12
        if not building_graph():
            xa, ya, s = x._data, y._data, scale._data
            gx = gy = None
            if flags[0]:
                gx = plain_grad(
                    g, (s * (xa - ya) / np.maximum((1 - xa) * xa, eps)).astype(xa.dtype)
                )
            if flags[1]:
                with np.errstate(divide="ignore"):
                    diff = np.maximum(np.log1p(-xa), -100) - np.maximum(np.log(xa), -100)
                gy = plain_grad(g, (s * diff).astype(xa.dtype))
            return gx, gy
        gx = scale * (x - y) / ((1 - x) * x).clamp(min=eps) if flags[0] else None
        gy = None
        if flags[1]:
            gy = scale * ((1 - x).log().clamp(min=-100) - x.log().clamp(min=-100))
        return gx, gy


def _log_sigmoid(x):
    """log σ(x) = min(x, 0) − log(1 + e^−|x|), with engine ops (stable)."""
    return x.clamp(max=0) - ((-x.abs()).exp() + 1).log()


def _np_log_sigmoid(x: np.ndarray) -> np.ndarray:
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


@register
class BinaryCrossEntropyWithLogits(Op):
    name = "binary_cross_entropy_with_logits"
    grad_fn, symbol = "BinaryCrossEntropyWithLogitsBackward0", "bce·σ"
    input_names = ("self", "target")
    saved_names = ("self", "target", "weight", "pos_weight")
    rules = (
        rule(
            "self",
            "other",
            "{weight}·(({pos_weight}·{target} + 1 − {target})σ({self}) − {pos_weight}·{target})·{grad}",
        ),
        rule("target", "other", "{weight}·(ln σ(−{self}) − {pos_weight}·ln σ({self}))·{grad}"),
    )

    @classmethod
    def call(cls, input, target, weight=None, pos_weight=None, reduction="mean"):  # noqa: A002
        params = {
            "weight": weight,
            "pos_weight": pos_weight,
            "reduction": check_reduction(reduction),
        }
        return apply(cls, (input, target), params)

    @staticmethod
    def forward(ctx, x, y, weight, pos_weight, reduction):
        ctx.save_for_backward(x, y)
        xa, ya = arr(x), arr(y)
        lw = 1 if pos_weight is None else (pos_weight._data - 1) * ya + 1
        loss = (1 - ya) * xa - lw * _np_log_sigmoid(xa)
        if weight is not None:
            loss = loss * weight._data
        return _reduce(np.asarray(loss, dtype=xa.dtype), reduction)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        p = ctx.params
        flags = ctx.needs_input_grad
        scale = _upstream_scale(ctx, g)
        if p["weight"] is not None:
            scale = scale * _const(g, p["weight"]._data)
        pw = None if p["pos_weight"] is None else _const(g, p["pos_weight"]._data)
        gx = gy = None
        if flags[0]:
            if pw is None:
                gx = (x.sigmoid() - y) * scale
            else:
                t = pw * y
                gx = ((t + 1 - y) * x.sigmoid() - t) * scale
        if flags[1]:
            if pw is None:
                gy = -x * scale
            else:
                gy = (_log_sigmoid(-x) - _log_sigmoid(x) * pw) * scale
        return gx, gy
