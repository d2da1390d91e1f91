"""The collector is paused around a layout and a scene build, and put back as it was."""

import gc

import pytest

import gradviz.core.player as player_module
from gradviz.core.gc_pause import gc_paused
from gradviz.core.trace import trace_source

SCRIPT = "import torch\nx = torch.ones(2, requires_grad=True)\n(x * 3).sum().backward()\n"


@pytest.fixture
def collecting():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_paused_inside_and_back_on_after(collecting):
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_back_on_after_an_error(collecting):
    with pytest.raises(ValueError), gc_paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_left_off_when_someone_else_turned_it_off(collecting):
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()


def test_layout_and_scene_run_with_the_collector_paused(collecting, monkeypatch):
    seen = []
    real_layout, real_build = player_module.layout_graph, player_module.Player._build_scene

    def layout_graph(*args, **kwargs):
        seen.append(("layout", gc.isenabled()))
        return real_layout(*args, **kwargs)

    def build_scene(self, k):
        seen.append(("scene", gc.isenabled()))
        return real_build(self, k)

    monkeypatch.setattr(player_module, "layout_graph", layout_graph)
    monkeypatch.setattr(player_module.Player, "_build_scene", build_scene)
    story = trace_source(SCRIPT).story
    player_module.Player(story).scene(story.default_step)
    assert seen == [("scene", False), ("layout", False)]
    assert gc.isenabled()
