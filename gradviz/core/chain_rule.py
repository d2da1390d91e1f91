"""The chain rule of one backward edge, written out with its numbers.

A send step of the story reads: the upstream gradient, times the local derivative
(evaluated), gives what is sent; plus how a broadcast, reduction, reshape, index or join
moves the gradient between shapes. The local derivative comes from the engine's registry
(`engine.local_rules_for_grad_fn`): its display text and, for elementwise ops, the very
function the engine's backward uses, so the words and the numbers cannot disagree.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

import engine

from .names import number, operand
from .values import say

# Parameters the recording leaves out when the learner did not pass them (PyTorch's defaults).
PARAM_DEFAULTS = {"alpha": "1"}

# How many elements a tensor may have for its numbers to be written out in a line.
INLINE_ELEMENTS = 6


class Operand(NamedTuple):  # (a tuple: four are made per gradient a long script sends)
    label: str  # the learner's name, or an expression such as "(a − 1.05)"
    value: np.ndarray | None
    shape: tuple


@dataclass(frozen=True)
class Rule:
    """The registry's local rule for one input, or a stand-in read from older metadata."""

    kind: str  # elementwise | matmul | reduce | shape | index | join | other
    text: str  # with {placeholders} for inputs, {result} and {grad}
    factor: object = None  # elementwise: factor(m, inputs, result, params) -> array
    # What the engine's backward gives the factor's function: the inputs it may read and
    # whether the result's values (None: unknown, so it is given every input).
    reads: tuple[str, ...] | None = None
    reads_result: bool = True


@functools.lru_cache(maxsize=4096)
def rule_for(grad_fn: str, input_name: str, slot: int, op: str | None = None) -> Rule | None:
    """The display rule the registry holds for one input of op `op` (by its name: two ops
    may share a node name, as a batched matmul and a reshape share UnsafeViewBackward0),
    else of the op whose node is named `grad_fn`."""
    opdef = engine.REGISTRY.get(op) if op is not None else None
    if opdef is not None:
        rules = opdef.local_rules()
    else:
        lookup = getattr(engine, "local_rules_for_grad_fn", None) or getattr(
            engine._registry, "local_rules_for_grad_fn", None
        )
        rules = lookup(grad_fn) if lookup is not None else ()
    for r in rules or ():
        if r.input == input_name:
            given = _vjp_inputs(opdef or engine.op_for_grad_fn(grad_fn), r)
            if r.factor is None or given is None:
                return Rule(r.kind, r.text, r.factor)
            return Rule(r.kind, r.text, r.factor, *given)
    op = engine.op_for_grad_fn(grad_fn)
    if op is None or slot >= len(op.formulas) or not op.formulas[slot]:
        return None
    return _from_formula(op, slot)


_OLD_KINDS = {
    "mm": "matmul",
    "mv": "matmul",
    "matmul_batched": "matmul",
    "dot": "matmul",
    "sum": "reduce",
    "sum_dim": "reduce",
    "mean": "reduce",
    "mean_dim": "reduce",
    "max_dim": "reduce",
    "min_dim": "reduce",
    "max": "reduce",
    "min": "reduce",
    "norm": "reduce",
    "softmax": "other",
    "log_softmax": "other",
    "cat": "join",
    "stack": "join",
    "select": "index",
    "slice": "index",
    "index": "index",
    "index_scatter": "index",
}


def _from_formula(op, slot: int) -> Rule:
    """Older ops say `∂f(a)/∂a = rhs` with letters a, b, n, A, B, G; map them to placeholders."""
    formula = op.formulas[slot]
    rhs = re.split(r"\s[=:]\s|:\s", formula, maxsplit=1)[-1]
    slot_of = ["{" + n + "}" for n in op.input_names]
    letters = {"a": slot_of[0], "A": slot_of[0], "G": "{grad}", "g": "{grad}"}
    if len(slot_of) > 1:
        letters.update({"b": slot_of[1], "B": slot_of[1], "v": slot_of[1]})
    kind = _OLD_KINDS.get(op.name)
    if kind is None:
        kind = "shape" if "gradient back" in rhs or "copies" in rhs else "elementwise"
    text = re.sub(
        r"(?<![A-Za-zα-ω])([aAbBGgv])(?![A-Za-zα-ωₖᵢⱼ])", lambda m: letters.get(m[1], m[1]), rhs
    )
    return Rule(kind, text, None)


