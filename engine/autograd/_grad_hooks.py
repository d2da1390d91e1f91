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


def register_multi_grad_hook(tensors: Sequence, fn: Callable, *, mode: str = "all") -> _MultiHandle:
    """mode="all": fn(grads) once per backward pass, one entry per tensor (None for those the
    pass gave no gradient). mode="any": fn(grad) with the first gradient that arrives."""
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    from ._backward import queue_callback

    tensors = tuple(tensors)
    state = {"grads": [None] * len(tensors), "pending": False}

    def finish() -> None:
        grads = state["grads"]
        state["grads"], state["pending"] = [None] * len(tensors), False
        if mode == "all":
            fn(grads)

    def make_hook(i: int):
        def hook(grad):
            if mode == "any":
                if not state["pending"]:
                    state["pending"] = True
                    queue_callback(finish)
                    fn(grad)
                return None
            state["grads"][i] = grad
            if not state["pending"]:
                state["pending"] = True
                queue_callback(finish)
            return None

        return hook

    return _MultiHandle(
        [t.register_hook(make_hook(i)) for i, t in enumerate(tensors) if t.requires_grad]
    )
