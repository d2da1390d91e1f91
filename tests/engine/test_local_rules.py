"""The displayed local rules tell the truth: for every registered op and every input that
received a gradient in its samples, the op declares a rule; an elementwise rule's factor,
evaluated on the recorded inputs and multiplied by the upstream gradient that reached the
node (summed back over broadcast dims), equals what the engine's backward sent."""

from __future__ import annotations

import re

import numpy as np
import pytest
from op_samples import SAMPLES, Sample
from parity import is_float, make_array, rng_for

import engine
from engine import _rules
from engine.autograd import recording as ev

CASES = [
    pytest.param(op, i, sample, id=f"{op}-{i}")
    for op, samples in sorted(SAMPLES.items())
    for i, sample in enumerate(samples)
]


def _value(info) -> object:
    """The recorded value of one op input: an array for a tensor, the number for a scalar."""
    return info.value if isinstance(info, ev.TensorInfo) else info.value


def _find_node(root, uid: int):
    """The node with `uid` in the graph below `root` (its ctx holds the call's raw params:
    the recording keeps only simple ones, not masks or conditions)."""
    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if node.uid == uid:
            return node
        stack.extend(nxt for nxt, _ in node.next_functions)
    raise LookupError(uid)


def _run(op: str, sample: Sample):
    """Run a sample, then backward from its output with a random upstream gradient.
    Returns (OpRan of `op` with a node, its params, upstream at that node, {slot: sent})."""
    rng = rng_for(op, "rules", sample.shapes)
    arrays = [make_array(rng, s, k) for s, k in zip(sample.shapes, sample.input_kinds())]
    leaves = [engine.tensor(a.copy(), requires_grad=is_float(a)) for a in arrays]
    with engine.autograd.record() as rec:
        out = sample.engine(engine, *leaves, **sample.kwargs)
        ran = [e for e in rec.events if isinstance(e, ev.OpRan) and e.op == op]
        if not out.requires_grad or not any(e.node is not None for e in ran):
            return None, None, None, {}
        node_ran = [e for e in ran if e.node is not None][-1]
        params = dict(_find_node(out.grad_fn, node_ran.node).ctx.params)
        upstream = rng.standard_normal(tuple(out.shape)).astype(out._data.dtype)
        out.backward(gradient=engine.tensor(upstream))
    started = [e for e in rec.events if isinstance(e, ev.NodeStarted) and e.node == node_ran.node]
    sent = {
        e.slot: e.grad
        for e in rec.events
        if isinstance(e, ev.GradientSent) and e.node == node_ran.node and e.grad is not None
    }
    return node_ran, params, started[0].grad_outputs[0], sent


# Display text -> Python, for the texts that are plain formulas (no words like "where").
_SYMBOLS = {
    "·": "*",
    "−": "-",
    "²": "**2",
    "^": "**",
    "ln(": "log(",
    "sign(": "sgn(",
    "σ(": "sigmoid(",
}
_FUNCTIONS = {
    "cos": np.cos,
    "sin": np.sin,
    "exp": np.exp,
    "log": np.log,
    "sgn": np.sign,
    "sigmoid": lambda v: 1 / (1 + np.exp(-np.asarray(v, dtype=np.float64))),
}
_PLAIN = re.compile(r"[\w\s.*+\-/()]*")


def _evaluate_text(text: str, values: dict):
    """The value of a display formula such as "{result}·(1 − {result})", or None when the
    text is prose ("1 where {result} > 0, else 0")."""
    expr = re.sub(r"\{(\w+)\}", r"_v_\1", text)
    for sym, py in _SYMBOLS.items():
        expr = expr.replace(sym, py)
    words = set(re.findall(r"[^\W\d]\w*", expr)) - set(_FUNCTIONS)
    if not _PLAIN.fullmatch(expr) or any(not w.startswith("_v_") for w in words):
        return None
    scope = {f"_v_{k}": v for k, v in values.items()}
    return eval(expr, {"__builtins__": {}, **_FUNCTIONS}, scope)  # noqa: S307 - our own texts


def _valid_names(cls, params_seen: set) -> set:
    return set(cls.input_names) | {"result", "grad"} | set(cls.defaults) | params_seen


@pytest.mark.parametrize("op", sorted(engine.REGISTRY))
def test_every_differentiable_op_declares_rules(op: str):
    cls = engine.REGISTRY[op]
    rules = cls.local_rules()
    if not cls.differentiable:
        assert rules == (), f"{op} is not differentiable but declares rules"
        return
    assert rules, f"{op} has no local rules: declare `rules` (see engine/_registry.py)"
    names = [r.input for r in rules]
    assert all(n in cls.input_names for n in names), (op, names, cls.input_names)
    order = [cls.input_names.index(n) for n in names]
    assert order == sorted(set(order)), f"{op}: one rule per input, in input order"
    params_seen = {k for sample in SAMPLES.get(op, []) for k in _params_of(op, sample)}
    for r in rules:
        assert isinstance(r, engine.LocalRule)
        assert r.kind in _rules.KINDS, (op, r.kind)
        assert r.text.strip(), f"{op}: empty rule text for {r.input!r}"
        unknown = set(r.uses) - _valid_names(cls, params_seen)
        assert not unknown, f"{op}: placeholders {sorted(unknown)} name no input or param"
        assert (r.factor is not None) == (r.kind == "elementwise"), op
        if cls.grad_fn is not None:
            assert r in engine.local_rules_for_grad_fn(cls.grad_fn) or any(
                o.grad_fn == cls.grad_fn for o in engine.REGISTRY.values() if o is not cls
            )


