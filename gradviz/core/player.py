"""Seek a story: the scene (what a renderer draws) and the inspector rows at any step.

The state at step k is a pure function of k: it folds the updates of k's episode up to k.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import networkx as nx

from . import scene_types as st
from .gc_pause import gc_paused
from .layout import Layout, layout_graph, zoom_bound
from .module_view import ROLE_MODULE, ModuleView, collapse
from .quick_maker import quick_maker
from .shared_refs import COPY_MARK, original_of, split_shared
from .story import Episode, Story
from .values import full_text

CHAR_W = {"title": 8.2, "body": 7.0, "mono": 7.4}  # average advance at the canvas's sizes
LINE_H = 17.0
PAD_X, PAD_Y = 22.0, 14.0
MIN_W, MAX_W = 96.0, 380.0
PARALLEL_GAP = 16.0
TOKEN_ROOM = 64.0  # extra room between layers, so a gradient token fits on its edge
SCENES_KEPT = 256  # recent scenes a player keeps (stepping back and forth is instant)
# Roles a shared node may have to be drawn once per group of consumers (shared_refs.py).
SHAREABLE = (st.ROLE_LEAF, st.ROLE_TENSOR, st.ROLE_CONSTANT, st.ROLE_ACCUMULATE)


@dataclass(frozen=True)
class EpisodeInfo:
    title: str
    first_step: int
    last_step: int
    backward_step: int | None


def _shared_titles(ep: Episode, shared) -> dict[str, str]:
    """Titles of shared AccumulateGrad nodes, which name their leaf: "AccumulateGrad (W_h)"
    tells a step's reference box from the other parameters' at any zoom."""
    titles = {n.id: n.title for n in ep.nodes}
    roles = {n.id: n.role for n in ep.nodes}
    out = {}
    for e in ep.edges:
        if e.target in shared and roles.get(e.target) == st.ROLE_ACCUMULATE:
            out[e.target] = f"{titles[e.target]} ({titles.get(e.source, e.source)})"
    return out


def _box_size(node, longest: dict, title: str | None = None) -> tuple[float, float]:
    """A box's size from its titles and the longest text each of its rows ever shows
    (``longest``: {field: length}, a field absent when the box never shows it)."""
    return _sized(
        node.role,
        node.title if title is None else title,
        node.subtitle,
        longest.get("value", 0),
        longest.get("grad", -1),
        longest.get("note", 0),
    )


@functools.lru_cache(maxsize=4096)  # a big graph's boxes are much alike
def _sized(role: str, title: str, subtitle: str, value: int, grad: int, note: int):
    widest = max(len(title) * CHAR_W["title"], len(subtitle) * CHAR_W["body"])
    lines = 2
    for chars, label in ((value, 0), (grad, 7), (note, 0)):  # a grad row starts "grad = "
        if chars > 0:
            widest = max(widest, (chars + label) * CHAR_W["mono"])
            lines += 1
    if role == "leaf" and grad < 0:  # a leaf without a grad row says "grad = None"
        lines += 1
    w = min(MAX_W, max(MIN_W, widest + 2 * PAD_X))
    return (round(w), round(lines * LINE_H + 2 * PAD_Y))


_NO_STATE: dict = {}  # the state of a box or edge no step has touched (never written)

# A big graph's first scene makes thousands of boxes and edges (see quick_maker).
_make_box = quick_maker(st.SceneBox)
_make_edge = quick_maker(st.SceneEdge)


class Player:
    def __init__(self, story: Story, direction: str = "LR", collapsed=()) -> None:
        # With collapsed modules (paths such as "model.0") the player plays the derived
        # story of module_view, in which each of them is one box; `source` is the story run.
        self.source = story
        self.view: ModuleView | None = collapse(story, collapsed) if collapsed else None
        self.story = self.view.story if self.view is not None else story
        self.collapsed: frozenset[str] = self.view.collapsed if self.view else frozenset()
        self.direction = direction
        self.step_count = len(self.story.steps)
        self._layouts: dict[int, Layout] = {}
        self._structures: dict[int, tuple] = {}
        self._drawn: dict[int, tuple[dict, dict, dict]] = {}
        # Recent scenes (a plain dict: an lru_cache of a bound method would make the player
        # a reference cycle, freed only by a full pass of the cyclic collector).
        self._scenes: dict[int, st.Scene] = {}
        self._last_state: tuple[int, dict] | None = None  # (step, its state): see state()
        self._made: dict[tuple, st.SceneBox | st.SceneEdge] = {}  # see _build_scene

    # ----- collapsed modules -------------------------------------------------------------
    def with_collapsed(self, paths, step: int | None = None) -> tuple[Player, int | None]:
        """A player of the same story with these modules collapsed, and the step that
        shows what `step` shows here (the collapsed step containing it, or the last step
        an expanded one stood for)."""
        other = Player(self.source, self.direction, paths)
        if step is None or not 0 <= step < self.step_count:
            return other, None
        return other, other.view_step(self.source_step(step))

    def source_step(self, k: int) -> int:
        """The step of the source story whose state step k shows."""
        return self.view.source_step(k) if self.view is not None else k

    def view_step(self, source_k: int) -> int:
        return self.view.view_step(source_k) if self.view is not None else source_k

    def adopt_layouts(self, other: Player, changed: int) -> None:
        """Reuse another player's layouts for a story that differs from its story only in
        episode `changed` (an untold iteration, told): nothing else is laid out again."""
        if other.direction != self.direction or len(other.story.episodes) != len(
            self.story.episodes
        ):
            return
        for cache in ("_layouts", "_structures", "_drawn"):
            mine, theirs = getattr(self, cache, None), getattr(other, cache, None)
            if isinstance(mine, dict) and isinstance(theirs, dict):
                mine.update((k, v) for k, v in theirs.items() if k != changed)

    # ----- navigation --------------------------------------------------------------------
    def episodes(self) -> list[EpisodeInfo]:
        return [
            EpisodeInfo(e.title, e.first_step, e.last_step, e.backward_step)
            for e in self.story.episodes
        ]

    def episode_of(self, k: int) -> Episode:
        return self.story.episodes[self.story.steps[k].episode]

    def step_line(self, k: int) -> int | None:
        if not 0 <= k < self.step_count:
            return None
        return self.story.steps[k].line

    def box_line(self, box_id: str) -> int | None:
        box_id = box_id.rsplit(COPY_MARK, 1)[0]  # a reference box: its node's line
        for ep in self.story.episodes:
            for n in ep.nodes:
                if n.id == box_id:
                    return n.line
        return None

    # ----- state at k --------------------------------------------------------------------
    def state(self, k: int) -> dict:
        """{node or edge id: {field: text}} after step k, within its episode. Read-only:
        callers may keep it, but not change it (it is remembered for the next call)."""
        ep = self.episode_of(k)
        last = self._last_state
        if last is not None and last[0] == k:
            return last[1]
        start, out = ep.first_step, {}
        # Stepping forward replays only the steps since the last state asked for, not
        # the whole episode (thousands of steps in a big graph, on every step). The last
        # state is copied, not changed: a caller may still hold it.
        if last is not None and ep.first_step <= last[0] <= k:
            start, out = last[0] + 1, {t: dict(f) for t, f in last[1].items()}
        for step in self.story.steps[start : k + 1]:
            for target, field, text in step.updates:
                fields = out.get(target)
                if fields is None:
                    fields = out[target] = {}
                fields[field] = text
        self._last_state = (k, out)
        return out

    def details(self, k: int, box_id: str) -> list[tuple[str, str]]:
        if not 0 <= k < self.step_count:
            return []
        ep = self.episode_of(k)
        box_id = original_of(box_id, {n.id for n in ep.nodes})  # a copy: its node's rows
        node = next((n for n in ep.nodes if n.id == box_id), None)
        if node is None:
            return []
        rows = [(key, str(val)) for key, val in node.detail.items() if key != "appears"]
        step = self.story.steps[k]
        if step.math and box_id in step.focus:  # the chain rule of the step being shown
            rows.insert(1, ("this step", "\n".join(step.math)))
        if self.view is not None and node.role == ROLE_MODULE:  # its inputs, outputs, grads
            rows += self.view.details(k, box_id)
            return rows + ([("line", str(node.line))] if node.line else [])
        now = self.state(k).get(box_id, {})
        if "value_full" in now:
            rows.append(("value", full_text(now["value_full"])))
        if "grad_full" in now:
            rows.append(
                (
                    ".grad" if node.role == "leaf" else "gradient received",
                    full_text(now["grad_full"]),
                )
            )
        if "note" in now:
            rows.append(("sum", now["note"]))
        if node.line:
            rows.append(("line", str(node.line)))
        return rows

    # ----- layout ------------------------------------------------------------------------
    def structure(self, index: int) -> tuple:
        """What an episode's drawing depends on, apart from its numbers: the boxes (by role
        and title, in order) and the edges between them. Loop iterations share it."""
        if index in self._structures:
            return self._structures[index]
        ep = self.story.episodes[index]
        order = {n.id: i for i, n in enumerate(ep.nodes)}
        key = (
            tuple((n.role, n.title) for n in ep.nodes),
            tuple((order.get(e.source), order.get(e.target), e.kind) for e in ep.edges),
        )
        self._structures[index] = key
        return key

    def layout(self, index: int) -> Layout:
        if index not in self._layouts:
            with gc_paused():
                self._lay_out(index)
        return self._layouts[index]

    def _lay_out(self, index: int) -> None:
        twin = self._first_twin(index)
        if twin is not None:  # same graph as an earlier iteration: the same places
            self._layouts[index] = self._mapped(twin, index)
            return
        ep = self.story.episodes[index]
        anchors = {}
        if index > 0:
            prev = self.layout(index - 1)
            anchors = {
                n.id: prev.positions[n.id]
                for n in ep.nodes
                if n.id in prev.positions and n.role in ("leaf", "accumulate")
            }
        graph, sizes, padded = self._drawing(ep)
        lay = layout_graph(graph, self.direction, padded, anchors or None)
        graph.__dict__.clear()  # see _drawing
        self._layouts[index] = Layout(lay.positions, sizes, lay.edge_points, lay.width, lay.height)

    def zoom_bound(self, index: int, view: tuple[float, float]) -> float:
        """At most the zoom at which episode `index`'s layout fits a (width, height)
        view, without laying it out (see layout.zoom_bound)."""
        if index in self._layouts or self._first_twin(index) is not None:
            return self.layout(index).zoom_to_fit(view)
        with gc_paused():
            graph, _, padded = self._drawing(self.story.episodes[index])
            bound = zoom_bound(graph, self.direction, padded, view)
            graph.__dict__.clear()
        return bound

    def _drawing(self, ep: Episode) -> tuple[nx.DiGraph, dict, dict]:
        """The graph drawn for an episode (shared leaves split into copies), its box
        sizes, and those sizes as laid out: a little longer along the flow, for wider
        gaps between layers. Clear the graph's __dict__ after use: networkx caches views
        that point back at their graph, a cycle that would keep every node's attributes
        until a full pass of the cyclic collector."""
        graph = nx.DiGraph()
        graph.add_nodes_from(n.id for n in ep.nodes)
        graph.add_edges_from((e.source, e.target) for e in ep.edges)
        roles = {n.id: n.role for n in ep.nodes}
        split = split_shared(graph, lambda v: roles[v] in SHAREABLE)
        if split.graph is not graph:
            graph.__dict__.clear()
        longest = self._longest_texts(ep)
        titles = _shared_titles(ep, split.copies)
        sizes = {n.id: _box_size(n, longest.get(n.id, {}), titles.get(n.id)) for n in ep.nodes}
        sizes.update({ref: sizes[node] for ref, node in split.ref_of.items()})
        dx, dy = (TOKEN_ROOM, 0.0) if self.direction == "LR" else (0.0, TOKEN_ROOM)
        padded = {k: (w + dx, h + dy) for k, (w, h) in sizes.items()}
        return split.graph, sizes, padded

    def _first_twin(self, index: int) -> int | None:
        if not self.story.episodes[index].nodes:
            return None
        key = self.structure(index)
        for j in range(index):
            if len(self.story.episodes[j].nodes) == len(key[0]) and self.structure(j) == key:
                return j
        return None

    def _mapped(self, source: int, index: int) -> Layout:
        """The layout of episode `source`, with its box ids renamed to episode `index`'s."""
        lay = self.layout(source)
        src_nodes, nodes = self.story.episodes[source].nodes, self.story.episodes[index].nodes
        names = {a.id: b.id for a, b in zip(src_nodes, nodes)}

        def rename(drawn: str) -> str:  # a reference box keeps its copy number
            if drawn in names:
                return names[drawn]
            base, k = drawn.rsplit(COPY_MARK, 1)
            return names[base] + COPY_MARK + k

        return Layout(
            {rename(k): v for k, v in lay.positions.items()},
            {rename(k): v for k, v in lay.sizes.items()},
            {(rename(a), rename(b)): pts for (a, b), pts in lay.edge_points.items()},
            lay.width,
            lay.height,
        )

    def _longest_texts(self, ep: Episode) -> dict[str, dict[str, int]]:
        """{box id: {field: length of the longest text it shows}} over the episode."""
        longest: dict[str, dict[str, int]] = {}
        for step in self.story.steps[ep.first_step : ep.last_step + 1]:
            for target, field, text in step.updates:
                if isinstance(text, str):
                    fields = longest.get(target)
                    if fields is None:
                        fields = longest[target] = {}
                    if len(text) > fields.get(field, -1):
                        fields[field] = len(text)
        return longest

    def drawn(self, index: int) -> tuple[dict, dict, dict]:
        """The boxes drawn for an episode's shared nodes: {node id: (its box ids)}, its
        reference boxes after its own; {(source, target): drawn source} of the edges from a
        reference box; and {node id: title} of shared AccumulateGrad nodes."""
        if index not in self._drawn:
            lay = self.layout(index)
            ids = {n.id for n in self.story.episodes[index].nodes}
            boxes: dict[str, list] = {}
            for drawn in lay.positions:
                if drawn not in ids:
                    boxes.setdefault(original_of(drawn, ids), []).append(drawn)
            for refs in boxes.values():
                refs.sort(key=lambda d: int(d.rsplit(COPY_MARK, 1)[1]))
            sources = {(original_of(u, ids), v): u for u, v in lay.edge_points if u not in ids}
            titles = _shared_titles(self.story.episodes[index], boxes)
            self._drawn[index] = ({k: (k, *v) for k, v in boxes.items()}, sources, titles)
        return self._drawn[index]

    # ----- scene -------------------------------------------------------------------------
    def scene(self, k: int) -> st.Scene:
        scene = self._scenes.get(k)
        if scene is None:
            if len(self._scenes) >= SCENES_KEPT:
                del self._scenes[next(iter(self._scenes))]  # the oldest
            with gc_paused():
                scene = self._scenes[k] = self._build_scene(k)
        return scene

    def _build_scene(self, k: int) -> st.Scene:
        if not 0 <= k < self.step_count:
            return st.Scene(0, 0, 0, "", "empty", "", None, (), (), 0.0, 0.0)
        step = self.story.steps[k]
        ep = self.story.episodes[step.episode]
        lay = self.layout(step.episode)
        now = self.state(k)
        focus = set(step.focus)
        shared, sources, titles = self.drawn(step.episode)
        made = self._made
        boxes = []
        for n in ep.nodes:
            s = now.get(n.id, _NO_STATE)
            appears = n.detail.get("appears")
            if appears is not None and appears > k:
                state = st.STATE_HIDDEN
            elif n.id in focus:
                state = st.STATE_ERROR if step.phase == "error" else st.STATE_ACTIVE
            else:
                state = s.get("state", st.STATE_IDLE)
            badges = (st.BADGE_FREED,) if s.get("freed") else ()
            if state == st.STATE_FREED:  # stories saved before the freed badge existed
                state, badges = st.STATE_DONE, (st.BADGE_FREED,)
            grad = s.get("grad")
            if n.role == "leaf" and grad is None:
                grad = "None"
            group = shared.get(n.id)
            ref = None
            if group is not None:  # one node, several boxes: each marked, all alike
                ref, badges = n.id, (*badges, st.BADGE_SHARED)
            value, note = s.get("value"), s.get("note")
            for drawn in group or (n.id,):
                # A box that looks as it did at another step is that step's box: a big
                # graph's step makes thousands of boxes, and few of them change.
                key = (step.episode, drawn, value, grad, state, note, badges)
                box = made.get(key)
                if box is None:
                    x, y = lay.positions[drawn]
                    w, h = lay.sizes[drawn]
                    box = made[key] = _make_box(
                        drawn,
                        n.role,
                        titles.get(n.id, n.title),
                        n.subtitle,
                        value,
                        grad,
                        x,
                        y,
                        w,
                        h,
                        state,
                        n.line,
                        note,
                        n.muted,
                        badges,
                        ref,
                    )
                boxes.append(box)
        edges = []
        parallel: dict[tuple, list] = {}
        for e in ep.edges:
            parallel.setdefault((e.source, e.target), []).append(e.id)
        token_edge = step.token.edge if step.token else None
        active_edges = set(step.edges)
        for e in ep.edges:
            flowed = now.get(e.id, _NO_STATE).get("flow") == "grad"
            kind = (
                e.kind
                if e.kind in (st.EDGE_CUT, st.EDGE_SEED)
                else (st.EDGE_GRAD if flowed else st.EDGE_DATA)
            )
            token = step.token.text if e.id == token_edge else None
            active = e.id in active_edges
            key = (step.episode, e.id, kind, active, token)
            edge = made.get(key)
            if edge is None:
                source = sources.get((e.source, e.target), e.source)
                points = tuple(lay.edge_points.get((source, e.target), ()))
                group = parallel[(e.source, e.target)]
                if len(group) > 1:
                    shift = (group.index(e.id) - (len(group) - 1) / 2) * PARALLEL_GAP
                    points = _offset(points, shift)
                edge = made[key] = _make_edge(
                    e.id,
                    source,
                    e.target,
                    kind,
                    points,
                    active,
                    None if token is None else st.Token(token),
                    e.label,
                )
            edges.append(edge)
        phase = step.phase if step.phase != "update" else "between"
        return st.Scene(
            k,
            self.step_count,
            step.episode,
            ep.title,
            phase,
            step.narration,
            step.line,
            tuple(boxes),
            tuple(edges),
            lay.width,
            lay.height,
            step.math,
        )


def _offset(points: tuple, d: float) -> tuple:
    """Shift a polyline sideways so parallel edges (dot(x, x)) do not overlap."""
    if len(points) < 2 or d == 0:
        return points
    (x0, y0), (x1, y1) = points[0], points[-1]
    length = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5 or 1.0
    nx_, ny_ = -(y1 - y0) / length * d, (x1 - x0) / length * d
    return tuple((x + nx_, y + ny_) for x, y in points)
