"""Collapsing and expanding nn.Modules in the window (a box's menu, View → Collapse
Modules / Expand All Modules, the default for big graphs), and a golden of a collapsed MLP."""

from __future__ import annotations

import sys
from pathlib import Path

from fixtures_app import data_dir, run_code, window  # noqa: F401 - pytest fixtures
from golden import assert_matches_golden

from gradviz.core.player import Player
from gradviz.ui.export_image import ExportOptions, render_image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
from story_helpers import record_story  # noqa: E402

XOR = """\
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

# Ten Linear layers with Tanh between them: more than 60 boxes in its episode.
DEEP = """\
import torch
import torch.nn as nn

torch.manual_seed(0)
layers = []
for i in range(10):
    layers += [nn.Linear(3, 3), nn.Tanh()]
model = nn.Sequential(*layers)
x = torch.ones(2, 3)
loss = model(x).sum()
loss.backward()
"""


def _box_ids(win) -> set[str]:
    return {b.id for b in win.current_scene().boxes}


def _trigger(win, box_id: str, text: str) -> None:
    actions = win.module_collapse.actions_for(box_id)
    action = next(a for a in actions if a.text() == text)
    action.trigger()


def test_a_module_collapses_and_expands_from_its_boxes_menu(qtbot, window) -> None:  # noqa: F811
    run_code(qtbot, window, XOR)
    full = window.player
    assert full.collapsed == frozenset()
    source_step = window.current_step
    addmm = next(
        b.id
        for b in window.current_scene().boxes
        if b.title == "AddmmBackward0" and "model.0" in b.subtitle
    )
    menu = [a.text() for a in window.module_collapse.actions_for(addmm)]
    assert menu[:2] == ["Collapse model.0 (Linear)", "Collapse model (Sequential)"]

    _trigger(window, addmm, "Collapse model.0 (Linear)")
    assert window.player.collapsed == {"model.0"}
    ids = _box_ids(window)
    assert "module:model.0" in ids and addmm not in ids
    assert window.player.source_step(window.current_step) == source_step  # same moment
    assert window.transport.slider.maximum() == window.player.step_count - 1
    # The inspector shows the module's parameters with their grads.
    window.on_box_clicked("module:model.0")
    rows = dict(window.inspector.rows)
    assert rows["name"] == "model.0"
    assert rows["model.0.weight.grad"].startswith("tensor([[")
    assert rows["model.0.bias.grad"].startswith("tensor([")

    _trigger(window, "module:model.0", "Expand model.0")
    assert window.player.collapsed == frozenset()
    assert addmm in _box_ids(window) and "module:model.0" not in _box_ids(window)
    assert window.current_step == source_step
    assert window.player.step_count == full.step_count


def test_view_menu_collapses_every_module_at_depth_one(qtbot, window) -> None:  # noqa: F811
    run_code(qtbot, window, XOR)
    texts = [a.text() for a in window.menuBar().actions()]
    view = window.menuBar().actions()[texts.index("&View")].menu()
    assert window.module_collapse.collapse_action in view.actions()
    window.module_collapse.collapse_action.trigger()
    assert window.player.collapsed == {"model.0", "model.1", "model.2", "model.3"}
    modules = {b.title for b in window.current_scene().boxes if b.role == "module"}
    assert modules == {
        "model.0 · Linear",
        "model.1 · Tanh",
        "model.2 · Linear",
        "model.3 · Sigmoid",
    }
    # Stepping through it tells a collapsed module's backward pass as one step.
    story = window.player.story
    k = next(
        s.index
        for s in story.steps
        if s.kind == "module" and s.phase == "backward" and s.focus[0] == "module:model.2"
    )
    window.transport.show_step(k)
    window.show_step(k, animate=False)
    assert window.narration.text().startswith("model.2 (Linear) receives ∂loss/∂model.2.addmm")
    # The loss curve's iterations follow the collapsed timeline.
    window.training.jump(0)
    assert window.player.story.steps[window.current_step].episode == 0
    window.training.jump(1)
    assert window.player.story.steps[window.current_step].episode == 1
    # A new run of the script keeps the modules collapsed.
    run_code(qtbot, window, XOR)
    assert window.player.collapsed == {"model.0", "model.1", "model.2", "model.3"}
    window.module_collapse.expand_action.trigger()
    assert window.player.collapsed == frozenset()
    assert not any(b.role == "module" for b in window.current_scene().boxes)


def test_a_graph_of_more_than_60_boxes_opens_collapsed(qtbot, window) -> None:  # noqa: F811
    run_code(qtbot, window, DEEP)
    assert max(len(e.nodes) for e in window.player.source.episodes) > 60
    assert window.player.collapsed == {f"model.{i}" for i in range(20)}
    assert len(window.current_scene().boxes) < 30
    # Expanded by the learner, it stays expanded when the script runs again.
    window.module_collapse.expand_action.trigger()
    run_code(qtbot, window, DEEP)
    assert window.player.collapsed == frozenset()


# One iteration, the MLP made in a function: no line binds a name to one of its parameters.
XOR_ONCE = """\
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y = torch.tensor([[0.0], [1.0], [1.0], [0.0]])


def mlp():
    return nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid())


model = mlp()
loss = nn.BCELoss()(model(X), y)
loss.backward()
"""


def test_a_collapsed_mlp_matches_its_golden(qapp) -> None:
    story, _, _ = record_story(XOR_ONCE)
    assert {n.title for n in story.episodes[0].nodes if n.role == "tensor"} == {"X", "y"}
    player = Player(story, collapsed={"model.0", "model.1", "model.2", "model.3"})
    k = next(
        s.index
        for s in player.story.steps
        if s.kind == "module" and s.phase == "backward" and s.focus[0] == "module:model.2"
    )
    scene = player.scene(k)
    assert sum(b.role == "module" for b in scene.boxes) == 4
    assert_matches_golden(render_image(scene, ExportOptions()), "module_collapsed_xor_mlp")


def test_export_collapse_option(tmp_path) -> None:
    from test_cli import cli

    from gradviz.__main__ import _collapsed
    from gradviz.core import story_json

    script = tmp_path / "xor.py"
    script.write_text(XOR_ONCE, encoding="utf-8")
    out = tmp_path / "story.json"
    done = cli(str(script), "-o", str(out), "--collapse")
    assert done.returncode == 0, done.stderr
    player = story_json.loads(out.read_text(encoding="utf-8"))
    titles = {n.title for n in player.story.episodes[0].nodes if n.role == "module"}
    assert titles == {"model.0 · Linear", "model.1 · Tanh", "model.2 · Linear", "model.3 · Sigmoid"}
    story = record_story(XOR_ONCE)[0]
    assert _collapsed(story, None) == frozenset()
    assert _collapsed(story, "model.0, model.2") == {"model.0", "model.2"}
