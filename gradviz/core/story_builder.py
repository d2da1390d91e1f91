"""From a recording (engine events) to a Story: episodes, their graphs, and their steps.

Each backward() or autograd.grad() call closes an episode; updates that follow it
(zero_(), a parameter step under no_grad, a closing print) stay with it until the next
forward work that leads to another backward starts.

The builder owns the world (a pure fold over the events, `world.World`) and the graph of
the episode being told. Events are dispatched through one table; the narrator turns
(world, event) into words and never changes anything.
"""

from __future__ import annotations

import gc
import re
import threading
from dataclasses import dataclass, field, replace

import numpy as np

import engine
from engine.autograd import recording as ev

from . import chain_rule, records, training_series
from . import names as naming
from . import narrator as say_
from .errors import ErrorInfo
from .operands import call_operands, side_inputs
from .story import Episode, Step, Story, StoryEdge, Token
from .values import full, say, shape_text, short
from .world import FOLDS, World

# Taken at import: the learner's script may replace attributes of the gc module.
_gc_disable, _gc_enable, _gc_isenabled = gc.disable, gc.enable, gc.isenabled

# Bounds that keep telling linear and a story quick to open, however long the script runs.
FULL_EPISODES = 60  # more backward passes than this: the middle ones become one summary step
FULL_OPS = 2_000  # more ops than this in one episode: the middle ones become one summary box
EXPRESSION_DEPTH = 3  # unnamed results are named by their expression, this many ops deep
LONG_LABEL = 36  # characters; a longer expression keeps only its outer op
MODULE_CHAIN_SEP = " › "  # between the modules of a box's "modules" detail row


def split_episodes(events: list) -> list[list]:
    """One group per backward()/grad() call. Work after the last backward that never leads
    to another one (a closing print) stays with that backward as its closing steps."""
    groups, current, closed, backward_at = [], [], False, None
    has_backward = False  # whether `current` holds a BackwardStarted
    add = current.append
    started, finished = ev.BackwardStarted, ev.BackwardFinished
    for e in events:  # (a long run's every event: kept to a few checks each)
        if closed and (_starts_forward(e) or _resets_for_next(e, backward_at)):
            groups.append(current)
            current, closed, has_backward = [], False, False
            add = current.append
        add(e)
        cls = type(e)
        if cls is started:
            backward_at = e.location
            has_backward = True
        elif cls is finished:
            closed = True
    if current:
        if groups and not has_backward:
            groups[-1].extend(current)
        else:
            groups.append(current)
    return groups


class FirstEpisodeWatch:
    """split_episodes(events)[0] of a recording that is still growing, reading each event
    once: `feed(events)` returns it once a second episode exists, else None. (Splitting
    the whole recording at every look would cost a long run's watcher quadratic time.)"""

    def __init__(self) -> None:
        self.seen = 0  # events read so far
        self.closed = False  # split_episodes' state, as it stands after `seen` events
        self.backward_at = None
        self.end: int | None = None  # where the second group starts
        self.second = False  # the second group is a group of its own (not merged back)

    def feed(self, events: list) -> list | None:
        """`events`: the recording so far (it only ever grows)."""
        for i in range(self.seen, len(events)):
            e = events[i]
            if self.closed and (_starts_forward(e) or _resets_for_next(e, self.backward_at)):
                if self.end is None:
                    self.end = i
                else:
                    self.second = True  # a third group: the second one stands alone
                self.closed = False
            if isinstance(e, ev.BackwardStarted):
                self.backward_at = e.location
                if self.end is not None:
                    self.second = True  # split_episodes merges only a tail without backward
            if isinstance(e, ev.BackwardFinished):
                self.closed = True
            self.seen = i + 1
            if self.second:
                return events[: self.end]
        return None


def _resets_for_next(e, backward_at) -> bool:
    """optimizer.zero_grad() above the backward line (a loop's first statement) opens the
    next iteration; a reset below it (w.grad.zero_() after the update) ends this one."""
    if not isinstance(e, (ev.GradZeroed, ev.GradSet)) or e.location is None:
        return False
    at = backward_at
    return at is not None and e.location.filename == at.filename and e.location.line < at.line


def _starts_forward(e) -> bool:
    """Work that builds a new graph. An op under no_grad (the update `lr * w.grad`) or on
    tensors that need no grad belongs to the updates after the last backward."""
    if isinstance(e, ev.OpRan):
        return e.node is not None
    return isinstance(e, (ev.TensorCreated, ev.Detached, ev.BackwardStarted))


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
    appears: int | None = None  # step index where it first shows; None: from the start


class _Graph:
    """The nodes and edges of one episode, with an index of edges by target."""

    def __init__(self) -> None:
        self.nodes: dict[str, _NodeDraft] = {}
        self.edges: dict[str, StoryEdge] = {}
        self.into: dict[str, list[str]] = {}  # node id -> ids of edges ending there
        self.order: list[str] = []  # node ids in the order they were added

    def node(self, draft: _NodeDraft) -> str:
        if draft.id not in self.nodes:
            self.nodes[draft.id] = draft
            self.order.append(draft.id)
        return draft.id

    def edge(self, edge: StoryEdge) -> str:
        if edge.id not in self.edges:
            self.edges[edge.id] = edge
            self.into.setdefault(edge.target, []).append(edge.id)
        return edge.id


