"""The builder's model as a PyTorch script, and a script back as the model.

`to_code(model)` writes a clean, readable script; `from_code(text)` reads straight-line
tensor code over the registry's ops (assignments, one `backward`, prints, `no_grad`
blocks, `.detach()`). Comments, blank lines, names, statement order and every literal are
kept as written, so `to_code(from_code(text))` is `text` once the spacing inside each
statement is normalised (`normalise`). Anything else raises `NotExpressible`, naming the
first line the builder cannot show; the script itself is never touched.
"""

from __future__ import annotations

import ast

from .builder_model import (
    Assign,
    Backward,
    Call,
    Detach,
    GradOf,
    Import,
    Leaf,
    Lit,
    Model,
    Print,
    Ref,
    Seq,
    Stmt,
    catalogue,
)

FACTORIES = ("tensor", "zeros", "ones", "arange", "linspace", "full", "eye", "rand", "randn")
IMPORTS = ("torch", "torch.nn.functional")
_BINOPS = {
    ast.Add: ("add", "+"),
    ast.Sub: ("sub", "-"),
    ast.Mult: ("mul", "*"),
    ast.Div: ("div", "/"),
    ast.MatMult: ("matmul", "@"),
    ast.Pow: ("pow", "**"),
}
_COMPARE = {
    ast.Eq: ("eq", "=="),
    ast.NotEq: ("ne", "!="),
    ast.Lt: ("lt", "<"),
    ast.LtE: ("le", "<="),
    ast.Gt: ("gt", ">"),
    ast.GtE: ("ge", ">="),
}
# Python's binding strengths (higher binds tighter).
_PREC = {"**": 14, "unary": 13, "@": 12, "*": 12, "/": 12, "+": 11, "-": 11, "cmp": 6}
_ATOM = 20
_WHAT = {
    ast.For: "a `for` loop",
    ast.AsyncFor: "a `for` loop",
    ast.While: "a `while` loop",
    ast.If: "an `if` statement",
    ast.FunctionDef: "a function definition",
    ast.AsyncFunctionDef: "a function definition",
    ast.ClassDef: "a class definition",
    ast.Try: "a `try` block",
    ast.AugAssign: "an in-place update (`+=`, `-=`, ...)",
    ast.Return: "a `return`",
    ast.Delete: "a `del`",
    ast.Global: "a `global` statement",
}
NOTE = (
    "The builder shows straight-line tensor code only: torch.tensor leaves, assignments of "
    "torch ops, one .backward() call, prints and `with torch.no_grad():` blocks. "
    "The script is left as it is; keep editing it as code."
)


class NotExpressible(ValueError):
    """The script is valid Python the builder cannot show; `line` is the first such line."""

    def __init__(self, line: int | None, what: str) -> None:
        self.line = line
        self.what = what
        where = f"Line {line}" if line else "The script"
        super().__init__(f"{where}: {what}. {NOTE}")


# ----- model -> code ---------------------------------------------------------------------------


def _prec(e) -> int:
    if isinstance(e, Call):
        if e.style == "infix":
            return (
                _PREC["cmp"] if e.symbol in ("==", "!=", "<", "<=", ">", ">=") else _PREC[e.symbol]
            )
        if e.style == "prefix":
            return _PREC["unary"]
    if isinstance(e, Lit) and e.text.lstrip().startswith("-"):
        return _PREC["unary"]
    return _ATOM


def _wrap(e, needed: int) -> str:
    text = expr_text(e)
    return f"({text})" if _prec(e) < needed else text


def _simple(e) -> bool:
    """A NAME, a number or an attribute chain (black's "simple power operand")."""
    if isinstance(e, (Ref, GradOf)):
        return True
    if isinstance(e, Lit):
        text = e.text.lstrip("-")
        return text.replace(".", "", 1).replace("e", "", 1).replace("_", "").isdigit()
    return False


def _args_text(args: list, kwargs: list) -> str:
    parts = [expr_text(a) for a in args] + [f"{k}={expr_text(v)}" for k, v in kwargs]
    return ", ".join(parts)


