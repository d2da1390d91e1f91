"""Registry-driven parity: every registered op, on the samples in op_samples.py, against
PyTorch (forward values, dtype, shape, grad_fn name, graph edges, vector-Jacobian products)
and against finite differences (gradcheck in float64)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from op_samples import GRAPH_EXEMPT, SAMPLES, Sample
from parity import (
    assert_close,
    assert_same_tensor,
    graph_structure,
    is_float,
    make_array,
    rng_for,
    to_numpy,
)

import engine

torch = pytest.importorskip(
    "torch", reason="PyTorch 2.13 is the parity reference: pip install torch==2.13.0"
)

CASES = [
    pytest.param(op, sample, id=f"{op}-{i}")
    for op, samples in sorted(SAMPLES.items())
    for i, sample in enumerate(samples)
]


def _arrays(op: str, sample: Sample, float64: bool = False) -> list[np.ndarray]:
    rng = rng_for(op, sample.shapes, sample.input_kinds())
    arrays = [make_array(rng, s, k) for s, k in zip(sample.shapes, sample.input_kinds())]
    if float64:
        arrays = [a.astype(np.float64) if is_float(a) else a for a in arrays]
    return arrays


def _leaves(lib, arrays: list[np.ndarray]) -> list:
    """Leaves of `lib` holding `arrays`; floating-point ones require grad."""
    return [lib.tensor(a.copy(), requires_grad=is_float(a)) for a in arrays]


def _run_both(op: str, sample: Sample):
    arrays = _arrays(op, sample)
    mine_in, theirs_in = _leaves(engine, arrays), _leaves(torch, arrays)
    with engine.autograd.record(snapshots=False) as rec:
        mine = sample.engine(engine, *mine_in, **sample.kwargs)
    theirs = sample.torch(torch, *theirs_in, **sample.kwargs)
    ran = {e.op for e in rec.events if type(e).__name__ == "OpRan"}
    return mine_in, theirs_in, mine, theirs, ran


# ----- coverage ------------------------------------------------------------------------
def test_every_registered_op_has_samples():
    missing = sorted(set(engine.REGISTRY) - set(SAMPLES))
    assert not missing, f"add samples to tests/engine/op_samples.py for: {missing}"


def test_samples_name_only_registered_ops():
    assert sorted(set(SAMPLES) - set(engine.REGISTRY)) == []
    assert all(SAMPLES[op] for op in SAMPLES), "every op needs at least one sample"


@pytest.mark.parametrize("op", sorted(engine.REGISTRY))
def test_describe_metadata_is_filled(op: str):
    cls = engine.REGISTRY[op]
    info = cls.describe()
    assert info["name"] == op
    assert info["symbol"], f"{op} has no display symbol"
    if not cls.differentiable:
        return
    # PyTorch names diagonal_copy's node DiagonalBackward0_copy (torch.diag of a matrix).
    assert re.fullmatch(r"[A-Za-z]+Backward\d(_copy)?", info["grad_fn"] or ""), info["grad_fn"]
    # `formulas` (one line per rule) is derived from the local rules (test_local_rules.py).
    assert len(cls.formulas) == len(cls.local_rules()) > 0, f"{op}: no local rules"
    for name, formula in info["formulas"].items():
        assert formula.strip(), f"{op}: empty formula for input {name!r}"


# ----- forward -------------------------------------------------------------------------
@pytest.mark.parametrize(("op", "sample"), CASES)
def test_forward_matches_torch(op: str, sample: Sample):
    _, _, mine, theirs, ran = _run_both(op, sample)
    assert op in ran, f"the sample for {op!r} never ran it (ran: {sorted(ran)})"
    assert_same_tensor(mine, theirs)


# ----- backward ------------------------------------------------------------------------
@pytest.mark.parametrize(("op", "sample"), CASES)
def test_backward_matches_torch(op: str, sample: Sample):
    mine_in, theirs_in, mine, theirs, _ = _run_both(op, sample)
    if not engine.REGISTRY[op].differentiable or not theirs.requires_grad:
        assert not mine.requires_grad and mine.grad_fn is None
        return
    if op not in GRAPH_EXEMPT:
        assert graph_structure(mine.grad_fn) == graph_structure(theirs.grad_fn)
    upstream = make_array(rng_for(op, "upstream", sample.shapes), tuple(theirs.shape), "f")
    upstream = upstream.astype(to_numpy(theirs).dtype)
    mine.backward(gradient=engine.tensor(upstream))
    theirs.backward(gradient=torch.tensor(upstream))
    for i, (m, t) in enumerate(zip(mine_in, theirs_in)):
        if t.grad is None:
            assert m.grad is None, f"input {i} got a gradient torch does not give"
            continue
        assert m.grad is not None, f"input {i} got no gradient"
        assert str(m.grad.dtype) == str(t.grad.dtype)
        assert_close(m.grad, t.grad)


@pytest.mark.parametrize(("op", "sample"), CASES)
def test_gradcheck_float64(op: str, sample: Sample):
    if not engine.REGISTRY[op].differentiable or not sample.gradcheck:
        pytest.skip("not differentiable")
    inputs = _leaves(engine, _arrays(op, sample, float64=True))
    if not any(t.requires_grad for t in inputs):
        pytest.skip("no floating-point input")

    def fn(*xs):
        return sample.engine(engine, *xs, **sample.kwargs)

    if not fn(*inputs).requires_grad:
        pytest.skip("integer output")
    assert engine.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)


def _second_order(lib, out, inputs: list, upstream, weights: list) -> list:
    """d/d inputs of sum(grad_i * w_i), the gradients built with create_graph=True."""
    wrt = [t for t in inputs if t.requires_grad]
    grads = lib.autograd.grad(
        out, wrt, grad_outputs=lib.tensor(upstream), create_graph=True, allow_unused=True
    )
    terms = [(g * lib.tensor(w)).sum() for g, w in zip(grads, weights) if g is not None]
    terms = [t for t in terms if t.requires_grad]
    if not terms:  # the gradient is constant in the inputs: second derivatives are zero
        return [np.zeros(t.shape) for t in wrt]
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    second = lib.autograd.grad(total, wrt, allow_unused=True)
    return [np.zeros(t.shape) if s is None else to_numpy(s) for t, s in zip(wrt, second)]


@pytest.mark.parametrize(("op", "sample"), CASES)
def test_double_backward_matches_torch(op: str, sample: Sample):
    """Backward formulas are engine ops: with create_graph=True they differentiate again."""
    mine_in, theirs_in, mine, theirs, _ = _run_both(op, sample)
    if not theirs.requires_grad or op in GRAPH_EXEMPT:
        pytest.skip("no graph to differentiate twice")
    rng = rng_for(op, "second", sample.shapes)
    dtype = to_numpy(theirs).dtype
    upstream = make_array(rng, tuple(theirs.shape), "f").astype(dtype)
    weights = [make_array(rng, tuple(t.shape), "f").astype(dtype) for t in theirs_in]
    weights = [w for w, t in zip(weights, theirs_in) if t.requires_grad]
    ours = _second_order(engine, mine, mine_in, upstream, weights)
    ref = _second_order(torch, theirs, theirs_in, upstream, weights)
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)


# ----- the graph a create_graph backward builds -----------------------------------------
# Ops whose create_graph gradient does not yet build PyTorch's nodes, with what differs.
# Strict: when an op is fixed, its entry must go.
CREATE_GRAPH_DIFFERS = {}


def _create_graph_structures(lib, op: str, sample: Sample) -> list | None:
    """graph_structure of each input's gradient from autograd.grad(create_graph=True), with
    an upstream gradient that requires grad (so its edges are checked too)."""
    inputs = _leaves(lib, _arrays(op, sample))
    call = sample.engine if lib is engine else sample.torch
    out = call(lib, *inputs, **sample.kwargs)
    if not out.requires_grad:
        return None
    upstream = make_array(rng_for(op, "create_graph", sample.shapes), tuple(out.shape), "f")
    upstream = lib.tensor(upstream.astype(to_numpy(out).dtype), requires_grad=True)
    wrt = [t for t in inputs if t.requires_grad]
    grads = lib.autograd.grad(out, wrt, upstream, create_graph=True, allow_unused=True)
    return [None if g is None else graph_structure(g.grad_fn) for g in grads]


CREATE_GRAPH_CASES = [
    pytest.param(op, sample, id=f"{op}-{i}")
    for op, samples in sorted(SAMPLES.items())
    for i, sample in enumerate(samples)
    if op not in GRAPH_EXEMPT and engine.REGISTRY[op].differentiable
]


@pytest.mark.parametrize(("op", "sample"), CREATE_GRAPH_CASES)
def test_create_graph_builds_torchs_graph(op: str, sample: Sample):
    """grad_fn names and next_functions of the gradients create_graph=True returns, e.g.
    TanhBackwardBackward0(grad, TanhBackward0) for tanh, as PyTorch 2.13 builds them."""
    ours = _create_graph_structures(engine, op, sample)
    theirs = _create_graph_structures(torch, op, sample)
    if op in CREATE_GRAPH_DIFFERS and ours != theirs:
        pytest.xfail(CREATE_GRAPH_DIFFERS[op])
    assert ours == theirs


@pytest.mark.parametrize("op", sorted(CREATE_GRAPH_DIFFERS))
def test_known_create_graph_differences_are_still_real(op: str):
    """An op fixed to build PyTorch's graph must leave CREATE_GRAPH_DIFFERS."""
    assert op in engine.REGISTRY, f"{op} is no longer registered"
    assert any(
        _create_graph_structures(engine, op, s) != _create_graph_structures(torch, op, s)
        for s in SAMPLES[op]
    ), f"{op} now matches PyTorch: remove it from CREATE_GRAPH_DIFFERS"
