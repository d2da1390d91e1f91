"""Export a story as one self-contained HTML player page.

The page's HTML, CSS and JavaScript are real files in ``gradviz/core/web/``; the
export concatenates them into one document with the story embedded as JSON, so
the page works from ``file://`` with no network. Its Content-Security-Policy
allows no network access at all and runs only the page's own script and style,
named by their SHA-256 hashes.

The embedded data (``<script id="gradviz-data" type="application/json">``) is
kept small, so a 300-box story stays well under 1 MB:

- ``strings``: every per-step text (state, value, grad, note, token, edge kind,
  narration, math line, full tensor printout) stored once; rows refer to it by
  index, -1 meaning ``None``.
- ``boxes``: ``[id, role, title, subtitle, x, y, w, h, line, muted, details,
  appears]``, one entry per distinct box geometry; ``details`` indexes ``details``,
  the inspector rows that never change (flat ``[name, text, ...]`` string indices);
  ``appears`` is the step before which the box is hidden (-1: none). A box of a node
  drawn several times (a shared leaf, see shared_refs.py) has a thirteenth item, the
  node's id (the boxes' ids differ).
- ``edges``: ``[id, source, target, [x0, y0, x1, y1, ...], label, kind]``.
- ``episodes``: ``[title, first step, last step, backward step or null]``.
- ``steps``: ``{"ep", "ph", "n", "l", "m", "f", "a", "t"}`` (episode, phase,
  narration, source line, math lines, the ids of the boxes the step is about, the
  positions of its active edges, ``[position, text]`` of the edge carrying its token;
  the last four only when there are any) plus either the full rows ``B`` / ``E`` or,
  when the same boxes / edges are listed as in the previous step, only some rows ``dB``
  / ``dE`` (each prefixed with its position; absent: none): at an episode's first step
  the changed ones, later the ones the step's updates name, changed or not. A row is
  what the story's updates made of a box or edge: box rows are ``[box, state, value,
  grad, note, value printout, grad printout, badges]`` (a ninth cell, the badges it
  shows when hidden or focused, for the legacy "freed" state) and edge rows ``[edge,
  kind]``.
- ``states``: the string indices of "hidden", "active" and "error". The page (data.js)
  lays the step over the rows as `Player.scene` does: a box is hidden before its
  ``appears`` step, else in the focus state (error in an error step, else active) when
  the step is about its node; an edge row gains ``active`` (0 / 1) and ``token`` (a
  string index), giving the shown rows ``[edge, kind, active, token]``.
- ``defaultStep``: where the page opens, the same step as the app.
- ``series``: a loop's loss and printed scalars per iteration, each iteration's episode,
  the step a click on it goes to and whether it is told there (`page_series`), or null.

This is "gradviz-page/4". `export_html` writes a training loop's payload packed
(page_pack.py, "gradviz-page/5": iterations of one shape stored once, each as its
numbers); pack.js unpacks it in the page.

The inspector rows the page shows are the rows of ``Player.details``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections import defaultdict
from collections.abc import Hashable
from functools import lru_cache
from importlib import resources
from itertools import chain, count
from operator import itemgetter
from pathlib import Path
from typing import Any

from gradviz.core import page_pack, palette, series_view
from gradviz.core import scene_types as st
from gradviz.core.gc_pause import gc_paused
from gradviz.core.player import Player
from gradviz.core.printouts import tensor_text

FORMAT = "gradviz-page/4"  # page_pack.PLAIN
WEB_FILES = (
    "util.js",
    "pack.js",
    "data.js",
    "scene.js",
    "view.js",
    "panels.js",
    "lossplot.js",
    "main.js",
)

# Dark-theme fills: each role's hue over the dark panel, so boxes keep their colour.
_DARK_BG = (0x1B, 0x20, 0x27)


class _Interner:
    """Hands out one index per distinct value, in first-seen order."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._index: dict[Hashable, int] = {}

    def add(self, key: Hashable, item: Any = None) -> int:
        index = self._index.get(key)
        if index is None:
            index = self._index[key] = len(self.items)
            self.items.append(key if item is None else item)
        return index


