"""The story of each tutorial situation: episodes, key steps, narration and JSON round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradviz.core.player import Player
from gradviz.core.story import Story
from gradviz.core.trace import TraceResult, trace_source

EXAMPLES = Path(__file__).resolve().parents[2] / "assets" / "examples"


def run(source: str) -> TraceResult:
    return trace_source(source)


def steps_of(story, kind):
    return [s for s in story.steps if s.kind == kind]


Y_2XTX = """import torch
x = torch.arange(4.0, requires_grad=True)
y = 2 * torch.dot(x, x)
y.backward()
x.grad
"""


def test_y_equals_2xtx_fan_in_is_summed_at_accumulate_grad():
    result = run(Y_2XTX)
    assert result.error is None
    assert result.stdout == "tensor([ 0.,  4.,  8., 12.])\n"
    story = result.story
    assert [e.title for e in story.episodes] == ["1. y.backward()"]
    roles = {n.title: n.role for n in story.episodes[0].nodes}
    assert roles["x"] == "leaf"
    assert roles["DotBackward0"] == roles["MulBackward0"] == "grad_fn"
    assert roles["AccumulateGrad"] == "accumulate"
    sends = [s for s in steps_of(story, "send") if "DotBackward0 sends" in s.narration]
    assert len(sends) == 2  # one per input slot of dot(x, x)
    (fan_in,) = steps_of(story, "sum")
    assert "2 gradients reach its AccumulateGrad and are summed" in fan_in.narration
    assert "[0, 2, 4, 6] + [0, 2, 4, 6] = [0, 4, 8, 12]" in fan_in.narration
    assert len(fan_in.edges) == 2  # both edges of dot(x, x) light up
    (acc,) = steps_of(story, "accumulate")
    assert acc.index == fan_in.index + 1 and "x.grad = [0, 4, 8, 12]" in acc.narration
    assert acc.line == 2  # points at the line that created x
    seed = steps_of(story, "seed")[0]
    assert "created implicitly" in seed.narration and seed.line == 4


def test_grad_accumulates_across_backward_calls_and_zero_resets():
    src = """import torch
x = torch.tensor([1.0, 2.0], requires_grad=True)
for _ in range(3):
    (x * x).sum().backward()
x.grad.zero_()
"""
    story = run(src).story
    assert len(story.episodes) == 3
    acc = steps_of(story, "accumulate")
    assert [a.narration.split("AccumulateGrad")[1] for a in acc] == [
        " stores the gradient as x.grad = [2, 4] (x.grad was None).",
        " adds the gradient into x.grad: [2, 4] + [2, 4] = [4, 8].",
        " adds the gradient into x.grad: [4, 8] + [2, 4] = [6, 12].",
    ]
    zero = steps_of(story, "zero")[-1]
    assert zero.episode == 2 and "resets x.grad to [0, 0]" in zero.narration
    player = Player(story)
    leaf = next(n.id for n in story.episodes[2].nodes if n.title == "x")
    grads = [b.grad for b in player.scene(zero.index).boxes if b.id == leaf]
    assert grads == ["[0., 0.]"]
    # The leaf keeps one identity across episodes.
    ids = {n.id for ep in story.episodes for n in ep.nodes if n.title == "x"}
    assert ids == {leaf}


def test_non_scalar_gradient_seed():
    src = """import torch
x = torch.arange(4.0, requires_grad=True)
y = x * x
y.backward(gradient=torch.ones(len(y)))
"""
    story = run(src).story
    seed = steps_of(story, "seed")[0]
    assert "v = [1, 1, 1, 1]" in seed.narration and "vᵀ·J" in seed.narration


def test_detach_cuts_the_edge_and_no_gradient_crosses_it():
    src = (EXAMPLES / "04_detach.py").read_text()
    story = run(src).story
    ep = story.episodes[0]
    cut = [e for e in ep.edges if e.kind == "cut"]
    assert len(cut) == 1
    u = next(n for n in ep.nodes if n.id == cut[0].target)
    assert u.title == "u" and u.role == "tensor"
    backward = [s for s in story.steps[ep.first_step : ep.last_step + 1] if s.phase == "backward"]
    assert backward
    for step in backward:
        assert cut[0].id not in step.edges
        assert step.token is None or step.token.edge != cut[0].id
    acc = [s for s in steps_of(story, "accumulate") if s.episode == 0]
    assert "x.grad = [0, 1, 4, 9]" in acc[0].narration  # u, not 3x²


def test_second_backward_error_is_the_last_step():
    src = """import torch
