"""Fused loss ops, one node each as in torch: mse_loss, nll_loss, binary_cross_entropy and
binary_cross_entropy_with_logits. Backwards are engine ops (double backward works), with a
numpy shortcut when no graph is being built."""

from __future__ import annotations

import numpy as np

from .._registry import Op, apply, register
from .._rules import ENGINE, NUMPY, rule
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
        w, reduction = ctx.params["weight"], ctx.params["reduction"]
        flags = ctx.needs_input_grad
        n = x._data.size
        if not building_graph():
            wa = None if w is None else w._data
            gx = gy = None
            if flags[0]:
                gx = plain_grad(g, _bce_grad(g._data, x._data, y._data, wa, reduction))
            if flags[1]:
                with np.errstate(divide="ignore", invalid="ignore"):
                    values = _bce_target_grad(NUMPY, g._data, x._data, wa, reduction, n)
                gy = plain_grad(g, np.asarray(values).astype(x._data.dtype, copy=False))
            return gx, gy
        return (
            BinaryCrossEntropyBackward.call(g, x, y, w, reduction) if flags[0] else None,
            _bce_target_grad(ENGINE, g, x, w, reduction, n) if flags[1] else None,
        )


_BCE_EPS = 1e-12


def _bce_grad(go: np.ndarray, x: np.ndarray, y: np.ndarray, w, reduction: str) -> np.ndarray:
    """binary_cross_entropy's gradient for the input (PyTorch's kernel):
    grad·(x − y)/max(x(1 − x), 1e-12), times the weight, over N for mean."""
    out = go * (x - y) / np.maximum((1 - x) * x, _BCE_EPS)
    if w is not None:
        out = out * w
    if reduction == "mean":
        out = out / x.size
    return out.astype(x.dtype, copy=False)


def _bce_target_grad(m, g, x, w, reduction: str, n: int):
    """PyTorch's binary_cross_entropy_target_backward: −logit(x)·grad (·weight, over N)."""
    out = -m.logit(x) * g
    if w is not None:
        out = out * w
    return m.div_scalar(out, n) if reduction == "mean" else out


@register
class BinaryCrossEntropyBackward(Op):
    """binary_cross_entropy's backward as an op: BinaryCrossEntropyBackwardBackward0."""

    name, grad_fn = "binary_cross_entropy_backward", "BinaryCrossEntropyBackwardBackward0"
    symbol = "bce′"
    input_names = ("grad_output", "self", "target")
    saved_names = ("grad_output", "self", "target")
    rules = (
        rule(
            "grad_output", "other", "({self} − {target})/({self}(1 − {self})), summed for mean/sum"
        ),
        rule(
            "self",
            "other",
            "{grad}·{grad_output}·({self}² − 2{self}{target} + {target})/({self}(1 − {self}))²",
        ),
        rule("target", "other", "−{grad}·{grad_output}/({self}(1 − {self}))"),
    )

    @classmethod
    def call(cls, g, x, y, weight, reduction: str):
        return apply(cls, (g, x, y), {"weight": weight, "reduction": reduction})

    @staticmethod
    def forward(ctx, g, x, y, weight, reduction):
        ctx.save_for_backward(g, x, y)
        wa = None if weight is None else weight._data
        return _bce_grad(arr(g), arr(x), arr(y), wa, reduction)

    @staticmethod
    def backward(ctx, gg):
        # PyTorch's binary_cross_entropy_double_backward{,_grad_output,_target}, op for op.
        go, x, y = ctx.saved_tensors
        w, reduction = ctx.params["weight"], ctx.params["reduction"]
        flags = ctx.needs_input_grad
        m, eps, n = ENGINE, _BCE_EPS, x._data.size
        d_go = d_x = d_y = None
        if flags[0]:
            d_go = (x - y) / (m.add_scalar(x, eps) * m.add_scalar(m.rsub(x, 1), eps)) * gg
            if w is not None:
                d_go = d_go * w
            if reduction == "mean":
                d_go = m.div_scalar(d_go, n)
            if reduction != "none":
                d_go = d_go.sum()
        if flags[1]:
            num = x * x - m.mul_scalar(x, 2) * y + y
            den = m.pow(m.add_scalar(x, eps), 2) * m.pow(m.add_scalar(m.rsub(x, 1), eps), 2)
            d_x = num / den * (gg * go)
            if w is not None:
                d_x = d_x * w
            if reduction == "mean":
                d_x = m.div_scalar(d_x, n)
        if flags[2]:
            d_y = -gg * go
            if w is not None:
                d_y = d_y * w
            denom = m.rsub(x, 1) * x
            denom._data = np.maximum(denom._data, eps)  # clamp_min_ under no_grad: no node
            d_y = d_y / denom
            if reduction == "mean":
                d_y = m.div_scalar(d_y, n)
        return d_go, d_x, d_y


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
        loss = (1 - ya) * xa - lw * NUMPY.log_sigmoid(xa)
        if weight is not None:
            loss = loss * weight._data
        return _reduce(np.asarray(loss, dtype=xa.dtype), reduction)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        p = ctx.params
        flags = ctx.needs_input_grad
        fast = not building_graph()
        m = NUMPY if fast else ENGINE
        args = (g, x, y) if not fast else (g._data, x._data, y._data)
        w, pw = p["weight"], p["pos_weight"]
        if fast:
            w = None if w is None else w._data
            pw = None if pw is None else pw._data
        reduction, n = p["reduction"], x._data.size
        gx = _bce_logits_grad(m, *args, w, pw, reduction, n) if flags[0] else None
        gy = _bce_logits_target_grad(m, *args, w, pw, reduction, n) if flags[1] else None
        if fast:
            dtype = x._data.dtype
            gx = None if gx is None else plain_grad(g, np.asarray(gx).astype(dtype, copy=False))
            gy = None if gy is None else plain_grad(g, np.asarray(gy).astype(dtype, copy=False))
        return gx, gy


def _finish(m, out, w, reduction: str, n: int):
    """The common tail of the loss gradients: ·weight, then over N for mean."""
    if w is not None:
        out = out * w
    return m.div_scalar(out, n) if reduction == "mean" else out


def _bce_logits_grad(m, g, x, y, w, pw, reduction: str, n: int):
    """PyTorch's binary_cross_entropy_with_logits_backward, step for step:
    (σ(x) − y)·grad, or ((pw·y + 1 − y)·σ(x) − pw·y)·grad with pos_weight."""
    if pw is not None:
        t = pw * y
        out = (m.add_scalar(t, 1) - y) * m.sigmoid(x) - t
    else:
        out = m.sigmoid(x) - y
    return _finish(m, out * g, w, reduction, n)


def _bce_logits_target_grad(m, g, x, y, w, pw, reduction: str, n: int):
    """PyTorch's binary_cross_entropy_with_logits_target_backward: −x·grad, or
    (log σ(−x) − pw·log σ(x))·grad with pos_weight."""
    if pw is not None:
        out = m.log_sigmoid(-x) - m.log_sigmoid(x) * pw
    else:
        out = -x
    return _finish(m, out * g, w, reduction, n)
