"""engine.nn: PyTorch's torch.nn on the engine (Module, layers, losses, init, functional)."""

from .. import _missing
from . import functional, init  # noqa: F401
from .modules import *  # noqa: F403
from .modules import __all__ as _modules_all
from .parameter import Parameter

__all__ = [*_modules_all, "Parameter", "functional", "init"]

__getattr__ = _missing.missing_attribute("torch.nn", __name__)  # speaks of torch