class StoryBuilder:
    # Episodes told in full (first half, last half); "all"; None: FULL_EPISODES, read at
    # build time (an export sets it, see export_story.py).
    told_in_full: int | str | None = None

    def __init__(self, source: str, filename: str, namespace: dict) -> None:
        self.source = source
        self.filename = filename
        self.lines = source.splitlines()
        self._codes: dict[int | None, str] = {}  # line -> code(line)
        self.names = naming.TensorNames(source)
        self.namespace = namespace
        self.world = World()
        self.freed_boxes: set[str] = set()
        self.episodes: list[Episode] = []
        self.steps: list[Step] = []
        self._labels: dict[int, str] = {}
        self.renamed: dict[int, str] = {}  # uid -> name with a subscript, in this episode
        self.module_paths: dict[int, str] = {}  # id of an nn.Module -> model.fc1
        self.module_classes: dict[str, str] = {}  # model.fc1 -> Linear
        self.param_owners: dict[int, str] = {}  # uid of a parameter -> model.fc1
        self.last_backward: tuple | None = None  # (line, code) of the last episode's backward
        self.iteration = 0  # how many episodes in a row ran that same backward line
        self.current_code = ""  # the source line of the event being told
        # Per call site, what the registry says about its op (see rule_texts, send_plan).
        self.rule_plans: dict[tuple, list] = {}
        self.send_plans: dict[tuple, tuple] = {}

    # ----- the Telling view the narrator reads ----------------------------------------
    def line_of(self, loc) -> int | None:
        if loc is None or loc.filename != self.filename:
            return None
        return loc.line

    def code(self, line: int | None) -> str:
        """The statement on a line, without its trailing comment."""
        text = self._codes.get(line)  # (a loop's lines are asked for at every run)
        if text is None:
            text = self._codes[line] = self._code(line)
        return text

    def _code(self, line: int | None) -> str:
        if line is None or not 0 < line <= len(self.lines):
            return ""
        text = self.lines[line - 1].strip()
        cut = text.find("  #")
        if cut > 0 and text[:cut].count('"') % 2 == 0 and text[:cut].count("'") % 2 == 0:
            text = text[:cut].rstrip()
        return text

    def name(self, uid: int, fallback: str = "the tensor") -> str:
        aliases = self.names.aliases
        if aliases and uid in aliases and self.current_code:
            alias = self.names.alias_in(uid, self.current_code)
            if alias:
                return alias
        return self.renamed.get(uid) or self.names.of(uid) or fallback

    def number_rebindings(self, group: list) -> None:
        """Within one episode, a name bound to several tensors (b = b * 2 in a loop) gets
        a subscript per tensor, b₁, b₂, …, so ∂d/∂b₃ = ∂d/∂b₄ · 2 says which b."""
        seen: dict[str, dict[int, None]] = {}  # name -> its tensors, in order (a set)
        names, made = self.names.names, naming.MADE
        for e in group:
            field = made.get(type(e))
            if field is None:
                continue
            out = e[field].uid
            name = names.get(out)
            if name:
                uids = seen.get(name)
                if uids is None:
                    seen[name] = {out: None}
                else:
                    uids[out] = None
        self.renamed = {
            uid: name + _subscript(i + 1)
            for name, uids in seen.items()
            if len(uids) > 1
            for i, uid in enumerate(uids)
        }

    def label(self, info, depth: int = 0) -> str:
        """How the story refers to an operand: the learner's name, else the expression that
        made it (a − 1.05), else its value."""
        if isinstance(info, _ScalarInfo):
            return naming.number(info.value)
        if info is None:
            return "…"
        names = self.names
        if names.aliases and info.uid in names.aliases and self.current_code:
            name = self.name(info.uid, "")
        else:  # name(), inlined: a long script asks for a dozen labels per op
            name = self.renamed.get(info.uid) or names.names.get(info.uid)
        if name:
            return name
        source = self.world.data_of.get(info.uid)
        if source is not None:  # w.data, w.grad.data
            tensors, leaf = self.world.tensors, self.world.grad_owner.get(source)
            if leaf is not None and leaf in tensors:
                return f"{self.label(tensors[leaf], depth)}.grad.data"
            if source in tensors:
                return f"{self.label(tensors[source], depth)}.data"
        op = self.world.produced.get(info.uid)
        if op is None:
            return short(info.value)
        opdef = engine.REGISTRY.get(op.op)
        if op.modules and op.modules[-1][0] in self.module_paths:
            # Inside an nn.Module the module says more than the expression: model.2.addmm
            return f"{self.module_paths[op.modules[-1][0]]}.{naming.call_name(opdef, op.op)}"
        if depth >= EXPRESSION_DEPTH:
            return "…"
        # Remembered per episode: what an expression reads (the producing ops, the names
        # in this episode) only changes when a gradient gets a name (on_accumulated).
        cached = self._labels.get(info.uid) if depth == 0 else None
        if cached is not None:
            return cached
        operands = call_operands(op)
        parts = [self.label(i, depth + 1) for i in operands]
        text = naming.expression(opdef, parts, op.params, op.op)
        if len(text) > LONG_LABEL and depth < EXPRESSION_DEPTH - 1:
            parts = [self.label(i, EXPRESSION_DEPTH - 1) for i in operands]
            text = naming.expression(opdef, parts, op.params, op.op)  # inner terms become "…"
        if depth == 0:
            self._labels[info.uid] = text
        return text

    def root_label(self) -> str:
        return self._root

    def module_chain(self, path: str | None) -> str:
        """Machine-readable nesting of a module path, outermost first, for the "modules"
        detail row: "model (Net) › model.encoder (Sequential) › model.encoder.0 (Linear)"."""
        if not path:
            return ""
        parts = path.split(".")
        prefixes = (".".join(parts[: i + 1]) for i in range(len(parts)))
        return MODULE_CHAIN_SEP.join(
            f"{p} ({self.module_classes[p]})" for p in prefixes if p in self.module_classes
        )

    # ----- the whole story ---------------------------------------------------------------
    def build(self, events: list, error: ErrorInfo | None, truncated: bool) -> Story:
        # A recording holds a run's every event (tuples the collector tracks): a full
        # collection mid-build walks them all, and telling makes no garbage cycles worth
        # collecting, so the collector waits (as trace_source has it wait). Only on the
        # main thread: a preview thread's build must not switch it under the running script.
        collecting = _gc_isenabled() and threading.current_thread() is threading.main_thread()
        if collecting:
            _gc_disable()
        try:
            return self._build(events, error, truncated)
        finally:
            if collecting:
                _gc_enable()

    def _build(self, events: list, error: ErrorInfo | None, truncated: bool) -> Story:
        self.names.learn(events, self.filename, self.namespace)
        self.module_paths = _module_paths(self.namespace)
        self.module_classes, self.param_owners = _module_facts(self.namespace, self.module_paths)
        self.names.learn_parameters(self.module_paths, self.namespace)
        groups = all_groups = split_episodes(events)
        full = FULL_EPISODES if self.told_in_full is None else self.told_in_full
        if isinstance(full, int) and len(groups) > full:  # a long loop: tell start and end
            first, end = (full + 1) // 2, len(groups) - full // 2
            for group in groups[:first]:
                _Episode(self, len(self.episodes)).tell(group)
            self.summarise(groups[first:end])
            groups = groups[end:]
        for group in groups:
            _Episode(self, len(self.episodes)).tell(group)
        self.number_first_iterations()
        if error is not None:
            self.add_error_step(error)
        return Story(
            self.source,
            self.filename,
            tuple(self.episodes),
            tuple(self.steps),
            error,
            truncated,
            self.default_step(),
            training_series.compute(events, self.steps, self.names.of, all_groups),
        )

    def number_first_iterations(self) -> None:
        """A loop's first episode is only known as such once its second one is told."""
        for i in range(1, len(self.episodes)):
            if self.episodes[i].title.endswith(" · iteration 2"):
                first = self.episodes[i - 1]
                self.episodes[i - 1] = replace(first, title=first.title + " · iteration 1")

    def summarise(self, groups: list[list]) -> None:
        """One step for many episodes: the world still folds every event, so the episodes
        told after it show the right values, but no graph or step is built for them."""
        losses, line = [], None  # line: the summarised loop's backward call
        for group in groups:
            self.world.apply_all(group)  # (what follows reads no world state)
            for e in group:
                if type(e) is not ev.BackwardStarted:
                    continue
                line = self.line_of(e.location)
                if self.last_backward == (line, self.code(line)):
                    self.iteration += 1  # the loop's count goes on through the summary
                if e.roots and e.roots[0].value is not None:
                    losses.append((self.name(e.roots[0].uid, "the output"), e.roots[0].value))
        text = (
            f"{len(groups):,} more episodes are summarised here, so the story stays quick to "
            f"open: the first {FULL_EPISODES // 2} and the last {FULL_EPISODES // 2} are told "
            "step by step."
        )
        if len(losses) >= 2 and np.size(losses[0][1]) == 1:
            name = losses[0][0]
            text += f" Over them, {name} went from {say(losses[0][1])} to {say(losses[-1][1])}."
        index = len(self.episodes)
        step = Step(len(self.steps), index, "update", "summary", text, line)
        self.steps.append(step)
        title = f"{index + 1}. … {len(groups):,} episodes summarised"
        self.episodes.append(Episode(index, title, step.index, step.index, None, (), ()))

    def default_step(self) -> int:
        """The end of the last episode that ran a backward, before any closing forward work
        such as a print (else the last step)."""
        if not self.steps:
            return 0
        if self.steps[-1].phase == "error":
            return len(self.steps) - 1
        for ep in reversed(self.episodes):
            if ep.backward_step is not None:
                # Not on a closing print's comparison: on the gradients (or the update).
                for k in range(ep.last_step, ep.backward_step - 1, -1):
                    if self.steps[k].phase != "forward":
                        return k
        return len(self.steps) - 1

    def add_error_step(self, error: ErrorInfo) -> None:
        episode = len(self.episodes) - 1
        if episode < 0:  # failed before any tensor work: an episode of its own
            self.episodes.append(Episode(0, "1. error", 0, 0, None, (), ()))
            episode = 0
        words = say_.error(error.message, error.line, error.hint)
        self.steps.append(Step(len(self.steps), episode, "error", "error", words.text, error.line))
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


