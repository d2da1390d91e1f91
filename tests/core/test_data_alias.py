"""`.data`, the older tutorials' way to update weights: an in-place change through it
changes the tensor itself (the same storage), so the boxes of w and w.grad follow."""

from __future__ import annotations

import numpy as np
import pytest
from story_helpers import player_of

OLD_STYLE = (
    "import torch\n"
    "x = torch.tensor([1.0, 2.0])\n"
    "w = torch.tensor([0.5], requires_grad=True)\n"
    "loss = ((w * x) ** 2).sum()\n"
    "loss.backward()\n"
    "w.data -= 0.1 * w.grad.data\n"
    "w.grad.data.zero_()\n"
)


def _box(player, k: int, title: str):
    return next(b for b in player.scene(k).boxes if b.title == title)


def test_an_update_through_data_changes_the_tensor_and_its_grad():
    player = player_of(OLD_STYLE)
    steps = player.story.steps
    update = next(k for k, s in enumerate(steps) if "w.data -=" in s.narration)
    zero = next(k for k, s in enumerate(steps) if "w.grad.data.zero_()" in s.narration)
    # d/dw Σ (w·x)² = 2w·Σx² = 2 · 0.5 · 5 = 5; w ← 0.5 − 0.1 · 5 = 0
    before = _box(player, update - 1, "w")
    assert before.value == "[0.5]" and before.grad == "[5.]"
    after = _box(player, update, "w")
    assert after.value == "[0.]" and after.grad == "[5.]"
    assert "w" in [b.title for b in player.scene(update).boxes if b.state == "active"]
    zeroed = _box(player, zero, "w")
    assert zeroed.value == "[0.]" and zeroed.grad == "[0.]"
    # The operand `0.1 * w.grad.data` reads as what it is, not as its numbers.
    assert _box(player, zero, "w.grad.data").value == "[5.]"
    state = player.state(zero)
    leaf = next(n.id for n in player.story.episodes[0].nodes if n.title == "w")
    full = state[leaf]["grad_full"]
    assert np.frombuffer(__import__("base64").b64decode(full["b64"]), np.float32).tolist() == [0.0]


def test_the_history_follows_updates_through_data():
    """The History panel's w and w.grad per iteration, for a loop that updates them
    through .data. With Σ (w·x − 1)² over x = (1, 2): g = 10w − 6, w ← w − 0.05·g:
    g = −6, −3, −1.5 after each backward, and w = 0.3, 0.45, 0.525 after each update."""
    source = (
        "import torch\n"
        "x = torch.tensor([1.0, 2.0])\n"
        "w = torch.zeros(1, requires_grad=True)\n"
        "for _ in range(3):\n"
        "    loss = ((w * x - 1.0) ** 2).sum()\n"
        "    loss.backward()\n"
        "    w.data -= 0.05 * w.grad.data\n"
        "    w.grad.data.zero_()\n"
    )
    history = player_of(source).story.series["params"]["w"]
    assert [row[0] for row in history["grad"]] == pytest.approx([-6.0, -3.0, -1.5], rel=1e-5)
    assert [row[0] for row in history["value"]] == pytest.approx([0.3, 0.45, 0.525], rel=1e-5)