def _params_of(op: str, sample: Sample) -> set:
    """The names of the params `op` was called with in `sample` (when it built a node)."""
    rng = rng_for(op, "params", sample.shapes)
    arrays = [make_array(rng, s, k) for s, k in zip(sample.shapes, sample.input_kinds())]
    leaves = [engine.tensor(a, requires_grad=is_float(a)) for a in arrays]
    with engine.autograd.record(snapshots=False) as rec:
        out = sample.engine(engine, *leaves, **sample.kwargs)
    ran = [e for e in rec.events if isinstance(e, ev.OpRan) and e.op == op and e.node is not None]
    if not ran or out.grad_fn is None:  # e.g. max(dim).indices: the node is not reachable
        return set()
    return {k for e in ran for k in _find_node(out.grad_fn, e.node).ctx.params}


@pytest.mark.parametrize(("op", "i", "sample"), CASES)
def test_displayed_rule_times_upstream_is_what_backward_sent(op: str, i: int, sample: Sample):
    cls = engine.REGISTRY[op]
    if not cls.differentiable:
        pytest.skip("not differentiable")
    node_ran, params, upstream, sent = _run(op, sample)
    if node_ran is None:
        pytest.skip("no graph node in this sample")
    rules = {r.input: r for r in cls.local_rules()}
    variadic = cls.input_names == ("tensors",)
    for slot, grad in sent.items():
        name = cls.input_names[0] if variadic else cls.input_names[slot]
        assert name in rules, f"{op}: a gradient was sent to {name!r}, which has no rule"
        r = rules[name]
        if r.kind != "elementwise":
            continue
        inputs = {n: _value(v) for n, v in zip(cls.input_names, node_ran.inputs)}
        result = node_ran.output.value
        factor = np.asarray(r.factor(_rules.NUMPY, inputs, result, params))
        shape = tuple(node_ran.inputs[slot].shape)
        expected = _rules.np_unbroadcast(np.asarray(upstream * factor), shape)
        np.testing.assert_allclose(
            np.asarray(grad, dtype=np.float64),
            expected.astype(np.float64),
            rtol=1e-5,
            atol=1e-5,
            err_msg=f"{op}: upstream × {r.text} ≠ the gradient sent to {name}",
        )
        # The formula shown to the learner gives the same numbers.
        shown = _evaluate_text(r.text, {**cls.defaults, **params, **inputs, "result": result})
        if shown is not None:
            np.testing.assert_allclose(
                np.broadcast_to(np.asarray(shown, dtype=np.float64), factor.shape),
                factor.astype(np.float64),
                rtol=1e-5,
                atol=1e-6,
                err_msg=f"{op}: the text {r.text!r} disagrees with its factor",
            )
        # The create_graph path runs the same function on engine tensors.
        tensors = {
            n: engine.tensor(v) if isinstance(v, np.ndarray) else v for n, v in inputs.items()
        }
        on_engine = r.factor(_rules.ENGINE, tensors, engine.tensor(result), params)
        np.testing.assert_allclose(
            np.broadcast_to(on_engine._data, factor.shape).astype(np.float64),
            factor.astype(np.float64),
            rtol=1e-5,
            atol=1e-6,
        )


def test_most_elementwise_texts_are_checked_formulas():
    """The text check above is not vacuous: most elementwise texts evaluate."""
    texts = [
        r.text
        for op in engine.REGISTRY.values()
        for r in op.local_rules()
        if r.kind == "elementwise"
    ]
    names = {u: 1.5 for op in engine.REGISTRY.values() for r in op.local_rules() for u in r.uses}
    evaluable = [t for t in texts if _evaluate_text(t, names) is not None]
    assert len(evaluable) >= 25, (len(evaluable), len(texts))


def test_rules_of_a_grad_fn_name():
    (rule,) = engine.local_rules_for_grad_fn("SigmoidBackward0")
    assert (rule.input, rule.kind, rule.text) == ("self", "elementwise", "{result}·(1 − {result})")
    assert engine.local_rules_for_grad_fn("NoSuchBackward0") == ()
    mm = engine.local_rules_for_grad_fn("MmBackward0")
    assert [(r.input, r.kind) for r in mm] == [("self", "matmul"), ("mat2", "matmul")]


def test_factor_reads_only_what_its_text_names():
    """The saved tensors are exactly the inputs the texts mention: mul saves `other` for the
    gradient of `self`, and nothing when no input needs a gradient."""
    a = engine.tensor([1.0, 2.0], requires_grad=True)
    b = engine.tensor([3.0, 4.0])
    y = a * b
    assert y.grad_fn._saved_other is b
    assert y.grad_fn._saved_self is None
    sig = engine.REGISTRY["sigmoid"]
    assert sig.saved_names == ("result",) and sig.saves_result
