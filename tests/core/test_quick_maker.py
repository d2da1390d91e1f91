"""quick_maker builds the very object its frozen dataclass would."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass, fields

import pytest

from gradviz.core import scene_types as st
from gradviz.core.quick_maker import quick_maker

BOX = ("n1", "grad_fn", "MulBackward0", "y = x × 2", "[2., 2.]", None, 1.0, 2.0, 30, 40, "idle")
BOX_REST = (3, "0 + 1 = 1", False, (st.BADGE_SHARED,), "n1")


@pytest.mark.parametrize(
    "cls, values",
    [
        (st.SceneBox, BOX + BOX_REST),
        (
            st.SceneEdge,
            ("e1", "a", "b", st.EDGE_GRAD, ((0.0, 0.0), (1.0, 2.0)), True, None, "self"),
        ),
    ],
)
def test_same_object_as_the_class(cls, values) -> None:
    made, built = quick_maker(cls)(*values), cls(*values)
    names = [f.name for f in fields(cls)]
    assert quick_maker(cls)(**dict(zip(names, values))) == built  # by name too
    assert type(made) is cls
    assert made == built and hash(made) == hash(built) and repr(made) == repr(built)
    assert [getattr(made, f.name) for f in fields(cls)] == list(values)
    with pytest.raises(FrozenInstanceError):
        made.id = "other"  # still frozen


def test_every_field_is_required() -> None:
    with pytest.raises(TypeError, match="label"):
        quick_maker(st.SceneEdge)("e1", "a", "b", st.EDGE_GRAD, (), True, None)


def test_a_class_it_cannot_fill_is_its_own_maker() -> None:
    @dataclass(frozen=True)
    class Checked:
        n: int

        def __post_init__(self) -> None:
            if self.n < 0:
                raise ValueError("negative")

    @dataclass(frozen=True, slots=True)
    class Slotted:
        n: int

    assert quick_maker(Checked) is Checked
    assert quick_maker(Slotted) is Slotted
