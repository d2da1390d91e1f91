"""Tensor factories: tensor, arange, zeros, ... (the random ones live in _sampling)."""

from __future__ import annotations

import numbers

import numpy as np

from . import _dtype as dt
from ._autograd import recording as record
from ._grad_mode import STATE
from ._tensor import Tensor, _check_float_for_grad, _unwrap


def _finish(arr: np.ndarray, d: dt.dtype, requires_grad: bool, how: str) -> Tensor:
    if requires_grad:
        _check_float_for_grad(d, "factory")
    t = Tensor._make(arr, d, bool(requires_grad), None)
    if STATE.recorders:
        record.tensor_created(t, how)
    return t


def _infer_dtype(data) -> dt.dtype:
    """PyTorch's inference: any float -> default float, else any int -> int64, else bool."""
    if isinstance(data, Tensor):
        return data._dtype
    if isinstance(data, np.ndarray):
        return dt.from_numpy_dtype(data.dtype)
    if isinstance(data, bool) or isinstance(data, np.bool_):
        return dt.bool_
    if isinstance(data, numbers.Integral):
        return dt.int64
    if isinstance(data, numbers.Real):
        return dt.get_default_dtype()
    if isinstance(data, (list, tuple)):
        if not data:
            return dt.get_default_dtype()
        found = [_infer_dtype(v) for v in data]
        return max(found, key=lambda d: (d.category, d.itemsize if d.category == 2 else 0))
    raise TypeError(f"Could not infer dtype of {type(data).__name__}")


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    d = dtype or _infer_dtype(data)
    if isinstance(data, np.ndarray) and dtype is None and data.dtype.kind == "f":
        d = dt.from_numpy_dtype(data.dtype)
    arr = np.array(_unwrap(data), dtype=d.np)
    return _finish(arr, d, requires_grad, "tensor")


def as_tensor(data, dtype=None, device=None) -> Tensor:
    if isinstance(data, Tensor) and (dtype is None or dtype is data._dtype):
        return data
    return tensor(data, dtype=dtype)


def from_numpy(arr: np.ndarray) -> Tensor:
    """Shares memory with `arr`, as in PyTorch."""
    return _finish(arr, dt.from_numpy_dtype(arr.dtype), False, "from_numpy")


def _shape(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return tuple(int(s) for s in size)


def _size(args: tuple, size) -> tuple:
    return _shape(args) if size is None else _shape((size,))


def _float(dtype) -> dt.dtype:
    return dtype or dt.get_default_dtype()


def zeros(*args, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    d = _float(dtype)
    return _finish(np.zeros(_size(args, size), dtype=d.np), d, requires_grad, "zeros")


def ones(*args, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    d = _float(dtype)
    return _finish(np.ones(_size(args, size), dtype=d.np), d, requires_grad, "ones")


def empty(*args, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return zeros(*args, size=size, dtype=dtype, requires_grad=requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    d = dtype or _infer_dtype(fill_value)
    return _finish(np.full(_shape((size,)), fill_value, dtype=d.np), d, requires_grad, "full")


def _like(t: Tensor, dtype) -> dt.dtype:
    return dtype or t._dtype


def zeros_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    d = _like(t, dtype)
    return _finish(np.zeros(t._data.shape, dtype=d.np), d, requires_grad, "zeros_like")


def ones_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    d = _like(t, dtype)
    return _finish(np.ones(t._data.shape, dtype=d.np), d, requires_grad, "ones_like")


def full_like(t: Tensor, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    d = _like(t, dtype)
    arr = np.full(t._data.shape, fill_value, dtype=d.np)
    return _finish(arr, d, requires_grad, "full_like")


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad: bool = False):
    if end is None:
        start, end = 0, start
    values = [_unwrap(v) for v in (start, end, step)]
    if dtype is None:
        is_float = any(
            isinstance(v, float) or getattr(v, "dtype", np.int64).kind == "f"
            if not isinstance(v, (int, float))
            else isinstance(v, float)
            for v in values
        )
        dtype = dt.get_default_dtype() if is_float else dt.int64
    arr = np.arange(*values, dtype=np.float64 if dtype.is_floating_point else np.int64)
    return _finish(arr.astype(dtype.np), dtype, requires_grad, "arange")


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad=False) -> Tensor:
    d = _float(dtype)
    arr = np.linspace(float(start), float(end), int(steps)).astype(d.np)
    return _finish(arr, d, requires_grad, "linspace")


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad=False) -> Tensor:
    d = _float(dtype)
    return _finish(np.eye(n, m, dtype=d.np), d, requires_grad, "eye")
