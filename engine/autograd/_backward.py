"""The backward pass: walk the graph from the roots, most recent node first."""

from __future__ import annotations

import heapq
import itertools

import numpy as np

from .._autograd import recording as rec
from .._autograd.graph import AccumulateGrad, BackwardNode
from .._creation import tensor
from .._grad_mode import STATE, _Scope
from .._tensor import Tensor
from .anomaly_mode import ANOMALY, check_grads

_ACCUMULATE_PRIORITY = float("inf")  # PyTorch runs AccumulateGrad as soon as it is ready
_active_recorders: list = []  # recorders of the backward pass in progress


_push, _snapshot = rec._push, rec.snapshot  # the hot recording helpers, one lookup each
_ndarray = np.ndarray


def _emit(cls, *args) -> None:
    rec._emit_to(_active_recorders, cls, *args)


def make_seeds(roots: tuple, grads: tuple) -> tuple:
    """Check the outputs and build their seed gradients (implicit ones for scalars)."""
    seeds, implicit = [], []
    for i, (root, g) in enumerate(zip(roots, grads)):
        if not root.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if root._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = Tensor._make(np.ones(root._data.shape, root._data.dtype), root._dtype, False, None)
            implicit.append(True)
        else:
            if not isinstance(g, Tensor):
                g = tensor(g, dtype=root._dtype)
            if g._data.shape != root._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                    f"output[{i}] has a shape of {root.shape}."
                )
            implicit.append(False)
        seeds.append(g)
    return tuple(seeds), tuple(implicit)


def _root_edge(t):
    if t.grad_fn is not None:
        return t.grad_fn, t._output_nr
    return t._accumulator(), 0


def _dependencies(roots: list) -> dict:
    """How many edges point at each node reachable from `roots`."""
    deps: dict = {}
    seen = set(roots)
    stack = list(roots)
    while stack:
        for nxt, _ in stack.pop().next_functions:
            if nxt is None:
                continue
            if nxt in deps:
                deps[nxt] += 1
            else:
                deps[nxt] = 1
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
    return deps


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _run_hooks(hooks: dict, grad, node, kind: str, recording: bool):
    for fn in list(hooks.values()):
        out = fn(grad)
        if recording:
            seen = rec.snapshot(grad._data)
            returned = rec.snapshot(out._data) if isinstance(out, Tensor) else None
            name = getattr(fn, "__name__", repr(fn))
            _emit(rec.HookFired, kind, node.uid, name, out is not None, seen, returned)
        if out is not None:
            grad = out
    return grad


def _accumulate(node: AccumulateGrad, g, create_graph: bool, recording: bool) -> None:
    var = node.variable
    if var is None or g is None:
        return
    old = var._grad
    old_snap = rec.snapshot(old._data) if recording and old is not None else None
    if old is None:
        new = g if create_graph else Tensor._make(np.array(g._data), g._dtype, False, None)
        new._grad_of = var._uid
        var._grad = new
    elif create_graph or STATE.grad_enabled and g.requires_grad:
        new = old + g
        new._grad_of = var._uid
        var._grad = new
    else:
        old._data += g._data  # in place, like PyTorch: references to .grad see the sum
        old._vc[0] += 1
        new = old
    post = node.__dict__.get("_post_accumulate_hooks")
    if post:  # Tensor.register_post_accumulate_grad_hook: hook(tensor) once .grad is updated
        for fn in list(post.values()):
            fn(var)
    if recording:
        _push(
            _active_recorders,
            rec.GradAccumulated,
            (node.uid, var._uid, old_snap, _snapshot(g._data), _snapshot(new._data), new._uid),
        )


