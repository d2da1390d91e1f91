"""The builder's graph, without Qt: leaves, constants and op nodes, as ordered statements.

The model is a list of statements in script order, because the script is the single
source of truth: `codegen.to_code(model)` writes it, `codegen.from_code(text)` reads it
back, and neither reorders nor renames anything. Every literal (a leaf's value, a number
argument, `dim=0`) is kept as the text the learner typed, so a round trip is exact.

The op catalogue (`palette()`) is read from the engine's registry, so an op registered
tomorrow appears in the palette with no change here.
"""

from __future__ import annotations

import ast
import copy
import inspect
from dataclasses import dataclass, field

import engine
import engine.nn.functional as _functional
from engine._registry import REGISTRY

from .names import call_name

# ----- expressions ---------------------------------------------------------------------------


@dataclass
class Lit:
    """A Python literal as typed: 2, 0.5, (1, 0), None, 'mean'."""

    text: str


@dataclass
class Ref:
    """A node of the builder, by its variable name."""

    name: str


@dataclass
class GradOf:
    """`name.grad` (for print statements)."""

    name: str


@dataclass
class Detach:
    """`inner.detach()`: the gradient stops on this edge."""

    inner: object


@dataclass
class Seq:
    """A list or tuple that holds nodes: torch.cat([a, b])."""

    items: list
    brackets: str = "[]"


@dataclass
class Call:
    """One op call. `style` is how it is spelt: "infix" (a + b), "prefix" (-a),
    "function" (torch.dot(a, b); `prefix` holds "torch", "F", ...) or "method" (a.sum())."""

    op: str  # the name the learner calls, e.g. "dot", "sum", "add"
    style: str
    args: list = field(default_factory=list)  # expressions, in order
    kwargs: list = field(default_factory=list)  # [(name, expression)], in order
    prefix: str = "torch"
    symbol: str = ""  # the Python operator for infix and prefix calls


# ----- statements ----------------------------------------------------------------------------


@dataclass
class Stmt:
    lead: list = field(default_factory=list)  # comment and blank lines above, verbatim
    comment: str = ""  # a trailing "  # ..." on the statement's line, verbatim
    no_grad: int | None = None  # the `with torch.no_grad():` block it sits in, if any


@dataclass
class Import(Stmt):
    text: str = "import torch"


@dataclass
class Leaf(Stmt):
    """`name = torch.<factory>(value, dtype=..., requires_grad=...)`: a leaf tensor, or a
    constant when requires_grad is not True. Keyword arguments are kept as typed, in order."""

    name: str = "x"
    value: str = "1.0"  # the factory's positional arguments, as typed
    kwargs: list = field(default_factory=list)  # [(keyword, text)]
    factory: str = "tensor"

    def kw(self, key: str) -> str | None:
        return next((v for k, v in self.kwargs if k == key), None)

    def set_kw(self, key: str, text: str | None) -> None:
        """Set or drop one keyword; a new dtype goes before requires_grad, as people write."""
        rest = [(k, v) for k, v in self.kwargs if k != key]
        if text is None:
            self.kwargs = rest
            return
        if any(k == key for k, _ in self.kwargs):
            self.kwargs = [(k, text if k == key else v) for k, v in self.kwargs]
        elif key == "dtype" and any(k == "requires_grad" for k, _ in rest):
            i = next(i for i, (k, _) in enumerate(rest) if k == "requires_grad")
            self.kwargs = [*rest[:i], (key, text), *rest[i:]]
        else:
            self.kwargs = [*rest, (key, text)]

    @property
    def dtype(self) -> str | None:
        return self.kw("dtype")

    @property
    def requires_grad(self) -> bool:
        return self.kw("requires_grad") == "True"

    @property
    def is_constant(self) -> bool:
        return not self.requires_grad


@dataclass
class Assign(Stmt):
    name: str = "a"
    expr: object = None


@dataclass
class Backward(Stmt):
    """`target.backward()` or `target.backward(gradient=seed)`; target is usually a Ref."""

    target: object = None
    gradient: object = None  # an expression (a tensor call is kept as Lit text)
    keyword: bool = True  # gradient= written as a keyword


@dataclass
class Print(Stmt):
    args: list = field(default_factory=list)


