"""torch.Generator on the CPU, the default generator and the seeding functions.

Each Generator owns one mt19937 stream (_random.MT19937) and exposes it as torch does:
manual_seed, seed, initial_seed, get_state/set_state in torch's byte layout.
"""

from __future__ import annotations

import contextlib
import os

import numpy as np

from . import _dtype as dt
from ._random import DEFAULT_SEED, MT19937
from ._tensor import Tensor, device


def _nondeterministic_seed() -> int:
    # torch: ((random_device() << 1) ^ random_device()) kept to 53 bits.
    a, b = (int.from_bytes(os.urandom(4), "little") for _ in range(2))
    return ((a << 1) ^ b) & (2**53 - 1)


class Generator:
    """torch.Generator on the CPU: one mt19937 stream with its own seed and state."""

    def __init__(self, device: str | device = "cpu") -> None:
        self.device = _cpu(device)
        self._mt = MT19937(DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        self._mt.set_seed(seed)
        return self

    def seed(self) -> int:
        s = _nondeterministic_seed()
        self._mt.set_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._mt.initial_seed()

    def get_state(self) -> Tensor:
        """torch's byte layout (5056 uint8), so a saved state restores in either library."""
        arr = np.frombuffer(self._mt.state_bytes(), dtype=np.uint8).copy()
        return Tensor._make(arr, dt.uint8, False, None)

    def set_state(self, new_state: Tensor) -> Generator:
        if not isinstance(new_state, Tensor) or new_state._dtype is not dt.uint8:
            got = type(new_state).__name__
            if isinstance(new_state, Tensor):
                got = f"torch.{new_state._dtype.legacy}"
            raise TypeError(f"expected a torch.ByteTensor, but got {got}")
        self._mt.set_state_bytes(new_state._data.tobytes())
        return self

    def __repr__(self) -> str:
        return f"<torch._C.Generator object at {id(self):#x}>"


def _cpu(dev) -> device:
    d = dev if isinstance(dev, device) else device(str(dev))
    if str(d) != "cpu":
        raise RuntimeError(
            f"Device type {str(d).upper()} is not supported for torch.Generator() api."
        )
    return d


default_generator = Generator()
default_generator.seed()  # torch seeds its default generator from the OS at start-up


def _mt(generator) -> MT19937:
    if generator is None:
        return default_generator._mt
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a torch.Generator, not {type(generator).__name__}")
    return generator._mt


# ----- seeding -------------------------------------------------------------------------------
def manual_seed(seed: int) -> Generator:
    """Seed the default generator; the same seed gives PyTorch's numbers."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(
    devices=None, enabled: bool = True, _caller="fork_rng", _devices_kw="devices", device_type=None
):
    """Run a block with the CPU stream saved before and restored after it."""
    if not enabled:
        yield
        return
    saved = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(saved)
