"""Quick makers for the story's most numerous frozen records: steps, edges, boxes, tokens.

A frozen dataclass's __init__ sets every field through object.__setattr__ (its own
__setattr__ refuses), a dozen slow calls per Step; a long script's story makes tens of
thousands of steps, boxes and edges, and their __init__ was a sixth of telling it. A maker
fills the new instance's __dict__ instead: the same object (fields, equality, hash, repr)
the class would build. Should story.py change a record (another field, a __post_init__),
its maker is the class itself again, so nothing is ever built half-way.
"""

from __future__ import annotations

from dataclasses import fields

from .story import Step, StoryEdge, StoryNode, Token

_new = object.__new__


def _fits(cls, names: tuple[str, ...]) -> bool:
    """Whether `cls` is still exactly the record these makers fill."""
    return (
        tuple(f.name for f in fields(cls)) == names
        and not hasattr(cls, "__post_init__")
        and "__slots__" not in cls.__dict__
    )


def _step(index, episode, phase, kind, narration, line, focus, edges, token, updates, math, seq):
    step = _new(Step)
    d = step.__dict__
    d["index"] = index
    d["episode"] = episode
    d["phase"] = phase
    d["kind"] = kind
    d["narration"] = narration
    d["line"] = line
    d["focus"] = focus
    d["edges"] = edges
    d["token"] = token
    d["updates"] = updates
    d["math"] = math
    d["seq"] = seq
    return step


def _edge(id, source, target, kind, slot, label):  # noqa: A002 - the field's name
    edge = _new(StoryEdge)
    d = edge.__dict__
    d["id"] = id
    d["source"] = source
    d["target"] = target
    d["kind"] = kind
    d["slot"] = slot
    d["label"] = label
    return edge


def _node(id, role, title, subtitle, line, shape, dtype, detail, muted):  # noqa: A002
    node = _new(StoryNode)
    d = node.__dict__
    d["id"] = id
    d["role"] = role
    d["title"] = title
    d["subtitle"] = subtitle
    d["line"] = line
    d["shape"] = shape
    d["dtype"] = dtype
    d["detail"] = detail
    d["muted"] = muted
    return node


def _token(edge, text):
    token = _new(Token)
    d = token.__dict__
    d["edge"] = edge
    d["text"] = text
    return token


_STEP = (
    "index", "episode", "phase", "kind", "narration", "line",
    "focus", "edges", "token", "updates", "math", "seq",
)  # fmt: skip
_EDGE = ("id", "source", "target", "kind", "slot", "label")
_NODE = ("id", "role", "title", "subtitle", "line", "shape", "dtype", "detail", "muted")
_TOKEN = ("edge", "text")

# Every argument is given, in the order of the class's fields.
step = _step if _fits(Step, _STEP) else Step
edge = _edge if _fits(StoryEdge, _EDGE) else StoryEdge
node = _node if _fits(StoryNode, _NODE) else StoryNode
token = _token if _fits(Token, _TOKEN) else Token
