"""The training series: every iteration's loss, leaf values and printed scalars."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from gradviz.core import series_view, story_json
from gradviz.core.player import Player
from gradviz.core.story import Story
from gradviz.core.trace import trace_source
from gradviz.core.training_series import parse_logged

sys.path.insert(0, str(Path(__file__).resolve().parent))
from training_scripts import LINREG, XOR  # noqa: E402


@pytest.fixture(scope="module")
def linreg():
    return trace_source(LINREG, "linreg.py")


@pytest.fixture(scope="module")
def xor():
    return trace_source(XOR, "xor_sgd.py")


def _printed(stdout: str) -> dict[int, float]:
    """{iteration: loss} from the script's own `print(i, repr(loss.item()))` lines."""
    out = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit():
            out[int(parts[0])] = float(parts[1])
    return out


def test_loss_values_are_the_scripts_printed_losses(linreg):
    series = linreg.story.series
    printed = _printed(linreg.stdout)
    assert series["iterations"] == 100 == len(printed)
    assert series["loss"]["name"] == "loss"
    values = series["loss"]["values"]
    for i, loss in printed.items():
        assert np.float32(values[i]) == np.float32(loss), i
    assert values[-1] < values[0] / 100  # it trained


def test_every_iteration_jumps_to_its_episode_or_the_summary(linreg):
    story, series = linreg.story, linreg.story.series
    summary = [s for s in story.steps if s.kind == "summary"]
    assert len(summary) == 1
    episodes = series["episodes"]
    assert episodes == [*range(30), *[30] * 40, *range(31, 61)]
    assert series_view.hidden_iterations(series, story) == list(range(30, 70))
    for i in range(100):
        step = series_view.jump_step(series, story, i)
        if 30 <= i < 70:
            assert step == summary[0].index
            assert series_view.stand_in(series, story, i) == "summary"
            continue
        # A told iteration jumps to its seed step, in the episode titled with its number.
        assert story.steps[step].kind == "seed"
        assert story.episodes[story.steps[step].episode].title.endswith(f"iteration {i + 1}")
        assert series_view.iterations_at_step(series, story, step) == (i, i)
    assert series_view.iterations_at_step(series, story, summary[0].index) == (30, 69)


def test_a_lazy_storys_untold_iterations_keep_their_place_when_told():
    from gradviz.core import deferred

    result = trace_source(LINREG, "linreg.py", lazy=True)
    story, series = result.story, result.story.series
    assert series["episodes"] == list(range(100))  # one episode per iteration
    assert series_view.stand_in(series, story, 50) == "untold"
    assert series_view.jump_step(series, story, 50) == story.episodes[50].first_step
    assert story.steps[story.episodes[50].first_step].kind == "untold"
    # Told and spliced in: every step after it moves, the series still points right.
    told = deferred.splice(story, *result.teller.tell(50))
    assert told.series is story.series
    step = series_view.jump_step(series, told, 50)
    assert told.steps[step].kind == "seed"
    assert told.episodes[told.steps[step].episode].title.endswith("iteration 51")
    late = series_view.jump_step(series, told, 80)
    assert told.episodes[told.steps[late].episode].title.endswith("iteration 81")
    assert 50 not in series_view.hidden_iterations(series, told)
    assert 49 in series_view.hidden_iterations(series, told)


def test_leaf_series_end_at_the_engines_final_values(linreg):
    params = linreg.story.series["params"]
    assert sorted(params) == ["b", "w"]
    final = linreg.stdout.splitlines()[-1].split()
    w, b = params["w"], params["b"]
    assert w["kind"] == "values" and w["shape"] == []
    assert np.float32(w["value"][-1][0]) == np.float32(float(final[1]))
    assert np.float32(b["value"][-1][0]) == np.float32(float(final[2]))
    # value after iteration k = value after k-1 − lr · grad of k (the manual update)
    for k in range(1, 100):
        expected = np.float32(w["value"][k - 1][0]) - np.float32(0.5) * np.float32(w["grad"][k][0])
        assert np.isclose(w["value"][k][0], expected, rtol=1e-5, atol=1e-6), k
    assert w["value"][0][0] == pytest.approx(-0.5 * w["grad"][0][0], rel=1e-6)


