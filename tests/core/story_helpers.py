"""Run a script on the engine under a recorder and build its story, keeping the events."""

from __future__ import annotations

import contextlib
import io
import textwrap

import engine
from gradviz.core.player import Player
from gradviz.core.story_builder import build_story
from gradviz.core.torch_alias import torch_is_engine

FILENAME = "<facts>"


def record_story(source: str):
    """(story, events, stdout) for a script whose `import torch` gives the engine."""
    source = textwrap.dedent(source).lstrip("\n")
    namespace = {"__name__": "__main__"}
    code = compile(source, FILENAME, "exec")
    out = io.StringIO()
    with torch_is_engine(), engine.autograd.record() as rec, contextlib.redirect_stdout(out):
        exec(code, namespace)  # noqa: S102
    story = build_story(rec.events, source, FILENAME, namespace, None)
    return story, list(rec.events), out.getvalue()


def player_of(source: str) -> Player:
    return Player(record_story(source)[0])
