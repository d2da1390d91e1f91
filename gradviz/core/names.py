"""Learner-facing names: which variable a tensor was assigned to, and op expressions."""

from __future__ import annotations

import ast
import re
from types import ModuleType

from engine.autograd import recording as ev


def number(value) -> str:
    if value.__class__ is float:  # the common case, a Python number in a formula
        text = _FLOATS.get(value)
        if text is None:
            text = _number(value)
            if len(_FLOATS) >= 4096:
                _FLOATS.clear()
            _FLOATS[value] = text
        return text
    return _number(value)


_FLOATS: dict[float, str] = {}  # its text per number (-0.0 and 0.0 are one key: both read 0.)


def _number(value) -> str:
    if isinstance(value, bool):
        return str(value)
    # abs() first: int(±inf) raises (masked_fill(mask, float('-inf')) passes one).
    if isinstance(value, float) and abs(value) < 1e15 and value == int(value):
        return f"{int(value)}."
    return repr(value)


_NOT_TENSOR_CALLS = {"range", "len", "float", "int", "print", "enumerate", "zip", "str"}


def _ops_in(nodes: list[ast.AST]) -> int:
    """How many tensors one run of an expression (its nodes, as ast.walk gives them)
    makes, assuming each operator and call makes one: `b * 2` makes 1,
    `torch.tanh(W @ h)` makes 2."""
    count = 0
    for node in nodes:
        if isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Compare, ast.Subscript)):
            count += 1
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in _NOT_TENSOR_CALLS:
                continue
            if isinstance(func, ast.Name) or (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == "self"
            ):
                return 0  # model(x), f(a), self.fc1(x): any number of tensors; unknown
            count += 1
    return count


def _has_calls(nodes: list[ast.AST]) -> bool:
    """Whether an expression (its nodes) calls a tensor function (one call may run
    several ops: F.cross_entropy is a log_softmax and an nll_loss), not only operators."""
    for node in nodes:
        if isinstance(node, ast.Call):
            func = node.func
            if not (isinstance(func, ast.Name) and func.id in _NOT_TENSOR_CALLS):
                return True
    return False


def _function_bodies(nodes: list[ast.AST]) -> list[tuple[int, int]]:
    """(first, last) line of every function's body, innermost last among nested ones."""
    spans = [
        (node.body[0].lineno, node.end_lineno or node.body[-1].lineno)
        for node in nodes
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        and isinstance(getattr(node, "body", None), list)
        and node.body
    ]
    return sorted(spans, key=lambda span: span[1] - span[0], reverse=True)


def _assign_targets(nodes: list[ast.AST]) -> tuple[dict[int, str], dict[int, int], set[int]]:
    """line -> the simple variable name assigned on that line (x = ...), line -> how
    many call sites (operators and calls) one run of its right-hand side has, and the
    lines whose right-hand side calls a function."""
    found: dict[int, str] = {}
    per_run: dict[int, int] = {}
    with_calls: set[int] = set()
    for node in nodes:
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
            value = getattr(node, "value", None)
            where = node if hasattr(node, "lineno") else target  # a withitem has no lines
            first, last = where.lineno, where.end_lineno or where.lineno
            value_nodes = None
            for line in range(first, last + 1):
                found[line] = target.id
                if value is not None and first == last:
                    value_nodes = value_nodes or list(ast.walk(value))
                    per_run[line] = _ops_in(value_nodes)
                    if _has_calls(value_nodes):
                        with_calls.add(line)
    return found, per_run, with_calls


def _source_facts(source: str) -> tuple[dict, dict, set, list]:
    """_assign_targets() and _function_bodies() of a script, from one parse and one walk,
    worked out once per source text (a run's preview and its story, a rerun, read the
    same script). Shared by every TensorNames of that text: read, never changed."""
    facts = _FACTS.get(source)
    if facts is None:
        try:
            nodes = list(ast.walk(ast.parse(source)))
        except SyntaxError:
            nodes = []
        facts = (*_assign_targets(nodes), _function_bodies(nodes))
        if len(_FACTS) >= _FACTS_LIMIT:
            _FACTS.clear()
        _FACTS[source] = facts
    return facts