def expr_text(e) -> str:
    """An expression as Python, with only the brackets it needs."""
    if isinstance(e, Ref):
        return e.name
    if isinstance(e, GradOf):
        return f"{e.name}.grad"
    if isinstance(e, Lit):
        return e.text
    if isinstance(e, Seq):
        inner = ", ".join(expr_text(i) for i in e.items)
        if e.brackets == "()" and len(e.items) == 1:
            inner += ","
        return f"{e.brackets[0]}{inner}{e.brackets[1]}"
    if isinstance(e, Detach):
        return f"{_wrap(e.inner, _ATOM)}.detach()"
    if isinstance(e, Call):
        if e.style == "infix":
            p = _prec(e)
            left, right = e.args
            if e.symbol == "**":  # right-associative; -x ** 2 is -(x ** 2)
                # Simple operands hug the operator (a**3), as black and ruff write it.
                op = "**" if _simple(left) and _simple(right) else " ** "
                return f"{_wrap(left, p + 1)}{op}{_wrap(right, _PREC['unary'])}"
            return f"{_wrap(left, p)} {e.symbol} {_wrap(right, p + 1)}"
        if e.style == "prefix":
            return f"{e.symbol}{_wrap(e.args[0], _PREC['unary'])}"
        if e.style == "method":
            return f"{_wrap(e.args[0], _ATOM)}.{e.op}({_args_text(e.args[1:], e.kwargs)})"
        return f"{e.prefix}.{e.op}({_args_text(e.args, e.kwargs)})"
    raise TypeError(f"not an expression: {e!r}")


def stmt_text(s: Stmt) -> str:
    if isinstance(s, Import):
        return s.text
    if isinstance(s, Leaf):
        parts = [s.value] if s.value else []
        parts += [f"{k}={v}" for k, v in s.kwargs]
        return f"{s.name} = torch.{s.factory}({', '.join(parts)})"
    if isinstance(s, Assign):
        return f"{s.name} = {expr_text(s.expr)}"
    if isinstance(s, Backward):
        target = _wrap(s.target, _ATOM)
        if s.gradient is None:
            return f"{target}.backward()"
        seed = expr_text(s.gradient)
        return f"{target}.backward({'gradient=' if s.keyword else ''}{seed})"
    if isinstance(s, Print):
        return f"print({', '.join(expr_text(a) for a in s.args)})"
    raise TypeError(f"not a statement: {s!r}")


def to_code(model: Model) -> str:
    """The model as a script: one statement a line, comments and blank lines where they were."""
    out: list[str] = []
    region = None
    for s in model.stmts:
        if s.no_grad != region and s.no_grad is not None:
            lead, comment = model.regions.get(s.no_grad, ([], ""))
            out += lead
            out.append("with torch.no_grad():" + comment)
        region = s.no_grad
        indent = "    " if region is not None else ""
        out += s.lead
        out.append(indent + stmt_text(s) + s.comment)
    out += model.tail
    return "\n".join(out).rstrip("\n") + "\n"


def normalise(text: str) -> str:
    """The one normalisation of the round trip: the spacing inside statements as
    `to_code` writes it (for code the builder can show), otherwise the text unchanged."""
    try:
        return to_code(from_code(text))
    except NotExpressible:
        return text


