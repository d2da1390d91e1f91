"""Learner-facing names: which variable a tensor was assigned to, and op expressions."""

from __future__ import annotations

import ast

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
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            target = node.target
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
            if uid is not None and not name.startswith("_") and uid not in self.names:
                self.names[uid] = name

    def _bind(self, line: int, uid: int) -> None:
        self.names.setdefault(uid, self.targets[line])


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


def expression(opdef, labels: list[str], params: dict) -> str:
    """A short formula for an op call, e.g. '2 × dot(x, x)' -> 'mul(2, …)' style."""
    name = opdef.name if opdef is not None else "op"
    if name in _INFIX and len(labels) == 2:
        return f"{labels[0]} {_INFIX[name]} {labels[1]}"
    if name == "pow":
        return f"{labels[0]} ** {number(params.get('exponent'))}"
    if name == "rpow":
        return f"{number(params.get('base'))} ** {labels[0]}"
    if name == "rsub":
        return f"{number(params.get('other'))} − {labels[0]}"
    if name == "neg":
        return f"−{labels[0]}"
    extra = [f"{k}={v}" for k, v in params.items() if k in ("dim", "keepdim", "p") and v]
    return f"{name}({', '.join(labels + extra)})"
