"""layout.zoom_bound never promises less room than the layout takes, and the window's
choice of direction, which skips laying out a direction whose bound cannot win, is what
laying out both would choose (gradviz.ui.opening is Qt-free)."""

import contextlib
import io
from pathlib import Path

import networkx as nx
import pytest

from gradviz.core.layout import layout_graph, zoom_bound
from gradviz.core.player import Player
from gradviz.core.trace import trace_source
from gradviz.ui.opening import AUTO_DIRECTION_MAX_NODES as MAX_NODES
from gradviz.ui.opening import ViewInputs, _choose

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "assets" / "examples").glob("*.py"))
VIEWS = ((900, 560), (1600, 900), (420, 1000))


@pytest.fixture(scope="module")
def stories():
    with contextlib.redirect_stdout(io.StringIO()):
        return {path.stem: trace_source(path.read_text()).story for path in EXAMPLES}


@pytest.mark.parametrize("direction", ["LR", "TB"])
def test_bound_is_at_least_the_zoom_of_every_example(stories, direction):
    bounded = 0
    for name, story in stories.items():
        for index in range(min(3, len(story.episodes))):
            for view in VIEWS:
                bound = Player(story, direction).zoom_bound(index, view)
                zoom = Player(story, direction).layout(index).zoom_to_fit(view)
                assert bound >= zoom - 1e-9, (name, index, view)
                bounded += bound != float("inf")
    assert bounded > 20  # most are bounded, not waved through


def test_bound_on_awkward_graphs():
    """Several components, a cycle, a self-loop, a wide layer, a long chain that folds."""
    graphs = [
        nx.DiGraph([(0, 1), (1, 2), (3, 4), (5, 5)]),
        nx.DiGraph([(0, 1), (1, 2), (2, 0), (2, 3)]),
        nx.DiGraph([(0, k) for k in range(1, 12)] + [(k, 12) for k in range(1, 12)]),
        nx.path_graph(40, create_using=nx.DiGraph),
    ]
    sizes = {k: (60.0 + 37 * (k % 4), 40.0 + 23 * (k % 3)) for k in range(40)}
    for graph in graphs:
        for direction in ("LR", "TB"):
            for view in VIEWS:
                lay = layout_graph(graph, direction, sizes)
                assert zoom_bound(graph, direction, sizes, view) >= lay.zoom_to_fit(view) - 1e-9


def test_a_long_chain_that_may_fold_is_not_bounded():
    chain = nx.path_graph(40, create_using=nx.DiGraph)
    assert zoom_bound(chain, "LR", None, (900, 560)) == float("inf")


def test_choice_equals_laying_out_both(stories):
    for name, story in stories.items():
        if not story.steps or sum(len(e.nodes) for e in story.episodes) > MAX_NODES:
            continue  # big stories open left to right without a choice
        index = story.steps[story.default_step].episode
        for width, height in VIEWS:
            zooms = {
                d: Player(story, d).layout(index).zoom_to_fit((width, height)) for d in ("LR", "TB")
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
