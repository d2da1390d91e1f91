"""The table of ops by name, below Tensor.

`engine._registry.register` fills it (it is the registry's REGISTRY); Tensor methods that
dispatch to an op by name (`.to`, comparisons, in-place ops, `t[k] = v`) read it at call time.
Living below Tensor, it lets Tensor reach the ops without importing the registry, which is
built on Tensor.
"""

from __future__ import annotations

OPS: dict[str, type] = {}
