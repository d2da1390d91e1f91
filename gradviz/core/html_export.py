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
- ``boxes``: ``[id, role, title, subtitle, x, y, w, h, line, muted, details]``,
  one entry per distinct box geometry; ``details`` indexes ``details``, the
  inspector rows that never change (flat ``[name, text, ...]`` string indices).
  A box of a node drawn several times (a shared leaf, see shared_refs.py) has a
  twelfth item, the node's id (the boxes' ids differ).
- ``edges``: ``[id, source, target, [x0, y0, x1, y1, ...], label, kind]``.
- ``episodes``: ``[title, first step, last step, backward step or null]``.
- ``steps``: ``{"ep", "ph", "n", "m", "f", "l"}`` (episode, phase, narration, math
  lines and the boxes they are about, source line) plus either the full rows ``B`` / ``E`` or, when the same
  boxes / edges are listed as in the previous step, only the changed rows ``dB``
  / ``dE`` (each prefixed with its position). Box rows are
  ``[box, state, value, grad, note, value printout, grad printout, badges]`` and edge
  rows ``[edge, kind, active, token]``.
- ``defaultStep``: where the page opens, the same step as the app.
- ``series``: a loop's loss and printed scalars per iteration, each iteration's episode,
  the step a click on it goes to and whether it is told there (`page_series`), or null.

`export_html` writes a training loop's payload packed (page_pack.py, "gradviz-page/3":
iterations of one shape stored once, each as its numbers); pack.js unpacks it in the page.

The inspector rows the page shows are the rows of ``Player.details``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Hashable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from gradviz.core import page_pack, palette, series_view
from gradviz.core import scene_types as st
from gradviz.core.gc_pause import gc_paused
from gradviz.core.player import Player
from gradviz.core.printouts import tensor_text

FORMAT = "gradviz-page/2"
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


def _delta(prev: list[tuple] | None, rows: list[tuple]) -> tuple[str, list[list]]:
    """Full rows ("") or, if the same items appear in the same order, the changed ones ("d")."""
    if (
        prev is not None
        and len(prev) == len(rows)
        and all(p[0] == r[0] for p, r in zip(prev, rows))
    ):
        return "d", [[i, *r[1:]] for i, (p, r) in enumerate(zip(prev, rows)) if p != r]
    return "", [list(r) for r in rows]


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
    return {
        "format": FORMAT,
        "title": title,
        "filename": story.filename,
        "source": story.source if source is None else source,
        "defaultStep": default_step(player),
        "output": output,
        "error": None if story.error is None else _error_dict(story.error),
        "strings": payload.strings.items,
        "details": payload.detail_sets.items,
        "boxes": payload.boxes,
        "edges": payload.edges,
        "episodes": [[e.title, e.first_step, e.last_step, e.backward_step] for e in story.episodes],
        "steps": steps,
        "series": page_series(story),
    }


def page_series(story) -> dict[str, Any] | None:
    """What the page's loss panel draws (lossplot.js): the loss and printed scalars per
    iteration and each iteration's episode, for a loop of two iterations or more."""
    series = getattr(story, "series", None) or {}
    count = series.get("iterations", 0)
    if count < 2:
        return None
    out = {k: series[k] for k in ("iterations", "loss", "episodes", "logged") if k in series}
    # Where a click on iteration i goes, and whether it is told step by step there
    # (series_view.py's rules; "" = told, else "summary" / "untold").
    out["jump"] = [series_view.jump_step(series, story, i) for i in range(count)]
    out["standIn"] = [series_view.stand_in(series, story, i) or "" for i in range(count)]
    return out


