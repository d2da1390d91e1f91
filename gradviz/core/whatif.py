"""What if a leaf had another value? Re-run the script with it, keep every box where it was.

The edited script runs in the sandbox like any run (same worker, same limits): the value is
written into the line that makes the leaf, on that same line, so the story's node ids and
line numbers are those of the original run. `PinnedPlayer` reuses the previous layout, so
no box moves; `changes` lists what each box's value and .grad moved by, for the flash.

`sampling_script` turns the script into one that runs its forward and backward for many
values of one or two scalar leaves and prints f and the gradients: the f/f′ plot and the
contour are computed by the learner's own code, in the sandbox, in one run.
"""

from __future__ import annotations

import ast
import json
import math
from dataclasses import dataclass

import numpy as np

from . import sandbox
from .layout import Layout
from .player import Player
from .result import TraceResult
from .story import Story
from .values import decode, short

SAMPLES_MARK = "GRADVIZ-SAMPLES "
FACTORIES = ("tensor", "zeros", "ones", "arange", "linspace", "full", "eye", "rand", "randn")


@dataclass(frozen=True)
class LeafSite:
    """Where a script makes a leaf: `name = torch.<factory>(...)` on `line`."""

    name: str
    line: int
    start: int  # character offsets of the call in the source
    end: int
    factory: str
    value_start: int | None  # the first argument's span, when it is a typed-in literal
    value_end: int | None
    kwargs: tuple  # (keyword, text) other than the value


def _offsets(source: str) -> list[int]:
    starts, total = [0], 0
    for line in source.splitlines(keepends=True):
        total += len(line)
        starts.append(total)
    return starts


def _char(source: str, starts: list[int], line: int, col_bytes: int) -> int:
    text = source[starts[line - 1] : starts[line] if line < len(starts) else len(source)]
    return starts[line - 1] + len(text.encode("utf-8")[:col_bytes].decode("utf-8", "replace"))


def leaf_sites(source: str) -> dict[str, LeafSite]:
    """Every `name = torch.<factory>(...)` on one line, by name (the first one wins)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    starts = _offsets(source)
    found: dict[str, LeafSite] = {}
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call)
        ):
            continue
        call = node.value
        func = call.func
        if not (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "torch"
            and func.attr in FACTORIES
            and call.lineno == call.end_lineno
        ):
            continue
        name = node.targets[0].id
        if name in found:
            continue
        first = call.args[0] if call.args and func.attr == "tensor" else None
        vs = ve = None
        if first is not None:
            vs = _char(source, starts, first.lineno, first.col_offset)
            ve = _char(source, starts, first.end_lineno, first.end_col_offset)
        kwargs = tuple(
            (k.arg, ast.get_source_segment(source, k.value) or "")
            for k in call.keywords
            if k.arg is not None
        )
        found[name] = LeafSite(
            name,
            node.lineno,
            _char(source, starts, call.lineno, call.col_offset),
            _char(source, starts, call.end_lineno, call.end_col_offset),
            func.attr,
            vs,
            ve,
            kwargs,
        )
    return found


def literal(value) -> str:
    """A value as a Python literal a learner would type: 2.0, [1.0, -0.5], [[1.0], [2.0]]."""
    a = np.asarray(value)
    if a.ndim == 0:
        v = a.item()
        if isinstance(v, bool):
            return repr(v)
        if isinstance(v, int):
            return str(v)
        f = float(v)
        if math.isnan(f) or math.isinf(f):
            return f"float('{f}')"
        text = repr(round(f, 6))
        return text if ("." in text or "e" in text) else text + ".0"
    return "[" + ", ".join(literal(sub) for sub in a) + "]"


def with_value(source: str, site: LeafSite, value_text: str) -> str:
    """The script with the leaf made from `value_text`, on the same line (so every line
    number, and every story id, stays as it was)."""
    if site.value_start is not None:
        return source[: site.value_start] + value_text + source[site.value_end :]
    kwargs = [f"{k}={v}" for k, v in site.kwargs if k in ("dtype", "requires_grad")]
    if not any(k == "dtype" for k, _ in site.kwargs) and site.factory in ("arange", "tensor"):
        pass  # the literal's own type decides, as it would in the learner's script
    call = f"torch.tensor({', '.join([value_text, *kwargs])})"
    return source[: site.start] + call + source[site.end :]


def leaf_value(story: Story, name: str, step: int | None = None) -> np.ndarray | None:
    """The value of the leaf called `name`, as the story recorded it."""
    raw = _first_leaf_values(story, name).get(name)
    return decode(raw) if raw is not None else None


def _first_leaf_values(story: Story, only: str | None = None) -> dict[str, object]:
    """Leaf title -> the first full value the story recorded for it, in one pass over
    each episode's steps (a 1,500-box story has hundreds of leaves)."""
    found: dict[str, object] = {}
    for ep in story.episodes:
        wanted = {
            n.id: n.title
            for n in ep.nodes
            if n.role == "leaf" and n.title not in found and only in (None, n.title)
        }
        if not wanted:
            continue
        for s in story.steps[ep.first_step : ep.last_step + 1]:
            for target, field, raw in s.updates:
                title = wanted.get(target)
                if title is not None and field == "value_full" and title not in found:
                    found[title] = raw
    return found


