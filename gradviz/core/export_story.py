"""The story an export tells (``gradviz export --iterations N``): a long loop's first N/2
and last N/2 iterations in full, and every other one as an "untold" episode of one step
with its loss, as the window's lazy story has them (deferred.py). An exported page has
no worker to tell an untold episode on demand, so its narration says how to include it.
"""

from __future__ import annotations

from dataclasses import replace

from .deferred import UNTOLD, LazyStoryBuilder
from .story import Story

ALL = "all"
DEFAULT_ITERATIONS = 60
_LAZY_ENDING = "Its steps are told when you open it."
EXPORT_ENDING = (
    "Its steps are not in this export: export again with --iterations all "
    "(or a larger --iterations N) to include them."
)


def parse_iterations(text: str) -> int | str:
    """The value of --iterations: a count ≥ 0 or "all". Raises ValueError."""
    if text.strip().lower() == ALL:
        return ALL
    count = int(text)
    if count < 0:
        raise ValueError("--iterations must be 0 or more, or 'all'")
    return count


def build(
    events: list,
    source: str,
    filename: str,
    namespace: dict,
    error,
    truncated: bool,
    told: int | str,
) -> Story:
    """The story of a run with `told` iterations in full ("all": every one)."""
    builder = LazyStoryBuilder(source, filename, namespace)
    builder.told_in_full = ALL if told == ALL else max(0, int(told))
    story = builder.build(list(events), error, truncated)
    return for_export(story)


def for_export(story: Story) -> Story:
    """Untold steps that say how to get them told (a page cannot ask a worker)."""
    steps = tuple(
        replace(s, narration=s.narration.replace(_LAZY_ENDING, EXPORT_ENDING))
        if s.kind == UNTOLD
        else s
        for s in story.steps
    )
    return replace(story, steps=steps)
