"""A quick maker for a frozen dataclass built thousands of times in a row.

A frozen dataclass's __init__ sets each field through object.__setattr__ (its own
__setattr__ refuses), one slow call per field: the first scene of a 2,000-box graph
spent a tenth of its time there. The maker fills the new instance's __dict__ from all
fields, given in order: the same object (fields, equality, hash, repr) the class builds.
A class it cannot fill that way (slots, __post_init__) gets the class itself as maker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, is_dataclass
from typing import TypeVar

T = TypeVar("T")


def quick_maker(cls: type[T]) -> Callable[..., T]:
    """cls(*values), with every field's value given positionally, only faster."""
    if not is_dataclass(cls) or hasattr(cls, "__post_init__") or "__slots__" in cls.__dict__:
        return cls
    names = tuple(f.name for f in fields(cls))
    new = object.__new__

    def make(*values) -> T:
        if len(values) != len(names):  # a caller out of step with the class: fail loudly
            raise TypeError(f"{cls.__name__} takes {len(names)} values, got {len(values)}")
        obj = new(cls)
        obj.__dict__.update(zip(names, values))
        return obj

    make.__name__ = f"make_{cls.__name__}"
    return make