def run_backward(
    roots, seeds, retain_graph: bool, create_graph: bool, inputs=None, accumulate: bool = True
) -> list | None:
    """Propagate `seeds` from `roots`. With `inputs`, return their gradients (captured at
    their nodes) instead of, or in addition to, accumulating into leaves."""
    global _active_recorders
    recording = bool(STATE.recorders)
    # The ops inside backward formulas are told as backward events, not as forward ops,
    # unless create_graph=True: then they build a real graph, which is recorded op by op.
    outer, _active_recorders = _active_recorders, STATE.recorders
    if not create_graph:
        STATE.recorders = []
    _callback_frames.append([])
    _pass_nodes.append(None)  # filled by _propagate: which nodes this pass will run
    try:
        with np.errstate(all="ignore"):  # inf/nan in a gradient is the user's to see, silently
            result = _propagate(
                roots, seeds, retain_graph, create_graph, inputs, accumulate, recording
            )
    finally:
        STATE.recorders, _active_recorders = _active_recorders, outer
        callbacks = _callback_frames.pop()
        _pass_nodes.pop()
    for fn in callbacks:  # queued during this pass: run once it is over, as torch does
        fn()
    return result


_callback_frames: list[list] = []  # one list per backward pass in progress
_pass_nodes: list = []  # per pass in progress: (dependency counts, root nodes)


def will_run(node) -> bool:
    """Whether the backward pass in progress runs `node` (torch's _will_engine_execute_node)."""
    if not _pass_nodes or _pass_nodes[-1] is None:
        return False
    deps, roots = _pass_nodes[-1]
    return node in deps or node in roots


def queue_callback(fn) -> None:
    """Run `fn()` when the backward pass in progress ends (torch's engine.queue_callback)."""
    if not _callback_frames:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    _callback_frames[-1].append(fn)


def _propagate(roots, seeds, retain_graph, create_graph, inputs, accumulate, recording):
    root_edges = [_root_edge(t) for t in roots]
    root_nodes = []
    for node, _ in root_edges:
        if node not in root_nodes:
            root_nodes.append(node)
    deps = _dependencies(root_nodes)
    if _pass_nodes:
        _pass_nodes[-1] = (deps, root_nodes)
    buffers: dict = {}
    for (node, nr), g in zip(root_edges, seeds):
        buf = buffers.setdefault(node, {})
        buf[nr] = _add(buf.get(nr), g)

    capture: dict = {}  # node -> {input_nr: [positions in `inputs`]}
    if inputs is not None:
        for i, t in enumerate(inputs):
            node, nr = _root_edge(t)
            capture.setdefault(node, {}).setdefault(nr, []).append(i)
    captured = [None] * (len(inputs) if inputs is not None else 0)

    # Ties (AccumulateGrad nodes) go first-in first-out, as torch's ready queue pops them.
    order = itertools.count()
    ready: list = []
    for node in root_nodes:
        if deps.get(node, 0) == 0:
            heapq.heappush(ready, (_priority(node), next(order), node))
    heappop, heappush = heapq.heappop, heapq.heappush
    with _Scope(create_graph):
        while ready:
            node = heappop(ready)[2]
            grads = buffers.pop(node, None) or {}
            if node in capture or _has_hooks(node):
                _run_node(
                    node,
                    grads,
                    capture,
                    captured,
                    create_graph,
                    retain_graph,
                    accumulate,
                    recording,
                    buffers,
                )
            elif recording:
                _run_recorded_node(node, grads, create_graph, retain_graph, accumulate, buffers)
            else:
                _run_plain_node(node, grads, create_graph, retain_graph, accumulate, buffers)
            for nxt, _ in node.next_functions:
                if nxt is None:
                    continue
                left = deps[nxt] - 1
                deps[nxt] = left
                if left == 0:
                    heappush(ready, (_priority(nxt), next(order), nxt))
    return captured if inputs is not None else None


def _priority(node) -> float:
    """Heap key: AccumulateGrad first (as soon as ready), then the most recent node."""
    return -_ACCUMULATE_PRIORITY if node.__class__ is AccumulateGrad else -node.uid


def _has_hooks(node) -> bool:
    return bool(
        node._tensor_pre_hooks or node._retain_grad_tensors or node._pre_hooks or node._post_hooks
    )


