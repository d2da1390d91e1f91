"""Words for events: pure functions from (what the story knows, one event) to a sentence
and, for backward steps, the chain rule written out with its numbers.

Nothing here changes state. `t` is the builder's read-only view (`Telling`): the world as
it stood before the event, the learner's names, and the source lines.
"""

from __future__ import annotations

import re
from typing import NamedTuple, Protocol

import numpy as np

import engine
from engine.autograd import recording as ev

from . import chain_rule, optim_math
from . import names as naming
from .operands import call_operands
from .values import say
from .world import World


class Words(NamedTuple):  # (a tuple: three are made per op of a long script)
    text: str
    math: tuple[str, ...] = ()


class Telling(Protocol):
    world: World

    def label(self, info) -> str: ...
    def name(self, uid: int, fallback: str = "the tensor") -> str: ...
    def code(self, line: int | None) -> str: ...
    def line_of(self, loc) -> int | None: ...
    def root_label(self) -> str: ...


# ----- forward ---------------------------------------------------------------------------
def created(t: Telling, e: ev.TensorCreated) -> Words:
    info = e.tensor
    code = t.code(t.line_of(e.location)) or e.how
    name = t.name(info.uid, "")
    if not name:
        text = f"{code} creates a tensor {say(info.value)}."
        if info.requires_grad:
            text += " It requires grad, so autograd will collect gradients in its .grad."
        return Words(text)
    text = f"{code} creates {name} = {say(info.value)}."
    if info.requires_grad:
        text += f" It requires grad, so autograd will collect ∂/∂{name} in {name}.grad."
    return Words(text)


def requires_grad_set(t: Telling, e: ev.RequiresGradSet) -> Words:
    name = t.name(e.tensor.uid)
    if not e.tensor.requires_grad:
        return Words(f"{name} no longer requires grad.")
    return Words(
        f"{name}.requires_grad_(True): autograd now tracks every op on {name}. "
        f"{name}.grad is None until a backward pass fills it."
    )


def op_ran(t: Telling, e: ev.OpRan, expression: str) -> Words:
    out = e.output
    name = t.name(out.uid, "")
    head = f"{name} = {expression}" if name else expression
    args = ", ".join([t.label(i) for i in call_operands(e)])
    op_name = _call_name(e.op)
    text = f"{head} = {say(out.value)}: {op_name} runs on {args}"
    text += "" if text.endswith(".") else "."
    if t.world.in_backward is not None:
        text = (
            f"create_graph=True: the backward formula runs as a real op, {head} = "
            f"{say(out.value)}, so this gradient can itself be differentiated."
        )
        if e.node is not None:
            text += f" Autograd records {e.grad_fn} for it."
        return Words(text)
    if e.node is not None:
        saved = ", ".join(s.replace("_saved_", "") for s in e.saved)
        text += f" Autograd records {e.grad_fn} to undo it in the backward pass"
        text += f", saving {saved}." if saved else "."
    elif not e.grad_enabled and any(
        isinstance(i, ev.TensorInfo) and i.requires_grad for i in e.inputs
    ):
        text += (
            " Gradient tracking is off here (no_grad), so no grad_fn is recorded:"
            " gradients cannot flow back through this op."
        )
    if out.dtype == "bool" and out.value is not None and out.value.size == 1:
        text += f" Python reads it as {bool(out.value.item())}, so control flow can branch."
        text += " No gradient flows through a comparison."
    return Words(text)


_CALL_NAMES: dict[str, tuple] = {}  # op -> (its registry entry, the name it is called by)


def _call_name(op: str) -> str:
    opdef = engine.REGISTRY.get(op)
    known = _CALL_NAMES.get(op)
    if known is None or known[0] is not opdef:  # (a script may register its own ops)
        known = _CALL_NAMES[op] = (opdef, naming.call_name(opdef, op))
    return known[1]


def detached(t: Telling, e: ev.Detached) -> Words:
    name = t.name(e.result.uid, "the result")
    src = t.name(e.source, "its source")
    return Words(
        f"{name} = {src}.detach() shares {src}'s values ({say(e.result.value)}) but not "
        f"its history: the edge is cut, so no gradient can flow from {name} back to {src}."
    )


