"""dtypes and PyTorch's type-promotion rules."""

from __future__ import annotations

import numpy as np


class dtype:  # noqa: N801 - PyTorch spells it in lower case
    __slots__ = ("name", "np", "category", "is_floating_point", "itemsize", "legacy")

    def __init__(self, name: str, np_dtype: type, category: int, legacy: str) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category  # 0 bool, 1 integer, 2 floating point
        self.is_floating_point = category == 2
        self.itemsize = self.np.itemsize
        self.legacy = legacy  # name in error messages, e.g. torch.FloatTensor

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


bool_ = dtype("bool", np.bool_, 0, "BoolTensor")
int64 = dtype("int64", np.int64, 1, "LongTensor")
int32 = dtype("int32", np.int32, 1, "IntTensor")
uint8 = dtype("uint8", np.uint8, 1, "ByteTensor")  # torch.get_rng_state()'s bytes
float32 = dtype("float32", np.float32, 2, "FloatTensor")
float64 = dtype("float64", np.float64, 2, "DoubleTensor")

ALL = (bool_, uint8, int32, int64, float32, float64)
_FROM_NP = {d.np: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL}

_default_float = float32


def _by_name(name: str) -> dtype:
    return _BY_NAME[name]


def get_default_dtype() -> dtype:
    return _default_float


def set_default_dtype(d: dtype) -> None:
    global _default_float
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default_float = d


def from_numpy_dtype(np_dtype: np.dtype) -> dtype:
    """The engine dtype for a numpy dtype; other floats/ints map to the nearest supported."""
    found = _FROM_NP.get(np.dtype(np_dtype))
    if found is not None:
        return found
    kind = np.dtype(np_dtype).kind
    if kind == "f":
        return float64 if np.dtype(np_dtype).itemsize > 4 else float32
    if kind in "iu":
        return int64
    if kind == "b":
        return bool_
    raise TypeError(f"can't convert np.ndarray of type {np.dtype(np_dtype)}.")


def _promote_pair(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    return a if a.itemsize >= b.itemsize else b


def scalar_dtype(value: object) -> dtype:
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return int64
    return _default_float


def result_type(operands: tuple) -> dtype:
    """PyTorch's result_type: dimensioned tensors beat zero-dim tensors beat Python numbers,
    unless a lower-priority operand is of a higher category (bool < int < float)."""
    dim = zero = None
    scalar_cat = -1
    for op in operands:
        d = getattr(op, "_dtype", None)
        if d is None:
            cat = 0 if isinstance(op, bool) else 1 if isinstance(op, int) else 2
            scalar_cat = max(scalar_cat, cat)
        elif op._data.ndim:
            dim = d if dim is None else _promote_pair(dim, d)
        else:
            zero = d if zero is None else _promote_pair(zero, d)
    result = dim
    if zero is not None and (result is None or zero.category > result.category):
        result = zero
    if scalar_cat >= 0 and (result is None or scalar_cat > result.category):
        result = (bool_, int64, _default_float)[scalar_cat]
    return result
