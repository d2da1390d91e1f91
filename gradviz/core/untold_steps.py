"""Untold episodes in a story, and splicing a told one in: plain data, no engine.

An untold episode (gradviz.core.deferred) has one step of kind "untold". `splice()`
puts its told steps in that step's place, renumbering every later step. The window
uses this module without loading the engine.
"""

from __future__ import annotations

from dataclasses import replace

from .story import Episode, Step, Story

UNTOLD = "untold"  # the kind of an untold episode's one step


def is_untold(story: Story, episode: int) -> bool:
    ep = story.episodes[episode]
    return ep.first_step == ep.last_step and story.steps[ep.first_step].kind == UNTOLD


def splice(story: Story, episode: Episode, steps: tuple[Step, ...]) -> Story:
    """The story with the untold episode `episode.index` replaced by its told steps;
    every later step index moves along."""
    index = episode.index
    old = story.episodes[index]
    start, grow = old.first_step, len(steps) - 1

    def moved(k: int | None, by: int) -> int | None:
        return None if k is None else k + by

    told = _shift_episode(episode, start)
    told_steps = tuple(_renumbered(s, s.index + start, index) for s in steps)
    later = tuple(_renumbered(s, s.index + grow, s.episode) for s in story.steps[start + 1 :])
    episodes = (
        *story.episodes[:index],
        told,
        *(_shift_episode(e, grow) for e in story.episodes[index + 1 :]),
    )
    default = story.default_step
    default = moved(default, grow) if default > start else default
    return replace(
        story,
        episodes=episodes,
        steps=(*story.steps[:start], *told_steps, *later),
        default_step=default,
    )


def _renumbered(step: Step, index: int, episode: int) -> Step:
    """The step with a new index (and episode). `dataclasses.replace` re-runs __init__
    and is ten times slower: a splice renumbers every later step of a long loop."""
    twin = object.__new__(Step)
    twin.__dict__.update(step.__dict__)
    twin.__dict__["index"], twin.__dict__["episode"] = index, episode
    return twin


def _shift_episode(e: Episode, by: int) -> Episode:
    if by == 0:
        return e
    if not e.nodes:  # an untold episode: nothing but its step numbers
        twin = object.__new__(Episode)
        twin.__dict__.update(e.__dict__)
        d = twin.__dict__
        d["first_step"], d["last_step"] = e.first_step + by, e.last_step + by
        if e.backward_step is not None:
            d["backward_step"] = e.backward_step + by
        return twin
    nodes = tuple(
        replace(n, detail={**n.detail, "appears": n.detail["appears"] + by})
        if isinstance(n.detail.get("appears"), int)
        else n
        for n in e.nodes
    )
    backward = None if e.backward_step is None else e.backward_step + by
    return replace(
        e, first_step=e.first_step + by, last_step=e.last_step + by, backward_step=backward,
        nodes=nodes,
    )  # fmt: skip