class _Episode:
    """Tells one episode: dispatches each event, keeps the graph, writes the steps."""

    def __init__(self, b: StoryBuilder, index: int) -> None:
        self.b = b
        self.w = b.world
        self.index = index
        self.g = _Graph()
        self.steps: list[Step] = []
        self.initial: list = []  # updates shown from the episode's first step
        self.shows: dict[int, set[str]] = {}  # tensor uid -> boxes that show its value
        self.backward_code = ""
        self.backward_line: int | None = None
        self.backward_call = ""
        self.retain = False
        self.freed_now: list[str] = []
        # A tensor hook on a non-leaf fires before its node starts, on the gradient the
        # node then receives: it is told after that gradient's sum (node -> its events).
        self.hooks_before: dict[int, list] = {}
        self.roots: list[str] = []  # boxes of the roots of this episode's backward calls
        self.first_line: int | None = None
        self._last_full: tuple | None = None  # (array, dtype, its full()) of the latest
        b._root = "out"
        self.dispatch = {
            ev.TensorCreated: self.on_created,
            ev.RequiresGradSet: self.on_requires_grad,
            ev.OpRan: self.on_op,
            ev.Detached: self.on_detached,
            ev.DataTaken: self.on_data_taken,
            ev.InplaceModified: self.on_inplace,
            ev.ParamUpdated: self.on_param_updated,
            ev.GradZeroed: self.on_grad_zeroed,
            ev.GradSet: self.on_grad_set,
            ev.BackwardStarted: self.on_backward_started,
            ev.NodeStarted: self.on_node_started,
            ev.GradientSent: self.on_gradient_sent,
            ev.GradAccumulated: self.on_accumulated,
            ev.GradRetained: self.on_retained,
            ev.HookFired: self.on_hook,
            ev.BuffersFreed: self.on_freed,
            ev.GradsReturned: self.on_returned,
            ev.BackwardFinished: self.on_backward_finished,
        }

    # ----- steps and updates -------------------------------------------------------------
    @property
    def next_index(self) -> int:
        return len(self.b.steps) + len(self.steps)

    def add(
        self, e, phase, kind, words, line, focus=(), edges=(), token=None, updates=(), seq=None
    ):
        if self.first_line is None and line:
            self.first_line = line
        nodes = self.g.nodes
        self.steps.append(
            records.step(
                len(self.b.steps) + len(self.steps),
                self.index,
                phase,
                kind,
                words.text,
                line,
                _in_graph(focus, nodes),
                tuple(edges),
                token,
                tuple(updates),
                words.math,
                seq if seq is not None else getattr(e, "seq", None),
            )
        )

    def value_updates(self, nid: str, value, dtype: str) -> list:
        return [(nid, "value", short(value)), (nid, "value_full", self.full(value, dtype))]

    def grad_updates(self, nid: str, grad, dtype: str) -> list:
        if grad is None:
            return [(nid, "grad", "None"), (nid, "grad_full", "None")]
        return [(nid, "grad", short(grad)), (nid, "grad_full", self.full(grad, dtype))]

    def full(self, arr, dtype: str) -> dict | None:
        """values.full(), once for a value shown again straight away (a box appears, then
        its op's step refreshes it): recorded snapshots never change. Each update still
        gets a dict of its own."""
        last = self._last_full
        if arr is None or last is None or last[0] is not arr or last[1] != dtype:
            raw = full(arr, dtype)
            self._last_full = (arr, dtype, raw)
            return raw
        raw = last[2]
        return {"dtype": raw["dtype"], "shape": list(raw["shape"]), "b64": raw["b64"]}

    def refresh(self, uids=(), grads_of=()) -> list:
        """Updates for every box showing these tensors' values or these leaves' .grad,
        read from the world as it is now."""
        out = []
        for uid in uids:
            info = self.w.tensors.get(uid)
            if info is None:
                continue
            for nid in sorted(self.shows.get(uid, ())):
                out += self.value_updates(nid, info.value, info.dtype)
        for uid in grads_of:
            nid = f"t{uid}"
            node = self.g.nodes.get(nid)
            if node is not None and node.role == "leaf":
                info = self.w.tensors.get(uid)
                out += self.grad_updates(nid, self.w.grads.get(uid), info.dtype if info else "")
        return out

    def show(self, nid: str, uid: int, appears: int | None) -> None:
        """Box `nid` shows tensor `uid`; give it the tensor's present state."""
        self.shows.setdefault(uid, set()).add(nid)
        info = self.w.tensors.get(uid)
        node = self.g.nodes[nid]
        updates = []
        if info is not None:
            updates += self.value_updates(nid, info.value, info.dtype)
            if node.role == "leaf":
                updates += self.grad_updates(nid, self.w.grads.get(uid), info.dtype)
        if appears is None:
            self.initial += updates
        else:
            self.pending += updates

    # ----- boxes -------------------------------------------------------------------------
    def ensure_leaf(self, info: ev.TensorInfo, appears: int | None) -> str:
        nid = f"t{info.uid}"
        if nid in self.g.nodes:
            return nid
        w, b = self.w, self.b
        info = w.tensors.get(info.uid, info)
        name = b.name(info.uid, "")
        if not name and info.uid in w.data_of:
            name = b.label(info)  # w.grad.data
        name = name or ("tensor" if info.requires_grad else short(info.value))
        created = w.created.get(info.uid)
        line = b.line_of(created.location) if created else None
        detached = info.uid in w.detached
        role = "leaf" if info.requires_grad and not detached else "tensor"
        subtitle = shape_text(info.shape, info.dtype)
        if detached:
            subtitle = "detached · " + subtitle
        elif info.requires_grad:
            subtitle = "leaf · " + subtitle
        kind = (
            "leaf tensor (requires_grad=True)"
            if role == "leaf"
            else "detached tensor"
            if detached
            else "tensor (no grad)"
        )
        detail = {
            "name": name,
            "kind": kind,
            "shape": str(list(info.shape)),
            "dtype": f"torch.{info.dtype}",
        }
        if created is not None:
            detail["created by"] = b.code(line) or created.how
        if info.uid in b.param_owners:  # a parameter: part of its module's box
            detail["modules"] = b.module_chain(b.param_owners[info.uid])
        self.g.node(
            _NodeDraft(nid, role, name, subtitle, line, info.shape, info.dtype, detail, appears)
        )
        self.show(nid, info.uid, appears)
        if detached:
            self.add_detach_edge(w.detached[info.uid], appears)
        return nid

    def ensure_acc(self, info: ev.TensorInfo, appears: int | None) -> str:
        leaf = self.ensure_leaf(info, appears)
        nid = f"a{info.uid}"
        if nid not in self.g.nodes:
            name = self.b.name(info.uid, "") or "leaf"
            detail = {
                "name": "AccumulateGrad",
                "kind": "AccumulateGrad",
                "local rule": f"{name}.grad = {name}.grad + incoming (or incoming if None)",
                "variable": name,
            }
            if "modules" in self.g.nodes[leaf].detail:
                detail["modules"] = self.g.nodes[leaf].detail["modules"]
            self.g.node(
                _NodeDraft(
                    nid, "accumulate", "AccumulateGrad", f"→ {name}.grad",
                    self.g.nodes[leaf].line, (), "", detail, appears,
                )
            )  # fmt: skip
            self.g.edge(StoryEdge(f"acc{info.uid}", leaf, nid, "data", 0, None))
        return nid

    def ensure_op(self, e: ev.OpRan, appears: int | None) -> str:
        nid = f"n{e.node}" if e.node is not None else f"o{e.output.uid}"
        if nid in self.g.nodes:
            return nid
        b, out = self.b, e.output
        name = b.name(out.uid, "") or None
        opdef = engine.REGISTRY.get(e.op)
        # expression() brackets an operand where the formula needs it (a call's arguments
        # need none: sum((y − t) ** 2), not sum(((y − t) ** 2))).
        expr = naming.expression(opdef, [b.label(i, 1) for i in call_operands(e)], e.params, e.op)
        subtitle = f"{name} = {expr}" if name else expr
        line = b.line_of(e.location)
        detail = {
            "name": e.grad_fn or e.op,
            "kind": f"grad_fn of {name or 'a tensor'}"
            if e.node is not None
            else "op without grad_fn (no gradient tracked)",
            "op": f"{e.op}  {opdef.symbol if opdef else ''}".strip(),
            "shape": str(list(out.shape)),
            "dtype": f"torch.{out.dtype}",
        }
        if e.modules:  # the innermost nn.Module that ran it: model.0 (Linear)
            mid, cls = e.modules[-1]
            path = b.module_paths.get(mid)
            detail["module"] = f"{path} ({cls})" if path else cls
            if path:
                detail["modules"] = b.module_chain(path)
        rules = self.rule_texts(e, opdef)
        if rules:
            detail["local rule"] = rules
        if e.saved:
            detail["saved tensors"] = "\n".join(self.saved_text(e, opdef, name))
        if e.node is not None:
            detail["next_functions"] = "\n".join(
                [f"({x.name or 'None'}, {x.input_nr})" for x in e.next_functions]
            )
        if line:
            detail["source"] = f"line {line}: {b.code(line)}"
        role = "grad_fn" if e.node is not None else "op"
        self.g.node(
            _NodeDraft(
                nid, role, e.grad_fn or e.op, subtitle, line, out.shape, out.dtype, detail, appears
            )
        )
        self.show(nid, out.uid, appears)
        names = opdef.input_names if opdef else ()
        for slot, inp in enumerate(e.inputs):
            if e.node is None and isinstance(inp, ev.ScalarInfo):
                continue  # outside autograd's graph a number is just part of the formula
            src, kind = self.input_source(e, slot, inp, appears)
            label = "no_grad" if kind == "cut" else None  # the renderers add "✂ "
            if label is None and len(e.inputs) > 1 and slot < len(names):
                label = names[slot]
            self.g.edge(records.edge(f"e{nid}_{slot}", src, nid, kind, slot, label))
        for slot, (param, inp) in enumerate(side_inputs(e), len(e.inputs)):
            src, _ = self.input_source(e, slot, inp, appears)  # its box, or the op that made it
            self.g.edge(records.edge(f"e{nid}_{slot}", src, nid, "data", slot, param))
        return nid

    def rule_texts(self, e: ev.OpRan, opdef) -> str:
        """The op's local rules in the learner's names, one line per input."""
        if opdef is None or e.grad_fn is None:
            return ""
        # Which inputs have a rule, and which: the same for every run of a call site.
        key = (e.grad_fn, e.op, tuple([i.__class__ for i in e.inputs]))
        plan = self.b.rule_plans.get(key)
        if plan is None:
            plan = self.b.rule_plans[key] = self.rule_plan(e, opdef)
        ruled, slots = plan
        if not ruled:
            return ""
        lines = []
        out = chain_rule.wrap(self.b.label(e.output))
        labels: dict[str, str] = {}  # shared by the op's rules; only the names they use
        for slot, rule in ruled:
            for name in chain_rule.names_in(rule.text):
                if name not in labels:
                    labels[name] = self.placeholder(e, name, slots, out)
            local = chain_rule.fill_local(rule.text, labels)
            lines.append(f"∂{out}/∂{chain_rule.wrap(self.b.label(e.inputs[slot]))} = {local}")
        return "; ".join(lines)

    def rule_plan(self, e: ev.OpRan, opdef) -> tuple[list[tuple], dict[str, int]]:
        """(slot, rule) for each input of the op that is a tensor and has a rule; and the
        slot each input name is read from (the first input of that name)."""
        ruled, slots = [], {}
        for slot, inp in enumerate(e.inputs):
            slots.setdefault(self.input_name(opdef, slot), slot)
            if isinstance(inp, ev.ScalarInfo):
                continue
            rule = chain_rule.rule_for(e.grad_fn, self.input_name(opdef, slot), slot, e.op)
            if rule is not None:
                ruled.append((slot, rule))
        return ruled, slots

    @staticmethod
    def input_name(opdef, slot: int) -> str:
        names = opdef.input_names if opdef is not None else ()
        if not names:
            return "self"
        return names[min(slot, len(names) - 1)]

    def placeholder(self, e: ev.OpRan, name: str, slots: dict[str, int], out: str) -> str:
        """What placeholder `name` of a local rule reads in a box: the first source that
        has it wins (the output's gradient, the result, an input, a parameter); else the
        name itself. `out`: the result's label, as one term."""
        if name == "grad":
            return f"∂·/∂{out}"
        if name == "result":
            return out
        if name in slots:
            return chain_rule.wrap(self.b.label(e.inputs[slots[name]]))
        if name in e.params:
            v = e.params[name]
            return naming.number(v) if say_.is_number(v) else str(v)
        return name

    def saved_text(self, e: ev.OpRan, opdef, out_name: str | None) -> list[str]:
        rows = []
        inputs = opdef.input_names if opdef is not None else ()
        for saved in e.saved:
            slot = saved.removeprefix("_saved_")
            if slot == "result":
                rows.append(f"{saved} = {short(e.output.value)}  ({out_name or 'the output'})")
            elif slot in inputs and inputs.index(slot) < len(e.inputs):
                inp = e.inputs[inputs.index(slot)]
                rows.append(f"{saved} = {short(inp.value)}  ({self.b.label(inp)})")
            else:
                rows.append(saved)
        return rows

    def input_source(self, e: ev.OpRan, slot: int, inp, appears) -> tuple[str, str]:
        if isinstance(inp, ev.ScalarInfo):
            nid = f"c{e.seq}_{slot}"
            text = naming.number(inp.value)
            self.g.node(
                _NodeDraft(
                    nid, "constant", text, "constant", None, (), "",
                    {"name": text, "kind": "Python number"}, appears,
                )
            )  # fmt: skip
            return nid, "data"
        w = self.w
        if inp.uid in self.elided_outputs:
            return self.elided_box(), "data"
        cut = not e.grad_enabled and inp.requires_grad
        if inp.grad_fn is not None and inp.grad_fn in self.elided_nodes:
            return self.elided_box(), "data"
        if inp.grad_fn is not None and inp.grad_fn in w.ops:
            return self.ensure_op(w.ops[inp.grad_fn], None), "cut" if cut else "data"
        if inp.requires_grad and inp.is_leaf:
            if cut or e.node is None:
                return self.ensure_leaf(inp, appears), "cut" if cut else "data"
            return self.ensure_acc(inp, appears), "data"
        producer = w.produced.get(inp.uid)
        if producer is not None and inp.uid not in w.detached:
            pid = f"n{producer.node}" if producer.node is not None else f"o{producer.output.uid}"
            if pid in self.g.nodes or producer.node is None:
                return self.ensure_op(producer, None), "data"
        return self.ensure_leaf(inp, appears), "data"

    def add_detach_edge(self, d: ev.Detached, appears) -> None:
        producer = self.w.produced.get(d.source)
        src = None
        if producer is not None:
            src = self.ensure_op(producer, None)
        elif d.source in self.w.tensors:
            src = self.ensure_leaf(self.w.tensors[d.source], appears)
        if src is not None:
            self.g.edge(
                StoryEdge(f"cut{d.result.uid}", src, f"t{d.result.uid}", "cut", 0, "detach")
            )

    def node_box(self, node_uid: int) -> str:
        leaf = self.w.acc_leaf.get(node_uid)
        return f"a{leaf}" if leaf is not None else f"n{node_uid}"

    # ----- telling -----------------------------------------------------------------------
    def tell(self, group: list) -> None:
        b, w = self.b, self.w
        b.number_rebindings(group)
        self.elide(group)
        # Per event, only what it needs: a call site's code is read once (Location objects
        # are shared by every event of that site), the world's fold is looked up inline.
        codes: dict = {}
        folds, dispatch = FOLDS, self.dispatch
        # An expression label (a − 1.05) stays the same for the episode (see label), unless
        # a name in it is an alias, which depends on the line being told.
        b._labels = {}
        per_line = bool(b.names.aliases)
        for e in group:
            self.pending: list = []
            loc = getattr(e, "location", None)
            if loc:
                code = codes.get(loc)
                if code is None:
                    code = codes[loc] = b.code(b.line_of(loc))
            else:
                code = ""
            b.current_code = code
            if per_line:
                b._labels = {}
            cls = type(e)
            fold = folds.get(cls)
            if fold is not None:
                fold(w, e)
            if self.elided_outputs and self.skipped(e):
                continue
            handler = dispatch.get(cls)
            if handler is not None:
                handler(e)
        if not self.steps:
            return
        self.finish()

    def elide(self, group: list) -> None:
        """Past FULL_OPS ops, keep the first and last FULL_OPS / 2 and summarise the rest."""
        ops = [e for e in group if isinstance(e, ev.OpRan)]
        self.elided_outputs: set[int] = set()
        self.elided_nodes: set[int] = set()
        self.first_elided: int | None = None
        if len(ops) <= FULL_OPS:
            return
        keep = FULL_OPS // 2
        middle = ops[keep:-keep]
        self.first_elided = middle[0].seq
        self.elided_outputs = {e.output.uid for e in middle}
        self.elided_nodes = {e.node for e in middle if e.node is not None}

    def skipped(self, e) -> bool:
        """Events about summarised ops tell nothing of their own (the world still folds them)."""
        if not self.elided_outputs:
            return False
        cls = type(e)
        if cls is ev.OpRan:
            if e.output.uid not in self.elided_outputs:
                return False
            if e.seq == self.first_elided:
                self.add_elision_step(e)
            self.feed_elided(e)
            return True
        if cls in _NODE_EVENTS:
            return e.node in self.elided_nodes
        return False

    def feed_elided(self, e: ev.OpRan) -> None:
        """Tensors from outside the summarised ops that flow into them: edges into its box."""
        outputs, nodes = self.elided_outputs, self.elided_nodes
        for slot, inp in enumerate(e.inputs):
            if isinstance(inp, ev.ScalarInfo) or inp.uid in outputs:
                continue
            if inp.grad_fn is not None and inp.grad_fn in nodes:
                continue
            src, kind = self.input_source(e, slot, inp, self.next_index)
            self.g.edge(StoryEdge(f"into_elided_{src}", src, self.elided_box(), kind, 0, None))

    def add_elision_step(self, e: ev.OpRan) -> None:
        count = len(self.elided_outputs)
        nid = self.elided_box()
        text = (
            f"{count:,} more ops are summarised in one box, so the story stays quick to open: "
            f"the first {FULL_OPS // 2:,} and the last {FULL_OPS // 2:,} ops are told step by step."
        )
        line = self.b.line_of(e.location)
        self.add(e, "forward", "summary", say_.Words(text), line, [nid], updates=self.pending)

    def elided_box(self) -> str:
        nid = "elided"
        if nid not in self.g.nodes:
            count = len(self.elided_outputs)
            detail = {"name": "summarised ops", "kind": f"{count:,} ops told as one box"}
            self.g.node(
                _NodeDraft(
                    nid,
                    "op",
                    f"… {count:,} ops",
                    "summarised",
                    None,
                    (),
                    "",
                    detail,
                    self.next_index,
                )
            )
        return nid

    def finish(self) -> None:
        b = self.b
        steps = self.steps
        first = steps[0]
        freed = [(nid, "freed", "1") for nid in self.g.nodes if nid in b.freed_boxes]
        steps[0] = Step(
            first.index, first.episode, first.phase, first.kind, first.narration, first.line,
            first.focus, first.edges, first.token, (*self.initial, *freed, *first.updates),
            first.math, first.seq,
        )  # fmt: skip
        b.freed_boxes.update(self.freed_now)
        b.steps.extend(steps)
        backward_step = next((s.index for s in steps if s.phase == "backward"), None)
        muted = self.muted(backward_step is not None)
        nodes = tuple(
            records.node(
                n.id, n.role, n.title, n.subtitle, n.line, tuple(n.shape), n.dtype,
                {**n.detail, **({"appears": n.appears} if n.appears is not None else {})},
                n.id in muted,
            )
            for n in self.g.nodes.values()
        )  # fmt: skip
        b.episodes.append(
            Episode(
                self.index, self.title(), steps[0].index, steps[-1].index, backward_step,
                nodes, tuple(self.g.edges.values()),
            )
        )  # fmt: skip

    def muted(self, ran_backward: bool) -> set[str]:
        """Boxes from which no gradient can reach a backward root: comparisons, a norm used
        only in a loop test, values computed just to be printed."""
        if not ran_backward:
            return {nid for nid, n in self.g.nodes.items() if n.role == "op" and n.dtype == "bool"}
        live: set[str] = set()
        stack = [r for r in self.roots if r in self.g.nodes]
        stack += [nid for nid, n in self.g.nodes.items() if n.role == "seed"]
        while stack:
            nid = stack.pop()
            if nid in live:
                continue
            live.add(nid)
            for eid in self.g.into.get(nid, ()):
                edge = self.g.edges[eid]
                if edge.kind != "cut":
                    stack.append(edge.source)
        # Leaves stay live through their AccumulateGrad, and the ops a create_graph
        # backward built hang below the gradients they produced.
        for nid, n in self.g.nodes.items():
            if n.role == "accumulate" and nid in live:
                live.add("t" + nid[1:])
        return {nid for nid, n in self.g.nodes.items() if nid not in live and n.role != "seed"}

    def title(self) -> str:
        n = self.index + 1
        if self.backward_code:
            # The same backward line again: an iteration of a loop, numbered as such.
            b = self.b
            same = b.last_backward == (self.backward_line, self.backward_code)
            b.iteration = b.iteration + 1 if same else 1
            b.last_backward = (self.backward_line, self.backward_code)
            if same or b.iteration > 1:
                return f"{n}. {self.backward_code} · iteration {b.iteration}"
            return f"{n}. {self.backward_code}"
        code = self.b.code(self.first_line)
        return f"{n}. {code} (forward only)" if code else f"{n}. forward only"

    # ----- forward events ----------------------------------------------------------------
    def on_created(self, e: ev.TensorCreated) -> None:
        t = e.tensor
        # An unnamed tensor gets a box only once an op uses it (a gradient= argument never
        # does: it becomes the seed).
        named = self.b.names.of(t.uid) is not None
        nid = self.ensure_leaf(t, self.next_index) if named else None
        self.add(
            e, "forward", "create", say_.created(self.b, e), self.b.line_of(e.location),
            [nid] if nid else [], updates=self.pending,
        )  # fmt: skip

    def on_requires_grad(self, e: ev.RequiresGradSet) -> None:
        t = e.tensor
        nid = f"t{t.uid}"
        if nid not in self.g.nodes:
            self.ensure_leaf(t, self.next_index)
        node = self.g.nodes[nid]
        if t.requires_grad and node.role != "leaf":
            node.role = "leaf"
            node.subtitle = "leaf · " + node.subtitle
            node.detail["kind"] = "leaf tensor (requires_grad=True)"
        updates = self.pending + self.refresh((t.uid,), (t.uid,))
        self.add(
            e, "forward", "create", say_.requires_grad_set(self.b, e),
            self.b.line_of(e.location), [nid], updates=updates,
        )  # fmt: skip

    def on_op(self, e: ev.OpRan) -> None:
        phase = "backward" if self.w.in_backward is not None else "forward"
        nid = self.ensure_op(e, self.next_index)
        node = self.g.nodes[nid]
        expression = node.subtitle.split(" = ", 1)[-1]
        edges = self.g.into.get(nid, [])
        updates = self.pending + self.refresh((e.output.uid,))
        line = self.b.line_of(e.location)
        self.add(
            e, phase, "op", say_.op_ran(self.b, e, expression), line, [nid], edges, updates=updates
        )

    def on_detached(self, e: ev.Detached) -> None:
        nid = self.ensure_leaf(e.result, self.next_index)
        edges = self.g.into.get(nid, [])
        self.add(
            e, "forward", "detach", say_.detached(self.b, e), self.b.line_of(e.location),
            [nid], edges, updates=self.pending,
        )  # fmt: skip

    def on_data_taken(self, e: ev.DataTaken) -> None:
        """Taking `w.data` changes nothing yet: a change through it is told in on_inplace,
        at w's own box (the world knows they share storage)."""

    def on_inplace(self, e: ev.InplaceModified) -> None:
        w, t = self.w, e.tensor
        owner = w.grad_owner.get(t.uid)
        if owner is not None and e.op == "zero_":
            return  # .grad.zero_() is told by GradZeroed
        line = self.b.line_of(e.location)
        source = w.data_of.get(t.uid)  # `w.data -= …` changes w (or w.grad) itself
        if source is not None:
            owner = w.grad_owner.get(source)
        focus = []
        shown = (source,) if source is not None and source in self.shows else (t.uid,)
        if shown[0] in self.shows:
            focus = sorted(self.shows[shown[0]])
        elif owner is None and (t.is_leaf or t.uid not in w.produced):
            focus = [self.ensure_leaf(t, self.next_index)]
        uids = (t.uid,) if source is None else (t.uid, source)
        updates = self.pending + self.refresh(uids, (owner,) if owner is not None else ())
        if owner is not None:
            focus.append(f"t{owner}")
        statement, receiver, by = self.inplace_statement(line, e.op)
        old, operand = self.inplace_values(e, by)
        words = say_.inplace(self.b, e, by, old, operand, statement, receiver)
        self.add(e, "update", "inplace", words, line, focus, updates=updates)

    def inplace_values(self, e: ev.InplaceModified, by: str | None) -> tuple:
        """The tensor's value before the change, and the operand's: the op just run on
        the same line (lr * w.grad), or a number written there (w -= 0.1)."""
        before = self.w.before_inplace
        old = before.value if before is not None and before.uid == e.tensor.uid else None
        if by is None:
            return old, None
        try:
            return old, float(by)
        except ValueError:
            pass
        op = self.w.last_op
        if op is None or op.output.uid == e.tensor.uid or op.location is None:
            return old, None
        if e.location is None or (op.location.filename, op.location.line) != (
            e.location.filename,
            e.location.line,
        ):
            return old, None
        return old, op.output.value

    def inplace_statement(self, line: int | None, op: str) -> tuple[str, str | None, str | None]:
        """(the statement on this line that ran in-place op `op`, what it changed as
        written there, and its operand): `w -= lr * w.grad` gives (…, "w", "lr * w.grad"),
        `net[0].bias.data.fill_(0)` gives (…, "net[0].bias.data", "0"). A line may hold
        several statements (a; b): the one calling `op` is told."""
        code = self.b.code(line)
        statements = [s.strip() for s in code.split(";") if s.strip()] or [code]
        for statement in statements:
            m = re.match(rf"^([\w.\[\]]+)\.{re.escape(op)}\((.*)\)$", statement)
            if m:
                return statement, m[1], m[2].strip() or None
        for statement in statements:
            m = re.match(r"^([\w.\[\]]+)\s*([-+*/@]|//)=\s*(.+)$", statement)
            if m:
                return statement, m[1], m[3].strip()
        return (statements[0] if len(statements) == 1 else code), None, None

    def on_param_updated(self, e: ev.ParamUpdated) -> None:
        t = e.tensor
        line = self.b.line_of(e.location)
        focus = sorted(self.shows.get(t.uid, ())) or [self.ensure_leaf(t, self.next_index)]
        updates = self.pending + self.refresh((t.uid,))
        words = say_.param_updated(self.b, e, self.b.code(line))
        self.add(e, "update", "optimizer", words, line, focus, updates=updates)

    def on_grad_zeroed(self, e: ev.GradZeroed) -> None:
        info = self.w.tensors.get(e.owner)
        if info is None:
            return
        nid = self.ensure_leaf(info, None)
        updates = self.pending + self.refresh((e.grad.uid,), (e.owner,))
        self.add(
            e, "update", "zero", say_.grad_zeroed(self.b, e), self.b.line_of(e.location),
            [nid], updates=updates,
        )  # fmt: skip

    def on_grad_set(self, e: ev.GradSet) -> None:
        info = self.w.tensors.get(e.owner)
        if info is None:
            return
        nid = self.ensure_leaf(info, None)
        uids = (e.grad.uid,) if e.grad is not None else ()
        updates = self.pending + self.refresh(uids, (e.owner,))
        self.add(
            e, "update", "zero", say_.grad_set(self.b, e), self.b.line_of(e.location),
            [nid], updates=updates,
        )  # fmt: skip

    # ----- backward events ---------------------------------------------------------------
    def on_backward_started(self, e: ev.BackwardStarted) -> None:
        b = self.b
        self.retain, self.freed_now, self.backward_call = e.retain_graph, [], e.call
        line = b.line_of(e.location)
        self.backward_line = line
        code = b.code(line) or ("backward()" if e.call == "backward" else "grad()")
        self.backward_code = self.backward_code or code
        b._root = self.root_name(code, e)
        focus, edges, updates, token = [], [], list(self.pending), None
        seed_uids = e.seed_uids or (None,) * len(e.roots)
        for i, (root, seed, given) in enumerate(zip(e.roots, e.seeds, seed_uids)):
            if root.grad_fn is not None and root.grad_fn in self.w.ops:
                rid = self.ensure_op(self.w.ops[root.grad_fn], None)
            else:
                rid = self.ensure_acc(root, None)
            self.roots.append(rid)
            sid = f"s{e.seq}_{i}"
            self.g.node(
                _NodeDraft(
                    sid, "seed", "seed", f"∂{b._root}/∂{b._root}", line, tuple(root.shape),
                    root.dtype,
                    {"name": "seed gradient", "kind": "the gradient that starts backward"},
                    self.next_index,
                )
            )  # fmt: skip
            eid = self.g.edge(StoryEdge(f"seed{e.seq}_{i}", rid, sid, "data", 0, None))
            if given is not None and f"t{given}" in self.g.nodes:
                self.g.edge(
                    StoryEdge(f"gseed{e.seq}_{i}", f"t{given}", sid, "seed", 0, "gradient=")
                )
                self.g.nodes[sid].subtitle = f"gradient={b.label(self.w.tensors[given])}"
            focus += [sid, rid]
            edges.append(eid)
            updates += self.value_updates(sid, seed, root.dtype)
            token = Token(eid, short(seed))
        words = say_.backward_started(b, e, code)
        self.add(e, "backward", "seed", words, line, focus, edges, token, updates)

    def root_name(self, code: str, e: ev.BackwardStarted) -> str:
        """The seed is named after the tensor whose backward() (or grad()) was called."""
        m = re.search(r"([A-Za-z_][\w.]*(?:\[[^\]]*\])?)\.backward\(", code)
        if m is None:
            m = re.search(r"grad\(\s*[\(\[]?\s*([A-Za-z_][\w.]*)", code)
        if m is not None and m[1] not in ("torch", "autograd", "torch.autograd"):
            return m[1]
        # An expression reads as one term: ∂(a + b)/∂a, not ∂a + b/∂a.
        return chain_rule.wrap(self.b.label(e.roots[0])) if e.roots else "out"

    def on_node_started(self, e: ev.NodeStarted) -> None:
        b, w = self.b, self.w
        if e.node in w.acc_leaf:
            return  # told together with the accumulation
        nid = self.node_box(e.node)
        if nid not in self.g.nodes:
            return
        op = w.ops.get(e.node)
        g = e.grad_outputs[0] if e.grad_outputs else None
        hooks = self.hooks_before.pop(e.node, [])
        received = g
        if hooks and len(e.grad_outputs) == 1:
            g = hooks[0].seen  # what was summed, before the hooks changed it
        incoming = w.sent_to.get(e.node, [])
        out_label = b.label(op.output) if op else "its output"
        dtype = op.output.dtype if op else "float32"
        updates = [
            *self.pending,
            (nid, "grad", short(g)),
            (nid, "grad_full", self.full(g, dtype)),
            (nid, "state", "done"),
        ]
        if len(e.grad_outputs) > 1:  # a Function with several outputs: one sum each
            outputs = self.received_per_output(e)
            grads = ", ".join(short(x) if x is not None else "None" for x in e.grad_outputs)
            updates.append((nid, "grad", f"({grads})"))  # what its backward is given
            updates.append((nid, "note", _per_output_note(outputs)))
            words = say_.node_started_outputs(b, e, outputs)
        else:
            if len(incoming) > 1:
                note = f"{' + '.join(short(x) for x in incoming)} = {short(g)}"
                updates.append((nid, "note", note))
            words = say_.node_started(b, e, incoming, out_label, g)
        line = b.line_of(op.location) if op else None
        self.add(e, "backward", "receive", words, line, [nid], updates=updates)
        if hooks:
            for hook in hooks:
                self.tell_hook(hook)
            if received is not g and len(e.grad_outputs) == 1:
                # The node runs on what the hooks returned: the box shows that.
                self.pending += [
                    (nid, "grad", short(received)),
                    (nid, "grad_full", self.full(received, dtype)),
                ]

    def received_per_output(self, e: ev.NodeStarted) -> list[tuple[str, list, object]]:
        """(the output's label, the gradients sent for it, their sum) per output of a node
        with several (each output is named by the op that used it)."""
        w, b = self.w, self.b
        grads: list[list] = [[] for _ in e.grad_outputs]
        labels = [f"output {k}" for k in range(len(e.grad_outputs))]
        sent = zip(w.sent_to.get(e.node, []), w.sent_from.get(e.node, []))
        for grad, (nr, sender, slot) in sent:
            if not 0 <= nr < len(grads):
                continue
            grads[nr].append(grad)
            user = w.ops.get(sender)
            if user is not None and slot < len(user.inputs):
                labels[nr] = b.label(user.inputs[slot])
        return [(labels[k], grads[k], g) for k, g in enumerate(e.grad_outputs)]

    def on_gradient_sent(self, e: ev.GradientSent) -> None:
        b, w = self.b, self.w
        if e.to_node is None or e.grad is None:
            return
        src_box = self.node_box(e.node)
        eid = f"e{src_box}_{e.slot}"
        if eid not in self.g.edges:
            return
        op = w.ops.get(e.node)
        target = self.node_box(e.to_node)
        leaf = w.acc_leaf.get(e.to_node)
        if leaf is None:
            to_text = f"back to {e.to_name}"
        elif self.backward_call == "grad":
            to_text = (
                f"towards {b.name(leaf)}, where grad() captures it as its result "
                f"({b.name(leaf)}.grad is not touched)"
            )
        else:
            to_text = f"to AccumulateGrad of {b.name(leaf)}, which adds it into {b.name(leaf)}.grad"
        words = say_.gradient_sent(b, e, op, to_text, self.send_math(e, op))
        focus = [src_box, target]
        if e.grad_uid is not None and e.grad_uid in w.produced:
            made = w.produced[e.grad_uid]  # create_graph: the op that computed this gradient
            focus.append(f"n{made.node}" if made.node is not None else f"o{made.output.uid}")
        updates = [*self.pending, (eid, "flow", "grad")]
        line = b.line_of(op.location) if op else None
        self.add(
            e,
            "backward",
            "send",
            words,
            line,
            focus,
            [eid],
            records.token(eid, short(e.grad)),
            updates,
        )

    def send_math(self, e: ev.GradientSent, op: ev.OpRan | None) -> tuple:
        if op is None or e.slot >= len(op.inputs):
            return ()
        b = self.b
        plan = b.send_plans.get((e.name, op.op, e.slot, len(op.inputs)))
        if plan is None:
            plan = b.send_plans[(e.name, op.op, e.slot, len(op.inputs))] = self.send_plan(e, op)
        opdef, picks, rule = plan
        inputs = {}
        target = None
        for slot, key in picks:
            inputs[key] = _operand(b, op.inputs[slot])
            if slot == e.slot:
                target = inputs[key]
        if opdef is None:  # a custom autograd.Function: its backward is the learner's own
            out = _operand(b, op.output).label
            upstreams = self.w.upstreams.get(e.node, ())
            return chain_rule.custom_send_lines(
                op.op, b.root_label(), out, target.label, upstreams, e.grad
            )
        return chain_rule.send_lines(
            rule=rule,
            root=b.root_label(),
            wrt=target.label,
            out=_operand(b, op.output),
            inputs=inputs,
            target=target,
            upstream=self.w.upstream.get(e.node),
            sent=e.grad,
            params=op.params,
        )

    def send_plan(self, e: ev.GradientSent, op: ev.OpRan) -> tuple:
        """What send_math reads from the registry for one edge of one call site: the op,
        its inputs as the rule names them (slot, name; the sent-to slot wins a shared
        name), and the rule for the input the gradient goes to."""
        opdef = engine.REGISTRY.get(op.op)
        picks: dict[str, int] = {}
        for slot in range(len(op.inputs)):
            key = self.input_name(opdef, slot)
            if key in picks and slot != e.slot:
                continue
            picks[key] = slot
        rule = None
        if opdef is not None:
            rule = chain_rule.rule_for(e.name, self.input_name(opdef, e.slot), e.slot, op.op)
        return opdef, [(slot, key) for key, slot in picks.items()], rule

    def on_accumulated(self, e: ev.GradAccumulated) -> None:
        b, w = self.b, self.w
        if e.grad_uid not in b.names.names:
            b.names.names[e.grad_uid] = f"{b.name(e.tensor)}.grad"
            b._labels = {}  # an expression that used this gradient now names it
        info = w.tensors.get(e.tensor)
        acc, leaf = f"a{e.tensor}", f"t{e.tensor}"
        if acc not in self.g.nodes or info is None:
            return
        name = b.name(e.tensor)
        incoming = w.sent_to.get(e.node, [])
        # A module's parameter has no creating line of the learner's: point at backward().
        line = self.g.nodes[leaf].line or self.backward_line
        if len(incoming) > 1:
            # The sum gets a step of its own, so the learner sees it before .grad changes.
            edges = [
                eid
                for eid, edge in self.g.edges.items()
                if edge.source == acc and edge.kind != "cut"
            ]
            note = f"Σ {' + '.join(short(x) for x in incoming)} = {short(e.incoming)}"
            words = say_.fan_in_sum(b, name, incoming, e.incoming)
            # It shows the state just before the accumulation: .grad has not changed yet.
            sum_updates = [(acc, "note", note)]
            self.add(
                e, "backward", "sum", words, line, [acc], edges, updates=sum_updates, seq=e.seq - 1
            )
        if e.old is None:
            note = f"None → {short(e.new)}"
        else:
            note = f"{short(e.old)} + {short(e.incoming)} = {short(e.new)}"
        updates = [*self.pending, (acc, "note", note), (acc, "state", "done")]
        updates += self.refresh((e.grad_uid,), (e.tensor,))
        words = say_.accumulated(b, e, len(incoming) > 1)
        self.add(e, "backward", "accumulate", words, line, [acc, leaf], updates=updates)

    def on_retained(self, e: ev.GradRetained) -> None:
        self.add(e, "backward", "hook", say_.grad_retained(self.b, e), self.backward_line)

    def on_hook(self, e: ev.HookFired) -> None:
        if e.kind == "tensor" and e.node not in self.w.acc_leaf and e.seen is not None:
            self.hooks_before.setdefault(e.node, []).append(e)
            return
        self.tell_hook(e)

    def tell_hook(self, e: ev.HookFired) -> None:
        nid = self.node_box(e.node)
        where = self.g.nodes[nid].title if nid in self.g.nodes else "a node"
        op, leaf = self.w.ops.get(e.node), self.w.acc_leaf.get(e.node)
        of = None
        if e.kind == "tensor" and leaf is not None:
            of = self.b.name(leaf, "") or None  # a leaf's hook: its gradient, on the way in
        elif e.kind == "tensor" and op is not None:
            of = self.b.label(op.output)
        words = say_.hook_fired(self.b, e, where, of)
        self.add(e, "backward", "hook", words, self.backward_line, [nid])

    def on_freed(self, e: ev.BuffersFreed) -> None:
        nid = self.node_box(e.node)
        if nid in self.g.nodes:
            self.freed_now.append(nid)

    def on_returned(self, e: ev.GradsReturned) -> None:
        b, focus, shown = self.b, [], []
        for inp, g in zip(e.inputs, e.grads):
            focus.append(f"t{inp.uid}")
            if g is None:
                shown.append("None")
                continue
            shown.append(b.name(g.uid, "") or "a new tensor")
            made = self.w.produced.get(g.uid)
            if made is not None:
                focus.append(self.ensure_op(made, self.next_index))
        words = say_.grads_returned(b, e, shown)
        self.add(e, "backward", "return", words, self.backward_line, focus, updates=self.pending)

    def on_backward_finished(self, e: ev.BackwardFinished) -> None:
        if e.error is not None:
            return  # the story's error step tells it
        grads = []
        if self.backward_call == "backward":
            grads = [
                (n.title, self.w.grads.get(int(n.id[1:])))
                for n in self.g.nodes.values()
                if n.role == "leaf"
            ]
        freed_titles = list(dict.fromkeys(self.g.nodes[n].title for n in self.freed_now))
        words = say_.backward_finished(self.b, grads, freed_titles, self.retain)
        updates = [*self.pending, *((n, "freed", "1") for n in self.freed_now)]
        self.add(e, "backward", "free", words, self.backward_line, (), updates=updates)


