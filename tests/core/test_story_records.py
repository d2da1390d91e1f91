"""The quick record makers build exactly what the story's frozen dataclasses build."""

from __future__ import annotations

import dataclasses

import pytest

from gradviz.core import records
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


def test_a_changed_record_is_built_by_its_class():
    @dataclasses.dataclass(frozen=True)
    class Wider:  # a field more than the maker knows
        edge: str
        text: str
        extra: int = 0

    @dataclasses.dataclass(frozen=True)
    class Checked:
        edge: str
        text: str

        def __post_init__(self):
            pass

    assert records._fits(Token, records._TOKEN)
    assert not records._fits(Wider, records._TOKEN)
    assert not records._fits(Checked, records._TOKEN)
