"""The quick record makers build exactly what the story's frozen dataclasses build."""

from __future__ import annotations

import dataclasses

import pytest

from gradviz.core import records
from gradviz.core.quick_maker import quick_maker
from gradviz.core.story import Step, StoryEdge, StoryNode, Token, step_to_dict

SAMPLES = [
    (records.step, Step, (3, 1, "backward", "send", "y sends", 5, ("a", "b"), ("e1",),
                           Token("e1", "[1.]"), (("a", "value", "2."),), ("∂y/∂x = 2",), 17)),
    (records.edge, StoryEdge, ("en1_0", "n0", "n1", "data", 0, "self")),
    (records.node, StoryNode, ("n1", "grad_fn", "MulBackward0", "y = x × 2", 4, (3,), "float32",
                               {"name": "MulBackward0"}, False)),
    (records.token, Token, ("e1", "[2., 4.]")),
]  # fmt: skip


@pytest.mark.parametrize(("make", "cls", "args"), SAMPLES, ids=lambda x: getattr(x, "__name__", ""))
def test_maker_builds_the_dataclass_itself(make, cls, args):
    made, built = make(*args), cls(*args)
    assert type(made) is cls
    assert made == built and repr(made) == repr(built)
    if cls is not StoryNode:  # (its detail is a dict: no box is hashable)
        assert hash(made) == hash(built)
    assert dataclasses.asdict(made) == dataclasses.asdict(built)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.id = "other"  # still frozen
    if cls is Step:
        assert step_to_dict(made) == step_to_dict(built)


def test_a_maker_follows_its_class_fields():
    @dataclasses.dataclass(frozen=True)
    class Wider:  # a record that gained a field: the maker asks for it too
        edge: str
        text: str
        extra: int = 0

    make = quick_maker(Wider)
    with pytest.raises(TypeError, match="extra"):
        make("e1", "[1.]")
    assert make("e1", "[1.]", 2) == Wider("e1", "[1.]", 2)
