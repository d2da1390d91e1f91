"""`import torch` resolves to the engine through one meta-path finder: every `torch.X` is the
engine's one `engine.X` module, in the app's tracer and in the tests' helper alike."""

from __future__ import annotations

import sys

import pytest

import engine
from gradviz.core.torch_alias import run_with_engine_as_torch, torch_is_engine
from gradviz.core.trace import trace_source

IMPORTS = """\
import torch
import torch.autograd.graph as g
from torch.autograd.functional import jacobian, hvp
import torch.autograd
from torch.autograd import graph as g2
a = torch.ones(2, requires_grad=True)
b = a * 2
node_ok = isinstance(b.grad_fn, torch.autograd.graph.Node)
node_ok_g = isinstance(b.grad_fn, g.Node)
with torch.no_grad():
    c = a * 2
"""


def test_submodules_are_the_engine_modules():
    ns = run_with_engine_as_torch(IMPORTS)
    assert ns["torch"] is engine
    assert ns["g"] is engine.autograd.graph
    assert ns["g2"] is engine.autograd.graph
    assert ns["jacobian"] is engine.autograd.functional.jacobian
    assert ns["hvp"] is engine.autograd.functional.hvp
    assert ns["node_ok"] and ns["node_ok_g"]
    assert ns["c"].requires_grad is False  # the one grad-mode state


def test_engine_keeps_its_own_spec():
    run_with_engine_as_torch("import torch.autograd.graph")
    assert engine.__spec__.name == "engine"
    assert engine.autograd.graph.__spec__.name == "engine.autograd.graph"
    assert engine.autograd.graph.__name__ == "engine.autograd.graph"


def test_missing_submodule_names_torch():
    with pytest.raises(ModuleNotFoundError, match="No module named 'torch.no_such_thing'"):
        run_with_engine_as_torch("import torch.no_such_thing")


def test_sys_modules_restored_afterwards():
    before = {k: v for k, v in sys.modules.items() if k == "torch" or k.startswith("torch.")}
    with torch_is_engine():
        import torch  # noqa: F401 - the alias itself is under test

        assert sys.modules["torch"] is engine
    after = {k: v for k, v in sys.modules.items() if k == "torch" or k.startswith("torch.")}
    assert after == before
    assert not any(type(f).__name__ == "TorchAliasFinder" for f in sys.meta_path)


def test_app_tracer_uses_the_same_resolution():
    source = IMPORTS + "print(node_ok, g is torch.autograd.graph, c.requires_grad)\n"
    result = trace_source(source)
    assert result.error is None, result.error
    assert result.stdout.startswith("True True False")


def test_nn_when_the_engine_has_it():
    pytest.importorskip("engine.nn", reason="engine.nn is built in another issue")
    ns = run_with_engine_as_torch("import torch.nn as nn\nimport torch\nsame = torch.nn is nn")
    assert ns["nn"] is sys.modules["engine.nn"]
    assert ns["same"]


def test_the_sandboxed_worker_uses_the_same_resolution():
    from gradviz.core.sandbox import run_sandboxed

    source = (
        IMPORTS
        + "import torch.nn as nn\n"
        + "print(node_ok, node_ok_g, g is torch.autograd.graph, c.requires_grad)\n"
        + "print(jacobian is torch.autograd.functional.jacobian, nn is torch.nn)\n"
    )
    result = run_sandboxed(source, timeout_s=60, memory_mb=1024)
    assert result.error is None, result.error
    assert result.stdout.splitlines()[:2] == ["True True True False", "True True"]


def test_engine_classes_print_as_torch_classes_only_while_aliased():
    import engine
    from gradviz.core.torch_alias import run_with_engine_as_torch

    ns = run_with_engine_as_torch(
        "import torch, torch.nn as nn\n"
        "m = nn.Sequential(nn.Linear(2, 1))\n"
        "names = [str(type(m)), str(type(m[0].weight)), str(type(torch.float32)),\n"
        "         str(type(torch.optim.SGD(m.parameters(), lr=0.1)))]\n"
    )
    assert ns["names"] == [
        "<class 'torch.nn.modules.container.Sequential'>",
        "<class 'torch.nn.parameter.Parameter'>",
        "<class 'torch.dtype'>",
        "<class 'torch.optim.sgd.SGD'>",
    ]
    assert engine.nn.Sequential.__module__ == "engine.nn.modules.container"


def test_an_engine_module_loaded_later_is_presented_as_torch_too(monkeypatch):
    """The engine's classes are found once per set of engine modules: one loaded after
    an earlier run is found, its classes renamed while aliased and restored after."""
    import types

    with torch_is_engine():
        pass  # the classes known so far, found
    late = types.ModuleType("engine.nn.late_probe")
    exec("class Probe:\n    pass\n", late.__dict__)
    late.Probe.__module__ = "engine.nn.late_probe"
    monkeypatch.setitem(sys.modules, "engine.nn.late_probe", late)
    with torch_is_engine():
        assert late.Probe.__module__ == "torch.nn.late_probe"
        assert engine.nn.Linear.__module__ == "torch.nn.modules.linear"
    assert late.Probe.__module__ == "engine.nn.late_probe"
    assert engine.nn.Linear.__module__ == "engine.nn.modules.linear"