def _run_plain_node(node, grads: dict, create_graph, retain_graph, accumulate, buffers) -> None:
    """_run_node for the common case: no hooks, no recorder, nothing captured."""
    if node.__class__ is AccumulateGrad:
        g = grads.get(0)
        if accumulate and g is not None:
            _accumulate(node, g, create_graph, False)
        return
    if len(grads) == 1 and 0 in grads:
        grad_outputs = (grads[0],)
    else:
        n_out = (max(grads) + 1) if grads else 1
        grad_outputs = tuple(grads.get(i) for i in range(n_out))
        if all(g is None for g in grad_outputs):
            return
        if any(g is None for g in grad_outputs):  # `in` would compare tensors
            grad_outputs = tuple(
                g if g is not None else _zeros_for(node, i) for i, g in enumerate(grad_outputs)
            )
    grad_inputs = node.apply(grad_outputs)
    if ANOMALY.enabled:
        check_grads(node, grad_inputs)
    for (nxt, nr), g in zip(node.next_functions, grad_inputs):
        if nxt is None or g is None:
            continue
        buf = buffers.get(nxt)
        if buf is None:
            buffers[nxt] = {nr: g}
        else:
            old = buf.get(nr)
            buf[nr] = g if old is None else old + g
    if not retain_graph and node.__class__ is BackwardNode:
        node._release()


def _run_recorded_node(node, grads: dict, create_graph, retain_graph, accumulate, buffers) -> None:
    """_run_node for a node without hooks, nothing captured, under a recorder: the same
    events, without the hook and capture bookkeeping (recording runs it for every node)."""
    recorders = _active_recorders
    if len(grads) == 1 and 0 in grads:
        g = grads[0]
        grad_outputs = (g,)
        if g is None:
            snaps = (None,)
        else:  # snapshot(), inlined for the common case: a small array
            d = g._data
            snaps = (
                d.copy()
                if d.__class__ is _ndarray and d.size <= rec.SNAPSHOT_LIMIT
                else _snapshot(d),
            )
    else:
        n_out = (max(grads) + 1) if grads else 1
        grad_outputs = tuple([grads.get(i) for i in range(n_out)])
        snaps = tuple([None if g is None else _snapshot(g._data) for g in grad_outputs])
    uid, name = node.uid, node.name()
    _push(recorders, rec.NodeStarted, (uid, name, snaps))
    for g in grad_outputs:
        if g is not None:
            break
    else:
        return  # no gradient reached this node
    if isinstance(node, AccumulateGrad):
        if accumulate:
            _accumulate(node, grad_outputs[0], create_graph, True)
        grad_inputs = ()
    else:
        for g in grad_outputs:
            if g is None:  # some outputs got no gradient: zeros (or the node's own filler)
                grad_outputs = tuple(
                    [
                        g if g is not None else _zeros_for(node, i)
                        for i, g in enumerate(grad_outputs)
                    ]
                )
                break
        grad_inputs = node.apply(grad_outputs)
        if ANOMALY.enabled:
            check_grads(node, grad_inputs)
    slot = 0
    for (nxt, nr), g in zip(node.next_functions, grad_inputs):
        if nxt is None:
            _push(
                recorders,
                rec.GradientSent,
                (uid, name, slot, None, None, nr, None, None if g is None else g._uid),
            )
        else:
            if g is None:
                snap = None
            else:  # snapshot(), inlined as above
                d = g._data
                snap = (
                    d.copy()
                    if d.__class__ is _ndarray and d.size <= rec.SNAPSHOT_LIMIT
                    else _snapshot(d)
                )
            _push(
                recorders,
                rec.GradientSent,
                (uid, name, slot, nxt.uid, nxt.name(), nr, snap, None if g is None else g._uid),
            )
            if g is not None:
                buf = buffers.get(nxt)
                if buf is None:
                    buffers[nxt] = {nr: g}
                else:
                    old = buf.get(nr)
                    buf[nr] = g if old is None else old + g
        slot += 1
    if not retain_graph and isinstance(node, BackwardNode):
        names = node.saved_names
        if node._release():
            _push(recorders, rec.BuffersFreed, (uid, name, names))


