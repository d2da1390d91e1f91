"""Project-level contracts: import layering (import-linter) and lint (ruff)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    found = Path(sys.executable).with_name(name)
    if found.exists():
        return str(found)
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return path


def test_import_contracts_hold():
    """engine imports no gradviz/Qt/networkx; core no Qt; ui -> core -> engine only; the
    engine's own layers (dtype/RNG -> graph -> Tensor -> ops -> autograd API -> nn/optim)."""
    proc = subprocess.run([_tool("lint-imports")], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 kept, 0 broken" in proc.stdout


def test_ruff_is_clean():
    proc = subprocess.run(
        [_tool("ruff"), "check", "engine", "gradviz", "tests", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_engine_runs_without_gradviz_qt_or_networkx():
    code = (
        "import sys; import engine as torch\n"
        "x = torch.arange(4.0, requires_grad=True); (2 * torch.dot(x, x)).backward()\n"
        "assert x.grad.tolist() == [0.0, 4.0, 8.0, 12.0]\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('gradviz', 'PySide6', 'networkx')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_ruff_format_is_kept():
    proc = subprocess.run(
        [_tool("ruff"), "format", "--check", "engine", "gradviz", "tests", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