def fill_local(text: str, labels: dict[str, str]) -> str:
    """fill(), without the factor of an optional weight that was not given: nll_loss's
    −{weight}[{target}]·{grad} reads −∂L/∂out at the targets, not −None[target]·∂L/∂out."""
    filled = fill(text, labels)
    return _NONE_FACTOR.sub("", filled) if "None" in filled else filled


_NONE_FACTOR = re.compile(r"None(\[[^\]]*\])?·")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@functools.lru_cache(maxsize=4096)
def _template(text: str) -> tuple[str, ...]:
    """A rule's text split once at its placeholders: literal, name, literal, …, literal
    (the same rules fill every run of a line)."""
    return tuple(_PLACEHOLDER.split(text))


@functools.lru_cache(maxsize=4096)
def names_in(text: str) -> tuple[str, ...]:
    """The placeholder names a rule's text uses, in order (repeats kept): only these of
    its labels are ever read, so only these are worth working out."""
    return _template(text)[1::2]


def fill(text: str, labels: dict[str, str]) -> str:
    """Put the learner's names into a rule's placeholders ({self} -> z)."""
    parts = _template(text)
    if len(parts) == 1:
        return text
    get = labels.get
    out = [parts[0]]
    for i in range(1, len(parts), 2):
        name = parts[i]
        out.append(get(name, name))
        out.append(parts[i + 1])
    return "".join(out)


def wrap(label: str) -> str:
    """Parenthesise an expression label so it reads as one factor."""
    return operand(label)


def _param_text(value) -> str:
    if isinstance(value, (bool, int, float)):
        return number(value)
    return str(value)


def _num(arr) -> str:
    return say(arr)


def _small(arr) -> bool:
    if arr is None:
        return False
    return (arr.size if arr.__class__ is np.ndarray else np.asarray(arr).size) <= INLINE_ELEMENTS


def _ndim(arr) -> int:
    return arr.ndim if arr.__class__ is np.ndarray else np.ndim(arr)


def _dims_summed(in_shape: tuple, out_shape: tuple) -> tuple[int, ...]:
    """The dims of the output that broadcasting added or stretched for this input."""
    if in_shape == out_shape:
        return ()  # (most inputs: an elementwise op on tensors of one shape)
    lead = len(out_shape) - len(in_shape)
    dims = list(range(lead))
    for i, n in enumerate(in_shape):
        if n == 1 and out_shape[i + lead] != 1:
            dims.append(i + lead)
    return tuple(dims)


def _shape(shape: tuple) -> str:
    return "[" + ", ".join(str(n) for n in shape) + "]"


def _numpy_math():
    """The math namespace the engine's numpy fast path evaluates rules with."""
    rules = getattr(engine, "_rules", None)
    return getattr(rules, "NUMPY", np)


def _vjp_inputs(op, rule) -> tuple[tuple[str, ...], bool] | None:
    lookup = getattr(getattr(engine, "_rules", None), "vjp_inputs", None)
    return lookup(op, rule) if lookup is not None and op is not None else None


def evaluate_factor(rule: Rule, values: dict, result, params: dict):
    """The local derivative of an elementwise rule at the recorded values, or None.
    Given only what the engine's backward gives it, a factor is remembered by those
    numbers: a loop's line, or a chain of `y * c`, asks for the same one again and again
    (the array returned is shared: never changed in place)."""
    if rule.factor is None or result is None:
        return None
    for v in values.values():
        if v is None:
            return None
    if rule.reads is None:
        return _evaluate(rule, values, result, params)
    values = {name: values[name] for name in rule.reads if name in values}
    key = _factor_key(rule, values, result, params)
    if key is None:
        return _evaluate(rule, values, result, params)
    hit = _FACTORS.get(key)
    if hit is None:
        if len(_FACTORS) >= _FACTORS_LIMIT:
            _FACTORS.clear()
        hit = _FACTORS[key] = (_evaluate(rule, values, result, params),)
    return hit[0]