def _num(value: float) -> float | int:
    """Geometry rounded to 0.01 scene units; whole numbers as ints to save bytes."""
    rounded = round(float(value), 2)
    return int(rounded) if rounded.is_integer() else rounded


def _delta(prev: list[list] | None, rows: list[list]) -> tuple[str, list[list]]:
    """Full rows ("", `rows` itself) or, if the same items appear in the same order, the
    changed ones ("d")."""
    if (
        prev is not None
        and len(prev) == len(rows)
        and all(p[0] == r[0] for p, r in zip(prev, rows))
    ):
        return "d", [[i, *r[1:]] for i, (p, r) in enumerate(zip(prev, rows)) if p != r]
    return "", rows


def default_step(player: Player) -> int:
    """The step the page opens at: the story's own choice when it has one, else the
    app's rule (the first backward step; the last step of a failed run)."""
    story = player.story
    chosen = getattr(story, "default_step", None)
    if isinstance(chosen, int) and 0 < chosen < player.step_count:
        return chosen
    if player.step_count == 0:
        return 0
    if story.error is not None:
        return player.step_count - 1
    for ep in story.episodes:
        if ep.backward_step is not None and ep.backward_step < player.step_count:
            return ep.backward_step
    return 0


def story_data(
    player: Player, title: str, source: str | None = None, output: str = ""
) -> dict[str, Any]:
    """The compact, JSON-ready form of a story that the page reads; `output` is what the
    script printed."""
    story = player.story
    payload = _Payload(story)
    steps = payload.steps(player)
    states = payload.states()  # before `strings` is read: they may be new
    return {
        "format": FORMAT,
        "title": title,
        "filename": story.filename,
        "source": story.source if source is None else source,
        "defaultStep": default_step(player),
        "output": output,
        "error": None if story.error is None else _error_dict(story.error),
        "strings": payload.strings,
        "details": payload.detail_sets.items,
        "boxes": payload.boxes,
        "edges": payload.edges,
        "episodes": [[e.title, e.first_step, e.last_step, e.backward_step] for e in story.episodes],
        "steps": steps,
        "states": states,
        "series": page_series(story),
    }


def page_series(story) -> dict[str, Any] | None:
    """What the page's loss panel draws (lossplot.js): the loss and printed scalars per
    iteration and each iteration's episode, for a loop (series_view.is_loop)."""
    series = getattr(story, "series", None) or {}
    if not series_view.is_loop(series):
        return None
    count = series["iterations"]
    out = {k: series[k] for k in ("iterations", "loss", "episodes", "logged") if k in series}
    # Where a click on iteration i goes, and whether it is told step by step there
    # (series_view.py's rules; "" = told, else "summary" / "untold").
    out["jump"] = [series_view.jump_step(series, story, i) for i in range(count)]
    out["standIn"] = [series_view.stand_in(series, story, i) or "" for i in range(count)]
    return out


