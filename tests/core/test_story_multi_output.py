"""A custom Function with two outputs receives one gradient per output, each the sum of
what was sent for that output. The story used to add every gradient sent to the node into
one sum ([4, 5] + [4, 5] + [1, 1] = [1, 1]), which was false."""

from __future__ import annotations

from test_story_custom_function import TWO_OUTPUTS

from gradviz.core.trace import trace_source

ROOT = "∂(sum(u) + sum(v × v))"


def _steps():
    return trace_source(TWO_OUTPUTS, "split.py").story.steps


def test_each_output_gets_its_own_sum() -> None:
    receive = next(
        s for s in _steps() if s.kind == "receive" and "SplitScaleBackward" in str(s.narration)
    )
    text = str(receive.narration)
    assert "2 outputs" in text
    assert f"{ROOT}/∂u = [1, 1]" in text
    assert f"{ROOT}/∂v = [4, 5] + [4, 5] = [8, 10]" in text
    assert receive.math == (
        f"{ROOT}/∂u = [1, 1]",
        f"{ROOT}/∂v = [4, 5] + [4, 5]",
        "= [8, 10]",
    )


def test_the_learners_backward_gets_both_and_the_leaf_their_result() -> None:
    steps = _steps()
    send = next(s for s in steps if s.kind == "send" and "SplitScale.backward" in "".join(s.math))
    assert "= SplitScale.backward(ctx, [1, 1], [8, 10])" in send.math
    assert send.math[-1] == "= [11, 13]"


def test_an_unnamed_root_reads_as_one_term() -> None:
    seed = next(s for s in _steps() if s.kind == "seed")
    assert f"{ROOT}/{ROOT} = 1" in str(seed.narration)