def _evaluate(rule: Rule, values: dict, result, params: dict):
    try:
        return np.asarray(_quietly(rule.factor, _numpy_math(), values, result, params))
    except Exception:  # noqa: BLE001 - a rule that cannot be evaluated is told without numbers
        return None


def _factor_key(rule: Rule, values: dict, result, params: dict) -> tuple | None:
    """Everything a factor's numbers depend on, or None when that is not plain data (a
    big array, a parameter that is not a number or a name)."""
    if result.__class__ is not np.ndarray or result.size > FACTOR_MEMO_ELEMENTS:
        return None
    key = [rule.factor, result.dtype, result.shape]
    if rule.reads_result:
        key.append(result.tobytes())
    for name, v in values.items():
        if v.__class__ is not np.ndarray or v.size > FACTOR_MEMO_ELEMENTS:
            return None
        key += (name, v.dtype, v.shape, v.tobytes())
    for name, v in params.items():
        if v.__class__ not in _PLAIN_PARAMS:
            return None
        key += (name, v.__class__, v)  # (the class: 1, 1.0 and True are one dict key)
    return tuple(key)


FACTOR_MEMO_ELEMENTS = 64  # arrays up to this size are remembered by their bytes
_FACTORS: dict = {}  # _factor_key -> (the factor, or None)
_FACTORS_LIMIT = 4096
_PLAIN_PARAMS = frozenset({int, float, bool, str, type(None)})


@np.errstate(all="ignore")  # (as a decorator it costs a third less than a `with` per call)
def _quietly(factor, m, values: dict, result, params: dict):
    return factor(m, values, result, params)


def custom_send_lines(
    fn: str, root: str, out: str, wrt: str, upstreams: tuple, sent: np.ndarray | None
) -> tuple[str, ...]:
    """The gradient a custom autograd.Function sends: its own backward, which the learner
    wrote, applied to the upstream gradient of each output (no formula of ours to show)."""
    d_in = f"∂{root}/∂{wrap(wrt)}"
    d_out = f"∂{root}/∂{wrap(out)}" if len(upstreams) <= 1 else "the upstream gradients"
    lines = [f"{d_in} = {fn}.backward(ctx, {d_out})   (the backward you wrote)"]
    if upstreams and all(g is not None for g in upstreams):
        lines.append(f"= {fn}.backward(ctx, {', '.join(_num(g) for g in upstreams)})")
    if sent is not None:
        lines.append(f"= {_num(sent)}")
    return tuple(lines)


