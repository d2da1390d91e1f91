"""A training loop told with numbers: each optimiser's step written out line by line, and
one iteration of a loop (zero_grad, forward, backward, step) told as one episode.

The step lines are checked the way a learner would check them: every line's numbers are
parsed and recomputed, every operand must be a number the story showed before (a
hyper-parameter, the gradient, or a result of an earlier line or an earlier step), and the
last result is the parameter the optimiser really left (on the engine and on PyTorch)."""

from __future__ import annotations

import math
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest
from story_helpers import record_story

from engine.autograd import recording as ev

EXAMPLES = Path(__file__).resolve().parents[2] / "gradviz" / "assets" / "examples"

# Two parameters: a 2×2 matrix (told through its element [0, 0]) and a scalar bias.
SCRIPT = """
import torch
w = torch.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
b = torch.tensor(0.3, requires_grad=True)
x = torch.tensor([[1.0, 2.0], [-1.0, 0.5]])
opt = torch.optim.{optimizer}
for i in range(3):
    opt.zero_grad()
    loss = ((x @ w + b - 1.0) ** 2).mean()
    loss.backward()
    opt.step()
"""

OPTIMIZERS = {
    "sgd": "SGD([w, b], lr=0.1)",
    "sgd_momentum": "SGD([w, b], lr=0.1, momentum=0.9)",
    "sgd_nesterov_decay": "SGD([w, b], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)",
    "sgd_dampening_maximize": "SGD([w, b], lr=0.01, momentum=0.5, dampening=0.3, maximize=True)",
    "adam": "Adam([w, b], lr=0.1)",
    "adam_decay_amsgrad": "Adam([w, b], lr=0.1, weight_decay=0.1, amsgrad=True)",
    "adamw": "AdamW([w, b], lr=0.1, betas=(0.8, 0.99))",
    "rmsprop": "RMSprop([w, b], lr=0.01)",
    "rmsprop_centered_momentum": "RMSprop([w, b], lr=0.01, momentum=0.9, centered=True)",
}

# The buffer each line's symbol names, to compare with the optimiser's state.
BUFFERS = {
    "buf": "momentum_buffer",
    "m": "exp_avg",
    "v": "exp_avg_sq",
    "v_max": "max_exp_avg_sq",
    "ḡ": "grad_avg",
}
RMSPROP_BUFFERS = {"v": "square_avg"}

# A sign written against the number is part of it (-2); a spaced one is subtraction (1 − 2).
_NUMBER = re.compile(r"-?\d+(?:\.\d*)?(?:e[+-]?\d+)?")
_SUPER = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


# ----- reading a line ------------------------------------------------------------------------
def python_of(numbers: str) -> str:
    """`0.9 · -1.2 + (1 − 0.9) · (-11.2)²` as Python: 0.9 * -1.2 + (1 - 0.9) * (-11.2)**2."""
    text = numbers.replace("·", "*").replace("−", "-")
    text = re.sub(r"([⁰¹²³⁴⁵⁶⁷⁸⁹]+)", lambda m: "**" + m[1].translate(_SUPER), text)
    text = re.sub(r"√\(", "sqrt(", text)
    text = re.sub(r"√(" + _NUMBER.pattern + ")", r"sqrt(\1)", text)
    assert re.fullmatch(r"[\d.e+\-*/() ,sqrtmax]*", text), (numbers, text)
    return text


def half_step(token: str) -> float:
    """How far a shown number may be from the value it stands for: at least 4 significant
    digits are shown, so half a unit in the 4th digit."""
    x = abs(float(token))
    return 0.0 if x == 0 else 0.5 * 10 ** (math.floor(math.log10(x)) - 3)


def evaluate(numbers: str) -> tuple[float, float, list[tuple[str, bool]]]:
    """The value of a line's numbers, how far rounding of its operands can move it, and
    its operands (token, is an exponent)."""
    code = python_of(numbers)
    spans = [
        (m.start(), m.end(), code[max(m.start() - 2, 0) : m.start()] == "**")
        for m in _NUMBER.finditer(code)
    ]
    tokens = [(code[a:b], exponent) for a, b, exponent in spans]

    def run(values: list[float]) -> float:
        text, at = "", 0
        for (a, b, _), v in zip(spans, values):
            text += code[at:a] + repr(v)
            at = b
        return float(eval(text + code[at:], {"sqrt": math.sqrt, "max": max}))  # noqa: S307

    base = [float(t) for t, _ in tokens]
    value = run(base)
    spread = 0.0
    for i, (token, exponent) in enumerate(tokens):
        if exponent:
            continue  # the step count t: exact
        moved = list(base)
        moved[i] += half_step(token)
        spread += abs(run(moved) - value)
    return value, spread, tokens