def leaf_names(story: Story) -> list[str]:
    names: list[str] = []
    for ep in story.episodes:
        for n in ep.nodes:
            if n.role == "leaf" and n.title not in names:
                names.append(n.title)
    return names


# ----- running -------------------------------------------------------------------------------


def start(source: str, **limits) -> sandbox.SandboxRun:
    """Start the edited script in the sandbox (same limits as a Run); returns at once."""
    return sandbox.start_run(source, **limits)


def run(source: str, **limits) -> TraceResult:
    """Run the edited script in the sandbox and wait (for tests, benchmarks and the CLI)."""
    return sandbox.run_sandboxed(source, **limits)


def same_graph(old: Story, new: Story) -> bool:
    """Do both stories have the same episodes, node ids and edges (so one layout fits)?"""
    if len(old.episodes) != len(new.episodes):
        return False
    for a, b in zip(old.episodes, new.episodes):
        if [n.id for n in a.nodes] != [n.id for n in b.nodes]:
            return False
        if [(e.source, e.target) for e in a.edges] != [(e.source, e.target) for e in b.edges]:
            return False
    return True


class PinnedPlayer(Player):
    """A player for the edited run that keeps the previous run's layout: every box stays
    where it was (and as large); an episode whose graph changed is laid out anew, with the
    old positions as anchors."""

    def __init__(self, story: Story, previous: Player) -> None:
        super().__init__(story, direction=previous.direction, collapsed=previous.collapsed)
        self.previous = previous

    def layout(self, index: int) -> Layout:
        if index in self._layouts:
            return self._layouts[index]
        old_story = self.previous.story
        ep = self.story.episodes[index]
        if index < len(old_story.episodes):
            old_ep = old_story.episodes[index]
            if [n.id for n in old_ep.nodes] == [n.id for n in ep.nodes] and [
                (e.source, e.target) for e in old_ep.edges
            ] == [(e.source, e.target) for e in ep.edges]:
                self._layouts[index] = self.previous.layout(index)
                return self._layouts[index]
        return super().layout(index)


def changes(old: Player, new: Player, step: int) -> dict[str, dict[str, str]]:
    """{box id: {"value" | "grad": "+0.5" or "[+1., 0., ...]"}} for boxes whose value or
    .grad at `step` differs between the runs (what the canvas flashes)."""
    if not (0 <= step < old.step_count and 0 <= step < new.step_count):
        return {}
    before, after = old.state(step), new.state(step)
    out: dict[str, dict[str, str]] = {}
    for box_id, now in after.items():
        was = before.get(box_id, {})
        for field in ("value", "grad"):
            a, b = decode(was.get(f"{field}_full")), decode(now.get(f"{field}_full"))
            if a is None or b is None or a.shape != b.shape or a.dtype.kind not in "fi":
                if now.get(field) != was.get(field) and now.get(field) is not None:
                    out.setdefault(box_id, {})[field] = f"{was.get(field)} → {now.get(field)}"
                continue
            delta = b.astype(np.float64) - a.astype(np.float64)
            if np.any(delta != 0):
                text = short(delta)
                signed = text if text.startswith(("-", "[")) else "+" + text
                out.setdefault(box_id, {})[field] = "Δ " + signed
    return out


# ----- f and f′ over a range -------------------------------------------------------------------


