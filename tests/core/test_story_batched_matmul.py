"""A batched matmul's node shares its name with a reshape's (UnsafeViewBackward0, as in
PyTorch): the story must write out the matmul's chain rule, not "reshaped back"."""

from __future__ import annotations

from gradviz.core.trace import trace_source

ATTENTION = """import torch
torch.manual_seed(0)
x = torch.randn(1, 4, 2, requires_grad=True)
wei = torch.softmax(x @ x.transpose(-2, -1), dim=-1)
out = wei @ x
out.sum().backward()
"""


def test_the_gradient_through_a_batched_matmul_is_a_matmul() -> None:
    story = trace_source(ATTENTION, "attention.py").story
    sends = [
        s
        for s in story.steps
        if s.kind == "send" and str(s.narration).startswith("UnsafeViewBackward0 sends")
    ]
    assert sends
    for step in sends:
        text = "\n".join(step.math)
        assert "reshaped back" not in text, text
        assert "batch by batch" in text, text
    first = next(s for s in sends if "∂wei" in s.math[0])
    assert first.math[0].endswith(
        "∂sum(out)/∂out · xᵀ, batch by batch (summed over broadcast batches)"
    )


def test_a_real_reshape_still_says_so() -> None:
    story = trace_source(
        "import torch\nx = torch.ones(2, 3, requires_grad=True)\n"
        "y = (x * 2).reshape(3, 2)\ny.sum().backward()\n",
        "reshape.py",
    ).story
    assert any("reshaped back" in "\n".join(s.math) for s in story.steps if s.kind == "send")
