"""The story and its layout as one versioned JSON document, loadable again.

    {"format": "gradviz-story", "version": 1,
     "direction": "LR" | "TB",
     "story": <Story.to_dict(), see story.py for its schema>,
     "layouts": [{"positions": {node id: [x, y]}, "sizes": {node id: [w, h]},
                  "edges": [[source, target, [[x, y], ...]]], "width": w, "height": h}]}

`layouts[i]` belongs to `story.episodes[i]`.

Story files are shared, so `loads` treats them as hostile: it only ever parses JSON (no
pickle, no eval), refuses NaN/Infinity, duplicate keys, deep nesting (the parser's recursion limit) and oversized
documents, and checks every field's type, every id reference and every step range
before building anything. A bad file fails with a `StoryFileError` saying where.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import math

from . import series_check
from .layout import Layout
from .player import Player
from .shared_refs import original_of
from .story import SCHEMA_VERSION, Episode, Step, Story, StoryEdge, StoryNode

FORMAT = "gradviz-story"
MAX_BYTES = 256 * 1024 * 1024  # far above any real story; stops a memory bomb early
FULL_DTYPES = {"float32": 4, "float64": 8, "int64": 8, "bool": 1}


class StoryFileError(ValueError):
    """The text is not a valid gradviz story file; the message says what and where."""


def layout_to_dict(lay: Layout) -> dict:
    return {
        "positions": {k: list(v) for k, v in lay.positions.items()},
        "sizes": {k: list(v) for k, v in lay.sizes.items()},
        "edges": [[u, v, [list(p) for p in pts]] for (u, v), pts in lay.edge_points.items()],
        "width": lay.width,
        "height": lay.height,
    }


def layout_from_dict(data: dict) -> Layout:
    return Layout(
        {k: tuple(v) for k, v in data["positions"].items()},
        {k: tuple(v) for k, v in data["sizes"].items()},
        {(u, v): tuple(tuple(p) for p in pts) for u, v, pts in data["edges"]},
        data["width"],
        data["height"],
    )


def dumps(player: Player) -> str:
    layouts = [layout_to_dict(player.layout(i)) for i in range(len(player.story.episodes))]
    return json.dumps(
        {
            "format": FORMAT,
            "version": SCHEMA_VERSION,
            "direction": player.direction,
            "story": player.story.to_dict(),
            "layouts": layouts,
        },
        allow_nan=False,
    )


def loads(text: str | bytes) -> Player:
    """A Player over the saved story, using the saved layouts (no layout is recomputed)."""
    data = parse(text)
    story = Story.from_dict(data["story"])
    player = Player(story, data.get("direction", "LR"))
    for i, lay in enumerate(data["layouts"]):
        player._layouts[i] = layout_from_dict(lay)
    return player


def parse(text: str | bytes) -> dict:
    """The checked JSON document; raises StoryFileError for anything malformed."""
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise StoryFileError(f"not a gradviz story file: larger than {MAX_BYTES} bytes")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as err:
            raise StoryFileError(f"not a gradviz story file: not UTF-8 ({err})") from None
    if not isinstance(text, str):
        raise StoryFileError("not a gradviz story file: expected text")
    if len(text) > MAX_BYTES:
        raise StoryFileError(f"not a gradviz story file: larger than {MAX_BYTES} bytes")
    try:
        data = json.loads(text, parse_constant=_no_constant, object_pairs_hook=_no_duplicates)
    except StoryFileError:
        raise
    except (json.JSONDecodeError, RecursionError) as err:
        raise StoryFileError(f"not a gradviz story file: {err}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise StoryFileError('not a gradviz story file (no "format": "gradviz-story")')
    if data.get("version") != SCHEMA_VERSION:
        raise StoryFileError(f"unsupported story version {data.get('version')!r}")
    _Checker().document(data)
    return data


# ---- parsing guards ---------------------------------------------------------------------


def _no_constant(name: str):
    raise StoryFileError(f"not a gradviz story file: {name} is not a number JSON allows")


def _no_duplicates(pairs: list) -> dict:
    out = {}
    for key, value in pairs:
        if key in out:
            raise StoryFileError(f"not a gradviz story file: the key {key!r} appears twice")
        out[key] = value
    return out


# ---- the schema -------------------------------------------------------------------------


def _names(cls) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


class _Checker:
    def fail(self, where: str, what: str):
        raise StoryFileError(f"invalid story file at {where}: {what}")

    def obj(self, value, where: str, required: set[str], allowed: set[str]) -> dict:
        if not isinstance(value, dict):
            self.fail(where, f"expected an object, got {type(value).__name__}")
        missing = sorted(required - value.keys())
        if missing:
            self.fail(where, f"missing {', '.join(missing)}")
        unknown = sorted(value.keys() - allowed)
        if unknown:
            self.fail(where, f"unknown field {unknown[0]!r}")
        return value

    def lst(self, value, where: str) -> list:
        if not isinstance(value, list):
            self.fail(where, f"expected a list, got {type(value).__name__}")
        return value

    def text(self, value, where: str, optional: bool = False) -> None:
        if optional and value is None:
            return
        if not isinstance(value, str):
            self.fail(where, f"expected a string, got {type(value).__name__}")

    def integer(self, value, where: str, optional: bool = False, low: int = 0, high=None):
        if optional and value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(where, f"expected an integer, got {type(value).__name__}")
        if value < low or (high is not None and value > high):
            self.fail(where, f"{value} is out of range")

    def number(self, value, where: str) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(where, f"expected a number, got {type(value).__name__}")
        if not math.isfinite(value):
            self.fail(where, "not a finite number")

    def flag(self, value, where: str) -> None:
        if not isinstance(value, bool):
            self.fail(where, f"expected true or false, got {type(value).__name__}")

    # ---- the document ----
    def document(self, data: dict) -> None:
        self.obj(data, "top level", {"format", "version", "story", "layouts"},
                 {"format", "version", "direction", "story", "layouts"})  # fmt: skip
        if data.get("direction", "LR") not in ("LR", "TB"):
            self.fail("direction", 'expected "LR" or "TB"')
        story = self.obj(
            data["story"],
            "story",
            {"source", "filename", "episodes", "steps"},
            _names(Story) | {"version"},
        )
        if story.get("version", SCHEMA_VERSION) != SCHEMA_VERSION:
            self.fail("story.version", f"expected {SCHEMA_VERSION}")
        self.text(story["source"], "story.source")
        self.text(story["filename"], "story.filename")
        self.flag(story.get("truncated", False), "story.truncated")
        if story.get("error") is not None:
            self.error(story["error"])
        steps = self.lst(story["steps"], "story.steps")
        episodes = self.lst(story["episodes"], "story.episodes")
        ids = [
            self.episode(e, f"story.episodes[{i}]", i, len(steps)) for i, e in enumerate(episodes)
        ]
        for k, step in enumerate(steps):
            self.step(step, f"story.steps[{k}]", k, episodes, ids)
        self.integer(
            story.get("default_step", 0), "story.default_step", high=max(0, len(steps) - 1)
        )
        series_check.check(story.get("series", {}), self.fail)
        layouts = self.lst(data["layouts"], "layouts")
        if len(layouts) != len(episodes):
            self.fail("layouts", f"{len(layouts)} layouts for {len(episodes)} episodes")
        for i, lay in enumerate(layouts):
            self.layout(lay, f"layouts[{i}]", ids[i][0])

    def error(self, err) -> None:
        fields = {"kind", "message", "line", "hint", "traceback"}
        self.obj(err, "story.error", fields, fields)
        for name in ("kind", "message", "traceback"):
            self.text(err[name], f"story.error.{name}")
        self.text(err["hint"], "story.error.hint", optional=True)
        self.integer(err["line"], "story.error.line", optional=True)

    def episode(self, e, where: str, index: int, step_count: int) -> tuple[set, set]:
        fields = _names(Episode)
        self.obj(e, where, fields, fields)
        if e["index"] != index:
            self.fail(f"{where}.index", f"expected {index}")
        self.text(e["title"], f"{where}.title")
        last = max(0, step_count - 1)
        self.integer(e["first_step"], f"{where}.first_step", high=last)
        self.integer(e["last_step"], f"{where}.last_step", low=e["first_step"], high=last)
        self.integer(e["backward_step"], f"{where}.backward_step", optional=True, high=last)
        nodes: set[str] = set()
        node_fields = _names(StoryNode)
        for j, n in enumerate(self.lst(e["nodes"], f"{where}.nodes")):
            at = f"{where}.nodes[{j}]"
            self.obj(n, at, {"id", "role", "title", "subtitle", "line"}, node_fields)
            for name in ("id", "role", "title", "subtitle"):
                self.text(n[name], f"{at}.{name}")
            if n["id"] in nodes:
                self.fail(f"{at}.id", f"{n['id']!r} appears twice")
            nodes.add(n["id"])
            self.integer(n["line"], f"{at}.line", optional=True)
            for d, size in enumerate(self.lst(n.get("shape", []), f"{at}.shape")):
                self.integer(size, f"{at}.shape[{d}]")
            self.text(n.get("dtype", ""), f"{at}.dtype")
            self.flag(n.get("muted", False), f"{at}.muted")
            detail = n.get("detail", {})
            if not isinstance(detail, dict):
                self.fail(f"{at}.detail", "expected an object")
            for key, val in detail.items():
                if key == "appears":
                    self.integer(val, f"{at}.detail.appears")
                else:
                    self.text(val, f"{at}.detail[{key!r}]")
        edges: set[str] = set()
        edge_fields = _names(StoryEdge)
        for j, x in enumerate(self.lst(e["edges"], f"{where}.edges")):
            at = f"{where}.edges[{j}]"
            self.obj(x, at, {"id", "source", "target", "kind"}, edge_fields)
            for name in ("id", "source", "target", "kind"):
                self.text(x[name], f"{at}.{name}")
            for end in ("source", "target"):
                if x[end] not in nodes:
                    self.fail(f"{at}.{end}", f"no node {x[end]!r} in this episode")
            self.integer(x.get("slot", 0), f"{at}.slot")
            self.text(x.get("label"), f"{at}.label", optional=True)
            edges.add(x["id"])
        return nodes, edges

    def step(self, s, where: str, k: int, episodes: list, ids: list) -> None:
        fields = _names(Step)
        self.obj(s, where, {"index", "episode", "phase", "kind", "narration", "line"}, fields)
        if s["index"] != k:
            self.fail(f"{where}.index", f"expected {k}")
        self.integer(s["episode"], f"{where}.episode", high=len(episodes) - 1)
        ep = episodes[s["episode"]]
        if not ep["first_step"] <= k <= ep["last_step"]:
            self.fail(f"{where}.episode", f"step {k} is outside episode {s['episode']}")
        nodes, edges = ids[s["episode"]]
        for name in ("phase", "kind", "narration"):
            self.text(s[name], f"{where}.{name}")
        self.integer(s["line"], f"{where}.line", optional=True)
        for j, f in enumerate(self.lst(s.get("focus", []), f"{where}.focus")):
            self.ref(f, nodes, f"{where}.focus[{j}]", "node")
        for j, x in enumerate(self.lst(s.get("edges", []), f"{where}.edges")):
            self.ref(x, edges, f"{where}.edges[{j}]", "edge")
        for j, m in enumerate(self.lst(s.get("math", []), f"{where}.math")):
            self.text(m, f"{where}.math[{j}]")
        self.integer(s.get("seq"), f"{where}.seq", optional=True)
        token = s.get("token")
        if token is not None:
            self.obj(token, f"{where}.token", {"edge", "text"}, {"edge", "text"})
            self.text(token["text"], f"{where}.token.text")
            self.ref(token["edge"], edges, f"{where}.token.edge", "edge")
        for j, u in enumerate(self.lst(s.get("updates", []), f"{where}.updates")):
            at = f"{where}.updates[{j}]"
            if not isinstance(u, list) or len(u) != 3:
                self.fail(at, "expected [id, field, value]")
            target, field, value = u
            self.text(target, f"{at}[0]")
            self.text(field, f"{at}[1]")
            if target not in nodes and target not in edges:
                self.fail(f"{at}[0]", f"no node or edge {target!r} in this episode")
            if field.endswith("_full"):
                self.full(value, f"{at}[2]")
            elif not isinstance(value, (str, bool)) and value is not None:
                self.fail(f"{at}[2]", f"expected a string, got {type(value).__name__}")

    def full(self, raw, where: str) -> None:
        """Raw tensor data: {dtype, shape, b64} whose bytes match the shape, or text."""
        if raw is None or isinstance(raw, str):
            return
        self.obj(raw, where, {"dtype", "shape", "b64"}, {"dtype", "shape", "b64"})
        if raw["dtype"] not in FULL_DTYPES:
            self.fail(f"{where}.dtype", f"unknown dtype {raw['dtype']!r}")
        count = 1
        for d, size in enumerate(self.lst(raw["shape"], f"{where}.shape")):
            self.integer(size, f"{where}.shape[{d}]")
            count *= size
        self.text(raw["b64"], f"{where}.b64")
        try:
            data = base64.b64decode(raw["b64"], validate=True)
        except (binascii.Error, ValueError):
            self.fail(f"{where}.b64", "not base64")
        if len(data) != count * FULL_DTYPES[raw["dtype"]]:
            self.fail(f"{where}.b64", "its length does not match the shape")

    def layout(self, lay, where: str, nodes: set) -> None:
        fields = {"positions", "sizes", "edges", "width", "height"}
        self.obj(lay, where, fields, fields)
        self.number(lay["width"], f"{where}.width")
        self.number(lay["height"], f"{where}.height")
        # A shared leaf is drawn as several boxes: the node's and its copies (shared_refs.py).
        positions = lay["positions"] if isinstance(lay["positions"], dict) else {}
        copies = {k for k in positions if k not in nodes and original_of(k, nodes) in nodes}
        nodes = nodes | copies
        for name in ("positions", "sizes"):
            table = lay[name]
            if not isinstance(table, dict):
                self.fail(f"{where}.{name}", "expected an object")
            if set(table) != nodes:
                self.fail(f"{where}.{name}", "does not list exactly the episode's nodes")
            for key, pair in table.items():
                self.pair(pair, f"{where}.{name}[{key!r}]")
        for j, item in enumerate(self.lst(lay["edges"], f"{where}.edges")):
            at = f"{where}.edges[{j}]"
            if not isinstance(item, list) or len(item) != 3:
                self.fail(at, "expected [source, target, points]")
            self.ref(item[0], nodes, f"{at}[0]", "node")
            self.ref(item[1], nodes, f"{at}[1]", "node")
            for p, point in enumerate(self.lst(item[2], f"{at}[2]")):
                self.pair(point, f"{at}[2][{p}]")

    def ref(self, value, table: set, where: str, what: str) -> None:
        self.text(value, where)
        if value not in table:
            self.fail(where, f"no {what} {value!r} in this episode")

    def pair(self, value, where: str) -> None:
        if not isinstance(value, list) or len(value) != 2:
            self.fail(where, "expected [x, y]")
        self.number(value[0], where)
        self.number(value[1], where)