class _Payload:
    """Builds the per-step rows. The first step of an episode takes its geometry from a
    `Player.scene` of the episode; later steps fold the episode's updates one step at a
    time and redo only the rows of the boxes and edges an update names, with the rules of
    `Player.scene`. A row holds what the updates built (a box's state, texts and badges,
    an edge's kind); what a step adds on top of it (hidden boxes, focus, active edges, the
    token) is the step's own `f` / `a` / `t` and each box's appear step, and the page
    lays it over the rows (data.js). So an export costs the size of the story, not steps
    x boxes, and a step sends only the rows its updates name (before page/4 it also sent
    the rows its focus, edges and token changed, and the step before's, every step)."""

    def __init__(self, story) -> None:
        self.story = story
        # string -> its index in `strings`, numbered as first asked for: a missing key
        # takes the next number in C (most strings are new once, thousands per story)
        self.index: defaultdict[str, int] = defaultdict(count().__next__)
        self.boxes: list[list] = []  # box_index numbers them
        self.edges: list[list] = []  # edge_index numbers them
        self.detail_sets = _Interner()
        self.details_by_text: dict[tuple, int] = {}  # a node's detail texts -> its set
        self.printed: dict[int, int] = {}  # id(raw tensor data) -> index of its printout
        self.printed_values: dict[tuple, int] = {}  # (bytes, dtype, shape) -> the same
        self.box_index: dict[tuple, int] = {}  # a box's static facts -> its entry in `boxes`
        self.edge_index: dict[tuple, int] = {}
        # node id -> its row after the entry (see tail_makers); dropped when an update
        # changes the node's state
        self.tails: dict[str, tuple] = {}
        self._nums: dict[float, float | int] = {}

    @property
    def strings(self) -> list[str]:
        """Every string the rows name, in the order first named."""
        return list(self.index)

    def text(self, value: str | None) -> int:
        """The index of a string in `strings` (added if new); -1 for None."""
        if value is None:
            return -1
        return self.index[value if type(value) is str else str(value)]

    def texts_of(self, values) -> list[int]:
        """[text(v) for v in values], in C when they are all strings."""
        if set(map(type, values)) <= _ONLY_STR:
            return list(map(self.index.__getitem__, values))
        return [self.text(v) for v in values]

    def states(self) -> list[int]:
        """The states the page gives a box on top of its row: hidden, active, error."""
        return [self.index[s] for s in (st.STATE_HIDDEN, st.STATE_ACTIVE, st.STATE_ERROR)]

    def printout(self, state: dict, field: str) -> int:
        raw = state.get(field, _ABSENT)
        if raw is _ABSENT:
            return -1
        key = id(raw)
        index = self.printed.get(key)
        if index is None:
            if type(raw) is dict and "b64" in raw:  # the same numbers recorded again
                shape = raw.get("shape")
                shape = tuple(shape) if type(shape) is list else str(shape)
                same = (raw["b64"], raw.get("dtype"), shape)
                index = self.printed_values.get(same)
                if index is None:
                    index = self.printed_values[same] = self.text(tensor_text(raw))
            else:
                index = self.text(tensor_text(raw))
            self.printed[key] = index
        return index

    def num(self, value: float) -> float | int:
        """_num, remembered: a layout repeats its sizes and columns."""
        found = self._nums.get(value)
        if found is None:
            found = self._nums[value] = _num(value)
        return found

    def box_static(self, b, node, appears: int) -> int:
        ref, muted = b.ref_of, b.muted
        x, y, w, h = b.x, b.y, b.width, b.height
        key = (b.id, b.role, b.title, b.subtitle, x, y, w, h, b.line, ref, muted, appears)
        index = self.box_index.get(key)
        if index is None:
            details = self.details_of(getattr(node, "detail", None) or _NO_STATE)
            nums = self._nums
            geometry = list(map(nums.get, (x, y, w, h)))
            if None in geometry:
                geometry = [self.num(v) for v in (x, y, w, h)]
            item = [b.id, b.role, b.title, b.subtitle, *geometry, b.line, int(muted), details]
            item.append(appears)
            if ref is not None:  # one of the boxes of a shared node (shared_refs.py)
                item.append(ref)
            index = self.box_index[key] = len(self.boxes)
            self.boxes.append(item)
        return index

    def details_of(self, detail: dict) -> int:
        """The entry in `details` of a node's inspector rows (-1: none), found by their
        texts first: a chain's thousand constants share one set."""
        if "appears" in detail:  # the step it appears at: not an inspector row
            detail = dict(detail)
            del detail["appears"]
        texts = tuple(chain.from_iterable(detail.items()))
        found = self.details_by_text.get(texts)
        if found is None:
            flat = tuple(self.texts_of(texts))
            found = self.details_by_text[texts] = (
                self.detail_sets.add(flat, list(flat)) if flat else -1
            )
        return found

    def edge_static(self, e, base: str) -> int:
        key = (e.id, e.source, e.target, e.points, e.label)
        index = self.edge_index.get(key)
        if index is None:
            nums = self._nums
            points = list(map(nums.get, chain.from_iterable(e.points)))
            if None in points:
                points = [self.num(c) for point in e.points for c in point]
            item = [e.id, e.source, e.target, points, e.label, base]
            index = self.edge_index[key] = len(self.edges)
            self.edges.append(item)
        return index

    def tail_makers(self):
        """(box_tail, edge_tail): the rules of Player.scene for what the updates made of
        one box / edge, as closures over the payload's tables. A row is a box's or edge's
        entry (its position, within an episode) and then this tail: for a box (state,
        value, grad, note, value printout, grad printout, badges), for an edge (kind).
        A box whose state is the legacy "freed" shows as done with the freed badge, but
        only in its own state: hidden or focused it shows its other badges, a box row's
        eighth cell when they differ."""
        index, text, printout, tails = self.index, self.text, self.printout, self.tails
        idle, freed_state, done = st.STATE_IDLE, st.STATE_FREED, st.STATE_DONE
        freed_badge, shared_badge = st.BADGE_FREED, st.BADGE_SHARED
        cut, seed, grad_kind, data_kind = st.EDGE_CUT, st.EDGE_SEED, st.EDGE_GRAD, st.EDGE_DATA

        none_index = index["None"]
        unnamed: dict[tuple, tuple] = {}  # (leaf, shared) -> the tail of a box no update named

        def box_tail(drawn: _Drawn, now: dict) -> tuple:
            nid = drawn.id
            known = tails.get(nid)
            if known is None:
                known = tails[nid] = make_box_tail(now.get(nid, _NO_STATE), drawn)
            return known

        def make_box_tail(s: dict, drawn: _Drawn) -> tuple:
            if not s:  # no update has named the node yet (most boxes of a new graph)
                kind = (drawn.leaf, drawn.shared)
                tail = unnamed.get(kind)
                if tail is None:
                    tail = unnamed[kind] = make_tail(s, drawn)
                return tail
            return make_tail(s, drawn)

        def make_tail(s: dict, drawn: _Drawn) -> tuple:
            # text(v) written out (this runs for every update's box); printouts by printout
            v = s.get("value")
            value = -1 if v is None else index[v] if type(v) is str else text(v)
            v = s.get("grad")
            if v is None:
                grad = none_index if drawn.leaf else -1
            else:
                grad = index[v] if type(v) is str else text(v)
            v = s.get("note")
            note = -1 if v is None else index[v] if type(v) is str else text(v)
            value_full, grad_full = printout(s, "value_full"), printout(s, "grad_full")
            freed, shared = s.get("freed"), drawn.shared
            if freed or shared:
                badges = text(
                    ",".join(
                        ((freed_badge,) if freed else ()) + ((shared_badge,) if shared else ())
                    )
                )
            else:
                badges = -1
            state = s.get("state", idle)
            if state != freed_state:
                state_index = index[state] if type(state) is str else text(state)
                return (state_index, value, grad, note, value_full, grad_full, badges)
            # stories saved before the freed badge
            legacy = text(",".join((freed_badge, shared_badge) if shared else (freed_badge,)))
            tail = (index[done], value, grad, note, value_full, grad_full, legacy)
            return tail if legacy == badges else (*tail, badges)

        def edge_tail(edge, now: dict) -> tuple:
            kind = edge.kind
            if kind != cut and kind != seed:
                flowed = now.get(edge.id, _NO_STATE).get("flow") == "grad"
                kind = grad_kind if flowed else data_kind
            return (index[kind],)

        return box_tail, edge_tail

    def steps(self, player: Player) -> list[dict[str, Any]]:
        story = self.story
        out: list[dict[str, Any]] = []
        rows: _EpisodeRows | None = None
        tails = self.tail_makers()
        index, text = self.index, self.text
        shown = _scene_steps(player)
        episode = None
        for k, step in enumerate(story.steps[: player.step_count]):
            if step.episode != episode:  # a new graph
                before = rows
                episode = step.episode
                scene = player.scene(shown.get(episode, k))
                rows = _EpisodeRows(self, scene, k, step, tails)
                edge_at, redo = rows.edge_at, rows.redo
                changed_boxes = changed_edges = None
            else:
                changed_boxes, changed_edges = redo(step) if step.updates else _NOTHING
            phase, narration = step.phase, step.narration
            row: dict[str, Any] = {
                "ep": episode,
                "ph": phase if phase != "update" else "between",
                "n": index[narration] if type(narration) is str else text(narration),
                "l": step.line,
            }
            math = getattr(step, "math", None)
            if math:  # (a step's one to three lines: no set of types for them)
                row["m"] = [index[m] if type(m) is str else text(m) for m in math]
            if step.focus:  # the boxes the step is about (and the inspector's math is)
                row["f"] = list(step.focus)
            if step.edges:
                active = [edge_at[e] for e in step.edges if e in edge_at]
                if active:
                    row["a"] = active
            token = step.token
            if token:
                at = edge_at.get(token.edge)
                if at is not None:
                    row["t"] = [at, text(token.text)]
            if changed_boxes is None:  # a graph like the last one's is sent as its changes
                boxes, edges = rows.full()
                prev_boxes, prev_edges = before.full() if before is not None else (None, None)
                prefix, cells = _delta(prev_boxes, boxes)
                row[prefix + "B"] = cells
                prefix, cells = _delta(prev_edges, edges)
                row[prefix + "E"] = cells
            else:  # within an episode the rows a step's updates name are known
                if changed_boxes:
                    row["dB"] = changed_boxes
                if changed_edges:
                    row["dE"] = changed_edges
            out.append(row)
        return out


