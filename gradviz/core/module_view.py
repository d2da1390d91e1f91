"""Collapsed nn.Modules: a derived story in which a collapsed module is one box.

`collapse(story, paths)` returns a `ModuleView`: a Story that a Player plays like any
other, and the mapping between its steps and the source story's. In the derived story
every box of a collapsed module (its ops, its parameters and their AccumulateGrad, the
constants only it uses) becomes one box "model.0 · Linear" that shows the module's
output, the gradient it received and its parameters' grads; edges into and out of it are
re-targeted. A run of consecutive steps acting on its boxes becomes one step: backward
says "model.0 (Linear) receives ∂loss/∂out = … and sends ∂loss/∂x = …; its parameters'
grads become …". Every number is read from the source story's updates (the derived steps
keep them all, so the state after a derived step is the source state after the last step
it stands for), so nothing the derived story shows can be stale or made up.

Module paths come from the "modules" detail row the story builder gives every box inside
a module: "model (Sequential) › model.0 (Linear)", outermost first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from .story import Episode, Step, Story, StoryEdge, StoryNode
from .values import full_text

ROLE_MODULE = "module"  # a collapsed nn.Module (gradviz.core.scene_types mirrors it)
CHAIN_SEP = " › "  # story_builder.MODULE_CHAIN_SEP
DEFAULT_MAX_BOXES = 60  # an episode with more boxes opens with its modules collapsed
BOX_PREFIX = "module:"
_ENTRY = re.compile(r"^(\S+) \(([^()]*)\)$")


# ----- reading module paths ----------------------------------------------------------------
def module_chain(node: StoryNode) -> tuple[tuple[str, str], ...]:
    """((path, class name), ...) of the modules a box lies in, outermost first."""
    text = node.detail.get("modules")
    if not isinstance(text, str) or not text:
        return ()
    out = []
    for part in text.split(CHAIN_SEP):
        m = _ENTRY.match(part.strip())
        if m:
            out.append((m[1], m[2]))
    return tuple(out)


def module_path(node: StoryNode) -> str | None:
    """The innermost module a box lies in (model.encoder.0), or None."""
    chain = module_chain(node)
    return chain[-1][0] if chain else None


def depth(path: str) -> int:
    """model -> 0, model.fc1 -> 1, model.encoder.0 -> 2."""
    return path.count(".")


def module_classes(story: Story) -> dict[str, str]:
    """Every module path the story's boxes lie in -> its class name, in story order."""
    out: dict[str, str] = {}
    for ep in story.episodes:
        for n in ep.nodes:
            for path, cls in module_chain(n):
                out.setdefault(path, cls)
    return out


def paths_at_depth(story: Story, level: int = 1) -> frozenset[str]:
    return frozenset(p for p in module_classes(story) if depth(p) == level)


def default_collapsed(story: Story, max_boxes: int = DEFAULT_MAX_BOXES) -> frozenset[str]:
    """Modules at depth 1 when some episode has more than `max_boxes` boxes, else none."""
    if any(len(ep.nodes) > max_boxes for ep in story.episodes):
        return paths_at_depth(story, 1)
    return frozenset()


def outermost(paths) -> frozenset[str]:
    """Drop paths inside another collapsed path: the outer box already holds them."""
    paths = frozenset(paths)
    return frozenset(p for p in paths if not any(p.startswith(q + ".") for q in paths if q != p))


def box_id(path: str) -> str:
    return BOX_PREFIX + path


# ----- the view ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModuleBox:
    """One collapsed module within one episode."""

    path: str
    cls: str
    id: str
    members: tuple[str, ...]  # the source boxes it stands for, in story order
    ops: tuple[str, ...]  # members that are ops (grad_fn or plain)
    params: tuple[str, ...]  # parameter leaf boxes
    inputs: tuple[str, ...]  # boxes outside it (derived ids) whose values flow in
    outputs: tuple[str, ...]  # members whose values flow out (or are a backward root)