def test_the_printed_losses_become_a_logged_series(linreg):
    logged = linreg.story.series["logged"]
    assert list(logged) == ["printed value"]  # `final w b` is printed once: not a series
    assert logged["printed value"]["x"] == [float(i) for i in range(100)]
    assert logged["printed value"]["y"] == linreg.story.series["loss"]["values"]


def test_a_loss_printed_once_an_epoch_sits_at_its_epochs_last_batch():
    """`epoch 2: loss 0.6246` after 4 batches an epoch is iteration 12's loss, not
    iteration 2's: a printed loss is put where the recorded loss is the number printed."""
    source = (
        "import torch\n"
        "w = torch.tensor([1.0, -2.0], requires_grad=True)\n"
        "x = torch.tensor([[0.5, 1.0], [1.5, -0.5], [-1.0, 2.0], [0.3, 0.3]])\n"
        "for epoch in range(3):\n"
        "    for i in range(4):\n"
        "        loss = ((x[i] * w).sum() - 1.0) ** 2\n"
        "        loss.backward()\n"
        "        with torch.no_grad():\n"
        "            w -= 0.1 * w.grad\n"
        "        w.grad.zero_()\n"
        '    print(f"epoch {epoch}: loss {loss.item():.4f} acc 0.5")\n'
    )
    series = trace_source(source).story.series
    losses = series["loss"]["values"]
    logged = series["logged"]
    assert logged["loss"]["x"] == [3.0, 7.0, 11.0]
    assert logged["loss"]["y"] == pytest.approx([losses[3], losses[7], losses[11]], abs=5e-5)
    assert logged["acc"]["x"] == [0.0, 1.0, 2.0]  # not losses: the epoch counter stays


def test_xor_mlp_with_sgd(xor):
    series = xor.story.series
    assert series["iterations"] == 300
    printed = _printed(xor.stdout)
    assert sorted(printed) == [0, 100, 200]
    for i, loss in printed.items():
        assert np.float32(series["loss"]["values"][i]) == np.float32(loss)
    params = series["params"]
    assert sorted(params) == ["model.0.bias", "model.0.weight", "model.2.bias", "model.2.weight"]
    assert params["model.0.weight"]["shape"] == [4, 2]
    weight = np.array(params["model.0.weight"]["value"], dtype=np.float32)
    grad = np.array(params["model.0.weight"]["grad"], dtype=np.float32)
    assert weight.shape == grad.shape == (300, 8)
    # optim.SGD(lr=0.5): each iteration's value is the last one minus 0.5 · its .grad
    np.testing.assert_allclose(weight[1:], weight[:-1] - 0.5 * grad[1:], rtol=1e-5, atol=1e-6)
    assert xor.story.series["logged"]["printed value"]["x"] == [0.0, 100.0, 200.0]


def test_big_tensors_are_summarised_by_their_norm():
    source = (
        "import torch\n"
        "w = torch.ones(5, 5, requires_grad=True)\n"
        "for i in range(3):\n"
        "    loss = (w * w).sum()\n"
        "    loss.backward()\n"
        "    with torch.no_grad():\n"
        "        w -= 0.1 * w.grad\n"
        "    w.grad = None\n"
    )
    series = trace_source(source, "big.py").story.series
    w = series["params"]["w"]
    assert w["kind"] == "norm" and w["shape"] == [5, 5]
    assert w["grad"][0] == pytest.approx(10.0)  # ‖2·ones(5, 5)‖ = 2 · 5
    assert w["value"][0] == pytest.approx(5 * 0.8)
    assert w["value"][2] == pytest.approx(5 * 0.8**3, rel=1e-6)


def test_no_backward_no_series():
    assert trace_source("import torch\nx = torch.ones(3)\nprint(1)\nprint(2)\n").story.series == {}