@dataclass
class Model:
    stmts: list = field(default_factory=list)
    tail: list = field(default_factory=list)  # comment and blank lines after the last one
    regions: dict = field(default_factory=dict)  # no_grad block -> (lead lines, comment)

    def copy(self) -> Model:
        return copy.deepcopy(self)

    # -- lookups --------------------------------------------------------------------------
    def names(self) -> list[str]:
        return [s.name for s in self.stmts if isinstance(s, (Leaf, Assign))]

    def node(self, name: str):
        return next(
            (s for s in self.stmts if isinstance(s, (Leaf, Assign)) and s.name == name), None
        )

    def leaves(self) -> list[Leaf]:
        return [s for s in self.stmts if isinstance(s, Leaf)]

    def backward(self) -> Backward | None:
        return next((s for s in self.stmts if isinstance(s, Backward)), None)

    @property
    def output(self) -> str | None:
        b = self.backward()
        return b.target.name if b is not None and isinstance(b.target, Ref) else None

    def inputs_of(self, name: str) -> list[tuple[str, bool]]:
        """(input name, detached) for each node the named node reads, in order."""
        node = self.node(name)
        if not isinstance(node, Assign):
            return []
        return list(refs(node.expr))

    def users_of(self, name: str) -> list[str]:
        return [n for n in self.names() if any(r == name for r, _ in self.inputs_of(n))]

    def fresh_name(self, base: str = "a") -> str:
        """A variable name not used yet: a, b, c, ..., then a1, b1, ..."""
        taken = set(self.names()) | {"torch", "F"}
        letters = "abcdefghijklmnopqrstuvwz" if base == "a" else ""
        for i in range(1000):
            for ch in letters or [base]:
                candidate = ch if i == 0 else f"{ch}{i}"
                if candidate not in taken:
                    return candidate
        raise ValueError("no free name")

    # -- edits (each returns nothing; the UI wraps them in undo commands) -----------------
    def _insert_at(self) -> int:
        """New nodes go before the backward call and the prints."""
        for i, s in enumerate(self.stmts):
            if isinstance(s, (Backward, Print)):
                return i
        return len(self.stmts)

    def ensure_import(self) -> None:
        if not any(isinstance(s, Import) and s.text == "import torch" for s in self.stmts):
            self.stmts.insert(0, Import(text="import torch"))

    def add(self, stmt: Stmt) -> None:
        self.ensure_import()
        needs_f = isinstance(stmt, Assign) and any(
            isinstance(c, Call) and c.style == "function" and c.prefix == "F"
            for c in walk(stmt.expr)
        )
        if needs_f and not any(isinstance(s, Import) and " as F" in s.text for s in self.stmts):
            last = max(i for i, s in enumerate(self.stmts) if isinstance(s, Import))
            self.stmts.insert(last + 1, Import(text="import torch.nn.functional as F"))
        if not any(isinstance(s, (Leaf, Assign)) for s in self.stmts):
            stmt.lead = [""]  # a blank line after the imports
        self.stmts.insert(self._insert_at(), stmt)

    def remove(self, name: str) -> None:
        """Delete a node; nodes that read it are deleted too (they would not run)."""
        doomed = {name}
        changed = True
        while changed:
            changed = False
            for n in self.names():
                if n not in doomed and any(r in doomed for r, _ in self.inputs_of(n)):
                    doomed.add(n)
                    changed = True
        kept = []
        for s in self.stmts:
            if isinstance(s, (Leaf, Assign)) and s.name in doomed:
                continue
            if isinstance(s, Backward) and any(r in doomed for r, _ in refs(s.target)):
                continue
            if isinstance(s, Print) and any(r in doomed for a in s.args for r, _ in refs(a)):
                continue
            kept.append(s)
        self.stmts = kept

    def rename(self, old: str, new: str) -> None:
        if not new.isidentifier() or new in self.names():
            raise ValueError(f"{new!r} is not a free variable name")
        for s in self.stmts:
            if isinstance(s, (Leaf, Assign)) and s.name == old:
                s.name = new
            for e in _exprs_of(s):
                for sub in walk(e):
                    if isinstance(sub, (Ref, GradOf)) and sub.name == old:
                        sub.name = new

    def set_output(self, name: str, gradient: str | None = None) -> None:
        """Make `name.backward(...)` the script's backward call, then print each leaf's grad."""
        self.stmts = [s for s in self.stmts if not isinstance(s, (Backward, Print))]
        seed = Lit(gradient) if gradient else None
        self.stmts.append(Backward(target=Ref(name), gradient=seed))
        for leaf in self.leaves():
            if leaf.requires_grad:
                self.stmts.append(Print(args=[GradOf(leaf.name)]))

    def set_detached(self, name: str, slot: int, detached: bool) -> None:
        """Put `.detach()` on (or take it off) the edge into the `slot`-th input of `name`."""
        node = self.node(name)
        if not isinstance(node, Assign) or not isinstance(node.expr, Call):
            raise ValueError(f"{name} is not an op")
        arg = node.expr.args[slot]
        if detached and isinstance(arg, Ref):
            node.expr.args[slot] = Detach(arg)
        elif not detached and isinstance(arg, Detach):
            node.expr.args[slot] = arg.inner

    def set_no_grad(self, names: list[str], on: bool) -> None:
        """Put the named nodes in one `with torch.no_grad():` block (or take them out)."""
        region = max((s.no_grad for s in self.stmts if s.no_grad is not None), default=-1) + 1
        for s in self.stmts:
            if isinstance(s, (Leaf, Assign)) and s.name in names:
                s.no_grad = region if on else None


