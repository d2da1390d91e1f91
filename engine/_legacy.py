"""The older tensor API's argument rules: torch.Tensor(...) / torch.FloatTensor(...) forms,
and the type names `Tensor.type()` accepts ("torch.FloatTensor", torch.LongTensor, dtypes).

Kept apart from the Tensor class, which only calls in here.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import _dtype as dt

_BY_LEGACY = {f"torch.{d.legacy}": d for d in dt.ALL}


def _describe(args: tuple, kwargs: dict) -> str:
    parts = [type(a).__name__ for a in args]
    parts += [f"{k}={type(v).__name__}" for k, v in kwargs.items()]
    return ", ".join(parts)


def new_array(args: tuple, kwargs: dict, d: dt.dtype) -> np.ndarray:
    """numpy data for the legacy constructor: data, sizes, or nothing (an empty tensor).
    Sizes give zeros (torch leaves the memory uninitialised)."""
    unknown = set(kwargs) - {"device"}
    if unknown:
        raise TypeError(
            f"new() received an invalid combination of arguments - got ({_describe(args, kwargs)}),"
            " but expected one of:\n * (*, torch.device device = None)\n * (Tensor other)\n"
            " * (tuple of ints size, *, torch.device device = None)\n"
            " * (object data, *, torch.device device = None)\n"
        )
    if not args:
        return np.zeros((0,), dtype=d.np)
    if all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in args):
        return np.zeros(tuple(int(a) for a in args), dtype=d.np)
    if len(args) == 1:
        data = args[0]
        if isinstance(data, numbers.Number):
            raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
        try:
            return np.array(data, dtype=d.np)
        except (TypeError, ValueError) as err:
            raise TypeError(f"new(): invalid data: {err}") from None
    raise TypeError(
        f"new() received an invalid combination of arguments - got ({_describe(args, kwargs)})"
    )


def dtype_of_type(value) -> dt.dtype:
    """The dtype named by Tensor.type()'s argument."""
    if isinstance(value, dt.dtype):
        return value
    if isinstance(value, str):
        found = _BY_LEGACY.get(value)
        if found is None:
            raise ValueError(f"invalid type: {value!r}")
        return found
    found = getattr(value, "dtype", None)
    if isinstance(found, dt.dtype):
        return found
    raise ValueError(f"invalid type: {value!r}")
