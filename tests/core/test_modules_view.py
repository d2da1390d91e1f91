"""Collapsed nn.Modules (gradviz.core.module_view): module paths on every box inside a
module, one box per collapsed module with its edges re-targeted, one step for its
backward pass (and one for its forward pass), and every number still the source story's."""

from __future__ import annotations

import pytest
from story_helpers import record_story

from gradviz.core import module_view as mv
from gradviz.core import story_json
from gradviz.core.player import Player
from gradviz.core.story import Story

XOR = """
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y = torch.tensor([[0.0], [1.0], [1.0], [0.0]])
model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid())
loss_fn = nn.BCELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
for epoch in range(2):
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
"""

NESTED = """
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.body = nn.Sequential(nn.Linear(4, 4), nn.ReLU())
        self.fc2 = nn.Linear(4, 1)

    def forward(self, x):
        h = torch.tanh(self.fc1(x))
        return self.fc2(self.body(h) + h)


torch.manual_seed(0)
model = Net()
x = torch.randn(2, 3)
loss = model(x).pow(2).mean()
loss.backward()
"""


@pytest.fixture(scope="module")
def xor() -> Story:
    return record_story(XOR)[0]


@pytest.fixture(scope="module")
def nested() -> Story:
    return record_story(NESTED)[0]


def _by_title(ep) -> dict:
    out: dict = {}
    for n in ep.nodes:
        out.setdefault(n.title, []).append(n)
    return out


def _fields(state: dict, box: str) -> dict:
    return {k: v for k, v in state.get(box, {}).items() if not k.endswith("_full")}


# ----- module paths --------------------------------------------------------------------------
def test_every_box_inside_a_module_carries_its_module_path(xor, nested) -> None:
    ep = xor.episodes[0]
    titles = _by_title(ep)
    assert mv.module_path(titles["TanhBackward0"][0]) == "model.1"
    assert [mv.module_path(n) for n in titles["AddmmBackward0"]] == ["model.0", "model.2"]
    assert mv.module_path(titles["model.0.weight"][0]) == "model.0"  # a parameter
    accs = {n.subtitle: mv.module_path(n) for n in titles["AccumulateGrad"]}
    assert accs["→ model.2.bias.grad"] == "model.2"  # its AccumulateGrad too
    assert mv.module_path(titles["BinaryCrossEntropyBackward0"][0]) == "loss_fn"
    assert mv.module_path(titles["X"][0]) is None
    assert mv.module_chain(titles["TanhBackward0"][0]) == (
        ("model", "Sequential"),
        ("model.1", "Tanh"),
    )
    # Nested: named submodules and a Sequential inside them, outermost first.
    nt = _by_title(nested.episodes[0])
    relu = nt["ReluBackward0"][0]
    assert mv.module_chain(relu) == (
        ("model", "Net"),
        ("model.body", "Sequential"),
        ("model.body.1", "ReLU"),
    )
    assert mv.module_path(nt["model.fc1.bias"][0]) == "model.fc1"
    assert mv.module_path(nt["TanhBackward0"][0]) == "model"  # run by Net.forward itself
    assert mv.module_path(nt["MeanBackward0"][0]) is None
    assert mv.paths_at_depth(nested, 1) == {"model.fc1", "model.body", "model.fc2"}
    assert mv.outermost({"model.body", "model.body.0", "model.fc1"}) == {
        "model.body",
        "model.fc1",
    }


def test_big_episodes_open_collapsed_at_depth_one(xor) -> None:
    assert len(xor.episodes[0].nodes) <= mv.DEFAULT_MAX_BOXES
    assert mv.default_collapsed(xor) == frozenset()
    small = len(xor.episodes[0].nodes) - 1
    assert mv.default_collapsed(xor, small) == {"model.0", "model.1", "model.2", "model.3"}


