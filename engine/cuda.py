"""torch.cuda on a CPU-only engine: nothing is available, as on a machine without a GPU."""

from __future__ import annotations


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def manual_seed(seed: int) -> None:
    """Ignored without a GPU, as torch does."""


def manual_seed_all(seed: int) -> None:
    """Ignored without a GPU, as torch does."""


def current_device() -> int:
    raise AssertionError("Torch not compiled with CUDA enabled")


def synchronize(device=None) -> None:
    raise AssertionError("Torch not compiled with CUDA enabled")
