"""layout.zoom_bound never promises less room than the layout takes (the window skips
laying a story out in a direction whose bound cannot win: tests/ui/test_opening_direction)."""

import contextlib
import io
from pathlib import Path

import networkx as nx
import pytest

from gradviz.core.layout import layout_graph, zoom_bound
from gradviz.core.player import Player
from gradviz.core.trace import trace_source

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "assets" / "examples").glob("*.py"))
VIEWS = ((900, 560), (1600, 900), (420, 1000))


def _zoom(lay, view) -> float:
    return min(view[0] / max(lay.width, 1.0), view[1] / max(lay.height, 1.0))


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
                zoom = _zoom(Player(story, direction).layout(index), view)
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
                assert zoom_bound(graph, direction, sizes, view) >= _zoom(lay, view) - 1e-9


def test_a_long_chain_that_may_fold_is_not_bounded():
    chain = nx.path_graph(40, create_using=nx.DiGraph)
    assert zoom_bound(chain, "LR", None, (900, 560)) == float("inf")
