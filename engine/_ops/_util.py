"""Small helpers shared by op definitions."""

from __future__ import annotations

import numpy as np

from .._grad_mode import STATE
from .._registry import _Tensor


def arr(x):
    """The numpy data of a tensor, or the Python number itself."""
    return x._data if x.__class__ is _Tensor[0] else x


def needs(ctx, i: int) -> bool:
    return bool(ctx.needs_input_grad[i])


def plain_grad(g, values: np.ndarray):
    """A gradient computed straight in numpy. Backward formulas take this shortcut only when
    no graph is being built (create_graph=False): one array op instead of several engine ops."""
    return _Tensor[0]._make(values, g._dtype, False, None)


def building_graph() -> bool:
    return STATE.grad_enabled


def zeros_of(shape: tuple, like):
    Tensor = _Tensor[0]
    return Tensor._make(np.zeros(shape, dtype=like._data.dtype), like._dtype, False, None)
