"""The window's choice of direction skips laying out a direction that cannot win (its
zoom bound is too small), and still chooses what laying out both would."""

import contextlib
import io
from pathlib import Path

import pytest

from gradviz.core.player import Player
from gradviz.core.trace import trace_source
from gradviz.ui.opening import AUTO_DIRECTION_MAX_NODES as MAX_NODES
from gradviz.ui.opening import ViewInputs, _choose

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "assets" / "examples").glob("*.py"))
VIEWS = ((900, 560), (1600, 900), (420, 1000))


def _zoom(lay, view) -> float:
    return min(view[0] / max(lay.width, 1.0), view[1] / max(lay.height, 1.0))


@pytest.fixture(scope="module")
def stories():
    with contextlib.redirect_stdout(io.StringIO()):
        return {path.stem: trace_source(path.read_text()).story for path in EXAMPLES}


def test_choice_equals_laying_out_both(stories):
    for name, story in stories.items():
        if not story.steps or sum(len(e.nodes) for e in story.episodes) > MAX_NODES:
            continue  # big stories open left to right without a choice
        index = story.steps[story.default_step].episode
        for width, height in VIEWS:
            zooms = {
                d: _zoom(Player(story, d).layout(index), (width, height)) for d in ("LR", "TB")
            }
            expected = "TB" if zooms["TB"] > zooms["LR"] * 1.05 else "LR"
            direction, player = _choose(story, ViewInputs("auto", width, height))
            assert direction == expected, (name, width, height)
            assert player.direction == direction


def test_a_direction_that_cannot_win_is_not_laid_out(stories, monkeypatch):
    laid_out = []
    real = Player._lay_out

    def lay_out(self, index):
        laid_out.append(self.direction)
        return real(self, index)

    monkeypatch.setattr(Player, "_lay_out", lay_out)
    story = stories["05_control_flow"]  # tall and deep: left to right wins by far
    direction, player = _choose(story, ViewInputs("auto", 1200, 700))
    assert direction == "LR" and laid_out == ["LR"]
    assert player.layout(story.steps[story.default_step].episode)  # made, and kept