def _scene_steps(player: Player) -> dict[int, int]:
    """{episode: the step whose scene gives its boxes' and edges' places}: a box's or
    edge's entry is the same at every step of its episode, so the episode of the page's
    opening step reads the scene the app made there (the window opens at that step)
    rather than make its first step's; other episodes read their first step's."""
    if player.step_count == 0:
        return {}
    k = default_step(player)
    return {player.story.steps[k].episode: k}


class _Drawn:
    """A node's boxes in an episode's scene: their positions, whether the node is shared
    (drawn more than once, shared_refs.py) and the step it appears at (-1: from the
    start)."""

    __slots__ = ("node", "id", "leaf", "shared", "appears", "positions")

    def __init__(self, node, shared: bool) -> None:
        self.node, self.id, self.leaf, self.shared = node, node.id, node.role == "leaf", shared
        appears = node.detail.get("appears")
        self.appears: int = -1 if appears is None else appears
        self.positions: list[int] = []


class _EpisodeRows:
    """One episode's rows as its steps go by: each box's and edge's tail by its position
    in the scene, and the state the episode's updates have built (as `Player.state`)."""

    def __init__(self, payload: _Payload, scene, k: int, step, tails: tuple) -> None:
        self.episode = step.episode
        self.tails = payload.tails
        self.tails.clear()
        self.box_tail, self.edge_tail = box_tail, edge_tail = tails
        self.now: dict[str, dict] = {}
        now = self.now
        for target, field, value in step.updates:
            now.setdefault(target, {})[field] = value
        ep = payload.story.episodes[step.episode]
        nodes = {n.id: n for n in ep.nodes}
        self.box_of: dict[str, _Drawn] = {}
        box_of, box_static = self.box_of, payload.box_static
        self.box_statics: list[int] = []
        self.box_tails: list[tuple] = []
        statics, box_tails = self.box_statics.append, self.box_tails.append
        for i, b in enumerate(scene.boxes):
            ref = b.ref_of
            nid = ref or b.id
            drawn = box_of.get(nid)
            if drawn is None:
                drawn = box_of[nid] = _Drawn(nodes[nid], ref is not None)
            drawn.positions.append(i)
            statics(box_static(b, drawn.node, drawn.appears))
            box_tails(box_tail(drawn, now))
        base = {e.id: e for e in ep.edges}
        self.edge_of: dict[str, tuple] = {}  # edge id -> (edge, position)
        self.edge_at: dict[str, int] = {}  # edge id -> position
        edge_static = payload.edge_static
        self.edge_statics: list[int] = []
        self.edge_tails: list[tuple] = []
        edge_statics, edge_tails = self.edge_statics.append, self.edge_tails.append
        for i, e in enumerate(scene.edges):
            edge = base[e.id]
            self.edge_of[e.id] = (edge, i)
            self.edge_at[e.id] = i
            edge_statics(edge_static(e, edge.kind))
            edge_tails(edge_tail(edge, now))

    def full(self) -> tuple[list[list], list[list]]:
        """Every box's and edge's row as it is now, led by its entry in boxes / edges."""
        boxes = [[s, *t] for s, t in zip(self.box_statics, self.box_tails)]
        edges = [[s, *t] for s, t in zip(self.edge_statics, self.edge_tails)]
        return boxes, edges

    def redo(self, step) -> tuple[list[list], list[list]]:
        """Folds a step's updates in and redoes the rows of what they name: those rows,
        each led by its position, in position order."""
        now, forget = self.now, self.tails.pop
        named: dict[str, None] = {}  # in update order: new strings are numbered in it
        for target, field, value in step.updates:
            state = now.get(target)
            if state is None:
                state = now[target] = {}
            state[field] = value
            forget(target, None)
            named[target] = None
        box_of, box_tails, box_tail = self.box_of, self.box_tails, self.box_tail
        changed_boxes: list[list] = []
        changed_edges: list[list] = []
        # Every row an update names is sent, changed or not: so the same step of two
        # iterations of a loop names the same rows whatever its numbers (page_pack.py).
        for target in named:
            drawn = box_of.get(target)
            if drawn is not None:
                tail = box_tail(drawn, now)
                for i in drawn.positions:  # a node's boxes are alike
                    box_tails[i] = tail
                    changed_boxes.append([i, *tail])
            else:
                place = self.edge_of.get(target)
                if place is not None:
                    tail = self.edge_tail(place[0], now)
                    i = place[1]
                    self.edge_tails[i] = tail
                    changed_edges.append([i, *tail])
        if len(changed_boxes) > 1:
            changed_boxes.sort(key=_first)
        if len(changed_edges) > 1:
            changed_edges.sort(key=_first)
        return changed_boxes, changed_edges


