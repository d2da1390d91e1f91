"""From a recording (engine events) to a Story: episodes, their graphs, and their steps.

Each backward() or autograd.grad() call closes an episode; updates that follow it
(zero_(), a parameter step under no_grad) stay with it until the next forward work starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import engine
from engine.autograd import recording as ev

from . import names as naming
from .errors import ErrorInfo
from .story import Episode, Step, Story, StoryEdge, StoryNode
from .values import full, shape_text, short

FORWARD_STARTERS = (ev.OpRan, ev.TensorCreated, ev.Detached)


def split_episodes(events: list) -> list[list]:
    groups, current, closed = [], [], False
    for e in events:
        if closed and isinstance(e, (*FORWARD_STARTERS, ev.BackwardStarted)):
            groups.append(current)
            current, closed = [], False
        current.append(e)
        if isinstance(e, ev.BackwardFinished):
            closed = True
    if current:
        groups.append(current)
    return groups


@dataclass
class _NodeDraft:
    id: str
    role: str
    title: str
    subtitle: str
    line: int | None
    shape: tuple = ()
    dtype: str = ""
    detail: dict = field(default_factory=dict)
    appears: int | None = None  # step index where it first shows; None: visible from the start


class _Graph:
    """The nodes and edges of one episode, built up as events are read."""

    def __init__(self) -> None:
        self.nodes: dict[str, _NodeDraft] = {}
        self.edges: dict[str, StoryEdge] = {}

    def node(self, draft: _NodeDraft) -> str:
        self.nodes.setdefault(draft.id, draft)
        return draft.id

    def edge(self, edge: StoryEdge) -> str:
        self.edges.setdefault(edge.id, edge)
        return edge.id


class StoryBuilder:
    def __init__(self, source: str, filename: str, namespace: dict) -> None:
        self.source = source
        self.filename = filename
        self.lines = source.splitlines()
        self.names = naming.TensorNames(source)
        self.namespace = namespace
        self.ops: dict[int, ev.OpRan] = {}  # node uid -> the op that recorded it
        self.produced: dict[int, ev.OpRan] = {}  # tensor uid -> op that produced it
        self.detached: dict[int, ev.Detached] = {}  # result uid -> event
        self.created: dict[int, ev.TensorCreated] = {}
        self.acc_leaf: dict[int, int] = {}  # AccumulateGrad node uid -> leaf uid
        self.grad_owner: dict[int, int] = {}  # .grad tensor uid -> leaf uid
        self.leaf_value: dict[int, tuple] = {}  # leaf uid -> (array, dtype)
        self.leaf_grad: dict[int, object] = {}  # leaf uid -> array or None
        self.leaf_info: dict[int, ev.TensorInfo] = {}
        self.freed: set[str] = set()  # boxes whose saved tensors a backward freed
        self.produced_by_box: dict[str, ev.OpRan] = {}
        self.episodes: list[Episode] = []
        self.steps: list[Step] = []

    # ----- names and text ----------------------------------------------------------------
    def lines_ok(self, op) -> int | None:
        """The source line of the op behind a node, if it is in the learner's file."""
        return self.line_of(op.location) if op is not None else None

    def line_of(self, loc) -> int | None:
        if loc is None or loc.filename != self.filename:
            return None
        return loc.line

    def code(self, line: int | None) -> str:
        if line is None or not 0 < line <= len(self.lines):
            return ""
        return self.lines[line - 1].strip()

    def tname(self, uid: int) -> str | None:
        return self.names.of(uid)

    def label(self, info) -> str:
        """How narration refers to an operand."""
        if isinstance(info, ev.ScalarInfo):
            return naming.number(info.value)
        name = self.tname(info.uid)
        if name:
            return name
        op = self.produced.get(info.uid)
        if op is not None:
            return f"{op.op}(…)"
        return short(info.value)

    # ----- node ids ----------------------------------------------------------------------
    @staticmethod
    def op_id(e: ev.OpRan) -> str:
        return f"n{e.node}" if e.node is not None else f"o{e.output.uid}"

    @staticmethod
    def leaf_id(uid: int) -> str:
        return f"t{uid}"

    @staticmethod
    def acc_id(uid: int) -> str:
        return f"a{uid}"

    def node_box(self, node_uid: int) -> str:
        leaf = self.acc_leaf.get(node_uid)
        return self.acc_id(leaf) if leaf is not None else f"n{node_uid}"

    # ----- graph construction ------------------------------------------------------------
    def ensure_leaf(self, g: _Graph, info: ev.TensorInfo, appears: int | None) -> str:
        nid = self.leaf_id(info.uid)
        if nid in g.nodes:
            return nid
        name = self.tname(info.uid) or ("tensor" if info.requires_grad else short(info.value))
        created = self.created.get(info.uid)
        line = self.line_of(created.location) if created else None
        role = "leaf" if info.requires_grad else "tensor"
        if info.uid in self.detached:
            role = "tensor"
        subtitle = shape_text(info.shape, info.dtype)
        if info.uid in self.detached:
            subtitle = "detached · " + subtitle
        elif info.requires_grad:
            subtitle = "leaf · " + subtitle
        detail = {
            "name": name,
            "kind": "leaf tensor (requires_grad=True)"
            if role == "leaf"
            else "detached tensor"
            if info.uid in self.detached
            else "tensor (no grad)",
            "shape": str(list(info.shape)),
            "dtype": f"torch.{info.dtype}",
        }
        if created is not None:
            detail["created by"] = self.code(line) or created.how
        g.node(_NodeDraft(nid, role, name, subtitle, line, info.shape, info.dtype, detail, appears))
        if info.uid in self.detached:
            self.add_detach_edge(g, self.detached[info.uid], appears)
        return nid

    def ensure_acc(self, g: _Graph, info: ev.TensorInfo, appears: int | None) -> str:
        leaf = self.ensure_leaf(g, info, appears)
        nid = self.acc_id(info.uid)
        if nid not in g.nodes:
            name = self.tname(info.uid) or "leaf"
            g.node(
                _NodeDraft(
                    nid,
                    "accumulate",
                    "AccumulateGrad",
                    f"→ {name}.grad",
                    g.nodes[leaf].line,
                    (),
                    "",
                    {
                        "name": "AccumulateGrad",
                        "kind": "AccumulateGrad",
                        "local rule": f"{name}.grad = {name}.grad + incoming (or incoming if None)",
                        "variable": name,
                    },
                    appears,
                )
            )
            g.edge(StoryEdge(f"acc{info.uid}", leaf, nid, "data", 0, None))
        return nid

    def ensure_op(self, g: _Graph, e: ev.OpRan, appears: int | None) -> str:
        nid = self.op_id(e)
        if nid in g.nodes:
            return nid
        self.produced_by_box[nid] = e
        out = e.output
        name = self.tname(out.uid)
        opdef = engine.REGISTRY.get(e.op)
        expr = naming.expression(opdef, [self.label(i) for i in e.inputs], e.params)
        subtitle = f"{name} = {expr}" if name else expr
        line = self.line_of(e.location)
        role = "grad_fn" if e.node is not None else "op"
        detail = {
            "name": e.grad_fn or e.op,
            "kind": f"grad_fn of {name or 'a tensor'}"
            if e.node is not None
            else "op without grad_fn (no gradient tracked)",
            "op": f"{e.op}  {opdef.symbol if opdef else ''}".strip(),
            "shape": str(list(out.shape)),
            "dtype": f"torch.{out.dtype}",
        }
        if opdef is not None and opdef.formulas:
            detail["local rule"] = "\n".join(f for f in opdef.formulas if f)
        if e.saved:
            detail["saved tensors"] = "\n".join(self.saved_text(e, opdef, name))
        if e.node is not None:
            detail["next_functions"] = "\n".join(
                f"({x.name or 'None'}, {x.input_nr})" for x in e.next_functions
            )
        if line:
            detail["source"] = f"line {line}: {self.code(line)}"
        g.node(
            _NodeDraft(
                nid, role, e.grad_fn or e.op, subtitle, line, out.shape, out.dtype, detail, appears
            )
        )
        for slot, inp in enumerate(e.inputs):
            if e.node is None and isinstance(inp, ev.ScalarInfo):
                continue  # outside autograd's graph a number is just part of the formula
            src, kind = self.input_source(g, e, slot, inp, appears)
            names = opdef.input_names if opdef else ()
            label = "✂ no_grad" if kind == "cut" else None
            if label is None and len(e.inputs) > 1 and slot < len(names):
                label = names[slot]
            g.edge(StoryEdge(f"e{nid}_{slot}", src, nid, kind, slot, label))
        return nid

    def saved_text(self, e: ev.OpRan, opdef, out_name: str | None) -> list[str]:
        """What the node keeps for backward, with the values it kept."""
        rows = []
        inputs = opdef.input_names if opdef is not None else ()
        for saved in e.saved:
            slot = saved.removeprefix("_saved_")
            if slot == "result":
                rows.append(f"{saved} = {short(e.output.value)}  ({out_name or 'the output'})")
            elif slot in inputs and inputs.index(slot) < len(e.inputs):
                inp = e.inputs[inputs.index(slot)]
                rows.append(f"{saved} = {short(inp.value)}  ({self.label(inp)})")
            else:
                rows.append(saved)
        return rows

    def input_source(self, g: _Graph, e: ev.OpRan, slot: int, inp, appears) -> tuple[str, str]:
        if isinstance(inp, ev.ScalarInfo):
            nid = f"c{e.seq}_{slot}"
            g.node(
                _NodeDraft(
                    nid,
                    "constant",
                    naming.number(inp.value),
                    "constant",
                    None,
                    (),
                    "",
                    {"name": naming.number(inp.value), "kind": "Python number"},
                    appears,
                )
            )
            return nid, "data"
        cut = not e.grad_enabled and inp.requires_grad
        if inp.grad_fn is not None and inp.grad_fn in self.ops:
            return self.ensure_op(g, self.ops[inp.grad_fn], None), "cut" if cut else "data"
        if inp.requires_grad and inp.is_leaf:
            if cut or e.node is None:
                return self.ensure_leaf(g, inp, appears), "cut" if cut else "data"
            return self.ensure_acc(g, inp, appears), "data"
        producer = self.produced.get(inp.uid)
        if producer is not None and inp.uid not in self.detached:
            if self.op_id(producer) in g.nodes or producer.node is None:
                return self.ensure_op(g, producer, None), "data"
        return self.ensure_leaf(g, inp, appears), "data"

    def add_detach_edge(self, g: _Graph, d: ev.Detached, appears) -> None:
        src = self.box_of_tensor(g, d.source, appears)
        if src is not None:
            g.edge(
                StoryEdge(
                    f"cut{d.result.uid}", src, self.leaf_id(d.result.uid), "cut", 0, "✂ detach"
                )
            )

    def box_of_tensor(self, g: _Graph, uid: int, appears) -> str | None:
        producer = self.produced.get(uid)
        if producer is not None:
            return self.ensure_op(g, producer, None)
        info = self.leaf_info.get(uid)
        if info is not None:
            return self.ensure_leaf(g, info, appears)
        return None

    # ----- the whole story ---------------------------------------------------------------
    def build(self, events: list, error: ErrorInfo | None, truncated: bool) -> Story:
        self.names.learn(events, self.filename, self.namespace)
        for index, group in enumerate(split_episodes(events)):
            self.build_episode(index, group)
        if error is not None:
            self.add_error_step(error)
        return Story(
            self.source, self.filename, tuple(self.episodes), tuple(self.steps), error, truncated
        )

    def build_episode(self, index: int, group: list) -> None:
        from .narrator import Narrator

        g = _Graph()
        first = len(self.steps)
        start_values, start_grads = dict(self.leaf_value), dict(self.leaf_grad)
        freed_before = set(self.freed)
        narrator = Narrator(self, g, index)
        for e in group:
            narrator.feed(e)
        steps = narrator.steps
        if not steps:
            return
        initial = self.initial_updates(g, start_values, start_grads, freed_before)
        steps[0] = replace(steps[0], updates=(*initial, *steps[0].updates))
        self.steps.extend(steps)
        backward_step = next((s.index for s in steps if s.phase == "backward"), None)
        title = narrator.title()
        nodes = tuple(
            StoryNode(
                n.id,
                n.role,
                n.title,
                n.subtitle,
                n.line,
                tuple(n.shape),
                n.dtype,
                {**n.detail, **({"appears": n.appears} if n.appears is not None else {})},
            )
            for n in g.nodes.values()
        )
        self.episodes.append(
            Episode(
                len(self.episodes),
                title,
                first,
                len(self.steps) - 1,
                backward_step,
                nodes,
                tuple(g.edges.values()),
            )
        )

    def initial_updates(self, g: _Graph, values: dict, grads: dict, freed: set) -> list:
        """What the episode's nodes show before its first step: values from earlier
        episodes, .grad as it stood, and graphs already freed by an earlier backward."""
        out = []
        for nid, node in g.nodes.items():
            if nid.startswith("t"):
                uid = int(nid[1:])
                if uid in values:
                    out += [
                        (nid, "value", short(values[uid])),
                        (nid, "value_full", full(values[uid], node.dtype)),
                    ]
                if node.role == "leaf" and uid in grads:
                    g_arr = grads[uid]
                    out += [
                        (nid, "grad", short(g_arr) if g_arr is not None else "None"),
                        (
                            nid,
                            "grad_full",
                            full(g_arr, node.dtype) if g_arr is not None else "None",
                        ),
                    ]
            elif nid.startswith("n") or nid.startswith("o"):
                op = self.produced_by_box.get(nid)
                if op is not None:
                    out += [
                        (nid, "value", short(op.output.value)),
                        (nid, "value_full", full(op.output.value, op.output.dtype)),
                    ]
                if nid in freed:
                    out.append((nid, "state", "freed"))
        return out

    def add_error_step(self, error: ErrorInfo) -> None:
        episode = len(self.episodes) - 1
        if episode < 0:  # failed before any tensor work: an episode of its own
            self.episodes.append(Episode(0, "1. error", 0, 0, None, (), ()))
            episode = 0
        text = _first_sentence(error.message)
        if error.line:
            text = f"Line {error.line} raised {text}"
        if error.hint:
            text += f" — {error.hint}"
        self.steps.append(Step(len(self.steps), episode, "error", "error", text, error.line))
        last = self.episodes[episode]
        self.episodes[episode] = Episode(
            last.index,
            last.title,
            last.first_step,
            len(self.steps) - 1,
            last.backward_step,
            last.nodes,
            last.edges,
        )


def _first_sentence(message: str) -> str:
    """The message up to its first full stop; the console shows all of it."""
    cut = message.find(". ")
    return message if cut < 0 else message[: cut + 1]


def build_story(
    events: list,
    source: str,
    filename: str,
    namespace: dict,
    error: ErrorInfo | None,
    truncated: bool = False,
) -> Story:
    return StoryBuilder(source, filename, namespace).build(list(events), error, truncated)
