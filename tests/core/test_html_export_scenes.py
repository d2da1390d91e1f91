"""The export reads an episode's boxes and edges from a scene the app already made (the
window opens at the page's opening step), and the page does not depend on which scene
of the episode it read them from."""

from __future__ import annotations

import pytest
from web_support import player_of

from gradviz.core import html_export
from gradviz.core.html_export import default_step, export_html
from gradviz.core.player import Player

CHAIN = """import torch
x = torch.ones(3, requires_grad=True)
y = x
for _ in range(12):
    y = y * 1.5
y.sum().backward()
"""

SHARED = """import torch
w = torch.tensor([1.0, 2.0], requires_grad=True)
a = w * 2
b = w * 3
c = (a + b + w).sum()
c.backward()
"""

LOOP = """import torch
w = torch.tensor([1.0, -1.0], requires_grad=True)
for i in range(3):
    loss = (w * w).sum()
    loss.backward()
    with torch.no_grad():
        w -= 0.1 * w.grad
    w.grad = None
"""


def _built_scenes(player: Player, monkeypatch) -> list[int]:
    built: list[int] = []
    real = player._build_scene

    def counting(k: int):
        built.append(k)
        return real(k)

    monkeypatch.setattr(player, "_build_scene", counting)
    return built


def _first_steps_page(player: Player, source: str, monkeypatch) -> str:
    """The page with every episode read from its first step's scene, as before."""
    with monkeypatch.context() as m:
        m.setattr(html_export, "_scene_steps", lambda player: {})
        return export_html(player, "s", source)


@pytest.mark.parametrize("source", [CHAIN, SHARED], ids=["chain", "shared"])
def test_an_opened_story_exports_without_a_new_scene(source, monkeypatch) -> None:
    player = player_of(source, "s.py")  # (one player: a new one may lay out otherwise)
    opening = default_step(player)
    assert opening > 0  # the first backward step, not the first step
    player.scene(opening)
    built = _built_scenes(player, monkeypatch)
    page = export_html(player, "s", source)
    assert built == []
    assert _first_steps_page(player, source, monkeypatch) == page
    assert built == [0]


def test_every_other_episode_reads_its_first_step(monkeypatch) -> None:
    player = player_of(LOOP, "loop.py")
    episodes = player.story.episodes
    assert len(episodes) >= 3
    built = _built_scenes(player, monkeypatch)
    page = export_html(player, "s", LOOP)
    opening = player.story.steps[default_step(player)].episode
    expected = {
        default_step(player) if i == opening else ep.first_step for i, ep in enumerate(episodes)
    }
    assert set(built) == expected
    assert _first_steps_page(player, LOOP, monkeypatch) == page
