"""Export a story as one self-contained HTML player.

The page plays the same step-by-step animation as the desktop app, offline: all
CSS, JavaScript and data are inline and nothing is fetched from the network.

Data layout (the JSON in ``<script id="gradviz-data">``), kept small so that a
300-step story over 300 boxes stays well under a few MB:

- ``strings``: every per-step text (state, value, grad, note, token, edge kind,
  episode title) stored once; rows refer to it by index, -1 meaning ``None``.
- ``boxes`` / ``edges``: the static part of each box and edge, stored once:
  ``[id, role, title, subtitle, x, y, width, height, line]`` and
  ``[id, source, target, [x0, y0, x1, y1, ...], label]``. If a box or edge with
  the same id changes geometry between episodes it simply gets a second entry.
- ``steps``: per scene its scalar fields plus either the full rows ``B`` / ``E``
  or, when the list of boxes / edges is the same as in the previous step, only
  the rows that changed, ``dB`` / ``dE`` (each prefixed with its position).
  Box rows are ``[box, state, value, grad, note]`` and edge rows
  ``[edge, kind, active, token]``.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Hashable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from gradviz.core import palette
from gradviz.core.scene_types import (
    ROLE_ACCUMULATE,
    ROLE_CONSTANT,
    ROLE_GRAD_FN,
    ROLE_LEAF,
    ROLE_OP,
    ROLE_SEED,
    ROLE_TENSOR,
    Scene,
)

FORMAT = "gradviz-story/1"

# Role colours as (stroke, fill): the Okabe-Ito palette, which stays distinct
# for the common forms of colour blindness, with light tints as fills so text
# on the boxes keeps a high contrast.
ROLE_COLOURS: dict[str, tuple[str, str]] = {
    role: (border, fill) for role, (fill, border, _title, _accent) in palette.ROLES.items()
}  # the canvas's own colours, so the page looks like the app
ROLE_LABELS: dict[str, str] = {
    ROLE_LEAF: "leaf (requires grad)",
    ROLE_TENSOR: "tensor",
    ROLE_CONSTANT: "constant",
    ROLE_OP: "op without grad",
    ROLE_GRAD_FN: "grad_fn",
    ROLE_ACCUMULATE: "AccumulateGrad",
    ROLE_SEED: "seed gradient",
}
GRAD_COLOUR = palette.GRADIENT  # gradient edges and tokens
DATA_EDGE_COLOUR = palette.DATA_EDGE
ACTIVE_COLOUR = "#1F2933"
HALO_COLOUR = "#F2C94C"


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


def story_data(scenes: Sequence[Scene], title: str, source: str = "") -> dict[str, Any]:
    """The compact, JSON-ready form of a story that the HTML player reads."""
    strings = _Interner()
    boxes = _Interner()
    edges = _Interner()

    def text(value: str | None) -> int:
        return -1 if value is None else strings.add(value)

    steps: list[dict[str, Any]] = []
    prev_boxes: list[tuple] | None = None
    prev_edges: list[tuple] | None = None
    for scene in scenes:
        box_rows = []
        for b in scene.boxes:
            static = (b.id, b.role, b.title, b.subtitle, _num(b.x), _num(b.y))
            static += (_num(b.width), _num(b.height), b.line)
            box_rows.append(
                (boxes.add(static), text(b.state), text(b.value), text(b.grad), text(b.note))
            )
        edge_rows = []
        for e in scene.edges:
            points = tuple(_num(c) for point in e.points for c in point)
            static = (e.id, e.source, e.target, points, e.label)
            item = [e.id, e.source, e.target, list(points), e.label]
            token = None if e.token is None else e.token.text
            edge_rows.append((edges.add(static, item), text(e.kind), int(e.active), text(token)))

        step: dict[str, Any] = {
            "step": scene.step,
            "count": scene.step_count,
            "episode": scene.episode,
            "episodeTitle": text(scene.episode_title),
            "phase": scene.phase,
            "narration": scene.narration,
            "line": scene.line,
            "w": _num(scene.width),
            "h": _num(scene.height),
        }
        prefix, rows = _delta(prev_boxes, box_rows)
        step[prefix + "B"] = rows
        prefix, rows = _delta(prev_edges, edge_rows)
        step[prefix + "E"] = rows
        steps.append(step)
        prev_boxes, prev_edges = box_rows, edge_rows

    return {
        "format": FORMAT,
        "title": title,
        "source": source,
        "strings": strings.items,
        "boxes": [list(b) for b in boxes.items],
        "edges": edges.items,
        "steps": steps,
    }


def _json_for_script(data: Any) -> str:
    """JSON that is safe inside a <script> element.

    "<", ">" and "&" only ever occur inside JSON strings, so escaping them as
    \\u003c etc. keeps the same value while making "</script>" or "<!--"
    impossible; U+2028/2029 are escaped for older JavaScript parsers.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


def _role_css() -> str:
    rules = [
        f".role-{role}{{--c:{stroke};--f:{fill}}}" for role, (stroke, fill) in ROLE_COLOURS.items()
    ]
    return "\n".join(rules)


def _legend_html() -> str:
    items = [
        f'<li><span class="sw role-{role}"></span>{html.escape(ROLE_LABELS[role])}</li>'
        for role in ROLE_COLOURS
    ]
    items += [
        '<li><span class="sw-line data"></span>data flow</li>',
        '<li><span class="sw-line grad"></span>gradient flow</li>',
        '<li><span class="sw-line cut"></span>cut: no gradient</li>',
        '<li><span class="sw-token">g</span>gradient on its way</li>',
        '<li><span class="sw role-leaf active"></span>current step</li>',
    ]
    return "\n".join(items)


def export_html(scenes: Sequence[Scene], title: str, source: str = "") -> str:
    """One self-contained HTML document that plays the story offline."""
    values = {
        "%%TITLE%%": html.escape(title),
        "%%DATA%%": _json_for_script(story_data(scenes, title, source)),
    }
    # One pass, so text that was just inserted is never scanned for placeholders.
    return _USER_PLACEHOLDER.sub(lambda m: values[m.group(0)], _page())


