"""The world as the recording saw it: a pure fold over the engine's events.

`World.apply(event)` advances the state by one event. Everything a story shows at a step
(values, .grad, versions, which node saved what, who produced which tensor) is read from
the world as it stood after that step's event, so no box can show a stale number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.autograd import recording as ev

_TensorInfo = ev.TensorInfo


@dataclass
class World:
    tensors: dict[int, ev.TensorInfo] = field(default_factory=dict)  # latest info per uid
    grads: dict[int, np.ndarray | None] = field(default_factory=dict)  # leaf uid -> .grad
    ops: dict[int, ev.OpRan] = field(default_factory=dict)  # node uid -> op that made it
    produced: dict[int, ev.OpRan] = field(default_factory=dict)  # tensor uid -> its op
    created: dict[int, ev.TensorCreated] = field(default_factory=dict)
    detached: dict[int, ev.Detached] = field(default_factory=dict)  # result uid -> event
    data_of: dict[int, int] = field(default_factory=dict)  # `t.data` uid -> t's uid
    acc_leaf: dict[int, int] = field(default_factory=dict)  # AccumulateGrad uid -> leaf uid
    grad_owner: dict[int, int] = field(default_factory=dict)  # .grad tensor uid -> leaf uid
    freed: set[int] = field(default_factory=set)  # node uids whose saved tensors are gone
    in_backward: ev.BackwardStarted | None = None  # the backward call in progress
    returned: dict[int, int | None] = field(default_factory=dict)  # grad(): input -> result
    last_op: ev.OpRan | None = None  # the latest op (the right-hand side of `w -= lr * g`)
    before_inplace: ev.TensorInfo | None = None  # the tensor an in-place change just changed
    # Within the backward call in progress:
    upstream: dict[int, np.ndarray | None] = field(default_factory=dict)  # node -> ∂root/∂out
    # node -> ∂root/∂ each of its outputs (a custom Function may have several)
    upstreams: dict[int, tuple] = field(default_factory=dict)
    sent_to: dict[int, list] = field(default_factory=dict)  # node -> gradients sent to it
    # node -> (which of its outputs, sending node, its slot) of each gradient in sent_to
    sent_from: dict[int, list] = field(default_factory=dict)

    # ----- the fold ------------------------------------------------------------------------
    def apply(self, e) -> None:
        fold = _FOLDS.get(type(e))
        if fold is not None:
            fold(self, e)

    def apply_all(self, events) -> None:
        """apply() for each event, in order (one dispatch per event, no call of its own:
        a long loop's summarised iterations fold hundreds of thousands of them)."""
        folds = _FOLDS
        for e in events:
            fold = folds.get(type(e))
            if fold is not None:
                fold(self, e)

    def see(self, info) -> None:
        if isinstance(info, ev.TensorInfo):
            self.tensors[info.uid] = info

    # ----- reading -----------------------------------------------------------------------
    def value(self, uid: int):
        info = self.tensors.get(uid)
        return info.value if info is not None else None

    def is_leaf_tensor(self, uid: int) -> bool:
        return uid not in self.produced or self.produced[uid].node is None


def _tensor_created(w: World, e: ev.TensorCreated) -> None:
    w.see(e.tensor)
    w.created[e.tensor.uid] = e


def _requires_grad_set(w: World, e: ev.RequiresGradSet) -> None:
    w.see(e.tensor)


def _op_ran(w: World, e: ev.OpRan) -> None:
    tensors = w.tensors  # see(), inlined: it runs for every operand of every op
    for inp in e.inputs:
        if isinstance(inp, _TensorInfo):
            tensors[inp.uid] = inp
    out = e.output
    tensors[out.uid] = out
    w.produced[out.uid] = e
    w.last_op = e
    if e.node is not None:
        w.ops[e.node] = e
        for x in e.next_functions:
            if x.tensor is not None and x.node is not None:
                w.acc_leaf[x.node] = x.tensor


def _detached(w: World, e: ev.Detached) -> None:
    w.see(e.result)
    w.detached[e.result.uid] = e


def _data_taken(w: World, e: ev.DataTaken) -> None:
    w.see(e.result)
    w.data_of[e.result.uid] = w.data_of.get(e.source, e.source)  # w.data.data: still w


def _inplace(w: World, e: ev.InplaceModified) -> None:
    w.before_inplace = w.tensors.get(e.tensor.uid)
    w.see(e.tensor)
    changed = [e.tensor.uid]
    source = w.data_of.get(e.tensor.uid)
    if source is not None:  # `w.data -= …`: the same storage, so w's numbers change too
        info = w.tensors.get(source)
        if info is not None:
            w.tensors[source] = info._replace(value=e.tensor.value)
        changed.append(source)
    for uid in changed:
        owner = w.grad_owner.get(uid)
        if owner is not None:  # an in-place change to a .grad tensor changes the leaf's .grad
            w.grads[owner] = e.tensor.value


def _param_updated(w: World, e: ev.ParamUpdated) -> None:
    w.see(e.tensor)


def _grad_zeroed(w: World, e: ev.GradZeroed) -> None:
    w.see(e.grad)
    w.grad_owner[e.grad.uid] = e.owner
    w.grads[e.owner] = e.grad.value


def _grad_set(w: World, e: ev.GradSet) -> None:
    w.grads[e.owner] = e.grad.value if e.grad is not None else None
    if e.grad is not None:
        w.see(e.grad)
        w.grad_owner[e.grad.uid] = e.owner


def _backward_started(w: World, e: ev.BackwardStarted) -> None:
    for root in e.roots:
        w.see(root)
    w.in_backward = e
    w.returned, w.upstream, w.sent_to, w.upstreams, w.sent_from = {}, {}, {}, {}, {}


def _node_started(w: World, e: ev.NodeStarted) -> None:
    w.upstream[e.node] = e.grad_outputs[0] if e.grad_outputs else None
    w.upstreams[e.node] = e.grad_outputs


def _gradient_sent(w: World, e: ev.GradientSent) -> None:
    if e.to_node is not None and e.grad is not None:
        sent = w.sent_to.get(e.to_node)  # (no throw-away list per edge, as setdefault makes)
        if sent is None:
            w.sent_to[e.to_node] = [e.grad]
            w.sent_from[e.to_node] = [(e.input_nr, e.node, e.slot)]
        else:
            sent.append(e.grad)
            w.sent_from[e.to_node].append((e.input_nr, e.node, e.slot))


def _grad_accumulated(w: World, e: ev.GradAccumulated) -> None:
    w.grads[e.tensor] = e.new
    w.grad_owner[e.grad_uid] = e.tensor
    info = w.tensors.get(e.grad_uid)
    if info is not None:  # the .grad tensor itself, if the script holds it, has new values
        w.tensors[e.grad_uid] = info._replace(value=e.new)


def _buffers_freed(w: World, e: ev.BuffersFreed) -> None:
    w.freed.add(e.node)


def _grads_returned(w: World, e: ev.GradsReturned) -> None:
    for inp, g in zip(e.inputs, e.grads):
        w.returned[inp.uid] = g.uid if g is not None else None
        if g is not None:
            w.see(g)


def _backward_finished(w: World, e: ev.BackwardFinished) -> None:
    w.in_backward = None


# How each kind of event changes the world (FOLDS: for loops that fold many events inline).
FOLDS = _FOLDS = {
    ev.TensorCreated: _tensor_created,
    ev.RequiresGradSet: _requires_grad_set,
    ev.OpRan: _op_ran,
    ev.Detached: _detached,
    ev.DataTaken: _data_taken,
    ev.InplaceModified: _inplace,
    ev.ParamUpdated: _param_updated,
    ev.GradZeroed: _grad_zeroed,
    ev.GradSet: _grad_set,
    ev.BackwardStarted: _backward_started,
    ev.NodeStarted: _node_started,
    ev.GradientSent: _gradient_sent,
    ev.GradAccumulated: _grad_accumulated,
    ev.BuffersFreed: _buffers_freed,
    ev.GradsReturned: _grads_returned,
    ev.BackwardFinished: _backward_finished,
}
