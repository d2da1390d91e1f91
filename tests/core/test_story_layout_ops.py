"""Learner scripts using repeat/tile, tril/triu, flip, roll (Karpathy's causal mask with
masked_fill(..., float("-inf")) among them), diag, outer, cumsum and cumprod tell a story
and print what PyTorch prints."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gradviz.core.trace import trace_source

CAUSAL = """import torch
T, C = 4, 3
x = torch.linspace(-1.0, 1.0, T * C).reshape(T, C).requires_grad_()
wei = x @ x.t()
tril = torch.tril(torch.ones(T, T))
wei = wei.masked_fill(tril == 0, float("-inf"))
wei = torch.softmax(wei, dim=-1)
out = wei @ x
r = x.repeat(2, 1)
t = torch.tile(x, (1, 2))
f = x.flip(0)
ro = torch.roll(x, shifts=1, dims=0)
u = (x @ x.t()).triu(1)
loss = out.sum() + (r * r).sum() + t.mean() + (f * ro).sum() + u.sum()
print(wei)
print(r.grad_fn.name(), t.grad_fn.name(), f.grad_fn.name(), ro.grad_fn.name(), u.grad_fn.name())
loss.backward()
print(loss)
print(x.grad)
"""

PRODUCTS = """import torch
v = torch.tensor([2.0, 0.0, -1.0, 3.0], requires_grad=True)
m = torch.diag(v)
d = torch.diag(m @ m, 1)
o = torch.outer(v, v[:2])
c = v.cumsum(0)
p = v.cumprod(0)
loss = d.sum() + o.sum() + (c * p).sum()
print(m.grad_fn.name(), d.grad_fn.name(), o.grad_fn.name(), c.grad_fn.name(), p.grad_fn.name())
loss.backward()
print(loss, v.grad)
"""

SCRIPTS = {
    "causal": (CAUSAL, ("RepeatBackward0", "FlipBackward0", "RollBackward0", "TriuBackward0")),
    "products": (
        PRODUCTS,
        ("DiagEmbedBackward0", "DiagonalBackward0_copy", "CumsumBackward0", "CumprodBackward0"),
    ),
}


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_layout_ops_tell_a_story(script: str):
    source, grad_fns = SCRIPTS[script]
    result = trace_source(source)
    assert result.error is None, result.error
    assert "could not tell" not in result.stdout
    titles = {n.title for e in result.story.episodes for n in e.nodes}
    for name in grad_fns:
        assert name in titles
    assert result.story.steps


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_layout_ops_print_what_torch_prints(script: str):
    pytest.importorskip("torch", reason="PyTorch 2.13 is the parity reference")
    source = SCRIPTS[script][0]
    ours = trace_source(source).stdout
    theirs = subprocess.run(
        [sys.executable, "-c", source], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert ours == theirs