def inplace(
    t: Telling,
    e: ev.InplaceModified,
    by: str | None,
    old=None,
    operand=None,
    statement: str | None = None,
    receiver: str | None = None,
) -> Words:
    """`by`: the label of the operand that changed it (w -= lr * w.grad: 'lr * w.grad');
    `old`, `operand`: their values, when known, for the arithmetic; `statement`: the one
    that ran it, and `receiver`, what it changed as written there (net[0].bias.data)."""
    info = e.tensor
    name = t.name(info.uid, "") or receiver or "a tensor"
    code = statement if statement is not None else t.code(t.line_of(e.location))
    if by and statement is not None and f".{e.op}(" in statement:
        how = f"{e.op}({by})"  # net[0].weight.data.normal_(0, 0.01)
    else:
        how = f"{e.op} by {by}" if by else e.op  # w -= lr * w.grad: sub_ by lr * w.grad
    text = (
        f"{code or e.op} updates {name} in place ({how}): {name} is now {say(info.value)} "
        f"(version {info.version})."
    )
    if not e.grad_enabled:
        text += " It runs under no_grad, so the update itself is not part of any graph."
    elif info.grad_fn_name:
        text += f" Its grad_fn is now {info.grad_fn_name}."
    return Words(text, inplace_math(name, e, by, old, operand))


_INPLACE_SYMBOLS = {"sub_": "−", "add_": "+", "mul_": "·", "div_": "/"}


def inplace_math(name: str, e: ev.InplaceModified, by: str | None, old, operand) -> tuple:
    """`w -= lr * w.grad` with its numbers: w ← w − lr * w.grad = 1 − 0.1 · -4.02 = 1.402."""
    symbol = _INPLACE_SYMBOLS.get(e.op)
    if symbol is None or by is None or old is None or operand is None:
        return ()
    return (
        f"{name} ← {name} {symbol} {by}",
        f"= {say(old)} {symbol} {say(operand)}",
        f"= {say(e.tensor.value)}",
    )


def param_updated(t: Telling, e: ev.ParamUpdated, code: str) -> Words:
    """optimizer.step(): one parameter's update, in symbols and then with its numbers."""
    name = t.name(e.tensor.uid, "a parameter")
    hyper = ", ".join(f"{k} = {v}" for k, v in e.hyper.items() if v not in (0, False))
    rule = re.sub(r"\bw\b", lambda _: name, e.rule)  # not the w of weight_decay
    step = f" at step t = {e.step}" if e.step is not None else ""
    text = (
        f"{code or 'step()'}: {e.optimizer} updates {name} in place{step}, {rule}"
        f" ({hyper}). {name} is now {say(e.tensor.value)}."
    )
    math = optim_math.update_lines(e, name)
    if math is None:  # no values recorded (a huge tensor) or an optimiser we cannot tell
        math = [f"{name}: {say(e.old)} → {say(e.tensor.value)}  (g = {say(e.grad)})"]
        math += [f"{key} = {say(value)}" for key, value in e.buffers.items()]
    return Words(text, tuple(math))


def grad_zeroed(t: Telling, e: ev.GradZeroed) -> Words:
    name = t.name(e.owner)
    return Words(
        f"{name}.grad.zero_() resets {name}.grad to {say(e.grad.value)}: the next "
        "backward pass adds into zeros instead of into the old gradient."
    )


def grad_set(t: Telling, e: ev.GradSet) -> Words:
    value = say(e.grad.value) if e.grad is not None else "None"
    return Words(f"{t.name(e.owner)}.grad is set to {value}.")