class _Payload:
    """Builds the per-step rows. The first step of an episode takes its geometry and rows
    from `Player.scene`; later steps fold the episode's updates one step at a time and
    redo only the rows a step touches (its updates, focus, edges and token, and the ones
    the step before touched), with the same rules as `Player.scene`. So an export costs
    the size of the story, not steps x boxes scene builds.

    A box's texts (value, gradient, note, printouts) are interned once per change of its
    state, not once per row: a chain of 1,000 ops redoes 9,000 rows but only 3,000 of
    them saw an update. Strings are still interned in the order the rows first name them,
    so the page is the same byte for byte."""

    def __init__(self, story) -> None:
        self.story = story
        self.strings = _Interner()
        self.boxes: list[list] = []  # box_index numbers them
        self.edges: list[list] = []  # edge_index numbers them
        self.detail_sets = _Interner()
        self.printed: dict[int, int] = {}  # id(raw tensor data) -> index of its printout
        self.printed_values: dict[tuple, int] = {}  # (bytes, dtype, shape) -> the same
        self.box_index: dict[tuple, int] = {}  # a box's static facts -> its entry in `boxes`
        self.edge_index: dict[tuple, int] = {}
        # node id -> its texts' indices (value, grad, note, value printout, grad printout)
        # and whether it is freed; dropped when an update changes the node's state
        self.texts: dict[str, tuple] = {}
        self._find = self.strings._index.get  # a string's index, or None
        self._nums: dict[float, float | int] = {}

    def text(self, value: str | None) -> int:
        """The index of a string in `strings` (added if new); -1 for None."""
        if value is None:
            return -1
        if type(value) is not str:
            value = str(value)
        index = self._find(value)
        if index is None:  # _Interner.add, inlined: most strings are new once
            strings = self.strings
            index = strings._index[value] = len(strings.items)
            strings.items.append(value)
        return index

    def printout(self, state: dict, field: str) -> int:
        raw = state.get(field, _ABSENT)
        if raw is _ABSENT:
            return -1
        key = id(raw)
        index = self.printed.get(key)
        if index is None:
            if type(raw) is dict and "b64" in raw:  # the same numbers recorded again
                same = (raw["b64"], raw.get("dtype"), str(raw.get("shape")))
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

    def box_static(self, b, node) -> int:
        ref = getattr(b, "ref_of", None)
        muted = bool(getattr(b, "muted", False))
        x, y, w, h = b.x, b.y, b.width, b.height
        key = (b.id, b.role, b.title, b.subtitle, x, y, w, h, b.line, ref, muted)
        index = self.box_index.get(key)
        if index is None:
            detail = getattr(node, "detail", None) or {}
            text, find = self.text, self._find
            flat = []
            for name, val in detail.items():
                if name != "appears":
                    at = find(name)
                    flat.append(text(name) if at is None else at)
                    flat.append(text(val))
            flat = tuple(flat)
            details = self.detail_sets.add(flat, list(flat)) if flat else -1
            nums = self._nums
            geometry = [nums.get(v) for v in (x, y, w, h)]
            if None in geometry:
                geometry = [self.num(v) for v in (x, y, w, h)]
            item = [b.id, b.role, b.title, b.subtitle, *geometry, b.line, int(muted), details]
            if ref is not None:  # one of the boxes of a shared node (shared_refs.py)
                item.append(ref)
            index = self.box_index[key] = len(self.boxes)
            self.boxes.append(item)
        return index

    def edge_static(self, e, base: str) -> int:
        key = (e.id, e.source, e.target, e.points, e.label)
        index = self.edge_index.get(key)
        if index is None:
            nums = self._nums
            points = [nums.get(c) for point in e.points for c in point]
            if None in points:
                points = [self.num(c) for point in e.points for c in point]
            item = [e.id, e.source, e.target, points, e.label, base]
            index = self.edge_index[key] = len(self.edges)
            self.edges.append(item)
        return index

    def row_makers(self):
        """(box_row, edge_row): the rules of Player.scene for one box / edge, as closures
        over the payload's tables (they run for every row a step redoes). A box's
        `place` is its entry in box_at, an edge's its entry in edge_at."""
        find, text, printout, texts = self._find, self.text, self.printout, self.texts
        hidden, error, active, idle = (
            st.STATE_HIDDEN,
            st.STATE_ERROR,
            st.STATE_ACTIVE,
            st.STATE_IDLE,
        )
        freed_state, done, freed_badge, shared_badge = (
            st.STATE_FREED,
            st.STATE_DONE,
            st.BADGE_FREED,
            st.BADGE_SHARED,
        )
        cut, seed, grad_kind, data_kind = st.EDGE_CUT, st.EDGE_SEED, st.EDGE_GRAD, st.EDGE_DATA

        def box_row(place: tuple, k: int, step, now: dict) -> tuple:
            _, node, static, shared, appears = place
            nid = node.id
            s = now.get(nid, _NO_STATE)
            if appears is not None and appears > k:
                state = hidden
            elif nid in step.focus:
                state = error if step.phase == "error" else active
            else:
                state = s.get("state", idle)
            legacy = state == freed_state  # stories saved before the freed badge existed
            if legacy:
                state = done
            state_index = find(state)  # first: strings are numbered in the order named
            if state_index is None:
                state_index = text(state)
            known = texts.get(nid)
            if known is None:
                grad = s.get("grad")
                if grad is None and node.role == "leaf":
                    grad = "None"
                values = (
                    text(s.get("value")),
                    text(grad),
                    text(s.get("note")),
                    printout(s, "value_full"),
                    printout(s, "grad_full"),
                )
                freed = bool(s.get("freed"))
                texts[nid] = (values, freed)
            else:
                values, freed = known
            if not (legacy or freed or shared):
                return (static, state_index, *values, -1)
            badges = (freed_badge,) if legacy or freed else ()
            if shared:
                badges = (*badges, shared_badge)
            return (static, state_index, *values, text(",".join(badges)))

        def edge_row(place: tuple, step, now: dict) -> tuple:
            _, edge, static = place
            kind = edge.kind
            if kind != cut and kind != seed:
                flowed = now.get(edge.id, _NO_STATE).get("flow") == "grad"
                kind = grad_kind if flowed else data_kind
            kind_index = find(kind)
            if kind_index is None:
                kind_index = text(kind)
            token = step.token
            if token and token.edge == edge.id:
                return (static, kind_index, int(edge.id in step.edges), text(token.text))
            return (static, kind_index, int(edge.id in step.edges), -1)

        return box_row, edge_row

    def steps(self, player: Player) -> list[dict[str, Any]]:
        story = self.story
        out: list[dict[str, Any]] = []
        prev_boxes: list[tuple] | None = None
        prev_edges: list[tuple] | None = None
        episode, now = -1, {}
        # node id -> [(position in the rows, node, static index, shared, step it appears
        # at)]: a shared node has several boxes
        box_at: dict[str, list] = {}
        edge_at: dict[str, tuple] = {}
        appearing: dict[int, list] = {}  # step -> node ids that stop being hidden there
        touched: set = set()  # ids the previous step was about
        box_rows: list[tuple] = []
        edge_rows: list[tuple] = []
        texts = self.texts
        box_row, edge_row = self.row_makers()
        text = self.text
        forget = texts.pop
        for k in range(player.step_count):
            step = story.steps[k]
            new_episode = step.episode != episode
            if new_episode:  # a new graph: everything from Player.scene
                episode, now = step.episode, {}
                texts.clear()
                for target, field, value in step.updates:
                    now.setdefault(target, {})[field] = value
                scene = player.scene(k)
                ep = story.episodes[episode]
                nodes = {n.id: n for n in ep.nodes}
                base = {e.id: e for e in ep.edges}
                box_at, edge_at, appearing = {}, {}, {}
                box_rows, edge_rows = [], []
                for i, b in enumerate(scene.boxes):
                    ref = getattr(b, "ref_of", None)
                    node = nodes[ref or b.id]
                    appears = node.detail.get("appears")
                    place = (i, node, self.box_static(b, node), ref is not None, appears)
                    box_at.setdefault(node.id, []).append(place)
                    box_rows.append(box_row(place, k, step, now))
                    if appears is not None and appears > k:
                        appearing.setdefault(appears, []).append(node.id)
                for i, e in enumerate(scene.edges):
                    place = edge_at[e.id] = (i, base[e.id], self.edge_static(e, base[e.id].kind))
                    edge_rows.append(edge_row(place, step, now))
            else:  # rows are changed in place: _delta copies what it keeps
                updates, token = step.updates, step.token
                for target, field, value in updates:
                    state = now.get(target)
                    if state is None:
                        state = now[target] = {}
                    state[field] = value
                    forget(target, None)
                # Built as before: the order rows are redone in numbers new strings.
                dirty = {u[0] for u in updates} | set(step.focus) | set(step.edges)
                dirty |= touched | set(appearing.get(k, ()))
                if token:
                    dirty.add(token.edge)
                changed_boxes, changed_edges = [], []
                for target in dirty:
                    at = box_at.get(target)
                    if at is not None:
                        for place in at:
                            row = box_row(place, k, step, now)
                            i = place[0]
                            if row != box_rows[i]:
                                box_rows[i] = row
                                changed_boxes.append(i)
                    else:
                        place = edge_at.get(target)
                        if place is not None:
                            row = edge_row(place, step, now)
                            i = place[0]
                            if row != edge_rows[i]:
                                edge_rows[i] = row
                                changed_edges.append(i)
            touched = set(step.focus) | set(step.edges)
            if step.token:
                touched.add(step.token.edge)

            row: dict[str, Any] = {
                "ep": step.episode,
                "ph": step.phase if step.phase != "update" else "between",
                "n": text(step.narration),
                "l": step.line,
            }
            math = getattr(step, "math", None)
            if math:
                row["m"] = [text(m) for m in math]
                row["f"] = list(step.focus)  # the inspector shows the math for these
            if new_episode:  # a graph like the last one's is sent as its changes too
                prefix, rows = _delta(prev_boxes, box_rows)
                row[prefix + "B"] = rows
                prefix, rows = _delta(prev_edges, edge_rows)
                row[prefix + "E"] = rows
            else:  # within an episode the rows a step changed are known
                if len(changed_boxes) > 1:
                    changed_boxes.sort()
                if len(changed_edges) > 1:
                    changed_edges.sort()
                row["dB"] = changed = []
                for i in changed_boxes:  # the row with its position for its entry
                    cells = list(box_rows[i])
                    cells[0] = i
                    changed.append(cells)
                row["dE"] = changed = []
                for i in changed_edges:
                    cells = list(edge_rows[i])
                    cells[0] = i
                    changed.append(cells)
            out.append(row)
            prev_boxes, prev_edges = box_rows, edge_rows
        return out


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
