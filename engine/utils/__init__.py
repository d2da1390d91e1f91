"""engine.utils: torch.utils on the engine (data loading)."""

from . import data  # noqa: F401