def close(a: float, b: float, slack: float = 0.0) -> bool:
    return abs(a - b) <= 1.001 * (half_step(repr(a)) + half_step(repr(b))) + slack + 1e-12


# ----- the story of a training script --------------------------------------------------------
def updates_of(source: str):
    story, events, _ = record_story(source)
    told = [s for s in story.steps if s.kind == "optimizer"]
    params = [e for e in events if isinstance(e, ev.ParamUpdated)]
    assert len(told) == len(params) > 0
    return told, params


def check_step_lines(step, e: ev.ParamUpdated, known: list[float]) -> dict[str, float]:
    """Recompute every line; returns the results by symbol (w, buf, m, v, ...)."""
    lines = list(step.math)
    grad0 = float(np.asarray(e.grad).flat[0])
    head = lines.pop(0)
    assert re.match(r"(for element \[[\d, ]+\]: )?g = \S+\.grad(\[[\d, ]+\])? = ", head), head
    shown_g = float(head.rsplit(" = ", 1)[1])
    assert close(shown_g, grad0), (head, grad0)
    if np.asarray(e.old).size > 1:
        summary = lines.pop()
        assert "→" in summary, summary
    known = [*known, shown_g, 1.0, 0.0]
    known += [float(v) for v in e.hyper.values() if isinstance(v, (int, float))]
    known += [float(b) for v in e.hyper.values() if isinstance(v, tuple) for b in v]
    results: dict[str, float] = {}
    for line in lines:
        parts = line.split(" = ")
        if len(parts) == 2:  # buf ← g = 0.5: a value shown before, under a new name
            shown = float(parts[1])
            assert any(close(shown, k) for k in known), line
            known.append(shown)
            results[parts[0].split(" ")[0]] = shown
            continue
        formula, numbers, shown = parts[0], parts[-2], float(parts[-1])
        value, spread, tokens = evaluate(numbers)
        assert abs(value - shown) <= 1.001 * (spread + half_step(parts[-1])) + 1e-12, (
            f"{line}: the numbers give {value}"
        )
        for token, exponent in tokens:
            if exponent:
                assert int(token) in (2, e.step), (line, e.step)  # a square, or β to the t
            else:
                assert any(close(float(token), k) for k in known), (
                    f"{line}: {token} was not shown before"
                )
        known.append(shown)
        symbol = formula.split(" ")[0]
        results[symbol] = shown
    return results


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_every_number_of_a_step_is_explained_by_numbers_before_it(optimizer):
    source = SCRIPT.format(optimizer=OPTIMIZERS[optimizer])
    told, params = updates_of(source)
    rmsprop = optimizer.startswith("rmsprop")
    # Before the first step the learner has seen the parameters' initial values.
    known = [0.5, 0.3]
    for step, e in zip(told, params):
        results = check_step_lines(step, e, known)
        new0 = float(np.asarray(e.tensor.value).flat[0])
        (w_symbol,) = [s for s in results if s not in BUFFERS and s not in ("g", "m̂", "v̂")]
        assert close(results[w_symbol], new0), (step.math, new0)
        for symbol, key in {**BUFFERS, **(RMSPROP_BUFFERS if rmsprop else {})}.items():
            if symbol in results and key in e.buffers:
                assert close(results[symbol], float(np.asarray(e.buffers[key]).flat[0]))
        # What this step showed explains the next step's old values and buffers.
        known = known + list(results.values())
    assert {e.step for e in params} == ({None} if optimizer.startswith("sgd") else {1, 2, 3})


def _torch_state(source: str):
    torch = pytest.importorskip("torch", reason="PyTorch 2.13 is the parity reference")
    namespace = {"__name__": "__main__", "torch": torch}
    exec(compile(textwrap.dedent(source), "<torch>", "exec"), namespace)  # noqa: S102
    return namespace