def write_html(scenes: Sequence[Scene], path: str | Path, title: str, source: str = "") -> None:
    """Write export_html(...) to path as UTF-8."""
    Path(path).write_text(export_html(scenes, title, source), encoding="utf-8")


_ICON = '<svg viewBox="0 0 16 16" aria-hidden="true"><path d="{}"/></svg>'
_ICONS = {
    "first": _ICON.format("M3 3h2v10H3zM13 3v10L6 8z"),
    "prev": _ICON.format("M11 3v10L4 8z"),
    "play": _ICON.format("M4 2.5v11L13.5 8z"),
    "pause": _ICON.format("M4 3h3v10H4zM9 3h3v10H9z"),
    "next": _ICON.format("M5 3v10l7-5z"),
    "last": _ICON.format("M3 3v10l7-5zM11 3h2v10h-2z"),
}

_CSS = r"""
:root {
  --bg: #F4F5F7; --panel: #FFFFFF; --line: #E1E4E8; --ink: #1F2933; --muted: #5F6B7A;
  --accent: #0072B2; --accent-soft: #E1EEF7; --hl: #FFF3C4; --hl-edge: #E0B000;
  --grad: %%GRAD%%; --data: %%DATA_EDGE%%; --active: %%ACTIVE%%; --halo: %%HALO%%;
  --sans: "DejaVu Sans", system-ui, -apple-system, "Segoe UI", "Liberation Sans", sans-serif;
  --mono: "DejaVu Sans Mono", ui-monospace, Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
html, body { height: 100%; margin: 0; }
body {
  display: grid; grid-template-rows: auto minmax(0, 1fr) auto; overflow: hidden;
  font: 13px/1.45 var(--sans); color: var(--ink); background: var(--bg);
}
button, select { font: inherit; color: inherit; }
header {
  display: flex; align-items: center; gap: 12px; padding: 8px 16px;
  background: var(--panel); border-bottom: 1px solid var(--line);
}
header h1 {
  margin: 0; font-size: 15px; font-weight: 600; flex: 1; min-width: 0;
  overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
}
header .brand { color: var(--muted); font-size: 12px; }
.badge {
  padding: 2px 10px; border-radius: 999px; font-size: 12px; font-weight: 600;
  background: #EEF0F3; color: var(--muted); text-transform: capitalize;
}
.badge.forward { background: var(--accent-soft); color: #005A8C; }
.badge.backward { background: #FBE6D9; color: #A34700; }
.badge.error { background: #FADBD8; color: #A93226; }
#counter { color: var(--muted); font-variant-numeric: tabular-nums; white-space: nowrap; }
main { display: grid; grid-template-columns: 220px minmax(0, 1fr) 340px; min-height: 0; }
aside { background: var(--panel); min-height: 0; display: flex; flex-direction: column; }
aside.left { border-right: 1px solid var(--line); overflow: auto; }
aside.right { border-left: 1px solid var(--line); }
h2 {
  margin: 0; padding: 10px 14px 6px; font-size: 11px; font-weight: 600; color: var(--muted);
  text-transform: uppercase; letter-spacing: .06em;
}
#episodes { list-style: none; margin: 0; padding: 0 8px 8px; }
#episodes button {
  display: flex; width: 100%; gap: 8px; align-items: baseline; text-align: left;
  padding: 6px 8px; border: 0; border-radius: 6px; background: none; cursor: pointer;
}
#episodes button:hover { background: #F1F3F5; }
#episodes button.current { background: var(--accent-soft); }
#episodes .no { color: var(--muted); font-variant-numeric: tabular-nums; min-width: 1.4em; }
#episodes .t { flex: 1; min-width: 0; overflow-wrap: anywhere; }
#episodes .r { color: var(--muted); font-size: 11px; white-space: nowrap; }
#legend { list-style: none; margin: 0; padding: 0 14px 14px; color: var(--muted); font-size: 12px; }
#legend li { display: flex; align-items: center; gap: 8px; padding: 2px 0; }
.sw {
  width: 18px; height: 12px; border-radius: 3px; flex: none;
  background: var(--f); border: 1.5px solid var(--c);
}
.sw.active { box-shadow: 0 0 0 3px var(--halo); border-color: var(--active); }
.sw-line { width: 18px; flex: none; border-top: 2px solid var(--data); }
.sw-line.grad { border-color: var(--grad); }
.sw-line.cut { border-top-style: dashed; }
.sw-token {
  flex: none; width: 18px; height: 13px; border-radius: 7px; background: var(--grad); color: #fff;
  font: 600 9px/13px var(--mono); text-align: center;
}
.stage { display: flex; flex-direction: column; min-width: 0; min-height: 0; }
#canvas-wrap { position: relative; flex: 1; min-height: 0; }
#canvas {
  display: block; width: 100%; height: 100%; cursor: grab; touch-action: none; user-select: none;
  background-color: #FBFCFD;
  background-image: radial-gradient(#E3E7EC 1px, transparent 1px); background-size: 22px 22px;
}
#canvas.dragging { cursor: grabbing; }
.zoom {
  position: absolute; right: 12px; top: 12px; display: flex; gap: 4px;
}
.zoom button, .controls button {
  display: inline-flex; align-items: center; justify-content: center; min-width: 30px; height: 30px;
  padding: 0 8px; border: 1px solid var(--line); border-radius: 6px; background: var(--panel);
  cursor: pointer;
}
.zoom button:hover, .controls button:hover { background: #F1F3F5; }
button:focus-visible, select:focus-visible, input:focus-visible {
  outline: 2px solid var(--accent); outline-offset: 1px;
}
.controls svg { width: 14px; height: 14px; fill: currentColor; }
.controls #play {
  min-width: 40px; background: var(--accent); border-color: var(--accent); color: #fff;
}
.controls #play:hover { background: #005F94; }
#empty {
  position: absolute; inset: 0; display: none; align-items: center; justify-content: center;
  color: var(--muted); font-size: 15px;
}
#narration-bar {
  display: flex; gap: 12px; align-items: baseline; padding: 10px 16px; min-height: 46px;
  background: var(--panel); border-top: 1px solid var(--line);
}
#step-label {
  color: var(--muted); font-size: 12px; white-space: nowrap; font-variant-numeric: tabular-nums;
}
#narration { font-size: 15px; overflow-wrap: anywhere; white-space: pre-wrap; }
#source-head { display: flex; align-items: baseline; }
#source-head h2 { flex: 1; }
#source-line { color: var(--muted); font-size: 11px; padding-right: 14px; }
#source {
  flex: 1; min-height: 0; overflow: auto; margin: 0; padding: 4px 0 12px;
  font: 12px/1.6 var(--mono); border-bottom: 1px solid var(--line);
}
#source .ln { display: flex; padding-right: 10px; border-left: 3px solid transparent; }
#source .no {
  flex: none; width: 3.2em; padding-right: 10px; text-align: right; color: #A0A8B2;
  user-select: none;
}
#source .code { white-space: pre; }
#source .ln.sel { background: var(--accent-soft); }
#source .ln.cur { background: var(--hl); border-left-color: var(--hl-edge); }
#source .none { padding: 4px 14px; color: var(--muted); font-family: var(--sans); }
#details { flex: none; max-height: 45%; overflow: auto; padding: 0 14px 14px; }
#details .hint { color: var(--muted); margin: 0; }
#details dl { display: grid; grid-template-columns: auto 1fr; gap: 4px 12px; margin: 0; }
#details dt { color: var(--muted); }
#details dd { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
#details dd.mono { font-family: var(--mono); font-size: 12px; }
#details .swatch-title {
  display: flex; align-items: center; gap: 8px; font-weight: 600; margin-bottom: 6px;
}
#details a { color: var(--accent); cursor: pointer; text-decoration: underline; }
footer.controls {
  display: flex; align-items: center; gap: 6px; padding: 8px 16px;
  background: var(--panel); border-top: 1px solid var(--line);
}
#timeline { position: relative; flex: 1; margin: 0 10px; padding-top: 10px; }
#slider { width: 100%; margin: 0; accent-color: var(--accent); display: block; }
#markers, #phases { position: absolute; left: 7px; right: 7px; }
#markers { top: 0; height: 10px; }
#markers button {
  position: absolute; top: 0; width: 2px; min-width: 0; height: 10px; padding: 0; margin-left: -1px;
  border: 0; border-radius: 1px; background: #9AA5B1; cursor: pointer;
}
#markers button.current { background: var(--accent); }
#phases { bottom: -5px; height: 3px; border-radius: 2px; overflow: hidden; }
#phases span { position: absolute; top: 0; bottom: 0; }
#phases .forward { background: #9CC9E6; }
#phases .backward { background: #F0B48C; }
#phases .error { background: #E6A29B; }
#speed-wrap { color: var(--muted); font-size: 12px; display: flex; align-items: center; gap: 4px; }
#speed {
  padding: 3px 4px; border: 1px solid var(--line); border-radius: 6px; background: var(--panel);
}
.keys { color: #8A94A0; font-size: 11px; white-space: nowrap; }
/* Narrow windows: give the canvas the room. */
@media (max-width: 1280px) { main { grid-template-columns: 180px minmax(0, 1fr) 290px; } }
@media (max-width: 1060px) {
  main { grid-template-columns: minmax(0, 1fr) 270px; }
  aside.left, .keys { display: none; }
}
/* Scene */
.box .body { fill: var(--f, #F3F4F6); stroke: var(--c, #6B7785); stroke-width: 1.5; }
.box .strip { fill: var(--c, #6B7785); fill-opacity: .14; }
.box .strip-line { stroke: var(--c, #6B7785); stroke-opacity: .35; }
.box text { fill: var(--ink); }
.box .title { font: 600 13px var(--sans); }
.box .sub { font: 11px var(--sans); fill: var(--muted); }
.box .val { font: 12px var(--mono); }
.box .gradtext { font: 11px var(--mono); }
.box .tag { font: 600 10px var(--sans); fill: var(--c, #6B7785); }
.box .note-bg { fill: #FFFFFF; stroke: var(--c, #6B7785); stroke-opacity: .5; }
.box .note { font: italic 11px var(--sans); fill: var(--ink); }
.box.state-hidden { opacity: .2; }
.box.state-hidden .note-bg, .box.state-hidden .note { display: none; }
.box.state-freed .body { stroke-dasharray: 4 3; }
.box.state-error .body { stroke: #C0392B; stroke-width: 2.5; }
.box.state-active .body { stroke: var(--active); stroke-width: 2.5; }
.box .halo { fill: none; stroke: var(--halo); stroke-width: 7; opacity: .75; }
.box .sel { fill: none; stroke: var(--accent); stroke-width: 1.5; stroke-dasharray: 5 3; }
.box { cursor: pointer; }
.box:hover .body { filter: brightness(.97); }
.edge {
  fill: none; stroke: var(--data); stroke-width: 1.6; stroke-linejoin: round; stroke-linecap: round;
}
.edge.kind-grad { stroke: var(--grad); stroke-opacity: .8; }
.edge.kind-cut { stroke-dasharray: 6 4; }
.edge.active { stroke-width: 2.8; stroke: var(--active); stroke-opacity: 1; }
.edge.kind-grad.active { stroke: var(--grad); }
.edge.faint { opacity: .22; }
.edge-label {
  font: 10px var(--sans); fill: var(--muted);
  paint-order: stroke; stroke: #FBFCFD; stroke-width: 3px;  /* a halo keeps it legible over lines */
}
.cut-mark rect { fill: #FFFFFF; stroke: #A34700; stroke-width: 1; }
.cut-mark text { font: 600 11px var(--sans); fill: #A34700; }
.token rect { fill: var(--grad); stroke: #FFFFFF; stroke-width: 1.5; }
.token text { font: 600 11px var(--mono); fill: #FFFFFF; }
.m-data { fill: var(--data); }
.m-grad { fill: var(--grad); }
.m-active { fill: var(--active); }
"""