def _run_node(
    node, grads: dict, capture, captured, create_graph, retain_graph, accumulate, recording, buffers
) -> None:
    # Tensor hooks and retain_grad act on the gradient of that tensor, before the node runs.
    for nr, hooks in node._tensor_pre_hooks.items():
        if nr in grads and grads[nr] is not None and hooks:
            grads[nr] = _run_hooks(hooks, grads[nr], node, "tensor", recording)
    for nr, t in node._retain_grad_tensors.items():
        g = grads.get(nr)
        if g is not None and t is not None:
            t._grad = (
                Tensor._make(np.array(g._data), g._dtype, False, None)
                if t._grad is None
                else t._grad + g.detach()
            )
            if recording:
                _emit(rec.GradRetained, t._uid, rec.snapshot(g._data))
    for nr, slots in capture.get(node, {}).items():
        if grads.get(nr) is not None:
            for i in slots:
                captured[i] = _add(captured[i], grads[nr])
    n_out = (max(grads) + 1) if grads else 1
    grad_outputs = tuple(grads.get(i) for i in range(n_out))
    if recording:
        name = node.name()
        _push(
            _active_recorders,
            rec.NodeStarted,
            (
                node.uid,
                name,
                tuple([None if g is None else _snapshot(g._data) for g in grad_outputs]),
            ),
        )
    if all(g is None for g in grad_outputs):
        return
    if node._pre_hooks:
        for fn in list(node._pre_hooks.values()):
            out = fn(grad_outputs)
            if recording:
                _emit(
                    rec.HookFired, "pre", node.uid, getattr(fn, "__name__", "hook"), out is not None
                )
            if out is not None:
                grad_outputs = tuple(out)
    if isinstance(node, AccumulateGrad):
        if accumulate:
            _accumulate(node, grad_outputs[0], create_graph, recording)
        grad_inputs = ()
    else:
        if any(g is None for g in grad_outputs):
            grad_outputs = tuple(
                g if g is not None else _zeros_for(node, i) for i, g in enumerate(grad_outputs)
            )
        grad_inputs = node.apply(grad_outputs)
        if ANOMALY.enabled:
            check_grads(node, grad_inputs)
    if node._post_hooks:
        for fn in list(node._post_hooks.values()):
            out = fn(grad_inputs, grad_outputs)
            if recording:
                _emit(
                    rec.HookFired,
                    "post",
                    node.uid,
                    getattr(fn, "__name__", "hook"),
                    out is not None,
                )
            if out is not None:
                grad_inputs = tuple(out)
    for slot, ((nxt, nr), g) in enumerate(zip(node.next_functions, grad_inputs)):
        if recording:
            _push(
                _active_recorders,
                rec.GradientSent,
                (
                    node.uid,
                    name,
                    slot,
                    None if nxt is None else nxt.uid,
                    None if nxt is None else nxt.name(),
                    nr,
                    None if g is None or nxt is None else _snapshot(g._data),
                    None if g is None else g._uid,
                ),
            )
        if nxt is None or g is None:
            continue
        buf = buffers.setdefault(nxt, {})
        buf[nr] = _add(buf.get(nr), g)
    if not retain_graph and isinstance(node, BackwardNode):
        names = node.saved_names if recording else ()
        if node._release() and recording:
            _push(_active_recorders, rec.BuffersFreed, (node.uid, name, names))


def _zeros_for(node, i):
    fill = getattr(node, "missing_grad", None)  # custom Functions materialize zeros (or None)
    if fill is not None:
        return fill(i)
    raise RuntimeError(f"{node.name()} is missing the gradient of output {i}")
