"""x ** n rounds as torch's CPU kernel rounds it: for a Python-number exponent of 2, 3, -1,
-2 or -0.5 torch multiplies or takes a reciprocal instead of calling pow, so the last bits of
a float32 loss depend on it. Compared bit for bit with PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import engine

torch = pytest.importorskip(
    "torch", reason="PyTorch 2.13 is the parity reference: pip install torch==2.13.0"
)

DTYPES = [(np.float32, engine.float32, torch.float32), (np.float64, engine.float64, torch.float64)]


def _values(np_dtype) -> np.ndarray:
    x = (np.random.default_rng(7).standard_normal(4000) * 3).astype(np_dtype)
    x[:5] = [0.0, -0.0, np.inf, -np.inf, 1e-30]
    return x


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


@pytest.mark.parametrize("np_dtype,edt,tdt", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("exponent", [2, 3, -1, -2, -0.5, 2.0, 3.0])
def test_special_exponents_match_torch_bit_for_bit(np_dtype, edt, tdt, exponent):
    x = _values(np_dtype)
    theirs = (torch.tensor(x, dtype=tdt) ** exponent).numpy()
    mine = engine.tensor(x, dtype=edt)
    for out in (mine**exponent, mine.pow(exponent), engine.pow(mine, exponent)):
        assert _same_bits(out.numpy(), theirs)
    in_place = engine.tensor(x, dtype=edt)
    in_place.pow_(exponent)
    assert _same_bits(in_place.numpy(), theirs)


@pytest.mark.parametrize("np_dtype,edt,tdt", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("exponent", [2, 3, -1])
def test_gradients_use_the_same_kernel(np_dtype, edt, tdt, exponent):
    """The backward is n * x.pow(n - 1): for these n the power is special-cased again."""
    x = _values(np_dtype)[5:]
    t = torch.tensor(x, dtype=tdt, requires_grad=True)
    (t**exponent).backward(torch.ones_like(t))
    e = engine.tensor(x, dtype=edt, requires_grad=True)
    (e**exponent).backward(engine.ones_like(e))
    assert _same_bits(e.grad.numpy(), t.grad.numpy())


def test_other_exponents_and_tensor_exponents_still_use_pow():
    """torch calls pow for a tensor exponent and for other numbers: no multiplication there."""
    x = _values(np.float32)[5:]
    e = engine.tensor(x)
    assert np.array_equal(
        engine.pow(e, engine.tensor(3.0)).numpy(), np.power(x, np.float32(3.0)), equal_nan=True
    )
    assert np.array_equal((e**4).numpy(), np.power(x, 4), equal_nan=True)
    assert (engine.tensor([2, 3]) ** 3).tolist() == [8, 27]  # integers stay exact integers
