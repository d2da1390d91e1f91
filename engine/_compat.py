"""The small pieces of torch's top-level API that tutorials touch: devices, inf/nan tests and
keyword names for op arguments (torch.add(input=, other=))."""

from __future__ import annotations

import functools
import warnings

import numpy as np

from . import _dtype as dt
from ._tensor import Tensor, device

# Keyword names torch gives to an op's tensor arguments, in the order they come.
_LEADING = ("condition", "input", "tensors")
_TRAILING = ("other", "mat2", "vec", "exponent")
_NAMES = frozenset(_LEADING + _TRAILING)


def accept_torch_names(fn):
    """Let fn(a, b) also be called as fn(input=a, other=b), as torch's functions allow."""

    @functools.wraps(fn)
    def call(*args, **kwargs):
        if kwargs and not _NAMES.isdisjoint(kwargs):
            lead = tuple(kwargs.pop(n) for n in _LEADING if n in kwargs)
            trail = tuple(kwargs.pop(n) for n in _TRAILING if n in kwargs)
            args = lead + args + trail
        return fn(*args, **kwargs)

    return call


def _flag(fn):
    def check(input: Tensor) -> Tensor:  # noqa: A002 - torch's argument name
        return Tensor._make(fn(input._data), dt.bool_, False, None)

    check.__name__ = fn.__name__
    return check


isinf = _flag(np.isinf)
isnan = _flag(np.isnan)
isfinite = _flag(np.isfinite)
isposinf = _flag(np.isposinf)
isneginf = _flag(np.isneginf)

_default_device = device("cpu")


def set_default_device(d) -> None:
    """Only the CPU exists here; anything else raises as an unknown device would."""
    global _default_device
    _default_device = device("cpu" if d is None else str(d))


def get_default_device() -> device:
    return _default_device


def install(namespace: dict, function_names) -> None:
    """Wrap the engine's op functions so they take torch's keyword names."""
    for name in function_names:
        fn = namespace.get(name)
        if callable(fn):
            namespace[name] = accept_torch_names(fn)


SET_DEFAULT_TENSOR_TYPE_WARNING = (
    "torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
    "torch.set_default_dtype() and torch.set_default_device() as alternatives."
)
_warned: set = set()  # torch gives this warning once per process


def set_default_tensor_type(t) -> None:
    """The pre-2.1 way to pick the default float type: "torch.DoubleTensor" or the class."""
    from ._legacy import dtype_of_type

    if "set_default_tensor_type" not in _warned:
        _warned.add("set_default_tensor_type")
        warnings.warn(SET_DEFAULT_TENSOR_TYPE_WARNING, UserWarning, stacklevel=2)
    d = dtype_of_type(t)
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    dt.set_default_dtype(d)
