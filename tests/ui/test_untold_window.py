"""A long loop in the window: every iteration is in the timeline, and reaching an untold
one tells it in place, with the worker that ran the script."""

from __future__ import annotations

import fixtures_app
from fixtures_app import run_code

from gradviz.core import deferred, story_builder

data_dir = fixtures_app.data_dir
window = fixtures_app.window

LOOP = (
    "import torch\n"
    "x = torch.linspace(0, 1, 5)\n"
    "y = 3 * x + 2\n"
    "w = torch.tensor(0.0, requires_grad=True)\n"
    "b = torch.tensor(0.0, requires_grad=True)\n"
    "for i in range(120):\n"
    "    loss = ((w * x + b - y) ** 2).mean()\n"
    "    loss.backward()\n"
    "    with torch.no_grad():\n"
    "        w -= 0.1 * w.grad\n"
    "        b -= 0.1 * b.grad\n"
    "    w.grad.zero_()\n"
    "    b.grad.zero_()\n"
)


def test_reaching_an_untold_iteration_tells_it_in_place(qtbot, window) -> None:
    run_code(qtbot, window, LOOP, timeout_ms=60000)
    story = window._story
    assert len(story.episodes) == 120  # one per iteration, told or not
    assert window.episodes.count() == 120
    middle = 60
    assert deferred.is_untold(story, middle)
    untold_steps = window.player.step_count
    before = window.player.story.episodes[middle - 1]  # told? no: untold too; any episode
    window.show_step(story.episodes[middle].first_step)
    qtbot.waitUntil(lambda: not deferred.is_untold(window._story, middle), timeout=20000)
    told = window._story.episodes[middle]
    assert told.nodes and told.title == story.episodes[middle].title
    # The window is on the told episode's first step, and the timeline grew by its steps.
    assert window.current_step == told.first_step
    assert window.player.step_count == untold_steps + told.last_step - told.first_step
    assert window.transport.step_count == window.player.step_count
    assert "untold" not in window.current_scene().narration
    assert window.current_scene().boxes
    assert window.player.story.episodes[middle - 1].title == before.title
    assert window.episodes.count() == 120
    # Its neighbour is still untold, and the learner can step on into it.
    assert deferred.is_untold(window._story, middle + 1)
    window.transport.go_to(told.last_step + 1)
    qtbot.waitUntil(lambda: not deferred.is_untold(window._story, middle + 1), timeout=20000)
    assert len([e for e in window._story.episodes if e.nodes]) == (story_builder.FULL_EPISODES + 2)


SLOW_LOOP = LOOP.replace(
    "for i in range(120):\n", "import time\nfor i in range(120):\n    time.sleep(0.02)\n"
)


def test_a_long_loop_shows_its_first_iteration_while_it_runs(qtbot, window) -> None:
    window.files.set_text(SLOW_LOOP)
    window.run()
    qtbot.waitUntil(lambda: window._previewing, timeout=20000)
    assert window.running  # the loop goes on; its first iteration is on the canvas
    preview = window._story
    assert len(preview.episodes) == 1 and window.current_scene().boxes
    window.transport.go_to(2)
    qtbot.waitUntil(lambda: not window.running, timeout=60000)
    assert len(window._story.episodes) == 120
    assert window.current_step == 2  # the learner stays where they were
    assert window._story.steps[2] == preview.steps[2]


def test_scrubbing_a_thousand_iteration_loop_keeps_every_box_in_place(qtbot, window) -> None:
    run_code(qtbot, window, LOOP.replace("range(120)", "range(1000)"), timeout_ms=120000)
    story = window._story
    assert len(story.episodes) == 1000 and window.episodes.count() == 1000
    # Scrub across the whole timeline: untold episodes passed over are not asked for.
    for step in range(0, window.player.step_count, 23):
        window.transport.go_to(step)
    qtbot.wait(300)
    told = [e.index for e in window._story.episodes if e.nodes]
    assert len(told) <= story_builder.FULL_EPISODES + 1
    # Stop on iteration 500: it is told, and drawn exactly where iteration 2 was.
    window.transport.go_to(window._story.episodes[499].first_step)
    qtbot.waitUntil(lambda: not deferred.is_untold(window._story, 499), timeout=20000)

    def boxes_at(episode: int) -> dict:
        ep = window._story.episodes[episode]
        window.transport.go_to(ep.backward_step)
        scene = window.current_scene()
        return {(b.title, round(b.x), round(b.y)) for b in scene.boxes}

    assert boxes_at(499) == boxes_at(1)
    window.transport.set_zoomed(True)
    ep = window._story.episodes[499]
    window.transport.go_to(ep.first_step + 2)
    assert window.transport.slider.minimum() == ep.first_step
    assert window.transport.slider.maximum() == ep.last_step