def walk(expr):
    """The expression and every sub-expression, depth first."""
    yield expr
    if isinstance(expr, Detach):
        yield from walk(expr.inner)
    elif isinstance(expr, Seq):
        for item in expr.items:
            yield from walk(item)
    elif isinstance(expr, Call):
        for a in expr.args:
            yield from walk(a)
        for _, v in expr.kwargs:
            yield from walk(v)


def refs(expr, detached: bool = False):
    """(name, detached) for each node an expression reads, in order."""
    if isinstance(expr, (Ref, GradOf)):
        yield expr.name, detached
    elif isinstance(expr, Detach):
        yield from refs(expr.inner, True)
    elif isinstance(expr, Seq):
        for item in expr.items:
            yield from refs(item, detached)
    elif isinstance(expr, Call):
        for a in expr.args:
            yield from refs(a, detached)
        for _, v in expr.kwargs:
            yield from refs(v, detached)


def _exprs_of(s: Stmt) -> list:
    if isinstance(s, Assign):
        return [s.expr]
    if isinstance(s, Print):
        return list(s.args)
    if isinstance(s, Backward):
        return [s.target] + ([s.gradient] if s.gradient is not None else [])
    return []


# ----- the op catalogue, from the registry ----------------------------------------------------

GROUPS = (
    "arithmetic",
    "elementwise",
    "reductions",
    "linear algebra",
    "shape",
    "activations",
    "losses",
    "comparisons",
)
# Python's own operators: syntax, not op metadata (the op behind each comes from the registry).
INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "matmul": "@", "pow": "**"}
PRECEDENCE = {"**": 14, "@": 12, "*": 12, "/": 12, "+": 11, "-": 11, "unary": 13}


@dataclass(frozen=True)
class Slot:
    name: str
    default: str | None  # None: required (a node or a number); else the default, as text


@dataclass(frozen=True)
class PaletteOp:
    """One entry of the palette: an op the learner can call, and how."""

    call: str  # the name the learner calls it by ("sum", "mse_loss")
    op: str  # the registry op it records as
    group: str
    symbol: str
    style: str  # how the builder spells a new call: infix, function or method
    prefix: str  # "torch" or "F" for functions
    inputs: tuple  # Slot per required argument (tensors or numbers)
    params: tuple  # Slot per optional argument (dim, keepdim, ...)
    rules: tuple  # display text of each local derivative

    @property
    def label(self) -> str:
        return (
            f"{self.call}  {self.symbol}" if self.symbol and self.symbol != self.call else self.call
        )


