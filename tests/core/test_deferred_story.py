"""A long loop told lazily: every untold iteration, told on demand and spliced in, reads
exactly as the eager builder tells it, and telling one tells no other."""

from __future__ import annotations

import contextlib
import io
import textwrap
from dataclasses import replace

import pytest

import engine
from gradviz.core import deferred, story_builder
from gradviz.core.story_builder import build_story
from gradviz.core.torch_alias import torch_is_engine

FILENAME = "<lazy>"

LINEAR = """
import torch
torch.manual_seed(0)
x = torch.linspace(0, 1, 5)
y = 3 * x + 2
w = torch.tensor(0.0, requires_grad=True)
b = torch.tensor(0.0, requires_grad=True)
for i in range({n}):
    loss = ((w * x + b - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= 0.1 * w.grad
        b -= 0.1 * b.grad
    w.grad.zero_()
    b.grad.zero_()
print(w.item())
"""

XOR = """
import torch
import torch.nn as nn
torch.manual_seed(0)
X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y = torch.tensor([[0.0], [1.0], [1.0], [0.0]])
model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1), nn.Sigmoid())
opt = torch.optim.{opt}(model.parameters(), lr=0.1)
for epoch in range({n}):
    opt.zero_grad()
    loss = nn.functional.binary_cross_entropy(model(X), y)
    loss.backward()
    opt.step()
"""


def _record(source: str):
    source = textwrap.dedent(source).lstrip("\n")
    namespace = {"__name__": "__main__"}
    with torch_is_engine(), engine.autograd.record() as rec:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(source, FILENAME, "exec"), namespace)  # noqa: S102
    return source, list(rec.events), namespace


def _without_index(story):
    """Steps and episodes with their indices dropped (they move when splicing)."""
    steps = [replace(s, index=0) for s in story.steps]
    episodes = [(e.title, e.backward_step is not None, e.nodes, e.edges) for e in story.episodes]
    return steps, episodes


@pytest.mark.parametrize(
    "source",
    [LINEAR.format(n=90), XOR.format(n=80, opt="SGD"), XOR.format(n=70, opt="Adam")],
    ids=["linear-regression", "xor-sgd", "xor-adam"],
)
def test_every_untold_iteration_reads_as_the_eager_story(source, monkeypatch) -> None:
    source, events, namespace = _record(source)
    lazy, builder = deferred.build_lazy_story(events, source, FILENAME, namespace, None)
    untold = [e.index for e in lazy.episodes if deferred.is_untold(lazy, e.index)]
    assert len(untold) == len(lazy.episodes) - story_builder.FULL_EPISODES
    monkeypatch.setattr(story_builder, "FULL_EPISODES", 10**9)
    eager = build_story(events, source, FILENAME, namespace, None)
    assert len(eager.episodes) == len(lazy.episodes)
    # Tell them out of order, as a learner jumping around would.
    for index in sorted(untold, key=lambda k: (k * 7919) % len(untold)):
        episode, steps = builder.tell(index)
        lazy = deferred.splice(lazy, episode, steps)
    assert lazy.steps == eager.steps  # indices included: splicing renumbers exactly
    assert _without_index(lazy) == _without_index(eager)
    assert lazy.episodes == eager.episodes
    assert lazy.default_step == eager.default_step


def test_telling_one_episode_tells_no_other() -> None:
    source, events, namespace = _record(LINEAR.format(n=400))
    story, builder = deferred.build_lazy_story(events, source, FILENAME, namespace, None)
    told_before = len([e for e in story.episodes if e.nodes])
    assert told_before == story_builder.FULL_EPISODES
    middle = len(story.episodes) // 2
    assert deferred.is_untold(story, middle)
    assert "iteration" in story.episodes[middle].title
    assert "loss = " in story.steps[story.episodes[middle].first_step].narration
    episode, steps = builder.tell(middle)
    assert builder.tell_count == 1
    assert episode.nodes and len(steps) > 5
    spliced = deferred.splice(story, episode, steps)
    assert len([e for e in spliced.episodes if e.nodes]) == told_before + 1
    assert not deferred.is_untold(spliced, middle)
    assert deferred.is_untold(spliced, middle + 1)


def test_the_worker_stays_to_tell_untold_episodes_and_ends_when_closed() -> None:
    import os
    import select
    import time

    from gradviz.core import sandbox
    from gradviz.core.story import episode_from_dict, step_from_dict

    source = textwrap.dedent(LINEAR.format(n=150)).lstrip("\n")
    run = sandbox.start_run(source, timeout_s=60, lazy=True)
    result = run.wait()
    assert result.error is None and run.serving
    story = result.story
    middle = len(story.episodes) // 2
    assert deferred.is_untold(story, middle)
    assert run.ask(middle)
    answers: list = []
    deadline = time.monotonic() + 30
    while not answers and time.monotonic() < deadline:
        select.select([run.fileno()], [], [], 0.5)
        answers = run.told()
    (answer,) = answers
    assert answer["index"] == middle
    episode = episode_from_dict(answer["episode"])
    told = deferred.splice(story, episode, tuple(step_from_dict(s) for s in answer["steps"]))
    assert not deferred.is_untold(told, middle)
    assert told.episodes[middle].title == story.episodes[middle].title
    pid = run.pid
    run.close_server()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        sandbox.reap_dying()
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.02)
    else:
        raise AssertionError("the telling worker outlived close_server()")
    eager = sandbox.run_sandboxed(source, timeout_s=60)  # not lazy: everything told
    assert not any(deferred.is_untold(eager.story, e.index) for e in eager.story.episodes)
