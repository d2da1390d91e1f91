"""nn.Parameter: a leaf tensor that a Module registers as one of its parameters."""

from __future__ import annotations

from .. import _dtype as dt
from .._tensor import Tensor


class Parameter(Tensor):
    """A Tensor subclass, as in PyTorch: isinstance(p, Tensor) and type(p) is Parameter.

    Why `__class__` reports Tensor: the engine's hot paths test `x.__class__ is Tensor`
    (cheaper than isinstance, once per op). Reporting Tensor there lets parameters flow
    through every op unchanged, while type(p) and isinstance(p, Parameter) still see the
    subclass."""

    __slots__ = ()
    __class__ = property(lambda self: Tensor)  # type: ignore[assignment]

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        if data is None:
            from .._creation import empty

            data = empty(0)
        p = object.__new__(cls)
        # Shares storage and version counter with `data`, as torch's _make_subclass does.
        p._init(data._data, data._dtype, False, None)
        p._vc = data._vc
        if requires_grad:
            p.requires_grad_flag = True
            if not data._dtype.is_floating_point:
                raise RuntimeError(
                    "Only Tensors of floating point and complex dtype can require gradients"
                )
        return p

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass  # everything happens in __new__ (Tensor.__init__ is the legacy constructor)

    def __repr__(self, *, tensor_contents=None) -> str:
        return "Parameter containing:\n" + Tensor.__repr__(self)

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._data.copy(), self._dtype.name, self.requires_grad))

    def __deepcopy__(self, memo: dict) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        out = _rebuild_parameter(self._data.copy(), self._dtype.name, self.requires_grad)
        if self._grad is not None:
            out._grad = Tensor._make(self._grad._data.copy(), self._grad._dtype, False, None)
        memo[id(self)] = out
        return out


def _rebuild_parameter(arr, dtype_name: str, requires_grad: bool) -> Parameter:
    return Parameter(Tensor._make(arr, dt._by_name(dtype_name), False, None), requires_grad)


def is_parameter(obj) -> bool:
    return type(obj) is Parameter
