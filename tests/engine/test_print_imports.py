"""Printing a tensor must not import numpy.ma: np.unique's first call does (10-20 ms that
every fresh sandbox worker paid on the learner's first print)."""

from __future__ import annotations

import subprocess
import sys


def test_printing_big_and_integer_tensors_leaves_numpy_ma_unloaded() -> None:
    code = (
        "import sys, engine as torch\n"
        "print(torch.arange(100.).reshape(10, 10) * 0.37)\n"
        "print(torch.arange(200))\n"
        "print(torch.tensor([1e-9, 3e9, 5.0]).repeat_interleave(30) if hasattr(torch.Tensor,"
        " 'repeat_interleave') else torch.tensor([1e-9, 3e9]))\n"
        "assert 'numpy.ma' not in sys.modules, 'numpy.ma was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "0.3700" in done.stdout and "199" in done.stdout
