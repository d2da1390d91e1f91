"""Telling a long loop lazily: record everything once, tell each iteration on demand.

`LazyStoryBuilder` tells a loop's first and last iterations in full, like the eager
builder, but gives every iteration in between an episode of its own with one "untold"
step (its loss, so the timeline and the episode list still show every iteration).
`tell(index)` later tells that episode exactly as the eager builder would have: it
restores the world from the nearest checkpoint, folds the events up to the episode and
tells its group. `splice()` puts the told steps in the story's place of the untold one.

The builder lives where the recording is (the worker); the window asks for episodes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, fields

from engine.autograd import recording as ev

from .story import Episode, Step, Story
from .story_builder import StoryBuilder, _Episode
from .untold_steps import UNTOLD, is_untold, splice  # noqa: F401 - the public names
from .values import say
from .world import World

CHECKPOINT_EVERY = 50  # untold episodes between two saved worlds: a tell folds at most this many


@dataclass(frozen=True)
class _Untold:
    group: int  # index into the builder's groups
    iteration: int  # the loop's count before this episode
    last_backward: tuple | None


@dataclass(frozen=True)
class _Checkpoint:
    group: int  # the world as it stood before this group
    world: World
    freed_boxes: frozenset


class LazyStoryBuilder(StoryBuilder):
    """A StoryBuilder whose summarised episodes can be told later, one at a time."""

    def __init__(self, source: str, filename: str, namespace: dict) -> None:
        super().__init__(source, filename, namespace)
        self.groups: list[list] = []
        self.untold: dict[int, _Untold] = {}  # episode index -> how to tell it
        self.checkpoints: list[_Checkpoint] = []
        self.tell_count = 0  # how many episodes were told on demand (tests read it)

    def summarise(self, groups: list[list]) -> None:
        """An untold episode per group, with its loss; the world folds every event."""
        for group in groups:
            position = len(self.groups)
            self.groups.append(group)
            if position % CHECKPOINT_EVERY == 0:
                self.checkpoints.append(
                    _Checkpoint(position, copy_world(self.world), frozenset(self.freed_boxes))
                )
            index = len(self.episodes)
            self.untold[index] = _Untold(position, self.iteration, self.last_backward)
            self._add_untold(index, group)

    def _add_untold(self, index: int, group: list) -> None:
        started = next((e for e in group if isinstance(e, ev.BackwardStarted)), None)
        self.world.apply_all(group)
        line = self.line_of(started.location) if started is not None else None
        code = self.code(line) or "backward()"
        if started is not None and self.last_backward == (line, code):
            self.iteration += 1
        title = f"{index + 1}. {code} · iteration {self.iteration}"
        text = f"Iteration {self.iteration} of the loop at line {line}"
        if started is not None and started.roots and started.roots[0].value is not None:
            root = started.roots[0]
            text += f": {self.name(root.uid, 'the output')} = {say(root.value)}"
        text += ". Its steps are told when you open it."
        step = Step(len(self.steps), index, "update", UNTOLD, text, line)
        self.steps.append(step)
        self.episodes.append(Episode(index, title, step.index, step.index, None, (), ()))

    def tell(self, index: int) -> tuple[Episode, tuple[Step, ...]] | None:
        """The untold episode `index`, told in full, its steps numbered from 0."""
        spot = self.untold.get(index)
        if spot is None:
            return None
        base = max((c for c in self.checkpoints if c.group <= spot.group), key=lambda c: c.group)
        world = copy_world(base.world)
        for group in self.groups[base.group : spot.group]:
            world.apply_all(group)
        saved = (self.world, self.steps, self.episodes, self.iteration, self.last_backward)
        saved_freed = self.freed_boxes
        try:
            self.world, self.steps, self.episodes = world, [], []
            self.iteration, self.last_backward = spot.iteration, spot.last_backward
            self.freed_boxes = set(base.freed_boxes)
            _Episode(self, index).tell(self.groups[spot.group])
            self.tell_count += 1
            if not self.episodes:
                return None
            return self.episodes[0], tuple(self.steps)
        finally:
            self.world, self.steps, self.episodes, self.iteration, self.last_backward = saved
            self.freed_boxes = saved_freed


def copy_world(world: World) -> World:
    """A copy the fold can advance without touching the original (its values are
    immutable snapshots, so containers are copied, not tensors)."""
    twin = copy.copy(world)
    for f in fields(world):
        value = getattr(world, f.name)
        if isinstance(value, (dict, set, list)):
            setattr(twin, f.name, value.copy())
    twin.sent_to = {node: list(sent) for node, sent in world.sent_to.items()}
    twin.sent_from = {node: list(sent) for node, sent in world.sent_from.items()}
    return twin


def build_lazy_story(
    events: list, source: str, filename: str, namespace: dict, error, truncated: bool = False
) -> tuple[Story, LazyStoryBuilder]:
    builder = LazyStoryBuilder(source, filename, namespace)
    return builder.build(list(events), error, truncated), builder