# ----- code -> model ---------------------------------------------------------------------------


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.splitlines()
        self.defined: set[str] = set()
        self.grads = False
        self.aliases: dict[str, str] = {}  # import alias -> module, e.g. F -> torch.nn.functional

    def segment(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.text, node) or ""

    def fail(self, node: ast.AST | None, what: str) -> NotExpressible:
        return NotExpressible(getattr(node, "lineno", None), what)

    # -- trivia ---------------------------------------------------------------------------
    def lead(self, prev_end: int, start: int) -> list[str]:
        return self.lines[prev_end : start - 1]

    def comment(self, node: ast.AST) -> str:
        line = self.lines[node.end_lineno - 1]
        rest = line.encode("utf-8")[node.end_col_offset :].decode("utf-8", "replace")
        if not rest.strip():
            return ""
        if rest.lstrip().startswith("#"):
            return rest.rstrip()
        raise self.fail(node, "two statements on one line")

    # -- statements -----------------------------------------------------------------------
    def read(self) -> Model:
        try:
            tree = ast.parse(self.text)
        except SyntaxError as err:
            raise NotExpressible(err.lineno, f"Python cannot read it ({err.msg})") from None
        model = Model()
        prev_end = 0
        for node in tree.body:
            lead = self.lead(prev_end, node.lineno)
            if isinstance(node, ast.With):
                region = len(model.regions)
                model.regions[region] = (lead, self._with_comment(node))
                inner_end = node.lineno
                for inner in node.body:
                    s = self.statement(inner)
                    if not isinstance(s, (Assign, Leaf)):
                        raise self.fail(inner, "only assignments fit in a no_grad block")
                    s.lead, s.comment, s.no_grad = (
                        self.lead(inner_end, inner.lineno),
                        self.comment(inner),
                        region,
                    )
                    model.stmts.append(s)
                    inner_end = inner.end_lineno
            else:
                s = self.statement(node)
                s.lead, s.comment = lead, self.comment(node)
                model.stmts.append(s)
            prev_end = node.end_lineno
        model.tail = self.lines[prev_end:]
        while model.tail and not model.tail[-1].strip():
            model.tail.pop()  # trailing blank lines: to_code ends with one newline
        if sum(isinstance(s, Backward) for s in model.stmts) > 1:
            second = [s for s in model.stmts if isinstance(s, Backward)][1]
            raise NotExpressible(self._line_of(second, tree), "a second .backward() call")
        return model

    def _line_of(self, stmt: Stmt, tree: ast.Module) -> int | None:
        text = stmt_text(stmt)
        for node in ast.walk(tree):
            if isinstance(node, ast.stmt) and self.segment(node) == text:
                return node.lineno
        return None

    def _with_comment(self, node: ast.With) -> str:
        if len(node.items) != 1 or node.items[0].optional_vars is not None:
            raise self.fail(node, "a `with` block other than `with torch.no_grad():`")
        ctx = node.items[0].context_expr
        if self.segment(ctx) != "torch.no_grad()":
            raise self.fail(node, f"`with {self.segment(ctx)}:` (only torch.no_grad() is shown)")
        line = self.lines[node.lineno - 1]
        head_end = line.find(":", line.find("no_grad()") + len("no_grad()"))
        rest = line[head_end + 1 :]
        return rest.rstrip() if rest.lstrip().startswith("#") else ""

    def statement(self, node: ast.stmt) -> Stmt:
        if isinstance(node, ast.Import):
            return self._import(node)
        if isinstance(node, ast.ImportFrom):
            if node.module == "torch.nn" and [a.name for a in node.names] == ["functional"]:
                self.aliases[node.names[0].asname or "functional"] = "torch.nn.functional"
                return Import(text=self.segment(node))
            raise self.fail(node, f"an import from {node.module} (the builder knows torch only)")
        if isinstance(node, ast.Assign):
            if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
                raise self.fail(node, "an assignment to something other than one variable name")
            name = node.targets[0].id
            if name in self.defined:
                raise self.fail(node, f"`{name}` is assigned a second time")
            s = self._leaf(name, node.value) or Assign(name=name, expr=self._top(node.value))
            self.defined.add(name)
            return s
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            call = node.value
            if isinstance(call.func, ast.Name) and call.func.id == "print":
                if call.keywords:
                    raise self.fail(node, "print(...) with keyword arguments")
                self.grads = True  # x.grad may be read in a print
                try:
                    return Print(args=[self.expr(a) for a in call.args])
                finally:
                    self.grads = False
            if isinstance(call.func, ast.Attribute) and call.func.attr == "backward":
                return self._backward(call)
        what = _WHAT.get(
            type(node), f"a statement the builder cannot show (`{self.segment(node)[:40]}`)"
        )
        raise self.fail(node, what)

    def _import(self, node: ast.Import) -> Import:
        for alias in node.names:
            if alias.name not in IMPORTS:
                raise self.fail(node, f"`import {alias.name}` (the builder knows torch only)")
            if alias.asname:
                self.aliases[alias.asname] = alias.name
        return Import(text=self.segment(node))

    def _backward(self, call: ast.Call) -> Backward:
        target = self.expr(call.func.value)
        if len(call.args) + len(call.keywords) > 1 or any(
            k.arg != "gradient" for k in call.keywords
        ):
            raise self.fail(call, "a .backward() with arguments other than gradient=")
        if call.args:
            return Backward(target=target, gradient=self._seed(call.args[0]), keyword=False)
        if call.keywords:
            return Backward(target=target, gradient=self._seed(call.keywords[0].value))
        return Backward(target=target)

    def _seed(self, node: ast.expr):
        return self.expr(node) if isinstance(node, ast.Name) else Lit(self.segment(node))

    def _leaf(self, name: str, value: ast.expr) -> Leaf | None:
        if not (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and isinstance(value.func.value, ast.Name)
            and value.func.value.id == "torch"
            and value.func.attr in FACTORIES
        ):
            return None
        if any(isinstance(a, ast.Starred) for a in value.args) or any(
            k.arg is None for k in value.keywords
        ):
            raise self.fail(value, "a tensor made with * or ** arguments")
        for a in value.args:
            if not _literal(a):
                raise self.fail(value, f"`{name}` is made from values that are not typed in")
        args = ""
        if value.args:
            first, last = value.args[0], value.args[-1]
            args = _slice(self.text, first, last)
        kwargs = [(k.arg, self.segment(k.value)) for k in value.keywords]
        return Leaf(name=name, value=args, kwargs=kwargs, factory=value.func.attr)

    # -- expressions ----------------------------------------------------------------------
    def _top(self, node: ast.expr):
        e = self.expr(node)
        if not isinstance(e, (Call, Detach)):
            raise self.fail(node, "an assignment that is not an op (`b = a` or a plain number)")
        return e

    def expr(self, node: ast.expr):
        if isinstance(node, ast.Name):
            if node.id not in self.defined:
                raise self.fail(node, f"`{node.id}` is used but not made by the lines above")
            return Ref(node.id)
        if _literal(node):
            return Lit(self.segment(node))
        if isinstance(node, (ast.List, ast.Tuple)):
            brackets = "[]" if isinstance(node, ast.List) else "()"
            return Seq([self.expr(e) for e in node.elts], brackets)
        if self.grads and isinstance(node, ast.Attribute) and node.attr == "grad":
            if isinstance(node.value, ast.Name) and node.value.id in self.defined:
                return GradOf(node.value.id)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            op, symbol = _BINOPS[type(node.op)]
            return Call(op, "infix", [self.expr(node.left), self.expr(node.right)], symbol=symbol)
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
            op, symbol = _COMPARE[type(node.ops[0])]
            args = [self.expr(node.left), self.expr(node.comparators[0])]
            return Call(op, "infix", args, symbol=symbol)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return Call("neg", "prefix", [self.expr(node.operand)], symbol="-")
        if isinstance(node, ast.Call):
            return self._call(node)
        raise self.fail(node, f"the expression `{self.segment(node)[:40]}`")

    def _call(self, node: ast.Call):
        if any(isinstance(a, ast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords
        ):
            raise self.fail(node, "a call with * or ** arguments")
        func = node.func
        if not isinstance(func, ast.Attribute):
            raise self.fail(node, f"a call of `{self.segment(func)}` (not a torch op)")
        kwargs = [(k.arg, self.expr(k.value)) for k in node.keywords]
        module = self._module(func.value)
        if module is not None:
            if func.attr not in catalogue():
                raise self.fail(
                    node, f"`{self.segment(func)}` is not an op of the engine's registry"
                )
            args = [self.expr(a) for a in node.args]
            return Call(func.attr, "function", args, kwargs, prefix=self.segment(func.value))
        receiver = self.expr(func.value)
        if func.attr == "detach" and not node.args and not node.keywords:
            return Detach(receiver)
        if func.attr not in catalogue():
            raise self.fail(
                node, f"the method `.{func.attr}()` is not an op of the engine's registry"
            )
        args = [receiver, *(self.expr(a) for a in node.args)]
        return Call(func.attr, "method", args, kwargs, prefix="")

    def _module(self, node: ast.expr) -> str | None:
        """'torch' or 'torch.nn.functional' when `node` names one (torch, F, torch.nn...)."""
        dotted = self.segment(node)
        if dotted in IMPORTS:
            return dotted
        return self.aliases.get(dotted)


def _literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return True


def _slice(text: str, first: ast.AST, last: ast.AST) -> str:
    """The source from the start of `first` to the end of `last`, verbatim."""
    lines = text.splitlines(keepends=True)

    def offset(line: int, col: int) -> int:
        before = sum(len(x.encode("utf-8")) for x in lines[: line - 1])
        return before + col

    raw = text.encode("utf-8")
    start = offset(first.lineno, first.col_offset)
    end = offset(last.end_lineno, last.end_col_offset)
    return raw[start:end].decode("utf-8")


def from_code(text: str) -> Model:
    """The builder's model of a script; raises NotExpressible naming the first line it
    cannot show."""
    return _Reader(text).read()