def _module_paths(namespace: dict) -> dict[int, str]:
    """id of every nn.Module reachable from the script's variables -> its dotted path."""
    module_type = getattr(getattr(engine, "nn", None), "Module", None)
    paths: dict[int, str] = {}
    if module_type is None:
        return paths
    for name, value in namespace.items():
        if isinstance(value, module_type) and not name.startswith("_"):
            for sub, module in value.named_modules():
                paths.setdefault(id(module), f"{name}.{sub}" if sub else name)
    return paths


def _module_facts(namespace: dict, paths: dict[int, str]) -> tuple[dict, dict]:
    """({module path: class name}, {parameter uid: path of the module that owns it})."""
    module_type = getattr(getattr(engine, "nn", None), "Module", None)
    classes: dict[str, str] = {}
    owners: dict[int, str] = {}
    if module_type is None:
        return classes, owners
    for value in namespace.values():
        if not isinstance(value, module_type):
            continue
        for _, module in value.named_modules():
            path = paths.get(id(module))
            if path is None:
                continue
            classes.setdefault(path, type(module).__name__)
            for p in module._parameters.values():
                uid = getattr(p, "_uid", None)
                if uid is not None:
                    owners.setdefault(uid, path)
    return classes, owners


_ScalarInfo = ev.ScalarInfo

