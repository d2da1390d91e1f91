"""Screenshots of every example at its key steps, compared with golden PNGs.

Key steps: the end of the first forward pass, the first fan-in (or the first backward
receive), and the last step. Regenerate with GRADVIZ_UPDATE_GOLDENS=1, then look at
every image in tests/ui/goldens/ before committing it.
"""

from __future__ import annotations

import pytest
from example_stories import NAMES, example_player
from golden import assert_matches_golden

from gradviz.core.player import Player
from gradviz.ui.render import render_scene_image


def key_steps(player: Player) -> dict[str, int]:
    steps = player.story.steps
    first_backward = next((s.index for s in steps if s.phase == "backward"), None)
    keys = {"end": len(steps) - 1}
    if first_backward is not None:
        keys["forward"] = max(first_backward - 1, 0)
        fan_in = next(
            (s.index for s in steps if s.phase == "backward" and "Fan-in" in s.narration), None
        )
        receive = next(s.index for s in steps[first_backward:] if s.kind != "seed")
        keys["backward"] = fan_in if fan_in is not None else receive
    return keys


@pytest.fixture(scope="module")
def players() -> dict[str, Player]:
    return {name: example_player(name) for name in NAMES}


@pytest.mark.parametrize("example", NAMES)
def test_example_key_steps_match_goldens(qapp, players, example) -> None:
    player = players[example]
    assert player.step_count > 0
    for label, step in key_steps(player).items():
        image = render_scene_image(player.scene(step))
        assert_matches_golden(image, f"example_{example}_{label}")
