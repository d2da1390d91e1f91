"""A hand-written update (`w -= lr * w.grad`) is written out with its numbers, and the
numbers are the ones the script computed."""

from __future__ import annotations

import re

import numpy as np
from story_helpers import record_story

SCRIPT = """
import torch
x = torch.tensor([1.0, 2.0, 3.0])
y = torch.tensor([2.0, 4.0, 6.0])
w = torch.tensor(0.5, requires_grad=True)
lr = 0.1
for i in range(3):
    loss = ((w * x - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
        w *= 1.0
    w.grad.zero_()
print(w.item())
"""

_NUMBER = r"-?\d+(?:\.\d+)?(?:e-?\d+)?"


def test_each_hand_written_update_shows_old_operand_and_new_values() -> None:
    story, _, out = record_story(SCRIPT)
    updates = [s for s in story.steps if s.kind == "inplace"]
    subs = [s for s in updates if "-=" in s.narration]
    assert len(subs) == 3
    for step in subs:
        rule, arithmetic, result = step.math
        assert rule == "w ← w − lr * w.grad"
        old, operand = (float(v) for v in re.findall(_NUMBER, arithmetic)[:2])
        new = float(re.findall(_NUMBER, result)[0])
        assert np.isclose(old - operand, new, rtol=2e-3, atol=1e-4)
    # The last update's result is the script's own final w (the *= 1.0 keeps it).
    final = float(out.strip())
    assert np.isclose(float(re.findall(_NUMBER, subs[-1].math[2])[0]), final, rtol=1e-3)
    muls = [s for s in updates if "*=" in s.narration]
    assert all(s.math and s.math[0] == "w ← w · 1.0" for s in muls)
