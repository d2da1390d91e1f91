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


def test_zooming_the_timeline_spans_the_current_episode_and_follows_it(transport) -> None:
    transport.show_step(3)
    assert (transport.slider.minimum(), transport.slider.maximum()) == (0, 14)
    transport.zoom_button.click()
    assert transport.zoomed
    assert (transport.slider.minimum(), transport.slider.maximum()) == (0, 9)
    assert "episode 1" in transport.step_label.text()
    transport.go_to(11)  # into the next episode: the timeline follows it
    assert (transport.slider.minimum(), transport.slider.maximum()) == (10, 14)
    assert transport.slider.value() == 11
    transport.slider.setValue(13)  # dragging within the zoomed span steps as usual
    assert transport.step == 13
    transport.set_zoomed(False)
    assert (transport.slider.minimum(), transport.slider.maximum()) == (0, 14)
    assert transport.slider.value() == 13


def test_episode_list_updates_rows_in_place_for_the_same_episodes(qtbot) -> None:
    episodes = EpisodeList()
    qtbot.addWidget(episodes)
    episodes.set_episodes(EPISODES)
    first_item = episodes.item(0)
    told = [EPISODES[0], Episode("z = x.sum() · told", 10, 20, 15)]
    episodes.set_episodes(told)
    assert episodes.item(0) is first_item  # not rebuilt
    assert "told" in episodes.item(1).text() and "steps 11–21" in episodes.item(1).text()
    episodes.set_current_step(18)
    assert episodes.currentRow() == 1
