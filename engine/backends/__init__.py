"""torch.backends: which accelerators exist (none; the engine runs numpy on the CPU)."""

from __future__ import annotations

from . import cudnn, mps  # noqa: F401
