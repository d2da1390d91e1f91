"""Stories of code beyond the examples: a custom autograd.Function is one box of the graph
whose backward is the learner's own, and a leaf made in a loop keeps its gradient."""

from __future__ import annotations

from gradviz.core.player import Player
from gradviz.core.trace import trace_source

SQUARE = """import torch
class Square(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x
    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 2 * x * g
x = torch.tensor([1.5, -2.0], requires_grad=True)
y = Square.apply(x).sum()
y.backward()
print(x.grad)
"""

TWO_OUTPUTS = """import torch
class SplitScale(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x * k, x + k
    @staticmethod
    def backward(ctx, g1, g2):
        return g1 * ctx.k + g2, None
x = torch.tensor([1.0, 2.0], requires_grad=True)
u, v = SplitScale.apply(x, 3.0)
(u.sum() + (v * v).sum()).backward()
"""

REBOUND_LEAVES = """import torch
h = torch.tensor([1.0, 2.0], requires_grad=True)
for i in range(3):
    w = torch.full((2,), 0.5 + i, requires_grad=True)
    h = h * w
h.sum().backward()
"""


def _player(source: str) -> Player:
    result = trace_source(source)
    assert result.error is None, result.error
    return Player(result.story)


def _scenes(player: Player):
    return [player.scene(k) for k in range(player.step_count)]


def test_a_custom_function_is_one_node_with_the_learners_backward() -> None:
    player = _player(SQUARE)
    scenes = _scenes(player)
    titles = {b.title for b in scenes[-1].boxes}
    assert "SquareBackward" in titles
    made = next(s for s in scenes if "Square runs on x" in s.narration)
    assert "Square.apply(x)" in made.narration
    sent = next(s for s in scenes if s.narration.startswith("SquareBackward sends"))
    assert sent.math == (
        # y is the sum: what Square.apply made is not y (it was called y₁).
        "∂y/∂x = Square.backward(ctx, ∂y/∂Square.apply(x))   (the backward you wrote)",
        "= Square.backward(ctx, [1, 1])",
        "= [3, -4]",
    )
    leaf = next(b for b in scenes[-1].boxes if b.title == "x")
    assert leaf.grad == "[3., -4.]"  # 2 · x, as the script prints


def test_a_custom_function_with_two_outputs_shows_both_upstream_gradients() -> None:
    scenes = _scenes(_player(TWO_OUTPUTS))
    sent = next(s for s in scenes if s.narration.startswith("SplitScaleBackward sends"))
    # backward(g1, g2) = g1 · 3 + g2 with g1 = 1 and g2 = 2 · v = 2 · (x + 3)
    assert "= SplitScale.backward(ctx, [1, 1], [8, 10])" in sent.math
    assert sent.math[-1] == "= [11, 13]"


def test_leaves_rebound_in_a_loop_still_get_their_gradients() -> None:
    last = _scenes(_player(REBOUND_LEAVES))[-1]
    grads = {b.title: b.grad for b in last.boxes if b.role == "leaf"}
    # w₁ = 0.5, w₂ = 1.5, w₃ = 2.5 and h₁ = [1, 2]: ∂/∂wᵢ is h₁ times the other two
    assert grads == {
        "h₁": "[1.875, 1.875]",
        "w₁": "[3.75, 7.5]",
        "w₂": "[1.25, 2.5]",
        "w₃": "[0.75, 1.5]",
    }