# ----- backward --------------------------------------------------------------------------
def backward_started(t: Telling, e: ev.BackwardStarted, code: str) -> Words:
    root = t.root_label()
    parts, math = [], []
    for seed, implicit in zip(e.seeds, e.implicit):
        if implicit:
            parts.append(
                f"The seed ∂{root}/∂{root} = {say(seed)} is created implicitly because "
                f"{root} is a single number."
            )
            math.append(f"∂{root}/∂{root} = {say(seed)}")
        else:
            parts.append(
                f"The seed is the gradient you passed, v = {say(seed)}: backward computes "
                f"vᵀ·J, the Jacobian of {root} weighted by v."
            )
            math.append(f"v = {say(seed)}")
    text = f"{code} starts the backward pass. " + " ".join(parts)
    if e.call == "grad":
        text += " autograd.grad returns the gradients to you and leaves every .grad alone."
    if e.create_graph:
        text += " create_graph=True records the backward pass itself as a new graph."
    elif e.retain_graph:
        text += " retain_graph=True keeps the saved tensors for another pass."
    return Words(text, tuple(math))


def node_started(
    t: Telling, e: ev.NodeStarted, incoming: list, out_label: str, total=None
) -> Words:
    """`total`: what the incoming gradients add up to, when a tensor hook then changed it
    (the node itself receives the hook's result)."""
    root = t.root_label()
    g = total if total is not None else (e.grad_outputs[0] if e.grad_outputs else None)
    d_out = f"∂{root}/∂{chain_rule.wrap(out_label)}"
    if len(incoming) > 1:
        parts = " + ".join(say(x) for x in incoming)
        return Words(
            f"Fan-in: {out_label} was used {len(incoming)} times, so {len(incoming)} gradients "
            f"reach {e.name} and are summed: {d_out} = {say(g)}.",
            (f"{d_out} = {parts}", f"= {say(g)}"),
        )
    value = f"{d_out} = {say(g)}"
    return Words(f"{e.name} receives the upstream gradient {value}.", (value,))


def node_started_outputs(t: Telling, e: ev.NodeStarted, outputs: list) -> Words:
    """A node with several outputs (a custom Function returning a tuple) receives one
    gradient per output, each the sum of what was sent for that output."""
    root = t.root_label()
    sentences, math = [], []
    for label, grads, total in outputs:
        d_out = f"∂{root}/∂{chain_rule.wrap(label)}"
        if total is None:
            sentences.append(f"{d_out} = None ({label} was not used on the way to {root})")
            math.append(f"{d_out} = None")
        elif len(grads) > 1:
            parts = " + ".join(say(x) for x in grads)
            sentences.append(
                f"{d_out} = {parts} = {say(total)} ({label} was used {len(grads)} times)"
            )
            math += [f"{d_out} = {parts}", f"= {say(total)}"]
        else:
            sentences.append(f"{d_out} = {say(total)}")
            math.append(f"{d_out} = {say(total)}")
    text = f"{e.name} receives a gradient for each of its {len(outputs)} outputs: "
    return Words(text + "; ".join(sentences) + ".", tuple(math))


def gradient_sent(
    t: Telling, e: ev.GradientSent, op: ev.OpRan | None, to_text: str, math: tuple
) -> Words:
    root = t.root_label()
    inp = op.inputs[e.slot] if op is not None and e.slot < len(op.inputs) else None
    wrt = chain_rule.wrap(t.label(inp)) if inp is not None else "its input"
    text = f"{e.name} sends ∂{root}/∂{wrt} = {say(e.grad)} {to_text}."
    return Words(text, math)


LISTED = 8  # terms of a sum, or leaves of a backward, written out; the rest are counted


def _listed(texts: list[str], joiner: str) -> str:
    """Up to LISTED texts joined; more are shown as the first ones, "…" and the last."""
    if len(texts) <= LISTED:
        return joiner.join(texts)
    head = joiner.join(texts[: LISTED - 2])
    return f"{head}{joiner}… ({len(texts) - LISTED + 1} more){joiner}{texts[-1]}"


def fan_in_sum(t: Telling, name: str, incoming: list, total) -> Words:
    root = t.root_label()
    parts = _listed([say(x) for x in incoming], " + ")
    return Words(
        f"Fan-in: {name} was used {len(incoming)} times, so {len(incoming)} gradients "
        f"reach its AccumulateGrad and are summed: {parts} = {say(total)}.",
        (f"∂{root}/∂{name} = {parts}", f"= {say(total)}"),
    )