@dataclass(frozen=True)
class ModuleView:
    source: Story
    story: Story  # the derived story
    collapsed: frozenset[str]
    to_view: tuple[int, ...]  # source step -> derived step
    spans: tuple[tuple[int, int], ...]  # derived step -> (first, last) source step
    boxes: dict = field(default_factory=dict)  # (episode, box id) -> ModuleBox
    titles: dict = field(default_factory=dict)  # (episode, source box id) -> title

    def view_step(self, k: int) -> int:
        """The derived step showing source step k (the collapsed step containing it)."""
        if not self.to_view:
            return k
        return self.to_view[min(max(k, 0), len(self.to_view) - 1)]

    def source_step(self, k: int) -> int:
        """The last source step a derived step stands for: the same state."""
        if not self.spans:
            return k
        return self.spans[min(max(k, 0), len(self.spans) - 1)][1]

    def module_box(self, episode: int, box: str) -> ModuleBox | None:
        return self.boxes.get((episode, box))

    def source_state(self, k: int) -> dict:
        """The source story's state (every box, inside modules too) that step k shows."""
        if not self.source.steps:
            return {}
        last = self.source_step(k)
        ep = self.source.episodes[self.source.steps[last].episode]
        out: dict[str, dict] = {}
        for step in self.source.steps[ep.first_step : last + 1]:
            for target, name, value in step.updates:
                out.setdefault(target, {})[name] = value
        return out

    def details(self, k: int, box: str) -> list[tuple[str, str]]:
        """Inspector rows of a module box at derived step k: its inputs and outputs, the
        gradient it received, and each parameter with its .grad."""
        episode = self.story.steps[k].episode
        mb = self.boxes.get((episode, box))
        if mb is None:
            return []
        state = self.source_state(k)
        title = self.titles.get
        rows = []
        for nid in mb.inputs:
            inner = self.boxes.get((episode, nid))  # another module: its output
            shown = inner.outputs[0] if inner is not None and inner.outputs else nid
            full = state.get(shown, {}).get("value_full")
            if full is not None:
                rows.append((f"input {title((episode, nid), nid)}", full_text(full)))
        for nid in mb.outputs:
            now = state.get(nid, {})
            if now.get("value_full") is not None:
                rows.append(("output", full_text(now["value_full"])))
            if now.get("grad_full") is not None:
                rows.append(("gradient received", full_text(now["grad_full"])))
        for nid in mb.params:
            now = state.get(nid, {})
            name = title((episode, nid), nid)
            if now.get("value_full") is not None:
                rows.append((name, full_text(now["value_full"])))
            grad = now.get("grad_full")
            rows.append((f"{name}.grad", "None" if grad in (None, "None") else full_text(grad)))
        return rows


def collapse(story: Story, paths) -> ModuleView:
    """The story with each module in `paths` (and everything inside it) as one box."""
    collapsed = outermost(paths)
    plans = [_plan(ep, collapsed) for ep in story.episodes]
    runs_of = [_runs(story, ep, plan) for ep, plan in zip(story.episodes, plans)]
    to_view = [0] * len(story.steps)
    spans: list[tuple[int, int]] = []
    for runs in runs_of:
        for _, run in runs:
            for s in run:
                to_view[s.index] = len(spans)
            spans.append((run[0].index, run[-1].index))
    steps: list[Step] = []
    episodes: list[Episode] = []
    boxes: dict = {}
    titles: dict = {}
    for ep, plan, runs in zip(story.episodes, plans, runs_of):
        nodes = _nodes(ep, plan, to_view)
        for n in ep.nodes:
            titles[(ep.index, n.id)] = n.title
        for n in nodes:
            titles.setdefault((ep.index, n.id), n.title)
        for mb in plan.boxes.values():
            boxes[(ep.index, mb.id)] = mb
        edges = tuple(plan.edges)
        shown = {n.id for n in nodes} | {e.id for e in edges}
        steps += _Teller(plan, titles, ep.index, shown).steps(runs, len(steps))
        episodes.append(
            replace(
                ep,
                first_step=to_view[ep.first_step] if story.steps else ep.first_step,
                last_step=to_view[ep.last_step] if story.steps else ep.last_step,
                backward_step=None if ep.backward_step is None else to_view[ep.backward_step],
                nodes=nodes,
                edges=edges,
            )
        )
    default = to_view[story.default_step] if 0 <= story.default_step < len(to_view) else 0
    derived = replace(story, episodes=tuple(episodes), steps=tuple(steps), default_step=default)
    return ModuleView(story, derived, collapsed, tuple(to_view), tuple(spans), boxes, titles)


# ----- one episode: which boxes fold, and the edges between what is left ---------------------
@dataclass
class _Plan:
    member: dict[str, str]  # source box id -> path of the collapsed module holding it
    boxes: dict[str, ModuleBox]  # path -> its box
    edges: list[StoryEdge]  # the derived episode's edges
    dropped: set[str]  # ids of edges inside a module box
    nodes: dict[str, StoryNode]

    def box_of(self, nid: str) -> str:
        path = self.member.get(nid)
        return box_id(path) if path is not None else nid


