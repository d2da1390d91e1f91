"""An op's tensor parameters (a loss's target, an embedding's indices, where's condition)
are drawn as inputs: a box with an edge into the op, named in its formula, which no
gradient ever crosses."""

from __future__ import annotations

from story_helpers import record_story

CROSS_ENTROPY = (
    "import torch\nimport torch.nn.functional as F\n"
    "logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]], requires_grad=True)\n"
    "loss = F.cross_entropy(logits, torch.tensor([0, 2]))\n"
    "loss.backward()\n"
)
WHERE = (
    "import torch\n"
    "x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)\n"
    "y = torch.where(x > 0, x, torch.zeros(3)).sum()\n"
    "y.backward()\n"
)


def _node(episode, title: str):
    return next(n for n in episode.nodes if n.title == title)


def _into(episode, node_id: str) -> list:
    return [e for e in episode.edges if e.target == node_id]


def _crossed(story, edge_id: str) -> bool:
    return any(s.token is not None and s.token.edge == edge_id for s in story.steps)


def test_a_loss_target_is_an_input_box_no_gradient_crosses():
    story = record_story(CROSS_ENTROPY)[0]
    ep = story.episodes[0]
    nll = _node(ep, "NllLossBackward0")
    side = [e for e in _into(ep, nll.id) if e.label == "target"]
    assert len(side) == 1 and side[0].kind == "data"
    target = next(n for n in ep.nodes if n.id == side[0].source)
    assert target.role == "tensor" and target.subtitle.startswith("int64 [2]")
    assert not target.muted  # it feeds an op on the gradient path, as any data input
    assert nll.subtitle.endswith("nll_loss(log_softmax(logits, dim=1), [0, 2])")
    assert not _crossed(story, side[0].id)
    # The graph's own input still receives its gradient.
    assert any(_crossed(story, e.id) for e in _into(ep, nll.id) if e.label != "target")


def test_a_condition_made_by_an_op_comes_from_that_op():
    story = record_story(WHERE)[0]
    ep = story.episodes[0]
    where = _node(ep, "WhereBackward0")
    side = [e for e in _into(ep, where.id) if e.label == "condition"]
    assert len(side) == 1
    made_by = next(n for n in ep.nodes if n.id == side[0].source)
    assert made_by.role == "op" and made_by.title == "gt"  # the comparison's own box
    assert "x > 0" in where.subtitle or "gt" in where.subtitle
    assert not _crossed(story, side[0].id)
