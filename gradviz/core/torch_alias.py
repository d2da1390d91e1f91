"""`import torch` gives the engine: every `torch.X` is the engine's one `engine.X` module.

A fixed table of names (the old way) missed submodules such as `torch.autograd.graph`, and
Python then loaded a second copy of the engine's file under the torch name: another `Node`
class and another grad-mode state. A meta-path finder answers for every `torch.*` name by
importing `engine.*` and handing back that very module object.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Iterator
from types import ModuleType

ALIAS = "torch"
TARGET = "engine"


def _target_name(fullname: str) -> str | None:
    if fullname == ALIAS:
        return TARGET
    if fullname.startswith(ALIAS + "."):
        return TARGET + fullname[len(ALIAS) :]
    return None


class _AliasLoader(importlib.abc.Loader):
    """Returns the already-imported engine module instead of executing a file."""

    def __init__(self, module: ModuleType) -> None:
        self.module = module
        self.saved = {k: module.__dict__.get(k) for k in ("__spec__", "__loader__")}

    def create_module(self, spec) -> ModuleType:
        return self.module

    def exec_module(self, module: ModuleType) -> None:
        # module_from_spec overwrote __spec__ with the alias spec; put the engine's back, so
        # the module keeps one identity (and relative imports inside it stay consistent).
        for key, value in self.saved.items():
            setattr(module, key, value)


class TorchAliasFinder(importlib.abc.MetaPathFinder):
    """Maps `torch` and `torch.<anything>` onto `engine` and `engine.<anything>`."""

    def find_spec(self, fullname: str, path=None, target=None):
        name = _target_name(fullname)
        if name is None:
            return None
        if name not in sys.modules and importlib.util.find_spec(name) is None:
            return None  # Python then says "No module named 'torch.<x>'"
        module = importlib.import_module(name)
        return importlib.machinery.ModuleSpec(
            fullname,
            _AliasLoader(module),
            is_package=hasattr(module, "__path__"),
        )


def _is_alias_name(name: str) -> bool:
    return name == ALIAS or name.startswith(ALIAS + ".")


@contextlib.contextmanager
def torch_is_engine() -> Iterator[None]:
    """Within the block, `import torch[.X]` gives `engine[.X]`; afterwards every `torch*`
    entry of sys.modules is as before (a real torch imported earlier comes back)."""
    import engine

    saved = {k: v for k, v in sys.modules.items() if _is_alias_name(k)}
    for k in saved:
        del sys.modules[k]
    finder = TorchAliasFinder()
    sys.meta_path.insert(0, finder)
    sys.modules[ALIAS] = engine
    renamed = _present_as_torch()
    try:
        yield
    finally:
        for cls, module in renamed:
            cls.__module__ = module
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(finder)
        for k in [k for k in sys.modules if _is_alias_name(k)]:
            del sys.modules[k]
        sys.modules.update(saved)


def _public_name(module: str) -> str:
    """engine.nn.modules.container -> torch.nn.modules.container; private parts drop out
    (engine._dtype -> torch), as torch's own classes report themselves."""
    parts = [ALIAS] + [p for p in module.split(".")[1:] if not p.startswith("_")]
    return ".".join(parts)


# The engine's classes and their public names, found once per set of engine modules
# loaded: a worker finds them while it warms up, not while a learner's run waits.
_classes: list[tuple[type, str, str]] = []
_classes_of: tuple = ()


def _engine_classes() -> list[tuple[type, str, str]]:
    """(class, its module, the module's public name) of every class the engine defines."""
    global _classes, _classes_of
    modules = tuple(
        name
        for name, module in list(sys.modules.items())
        if module is not None and (name == TARGET or name.startswith(TARGET + "."))
    )
    if modules != _classes_of:
        found = []
        for name in modules:
            for value in list(vars(sys.modules[name]).values()):
                if isinstance(value, type) and value.__module__ == name:
                    found.append((value, name, _public_name(name)))
        _classes, _classes_of = found, modules
    return _classes


def _present_as_torch() -> list[tuple[type, str]]:
    """While the alias is on, the engine's classes print as torch's do
    (<class 'torch.nn.modules.container.Sequential'>); returns what to restore."""
    renamed = []
    for cls, name, public in _engine_classes():
        if cls.__module__ == name:
            renamed.append((cls, name))
            cls.__module__ = public
    return renamed


def run_with_engine_as_torch(source: str, namespace: dict | None = None) -> dict:
    """Run `source` with `import torch` resolving to the engine; return its namespace.
    The one resolution the app's worker uses, for tests and tools."""
    ns = {"__name__": "__main__"} if namespace is None else namespace
    with torch_is_engine():
        exec(compile(source, "<snippet>", "exec"), ns)  # noqa: S102 - running code is the point
    return ns
