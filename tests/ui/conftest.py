"""Shared setup for UI tests: headless Qt and a hand-made story for y = 2 * dot(x, x)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Before any Qt import: no display here.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Lets UI tests `import golden` whether or not tests/ui becomes a package.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytest  # noqa: E402

from gradviz.core import scene_types as st  # noqa: E402
from gradviz.core.scene_types import Scene, SceneBox, SceneEdge, Token  # noqa: E402

# The forward graph, laid out top to bottom: (id, role, title, subtitle, x, y, w, h, line).
_BOXES = (
    ("x", st.ROLE_LEAF, "x", "float32 [3]", 230, 50, 170, 82, 1),
    ("acc", st.ROLE_ACCUMULATE, "AccumulateGrad", "writes x.grad", 545, 50, 230, 74, None),
    ("xd", st.ROLE_TENSOR, "x.detach()", "no grad", 70, 220, 120, 60, 2),
    ("dot", st.ROLE_GRAD_FN, "DotBackward0", "dot  x · x", 270, 220, 170, 76, 3),
    ("two", st.ROLE_CONSTANT, "2", "constant", 470, 220, 90, 50, 4),
    ("mul", st.ROLE_GRAD_FN, "MulBackward0", "mul  a × b", 370, 350, 170, 76, 4),
    ("seed", st.ROLE_SEED, "seed", "y.backward()", 370, 475, 140, 54, 5),
)
_VALUES = {
    "x": "[1., 2., 3.]",
    "xd": "[1., 2., 3.]",
    "dot": "14.",
    "two": "2.",
    "mul": "28.",
    "seed": "1.",
}

# (id, source, target, points, label)
_EDGES = (
    ("x-acc", "x", "acc", ((230, 50), (545, 50)), None),
    ("x-xd", "x", "xd", ((180, 70), (70, 220)), "cut"),
    ("x-dot-self", "x", "dot", ((190, 50), (190, 135), (235, 220)), "self"),
    ("x-dot-other", "x", "dot", ((290, 50), (290, 135), (305, 220)), "other"),
    ("dot-mul", "dot", "mul", ((270, 220), (270, 285), (340, 350)), None),
    ("two-mul", "two", "mul", ((470, 220), (470, 285), (400, 350)), None),
    ("mul-seed", "mul", "seed", ((370, 350), (370, 475)), None),
)

# The story: per step, box states, active edges, tokens, x's .grad and AccumulateGrad's note.
_STEPS = (
    dict(states={"x": "active"}, grad=None),
    dict(states={"x": "idle", "xd": "idle", "dot": "active"}, grad=None),
    dict(
        states={
            "x": "idle",
            "xd": "idle",
            "dot": "idle",
            "two": "idle",
            "mul": "active",
            "acc": "idle",
        },
        grad=None,
    ),
    dict(
        states={
            "x": "idle",
            "xd": "idle",
            "dot": "idle",
            "two": "idle",
            "mul": "active",
            "acc": "idle",
            "seed": "done",
        },
        grads={"mul-seed": "1."},
        received={"mul": "1."},
    ),
    dict(
        states={
            "x": "idle",
            "xd": "idle",
            "dot": "active",
            "two": "idle",
            "mul": "done",
            "acc": "idle",
            "seed": "done",
        },
        grads={"mul-seed": None, "dot-mul": "2."},
        received={"mul": "1.", "dot": "2."},
    ),
    dict(
        states={
            "x": "idle",
            "xd": "idle",
            "dot": "done",
            "two": "idle",
            "mul": "done",
            "acc": "active",
            "seed": "done",
        },
        grads={
            "mul-seed": None,
            "dot-mul": None,
            "x-dot-self": "[2., 4., 6.]",
            "x-dot-other": "[2., 4., 6.]",
        },
        received={"mul": "1.", "dot": "2.", "acc": "[4., 8., 12.]"},
        note="0 + [4., 8., 12.] = [4., 8., 12.]",
    ),
    dict(
        states={
            "x": "active",
            "xd": "idle",
            "dot": "freed",
            "two": "idle",
            "mul": "freed",
            "acc": "done",
            "seed": "done",
        },
        grads={
            "mul-seed": None,
            "dot-mul": None,
            "x-dot-self": None,
            "x-dot-other": None,
            "x-acc": "[4., 8., 12.]",
        },
        received={"mul": "1.", "dot": "2.", "acc": "[4., 8., 12.]"},
        note="0 + [4., 8., 12.] = [4., 8., 12.]",
        grad="[4., 8., 12.]",
    ),
)
STEP_COUNT = len(_STEPS)


def make_scene(step: int, episode: int = 0) -> Scene:
    """Step `step` of the hand-made story (0..STEP_COUNT-1)."""
    spec = _STEPS[step]
    states = spec["states"]
    received = spec.get("received", {})
    grads = spec.get("grads", {})
    boxes = []
    for box_id, role, title, subtitle, x, y, w, h, line in _BOXES:
        state = states.get(box_id, st.STATE_HIDDEN)
        grad = spec.get("grad") if box_id == "x" else received.get(box_id)
        boxes.append(
            SceneBox(
                id=box_id,
                role=role,
                title=title,
                subtitle=subtitle,
                value=_VALUES.get(box_id) if state != st.STATE_HIDDEN else None,
                grad=grad,
                x=x,
                y=y,
                width=w,
                height=h,
                state=state,
                line=line,
                note=spec.get("note") if box_id == "acc" else None,
            )
        )
    edges = []
    for edge_id, source, target, points, label in _EDGES:
        kind = st.EDGE_CUT if label == "cut" else st.EDGE_DATA
        token = None
        if edge_id in grads:  # a gradient has flowed here; it is moving now if it has text
            kind = st.EDGE_GRAD
            token = Token(grads[edge_id]) if grads[edge_id] is not None else None
        edges.append(
            SceneEdge(
                id=edge_id,
                source=source,
                target=target,
                kind=kind,
                points=points,
                active=token is not None,
                token=token,
                label=label,
            )
        )
    phase = "backward" if step >= 3 else "forward"
    return Scene(
        step=step,
        step_count=STEP_COUNT,
        episode=episode,
        episode_title="y = 2 * dot(x, x)",
        phase=phase,
        narration="",
        line=None,
        boxes=tuple(boxes),
        edges=tuple(edges),
        width=680,
        height=480,
    )


@pytest.fixture
def dot_scene() -> Scene:
    """A backward step with two parallel tokens, a cut edge and a fan-in note."""
    return make_scene(5)
