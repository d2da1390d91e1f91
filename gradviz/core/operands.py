"""An op's operands as the learner's call takes them: its differentiable inputs and the
tensor parameters the story draws as inputs too (a loss's target, where's condition, an
embedding's indices), which track no gradient and get none."""

from __future__ import annotations

from engine.autograd import recording as ev

# Tensor parameters a call takes before its inputs: where(condition, x, y),
# embedding(indices, weight).
_LEADING = ("condition", "indices")


def side_inputs(op: ev.OpRan) -> tuple:
    """(name, TensorInfo) of the op's tensor parameters drawn as inputs: those that track
    no gradient. No gradient flows along their edges."""
    side = op.side
    if not side:  # most ops: a story asks for every op's operands, several times
        return ()
    return tuple([(k, i) for k, i in side if not i.requires_grad])


def call_operands(op: ev.OpRan) -> tuple | list:
    """The op's inputs and drawn tensor parameters, in its call's order."""
    if not op.side:
        return op.inputs
    side = side_inputs(op)
    if not side:
        return op.inputs
    lead = [i for k, i in side if k in _LEADING]
    return lead + list(op.inputs) + [i for k, i in side if k not in _LEADING]