def _plan(ep: Episode, collapsed: frozenset[str]) -> _Plan:
    member: dict[str, str] = {}
    classes: dict[str, str] = {}
    for n in ep.nodes:
        for path, cls in module_chain(n):
            classes.setdefault(path, cls)
            if path in collapsed:
                member[n.id] = path
                break
    # A constant (or a tensor made on the spot) that only feeds one module is part of it.
    out_of: dict[str, set[str]] = {}
    has_input: set[str] = set()
    for e in ep.edges:
        out_of.setdefault(e.source, set()).add(e.target)
        has_input.add(e.target)
    for n in ep.nodes:
        if n.id in member or n.id in has_input or n.role not in ("constant", "tensor"):
            continue
        owners = {member.get(t) for t in out_of.get(n.id, ())}
        if len(owners) == 1 and None not in owners and n.role == "constant":
            member[n.id] = owners.pop()
    plan = _Plan(member, {}, [], set(), {n.id: n for n in ep.nodes})
    edges: list[StoryEdge] = []
    for e in ep.edges:
        s, t = plan.box_of(e.source), plan.box_of(e.target)
        if s == t and s != e.source:
            plan.dropped.add(e.id)
            continue
        label = e.label if t == e.target or e.kind == "cut" else None
        edges.append(StoryEdge(e.id, s, t, e.kind, e.slot, label))
    plan.edges = edges
    for path in dict.fromkeys(member[n.id] for n in ep.nodes if n.id in member):
        inside = tuple(n.id for n in ep.nodes if member.get(n.id) == path)
        ops = tuple(i for i in inside if plan.nodes[i].role in ("grad_fn", "op"))
        params = tuple(i for i in inside if plan.nodes[i].role in ("leaf", "tensor"))
        bid = box_id(path)
        inputs = tuple(dict.fromkeys(x.source for x in edges if x.target == bid))
        outputs = tuple(
            dict.fromkeys(
                e.source
                for e in ep.edges
                if member.get(e.source) == path and member.get(e.target) != path
            )
        )
        # Nothing used its result (yet): the last op it ran stands for its output.
        outputs = outputs or ops[-1:]
        plan.boxes[path] = ModuleBox(
            path, classes.get(path, ""), bid, inside, ops, params, inputs, outputs
        )
    return plan


def _nodes(ep: Episode, plan: _Plan, to_view: list[int]) -> tuple[StoryNode, ...]:
    def appears_at(n: StoryNode):
        a = n.detail.get("appears")
        return to_view[a] if isinstance(a, int) and 0 <= a < len(to_view) else a

    out = []
    placed: set[str] = set()
    for n in ep.nodes:
        path = plan.member.get(n.id)
        if path is None:
            a = appears_at(n)
            if a != n.detail.get("appears"):
                n = replace(n, detail={**n.detail, "appears": a})
            out.append(n)
            continue
        if path in placed:
            continue
        placed.add(path)
        mb = plan.boxes[path]
        out.append(_module_node(mb, [plan.nodes[i] for i in mb.members], appears_at, plan))
    return tuple(out)


def _module_node(mb: ModuleBox, members: list[StoryNode], appears_at, plan: _Plan) -> StoryNode:
    shown = [appears_at(n) for n in members]
    appears = None if any(a is None for a in shown) else min(shown)
    out = plan.nodes[mb.outputs[0]] if mb.outputs else None
    op_titles = [plan.nodes[i].title for i in mb.ops]
    detail = {
        "name": mb.path,
        "kind": f"{mb.cls or 'nn.Module'}, collapsed: {len(mb.members)} boxes in one "
        "(expand it to see every step)",
        "modules": next((n.detail["modules"] for n in members if "modules" in n.detail), ""),
        "ops inside": ", ".join(op_titles) or "none",
        "parameters": "\n".join(
            f"{plan.nodes[i].title}  {list(plan.nodes[i].shape)}" for i in mb.params
        )
        or "none",
    }
    if appears is not None:
        detail["appears"] = appears
    count = f"{len(mb.ops)} op{'s' if len(mb.ops) != 1 else ''}"
    if mb.params:
        count += f", {len(mb.params)} parameter{'s' if len(mb.params) != 1 else ''}"
    return StoryNode(
        mb.id,
        ROLE_MODULE,
        f"{mb.path} · {mb.cls}" if mb.cls else mb.path,
        f"▸ module · {count}",
        next((n.line for n in members if n.line), None),
        out.shape if out is not None else (),
        out.dtype if out is not None else "",
        detail,
        all(n.muted for n in members),
    )