_first = itemgetter(0)
_NOTHING: tuple[list, list] = ([], [])  # no rows named (never written to)
_ONLY_STR = {str}
_ABSENT = object()
_NO_STATE: dict = {}  # a node or edge no update has named yet (never written to)


def _error_dict(error) -> dict[str, Any]:
    return {
        "kind": str(error.kind),
        "message": str(error.message),
        "line": error.line if isinstance(error.line, int) else None,
        "hint": str(error.hint or ""),
    }


def json_for_script(data: Any) -> str:
    """JSON that is safe inside a <script> element.

    "<", ">" and "&" only ever occur inside JSON strings, so escaping them as
    \\u003c etc. keeps the same value while making "</script>" or "<!--"
    impossible; U+2028/2029 are escaped for older JavaScript parsers.
    """
    text = json.dumps(
        data, ensure_ascii=False, separators=(",", ":"), allow_nan=False, check_circular=False
    )  # no cycle check: the payload is a tree of our own lists and dicts
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        if char in text:  # a search is cheaper than a copy
            text = text.replace(char, escaped)
    return text


# ---- the page's own files ---------------------------------------------------------------


def _web(name: str) -> str:
    return resources.files("gradviz.core").joinpath("web", name).read_text(encoding="utf-8")


def _mix(hex_colour: str, weight: float) -> str:
    """`weight` of the colour over the dark panel."""
    rgb = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
    out = [round(c * weight + b * (1 - weight)) for c, b in zip(rgb, _DARK_BG)]
    return "#" + "".join(f"{c:02X}" for c in out)


