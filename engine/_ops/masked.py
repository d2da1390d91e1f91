"""masked_fill with a tensor value (masked_fill.Tensor, MaskedFillBackward1): what PyTorch's
evenly_distribute_backward builds for the gradient of max() and min() over all elements."""

from __future__ import annotations

import numpy as np

from .._registry import REGISTRY, Op, apply, register
from .._rules import ENGINE, elementwise, rule
from ._util import arr

# self's derivative, written once: the backward below runs this same function.
_SELF = elementwise(
    "self", "0 where {mask}, else 1", lambda m, g, x, r, p: m.masked_fill(g, p["mask"], 0)
)


@register
class MaskedFillTensor(Op):
    name, grad_fn, symbol = "masked_fill_tensor", "MaskedFillBackward1", "fill[mask]"
    input_names = ("self", "value")
    dtype_rule = "first"
    rules = (_SELF, rule("value", "reduce", "Σ {grad} over the positions where {mask}"))

    @staticmethod
    def forward(ctx, a, value, mask):
        x = arr(a)
        return np.where(np.asarray(mask, dtype=bool), np.asarray(arr(value), dtype=x.dtype), x)

    @staticmethod
    def backward(ctx, g):
        # PyTorch: self gets grad.masked_fill(mask, 0); value gets masked_select(grad).sum().
        p = ctx.params
        needs = ctx.needs_input_grad
        d_self = _SELF.vjp(ENGINE, g, {}, None, p) if needs[0] else None
        d_value = None
        if needs[1]:
            d_value = REGISTRY["masked_select"].call(g, p["mask"]).sum()
            if d_value._data.shape != ctx.input_shapes[1]:
                d_value = d_value.reshape(ctx.input_shapes[1])
        return d_self, d_value


def masked_fill_tensor(a, mask: np.ndarray, value):
    """a with `value` (a 0-d tensor) where `mask` is True."""
    return apply(MaskedFillTensor, (a, value), {"mask": mask})
