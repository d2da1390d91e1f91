"""Small helpers shared by op definitions."""

from __future__ import annotations

import numpy as np

from .._grad_mode import STATE
from .._tensor import Tensor


def arr(x):
    """The numpy data of a tensor, or the Python number itself."""
    return x._data if x.__class__ is Tensor else x


def needs(ctx, i: int) -> bool:
    return bool(ctx.needs_input_grad[i])


def plain_grad(g, values: np.ndarray):
    """A gradient computed straight in numpy. Backward formulas take this shortcut only when
    no graph is being built (create_graph=False): one array op instead of several engine ops."""
    return Tensor._make(values, g._dtype, False, None)


def building_graph() -> bool:
    return STATE.grad_enabled


def zeros_of(shape: tuple, like):
    return Tensor._make(np.zeros(shape, dtype=like._data.dtype), like._dtype, False, None)
