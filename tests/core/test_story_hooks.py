"""Tensor hooks are told with their numbers, after the sum they are given: every number
on screen follows from the numbers before it (x.grad = 80 after sending 8 used to be
explained only by "a hook replaces the gradient")."""

from __future__ import annotations

from gradviz.core.trace import trace_source

HOOKS = """import torch
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x * 2
y.register_hook(lambda g: g * 10)
x.register_hook(lambda g: g + 1)
z = (y * y).sum()
z.backward()
print(x.grad)
"""


def _backward_steps():
    story = trace_source(HOOKS, "hooks.py").story
    return [s for s in story.steps if s.phase == "backward"]


def test_a_hook_on_a_used_twice_tensor_is_told_after_the_sum_it_is_given() -> None:
    steps = _backward_steps()
    kinds = [s.kind for s in steps]
    fan_in = next(i for i, s in enumerate(steps) if str(s.narration).startswith("Fan-in: y"))
    assert steps[fan_in].math == ("∂z/∂y = [2, 4, 6] + [2, 4, 6]", "= [4, 8, 12]")
    assert kinds[fan_in + 1] == "hook"
    hook = steps[fan_in + 1]
    assert "it is given ∂z/∂y = [4, 8, 12] and returns [40, 80, 120]" in str(hook.narration)
    assert hook.math == ("<lambda>([4, 8, 12]) = [40, 80, 120]",)


def test_the_node_then_runs_on_what_the_hook_returned_and_the_leaf_hook_adds_one() -> None:
    steps = _backward_steps()
    send = next(s for s in steps if s.kind == "send" and "∂z/∂x" in str(s.narration))
    assert send.math[1] == "= [40, 80, 120] ⊙ [2, 2, 2]"
    leaf_hook = [s for s in steps if s.kind == "hook"][-1]
    assert "it is given ∂z/∂x = [80, 160, 240] and returns [81, 161, 241]" in str(
        leaf_hook.narration
    )
    stored = next(s for s in steps if s.kind == "accumulate")
    assert "x.grad = [81, 161, 241]" in str(stored.narration)
