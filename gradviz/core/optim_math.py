"""An optimiser's step for one parameter, written out with its numbers.

Each line reads `symbol ← formula = numbers = result`, in the order the optimiser computes
(torch's single-tensor code): the gradient it starts from, weight decay, the buffers
(momentum_buffer, exp_avg, exp_avg_sq, ...) from their values before the step, the bias
corrections, and the parameter's new value. Every number on a line is either given (the
hyper-parameters, the gradient, the old value and buffers) or the result of a line above,
so the learner can redo each line by hand. Results the optimiser keeps (buffers, the new
parameter) are the engine's own values; the others (m̂, v̂) are worked out here.

A tensor with more than one element is told through its first element, so the numbers
stay few; a last line shows the whole tensor before and after.
"""

from __future__ import annotations

import re

import numpy as np

from engine.autograd import recording as ev

from .values import say

_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SYMBOL = re.compile(r"[A-Za-z_]\w{0,7}")
_TAKEN = {"g", "m", "v", "buf", "lr", "t"}  # names the formulas use for other things


class _Fmt:
    """Numbers with `digits` significant digits: enough to see the parameter change."""

    def __init__(self, old: float, new: float) -> None:
        self.digits = 4
        while self.digits < 8 and old != new and self(old) == self(new):
            self.digits += 1

    def __call__(self, x: float) -> str:
        x = float(x)
        if x == 0:
            return "0"  # also -0.0
        return f"{x:.{self.digits}g}"

    def sq(self, x: float) -> str:
        """x² with the sign inside: (-2)² is 4."""
        text = self(x)
        return f"({text})²" if text.startswith("-") else f"{text}²"


def update_lines(e: ev.ParamUpdated, name: str) -> tuple[str, ...] | None:
    """The update's lines, or None when the step was recorded without its values."""
    if e.old is None or e.grad is None or e.tensor.value is None:
        return None
    tell = _TELLERS.get(e.optimizer)
    if tell is None:
        return None
    old, new, grad = np.asarray(e.old), np.asarray(e.tensor.value), np.asarray(e.grad)
    if old.size == 0:
        return None
    one = old.size == 1
    w = name if one and _SYMBOL.fullmatch(name) and name not in _TAKEN else "w"
    f = _Fmt(old.flat[0], new.flat[0])
    if one:
        head = f"g = {name}.grad = {f(grad.flat[0])}"
    else:
        at = ", ".join(str(int(i)) for i in np.unravel_index(0, old.shape))
        head = f"for element [{at}]: g = {name}.grad[{at}] = {f(grad.flat[0])}"
    lines = [head]
    _Step(e, f, w, lines).run(tell)
    if not one:
        lines.append(f"{name}: {say(old)} → {say(new)}")
    return tuple(lines)


class _Step:
    """The first element's numbers, and the lines told so far."""

    def __init__(self, e: ev.ParamUpdated, f: _Fmt, w: str, lines: list) -> None:
        self.e, self.f, self.w, self.lines = e, f, w, lines
        self.h = e.hyper
        self.g = float(np.asarray(e.grad).flat[0])
        self.x = float(np.asarray(e.old).flat[0])
        self.new = float(np.asarray(e.tensor.value).flat[0])

    def run(self, tell) -> None:
        if self.h.get("maximize"):
            self.g = -self.g
            self.say("g ← −g", f"-({self.f(-self.g)})", self.g)
        tell(self)

    def say(self, formula: str, numbers: str, result: float) -> None:
        self.lines.append(f"{formula} = {numbers} = {self.f(result)}")

    def before(self, key: str) -> float | None:
        """A buffer's first element before the step (None: the step created it)."""
        value = self.e.old_buffers.get(key)
        return None if value is None else float(np.asarray(value).flat[0])

    def after(self, key: str, fallback: float) -> float:
        value = self.e.buffers.get(key)
        return fallback if value is None else float(np.asarray(value).flat[0])

    def coupled_decay(self) -> None:
        """Weight decay added to the gradient: g ← g + λ·w."""
        wd, f = self.h.get("weight_decay") or 0, self.f
        if wd:
            g = self.g + wd * self.x
            self.say(f"g ← g + λ·{self.w}", f"{f(self.g)} + {f(wd)} · {f(self.x)}", g)
            self.g = g

    def final(self, formula: str, numbers: str) -> None:
        self.say(f"{self.w} ← {self.w} − {formula}", f"{self.f(self.x)} − {numbers}", self.new)