_JS = r"""
(function () {
  "use strict";
  const DATA = JSON.parse(document.getElementById("gradviz-data").textContent);
  const STR = DATA.strings;
  const $ = (id) => document.getElementById(id);
  const svg = $("canvas");
  const SVG_NS = svg.namespaceURI;  // taken from the page so no namespace URL is written out
  const gView = $("viewport"), gEdges = $("edges"), gBoxes = $("boxes"), gTokens = $("tokens");
  const errors = [];
  window.addEventListener("error", (ev) => errors.push(String(ev.message)));

  const str = (i) => (i < 0 ? null : STR[i]);
  const cls = (s) => String(s).replace(/[^A-Za-z0-9_-]/g, "_");

  // Expand the per-step deltas once into full row lists (rows are shared, not copied).
  const rows = [];
  {
    let pb = [], pe = [];
    for (const st of DATA.steps) {
      let b = st.B, e = st.E;
      if (!b) { b = pb.slice(); for (const d of st.dB) b[d[0]] = [b[d[0]][0]].concat(d.slice(1)); }
      if (!e) { e = pe.slice(); for (const d of st.dE) e[d[0]] = [e[d[0]][0]].concat(d.slice(1)); }
      rows.push({ b, e });
      pb = b; pe = e;
    }
  }
  const N = DATA.steps.length;

  function view(i) {
    const st = DATA.steps[i];
    const boxes = rows[i].b.map((r) => {
      const s = DATA.boxes[r[0]];
      return {
        id: s[0], role: s[1], title: s[2], subtitle: s[3], x: s[4], y: s[5], w: s[6], h: s[7],
        line: s[8], state: str(r[1]), value: str(r[2]), grad: str(r[3]), note: str(r[4]),
      };
    });
    const edges = rows[i].e.map((r) => {
      const s = DATA.edges[r[0]];
      const pts = [];
      for (let k = 0; k + 1 < s[3].length; k += 2) pts.push([s[3][k], s[3][k + 1]]);
      return { id: s[0], source: s[1], target: s[2], points: pts, label: s[4],
               kind: str(r[1]), active: !!r[2], token: str(r[3]) };
    });
    return { st, boxes, edges, episodeTitle: str(st.episodeTitle) };
  }

  // Episodes: runs of consecutive steps with the same episode index.
  const episodes = [];
  DATA.steps.forEach((st, i) => {
    const last = episodes[episodes.length - 1];
    if (last && last.episode === st.episode) last.end = i;
    else episodes.push({ episode: st.episode, title: str(st.episodeTitle), start: i, end: i });
  });
  const episodeAt = (i) => episodes.findIndex((ep) => ep.start <= i && i <= ep.end);

  // ---- small DOM helpers -------------------------------------------------
  function el(tag, attrs, parent) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const k in attrs) {
      if (attrs[k] !== null && attrs[k] !== undefined) node.setAttribute(k, attrs[k]);
    }
    if (parent) parent.appendChild(node);
    return node;
  }
  function svgText(parent, x, y, text, className, anchor) {
    const t = el("text", { x, y, class: className, "text-anchor": anchor || "middle" }, parent);
    t.textContent = text;
    return t;
  }
  function html(tag, className, text, parent) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }
  const measureCtx = document.createElement("canvas").getContext("2d");
  const rootStyle = getComputedStyle(document.documentElement);
  const SANS = rootStyle.getPropertyValue("--sans"), MONO = rootStyle.getPropertyValue("--mono");
  // Canvas fonts matching the CSS of each text kind, for measuring.
  const FONTS = {
    title: "600 13px " + SANS, sub: "11px " + SANS, val: "12px " + MONO, gradtext: "11px " + MONO,
    note: "italic 11px " + SANS, cut: "600 11px " + SANS, token: "600 11px " + MONO,
  };
  function textWidth(text, font) {
    measureCtx.font = font;
    return measureCtx.measureText(text).width;
  }
  // Shorten text with an ellipsis to fit a width; the full text is in the details panel.
  const fitCache = new Map();  // measuring dominates a 300-box step, and texts repeat
  function fit(text, font, width) {
    const key = font + "|" + width + "|" + text;
    let out = fitCache.get(key);
    if (out !== undefined) return out;
    out = text;
    if (textWidth(text, font) > width) {
      let lo = 0, hi = text.length;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (textWidth(text.slice(0, mid) + "…", font) <= width) lo = mid; else hi = mid - 1;
      }
      out = text.slice(0, lo) + "…";
    }
    if (fitCache.size > 20000) fitCache.clear();
    fitCache.set(key, out);
    return out;
  }

  // ---- polyline geometry --------------------------------------------------
  function measure(points) {
    const cum = [0];
    for (let i = 1; i < points.length; i++) {
      const dx = points[i][0] - points[i - 1][0], dy = points[i][1] - points[i - 1][1];
      cum.push(cum[i - 1] + Math.hypot(dx, dy));
    }
    return cum;
  }
  function pointAt(points, cum, frac) {
    const total = cum[cum.length - 1], d = Math.max(0, Math.min(1, frac)) * total;
    for (let i = 1; i < points.length; i++) {
      if (d <= cum[i] || i === points.length - 1) {
        const seg = cum[i] - cum[i - 1] || 1, t = (d - cum[i - 1]) / seg;
        return [points[i - 1][0] + t * (points[i][0] - points[i - 1][0]),
                points[i - 1][1] + t * (points[i][1] - points[i - 1][1])];
      }
    }
    return points[0] || [0, 0];
  }

  // ---- drawing ---------------------------------------------------------------
  const state = { index: 0, playing: false, speed: 1, selected: null, timer: null, episode: -1,
                  autoFit: true, current: null, k: 1, tx: 0, ty: 0, tokens: [], anim: null };

  function drawEdges(v, hiddenIds) {
    gEdges.replaceChildren();
    for (const e of v.edges) {
      if (e.points.length < 2) continue;
      const kind = cls(e.kind);
      const faint = hiddenIds.has(e.source) || hiddenIds.has(e.target);
      const line = el("polyline", {
        points: e.points.map((p) => p[0] + "," + p[1]).join(" "),
        class: "edge kind-" + kind + (e.active ? " active" : "") + (faint ? " faint" : ""),
      }, gEdges);
      // Gradient edges point backward, at the source end; the others forward.
      if (e.kind === "grad") line.setAttribute("marker-start", "url(#m-grad)");
      else line.setAttribute("marker-end", e.active ? "url(#m-active)" : "url(#m-data)");
      const cum = measure(e.points);
      if (e.kind === "cut") {
        const [mx, my] = pointAt(e.points, cum, 0.5);
        const g = el("g", { class: "cut-mark", transform: `translate(${mx},${my})` }, gEdges);
        const text = "✂ " + (e.label && e.label !== "cut" ? "cut · " + e.label : "cut");
        const w = textWidth(text, FONTS.cut) + 12;
        el("rect", { x: -w / 2, y: -9, width: w, height: 18, rx: 9 }, g);
        svgText(g, 0, 4, text, "");
        if (faint) g.setAttribute("opacity", ".3");  // cut from a box that does not exist yet
      } else if (e.label) {
        // Input slot names sit just above the middle of the edge.
        const [lx, ly] = pointAt(e.points, cum, 0.5);
        svgText(gEdges, lx, ly - 5, e.label, "edge-label" + (faint ? " faint" : ""));
      }
      if (e.token !== null) state.tokens.push({ e, cum });
    }
  }

  function roundedBottom(w, h, s, r) {
    const arc = `A${r},${r} 0 0 1`;
    return `M0,${h - s} H${w} V${h - r} ${arc} ${w - r},${h} H${r} ${arc} 0,${h - r} Z`;
  }

  function drawBoxes(v) {
    gBoxes.replaceChildren();
    for (const b of v.boxes) {
      const hidden = b.state === "hidden";
      const g = el("g", {
        class: "box role-" + cls(b.role) + " state-" + cls(b.state),
        transform: `translate(${b.x - b.w / 2},${b.y - b.h / 2})`,
      }, gBoxes);
      g.dataset.id = b.id;
      el("title", {}, g).textContent = b.title + (b.subtitle ? " — " + b.subtitle : "");
      if (b.state === "active") {
        el("rect", { class: "halo", x: -4, y: -4, width: b.w + 8, height: b.h + 8, rx: 11 }, g);
      }
      el("rect", { class: "body", width: b.w, height: b.h, rx: 7 }, g);
      if (state.selected === b.id)
        el("rect", { class: "sel", x: -7, y: -7, width: b.w + 14, height: b.h + 14, rx: 13 }, g);
      const isLeaf = b.role === "leaf";
      const strip = !hidden && (isLeaf || b.grad !== null);
      const stripH = strip ? Math.min(20, Math.max(14, b.h * 0.28)) : 0;
      const lines = [{ text: b.title, kind: "title" }];
      if (b.subtitle) lines.push({ text: b.subtitle, kind: "sub" });
      if (b.value !== null && !hidden) lines.push({ text: b.value, kind: "val" });
      const LH = 16, avail = b.h - stripH - 6;
      while (lines.length > 1 && lines.length * LH > avail) lines.splice(1, 1);
      const top = 3 + (avail - lines.length * LH) / 2;
      lines.forEach((ln, i) => {
        svgText(g, b.w / 2, top + i * LH + 12, fit(ln.text, FONTS[ln.kind], b.w - 12), ln.kind);
      });
      if (strip) {
        el("path", { class: "strip", d: roundedBottom(b.w, b.h, stripH, 7) }, g);
        el("line", { class: "strip-line", x1: 0, x2: b.w, y1: b.h - stripH, y2: b.h - stripH }, g);
        const text = (isLeaf ? ".grad " : "grad ") + (b.grad === null ? "None" : b.grad);
        svgText(g, b.w / 2, b.h - stripH / 2 + 4, fit(text, FONTS.gradtext, b.w - 10), "gradtext");
      }
      const tag = { done: "✓", freed: "freed", error: "error" }[b.state];
      if (tag) svgText(g, b.w - 6, 11, tag, "tag", "end");
      if (b.note !== null && !hidden) {
        const text = fit(b.note, FONTS.note, Math.max(b.w * 2, 160));
        const w = textWidth(text, FONTS.note) + 14;
        el("rect", { class: "note-bg", x: (b.w - w) / 2, y: b.h + 5, width: w, height: 19 }, g)
          .setAttribute("rx", 9.5);
        svgText(g, b.w / 2, b.h + 18, text, "note");
      }
    }
  }

  // ---- gradient tokens ----------------------------------------------------
  const TOKEN_FROM = 0.82, TOKEN_TO = 0.22;  // along the edge, measured from its source
  function drawTokens() {
    gTokens.replaceChildren();
    for (const t of state.tokens) {
      const g = el("g", { class: "token" }, gTokens);
      const text = fit(t.e.token, FONTS.token, 150);
      const w = Math.max(22, textWidth(text, FONTS.token) + 14);
      el("rect", { x: -w / 2, y: -10, width: w, height: 20, rx: 10 }, g);
      svgText(g, 0, 4, text, "");
      el("title", {}, g).textContent = "gradient " + t.e.token;
      t.g = g;
    }
  }
  function placeTokens(progress) {
    const eased = progress < 0.5 ? 2 * progress * progress : 1 - Math.pow(-2 * progress + 2, 2) / 2;
    const frac = TOKEN_FROM + (TOKEN_TO - TOKEN_FROM) * eased;
    for (const t of state.tokens) {
      const [x, y] = pointAt(t.e.points, t.cum, frac);
      t.g.setAttribute("transform", `translate(${x},${y})`);
    }
  }
  function animateTokens() {
    if (state.anim) cancelAnimationFrame(state.anim);
    state.anim = null;
    if (!state.tokens.length) return;
    const start = performance.now(), duration = 900 / state.speed;
    const frame = (now) => {
      const p = Math.min(1, (now - start) / duration);
      placeTokens(p);
      state.anim = p < 1 ? requestAnimationFrame(frame) : null;
    };
    placeTokens(0);
    state.anim = requestAnimationFrame(frame);
  }
  function settle() {
    if (state.anim) cancelAnimationFrame(state.anim);
    state.anim = null;
    placeTokens(1);
  }

  // ---- pan and zoom ---------------------------------------------------------
  function applyTransform() {
    gView.setAttribute("transform", `translate(${state.tx},${state.ty}) scale(${state.k})`);
  }
  function contentBounds(v) {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    const add = (x, y) => {
      x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
    };
    for (const b of v.boxes) {
      add(b.x - b.w / 2, b.y - b.h / 2);
      add(b.x + b.w / 2, b.y + b.h / 2 + (b.note ? 26 : 0));  // notes hang below the box
    }
    for (const e of v.edges) for (const p of e.points) add(p[0], p[1]);
    if (!isFinite(x0)) { x0 = 0; y0 = 0; x1 = v.st.w || 100; y1 = v.st.h || 100; }
    return { x0, y0, x1, y1 };
  }
  // With `readable`, never zoom out so far that text is hard to read: the view then
  // follows the step instead (as the desktop canvas does). The Fit button shows it all.
  const READABLE_ZOOM = 0.8;
  function fitView(readable = true) {
    if (!state.current) return;
    const r = svg.getBoundingClientRect();
    if (r.width < 10 || r.height < 10) return;
    const bb = contentBounds(state.current), m = 36;
    const k = Math.min((r.width - 2 * m) / Math.max(1, bb.x1 - bb.x0),
                       (r.height - 2 * m) / Math.max(1, bb.y1 - bb.y0), 1.6);
    state.k = Math.max(readable === true ? READABLE_ZOOM : 0.05, k);
    state.tx = (r.width - state.k * (bb.x0 + bb.x1)) / 2;
    state.ty = (r.height - state.k * (bb.y0 + bb.y1)) / 2;
    state.autoFit = state.k <= k;
    applyTransform();
    if (!state.autoFit) followActive(state.current);
  }
  function zoomAt(px, py, factor) {
    const k = Math.max(0.05, Math.min(8, state.k * factor));
    state.tx = px - (px - state.tx) * (k / state.k);
    state.ty = py - (py - state.ty) * (k / state.k);
    state.k = k;
    state.autoFit = false;
    applyTransform();
  }
  // After the learner zoomed in, keep the box the step is about on screen.
  function followActive(v) {
    const active = v.boxes.filter((b) => b.state === "active");
    if (!active.length) return;
    const r = svg.getBoundingClientRect(), m = 24;
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const b of active) {
      x0 = Math.min(x0, b.x - b.w / 2); x1 = Math.max(x1, b.x + b.w / 2);
      y0 = Math.min(y0, b.y - b.h / 2); y1 = Math.max(y1, b.y + b.h / 2);
    }
    const sx0 = state.tx + state.k * x0, sx1 = state.tx + state.k * x1;
    const sy0 = state.ty + state.k * y0, sy1 = state.ty + state.k * y1;
    if (sx0 >= m && sy0 >= m && sx1 <= r.width - m && sy1 <= r.height - m) return;
    state.tx = r.width / 2 - state.k * (x0 + x1) / 2;
    state.ty = r.height / 2 - state.k * (y0 + y1) / 2;
    applyTransform();
  }
  function zoomCentre(factor) {
    const r = svg.getBoundingClientRect();
    zoomAt(r.width / 2, r.height / 2, factor);
  }
  svg.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const r = svg.getBoundingClientRect();
    zoomAt(ev.clientX - r.left, ev.clientY - r.top, Math.exp(-ev.deltaY * 0.0015));
  }, { passive: false });
  let drag = null;
  svg.addEventListener("pointerdown", (ev) => {
    if (ev.button !== 0) return;
    const box = ev.target.closest ? ev.target.closest(".box") : null;
    drag = { x: ev.clientX, y: ev.clientY, tx: state.tx, ty: state.ty, moved: false,
             box: box ? box.dataset.id : null };
    try { svg.setPointerCapture(ev.pointerId); } catch (err) { /* a synthetic event */ }
  });
  svg.addEventListener("pointermove", (ev) => {
    if (!drag) return;
    const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    drag.moved = true;
    svg.classList.add("dragging");
    state.tx = drag.tx + dx; state.ty = drag.ty + dy; state.autoFit = false;
    applyTransform();
  });
  svg.addEventListener("pointerup", () => {
    if (drag && !drag.moved) select(drag.box);
    drag = null;
    svg.classList.remove("dragging");
  });
  window.addEventListener("resize", () => { if (state.autoFit) fitView(); });

  // ---- side panels --------------------------------------------------------------
  const sourceLines = [];
  (function buildSource() {
    const pre = $("source");
    if (!DATA.source) { html("div", "none", "No source code was given.", pre); return; }
    DATA.source.replace(/\r\n?/g, "\n").split("\n").forEach((text, i) => {
      const row = html("div", "ln", null, pre);
      html("span", "no", String(i + 1), row);
      html("span", "code", text || " ", row);
      sourceLines.push(row);
    });
  })();
  function scrollToLine(row) {
    const pre = $("source");
    const top = row.offsetTop - pre.offsetTop, h = row.offsetHeight;
    if (top < pre.scrollTop + h || top > pre.scrollTop + pre.clientHeight - 2 * h)
      pre.scrollTop = Math.max(0, top - pre.clientHeight / 3);
  }
  function highlightSource(line, selLine) {
    sourceLines.forEach((row, i) => {
      row.classList.toggle("cur", i + 1 === line);
      row.classList.toggle("sel", i + 1 === selLine && i + 1 !== line);
    });
    const target = sourceLines[(line || selLine || 0) - 1];
    if (target) scrollToLine(target);
    $("source-line").textContent = line ? "line " + line : "";
  }

  function showDetails() {
    const pane = $("details");
    pane.replaceChildren();
    const v = state.current;
    const b = v && state.selected !== null ? v.boxes.find((x) => x.id === state.selected) : null;
    if (!b) {
      html("p", "hint", state.selected !== null ? "The selected box is not part of this step."
                                                : "Click a box to see its details.", pane);
      return;
    }
    const head = html("div", "swatch-title", null, pane);
    html("span", "sw role-" + cls(b.role), null, head);
    html("span", "", b.title, head);
    const dl = html("dl", "", null, pane);
    const row = (label, value, mono) => {
      html("dt", "", label, dl);
      return html("dd", mono ? "mono" : "", value === null || value === "" ? "—" : value, dl);
    };
    row("Role", b.role);
    row("State", b.state);
    row("Subtitle", b.subtitle);
    row("Value", b.value, true);
    row(b.role === "leaf" ? ".grad" : "Gradient", b.grad, true);
    row("Note", b.note, true);
    const dd = row("Line", b.line === null ? null : " ");
    if (b.line !== null) {
      dd.textContent = "";
      const a = html("a", "", "line " + b.line, dd);
      a.addEventListener("click", () => {
        const target = sourceLines[b.line - 1];
        if (target) { highlightSource(v.st.line, b.line); scrollToLine(target); }
      });
    }
  }

  function select(id) {
    state.selected = id;
    render(state.index, false);
  }

  // Episodes list and timeline markers.
  (function buildEpisodes() {
    const list = $("episodes"), markers = $("markers"), phases = $("phases");
    episodes.forEach((ep, n) => {
      const li = html("li", "", null, list);
      const btn = html("button", "", null, li);
      html("span", "no", String(n + 1), btn);
      html("span", "t", ep.title || "Episode " + (n + 1), btn);
      const range = ep.start === ep.end ? "" + (ep.start + 1) : ep.start + 1 + "–" + (ep.end + 1);
      html("span", "r", range, btn);
      btn.addEventListener("click", () => go(ep.start));
      ep.button = btn;
      const mk = html("button", "", null, markers);
      mk.style.left = (N > 1 ? (100 * ep.start) / (N - 1) : 0) + "%";
      mk.title = ep.title || "Episode " + (n + 1);
      mk.tabIndex = -1;
      mk.addEventListener("click", () => go(ep.start));
      ep.marker = mk;
    });
    // Coloured runs under the slider: where the forward and backward passes are.
    let runStart = 0;
    for (let i = 1; i <= N; i++) {
      if (i < N && DATA.steps[i].phase === DATA.steps[runStart].phase) continue;
      const span = html("span", cls(DATA.steps[runStart].phase), null, phases);
      const unit = N > 1 ? 100 / (N - 1) : 100;
      span.style.left = Math.max(0, (runStart - 0.5) * unit) + "%";
      span.style.width = Math.min(100, (i - runStart) * unit) + "%";
      span.title = DATA.steps[runStart].phase;
      runStart = i;
    }
    if (!episodes.length) html("li", "hint", "No steps.", list).style.padding = "0 8px";
  })();

  // ---- the step renderer --------------------------------------------------------
  function render(i, animate) {
    if (!N) return;
    i = Math.max(0, Math.min(N - 1, i));
    state.index = i;
    const v = view(i);
    state.current = v;
    state.tokens = [];
    const hiddenIds = new Set(v.boxes.filter((b) => b.state === "hidden").map((b) => b.id));
    drawEdges(v, hiddenIds);
    drawBoxes(v);
    drawTokens();
    if (animate) animateTokens(); else settle();

    const st = v.st;
    $("counter").textContent = "Step " + (i + 1) + " / " + N;
    const badge = $("phase");
    badge.textContent = st.phase;
    badge.className = "badge " + cls(st.phase);
    const where = v.episodeTitle ? v.episodeTitle + " · " : "";
    $("step-label").textContent = where + "step " + (i + 1);
    $("narration").textContent = st.narration;
    $("slider").value = String(i);
    const sel = state.selected !== null ? v.boxes.find((b) => b.id === state.selected) : null;
    highlightSource(st.line, sel ? sel.line : null);
    const n = episodeAt(i);
    episodes.forEach((ep, k) => {
      ep.button.classList.toggle("current", k === n);
      ep.marker.classList.toggle("current", k === n);
    });
    const epButton = n >= 0 ? episodes[n].button : null;
    if (epButton && epButton.scrollIntoViewIfNeeded) epButton.scrollIntoViewIfNeeded(false);
    if (n !== state.episode) { state.episode = n; fitView(); } else if (animate) followActive(v);
    showDetails();
  }

  function go(i) { render(i, true); }
  function next() { if (state.index < N - 1) go(state.index + 1); else pause(); }
  function prev() { if (state.index > 0) go(state.index - 1); }

  function stepDelay() { return 1400 / state.speed; }
  function tick() {
    if (!state.playing) return;
    if (state.index >= N - 1) { pause(); return; }
    next();
    state.timer = setTimeout(tick, stepDelay());
  }
  function play() {
    if (!N) return;
    if (state.index >= N - 1) go(0);
    state.playing = true;
    updatePlayButton();
    clearTimeout(state.timer);
    state.timer = setTimeout(tick, stepDelay());
  }
  function pause() {
    state.playing = false;
    clearTimeout(state.timer);
    updatePlayButton();
  }
  function toggle() { if (state.playing) pause(); else play(); }
  function updatePlayButton() {
    const b = $("play");
    b.innerHTML = state.playing ? ICON_PAUSE : ICON_PLAY;
    b.title = state.playing ? "Pause (space)" : "Play (space)";
    b.setAttribute("aria-label", b.title);
  }
  const ICON_PLAY = $("play").innerHTML, ICON_PAUSE = $("icon-pause").innerHTML;

  function jumpEpisode(delta) {
    const n = episodeAt(state.index);
    const target = episodes[Math.max(0, Math.min(episodes.length - 1, n + delta))];
    if (target) go(delta < 0 && state.index > episodes[n].start ? episodes[n].start : target.start);
  }

  // ---- wiring -------------------------------------------------------------------
  const slider = $("slider");
  slider.max = String(Math.max(0, N - 1));
  slider.addEventListener("input", () => go(Number(slider.value)));
  $("first").addEventListener("click", () => go(0));
  $("prev").addEventListener("click", () => { pause(); prev(); });
  $("play").addEventListener("click", toggle);
  $("next").addEventListener("click", () => { pause(); next(); });
  $("last").addEventListener("click", () => go(N - 1));
  $("speed").addEventListener("change", (ev) => {
    state.speed = Number(ev.target.value) || 1;
    if (state.playing) { clearTimeout(state.timer); state.timer = setTimeout(tick, stepDelay()); }
  });
  $("zoom-in").addEventListener("click", () => zoomCentre(1.25));
  $("zoom-out").addEventListener("click", () => zoomCentre(0.8));
  $("zoom-fit").addEventListener("click", () => fitView(false));
  // Mouse clicks should not leave focus on a button, so space keeps meaning play/pause.
  document.querySelectorAll("button").forEach((b) => b.addEventListener("mouseup", () => b.blur()));
  document.addEventListener("keydown", (ev) => {
    const t = ev.target;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (t.tagName === "SELECT") return;
    if (t.tagName === "BUTTON" && (ev.key === " " || ev.key === "Enter")) return;
    if (t.id === "slider" && ev.key.startsWith("Arrow")) return;  // the slider moves itself
    const actions = {
      " ": toggle, ArrowRight: () => { pause(); next(); }, ArrowLeft: () => { pause(); prev(); },
      Home: () => go(0), End: () => go(N - 1), PageDown: () => jumpEpisode(1),
      PageUp: () => jumpEpisode(-1), f: () => fitView(false), F: () => fitView(false), Escape: () => select(null),
      "+": () => zoomCentre(1.25), "=": () => zoomCentre(1.25), "-": () => zoomCentre(0.8),
    };
    const action = actions[ev.key];
    if (action) { ev.preventDefault(); action(); }
  });

  if (!N) {
    $("empty").style.display = "flex";
    $("narration").textContent = "This story has no steps.";
    $("counter").textContent = "Step 0 / 0";
  } else {
    render(0, true);
    requestAnimationFrame(() => fitView());
  }

  // A small API for tests and for the curious (try gradviz.go(5) in the console).
  window.gradviz = {
    go: (i) => go(i), next, prev, play, pause, select, fit: () => fitView(false), settle,
    index: () => state.index, count: () => N, playing: () => state.playing,
    narration: () => $("narration").textContent, errors: () => errors.slice(),
    view: () => ({ k: state.k, tx: state.tx, ty: state.ty }),
  };
})();
"""