def _group(op, module: str, in_functional: bool) -> str:
    kinds = {r.kind for r in op.local_rules()}
    short = module.rsplit(".", 1)[-1]
    if short == "losses":
        return "losses"
    if short == "arithmetic":
        return "arithmetic"
    if "matmul" in kinds:
        return "linear algebra"
    if not kinds:
        return "comparisons" if short == "compare" else "elementwise"
    if in_functional and kinds <= {"elementwise", "other"}:
        return "activations"
    if kinds <= {"elementwise"}:
        return "elementwise"
    if "reduce" in kinds:
        return "reductions"
    return "shape"


def _signature(fn) -> tuple[tuple, tuple]:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return (), ()
    inputs, params = [], []
    for p in sig.parameters.values():
        if p.kind == p.VAR_POSITIONAL:  # view(*shape): typed as "2, 2"
            params.append(Slot(f"*{p.name}", ""))
            continue
        if p.kind == p.VAR_KEYWORD or p.name in ("out", "inplace"):
            continue
        if p.default is inspect.Parameter.empty and p.kind != p.KEYWORD_ONLY:
            inputs.append(Slot(p.name, None))
        elif p.default is not inspect.Parameter.empty:
            params.append(Slot(p.name, repr(p.default)))
    return tuple(inputs), tuple(params)


def _public(name: str) -> bool:
    return not name.startswith("_")


def _catalogue() -> dict[str, PaletteOp]:
    found: dict[str, PaletteOp] = {}
    for op in REGISTRY.values():
        module = op.__module__
        names = [n for n in (*op.functions, *op.methods) if _public(n)]
        fallback = call_name(op, op.name)
        for n in (op.name, fallback):
            exposed = hasattr(engine, n) or hasattr(engine.Tensor, n) or hasattr(_functional, n)
            if _public(n) and exposed and n not in names:
                names.append(n)
        for n in names:
            if n in found:
                continue
            in_torch = callable(getattr(engine, n, None))
            in_f = callable(getattr(_functional, n, None))
            if in_torch:
                style, prefix, fn = "function", "torch", getattr(engine, n)
            elif in_f:
                style, prefix, fn = "function", "F", getattr(_functional, n)
            else:
                style, prefix, fn = "method", "", op.call
            if n in INFIX:
                style = "infix"
            elif n == "neg":
                style = "prefix"
            inputs, params = _signature(fn)
            if not inputs:  # a signature we cannot read: the op's own input names
                inputs = tuple(Slot(i, None) for i in op.input_names)
                params = tuple(p for p in params if p.name != "*inputs")
            found[n] = PaletteOp(
                call=n,
                op=op.name,
                group=_group(op, module, in_f),
                symbol=op.symbol,
                style=style,
                prefix=prefix,
                inputs=inputs,
                params=params,
                rules=tuple(r.text for r in op.local_rules()),
            )
    return found


_CATALOGUE: list[dict] = []


def catalogue() -> dict[str, PaletteOp]:
    """Every callable op by the name the learner calls it (built once, from the registry)."""
    if not _CATALOGUE:
        _CATALOGUE.append(_catalogue())
    return _CATALOGUE[0]


def palette() -> dict[str, list[PaletteOp]]:
    """The catalogue grouped for the palette: one entry per registry op (its first name;
    aliases such as `multiply` still parse), groups in GROUPS order, ops by call name."""
    groups: dict[str, list[PaletteOp]] = {g: [] for g in GROUPS}
    seen: set[str] = set()
    for entry in catalogue().values():
        if entry.op in seen:
            continue
        seen.add(entry.op)
        groups.setdefault(entry.group, []).append(entry)
    return {g: sorted(v, key=lambda e: e.call) for g, v in groups.items() if v}


def new_call(entry: PaletteOp, args: list, params: dict[str, str] | None = None) -> Call:
    """A call of a palette op on `args` (Ref/Lit), with the params that differ from defaults."""
    args = list(args)
    kwargs = []
    for k, v in (params or {}).items():
        if k.startswith("*"):  # view(*shape): "2, 2" becomes two arguments
            args.extend(Lit(part.strip()) for part in v.split(",") if part.strip())
        else:
            kwargs.append((k, Lit(v)))
    if entry.style == "infix":
        return Call(entry.call, "infix", args, kwargs, symbol=INFIX[entry.call])
    if entry.style == "prefix":
        return Call(entry.call, "prefix", args, kwargs, symbol="-")
    if entry.style == "method":
        return Call(entry.call, "method", args, kwargs, prefix="")
    return Call(entry.call, "function", args, kwargs, prefix=entry.prefix)


