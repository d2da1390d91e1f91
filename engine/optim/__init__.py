"""engine.optim: torch.optim's optimisers and StepLR on the engine."""

from .. import _missing
from . import lr_scheduler  # noqa: F401
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]

__getattr__ = _missing.missing_attribute("torch.optim", __name__)  # speaks of torch