# ----- collapse and expand -------------------------------------------------------------------
def test_a_collapsed_module_is_one_box_with_its_edges_retargeted(xor) -> None:
    player = Player(xor, collapsed={"model.0"})
    src, ep = xor.episodes[0], player.story.episodes[0]
    inside = {n.id for n in src.nodes if mv.module_path(n) == "model.0"}
    assert len(inside) == 6  # t, addmm, weight, bias and their AccumulateGrad
    ids = {n.id for n in ep.nodes}
    assert not inside & ids
    box = next(n for n in ep.nodes if n.id == "module:model.0")
    assert (box.role, box.title) == ("module", "model.0 · Linear")
    assert box.subtitle.startswith("▸ module")
    assert len(ep.nodes) == len(src.nodes) - len(inside) + 1
    for e in ep.edges:
        assert e.source in ids and e.target in ids
    x = next(n.id for n in ep.nodes if n.title == "X")
    tanh = next(n.id for n in ep.nodes if n.title == "TanhBackward0")
    pairs = {(e.source, e.target) for e in ep.edges}
    assert (x, "module:model.0") in pairs and ("module:model.0", tanh) in pairs
    # Expanding is the source story itself.
    expanded, _ = player.with_collapsed(())
    assert expanded.story is xor and expanded.step_count == len(xor.steps)


def test_the_backward_pass_through_a_collapsed_module_is_one_step(xor) -> None:
    source = Player(xor)
    player = Player(xor, collapsed={"model.2"})
    for index, ep in enumerate(xor.episodes):
        inside = {n.id for n in ep.nodes if mv.module_path(n) == "model.2"}
        told = [
            s
            for s in xor.steps[ep.backward_step : ep.last_step + 1]
            if s.phase == "backward" and s.focus and s.focus[0] in inside
        ]
        assert len(told) == 8  # receive, 3 sends, 2 accumulations, the weight's t
        folded = [
            s
            for s in player.story.steps
            if s.episode == index and s.kind == "module" and s.phase == "backward"
        ]
        assert len(folded) == 1
        step = folded[0]
        assert player.view.spans[step.index] == (told[0].index, told[-1].index)
        # The numbers are the source story's: what AddmmBackward0 received, what it sent
        # back to TanhBackward0, and the grads accumulated into the parameters.
        receive = told[0]
        assert receive.kind == "receive"
        received = source.state(receive.index)[receive.focus[0]]["grad"]
        out = next(s for s in told if s.kind == "send" and s.focus[1] not in inside)
        end = source.state(told[-1].index)
        weight, bias = (f"t{n[1:]}" for n in sorted(inside) if n.startswith("a"))
        grads = {xor_title(ep, t): end[t]["grad"] for t in (weight, bias)}
        assert step.narration.startswith(
            f"model.2 (Linear) receives ∂loss/∂model.2.addmm = {received} and sends "
            f"∂loss/∂model.1.tanh = {out.token.text} to TanhBackward0; its parameters' "
            "grads become "
        )
        for name, grad in grads.items():
            assert f"{name}.grad = {grad}" in step.narration
            assert f"{name}.grad = {grad}" in step.math
        assert step.token == out.token  # the gradient that leaves the module
    # Expanding shows every step again.
    assert Player(xor).step_count == len(xor.steps) > player.step_count


def xor_title(ep, nid: str) -> str:
    return next(n.title for n in ep.nodes if n.id == nid)


def test_the_forward_pass_through_a_collapsed_module_is_one_step(xor) -> None:
    source = Player(xor)
    player = Player(xor, collapsed={"model.0"})
    ep = xor.episodes[0]
    inside = {n.id for n in ep.nodes if mv.module_path(n) == "model.0"}
    ops = [s for s in xor.steps[: ep.backward_step] if s.kind == "op" and s.focus[0] in inside]
    assert [xor_title(ep, s.focus[0]) for s in ops] == ["TBackward0", "AddmmBackward0"]
    k = player.view_step(ops[0].index)
    assert k == player.view_step(ops[-1].index)
    step = player.story.steps[k]
    assert step.phase == "forward" and step.focus == ("module:model.0",)
    out = source.state(ops[-1].index)[ops[-1].focus[0]]["value"]
    assert step.narration.startswith("model.0 (Linear) runs forward on X:")
    assert f"give its output {out}." in step.narration
    assert step.math[-1] == f"addmm(model.0.bias, X, model.0.t) = {out}"


