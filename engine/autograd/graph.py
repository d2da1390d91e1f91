"""torch.autograd.graph: the backward graph's node types and the graph-wide hooks.

The classes live in engine._autograd.graph (below Tensor, so Tensor and the ops can build
nodes); this is their public home, and their reprs name it.
"""

from __future__ import annotations

from .._autograd._saved_hooks import (
    disable_saved_tensors_hooks,
    save_on_cpu,
    saved_tensors_hooks,
)
from .._autograd.graph import (
    FREED_MESSAGE,
    AccumulateGrad,
    BackwardNode,
    Context,
    Node,
    RemovableHandle,
    SavedTensor,
    increment_version,
)
from ._grad_hooks import register_multi_grad_hook

__all__ = [
    "FREED_MESSAGE",
    "AccumulateGrad",
    "BackwardNode",
    "Context",
    "Node",
    "RemovableHandle",
    "SavedTensor",
    "disable_saved_tensors_hooks",
    "increment_version",
    "register_multi_grad_hook",
    "save_on_cpu",
    "saved_tensors_hooks",
]

# The public module names these classes, as before they moved down a layer.
for _cls in (
    AccumulateGrad,
    BackwardNode,
    Context,
    Node,
    RemovableHandle,
    SavedTensor,
):
    _cls.__module__ = __name__
del _cls
