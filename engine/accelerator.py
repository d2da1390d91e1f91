"""torch.accelerator: which accelerator is present. None is; the engine runs on the CPU."""

from __future__ import annotations


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False) -> None:
    return None


def device_count() -> int:
    return 0