def backward_target(source: str) -> tuple[int, str] | None:
    """(index of the top-level statement, source of what it calls .backward() on), for
    the script's first backward call."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for i, stmt in enumerate(tree.body):
        for node in ast.walk(stmt):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "backward"
            ):
                return i, ast.get_source_segment(source, node.func.value) or ""
    return None


def _until_backward(source: str, index: int) -> str:
    """The script up to and including its first backward call: the function f."""
    tree = ast.parse(source)
    end = tree.body[index].end_lineno
    return "".join(source.splitlines(keepends=True)[:end])


def sampling_script(source: str, leaves: list[str], points: list[tuple]) -> str | None:
    """A script that runs `source` up to its first backward once for each point (one value
    per leaf, in `leaves` order) and prints f and each leaf's gradient as JSON."""
    target = backward_target(source)
    sites = leaf_sites(source)
    if target is None or any(name not in sites for name in leaves):
        return None
    index, output = target
    body = _until_backward(source, index)
    # Later offsets first, so earlier ones stay valid.
    for i, name in sorted(enumerate(leaves), key=lambda p: -sites[p[1]].start):
        body = with_value(body, sites[name], f"_gv_point[{i}]")
    return "\n".join(
        [
            "import contextlib as _gv_cl, io as _gv_io, json as _gv_json",
            f"_gv_code = compile({body!r}, '<what-if>', 'exec')",
            "_gv_rows = []",
            f"for _gv_point in {[list(map(float, p)) for p in points]!r}:",
            "    _gv_ns = {'__name__': '__main__', '_gv_point': _gv_point}",
            "    try:",
            "        with _gv_cl.redirect_stdout(_gv_io.StringIO()):",
            "            exec(_gv_code, _gv_ns)",
            f"        _gv_f = float(eval({output!r}, _gv_ns).sum())",
            "        _gv_g = []",
            f"        for _gv_name in {leaves!r}:",
            "            _gv_grad = _gv_ns[_gv_name].grad",
            "            _gv_g.append(None if _gv_grad is None else float(_gv_grad.sum()))",
            "        _gv_rows.append([_gv_f, _gv_g])",
            "    except Exception:",
            "        _gv_rows.append(None)",
            f"print({SAMPLES_MARK!r} + _gv_json.dumps(_gv_rows))",
            "",
        ]
    )


@dataclass(frozen=True)
class Samples:
    points: list  # [(value per leaf)]
    f: list  # f at each point (nan where the script failed)
    grads: list  # [(df/dleaf per leaf)] (nan where unknown)


def parse_samples(stdout: str, points: list[tuple]) -> Samples | None:
    line = next((ln for ln in stdout.splitlines() if ln.startswith(SAMPLES_MARK)), None)
    if line is None:
        return None
    rows = json.loads(line[len(SAMPLES_MARK) :])
    nan = float("nan")
    fs, gs = [], []
    for row in rows:
        if row is None:
            fs.append(nan)
            gs.append(tuple(nan for _ in points[0]))
        else:
            fs.append(float(row[0]))
            gs.append(tuple(nan if g is None else float(g) for g in row[1]))
    return Samples(list(points), fs, gs)


def line_points(center: float, span: float | None = None, n: int = 41) -> list[tuple]:
    """n values around `center`, covering ±span (by default ±max(2, 2|center|))."""
    span = span or max(2.0, 2.0 * abs(center))
    return [(center - span + 2 * span * i / (n - 1),) for i in range(n)]


def grid_points(cx: float, cy: float, n: int = 15, span: float | None = None) -> list[tuple]:
    sx = span or max(2.0, 2.0 * abs(cx))
    sy = span or max(2.0, 2.0 * abs(cy))
    return [
        (cx - sx + 2 * sx * i / (n - 1), cy - sy + 2 * sy * j / (n - 1))
        for j in range(n)
        for i in range(n)
    ]


def sample(source: str, leaves: list[str], points: list[tuple], **limits) -> Samples | None:
    """f and its gradients at each point, computed in the sandbox (waits for it)."""
    script = sampling_script(source, leaves, points)
    if script is None:
        return None
    result = sandbox.run_sandboxed(script, **limits)
    if result.error is not None:
        return None
    return parse_samples(result.stdout, points)


def scalar_leaves(story: Story) -> list[str]:
    """Leaves holding one number (the ones an f/f′ plot or a contour can sweep)."""
    out = []
    values = _first_leaf_values(story)
    for name in leaf_names(story):
        value = decode(values[name]) if name in values else None
        if value is not None and value.size == 1 and value.dtype.kind == "f":
            out.append(name)
    return out
