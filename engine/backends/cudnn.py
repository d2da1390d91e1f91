"""torch.backends.cudnn: the flags tutorials set for reproducibility (they change nothing on
the CPU)."""

from __future__ import annotations

enabled = True
benchmark = False
deterministic = False


def is_available() -> bool:
    return False


def version() -> None:
    return None
