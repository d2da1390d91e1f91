"""masked_fill with a tensor value (masked_fill.Tensor, MaskedFillBackward1): what PyTorch's
evenly_distribute_backward builds for the gradient of max() and min() over all elements."""

from __future__ import annotations

import numpy as np

from .._registry import apply, register
from .._rules import Elementwise, elementwise
from ._util import arr


@register
class MaskedFillTensor(Elementwise):
    name, grad_fn, symbol = "masked_fill_tensor", "MaskedFillBackward1", "fill[mask]"
    input_names = ("self", "value")
    dtype_rule = "first"
    rules = (
        elementwise(
            "self", "0 where {mask}, else 1", lambda m, g, x, r, p: m.masked_fill(g, p["mask"], 0)
        ),
        # PyTorch sums masked_select(grad, mask); summing where(mask, grad, 0) gives the same.
        elementwise(
            "value", "1 where {mask}, else 0", lambda m, g, x, r, p: m.where(p["mask"], g, 0.0)
        ),
    )

    @staticmethod
    def compute(a, value, mask):
        x = arr(a)
        return np.where(np.asarray(mask, dtype=bool), np.asarray(arr(value), dtype=x.dtype), x)


def masked_fill_tensor(a, mask: np.ndarray, value):
    """a with `value` (a 0-d tensor) where `mask` is True."""
    return apply(MaskedFillTensor, (a, value), {"mask": mask})
