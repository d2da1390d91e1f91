"""Quick makers for frozen dataclasses built thousands of times in a row.

A frozen dataclass's __init__ sets each field through object.__setattr__ (its own
__setattr__ refuses), one slow call per field: a long script's story makes tens of
thousands of steps, and the first scene of a 2,000-box graph thousands of boxes. A maker
fills the new instance's __dict__ instead: the same object (fields, equality, hash, repr)
the class builds. Like dataclasses' own __init__, it is written out for the class's
fields, one assignment each, which is several times faster than a loop over them.
A class it cannot fill that way (slots, __post_init__) gets the class itself as maker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, is_dataclass
from typing import TypeVar

T = TypeVar("T")


def quick_maker(cls: type[T]) -> Callable[..., T]:
    """cls(*values), with every field's value given (positionally or by name), faster."""
    if not is_dataclass(cls) or hasattr(cls, "__post_init__") or "__slots__" in cls.__dict__:
        return cls
    names = [f.name for f in fields(cls)]
    lines = [
        f"def make_{cls.__name__}({', '.join(names)}):",
        "    obj = new(cls)",
        "    d = obj.__dict__",
    ]
    lines += [f"    d[{name!r}] = {name}" for name in names]
    lines.append("    return obj")
    scope = {"new": object.__new__, "cls": cls}
    exec("\n".join(lines), scope)  # field names are the class's own identifiers
    return scope[f"make_{cls.__name__}"]
