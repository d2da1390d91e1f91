"""The random draws torch's data utilities make, on the engine's torch-exact generator.

torch draws a 64-bit seed with `torch.empty((), dtype=torch.int64).random_()` and shuffles
with `torch.randperm(n, generator=g)`; so do these."""

from __future__ import annotations

from ... import _creation, _generator, _sampling
from ... import _dtype as dt
from ..._tensor import Tensor


def draw_seed(generator=None) -> int:
    """One 64-bit draw from `generator` (the global one when None), as torch draws it."""
    t = _creation.empty((), dtype=dt.int64)
    if hasattr(t, "random_"):
        kwargs = {} if generator is None else {"generator": generator}
        return int(t.random_(**kwargs).item())
    return int(_creation.randint(0, 2**62, ()).item())


def seeded_generator(seed: int):
    """A fresh generator seeded with `seed` (torch.Generator().manual_seed(seed))."""
    g = _generator.Generator()
    g.manual_seed(seed)
    return g


def randperm(n: int, generator=None) -> list[int]:
    """torch.randperm(n, generator=generator).tolist()."""
    kwargs = {} if generator is None else {"generator": generator}
    out = _sampling.randperm(n, **kwargs)
    return out.tolist() if isinstance(out, Tensor) else list(out)


def default_generator():
    """engine.default_generator (random_split's default)."""
    return _generator.default_generator
