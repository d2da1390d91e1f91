"""engine.utils: torch.utils on the engine (data loading)."""

from .. import _missing
from . import data  # noqa: F401

__getattr__ = _missing.missing_attribute("torch.utils", __name__)  # speaks of torch