@pytest.mark.parametrize("paths", [{"model.0"}, {"model.0", "model.1", "model.2", "model.3"}])
def test_every_number_of_the_collapsed_story_is_the_source_storys(xor, paths) -> None:
    source = Player(xor)
    player = Player(xor, collapsed=paths)
    for k in range(player.step_count):
        assert player.view_step(player.source_step(k)) == k
        before, after = source.state(player.source_step(k)), player.state(k)
        ep = player.story.episodes[player.story.steps[k].episode]
        for node in ep.nodes:
            if node.role != "module":
                assert _fields(after, node.id) == _fields(before, node.id), (k, node.id)
                continue
            box = player.view.module_box(ep.index, node.id)
            out = box.outputs[0]
            for name in ("value", "grad"):
                assert after.get(node.id, {}).get(name) == before.get(out, {}).get(name)
            note = after.get(node.id, {}).get("note", "")
            for leaf in box.params:
                short = xor_title(xor.episodes[ep.index], leaf).removeprefix(box.path + ".")
                grad = before.get(leaf, {}).get("grad")
                assert grad is None or f"{short}.grad = {grad}" in note
        scene = player.scene(k)  # every step can be drawn
        assert {b.id for b in scene.boxes} >= {n.id for n in ep.nodes}
    # Every source step maps to a derived step containing it.
    for i in range(len(xor.steps)):
        first, last = player.view.spans[player.view_step(i)]
        assert first <= i <= last


def test_steps_keep_their_place_when_collapsing_and_expanding(xor) -> None:
    source = Player(xor)
    ep = xor.episodes[1]
    inside = {n.id for n in ep.nodes if mv.module_path(n) == "model.2"}
    middle = next(
        s.index
        for s in xor.steps
        if s.episode == 1 and s.kind == "accumulate" and s.focus[0] in inside
    )
    collapsed, k = source.with_collapsed({"model.2"}, middle)
    assert "module:model.2" in collapsed.story.steps[k].focus  # the step containing it
    expanded, back = collapsed.with_collapsed((), k)
    assert back == collapsed.view.spans[k][1]  # the last step it stood for: the same state
    assert expanded.state(back) == source.state(back)


def test_the_inspector_shows_a_modules_inputs_outputs_and_parameter_grads(xor) -> None:
    player = Player(xor, collapsed={"model.2"})
    k = next(s.index for s in player.story.steps if s.kind == "module" and s.phase == "backward")
    rows = dict(player.details(k, "module:model.2"))
    assert rows["name"] == "model.2"
    assert rows["parameters"] == "model.2.weight  [1, 4]\nmodel.2.bias  [1]"
    assert rows["input TanhBackward0"].startswith("tensor([[")
    assert rows["output"].startswith("tensor([[")
    assert rows["model.2.weight.grad"].startswith("tensor([[")
    assert rows["gradient received"].startswith("tensor([[")


def test_nested_modules_collapse_at_their_outermost_path(nested) -> None:
    player = Player(nested, collapsed={"model.body", "model.body.0"})
    assert player.collapsed == {"model.body"}
    ep = player.story.episodes[0]
    box = next(n for n in ep.nodes if n.id == "module:model.body")
    assert box.title == "model.body · Sequential"
    assert box.subtitle == "▸ module · 3 ops, 2 parameters"
    backward = [s for s in player.story.steps if s.kind == "module" and s.phase == "backward"]
    assert len(backward) == 1
    assert backward[0].narration.startswith(
        "model.body (Sequential) receives ∂loss/∂model.body.1.relu = "
    )
    assert "sends ∂loss/∂h = " in backward[0].narration


def test_a_collapsed_story_is_a_valid_story_file(xor) -> None:
    player = Player(xor, collapsed={"model.0", "model.2"})
    assert Story.from_dict(player.story.to_dict()) == player.story
    loaded = story_json.loads(story_json.dumps(player))  # validated: updates name its boxes
    assert loaded.story == player.story
