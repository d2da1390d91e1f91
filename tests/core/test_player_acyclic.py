"""The window freezes the story on show out of the cyclic collector (gradviz/ui/heap.py):
that leaks nothing only while a player and its layouts hold no reference cycles."""

from __future__ import annotations

import gc

from gradviz.core.player import Player
from gradviz.core.trace import trace_source

SCRIPT = """import torch
x = torch.tensor([1.0, 2.0], requires_grad=True)
b = torch.tensor([0.1, -0.1], requires_grad=True)
h = x
for i in range(12):
    w = torch.full((2,), 0.5 + 0.01 * i, requires_grad=True)
    h = (h * w + b).tanh()
h.sum().backward()
"""


def test_a_player_and_its_layouts_leave_no_cyclic_garbage() -> None:
    story = trace_source(SCRIPT).story
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        player = Player(story)
        for k in range(0, player.step_count, 7):
            player.scene(k)  # lays every episode out, with shared-leaf copies
        del player
        gc.collect()
        kinds = sorted({type(o).__name__ for o in gc.garbage})
        assert not [o for o in gc.garbage if type(o).__name__ in ("Player", "DiGraph", "dict")], (
            kinds
        )
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
