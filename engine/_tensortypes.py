"""torch.FloatTensor, torch.LongTensor, ...: the older typed constructors.

Calling one builds a tensor of its dtype (from data, sizes or another tensor of that dtype);
isinstance(t, torch.FloatTensor) is True for a float32 tensor, as in torch.
"""

from __future__ import annotations

from . import _dtype as dt
from . import _legacy
from ._tensor import Size, Tensor

_OPTION_NAMES = {
    "float32": "float",
    "float64": "double",
    "int64": "long int",
    "int32": "int",
    "bool": "bool",
}


def _options(d: dt.dtype) -> str:
    return (
        f"TensorOptions(dtype={_OPTION_NAMES[d.name]}, device=cpu, layout=Strided, "
        "requires_grad=false (default), pinned_memory=false (default), "
        "memory_format=(nullopt))"
    )


class tensortype(type):  # noqa: N801 - torch's name for the metaclass
    """The class of torch.FloatTensor and friends."""

    dtype: dt.dtype

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype

    def __call__(cls, *args, **kwargs) -> Tensor:
        d = cls.dtype
        if len(args) == 1 and isinstance(args[0], Tensor) and not kwargs:
            src = args[0]
            if src.dtype is not d:
                raise TypeError(f"expected {_options(d)} (got {_options(src.dtype)})")
            out = Tensor._make(src._data, d, False, None)
            out._vc = src._vc  # an alias of the same storage
            return out
        if len(args) == 1 and isinstance(args[0], Size):
            args = tuple(args[0])
        return Tensor._make(_legacy.new_array(args, kwargs, d), d, False, None)


tensortype.__module__ = "torch"


def _make_type(d: dt.dtype) -> tensortype:
    return tensortype(d.legacy, (), {"dtype": d, "is_cuda": False, "__module__": "torch"})


FloatTensor = _make_type(dt.float32)
DoubleTensor = _make_type(dt.float64)
LongTensor = _make_type(dt.int64)
IntTensor = _make_type(dt.int32)
BoolTensor = _make_type(dt.bool_)
