"""torch.save / torch.load for tensors and plain Python containers of them (pickle, as torch's
own format wraps it)."""

from __future__ import annotations

import pickle
from typing import Any


def save(obj: Any, f, pickle_module=pickle, pickle_protocol: int = 2, **kwargs) -> None:
    if isinstance(f, (str, bytes)) or hasattr(f, "__fspath__"):
        with open(f, "wb") as fh:
            pickle_module.dump(obj, fh, protocol=pickle_protocol)
    else:
        pickle_module.dump(obj, f, protocol=pickle_protocol)


def load(f, map_location=None, pickle_module=pickle, *, weights_only: bool = True, **kwargs):
    if isinstance(f, (str, bytes)) or hasattr(f, "__fspath__"):
        with open(f, "rb") as fh:
            return pickle_module.load(fh)
    return pickle_module.load(f)