def accumulated(t: Telling, e: ev.GradAccumulated, after_sum: bool) -> Words:
    name = t.name(e.tensor)
    lead = "Then " if after_sum else ""
    if e.old is None:
        return Words(
            f"{lead}AccumulateGrad stores the gradient as {name}.grad = {say(e.new)} "
            f"({name}.grad was None).",
            (f"{name}.grad = {say(e.new)}",),
        )
    return Words(
        f"{lead}AccumulateGrad adds the gradient into {name}.grad: {say(e.old)} + "
        f"{say(e.incoming)} = {say(e.new)}.",
        (f"{name}.grad = {say(e.old)} + {say(e.incoming)}", f"= {say(e.new)}"),
    )


def grad_retained(t: Telling, e: ev.GradRetained) -> Words:
    return Words(
        f"retain_grad() keeps {t.name(e.tensor, 'a non-leaf tensor')}.grad = {say(e.grad)}."
    )


def hook_fired(t: Telling, e: ev.HookFired, where: str, of: str | None = None) -> Words:
    """`of`: the tensor whose gradient a tensor hook was given, when known."""
    seen, returned = e.seen, e.returned
    if seen is None:
        change = "replaces the gradient" if e.changed else "looks at the gradient"
        return Words(f"The {e.kind} hook {e.hook}() fires on {where} and {change}.")
    grad = f"∂{t.root_label()}/∂{chain_rule.wrap(of)}" if of else "the gradient"
    if e.changed and returned is not None:
        return Words(
            f"The {e.kind} hook {e.hook}() fires on {where}: it is given {grad} = {say(seen)} "
            f"and returns {say(returned)}, which goes on in its place.",
            (f"{e.hook}({say(seen)}) = {say(returned)}",),
        )
    return Words(
        f"The {e.kind} hook {e.hook}() fires on {where}: it is given {grad} = {say(seen)} "
        "and returns None, so the gradient goes on unchanged.",
        (f"{e.hook}({say(seen)}) = None",),
    )


def grads_returned(t: Telling, e: ev.GradsReturned, result_names: list[str]) -> Words:
    root = t.root_label()
    parts, math = [], []
    for inp, g, shown in zip(e.inputs, e.grads, result_names):
        x = t.name(inp.uid, "an input")
        if g is None:
            parts.append(f"None for {x} ({root} does not depend on it; allow_unused=True)")
            math.append(f"∂{root}/∂{x} = None")
        else:
            graph = f", with grad_fn {g.grad_fn_name}" if g.grad_fn_name else ""
            parts.append(f"∂{root}/∂{x} = {say(g.value)} as {shown}{graph}")
            math.append(f"∂{root}/∂{x} = {say(g.value)}")
    untouched = ", ".join(f"{t.name(i.uid)}.grad" for i in e.inputs)
    return Words(
        f"grad() returns {'; '.join(parts)}. {untouched} {'is' if len(e.inputs) == 1 else 'are'} "
        "not touched: autograd.grad hands the result to you instead of accumulating it.",
        tuple(math),
    )


def backward_finished(
    t: Telling, grads: list[tuple[str, object]], freed: list[str], retain: bool
) -> Words:
    listed = [f"{name}.grad = {say(g)}" for name, g in grads if g is not None]
    if len(listed) > LISTED:  # each box shows its own .grad; a long list would hide them
        more = len(listed) - LISTED + 1
        listed = [*listed[: LISTED - 1], f"and {more} more leaves' .grad, each on its box"]
    shown = "; ".join(listed)
    text = "Backward is done." + (f" {shown}." if shown else "")
    if freed:
        text += (
            f" The saved tensors of {', '.join(freed)} are freed: a second backward through "
            "them would fail unless retain_graph=True."
        )
    elif retain:
        text += " retain_graph=True kept the saved tensors, so you can go backward again."
    return Words(text)


def error(message: str, line: int | None, hint: str | None) -> Words:
    cut = message.find(". ")
    text = message if cut < 0 else message[: cut + 1]
    if line:
        text = f"Line {line} raised {text}"
    if hint:
        text += f" — {hint}"
    return Words(text)


def symbol(op_name: str) -> str:
    op = engine.REGISTRY.get(op_name)
    return op.symbol if op is not None else op_name


def is_number(value) -> bool:
    return isinstance(value, (int, float, bool, np.number))
