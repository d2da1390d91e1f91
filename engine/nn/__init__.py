"""engine.nn: PyTorch's torch.nn on the engine (Module, layers, losses, init, functional)."""

from . import functional, init  # noqa: F401
from .modules import *  # noqa: F403
from .modules import __all__ as _modules_all
from .parameter import Parameter

__all__ = [*_modules_all, "Parameter", "functional", "init"]