def _sgd(s: _Step) -> None:
    f, h = s.f, s.h
    lr, mom, damp = h.get("lr", 0), h.get("momentum") or 0, h.get("dampening") or 0
    s.coupled_decay()
    if not mom:
        s.final("lr·g", f"{f(lr)} · {f(s.g)}")
        return
    old = s.before("momentum_buffer")
    if old is None:  # the first step starts the buffer at g
        buf = s.after("momentum_buffer", s.g)
        s.lines.append(f"buf ← g = {f(buf)}")
    else:
        buf = s.after("momentum_buffer", mom * old + (1 - damp) * s.g)
        if damp:
            numbers = f"{f(mom)} · {f(old)} + (1 − {f(damp)}) · {f(s.g)}"
            s.say("buf ← μ·buf + (1 − τ)·g", numbers, buf)
        else:
            s.say("buf ← μ·buf + g", f"{f(mom)} · {f(old)} + {f(s.g)}", buf)
    if h.get("nesterov"):
        g = s.g + mom * buf
        s.say("g ← g + μ·buf", f"{f(s.g)} + {f(mom)} · {f(buf)}", g)
        s.g = g
        s.final("lr·g", f"{f(lr)} · {f(s.g)}")
    else:
        s.final("lr·buf", f"{f(lr)} · {f(buf)}")


def _adam(s: _Step) -> None:
    f, h = s.f, s.h
    lr, (b1, b2), eps = h.get("lr", 0), h.get("betas", (0.9, 0.999)), h.get("eps", 1e-8)
    t = s.e.step or 1
    wd = h.get("weight_decay") or 0
    if wd and h.get("decoupled_weight_decay"):  # AdamW shrinks the weight first
        x = s.x * (1 - lr * wd)
        numbers = f"{f(s.x)} · (1 − {f(lr)} · {f(wd)})"
        s.say(f"{s.w} ← {s.w}·(1 − lr·λ)", numbers, x)
        s.x = x
    else:
        s.coupled_decay()
    m0, v0 = s.before("exp_avg") or 0.0, s.before("exp_avg_sq") or 0.0
    m = s.after("exp_avg", b1 * m0 + (1 - b1) * s.g)
    v = s.after("exp_avg_sq", b2 * v0 + (1 - b2) * s.g * s.g)
    s.say("m ← β₁·m + (1 − β₁)·g", f"{f(b1)} · {f(m0)} + (1 − {f(b1)}) · {f(s.g)}", m)
    s.say("v ← β₂·v + (1 − β₂)·g²", f"{f(b2)} · {f(v0)} + (1 − {f(b2)}) · {f.sq(s.g)}", v)
    if h.get("amsgrad"):
        top0 = s.before("max_exp_avg_sq") or 0.0
        top = s.after("max_exp_avg_sq", max(top0, v))
        s.say("v_max ← max(v_max, v)", f"max({f(top0)}, {f(v)})", top)
        v, v_name = top, "v_max"
    else:
        v_name = "v"
    power = str(t).translate(_SUPERSCRIPT)
    m_hat = m / (1 - b1**t)
    v_hat = v / (1 - b2**t)
    s.say("m̂ = m / (1 − β₁ᵗ)", f"{f(m)} / (1 − {f(b1)}{power})", m_hat)
    s.say(f"v̂ = {v_name} / (1 − β₂ᵗ)", f"{f(v)} / (1 − {f(b2)}{power})", v_hat)
    s.final("lr·m̂ / (√v̂ + ε)", f"{f(lr)} · {f(m_hat)} / (√{f(v_hat)} + {f(eps)})")


def _rmsprop(s: _Step) -> None:
    f, h = s.f, s.h
    lr, alpha, eps = h.get("lr", 0), h.get("alpha", 0.99), h.get("eps", 1e-8)
    mom = h.get("momentum") or 0
    s.coupled_decay()
    v0 = s.before("square_avg") or 0.0
    v = s.after("square_avg", alpha * v0 + (1 - alpha) * s.g * s.g)
    s.say("v ← α·v + (1 − α)·g²", f"{f(alpha)} · {f(v0)} + (1 − {f(alpha)}) · {f.sq(s.g)}", v)
    if h.get("centered"):
        a0 = s.before("grad_avg") or 0.0
        a = s.after("grad_avg", alpha * a0 + (1 - alpha) * s.g)
        s.say("ḡ ← α·ḡ + (1 − α)·g", f"{f(alpha)} · {f(a0)} + (1 − {f(alpha)}) · {f(s.g)}", a)
        root, numbers = "√(v − ḡ²)", f"√({f(v)} − {f.sq(a)})"
    else:
        root, numbers = "√v", f"√{f(v)}"
    if mom:
        b0 = s.before("momentum_buffer") or 0.0
        denominator = np.sqrt(v - a * a) if h.get("centered") else np.sqrt(v)
        buf = s.after("momentum_buffer", mom * b0 + s.g / (denominator + eps))
        s.say(
            f"buf ← μ·buf + g / ({root} + ε)",
            f"{f(mom)} · {f(b0)} + {f(s.g)} / ({numbers} + {f(eps)})",
            buf,
        )
        s.final("lr·buf", f"{f(lr)} · {f(buf)}")
    else:
        s.final(f"lr·g / ({root} + ε)", f"{f(lr)} · {f(s.g)} / ({numbers} + {f(eps)})")


_TELLERS = {"SGD": _sgd, "Adam": _adam, "AdamW": _adam, "RMSprop": _rmsprop}