_TEMPLATE = (
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy"
  content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline';
           img-src data:">
<meta name="generator" content="gradviz">
<title>%%TITLE%% · gradviz</title>
<style>
%%CSS%%
%%ROLE_CSS%%
</style>
</head>
<body>
<header>
  <h1>%%TITLE%%</h1>
  <span id="phase" class="badge"></span>
  <span id="counter"></span>
  <span class="brand">gradviz</span>
</header>
<main>
  <aside class="left">
    <h2>Episodes</h2>
    <ol id="episodes"></ol>
    <h2>Legend</h2>
    <ul id="legend">
%%LEGEND%%
    </ul>
  </aside>
  <section class="stage">
    <div id="canvas-wrap">
      <svg id="canvas" role="img" aria-label="Computational graph">
        <defs>
          <marker id="m-data" class="m-data" viewBox="0 0 10 10" refX="9" refY="5"
            markerWidth="7" markerHeight="7" markerUnits="userSpaceOnUse"
            orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z"/></marker>
          <marker id="m-grad" class="m-grad" viewBox="0 0 10 10" refX="9" refY="5"
            markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse"
            orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z"/></marker>
          <marker id="m-active" class="m-active" viewBox="0 0 10 10" refX="9" refY="5"
            markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse"
            orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z"/></marker>
        </defs>
        <g id="viewport"><g id="edges"></g><g id="boxes"></g><g id="tokens"></g></g>
      </svg>
      <div class="zoom">
        <button id="zoom-out" title="Zoom out (-)" aria-label="Zoom out">−</button>
        <button id="zoom-in" title="Zoom in (+)" aria-label="Zoom in">+</button>
        <button id="zoom-fit" title="Fit the graph (F)">Fit</button>
      </div>
      <div id="empty">Nothing to show.</div>
    </div>
    <div id="narration-bar"><span id="step-label"></span><span id="narration"></span></div>
  </section>
  <aside class="right">
    <div id="source-head"><h2>Source</h2><span id="source-line"></span></div>
    <div id="source"></div>
    <h2>Details</h2>
    <div id="details"></div>
  </aside>
</main>
<footer class="controls">
  <button id="first" title="Jump to start (Home)" aria-label="Jump to start">"""
    + _ICONS["first"]
    + """</button>
  <button id="prev" title="Step back (←)" aria-label="Step back">"""
    + _ICONS["prev"]
    + """</button>
  <button id="play" title="Play (space)" aria-label="Play">"""
    + _ICONS["play"]
    + """</button>
  <button id="next" title="Step forward (→)" aria-label="Step forward">"""
    + _ICONS["next"]
    + """</button>
  <button id="last" title="Jump to end (End)" aria-label="Jump to end">"""
    + _ICONS["last"]
    + """</button>
  <template id="icon-pause">"""
    + _ICONS["pause"]
    + """</template>
  <div id="timeline">
    <div id="markers"></div>
    <input id="slider" type="range" min="0" max="0" value="0" aria-label="Step">
    <div id="phases"></div>
  </div>
  <label id="speed-wrap">Speed
    <select id="speed">
      <option value="0.5">0.5×</option><option value="1" selected>1×</option>
      <option value="2">2×</option><option value="4">4×</option>
    </select>
  </label>
  <span class="keys">space play · ←/→ step · PgUp/PgDn episode</span>
</footer>
<script id="gradviz-data" type="application/json">%%DATA%%</script>
<script>
%%JS%%
</script>
</body>
</html>
"""
)

_USER_PLACEHOLDER = re.compile("%%TITLE%%|%%DATA%%")


@lru_cache(maxsize=1)
def _page() -> str:
    """The page without the user's title and data: built once from the parts above."""
    page = _TEMPLATE
    for placeholder, value in (
        ("%%CSS%%", _CSS),
        ("%%ROLE_CSS%%", _role_css()),
        ("%%LEGEND%%", _legend_html()),
        ("%%JS%%", _JS),
        ("%%GRAD%%", GRAD_COLOUR),
        ("%%DATA_EDGE%%", DATA_EDGE_COLOUR),
        ("%%ACTIVE%%", ACTIVE_COLOUR),
        ("%%HALO%%", HALO_COLOUR),
    ):
        page = page.replace(placeholder, value)
    return page