_FACTS: dict[str, tuple] = {}
_FACTS_LIMIT = 8


# The field holding the tensor an event makes, for the events that make one.
MADE = {
    ev.OpRan: ev.OpRan._fields.index("output"),
    ev.TensorCreated: ev.TensorCreated._fields.index("tensor"),
    ev.Detached: ev.Detached._fields.index("result"),
}


class TensorNames:
    """Maps tensor uids to the variable names a learner gave them."""

    def __init__(self, source: str) -> None:
        self.targets, self.per_run, self.with_calls, self.bodies = _source_facts(source)
        self.names: dict[int, str] = {}
        self.aliases: dict[int, list[str]] = {}  # uid -> later names of the same tensor

    def of(self, uid: int) -> str | None:
        return self.names.get(uid)

    def _in_a_body(self, line: int | None) -> bool:
        return line is not None and any(a <= line <= b for a, b in self.bodies)

    def _calls_into(self, caller: int, line: int | None) -> bool:
        """Whether `line` is in a function body that `caller` is not in: the statement on
        `caller` is calling that function (or a Function's forward) mid-expression."""
        if line is None:
            return False
        body = next((b for b in reversed(self.bodies) if b[0] <= line <= b[1]), None)
        return body is not None and not body[0] <= caller <= body[1]

    def learn(self, events: list, filename: str, namespace: dict) -> None:
        # The last tensor made by a run of a statement `name = ...` is bound to `name`.
        candidate: tuple[int, int] | None = None  # (line, uid): the last tensor of the run
        run_line: int | None = None  # the line whose current run is being counted
        made = 0  # call sites of that run that have made their tensors
        run_done = False  # every call site of the run has: the next tensor starts a new run
        site = None  # the Location of the last tensor (one object per call site)
        # `y = a + f(c + d)`: f's body runs between `c + d` and the sum, on other lines;
        # the statement is suspended there, not ended (else `c + d` would be called y).
        suspended: list[tuple] = []
        for e in events:
            field = MADE.get(type(e))
            if field is None:
                # Only events that make a tensor bind a name, but any event of another
                # statement ends this one: `l = loss(net(X), y)` then `l.backward()` in a
                # loop binds each iteration's l, not only the last.
                loc = getattr(e, "location", None)
                if run_line is not None and not suspended and loc is not None:
                    line = loc.line if loc.filename == filename else None
                    if line != run_line and not self._calls_into(run_line, line):
                        if candidate:
                            self._bind(*candidate)
                        candidate, run_line, made, run_done = None, None, 0, False
                continue
            out, loc = e[field], e.location
            line = loc.line if loc is not None and loc.filename == filename else None
            if suspended and line != suspended[-1][1] and not self._in_a_body(line):
                # Back at the top level elsewhere: the calling statement made nothing after
                # the call (`y = f(x * 2)`), and ended.
                for state in reversed(suspended):
                    if state[0]:
                        self._bind(*state[0])
                suspended.clear()
            if suspended and line == suspended[-1][1]:
                if candidate and candidate[0] != line:
                    self._bind(*candidate)  # the called function's own last name
                candidate, run_line, made, run_done = suspended.pop()
            elif run_line is not None and line != run_line and self._calls_into(run_line, line):
                suspended.append((candidate, run_line, made, run_done))
                candidate, run_line, made, run_done = None, line, 0, False
            elif line != run_line:
                if candidate:
                    self._bind(*candidate)
                candidate, run_line, made, run_done = None, line, 0, False
            # One call can make several tensors (F.cross_entropy: log_softmax, then
            # nll_loss), all at its call site: they are one step of the line's run.
            same_call = loc is site and line in self.with_calls and made > 0
            if run_done and not same_call:
                # `b = b * 2` in a loop: each run of the line binds the tensor it made.
                if candidate:
                    self._bind(*candidate)
                made, run_done = 0, False
            candidate = (line, out.uid) if line in self.targets else None
            if not same_call:
                made += 1
            if candidate and made == self.per_run.get(line, 0):
                run_done = True  # bound when the next tensor shows it was the run's last
            site = loc
        for pending in [candidate, *(state[0] for state in reversed(suspended))]:
            if pending:
                self._bind(*pending)
        # `model = nn.Sequential(...)` makes tensors, but binds a module: not a tensor's name.
        # (An imported module is neither, and is not asked: torch's module __getattr__
        # would first try to import torch.named_parameters, torch._uid, ...)
        values = [(k, v) for k, v in namespace.items() if not isinstance(v, ModuleType)]
        objects = {
            name
            for name, value in values
            if hasattr(value, "named_parameters") or hasattr(value, "param_groups")
        }
        self.names = {uid: name for uid, name in self.names.items() if name not in objects}
        for name, value in values:
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

    def learn_parameters(self, module_paths: dict[int, str], namespace: dict) -> None:
        """nn.Module parameters are named by their path: model.0.weight."""
        for value in namespace.values():
            if id(value) not in module_paths:
                continue
            named = getattr(value, "named_parameters", None)
            if named is None or not callable(named):
                continue
            root = module_paths[id(value)]
            try:
                params = list(named())
            except TypeError:
                continue
            for name, p in params:
                uid = getattr(p, "_uid", None)
                if uid is not None:
                    self.names.setdefault(uid, f"{root}.{name}")

    def alias_in(self, uid: int, code: str) -> str | None:
        """The tensor's other name, if this line of code calls it that (print(d / a))."""
        for name in self.aliases.get(uid, ()):
            if re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", code):
                return name
        return None


