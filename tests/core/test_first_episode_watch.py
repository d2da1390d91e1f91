"""FirstEpisodeWatch (the window's preview of a long loop's first iteration) finds, reading
each event once, exactly what split_episodes finds in the recording so far."""

from __future__ import annotations

import pytest

import engine
from gradviz.core.story_builder import FirstEpisodeWatch, split_episodes
from gradviz.core.torch_alias import torch_is_engine

SCRIPTS = {
    "loop": (
        "import torch\n"
        "w = torch.tensor(1.0, requires_grad=True)\n"
        "for i in range(4):\n"
        "    loss = (w * 2.0 - 1.0) ** 2\n"
        "    loss.backward()\n"
        "    with torch.no_grad():\n"
        "        w -= 0.1 * w.grad\n"
        "    w.grad.zero_()\n"
        "print(w)\n"
    ),
    "zero_grad_first": (
        "import torch\n"
        "w = torch.ones(2, requires_grad=True)\n"
        "opt = torch.optim.SGD([w], lr=0.1)\n"
        "for i in range(3):\n"
        "    opt.zero_grad()\n"
        "    (w * w).sum().backward()\n"
        "    opt.step()\n"
    ),
    "one_backward_then_print": (
        "import torch\n"
        "x = torch.tensor([1.0, 2.0], requires_grad=True)\n"
        "y = (x * x).sum()\n"
        "y.backward()\n"
        "print(x.grad * 2)\n"
    ),
    "two_backwards_then_forward": (
        "import torch\n"
        "x = torch.tensor(2.0, requires_grad=True)\n"
        "(x * x).backward()\n"
        "(x * 3).backward()\n"
        "z = x * 4\n"
    ),
}


def _events(source: str) -> list:
    with torch_is_engine(), engine.autograd.record() as rec:
        exec(compile(source, "w.py", "exec"), {"__name__": "__main__"})  # noqa: S102
    return list(rec.events)


def _expected(events: list):
    groups = split_episodes(events)
    return groups[0] if len(groups) >= 2 else None


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_the_watch_agrees_with_split_episodes_at_every_length(name) -> None:
    events = _events(SCRIPTS[name])
    for step in (1, 3, 7):  # the recording as a poller sees it: grown by a few at a time
        watch, found = FirstEpisodeWatch(), None
        for n in range(0, len(events) + step, step):
            prefix = events[:n]
            got = watch.feed(prefix)
            if found is None and got is not None:
                found = got
            expected = _expected(prefix)
            assert (found is None) == (expected is None), (name, step, n)
            if expected is not None:
                assert found == expected


def test_a_loop_shows_its_first_iteration_and_a_single_backward_none() -> None:
    loop = _events(SCRIPTS["loop"])
    assert FirstEpisodeWatch().feed(loop) == split_episodes(loop)[0]
    assert FirstEpisodeWatch().feed(_events(SCRIPTS["one_backward_then_print"])) is None