def _lighten(hex_colour: str, weight: float) -> str:
    rgb = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * weight):02X}" for c in rgb)


def _palette_css() -> str:
    """The app's palette as CSS variables: role colours for both themes, edge colours."""
    light = [f":root{{--grad:{palette.GRADIENT};--data:{palette.DATA_EDGE};--token:#B34700}}"]
    dark = ["--grad:#E8853D;--data:#8FA1BA;--token:#B34700"]
    for role, (fill, border, title, _accent) in palette.ROLES.items():
        light.append(f".role-{role}{{--c:{border};--f:{fill};--t:{title}}}")
        dark.append(
            f".role-{role}{{--c:{_lighten(border, 0.25)};--f:{_mix(border, 0.22)};"
            f"--t:{_lighten(border, 0.65)}}}"
        )
    dark_vars = dark[0]
    dark_roles = "".join(dark[1:])
    scoped = dark_roles.replace(".role-", ":root[data-theme=dark] .role-")
    auto = dark_roles.replace(".role-", ":root:not([data-theme=light]) .role-")
    return (
        "\n".join(light)
        + f"\n:root[data-theme=dark]{{{dark_vars}}}\n{scoped}\n"
        + f"@media (prefers-color-scheme: dark){{:root:not([data-theme=light]){{{dark_vars}}}"
        + f"\n{auto}}}\n"
    )


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