# ----- steps: runs inside one module become one step ------------------------------------------
def _runs(story: Story, ep: Episode, plan: _Plan) -> list[tuple[str | None, list[Step]]]:
    """Consecutive steps of one phase whose acting box (the first in focus) lies in the
    same collapsed module, as (path, steps); every other step is a run of its own."""
    runs: list[tuple[str | None, list[Step]]] = []
    if not story.steps:
        return runs
    for s in story.steps[ep.first_step : ep.last_step + 1]:
        path = plan.member.get(s.focus[0]) if s.focus and s.phase != "error" else None
        last = runs[-1] if runs else None
        if path is not None and last and last[0] == path and last[1][-1].phase == s.phase:
            last[1].append(s)
        else:
            runs.append((path, [s]))
    return runs


class _Teller:
    """Writes the derived steps of one episode, with the module boxes' own updates."""

    def __init__(self, plan: _Plan, titles: dict, episode: int, shown: set[str]) -> None:
        self.plan = plan
        self.ids = shown  # the derived episode's boxes and edges: what updates may name
        self.titles = titles
        self.episode = episode
        self.state: dict[str, dict] = {}  # the source state, folded step by step
        self.shown: dict[str, dict] = {}  # module box -> the fields it was last given

    def steps(self, runs, first_index: int) -> list[Step]:
        out = []
        for path, run in runs:
            touched = set()
            for s in run:
                for target, name, value in s.updates:
                    self.state.setdefault(target, {})[name] = value
                    touched.add(target)
            index = first_index + len(out)
            updates = tuple(u for s in run for u in s.updates if u[0] in self.ids)
            updates += tuple(self.box_updates(touched))
            if path is None:
                out.append(self.remapped(run[0], index, updates))
            else:
                out.append(self.folded(self.plan.boxes[path], run, index, updates))
        return out

    # -- what a module box shows ------------------------------------------------------------
    def box_updates(self, touched: set[str]) -> list:
        """Updates for the module boxes whose inner boxes this step changed."""
        out = []
        for mb in self.plan.boxes.values():
            if touched.isdisjoint(mb.members):
                continue
            want = self.fields(mb)
            was = self.shown.setdefault(mb.id, {})
            for name, value in want.items():
                if was.get(name) is not value and was.get(name) != value:
                    out.append((mb.id, name, value))
                    was[name] = value
        return out

    def fields(self, mb: ModuleBox) -> dict:
        want: dict = {}
        if mb.outputs:
            now = self.state.get(mb.outputs[0], {})
            for name in ("value", "value_full", "grad", "grad_full"):
                if name in now:
                    want[name] = now[name]
        grads = []
        for nid in mb.params:
            g = self.state.get(nid, {}).get("grad")
            if g is not None:
                grads.append(f"{self.short_name(mb, nid)}.grad = {g}")
        if grads:
            want["note"] = "  ".join(grads)
        if any(self.state.get(i, {}).get("state") == "done" for i in mb.ops):
            want["state"] = "done"
        if any(self.state.get(i, {}).get("freed") for i in mb.members):
            want["freed"] = "1"
        return want

    def title(self, nid: str) -> str:
        return self.titles.get((self.episode, nid), nid)

    def tensor_name(self, nid: str) -> str:
        """What flows out of a box: a module's output, an op's named result (h), else the
        box's title."""
        if nid.startswith(BOX_PREFIX):
            return f"{nid.removeprefix(BOX_PREFIX)}'s output"
        node = self.plan.nodes.get(nid)
        if node is not None and node.role in ("grad_fn", "op") and node.subtitle:
            return node.subtitle.split(" = ", 1)[0]
        return self.title(nid)

    def short_name(self, mb: ModuleBox, nid: str) -> str:
        return self.title(nid).removeprefix(mb.path + ".")

    # -- steps --------------------------------------------------------------------------------
    def remapped(self, s: Step, index: int, updates: tuple) -> Step:
        plan = self.plan
        token = s.token if s.token is None or s.token.edge not in plan.dropped else None
        text = s.narration
        for f in dict.fromkeys(s.focus):  # a box it names is now inside a module box
            path = plan.member.get(f)
            if path is not None and self.title(f) in text:
                text += f" ({self.title(f)} is inside {path}.)"
        return replace(
            s,
            index=index,
            narration=text,
            focus=tuple(dict.fromkeys(plan.box_of(f) for f in s.focus)),
            edges=tuple(x for x in s.edges if x not in plan.dropped),
            token=token,
            updates=updates,
        )

    def folded(self, mb: ModuleBox, run: list[Step], index: int, updates: tuple) -> Step:
        plan = self.plan
        focus = tuple(dict.fromkeys([mb.id, *(plan.box_of(f) for s in run for f in s.focus)]))
        edges = tuple(dict.fromkeys(x for s in run for x in s.edges if x not in plan.dropped))
        tokens = [s.token for s in run if s.token is not None and s.token.edge not in plan.dropped]
        phase = run[0].phase
        if phase == "backward" and any(s.kind == "receive" for s in run):
            text, math = self.backward_words(mb, run)
        elif phase == "forward" and all(s.kind == "op" for s in run):
            text, math = self.forward_words(mb, run)
        else:
            text = f"Inside {self.head(mb)}: " + " ".join(s.narration for s in run)
            math = tuple(m for s in run for m in s.math)
        if len(run) > 1:
            text += f" (Expand {mb.path} to see its {len(run)} steps one by one.)"
        return Step(
            index,
            run[0].episode,
            phase,
            "module",
            text,
            next((s.line for s in run if s.line), None),
            focus,
            edges,
            tokens[-1] if tokens else None,
            updates,
            math,
            run[0].seq,
        )

    def head(self, mb: ModuleBox) -> str:
        return f"{mb.path} ({mb.cls})" if mb.cls else mb.path

    def forward_words(self, mb: ModuleBox, run: list[Step]) -> tuple[str, tuple]:
        names = [self.tensor_name(nid) for nid in mb.inputs]
        ops = [s.focus[0] for s in run]
        math = []
        for nid in ops:
            node = self.plan.nodes[nid]
            value = self.state.get(nid, {}).get("value", "…")
            math.append(f"{node.subtitle} = {value}")
        out = self.state.get(mb.outputs[0], {}).get("value") if mb.outputs else None
        what = ", ".join(self.plan.nodes[n].title for n in ops)
        text = f"{self.head(mb)} runs forward"
        if names:
            text += f" on {', '.join(names)}"
        if len(ops) == 1:
            text += f": the op inside it ({what}) gives"
        else:
            text += f": the {len(ops)} ops inside it ({what}) give"
        used = any(e.source == mb.id for e in self.plan.edges)
        if out is None or mb.outputs[0] not in ops:
            text += " its result."
        else:  # a result nothing used yet (the script stopped) is not called its output
            text += f" its output {out}." if used else f" {out}."
        return text, tuple(math)

    def backward_words(self, mb: ModuleBox, run: list[Step]) -> tuple[str, tuple]:
        plan = self.plan
        receive = next(
            (s for s in run if s.kind == "receive" and s.focus[0] in mb.outputs),
            next(s for s in run if s.kind == "receive"),
        )
        d_out = _lhs(receive.math, "∂/∂out")
        g_out = self.state.get(receive.focus[0], {}).get("grad", "…")
        math = [f"{d_out} = {g_out}"]
        text = f"{self.head(mb)} receives {d_out} = {g_out}"
        sends = []
        for s in run:
            if s.kind != "send" or s.token is None or s.token.edge in plan.dropped:
                continue
            d_in = _lhs(s.math, "∂/∂input")
            edge = next((e for e in plan.edges if e.id == s.token.edge), None)
            dest = self.title(edge.source) if edge is not None else "its input"
            sends.append(f"{d_in} = {s.token.text} to {dest}")
            math.append(f"{d_in} = {s.token.text}")
        if sends:
            text += " and sends " + " and ".join(sends)
        grads = []
        for nid in mb.params:
            g = self.state.get(nid, {}).get("grad")
            if g is not None and g != "None":
                grads.append(f"{self.title(nid)}.grad = {g}")
        if grads:
            text += "; its parameters' grads become " + ", ".join(grads)
            math += grads
        return text + ".", tuple(math)


def _lhs(math: tuple, fallback: str) -> str:
    """'∂loss/∂model.1.tanh' from the chain rule's first line '∂loss/∂model.1.tanh = …'."""
    if math and " = " in math[0]:
        return math[0].split(" = ", 1)[0]
    return fallback
