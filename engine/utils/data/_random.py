"""The random draws torch's data utilities make, through the engine's public RNG API.

torch draws a 64-bit seed with `torch.empty((), dtype=torch.int64).random_()` and shuffles
with `torch.randperm(n, generator=g)`. The engine gains Tensor.random_, Generator and
randperm with its torch-exact generator; until then these fall back to engine.randint and
a numpy permutation seeded from it, so shuffling works but does not match torch's order."""

from __future__ import annotations

import numpy as np

from ... import _creation
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
    import engine

    cls = getattr(engine, "Generator", None)
    if cls is None:
        return np.random.default_rng(seed)
    g = cls()
    g.manual_seed(seed)
    return g


def randperm(n: int, generator=None) -> list[int]:
    """torch.randperm(n, generator=generator).tolist()."""
    import engine

    if isinstance(generator, np.random.Generator):
        return generator.permutation(n).tolist()
    fn = getattr(engine, "randperm", None)
    if fn is None:
        return np.random.default_rng(draw_seed(generator)).permutation(n).tolist()
    kwargs = {} if generator is None else {"generator": generator}
    out = fn(n, **kwargs)
    return out.tolist() if isinstance(out, Tensor) else list(out)


def default_generator():
    """engine.default_generator when the engine has one (random_split's default)."""
    import engine

    return getattr(engine, "default_generator", None)
