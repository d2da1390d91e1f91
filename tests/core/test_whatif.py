"""What-if: an edited leaf re-runs in the sandbox, the grads shown are the engine's, no box
moves; f and f′ sampled in the sandbox agree with finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest

import engine
from gradviz.core import whatif
from gradviz.core.player import Player
from gradviz.core.trace import trace_source
from gradviz.core.values import decode

SOURCE = (
    "import torch\n\n"
    "x = torch.arange(4.0, requires_grad=True)  # the leaf\n"
    "y = 2 * torch.dot(x, x)\n"
    "y.backward()\n"
    "print(x.grad)\n"
)
SCALAR = (
    "import torch\n\nx = torch.tensor(1.5, requires_grad=True)\ny = x * torch.sin(x)\n"
    "y.backward()\nprint(x.grad)\n"
)


def _grad_of(story, title):
    for ep in story.episodes:
        for n in ep.nodes:
            if n.role == "leaf" and n.title == title:
                found = None
                for s in story.steps:
                    for target, field, raw in s.updates:
                        if target == n.id and field == "grad_full":
                            found = raw
                return decode(found)
    return None


def test_with_value_keeps_every_line():
    site = whatif.leaf_sites(SOURCE)["x"]
    edited = whatif.with_value(SOURCE, site, "[1.0, -2.0, 0.5, 3.0]")
    assert edited.splitlines()[2] == (
        "x = torch.tensor([1.0, -2.0, 0.5, 3.0], requires_grad=True)  # the leaf"
    )
    assert [a for a, b in zip(SOURCE.splitlines(), edited.splitlines()) if a != b] == [
        SOURCE.splitlines()[2]
    ]
    site2 = whatif.leaf_sites(SCALAR)["x"]
    assert whatif.with_value(SCALAR, site2, "2.0").splitlines()[2] == (
        "x = torch.tensor(2.0, requires_grad=True)"
    )
    assert whatif.literal(np.array([[1, 2.5]], dtype=np.float32)) == "[[1.0, 2.5]]"
    assert whatif.literal(np.float64(-0.25)) == "-0.25"


def test_edit_reruns_in_the_sandbox_with_the_same_ids_and_no_box_moves():
    # Both runs in a worker, as in the app (ids count from a fresh process).
    before = whatif.run(SOURCE)
    old = Player(before.story)
    step = before.story.default_step
    old_scene = old.scene(step)
    edited = whatif.with_value(SOURCE, whatif.leaf_sites(SOURCE)["x"], "[1.0, -2.0, 0.5, 3.0]")
    after = whatif.run(edited)
    assert after.error is None
    assert whatif.same_graph(before.story, after.story)
    new = whatif.PinnedPlayer(after.story, old)
    new_scene = new.scene(step)
    # Every box is where it was, and as large.
    assert {b.id: (b.x, b.y, b.width, b.height) for b in old_scene.boxes} == {
        b.id: (b.x, b.y, b.width, b.height) for b in new_scene.boxes
    }
    # The grads shown are the engine's for the new value.
    x = engine.tensor([1.0, -2.0, 0.5, 3.0], requires_grad=True)
    (2 * engine.dot(x, x)).backward()
    np.testing.assert_array_equal(_grad_of(after.story, "x"), x.grad.numpy())
    assert after.stdout.strip() == str(x.grad)
    box = next(b for b in new_scene.boxes if b.role == "leaf")
    assert box.grad == "[4., -8., 2., 12.]"
    # What flashes: the leaf's value and grad moved, by these amounts.
    moved = whatif.changes(old, new, step)
    leaf = next(b.id for b in new_scene.boxes if b.role == "leaf")
    assert moved[leaf]["value"] == "Δ [1., -3., -1.5, 0.]"
    assert moved[leaf]["grad"] == "Δ [4., -12., -6., 0.]"


def test_a_changed_graph_is_laid_out_again():
    before = trace_source(SOURCE)
    other = trace_source(SOURCE.replace("2 * torch.dot(x, x)", "torch.dot(x, x).sum() * 3"))
    assert not whatif.same_graph(before.story, other.story)
    player = whatif.PinnedPlayer(other.story, Player(before.story))
    assert player.scene(other.story.default_step).boxes  # laid out, not borrowed


def test_f_and_fprime_match_finite_differences():
    points = whatif.line_points(1.5, span=2.0, n=41)
    samples = whatif.sample(SCALAR, ["x"], points)
    assert samples is not None
    xs = [p[0] for p in points]
    for x, f in zip(xs, samples.f):
        assert f == pytest.approx(x * math.sin(x), abs=1e-5)
    h = xs[1] - xs[0]
    for i in range(1, len(xs) - 1):
        fd = (samples.f[i + 1] - samples.f[i - 1]) / (2 * h)
        # central differences with h = 0.1: error h²/6·|f‴| < 0.01 here
        assert samples.grads[i][0] == pytest.approx(fd, abs=0.01)
        exact = math.sin(xs[i]) + xs[i] * math.cos(xs[i])
        assert samples.grads[i][0] == pytest.approx(exact, abs=1e-5)


def test_contour_gradient_matches_finite_differences():
    source = (
        "import torch\n\na = torch.tensor(1.0, requires_grad=True)\n"
        "b = torch.tensor(-0.5, requires_grad=True)\nq = 3 * a**3 - b**2 + a * b\n"
        "q.backward()\n"
    )
    points = whatif.grid_points(1.0, -0.5, n=5, span=1.0)
    s = whatif.sample(source, ["a", "b"], points)
    assert s is not None and len(s.f) == 25
    grid = np.array(s.f).reshape(5, 5)  # [row j (b), column i (a)]
    h = 0.5
    for j in range(1, 4):
        for i in range(1, 4):
            a, b = points[j * 5 + i]
            ga, gb = s.grads[j * 5 + i]
            assert ga == pytest.approx(9 * a**2 + b, abs=1e-4)
            assert gb == pytest.approx(-2 * b + a, abs=1e-4)
            fd_b = (grid[j + 1, i] - grid[j - 1, i]) / (2 * h)
            assert gb == pytest.approx(fd_b, abs=1e-4)  # f is quadratic in b: exact


def test_sampling_needs_a_backward_and_the_leaf():
    assert whatif.sampling_script("import torch\nx = torch.tensor(1.0)\n", ["x"], [(1.0,)]) is None
    assert whatif.sampling_script(SCALAR, ["nope"], [(1.0,)]) is None
    assert whatif.scalar_leaves(trace_source(SCALAR).story) == ["x"]
    assert whatif.scalar_leaves(trace_source(SOURCE).story) == []
