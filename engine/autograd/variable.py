"""torch.autograd.Variable: the pre-0.4 wrapper. Today it returns a plain Tensor, and every
Tensor is an instance of it, as in torch."""

from __future__ import annotations

import warnings

VOLATILE_WARNING = (
    "volatile was removed and now has no effect. Use `with torch.no_grad():` instead."
)


class _VariableMeta(type):
    def __instancecheck__(cls, other) -> bool:
        from .._tensor import Tensor

        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """Variable(data, requires_grad=False, volatile=False) -> a leaf Tensor on data's storage."""

    def __new__(cls, data=None, requires_grad: bool = False, volatile: bool = False):
        from .._creation import empty
        from .._tensor import Tensor

        if volatile:
            warnings.warn(VOLATILE_WARNING, UserWarning, stacklevel=2)
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        out = Tensor._make(data._data, data._dtype, False, None)
        out._vc = data._vc
        if requires_grad:
            out.requires_grad_(True)
        return out


Variable.__module__ = "torch.autograd.variable"
