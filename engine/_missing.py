"""A module-level __getattr__ in torch's words: submodules load on first use (torch.optim after
only `import torch`), anything else is "module 'torch' has no attribute ..."."""

from __future__ import annotations

import importlib


def missing_attribute(shown_name: str, package: str):
    def __getattr__(name: str):
        if not name.startswith("__"):
            try:
                return importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError as err:
                if err.name != f"{package}.{name}":
                    raise
        raise AttributeError(f"module '{shown_name}' has no attribute '{name}'")

    return __getattr__