# Ops written between their operands; the symbol itself comes from the registry, so the
# story and the builder's palette always agree ("÷" for div).
_INFIX_SYMBOLS = {"+", "−", "×", "÷", "@", "==", "!=", "<", "<=", ">", ">="}


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


def expression(opdef, labels: list[str], params: dict, op: str = "op") -> str:
    """A short formula for an op call, e.g. '2 × dot(x, x)' -> 'mul(2, …)' style. An op
    the registry does not know is a custom autograd.Function, called as `Op.apply(…)`."""
    if opdef is None:
        return f"{op}.apply({', '.join(labels)})"
    name = opdef.name
    symbol = getattr(opdef, "symbol", "")
    if symbol in _INFIX_SYMBOLS and len(labels) == 2:
        return f"{_operand(labels[0])} {symbol} {_operand(labels[1])}"
    if symbol in _INFIX_SYMBOLS and len(labels) == 1 and "other" in params:
        other = params["other"]  # a Python number: mul_scalar, add_scalar, ...
        shown = number(other) if isinstance(other, (int, float, bool)) else str(other)
        return f"{_operand(labels[0])} {symbol} {shown}"
    if name == "pow":
        return f"{_operand(labels[0])} ** {number(params.get('exponent'))}"
    if name == "rpow":
        return f"{number(params.get('base'))} ** {_operand(labels[0])}"
    if name == "rsub":
        return f"{number(params.get('other'))} − {_operand(labels[0])}"
    if name in ("select", "slice") and labels:
        picked = params.get("index") if name == "select" else params.get("sl", ":")
        lead = ":, " * int(params.get("dim", 0) or 0)
        return f"{_operand(labels[0])}[{lead}{picked}]"
    if name == "neg":
        return f"−{_operand(labels[0])}"
    extra = [f"{k}={v}" for k, v in params.items() if k in ("dim", "keepdim", "p") and v]
    return f"{call_name(opdef, name)}({', '.join(labels + extra)})"


def call_name(opdef, name: str) -> str:
    """The name a learner calls the op by (sum, not the registry's sum_dim)."""
    for names in (getattr(opdef, "functions", ()), getattr(opdef, "methods", ())):
        public = [n for n in names if not n.startswith("_")]
        if public:
            return public[0]
    for suffix in ("_dim", "_batched", "_scalar", "_tensor"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name
