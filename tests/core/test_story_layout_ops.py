"""Learner scripts using repeat/tile, tril/triu, flip and roll (Karpathy's causal mask with
masked_fill(..., float("-inf")) among them) tell a story and print what PyTorch prints."""

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


def test_layout_ops_tell_a_story():
    result = trace_source(CAUSAL)
    assert result.error is None, result.error
    assert "could not tell" not in result.stdout
    titles = {n.title for e in result.story.episodes for n in e.nodes}
    for name in ("RepeatBackward0", "FlipBackward0", "RollBackward0", "TriuBackward0"):
        assert name in titles
    assert result.story.steps


def test_layout_ops_print_what_torch_prints():
    pytest.importorskip("torch", reason="PyTorch 2.13 is the parity reference")
    ours = trace_source(CAUSAL).stdout
    theirs = subprocess.run(
        [sys.executable, "-c", CAUSAL], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert ours == theirs