@lru_cache(maxsize=1)
def page_parts() -> tuple[str, str, str, str]:
    """(template, style, script, CSP) of the page; the same for every story."""
    style = _web("style.css") + _palette_css()
    body = "\n".join(f"// ---- {name} ----\n{_web(name)}" for name in WEB_FILES)
    script = '(function () {\n"use strict";\n' + body + "\n})();\n"
    for part in (style, script):
        # Nothing of ours may end its own element early.
        if "</" in part:
            raise RuntimeError("a web asset contains '</', which would end its element")
    csp = (
        f"default-src 'none'; script-src '{_sha256(script)}'; style-src '{_sha256(style)}'; "
        "img-src data:; font-src 'none'; connect-src 'none'; form-action 'none'; "
        "base-uri 'none'"
    )
    return _web("page.html"), style, script, csp


def _html_text(text: str) -> str:
    """Text escaped for HTML, line separators as references so no raw one is in the page."""
    return html.escape(text).replace("\u2028", "&#x2028;").replace("\u2029", "&#x2029;")


_PLACEHOLDER = re.compile("%%(TITLE|DATA|STYLE|SCRIPT|CSP)%%")


def page_html(data: dict[str, Any]) -> str:
    """The page around an already built payload (see `story_data`)."""
    template, style, script, csp = page_parts()
    values = {
        "TITLE": _html_text(str(data.get("title", ""))),
        "DATA": json_for_script(data),
        "STYLE": style,
        "SCRIPT": script,
        "CSP": csp,
    }
    # One pass, so text that was just inserted is never scanned for placeholders.
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def export_html(player: Player, title: str, source: str | None = None, output: str = "") -> str:
    """One self-contained HTML document that plays the story offline; a loop's iterations
    of one shape are packed (page_pack.py)."""
    # The payload is hundreds of thousands of small lists and tuples, none in a cycle.
    with gc_paused():
        data = story_data(player, title, source, output)
        page = page_html(page_pack.pack(data) or data)
        del data  # freed while collection is off: nothing is left for it to walk
    return page


def write_html(
    player: Player, path: str | Path, title: str, source: str | None = None, output: str = ""
) -> None:
    """Write export_html(...) to path as UTF-8."""
    Path(path).write_text(export_html(player, title, source, output), encoding="utf-8")
