"""However long the script runs, the story stays bounded and says what it summarised."""

from __future__ import annotations

from story_helpers import record_story

from gradviz.core.player import Player
from gradviz.core.story_builder import FULL_EPISODES, FULL_OPS


def test_a_long_training_loop_keeps_its_start_and_end_and_summarises_the_middle():
    story, _, _ = record_story(
        """
        import torch
        w = torch.tensor(1.0, requires_grad=True)
        for i in range(150):
            loss = (w * 2 - 5) ** 2
            loss.backward()
            with torch.no_grad():
                w -= 0.01 * w.grad
            w.grad.zero_()
        """
    )
    summaries = [s for s in story.steps if s.kind == "summary"]
    assert len(summaries) == 1
    assert "150" not in summaries[0].narration  # it counts the summarised ones, not all
    assert f"{150 - FULL_EPISODES:,} more episodes are summarised" in summaries[0].narration
    assert "loss went from" in summaries[0].narration
    assert len(story.episodes) == FULL_EPISODES + 1
    assert story.episodes[-1].title.endswith("· iteration 150")
    # The episodes after the summary still show the right values: w kept moving.
    player = Player(story)
    last = story.episodes[-1]
    w = next(n for n in last.nodes if n.title == "w")
    shown = player.state(last.first_step)[w.id]["value"]
    assert shown != "1."


def test_a_huge_graph_is_told_with_its_middle_in_one_box():
    story, _, _ = record_story(
        f"""
        import torch
        x = torch.tensor(1.0, requires_grad=True)
        y = x
        for i in range({FULL_OPS * 3}):
            y = y * 1.0001
        y.backward()
        """
    )
    (episode,) = story.episodes
    assert len(episode.nodes) < 2 * FULL_OPS + 20  # an op and its constant, for the kept ops
    assert not any(n.muted for n in episode.nodes)  # the chain still reaches y through the box
    box = next(n for n in episode.nodes if n.id == "elided")
    assert box.title == f"… {FULL_OPS * 2:,} ops"
    assert any(s.kind == "summary" for s in story.steps)
    assert len(story.steps) < 4 * FULL_OPS
    accumulate = [s for s in story.steps if s.kind == "accumulate"]
    assert accumulate and "x.grad = " in accumulate[0].narration


def test_loop_iterations_share_one_layout_so_no_box_moves():
    story, _, _ = record_story(
        """
        import torch
        w = torch.tensor([1.0, 2.0], requires_grad=True)
        for i in range(4):
            loss = ((w * 3).sin() ** 2).sum()
            loss.backward()
            with torch.no_grad():
                w -= 0.1 * w.grad
            w.grad.zero_()
        """
    )
    player = Player(story)
    episodes = story.episodes[1:]  # the first one also creates w
    places = [[player.layout(ep.index).positions[n.id] for n in ep.nodes] for ep in episodes]
    assert len(places) == 3 and places[0] == places[1] == places[2]
    titles = [[n.title for n in ep.nodes] for ep in episodes]
    assert titles[0] == titles[1] == titles[2]
