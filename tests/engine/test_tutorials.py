"""Four PyTorch autograd tutorials, cell by cell, on the engine and on PyTorch.

Each tutorial runs notebook-style: its cells in order in one namespace, print output
captured, and the value of a cell's last expression shown with repr as Jupyter does.
The outputs must match cell by cell. Cells that draw random numbers are compared by
structure (numbers and truth values masked); node addresses are always masked.
Warnings go to stderr in a notebook, so they are compared separately: each cell must
warn exactly where PyTorch warns.

PyTorch runs in a fresh interpreter: some of its warnings fire once per process.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import re
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass(frozen=True)
class Cell:
    code: str
    random: bool = False  # draws random numbers: compare by structure


def cells(*codes: str | Cell) -> list[Cell]:
    return [c if isinstance(c, Cell) else Cell(c) for c in codes]


F_OF_A = """\
def f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c
"""

TUTORIALS: dict[str, list[Cell]] = {
    "A": cells(
        "x = torch.arange(4.0)\nx",
        "x.requires_grad_(True)\nx.grad",
        "y = 2 * torch.dot(x, x)\ny",
        "y.backward()",
        "x.grad",
        "x.grad == 4 * x",
        "x.grad.zero_()\ny = x.sum()\ny.backward()\nx.grad",
        "x.grad.zero_()\ny = x * x\nv = torch.ones(len(y))\ny.backward(gradient=v)\nx.grad",
        "x.grad.zero_()\ny = x * x\nu = y.detach()\nz = u * x\n\nz.sum().backward()\nx.grad",
        "x.grad == 2 * x",
        "x.grad.zero_()\ny.sum().backward()\nx.grad",
        "x.grad == 2 * x",
        F_OF_A,
        Cell("a = torch.randn(size=(), requires_grad=True)\nd = f(a)", random=True),
        Cell("d.backward()", random=True),
        Cell("a.grad", random=True),
        Cell("a.grad == d / a", random=True),
        "x = torch.arange(4.0)\nx.requires_grad_(True)\ny = 2 * torch.dot(x, x)\n"
        "y.backward()\nx.grad",
    ),
    "B": cells(
        "a = torch.tensor([2.0, 3.0], requires_grad=True)\nprint(a)",
        "b = torch.tensor([6.0, 4.0], requires_grad=True)\nprint(b)",
        "Q = 3*a**3 - b**2\nprint(Q)",
        "external_grad = torch.tensor([1., 1.])\nQ.backward(gradient=external_grad)",
        "print(a.grad)\nprint(b.grad)\nprint(9*a**2 == a.grad)\nprint(-2*b == b.grad)",
        Cell("shape = (3,1)\nx = torch.randn(shape, requires_grad=True)\nprint(x)", random=True),
        Cell("y = x+1\nprint(y)\nprint(y.requires_grad)\nprint(y.grad_fn)", random=True),
        Cell(
            "z = y**2 + 3\nprint(z)\nprint(z.requires_grad)\nprint(z.grad_fn)\n"
            "print(z.grad_fn.next_functions)\n"
            "print(z.grad_fn.next_functions[0][0].next_functions)",
            random=True,
        ),
        Cell(
            "x = torch.rand(5, 5)\ny = torch.rand(5, 5)\n"
            "z = torch.rand((5, 5), requires_grad=True)\n\na = x + y\n"
            'print(f"Does `a` require gradients? : {a.requires_grad}")\nb = x + z\n'
            'print(f"Does `b` require gradients?: {b.requires_grad}")',
            random=True,
        ),
        "with torch.no_grad():\n    c = x + z\nprint(c.requires_grad)",
        "d = x + z\nd_detached = d.detach()\nprint(d_detached.requires_grad)",
        "sample_size = 2\nnumber_features = 3\n"
        "x = torch.arange(sample_size*number_features).reshape(sample_size, number_features)"
        " * 1.0\nprint(x)\n"
        "target = torch.arange(2, sample_size+2).reshape(sample_size, 1) * 1.0\nprint(target)",
        "w = torch.ones((3,1), requires_grad=True)\nprint(w)\nprint(w.grad)",
        "output = x.matmul(w)\nprint(output)\nprint(output.grad_fn)",
        "loss = ((output - target)**2).mean()\nprint(loss)",
        "loss.backward()",
        "print(w.grad)",
        "def update_parameter(w, learning_rate=0.1):\n    with torch.no_grad():\n"
        "        w.add_(w.grad, alpha=-1*learning_rate)",
        "update_parameter(w, 0.01)",
        "print(w)",
        "a = torch.tensor([2.0, 3.0], requires_grad=True)\n"
        "b = torch.tensor([6.0, 4.0], requires_grad=True)\nQ = 3*a**3 - b**2\nprint(Q)",
        "external_grad = torch.tensor([1., 1.])\nQ.backward(gradient=external_grad)\nprint(a.grad)",
        "a.grad.zero_()",
        "#Q.sum().backward(retain_graph=True)\n#print(a.grad)",
    ),
    "C": cells(
        "x = torch.arange(4.0)\nx",
        "x.requires_grad_(True)\nx.grad # Default is None\nprint(x.grad)",
        "y = 2 * torch.dot(x, x)\ny",
        "y.backward()\nx.grad",
        "x.grad == 4 * x",
        "x.grad.zero_()\ny = x.sum()\ny.backward()\nx.grad",
        "x.grad.zero_()\ny = x * x\ny.sum().backward()\nx.grad",
        "x.grad.zero_()\ny = x * x\nu = y.detach()\nz = u * x\n\nz.sum().backward()\nx.grad == u",
        "x.grad.zero_()\ny.sum().backward()\nx.grad == 2 * x",
        F_OF_A.replace("def f(a):", "def f(x):"),  # uses the global `a`, as written
        Cell(
            "a = torch.randn(size=(), requires_grad=True)\nd = f(a)\nd.backward()\nd", random=True
        ),
    ),
    "D": cells(
        # `import pandas as pd` is left out: pandas is not a dependency.
        "import numpy as np\nx = torch.arange(4.0, requires_grad=True)\n"
        "y = 2 * torch.dot(x.T, x)\ny.backward()\nx.grad",
        "x.grad.zero_()\ny = x.sum()\ny.backward()\nx.grad",
        "x.grad.zero_()\ny = x * x\ny.sum().backward()\nx.grad",
        "x.grad.zero_()\ny = x * x\nz = y * x\nz.sum().backward()\nx.grad",
        "x.grad.zero_()\ny = x * x\nu = y.detach()\nz = u * x\nz.sum().backward()\nx.grad",
        "x.grad.zero_()\ny.sum().backward()\nx.grad",
    ),
}


# ----- the notebook runner (also run by the PyTorch subprocess) ------------------------------
def _strip_cpp_origin(text: str) -> str:
    return re.sub(r" \(Triggered internally at [^)]*\)$", "", text)


def run_cell(code: str, namespace: dict) -> dict:
    """Run one cell as Jupyter does: stdout, the repr of a final expression, warnings."""
    tree = ast.parse(code)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    out = io.StringIO()
    shown = None
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out):
        warnings.simplefilter("always")
        exec(compile(tree, "<cell>", "exec"), namespace)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)
            shown = None if value is None else repr(value)
    return {
        "stdout": out.getvalue(),
        "display": shown,
        "warnings": [f"{w.category.__name__}: {_strip_cpp_origin(str(w.message))}" for w in caught],
    }


def run_tutorials(torch_module: Any) -> dict[str, list[dict]]:
    results = {}
    for name, tutorial in TUTORIALS.items():
        namespace: dict = {"torch": torch_module, "__name__": "__main__"}
        results[name] = [run_cell(cell.code, namespace) for cell in tutorial]
    return results


# ----- comparison -----------------------------------------------------------------------------
def _structure(text: str | None, random: bool) -> str | None:
    if text is None:
        return None
    text = re.sub(r"object at 0x[0-9a-f]+", "object at 0x…", text)
    if random:
        text = re.sub(r"-?\d+(\.\d*)?(e[+-]?\d+)?", "N", text)
        text = re.sub(r"\b(True|False)\b", "B", text)
        text = re.sub(r"\s+", "", text)  # padding depends on the values
    return text


@pytest.fixture(scope="module")
def torch_outputs() -> dict[str, list[dict]]:
    pytest.importorskip(
        "torch", reason="PyTorch 2.13 is the parity reference: pip install torch==2.13.0"
    )
    here = Path(__file__).resolve().parent
    code = (
        f"import sys, json; sys.path.insert(0, {str(here)!r}); import torch; "
        "import test_tutorials as t; print(json.dumps(t.run_tutorials(torch)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd="/"
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def engine_outputs() -> dict[str, list[dict]]:
    import engine

    return run_tutorials(engine)


CASES = [
    pytest.param(name, i, id=f"{name}{i + 1}")
    for name, tutorial in TUTORIALS.items()
    for i in range(len(tutorial))
]


@pytest.mark.parametrize(("tutorial", "index"), CASES)
def test_cell_output_matches_torch(tutorial: str, index: int, engine_outputs, torch_outputs):
    cell = TUTORIALS[tutorial][index]
    mine, theirs = engine_outputs[tutorial][index], torch_outputs[tutorial][index]
    for key in ("stdout", "display"):
        assert _structure(mine[key], cell.random) == _structure(theirs[key], cell.random), (
            f"cell:\n{cell.code}\n{key} differs"
        )
    assert mine["warnings"] == theirs["warnings"]


def test_tutorial_outputs_without_torch(engine_outputs):
    """A few literal outputs, so the tutorials are checked even without PyTorch."""
    a, b, d = engine_outputs["A"], engine_outputs["B"], engine_outputs["D"]
    assert a[0]["display"] == "tensor([0., 1., 2., 3.])"
    assert a[2]["display"] == "tensor(28., grad_fn=<MulBackward0>)"
    assert a[4]["display"] == "tensor([ 0.,  4.,  8., 12.])"
    assert a[5]["display"] == "tensor([True, True, True, True])"
    assert b[2]["stdout"] == "tensor([-12.,  65.], grad_fn=<SubBackward0>)\n"
    assert b[13]["stdout"].startswith("tensor([[ 3.],\n        [12.]], grad_fn=<MmBackward0>)\n")
    assert re.fullmatch(r"<MmBackward0 object at 0x[0-9a-f]+>\n", b[13]["stdout"].split(")\n")[1])
    assert b[16]["stdout"] == "tensor([[27.],\n        [37.],\n        [47.]])\n"
    assert d[0]["display"] == "tensor([ 0.,  4.,  8., 12.])"
    assert d[0]["warnings"] and d[0]["warnings"][0].startswith("UserWarning: The use of `x.T`")
    assert d[3]["display"] == "tensor([ 0.,  3., 12., 27.])"
