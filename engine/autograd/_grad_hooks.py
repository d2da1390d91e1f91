"""Hooks on several tensors at once (torch.autograd.graph.register_multi_grad_hook)."""

from __future__ import annotations

from collections.abc import Callable, Sequence


class _MultiHandle:
    """Removes every per-tensor hook of one register_multi_grad_hook call."""

    def __init__(self, handles: list) -> None:
        self.handles = handles

    def remove(self) -> None:
        for h in self.handles:
            h.remove()

    def __enter__(self) -> _MultiHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _node_of(t):
    return t.grad_fn if t.grad_fn is not None else t._accum


def register_multi_grad_hook(tensors: Sequence, fn: Callable, *, mode: str = "all") -> _MultiHandle:
    """mode="all": fn(grads) once the last gradient this backward pass computes for `tensors`
    has arrived, one entry per tensor (None for those the pass does not reach).
    mode="any": fn(grad) with the first gradient that arrives."""
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    from ._backward import _callback_frames, queue_callback, will_run

    tensors = tuple(tensors)
    state: dict = {"pass": None}

    def start_pass() -> None:
        # First gradient of a new pass: count how many of the tensors this pass reaches.
        state["pass"] = frame = _callback_frames[-1]
        state["grads"] = [None] * len(tensors)
        state["left"] = sum(1 for t in tensors if will_run(_node_of(t)))
        queue_callback(lambda: state.update({"pass": None}) if state["pass"] is frame else None)

    def make_hook(i: int):
        def hook(grad):
            if state["pass"] is not _callback_frames[-1]:
                start_pass()
                if mode == "any":
                    fn(grad)
            if mode == "any":
                return None
            state["grads"][i] = grad
            state["left"] -= 1
            if state["left"] == 0:
                fn(state["grads"])
            return None

        return hook

    return _MultiHandle(
        [t.register_hook(make_hook(i)) for i, t in enumerate(tensors) if t.requires_grad]
    )
