"""Small helpers shared by op definitions."""

from __future__ import annotations

import numpy as np

from .._registry import _Tensor


def arr(x):
    """The numpy data of a tensor, or the Python number itself."""
    return x._data if x.__class__ is _Tensor[0] else x


def needs(ctx, i: int) -> bool:
    return bool(ctx.needs_input_grad[i])


def zeros_of(shape: tuple, like):
    Tensor = _Tensor[0]
    return Tensor._make(np.zeros(shape, dtype=like._data.dtype), like._dtype, False, None)
