"""Learner-facing names: which variable a tensor was assigned to, and op expressions."""

from __future__ import annotations

import ast
import re

from engine.autograd import recording as ev


def number(value) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value == int(value) and abs(value) < 1e15:
        return f"{int(value)}."
    return repr(value)


def _assign_targets(source: str) -> dict[int, str]:
    """line -> the simple variable name assigned on that line (x = ..., x += ...)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    found: dict[int, str] = {}
    for node in ast.walk(tree):
        target = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        elif isinstance(node, ast.AnnAssign):
            target = node.target
        # `w -= lr * w.grad` changes w in place: the tensor it makes on the way (lr * w.grad)
        # is not w, so augmented assignments name nothing.
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            target = node.optional_vars
        if isinstance(target, ast.Name):
            for line in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                found[line] = target.id
    return found


class TensorNames:
    """Maps tensor uids to the variable names a learner gave them."""

    def __init__(self, source: str) -> None:
        self.targets = _assign_targets(source)
        self.names: dict[int, str] = {}
        self.aliases: dict[int, list[str]] = {}  # uid -> later names of the same tensor

    def of(self, uid: int) -> str | None:
        return self.names.get(uid)

    def learn(self, events: list, filename: str, namespace: dict) -> None:
        # The last tensor made by a statement `name = ...` is the one bound to `name`.
        last_on_line: tuple[int, int] | None = None  # (line, uid)
        for e in events:
            out = None
            if isinstance(e, ev.OpRan):
                out = e.output
            elif isinstance(e, (ev.TensorCreated, ev.Detached)):
                out = e.tensor if isinstance(e, ev.TensorCreated) else e.result
            loc = getattr(e, "location", None)
            line = loc.line if loc is not None and loc.filename == filename else None
            if out is None:
                continue
            if last_on_line and last_on_line[0] != line:
                self._bind(*last_on_line)
            last_on_line = (line, out.uid) if line in self.targets else None
        if last_on_line:
            self._bind(*last_on_line)
        for name, value in namespace.items():
            uid = getattr(value, "_uid", None)
            if uid is None or name.startswith("_"):
                continue
            if uid not in self.names:
                self.names[uid] = name
            elif self.names[uid] != name:
                self.aliases.setdefault(uid, []).append(name)

    def _bind(self, line: int, uid: int) -> None:
        name = self.targets[line]
        if uid not in self.names:
            self.names[uid] = name
        elif self.names[uid] != name and name not in self.aliases.get(uid, ()):
            self.aliases.setdefault(uid, []).append(name)  # `d = f(a)` returns f's `b`

    def alias_in(self, uid: int, code: str) -> str | None:
        """The tensor's other name, if this line of code calls it that (print(d / a))."""
        for name in self.aliases.get(uid, ()):
            if re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", code):
                return name
        return None


_INFIX = {
    "add": "+",
    "sub": "−",
    "mul": "×",
    "div": "/",
    "matmul_batched": "@",
    "mm": "@",
    "mv": "@",
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "le": "<=",
    "gt": ">",
    "ge": ">=",
}


def enclosed(label: str) -> bool:
    """True when the whole label sits inside one pair of brackets: (a + b), [1., 2.]."""
    if not label or label[0] not in "([" or label[-1] not in ")]":
        return False
    depth = 0
    for i, ch in enumerate(label):
        depth += ch in "(["
        depth -= ch in ")]"
        if depth == 0 and i < len(label) - 1:
            return False
    return True


def operand(label: str) -> str:
    """A label that is itself an expression reads as one term: (a − 1.05) ** 2, but x,
    x.grad, dot(x, x) and [1., 2.] stay as they are."""
    if " " not in label or enclosed(label):
        return label
    call = re.match(r"^[\w.]+(?=\()", label)
    if call and enclosed(label[call.end() :]):
        return label
    return f"({label})"


_operand = operand


def expression(opdef, labels: list[str], params: dict) -> str:
    """A short formula for an op call, e.g. '2 × dot(x, x)' -> 'mul(2, …)' style."""
    name = opdef.name if opdef is not None else "op"
    if name in _INFIX and len(labels) == 2:
        return f"{_operand(labels[0])} {_INFIX[name]} {_operand(labels[1])}"
    if name == "pow":
        return f"{_operand(labels[0])} ** {number(params.get('exponent'))}"
    if name == "rpow":
        return f"{number(params.get('base'))} ** {_operand(labels[0])}"
    if name == "rsub":
        return f"{number(params.get('other'))} − {_operand(labels[0])}"
    if name == "neg":
        return f"−{_operand(labels[0])}"
    extra = [f"{k}={v}" for k, v in params.items() if k in ("dim", "keepdim", "p") and v]
    return f"{name}({', '.join(labels + extra)})"