def literal_ok(text: str) -> bool:
    """Is `text` a Python literal (what a value or a number argument may be)?"""
    try:
        ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return True


# ----- checking a model on the engine ----------------------------------------------------------

MAX_CHECK_ELEMENTS = 100_000  # bigger tensors are not made here (the sandbox runs them)


@dataclass(frozen=True)
class NodeCheck:
    """What running one node says: its shape and dtype, or PyTorch's error message."""

    shape: tuple | None
    dtype: str
    requires_grad: bool
    error: str | None


def _evaluate(expr, ns: dict):
    import operator

    if isinstance(expr, Ref):
        if expr.name not in ns:
            raise _Skip(expr.name)
        return ns[expr.name]
    if isinstance(expr, GradOf):
        return ns[expr.name].grad
    if isinstance(expr, Lit):
        return ast.literal_eval(expr.text)
    if isinstance(expr, Seq):
        items = [_evaluate(i, ns) for i in expr.items]
        return items if expr.brackets == "[]" else tuple(items)
    if isinstance(expr, Detach):
        return _evaluate(expr.inner, ns).detach()
    if isinstance(expr, Call):
        args = [_evaluate(a, ns) for a in expr.args]
        kwargs = {k: _evaluate(v, ns) for k, v in expr.kwargs}
        if expr.style == "infix":
            table = {
                "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
                "@": operator.matmul, "**": operator.pow, "==": operator.eq, "!=": operator.ne,
                "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
            }  # fmt: skip
            return table[expr.symbol](*args)
        if expr.style == "prefix":
            return -args[0]
        if expr.style == "method":
            return getattr(args[0], expr.op)(*args[1:], **kwargs)
        module = _functional if expr.prefix not in ("torch",) else engine
        return getattr(module, expr.op)(*args, **kwargs)
    raise TypeError(f"not an expression: {expr!r}")


class _Skip(Exception):
    """An input of the node has no value (it failed, or is not made yet)."""


def _make_leaf(leaf: Leaf):
    value = ast.literal_eval(f"({leaf.value},)") if leaf.value else ()
    size = 1
    for part in value:
        size *= int(part) if isinstance(part, int) else 1
    if leaf.factory != "tensor" and size > MAX_CHECK_ELEMENTS:
        raise _Skip(leaf.name)
    if leaf.factory == "tensor" and len(repr(value)) > 8 * MAX_CHECK_ELEMENTS:
        raise _Skip(leaf.name)
    kwargs = {}
    for k, v in leaf.kwargs:
        if k == "dtype":
            kwargs[k] = getattr(engine, v.removeprefix("torch."))
        else:
            kwargs[k] = ast.literal_eval(v)
    return getattr(engine, leaf.factory)(*value, **kwargs)


def check(model: Model) -> dict[str, NodeCheck]:
    """Run every node of the model on the engine, in order, and say what each one is:
    its shape, or the error PyTorch gives (a shape mismatch shows on the node at once).
    Literal values only, in this process: nothing of the learner's code runs here."""
    ns: dict = {}
    out: dict[str, NodeCheck] = {}
    for s in model.stmts:
        if not isinstance(s, (Leaf, Assign)):
            continue
        try:
            with engine.no_grad() if s.no_grad is not None else _nothing():
                value = _make_leaf(s) if isinstance(s, Leaf) else _evaluate(s.expr, ns)
        except _Skip:
            out[s.name] = NodeCheck(None, "", False, None)
            continue
        except Exception as exc:  # noqa: BLE001 - any failure is shown on the node
            out[s.name] = NodeCheck(None, "", False, f"{type(exc).__name__}: {exc}")
            continue
        ns[s.name] = value
        shape = tuple(getattr(value, "shape", ()))
        dtype = str(getattr(value, "dtype", "")).removeprefix("torch.")
        out[s.name] = NodeCheck(shape, dtype, bool(getattr(value, "requires_grad", False)), None)
    return out


class _nothing:  # noqa: N801 - a do-nothing context manager
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False
