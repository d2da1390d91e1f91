"""Random autograd scripts: the story is always told, and every step can be shown."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gradviz.core.player import Player
from gradviz.core.trace import trace_source

SETUP = """import torch
torch.manual_seed(0)
a = torch.randn(3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
c = torch.ones(3)
t = a * b
"""

STATEMENTS = [
    "t = t * a",
    "t = t + b",
    "t = t - 1.5",
    "t = 2 * t",
    "t = t.exp().log()",
    "t = t.sin() * t.cos()",
    "t = torch.tanh(t) + t.sigmoid()",
    "t = t.relu() + c",
    "t = t / (b.abs() + 1)",
    "t = t ** 2",
    "u = t.detach()\nt = u * a",
    "with torch.no_grad():\n    c = c + t",
    "t = torch.stack([t, a]).sum(0)",
    "t = torch.cat([t, b])[:3]",
    "t = torch.where(t > 0, t, a)",
    "t.sum().backward(retain_graph=True)",
    "(t * t).sum().backward()\nt = a * b",
    "t.backward(gradient=torch.ones(3))\nt = a + b",
    "a.grad = None",
    "if a.grad is not None:\n    a.grad.zero_()",
    "t = t.reshape(3, 1).t().squeeze()",
    "t = t.clamp(-1, 1) * t.mean()",
    "print(t)",
    "t.sum().backward()\nt.sum().backward()",  # the second one fails: an error step
]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(STATEMENTS), min_size=1, max_size=10))
def test_any_script_gets_a_story_that_can_be_shown(statements):
    source = SETUP + "\n".join(statements) + "\n"
    result = trace_source(source)
    assert "could not tell this run as a story" not in result.stdout
    player = Player(result.story)
    assert player.step_count > 0
    for k in range(player.step_count):
        scene = player.scene(k)
        assert scene.narration
        ids = {b.id for b in scene.boxes}
        assert all(e.source in ids and e.target in ids for e in scene.edges)
        for box in scene.boxes:
            assert player.details(k, box.id)
    if result.error is not None:
        assert result.story.steps[-1].phase == "error"
