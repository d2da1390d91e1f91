"""What the window opens a story with: its player, layout direction and first step.

Pure (no Qt calls), so the run controller can prepare it in its decoding thread: a big
story's layout and first scene are then ready before the event loop sees the result,
and the window only draws.
"""

from __future__ import annotations

from dataclasses import dataclass

from gradviz.ui.episodes import initial_step

AUTO_DIRECTION_MAX_NODES = 400  # bigger stories lay out once, left to right (then fold)


@dataclass(frozen=True)
class ViewInputs:
    """What the choice depends on in the window, read in the GUI thread."""

    direction: str  # "LR", "TB" or "auto"
    width: int  # the canvas viewport, in pixels
    height: int
    # Modules to open collapsed: the learner's last choice, or None for the default (big
    # graphs collapsed at depth 1); see gradviz/ui/module_collapse.py.
    chosen_modules: frozenset | None = None


@dataclass
class Opening:
    story: object
    player: object  # gradviz.core.player.Player, its opening scene already built
    step: int


def choose_direction(story, view: ViewInputs, known=None) -> str:
    """The chosen direction, or with "auto" the one whose layout fills the canvas at the
    larger zoom (a wide window suits left to right). `known`: a player of the story
    whose layouts may be reused (one without collapsed modules)."""
    return _choose(story, view, known)[0]


def _choose(story, view: ViewInputs, known=None):
    """(direction, the player that laid it out to choose it, or None)."""
    if view.direction != "auto":
        return view.direction, None
    from gradviz.core.player import Player

    episodes = getattr(story, "episodes", ())
    if not episodes or sum(len(e.nodes) for e in episodes) > AUTO_DIRECTION_MAX_NODES:
        return "LR", None
    vw, vh = max(view.width, 1), max(view.height, 1)
    default = getattr(story, "default_step", 0)
    index = story.steps[default].episode if 0 <= default < len(story.steps) else 0
    best, best_zoom, best_player = "LR", 0.0, None
    for direction in ("LR", "TB"):
        reuse = known is not None and known.view is None and known.direction == direction
        player = known if reuse else Player(story, direction=direction)
        if best_player is not None and player.zoom_bound(index, (vw, vh)) <= best_zoom * 1.05:
            continue  # TB cannot win: not laid out (the first frame waits for this)
        lay = player.layout(index)
        zoom = lay.zoom_to_fit((vw, vh))
        if zoom > best_zoom * 1.05:  # LR unless TB is clearly better
            best, best_zoom, best_player = direction, zoom, player
    return best, best_player


def opening_step(player, story, failed: bool) -> int:
    """Where a story opens: the step it names (the end of its last backward), else the
    first backward step; a failed script at its last step."""
    episodes = player.episodes()
    count = player.step_count
    step = initial_step(episodes, count, failed)
    default = getattr(story, "default_step", None)
    if not failed and default is not None and 0 < default < count:
        step = default
    return step


def collapsed_modules(story, chosen: frozenset | None) -> frozenset:
    """The modules a story opens with collapsed: the learner's choice (those it has), or
    before any choice the default."""
    from gradviz.core import module_view

    if chosen is not None:
        return frozenset(chosen) & set(module_view.module_classes(story))
    return module_view.default_collapsed(story)


def prepare_opening(story, view: ViewInputs, failed: bool) -> Opening:
    """Player, direction and first step, with the first scene laid out and built (with
    its modules collapsed as the window will show them: laid out once, not twice)."""
    from gradviz.core.player import Player

    direction, laid_out = _choose(story, view)
    paths = collapsed_modules(story, view.chosen_modules) if story.steps else frozenset()
    if paths:
        player = Player(story, direction, paths)
    else:  # the player that chose the direction has laid its episode out already
        player = laid_out if laid_out is not None else Player(story, direction)
    step = opening_step(player, player.story, failed)
    if 0 <= step < player.step_count:
        player.scene(step)  # cached: the window's show_step finds it ready
    return Opening(story, player, step)
