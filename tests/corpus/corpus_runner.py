"""Runs the transcribed tutorials of tests/corpus/tutorials notebook-style and records, per
cell, what a learner sees: printed output, the repr of a final expression, the error (if the
cell raised) and the warnings. Run as a script, it prints the record as JSON (that is how the
PyTorch side runs, in a fresh interpreter)."""

from __future__ import annotations

import ast
import contextlib
import io
import json
import random
import re
import sys
import warnings
from pathlib import Path

TUTORIALS = Path(__file__).resolve().parent / "tutorials"
CELL_MARK = re.compile(r"^# %%", re.M)


def tutorial_names() -> list[str]:
    return sorted(p.stem for p in TUTORIALS.glob("*.py"))


def cells_of(name: str) -> list[str]:
    """The code cells of a tutorial, in order (text before the first `# %%` is its header)."""
    text = (TUTORIALS / f"{name}.py").read_text()
    return [c.lstrip("\n") for c in CELL_MARK.split(text)[1:]]


def _clean(text: str) -> str:
    text = re.sub(r"object at 0x[0-9a-fA-F]+", "object at 0x…", text)
    return re.sub(r" \(Triggered internally at [^)]*\)", "", text)


def run_cell(code: str, namespace: dict, filename: str) -> dict:
    tree = ast.parse(code, filename)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    out = io.StringIO()
    shown = error = None
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out):
        warnings.simplefilter("always")
        try:
            exec(compile(tree, filename, "exec"), namespace)  # noqa: S102
            if last is not None:
                value = eval(compile(ast.Expression(last.value), filename, "eval"), namespace)  # noqa: S307
                shown = None if value is None else repr(value)
        except Exception as exc:  # noqa: BLE001 - a notebook shows the error and goes on
            error = f"{type(exc).__name__}: {exc}"
    return {
        "stdout": _clean(out.getvalue()),
        "display": None if shown is None else _clean(shown),
        "error": None if error is None else _clean(error),
        "warnings": [_clean(f"{w.category.__name__}: {w.message}") for w in caught],
    }


def run_tutorial(name: str) -> list[dict]:
    """A fresh namespace per tutorial; Python's, numpy's and torch's generators seeded alike."""
    import numpy as np
    import torch

    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    namespace: dict = {"__name__": "__main__"}
    return [run_cell(c, namespace, f"<{name}>") for c in cells_of(name)]


def run_all(names: list[str] | None = None) -> dict[str, list[dict]]:
    return {name: run_tutorial(name) for name in names or tutorial_names()}


if __name__ == "__main__":
    print(json.dumps(run_all(sys.argv[1:] or None)))
