"""The story and its layout as one versioned JSON document, loadable again.

    {"format": "gradviz-story", "version": 1,
     "direction": "LR" | "TB",
     "story": <Story.to_dict(), see story.py for its schema>,
     "layouts": [{"positions": {node id: [x, y]}, "sizes": {node id: [w, h]},
                  "edges": [[source, target, [[x, y], ...]]], "width": w, "height": h}]}

`layouts[i]` belongs to `story.episodes[i]`.
"""

from __future__ import annotations

import json

from .layout import Layout
from .player import Player
from .story import SCHEMA_VERSION, Story

FORMAT = "gradviz-story"


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
        }
    )


def loads(text: str) -> Player:
    """A Player over the saved story, using the saved layouts (no layout is recomputed)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"not a gradviz story file: {err}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError("not a gradviz story file")
    if data.get("version") != SCHEMA_VERSION:
        raise ValueError(f"unsupported story version {data.get('version')!r}")
    story = Story.from_dict(data["story"])
    player = Player(story, data.get("direction", "LR"))
    for i, lay in enumerate(data["layouts"]):
        player._layouts[i] = layout_from_dict(lay)
    return player
