"""A statement that calls a function mid-expression (a custom autograd.Function, or the
learner's own def) is suspended there, not ended: only what it finally makes takes its
name. `y_pred = a + b * P3(c + d * x)` used to call `c + d * x` y_pred₁."""

from __future__ import annotations

from gradviz.core.trace import trace_source

LEGENDRE = """import torch
class P3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, t):
        ctx.save_for_backward(t)
        return 0.5 * (5 * t ** 3 - 3 * t)
    @staticmethod
    def backward(ctx, g):
        t, = ctx.saved_tensors
        return g * 1.5 * (5 * t ** 2 - 1)
x = torch.linspace(-1.0, 1.0, 5)
a = torch.tensor(0.0, requires_grad=True)
b = torch.tensor(-1.0, requires_grad=True)
c = torch.tensor(0.0, requires_grad=True)
d = torch.tensor(0.3, requires_grad=True)
for t in range(2):
    y_pred = a + b * P3.apply(c + d * x)
    loss = (y_pred - x).pow(2).sum()
    loss.backward()
"""

OWN_FUNCTION = """import torch
def f(t):
    h = t * 2
    return h + 1
x = torch.tensor([1.0, 2.0], requires_grad=True)
y = x * 3 + f(x + 1)
y.sum().backward()
"""


def _subtitles(source: str) -> list[str]:
    story = trace_source(source, "script.py").story
    return [n.subtitle for n in story.episodes[0].nodes if n.role == "grad_fn"]


def test_what_a_custom_function_is_given_is_not_named_after_the_statement() -> None:
    subtitles = _subtitles(LEGENDRE)
    assert "c + (d × x)" in subtitles
    assert not any(s.startswith("y_pred₁") or "apply(y_pred" in s for s in subtitles)
    assert any(s.startswith("y_pred = a + (b × P3.apply(") for s in subtitles), subtitles
    assert any(s == "y_pred − x" for s in subtitles), subtitles


def test_the_learners_own_function_keeps_its_names_and_the_caller_its_own() -> None:
    subtitles = _subtitles(OWN_FUNCTION)
    assert "h = t × 2" in subtitles or "h = (x + 1) × 2" in subtitles, subtitles
    assert not any(s.startswith("y = x + 1") for s in subtitles), subtitles
    assert any(s.startswith("y = (x × 3) + ") for s in subtitles), subtitles


def test_a_calls_arguments_are_not_bracketed_twice() -> None:
    subtitles = _subtitles(LEGENDRE)
    assert not any(
        "((" in s.replace("((c", "(c").replace("((y", "(y") for s in subtitles if "sum(" in s
    )
    assert any(s == "loss = sum((y_pred − x) ** 2)" for s in subtitles), subtitles


TRAINING_LOOP = """import torch
from torch import nn
torch.manual_seed(0)
X = torch.randn(8, 2)
y = torch.randn(8, 1)
net = nn.Linear(2, 1)
loss = nn.MSELoss()
trainer = torch.optim.SGD(net.parameters(), lr=0.03)
for epoch in range(3):
    l = loss(net(X), y)
    trainer.zero_grad()
    l.backward()
    trainer.step()
"""


def test_every_iteration_of_a_loop_names_its_own_loss() -> None:
    # Between two runs of `l = ...` only backward and optimizer events happen (no tensor
    # is made on another line): they end the statement all the same.
    story = trace_source(TRAINING_LOOP, "loop.py").story
    for episode in story.episodes:
        subtitles = [n.subtitle for n in episode.nodes if n.title == "MseLossBackward0"]
        assert subtitles and subtitles[0].startswith("l = "), (episode.title, subtitles)


CLASSIFIER = """import torch
import torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(6, 3)
Y = torch.tensor([0, 2, 1, 1, 0, 2])
W = torch.randn(3, 3, requires_grad=True)
for step in range(2):
    logits = X @ W
    loss = F.cross_entropy(logits, Y)
    W.grad = None
    loss.backward()
    with torch.no_grad():
        W -= 0.1 * W.grad
"""


def test_one_call_that_makes_two_tensors_names_only_the_last() -> None:
    # F.cross_entropy runs log_softmax, then nll_loss: the log-probabilities are not loss
    # (they were called loss₁, and the loss loss₂).
    story = trace_source(CLASSIFIER, "classifier.py").story
    for episode in story.episodes:
        subtitles = [n.subtitle for n in episode.nodes if n.role == "grad_fn"]
        assert "log_softmax(logits, dim=1)" in subtitles, subtitles
        assert any(s.startswith("loss = nll_loss(") for s in subtitles), subtitles
        assert not any("loss₁" in s or "loss₂" in s for s in subtitles), subtitles
    seed = next(s for s in story.steps if s.kind == "seed")
    assert "∂loss/∂loss = 1" in str(seed.narration)


TWO_SITE_LOOP = """import torch
x = torch.tensor([1.0, 2.0], requires_grad=True)
y = torch.tensor([0.5, 0.5])
for t in range(3):
    y_hat = x * 2 + y
    loss = (y_hat ** 2).sum()
    loss.backward()
    x.grad = None
"""


def test_a_statement_of_operators_names_its_result_every_iteration() -> None:
    story = trace_source(TWO_SITE_LOOP, "loop.py").story
    for episode in story.episodes:
        subtitles = [n.subtitle for n in episode.nodes if n.role == "grad_fn"]
        assert "y_hat = (x × 2) + y" in subtitles, subtitles
        assert "x × 2" in subtitles, subtitles
