from __future__ import annotations

from dataclasses import dataclass

import pytest

from gradviz.ui.episodes import EpisodeList, initial_step
from gradviz.ui.transport import Transport


@dataclass
class Episode:
    title: str
    first_step: int
    last_step: int
    backward_step: int | None


EPISODES = [Episode("y = 2 * dot(x, x)", 0, 9, 5), Episode("z = x.sum()", 10, 14, None)]


@pytest.fixture
def transport(qtbot) -> Transport:
    widget = Transport()
    qtbot.addWidget(widget)
    widget.set_story(15, EPISODES)
    widget.resize(900, 40)
    widget.show()
    return widget


def test_buttons_step_and_emit_the_new_step(qtbot, transport) -> None:
    seen: list[int] = []
    transport.stepRequested.connect(seen.append)
    transport.next_button.click()
    transport.next_button.click()
    transport.back_button.click()
    transport.end_button.click()
    transport.start_button.click()
    assert seen == [1, 2, 1, 14, 0]
    assert transport.step == 0
    assert not transport.back_button.isEnabled()


def test_phase_jumps_use_the_current_episode(transport) -> None:
    transport.go_to(7)
    transport.jump_to_forward()
    assert transport.step == 0
    transport.jump_to_backward()
    assert transport.step == 5
    transport.go_to(12)  # second episode: no backward
    assert not transport.backward_button.isEnabled()
    transport.jump_to_forward()
    assert transport.step == 10


def test_slider_seeks(transport) -> None:
    seen: list[int] = []
    transport.stepRequested.connect(seen.append)
    transport.slider.setValue(8)
    assert transport.step == 8 and seen == [8]
    assert "9 of 15" in transport.step_label.text()


def test_show_step_reflects_without_emitting(transport) -> None:
    seen: list[int] = []
    transport.stepRequested.connect(seen.append)
    transport.show_step(6)
    assert transport.step == 6 and transport.slider.value() == 6 and seen == []


def test_play_advances_on_the_timer_and_stops_at_the_end(qtbot, transport) -> None:
    transport.set_speed(4.0)
    assert transport.interval_ms == 225
    transport.go_to(12)
    transport.play()
    assert transport.playing
    qtbot.waitUntil(lambda: transport.step == 14 and not transport.playing, timeout=3000)
    transport.play()  # at the end: starts over
    assert transport.step == 0 and transport.playing
    transport.toggle_play()
    assert not transport.playing


def test_speed_box_sets_the_speed(transport) -> None:
    speeds: list[float] = []
    transport.speedChanged.connect(speeds.append)
    transport.speed_box.setCurrentIndex(0)
    assert transport.speed == 0.25 and speeds == [0.25]
    assert transport.interval_ms == 3600


def test_empty_story_disables_everything(qtbot) -> None:
    widget = Transport()
    qtbot.addWidget(widget)
    widget.set_story(0, [])
    widget.step_forward()
    widget.play()
    assert widget.step == 0 and not widget.playing
    assert not widget.play_button.isEnabled() and not widget.next_button.isEnabled()


def test_timeline_paints_episode_markers(qtbot, transport) -> None:
    image = transport.slider.grab().toImage()
    # The backward part of episode 1 is tinted orange somewhere on the groove.
    y = image.height() // 2
    reds = [image.pixelColor(x, y) for x in range(image.width())]
    assert any(c.red() > c.blue() + 30 for c in reds)


def test_episode_list_selects_and_activates(qtbot) -> None:
    episodes = EpisodeList()
    qtbot.addWidget(episodes)
    episodes.set_episodes(EPISODES)
    assert episodes.count() == 2
    episodes.set_current_step(12)
    assert episodes.currentRow() == 1
    with qtbot.waitSignal(episodes.episodeActivated) as blocker:
        episodes.itemClicked.emit(episodes.item(0))
    assert blocker.args == [0]


def test_initial_step_is_the_first_backward_step() -> None:
    assert initial_step(EPISODES, 15) == 5
    assert initial_step([Episode("a", 0, 3, None)], 4) == 0
    assert initial_step([], 0) == 0
    assert initial_step(EPISODES, 15, failed=True) == 14
