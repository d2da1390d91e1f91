"""Where an iteration of `Story.series` is in the story, and back (no engine, no Qt).

The series names each iteration's episode (training_series.py). Episode indices never
move, even when a lazy story's untold episode is told and spliced in, so the step to jump
to is found in the story as it is now: the iteration's seed step if its episode is told,
else the episode's one step (an untold step is told when shown; a summary step says it
stands for many iterations).
"""

from __future__ import annotations

STAND_IN_KINDS = ("summary", "untold")


def is_loop(series: dict | None) -> bool:
    """Whether a series is a loop's, worth a plot per iteration: two backward calls or
    more, one call site among them run again. Backward calls on different lines (the
    second of a lesson on accumulation, retain_graph or detach) are no iterations, and a
    line through their outputs would draw a trend that is not there. (A story saved
    before "loop" was kept: two calls or more.)"""
    series = series or {}
    return int(series.get("iterations", 0) or 0) >= 2 and series.get("loop", True) is True


def iteration_ranges(series: dict, story) -> dict[int, tuple[int, int]]:
    """episode index -> (first, last) iteration it tells (a summary tells many)."""
    out: dict[int, tuple[int, int]] = {}
    count = len(getattr(story, "episodes", ()))
    for i, ep in enumerate(series.get("episodes", ())):
        if 0 <= ep < count:
            lo, _hi = out.get(ep, (i, i))
            out[ep] = (lo, i)
    return out


def iterations_at_step(series: dict, story, step: int, ranges: dict | None = None):
    """The iterations the story's step belongs to, (first, last), or None. A step of an
    episode with no backward (a closing print) belongs to the iteration before it."""
    steps = getattr(story, "steps", ())
    if not series or not 0 <= step < len(steps):
        return None
    ranges = iteration_ranges(series, story) if ranges is None else ranges
    episode = steps[step].episode
    hit = ranges.get(episode)
    if hit is not None:
        return hit
    before = [hi for ep, (_lo, hi) in ranges.items() if ep < episode]
    return (max(before), max(before)) if before else None


def jump_step(series: dict, story, i: int) -> int | None:
    """The story step that shows iteration i (0-based)."""
    episodes = series.get("episodes", ())
    if not 0 <= i < len(episodes) or not 0 <= episodes[i] < len(story.episodes):
        return None
    ep = story.episodes[episodes[i]]
    seeds = [k for k in range(ep.first_step, ep.last_step + 1) if story.steps[k].kind == "seed"]
    # The j-th backward call told in this episode is its j-th seed step.
    j = i - next(k for k in range(i + 1) if episodes[k] == episodes[i])
    return seeds[j] if j < len(seeds) else ep.first_step


def stand_in(series: dict, story, i: int) -> str | None:
    """ "summary" or "untold" when iteration i is not told step by step now, else None."""
    episodes = series.get("episodes", ())
    if not 0 <= i < len(episodes) or not 0 <= episodes[i] < len(story.episodes):
        return None
    ep = story.episodes[episodes[i]]
    kind = story.steps[ep.first_step].kind if ep.first_step < len(story.steps) else ""
    return kind if ep.first_step == ep.last_step and kind in STAND_IN_KINDS else None


def hidden_iterations(series: dict, story) -> list[int]:
    """The iterations a summary or an untold episode stands for, now."""
    ranges = iteration_ranges(series, story)
    out = []
    for _ep, (lo, hi) in sorted(ranges.items()):
        if stand_in(series, story, lo) is not None:
            out += range(lo, hi + 1)
    return out
