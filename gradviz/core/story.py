"""The story: plain, immutable, JSON-serialisable data describing a script's autograd history.

Schema (version 1), as written by `Story.to_dict()`:

    {"version": 1, "source": str, "filename": str, "truncated": bool,
     "error": {kind, message, line, hint, traceback} | null,
     "episodes": [{"index", "title", "first_step", "last_step", "backward_step" | null,
                   "nodes": [Node], "edges": [Edge]}],
     "steps": [Step]}
    Node  = {"id", "role", "title", "subtitle", "line", "shape", "dtype", "detail": {str: str},
             "muted": bool}   # muted: on no path to any backward root (comparisons, prints)
    Edge  = {"id", "source", "target", "kind", "slot", "label"}   # kind: data | cut | seed
    Step  = {"index", "episode", "phase", "kind", "narration", "line", "focus": [node id],
             "edges": [edge id], "token": {"edge", "text"} | null,
             "updates": [[node id, field, text]],
             "math": [str],   # the chain rule written out with numbers, one line each
             "seq": int | null}   # the recorded event the step tells
    Story.default_step: where a viewer opens (the end of the last backward episode)
    Story.series: the loss, leaf values and printed scalars per iteration, covering every
        iteration even when the middle ones are summarised (see training_series.py)

A step's `updates` set a node's `value`, `grad`, `note` or `state` from that step on,
within its episode; the state at step k is the fold of its episode's updates up to k.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from .errors import ErrorInfo

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class StoryNode:
    id: str
    role: str
    title: str
    subtitle: str
    line: int | None
    shape: tuple = ()
    dtype: str = ""
    detail: dict = field(default_factory=dict)  # inspector rows that do not change
    muted: bool = False  # no gradient can flow from it to any backward root


@dataclass(frozen=True)
class StoryEdge:
    id: str
    source: str
    target: str
    kind: str  # "data" | "cut" | "seed" (a gradient= tensor becoming the seed)
    slot: int = 0
    label: str | None = None


@dataclass(frozen=True)
class Token:
    edge: str
    text: str


@dataclass(frozen=True)
class Step:
    index: int
    episode: int
    phase: str  # "forward" | "backward" | "update" | "error"
    kind: str  # "create", "op", "seed", "receive", "send", "accumulate", "hook", "free", ...
    narration: str
    line: int | None
    focus: tuple = ()
    edges: tuple = ()
    token: Token | None = None
    updates: tuple = ()  # (node id, field, text or plain tensor data for *_full fields)
    math: tuple = ()  # the chain rule with its numbers: "∂y/∂z = ∂y/∂a · a·(1 − a)", "= …"
    seq: int | None = None  # index of the recorded event this step tells


@dataclass(frozen=True)
class Episode:
    index: int
    title: str
    first_step: int
    last_step: int
    backward_step: int | None
    nodes: tuple
    edges: tuple


@dataclass(frozen=True)
class Story:
    source: str
    filename: str
    episodes: tuple
    steps: tuple
    error: ErrorInfo | None = None
    truncated: bool = False
    default_step: int = 0  # where a viewer opens: the end of the last episode with a backward
    series: dict = field(default_factory=dict)  # training_series.compute: every iteration

    @classmethod
    def empty(cls, source: str = "", error: ErrorInfo | None = None) -> Story:
        return cls(source, "<editor>", (), (), error)

    def to_dict(self) -> dict:
        """The schema's dict. Built by hand, not with `asdict` (which deep-copies every
        tuple and was most of a run's encoding time); values are JSON-ready as they are."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["episodes"] = [episode_to_dict(e) for e in self.episodes]
        data["steps"] = [step_to_dict(s) for s in self.steps]
        data["error"] = asdict(self.error) if self.error is not None else None
        data["version"] = SCHEMA_VERSION
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Story:
        version = data.get("version")
        if version != SCHEMA_VERSION:
            raise ValueError(f"unsupported story version {version!r} (expected {SCHEMA_VERSION})")
        episodes = tuple(episode_from_dict(e) for e in data["episodes"])
        steps = tuple(step_from_dict(s) for s in data["steps"])
        error = ErrorInfo(**data["error"]) if data.get("error") else None
        return cls(
            data["source"],
            data["filename"],
            episodes,
            steps,
            error,
            data.get("truncated", False),
            data.get("default_step", 0),
            data.get("series") or {},
        )


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # dataclass -> its field names, in order


def _shallow(obj) -> dict:
    # (fields() walks the class's whole field table per call: a long story has 10^4 steps)
    names = _FIELD_NAMES.get(type(obj))
    if names is None:
        names = _FIELD_NAMES[type(obj)] = tuple(f.name for f in fields(obj))
    return {name: getattr(obj, name) for name in names}


def episode_from_dict(e: dict) -> Episode:
    return Episode(
        e["index"],
        e["title"],
        e["first_step"],
        e["last_step"],
        e["backward_step"],
        tuple(StoryNode(**{**n, "shape": tuple(n["shape"])}) for n in e["nodes"]),
        tuple(StoryEdge(**x) for x in e["edges"]),
    )


def step_from_dict(s: dict) -> Step:
    return Step(
        **{
            **s,
            "focus": tuple(s["focus"]),
            "edges": tuple(s["edges"]),
            "token": Token(**s["token"]) if s["token"] else None,
            "updates": tuple(tuple(u) for u in s["updates"]),
            "math": tuple(s.get("math", ())),
        }
    )


def episode_to_dict(e: Episode) -> dict:
    data = _shallow(e)
    data["nodes"] = [_shallow(n) for n in e.nodes]
    data["edges"] = [_shallow(x) for x in e.edges]
    return data


def step_to_dict(s: Step) -> dict:
    data = _shallow(s)
    if s.token is not None:
        data["token"] = _shallow(s.token)
    return data