@pytest.mark.parametrize("optimizer", ["sgd", "sgd_momentum", "adam", "adamw"])
def test_the_last_step_shows_what_pytorch_computes(optimizer):
    source = SCRIPT.format(optimizer=OPTIMIZERS[optimizer])
    theirs = _torch_state(source)
    told, params = updates_of(source)
    last = {e.tensor.uid: (step, e) for step, e in zip(told, params)}
    assert len(last) == 2
    opt = theirs["opt"]
    for (step, _), p in zip(last.values(), (theirs["w"], theirs["b"])):
        shown = {
            line.split(" ")[0]: float(line.rsplit(" = ", 1)[1])
            for line in step.math[1:]
            if " = " in line
        }
        shown = {k: v for k, v in shown.items() if k in ("w", "b", *BUFFERS)}
        (new,) = [shown[k] for k in ("w", "b") if k in shown]
        assert close(new, p.detach().reshape(-1)[0].item())
        for symbol, key in BUFFERS.items():
            if symbol in shown:
                assert close(shown[symbol], opt.state[p][key].reshape(-1)[0].item()), symbol


def test_sgd_with_momentum_writes_the_buffer_out():
    told, _ = updates_of(SCRIPT.format(optimizer=OPTIMIZERS["sgd_momentum"]))
    first, later = told[1].math, told[3].math  # b's first and second steps
    assert first[0].startswith("g = b.grad = ")
    assert first[1].startswith("buf ← g = ")
    assert later[1].startswith("buf ← μ·buf + g = 0.9 · ")
    assert later[2].startswith("b ← b − lr·buf = ")
    assert "momentum = 0.9" in told[3].narration


def test_adam_writes_out_both_moments_and_their_bias_corrections():
    told, params = updates_of(SCRIPT.format(optimizer=OPTIMIZERS["adam"]))
    w_third = told[4]
    assert params[4].step == 3 and "at step t = 3" in w_third.narration
    formulas = [line.split(" = ")[0] for line in w_third.math]
    assert formulas[0].startswith("for element [0, 0]: g")
    assert formulas[1:6] == [
        "m ← β₁·m + (1 − β₁)·g",
        "v ← β₂·v + (1 − β₂)·g²",
        "m̂",
        "v̂",
        "w ← w − lr·m̂ / (√v̂ + ε)",
    ]
    assert "/ (1 − 0.9³)" in w_third.math[3] and "/ (1 − 0.999³)" in w_third.math[4]
    assert w_third.math[-1].startswith("w: [[")  # the whole tensor, before → after


def test_the_event_carries_the_buffers_from_before_the_step():
    _, params = updates_of(SCRIPT.format(optimizer=OPTIMIZERS["adam"]))
    first, second = params[0], params[2]  # w's first and second steps
    assert first.old_buffers == {}
    for key in ("exp_avg", "exp_avg_sq"):
        np.testing.assert_array_equal(second.old_buffers[key], first.buffers[key])


# ----- one iteration, one episode ------------------------------------------------------------
def _phases(story, episode) -> list[str]:
    """The episode's steps as zero / forward / backward / step, runs merged."""
    names = []
    for s in story.steps[episode.first_step : episode.last_step + 1]:
        name = {"zero": "zero", "optimizer": "step", "inplace": "update"}.get(s.kind, s.phase)
        if not names or names[-1] != name:
            names.append(name)
    return names


def test_an_xor_iteration_is_zero_grad_forward_backward_step_in_one_episode():
    source = (EXAMPLES / "12_xor_mlp_sgd.py").read_text()
    story, _, out = record_story(source)
    assert out.startswith("epoch   0  loss 0.6996\n")
    second = story.episodes[1]
    assert second.title == "2. loss.backward() · iteration 2"
    assert _phases(story, second) == ["zero", "forward", "backward", "step"]
    # The optimiser updates every parameter of the model, each written out.
    steps = story.steps[second.first_step : second.last_step + 1]
    updated = [s for s in steps if s.kind == "optimizer"]
    assert len(updated) == 4
    assert all(any("← " in line for line in s.math) for s in updated)
    # The last iteration (after the summary of the middle ones) is told the same way.
    last = story.episodes[-1]
    assert last.title.endswith("· iteration 1000")
    assert _phases(story, last)[:4] == ["zero", "forward", "backward", "step"]


def test_a_hand_written_regression_step_ends_with_its_zero_():
    source = (EXAMPLES / "11_linear_regression_loop.py").read_text()
    story, _, _ = record_story(source)
    second = story.episodes[1]
    assert second.title.endswith("· iteration 2")
    # w -= lr * w.grad computes lr * w.grad (a forward op, under no_grad), then updates w.
    names = _phases(story, second)
    assert names[:2] == ["forward", "backward"] and names[-1] == "zero"
    assert set(names[2:-1]) == {"forward", "update"}