# Events about one backward node (a summarised op's are skipped with it).
_NODE_EVENTS = frozenset({ev.NodeStarted, ev.GradientSent, ev.BuffersFreed, ev.HookFired})
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _in_graph(focus, nodes: dict) -> tuple:
    """The boxes of `focus` that are in the graph, each once, in order."""
    if len(focus) == 1:  # (most steps)
        return (focus[0],) if focus[0] in nodes else ()
    return tuple(dict.fromkeys([f for f in focus if f in nodes]))


def _subscript(n: int) -> str:
    return str(n).translate(_SUBSCRIPTS)


def _operand(b: StoryBuilder, info) -> chain_rule.Operand:
    if isinstance(info, _ScalarInfo):
        return chain_rule.Operand(naming.number(info.value), np.asarray(info.value), ())
    return chain_rule.Operand(b.label(info), info.value, tuple(info.shape))


def build_story(
    events: list,
    source: str,
    filename: str,
    namespace: dict,
    error: ErrorInfo | None,
    truncated: bool = False,
) -> Story:
    return StoryBuilder(source, filename, namespace).build(list(events), error, truncated)


def _per_output_note(outputs: list[tuple[str, list, object]]) -> str:
    """A multi-output node's received gradients, one output after the other:
    u: [1.]; v: [4.] + [4.] = [8.]"""
    lines = []
    for label, grads, total in outputs:
        if len(grads) > 1:
            lines.append(f"{label}: {' + '.join(short(x) for x in grads)} = {short(total)}")
        else:
            lines.append(f"{label}: {short(total) if total is not None else 'None'}")
    return "; ".join(lines)
