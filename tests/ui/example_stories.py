"""The examples' stories for UI tests, each traced in a fresh worker process.

Tracing in the test process would give node ids that depend on what ran before
(engine counters are per process), and layouts break ties by id: a fresh process per
example keeps goldens independent of test order."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from gradviz.core.player import Player
from gradviz.core.sandbox import run_sandboxed

EXAMPLES = Path(__file__).resolve().parents[2] / "gradviz" / "assets" / "examples"
NAMES = sorted(p.stem for p in EXAMPLES.glob("*.py"))


@cache
def example_story(name: str):
    path = EXAMPLES / f"{name}.py"
    result = run_sandboxed(path.read_text(encoding="utf-8"), timeout_s=60, filename=path.name)
    # Some examples end in an error on purpose (08 backwards twice): the story stays.
    return result.story


def example_player(name: str) -> Player:
    return Player(example_story(name))