x = torch.tensor([1.0, 2.0], requires_grad=True)
y = (x * x).sum()
y.backward()
y.backward()
"""
    result = run(src)
    assert result.error is not None and result.error.line == 5
    assert "Trying to backward through the graph a second time" in result.error.message
    last = result.story.steps[-1]
    assert last.phase == "error" and last.line == 5
    assert "retain_graph=True" in last.narration
    assert steps_of(result.story, "accumulate")  # the first backward is kept


def test_retain_graph_allows_a_second_pass():
    story = run((EXAMPLES / "08_retain_graph.py").read_text()).story
    frees = steps_of(story, "free")
    assert "retain_graph=True kept the saved tensors" in frees[0].narration
    assert story.steps[-1].phase == "error"


def test_regression_step_update_under_no_grad():
    story = run((EXAMPLES / "07_regression_step.py").read_text()).story
    inplace = steps_of(story, "inplace")
    assert inplace and "under no_grad" in inplace[-1].narration
    assert "[[0.73], [0.63], [0.53]]" in inplace[-1].narration


def test_q_equals_3a3_minus_b2_gradients():
    src = """import torch
a = torch.tensor([2.0, 3.0], requires_grad=True)
b = torch.tensor([6.0, 4.0], requires_grad=True)
Q = 3*a**3 - b**2
Q.backward(gradient=torch.tensor([1., 1.]))
"""
    story = run(src).story
    acc = [s.narration for s in steps_of(story, "accumulate")]
    assert any("a.grad = [36, 81]" in t for t in acc)
    assert any("b.grad = [-12, -8]" in t for t in acc)


def test_control_flow_rebuilds_the_graph_each_run():
    src = (EXAMPLES / "05_control_flow.py").read_text()
    first, second = run(src).story, run(src.replace("manual_seed(0)", "manual_seed(1)")).story
    assert steps_of(first, "op") and steps_of(second, "op")
    names = [s.narration for s in steps_of(first, "op") if "Python reads it" in s.narration]
    assert names  # the comparisons that steer the loop are told


def test_syntax_error_keeps_the_source_and_points_at_the_line():
    result = run("import torch\nx = torch.ones(2\n")
    assert result.error.kind == "syntax" and result.error.line == 2
    assert result.story.source.startswith("import torch")


def test_runtime_error_with_hint():
    result = run("import torch\nx = torch.ones(3, requires_grad=True)\n(x * 2).backward()\n")
    assert result.error.line == 3
    assert "gradient=" in result.error.hint
    assert result.story.steps[-1].phase == "error"


def test_printed_output_matches_notebook():
    result = run("import torch\nx = torch.arange(4.0)\nx\n# %%\nprint(x.sum())\nx.shape\n")
    assert result.stdout == "tensor([0., 1., 2., 3.])\ntensor(6.)\ntorch.Size([4])\n"


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_json_round_trip_and_pure_seek(example):
    result = run((EXAMPLES / example).read_text())
    again = TraceResult.from_json(result.to_json())
    assert again == result
    assert TraceResult.from_json(result.to_bytes()) == result  # the worker's JSON lines
    assert Story.from_dict(json.loads(json.dumps(result.story.to_dict()))) == result.story
    player, other = Player(result.story), Player(again.story)
    for k in result.story and range(len(result.story.steps)):
        assert player.scene(k) == other.scene(k)  # a pure function of k
        assert player.scene(k).narration


def test_every_step_of_every_example_has_a_narration_and_line():
    for path in sorted(EXAMPLES.glob("*.py")):
        story = run(path.read_text()).story
        for step in story.steps:
            assert step.narration.strip(), (path.name, step)
            assert step.line is not None or step.kind in ("hook",), (path.name, step)


def test_story_and_layout_json_round_trip():
    from gradviz.core import story_json

    result = run((EXAMPLES / "04_detach.py").read_text())
    player = Player(result.story, "TB")
    text = story_json.dumps(player)
    loaded = story_json.loads(text)
    assert loaded.story == result.story and loaded.direction == "TB"
    for k in range(player.step_count):
        assert loaded.scene(k) == player.scene(k)
    with pytest.raises(ValueError, match="not a gradviz story"):
        story_json.loads("{broken")
    with pytest.raises(ValueError, match="unsupported story version"):
        story_json.loads(text.replace('"version": 1', '"version": 99', 1))
