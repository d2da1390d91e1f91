"""Golden pictures of the story's hardest steps, with their captions: a broadcast send
step (the sum over the broadcast dim written out) and a second-derivative step (the graph
the first backward built, walked by the second)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from golden import assert_matches_golden

from gradviz.core.player import Player
from gradviz.ui.export_image import ExportOptions, render_image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
from story_helpers import record_story  # noqa: E402

BROADCAST = """
import torch
a = torch.ones(3, 1, requires_grad=True)
b = torch.tensor([[1.0, 2.0, 3.0, 4.0]], requires_grad=True)
c = a + b
d = (c * c).sum()
d.backward()
"""

SECOND = """
import torch
x = torch.tensor(2.0, requires_grad=True)
y = x ** 3
(g,) = torch.autograd.grad(y, x, create_graph=True)
(h,) = torch.autograd.grad(g, x)
"""


def _step(story, predicate) -> int:
    return next(s.index for s in story.steps if predicate(s))


@pytest.mark.parametrize(
    ("name", "script", "pick"),
    [
        (
            "story_broadcast_send",
            BROADCAST,
            lambda s: s.kind == "send" and any("summed over dim 1" in m for m in s.math),
        ),
        (
            "story_second_derivative_send",
            SECOND,
            lambda s: s.episode == 1 and s.kind == "send" and "MulBackward1" in s.narration,
        ),
    ],
)
def test_story_step_matches_golden(qapp, name, script, pick) -> None:
    story, _, _ = record_story(script)
    k = _step(story, pick)
    scene = Player(story).scene(k)
    assert scene.math  # the caption carries the chain rule
    assert_matches_golden(render_image(scene, ExportOptions(aspect="16:9")), name)