def test_backward_calls_on_different_lines_are_no_loop():
    """A lesson's second backward (accumulation, retain_graph, detach) is no iteration:
    no per-iteration plot, whose line would draw a trend that is not there."""
    from gradviz.core.html_export import page_series

    example = (
        Path(__file__).resolve().parents[2]
        / "gradviz/assets/examples/02_grad_accumulation_and_zero.py"
    )
    story = trace_source(example.read_text(encoding="utf-8")).story
    assert story.series["iterations"] == 3 and story.series["loop"] is False
    assert not series_view.is_loop(story.series)
    assert page_series(story) is None
    # The same calls from one line, in a loop (or a function called in one), are a loop.
    looped = trace_source(
        "import torch\nx = torch.arange(4.0, requires_grad=True)\n"
        "def step():\n    (2 * torch.dot(x, x)).backward()\n"
        "for _ in range(2):\n    step()\n"
    ).story
    assert looped.series["loop"] is True and series_view.is_loop(looped.series)
    assert page_series(looped)["iterations"] == 2


def test_a_story_saved_before_loop_was_kept_reads_as_before(linreg):
    series = {k: v for k, v in linreg.story.series.items() if k != "loop"}
    assert series_view.is_loop(series)


def test_parse_logged_reads_labels_and_counters():
    text = "".join(f"epoch {e + 1}: loss={0.5 / (e + 1)} acc {e / 10}\n" for e in range(3))
    text += "tensor([1., 2.])\nonce 5\nDone.\n"
    logged = parse_logged(text)
    assert list(logged) == ["loss", "acc"]
    assert logged["loss"]["x"] == [0.0, 1.0, 2.0]  # the counter starts at 1: shifted
    assert logged["loss"]["y"] == [0.5, 0.25, pytest.approx(0.16666667)]
    assert logged["acc"]["y"] == [0.0, 0.1, 0.2]


def test_series_survive_a_story_file(linreg):
    story = linreg.story
    text = story_json.dumps(Player(story))
    assert story_json.loads(text).story.series == story.series
    assert Story.from_dict(json.loads(json.dumps(story.to_dict()))).series == story.series


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s["loss"]["values"].pop(),
        lambda s: s["episodes"].__setitem__(0, -1),
        lambda s: s["params"]["w"]["value"].__setitem__(0, ["x"]),
        lambda s: s["logged"]["printed value"]["y"].append(1.0),
        lambda s: s["params"]["w"].__setitem__("shape", [10**9]),
        lambda s: s["params"]["w"]["grad"].__setitem__(3, [1.0, 2.0]),
        lambda s: s.__setitem__("loop", "yes"),
    ],
)
def test_a_bad_series_in_a_story_file_is_refused(linreg, change):
    data = json.loads(story_json.dumps(Player(linreg.story)))
    change(data["story"]["series"])
    with pytest.raises(story_json.StoryFileError, match="series"):
        story_json.loads(json.dumps(data))


def test_a_long_loop_keeps_the_series_small(monkeypatch):
    from gradviz.core import training_series

    source = (
        "import torch\n"
        "w = torch.ones(4, requires_grad=True)\n"
        "b = torch.zeros((), requires_grad=True)\n"
        "for i in range(10):\n"
        "    loss = ((w * 2 + b) ** 2).sum()\n"
        "    loss.backward()\n"
        "    with torch.no_grad():\n"
        "        w -= 0.01 * w.grad\n"
        "        b -= 0.01 * b.grad\n"
        "    w.grad = None\n"
        "    b.grad = None\n"
    )
    full = trace_source(source, "loop.py").story.series
    assert [p["kind"] for p in full["params"].values()] == ["values", "values"]
    # 2 × 10 × (4 + 1) numbers elementwise; 2 × 10 × 2 as norms
    monkeypatch.setattr(training_series, "MAX_NUMBERS", 40)
    series = trace_source(source, "loop.py").story.series
    assert [p["kind"] for p in series["params"].values()] == ["norm", "norm"]
    w = np.array(full["params"]["w"]["value"])
    assert series["params"]["w"]["value"] == pytest.approx(np.linalg.norm(w, axis=1).tolist())
    monkeypatch.setattr(training_series, "MAX_NUMBERS", 39)  # room for one param only
    series = trace_source(source, "loop.py").story.series
    assert list(series["params"]) == ["w"]
    assert len(series["loss"]["values"]) == 10
