"""What the story stage remembers to tell a long script quickly must never change a word:
elementwise factors remembered by their numbers, a value's two texts sharing one entry,
a script's source read once, modules never asked for model attributes."""

from __future__ import annotations

import json
import re
import types

import numpy as np
import pytest
from story_helpers import FILENAME, record_story

import engine
from engine._rules import Elementwise, vjp_inputs
from gradviz.core import chain_rule, names, values
from gradviz.core.story_builder import build_story

# Elementwise ops whose factor depends on an input (pow, tanh, sigmoid), on the result
# (exp), on a number only (mul by a constant), with a broadcast, in a loop that repeats
# the same numbers and the same call sites.
MIXED = """
import torch
w = torch.tensor([0.5, -1.5, 2.0], requires_grad=True)
b = torch.tensor([[0.25], [1.0]], requires_grad=True)
h = w
for i in range(4):
    h = torch.tanh(h * 1.5) + b
    h = h ** 2 * 0.5
    h = torch.sigmoid(h).exp()
loss = h.sum()
loss.backward()
"""


def _story_json(events, source, namespace) -> str:
    story = build_story(events, source, FILENAME, namespace, None)
    return json.dumps(story.to_dict(), sort_keys=True, default=repr)


def test_remembered_factors_tell_what_evaluating_each_one_tells(monkeypatch) -> None:
    _, events, _ = record_story(MIXED)
    namespace = {"torch": engine}
    chain_rule._FACTORS.clear()
    remembered = _story_json(events, MIXED, namespace)
    assert chain_rule._FACTORS, "the loop's factors were not remembered"
    again = _story_json(events, MIXED, namespace)  # every factor now from the memo
    monkeypatch.setattr(chain_rule, "FACTOR_MEMO_ELEMENTS", -1)  # no key: evaluate each
    chain_rule._FACTORS.clear()
    evaluated = _story_json(events, MIXED, namespace)
    assert not chain_rule._FACTORS
    assert remembered == again == evaluated


def test_a_factor_is_given_only_what_the_engines_backward_gives_it() -> None:
    checked = 0
    for op in set(engine.REGISTRY.values()):
        if not (isinstance(op, type) and issubclass(op, Elementwise)):
            continue
        for rule in op.local_rules():
            given = vjp_inputs(op, rule)
            assert given is not None, op.name
            reads, result = given
            assert set(reads) <= set(rule.uses) & set(op.input_names), op.name
            assert result == op.saves_result
            checked += 1
    assert checked > 20


def test_an_op_with_a_backward_of_its_own_makes_no_promise() -> None:
    matmul = engine.REGISTRY["mm"]
    for rule in matmul.local_rules():
        assert vjp_inputs(matmul, rule) is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
def test_a_values_two_texts_differ_only_by_whole_numbers_dots(dtype) -> None:
    rng = np.random.default_rng(3)
    for shape in [(), (3,), (2, 3), (1, 2, 1)]:
        data = rng.choice([0.0, -2.0, 1.5, 1e-5, 123456.0, 7.0], size=shape)
        a = np.asarray(data).astype(dtype)
        with_dot, without = values.short(a), values.short(a, False)
        # asked again, on a copy, and in the other order: the same texts
        assert values.short(a.copy(), False) == without
        assert values.short(a.copy()) == with_dot
        # a whole number's dot ends its text: 7. and 123456. read 7 and 123456
        assert re.sub(r"(\d)\.(?=[,\]]|$)", r"\1", with_dot) == without
        if dtype is np.float32 or dtype is np.float64:
            assert "7." in with_dot or "7" not in without


def test_a_script_is_parsed_once_per_text() -> None:
    source = "import torch\nx = torch.ones(2)\ny = x * 2\n"
    first, second = names.TensorNames(source), names.TensorNames(source)
    assert first.targets is second.targets
    assert first.targets == {2: "x", 3: "y"}
    assert first.per_run == {2: 1, 3: 1}


def test_an_imported_module_is_not_asked_for_model_attributes() -> None:
    asked: list[str] = []
    module = types.ModuleType("lazy")
    module.__getattr__ = lambda name: (
        asked.append(name) or (_ for _ in ()).throw(AttributeError(name))
    )
    source = "import torch\nx = torch.ones(2, requires_grad=True)\ny = (x * 2).sum()\n"
    story, events, _ = record_story(source)
    namespace = {"lazy": module, "x": None}
    build_story(events, source, FILENAME, namespace, None)
    assert asked == []
    assert story.steps
