"""The bundled examples print on the engine exactly what they print on PyTorch 2.13.

Each example runs as one notebook cell (corpus_runner: stdout, the error if it raised, the
warnings), with the same seeds on both sides; PyTorch runs in a fresh interpreter, this
file being its script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parents[1] / "gradviz" / "assets" / "examples"
sys.path.insert(0, str(HERE))

import corpus_runner  # noqa: E402

NAMES = sorted(p.stem for p in EXAMPLES.glob("*.py"))


def run_examples() -> dict[str, dict]:
    import random

    import numpy as np
    import torch

    out = {}
    for name in NAMES:
        random.seed(0)
        np.random.seed(0)
        torch.manual_seed(0)
        code = (EXAMPLES / f"{name}.py").read_text(encoding="utf-8")
        out[name] = corpus_runner.run_cell(code, {"__name__": "__main__"}, f"{name}.py")
    return out


@pytest.fixture(scope="module")
def outputs() -> tuple[dict, dict]:
    pytest.importorskip(
        "torch", reason="PyTorch 2.13 is the parity reference: pip install torch==2.13.0"
    )
    from gradviz.core.torch_alias import torch_is_engine

    proc = subprocess.Popen(
        [sys.executable, __file__],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=str(HERE),
    )
    try:
        with torch_is_engine():
            mine = run_examples()
        out, err = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-3000:]
    return mine, json.loads(out.splitlines()[-1])


def test_there_are_examples():
    assert len(NAMES) >= 14


@pytest.mark.parametrize("name", NAMES)
def test_example_prints_what_torch_prints(name, outputs):
    mine, theirs = outputs[0][name], outputs[1][name]
    assert mine == theirs
    assert mine["stdout"].strip()


if __name__ == "__main__":
    print(json.dumps(run_examples()))