def send_lines(
    *,
    rule: Rule | None,
    root: str,
    wrt: str,
    out: Operand,
    inputs: dict[str, Operand],
    target: Operand,
    upstream: np.ndarray | None,
    sent: np.ndarray | None,
    params: dict,
) -> tuple[str, ...]:
    """The chain rule for the gradient one node sends to one input, as lines of math."""
    d_out = f"∂{root}/∂{wrap(out.label)}"
    d_in = f"∂{root}/∂{wrap(target.label)}"
    if rule is None:
        return (f"{d_in} = {_num(sent)}",) if sent is not None else ()
    labels = {
        name: _send_label(name, d_out, out, inputs, target, params) for name in names_in(rule.text)
    }
    local = fill_local(rule.text, labels)
    if rule.kind == "elementwise":
        return _elementwise(rule, d_in, d_out, local, out, inputs, target, upstream, sent, params)
    lines = [
        f"{d_in} = {local}"
        if "{grad}" in rule.text
        else f"{d_in} = {d_out} · {_factor_text(local)}"
    ]
    if rule.kind == "matmul" and upstream is not None:
        shapes = {name: _shape(o.shape) for name, o in inputs.items()}
        shapes.update(grad=_shape(np.shape(upstream)), result=_shape(out.shape))
        local_shapes = fill(rule.text, shapes)
        if "{grad}" not in rule.text:
            local_shapes = f"{shapes['grad']} · {local_shapes}"
        lines.append(f"shapes: {local_shapes} → {_shape(target.shape)}")
    elif rule.kind == "reduce":
        n_in, n_out = math.prod(target.shape), max(1, math.prod(out.shape))
        if n_in >= n_out:
            n = n_in // n_out
            lines.append(
                f"each output gathered {n} element{'s' if n != 1 else ''} of {target.label}, "
                f"so its gradient goes back to each of them: shape {_shape(out.shape)} → "
                f"{_shape(target.shape)}"
            )
        else:  # a bias broadcast over rows: its gradient is summed back
            lines.append(
                f"{target.label} was used by every row, so the gradient of shape "
                f"{_shape(out.shape)} is summed back to shape {_shape(target.shape)}"
            )
    elif rule.kind == "shape":
        lines.append(
            f"the gradient of shape {_shape(out.shape)} goes back to shape {_shape(target.shape)}"
        )
    elif rule.kind == "index":
        lines.append(
            f"the gradient of shape {_shape(out.shape)} is scattered into zeros of shape "
            f"{_shape(target.shape)} at the positions that were read"
        )
    elif rule.kind == "join":
        lines.append(
            f"{target.label} gets its own slice ({_shape(target.shape)}) of the "
            f"{_shape(out.shape)} gradient"
        )
    if sent is not None:
        lines.append(f"= {_num(sent)}")
    return tuple(lines)


def _send_label(
    name: str, d_out: str, out: Operand, inputs: dict[str, Operand], target: Operand, params: dict
) -> str:
    """What placeholder `name` of a rule reads in a send step. The first source that has
    it wins: the upstream gradient, the result, an input, a parameter, a parameter's
    default, then n (how many input elements each output element summarises, mean's 1/n);
    else the name itself."""
    if name == "grad":
        return d_out
    if name == "result":
        return wrap(out.label)
    if name in inputs:
        return wrap(inputs[name].label)
    if name in params:
        return _param_text(params[name])
    if name in PARAM_DEFAULTS:
        return PARAM_DEFAULTS[name]
    if name == "n" and out.shape is not None and target.shape is not None:
        n_in, n_out = math.prod(target.shape), max(1, math.prod(out.shape))
        return str(n_in // n_out)
    return name


def _factor_text(text: str) -> str:
    """A local factor reads as one term after "·": 1 − h² becomes (1 − h²)."""
    if " + " not in text and " − " not in text and " - " not in text:
        return text  # no sum to bracket (the common case: a product, a power, a call)
    depth = 0
    for i, ch in enumerate(text):
        depth += ch in "(["
        depth -= ch in ")]"
        if depth == 0 and text[i : i + 3] in (" + ", " − ", " - "):
            return f"({text})"
    return text


def _elementwise(rule, d_in, d_out, local, out, inputs, target, upstream, sent, params):
    lines = [f"{d_in} = {d_out} · {_factor_text(local)}"]
    values = {name: o.value for name, o in inputs.items()}
    factor = evaluate_factor(rule, values, out.value, params)
    if upstream is None:
        return tuple(lines)
    if factor is not None:
        times = "·" if _ndim(upstream) == 0 and _ndim(factor) == 0 else "⊙"
        if _small(upstream) and _small(factor):
            lines.append(f"= {_num(upstream)} {times} {_num(factor)}")
        else:
            lines.append(f"= {_num(upstream)} {times} {_num(factor)}  (elementwise)")
    dims = _dims_summed(tuple(target.shape), tuple(out.shape))
    if dims and factor is not None:  # the product is only shown before a broadcast's sum
        lines.append(f"= {_num(np.asarray(upstream) * factor)}")
    if dims:
        which = ", ".join(str(d) for d in dims)
        lines.append(
            f"summed over dim {which}, because {target.label} was broadcast from "
            f"{_shape(target.shape)} to {_shape(out.shape)}"
        )
    if sent is not None:
        lines.append(f"= {_num(sent)}")
    return tuple(lines)
