"""Parity of engine._printing.tensor_repr with repr() of real torch tensors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import _printing
from engine._printing import get_printoptions, printoptions, set_printoptions, tensor_repr

torch = pytest.importorskip(
    "torch", reason="PyTorch is the parity reference; install it with pip install torch==2.13.0"
)

NP_DTYPES = {"float32": np.float32, "float64": np.float64, "int64": np.int64, "bool": np.bool_}
NAN, INF = math.nan, math.inf


@pytest.fixture(autouse=True)
def default_options():
    """Every test starts and ends with default options in both libraries."""
    torch.set_printoptions(profile="default")
    set_printoptions(profile="default")
    yield
    torch.set_printoptions(profile="default")
    set_printoptions(profile="default")


def both_options(**kwargs) -> None:
    torch.set_printoptions(**kwargs)
    set_printoptions(**kwargs)


def torch_repr(array: np.ndarray, *, requires_grad: bool = False, non_leaf: bool = False):
    """repr of the torch tensor holding `array`, plus its grad_fn name (or None)."""
    t = torch.tensor(array)
    if requires_grad or non_leaf:
        t.requires_grad_()
    if non_leaf:
        t = t.clone()  # exact copy of the values, with a grad_fn
    grad_fn = type(t.grad_fn).__name__ if t.grad_fn is not None else None
    return repr(t), grad_fn


def assert_parity(array: np.ndarray, *, requires_grad: bool = False, non_leaf: bool = False):
    expected, grad_fn = torch_repr(array, requires_grad=requires_grad, non_leaf=non_leaf)
    dtype = str(array.dtype)
    got = tensor_repr(array, dtype, requires_grad=requires_grad and not non_leaf, grad_fn=grad_fn)
    assert got == expected, f"\nours:\n{got}\ntorch:\n{expected}"


def arr(values, dtype: str = "float32") -> np.ndarray:
    return np.array(values, dtype=NP_DTYPES[dtype])


# --------------------------------------------------------------------------- tutorial outputs


def test_tutorial_outputs_literal():
    assert tensor_repr(arr([0, 4, 8, 12]), "float32") == "tensor([ 0.,  4.,  8., 12.])"
    assert tensor_repr(arr(28), "float32", grad_fn="MulBackward0") == (
        "tensor(28., grad_fn=<MulBackward0>)"
    )
    assert tensor_repr(arr([[3], [12]]), "float32", grad_fn="MmBackward0") == (
        "tensor([[ 3.],\n        [12.]], grad_fn=<MmBackward0>)"
    )
    assert tensor_repr(arr([-12, 65]), "float32", grad_fn="SubBackward0") == (
        "tensor([-12.,  65.], grad_fn=<SubBackward0>)"
    )
    assert tensor_repr(arr([[0.73], [0.63], [0.53]]), "float32", requires_grad=True) == (
        "tensor([[0.7300],\n        [0.6300],\n        [0.5300]], requires_grad=True)"
    )
    assert tensor_repr(arr(1579.7686), "float32", grad_fn="MulBackward0") == (
        "tensor(1579.7686, grad_fn=<MulBackward0>)"
    )
    assert tensor_repr(arr(True, "bool"), "bool") == "tensor(True)"


def test_tutorial_outputs_match_torch_ops():
    x = torch.arange(4.0, requires_grad=True)
    cases = [
        (x * 4).detach(),
        (x * 4).sum() + 4,  # 28
        torch.tensor([[1.0], [4.0]], requires_grad=True).mm(torch.tensor([[3.0]])),
        torch.tensor([-10.0, 70.0], requires_grad=True) - torch.tensor([2.0, 5.0]),
        torch.tensor([[0.73], [0.63], [0.53]], requires_grad=True),
        torch.tensor(394.94215, requires_grad=True) * 4,
        torch.tensor(True),
    ]
    for t in cases:
        name = type(t.grad_fn).__name__ if t.grad_fn is not None else None
        data = t.detach().numpy()
        got = tensor_repr(data, str(data.dtype), requires_grad=t.requires_grad, grad_fn=name)
        assert got == repr(t)


# --------------------------------------------------------------------------- hand-picked cases

HAND_PICKED = [
    # scalars
    arr(0.0),
    arr(-0.0),
    arr(3.0),
    arr(-2.5),
    arr(1e10),
    arr(1e-5),
    arr(123456789.0),
    arr(NAN),
    arr(-INF),
    arr(7, "int64"),
    arr(-7, "int64"),
    arr(False, "bool"),
    arr(0.1, "float64"),
    # integer-valued floats and alignment
    arr([0, 1, 2]),
    arr([-1, 10, 100]),
    arr([1, 1000]),
    arr([1, 1001]),  # ratio > 1000 -> sci
    arr([1e8, 1]),
    arr([1e8 + 8, 2e8]),
    arr([-0.0, 1.0]),
    arr([-0.0, 1.5]),
    arr([0.0, 0.0]),
    arr([NAN, 1.0]),
    arr([NAN, INF, -INF]),
    arr([NAN, 2.5, -INF]),
    arr([INF, 1e-7]),
    # fixed vs scientific switch points
    arr([1.5, 2.25, -3.125]),
    arr([1e-4, 1.5e-4]),
    arr([9.9e-5, 1.5e-4]),
    arr([0.001, 1.0]),
    arr([0.001, 1.01]),
    arr([1.0e-5, 1.0]),
    arr([1.5, 99999.5]),
    arr([1.5, 1500.5]),
    arr([0.12345, 123.456]),
    arr([0.99999, 9.99996]),
    arr([1e10, -1e-10, 0.0]),
    arr([3.4e38, -3.4e38]),
    arr([1e300, 1e-300], "float64"),
    arr([0.1, 0.2, 0.3], "float64"),
    arr([[1.0, 2.5], [3.0, 4.0]], "float64"),
    # ints and bools
    arr([1, -20, 300], "int64"),
    arr([2**62, -(2**62)], "int64"),
    arr([True, False], "bool"),
    arr([[True], [True]], "bool"),
    # empty tensors
    arr([]),
    arr([], "int64"),
    arr([], "float64"),
    arr([], "bool"),
    np.zeros((0, 3), np.float32),
    np.zeros((2, 0), np.float64),
    np.zeros((2, 0, 3), np.int64),
    # nesting and wrapping
    arr([[1.5, -2.0], [3.0, 4.0]]),
    np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7,
    np.arange(60, dtype=np.int64).reshape(3, 4, 5) - 30,
    np.arange(2 * 2 * 2 * 3, dtype=np.float32).reshape(2, 2, 2, 3),
    np.linspace(-1, 1, 40, dtype=np.float32),
    np.linspace(0, 1e6, 30, dtype=np.float64),
    np.arange(100, dtype=np.int64) * 12345,
    np.arange(50, dtype=np.float32).reshape(2, 25) * 1.5,
    np.full(20, True),
    # summarisation
    np.arange(1001, dtype=np.float32),
    np.arange(1000, dtype=np.float32),
    np.arange(5000, dtype=np.int64).reshape(50, 100),
    np.arange(3000, dtype=np.float64).reshape(10, 10, 30) / 3,
    np.arange(2000, dtype=np.float32).reshape(2, 1000),
    np.arange(2000, dtype=np.float32).reshape(1000, 2),
    np.linspace(1e-6, 1e12, 2001, dtype=np.float64),
    np.tile(np.array([True, False]), 600),
]


@pytest.mark.parametrize("array", HAND_PICKED, ids=lambda a: f"{a.dtype}{list(a.shape)}")
def test_hand_picked_cases(array):
    assert_parity(array)


FLOAT_CASES = [a for a in HAND_PICKED if a.dtype.kind == "f"]  # only floats can require grad


@pytest.mark.parametrize("array", FLOAT_CASES, ids=lambda a: f"{a.dtype}{list(a.shape)}")
def test_autograd_suffixes(array):
    assert_parity(array, requires_grad=True)
    assert_parity(array, non_leaf=True)


def test_suffixes_wrap_onto_new_line():
    rng = np.random.default_rng(0)
    assert_parity(rng.standard_normal((3, 3)), requires_grad=True)  # float64 randn(3, 3)
    # A long last line pushes the suffix to its own line.
    assert_parity(np.arange(7, dtype=np.float64) + 0.5, requires_grad=True)
    assert_parity(np.arange(12, dtype=np.float64) + 0.5, non_leaf=True)
    assert_parity(np.arange(9, dtype=np.float32) / 3, non_leaf=True)


def test_unknown_dtype_rejected():
    with pytest.raises(ValueError):
        tensor_repr(np.zeros(2, np.int16), "int16")  # int32 prints (torch.IntTensor)


# --------------------------------------------------------------------------- print options


def test_get_printoptions_matches_torch():
    from torch._tensor_str import get_printoptions as torch_get

    assert get_printoptions() == torch_get()
    for profile in ("short", "full", "default", "no-such-profile"):
        both_options(profile=profile, sci_mode=True)
        assert get_printoptions() == torch_get()
    both_options(precision=2, linewidth=40)  # sci_mode omitted -> back to None
    assert get_printoptions() == torch_get()


def test_printoptions_context_restores():
    set_printoptions(precision=6, sci_mode=False)
    before = get_printoptions()
    with printoptions(precision=1, threshold=5):
        assert get_printoptions()["precision"] == 1
    assert get_printoptions() == before
    assert _printing._OPTS.precision == 6


OPTION_CASES = [
    {"precision": 2},
    {"precision": 0},
    {"precision": 10},
    {"sci_mode": True},
    {"sci_mode": False},
    {"linewidth": 30},
    {"linewidth": 5},
    {"threshold": 5},
    {"threshold": 5, "edgeitems": 1},
    {"threshold": 5, "edgeitems": 0},
    {"edgeitems": 0},
    {"profile": "short"},
    {"profile": "full"},
]
OPTION_ARRAYS = [
    arr(2.5),
    arr([0.0, 0.0]),
    arr([1.0, 2.0, 3.0]),
    arr([1.123456789, -20.5, 1e-3]),
    arr([1e10, 1.5]),
    arr([NAN, 1.5, INF]),
    np.arange(30, dtype=np.int64).reshape(5, 6),
    np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 3,
    np.arange(2000, dtype=np.float32) / 7,
    np.arange(1500, dtype=np.float32).reshape(10, 150),
    np.zeros((0, 2), np.float32),
    np.tile(np.array([True, False]), 7),
]


@pytest.mark.parametrize("options", OPTION_CASES, ids=str)
def test_print_options_parity(options):
    both_options(**options)
    for array in OPTION_ARRAYS:
        assert_parity(array)
        if array.dtype.kind == "f":
            assert_parity(array, requires_grad=True)


# --------------------------------------------------------------------------- property tests

MAGNITUDES = st.one_of(
    st.integers(-10, 10).map(float),
    st.floats(-1000, 1000, allow_nan=False, width=32),
    st.tuples(st.floats(-6, 12), st.sampled_from([-1.0, 1.0])).map(lambda p: p[1] * 10 ** p[0]),
    st.sampled_from([0.0, -0.0, NAN, INF, -INF, 1e-6, 1e12, 0.5, 1e8]),
)
INTEGERS = st.one_of(st.integers(-10, 10), st.integers(-(10**12), 10**12))


@st.composite
def shapes(draw) -> tuple[int, ...]:
    if draw(st.booleans()):
        return tuple(draw(st.lists(st.integers(0, 7), max_size=3)))
    # Big enough (> 1000 elements) to trigger summarisation.
    return draw(st.sampled_from([(1001,), (3, 400), (400, 3), (11, 10, 11), (2, 2, 300), (1200,)]))


@st.composite
def arrays(draw) -> np.ndarray:
    """Arrays filled from a small drawn pool of values, optionally with continuous noise."""
    dtype = draw(st.sampled_from(list(NP_DTYPES)))
    shape = draw(shapes())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if dtype == "bool":
        return rng.random(shape) < draw(st.floats(0, 1))
    pool = draw(st.lists(INTEGERS if dtype == "int64" else MAGNITUDES, min_size=1, max_size=6))
    values = rng.choice(np.array(pool, dtype=NP_DTYPES[dtype]), size=shape)
    if dtype != "int64" and draw(st.booleans()):
        lo, span = draw(st.floats(-7, 13)), draw(st.floats(0, 6))
        noise = 10 ** rng.uniform(lo, lo + span, size=shape) * rng.choice([-1, 1], size=shape)
        keep = rng.random(shape) < draw(st.floats(0, 1))
        values = np.where(keep, values, noise).astype(NP_DTYPES[dtype])
    return np.asarray(values, dtype=NP_DTYPES[dtype])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(array=arrays(), autograd=st.sampled_from(["none", "leaf", "non_leaf"]))
def test_property_matches_torch(array, autograd):
    floating = array.dtype.kind == "f"
    assert_parity(
        array,
        requires_grad=floating and autograd == "leaf",
        non_leaf=floating and autograd == "non_leaf",
    )


PRINT_OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        "precision": st.integers(0, 8),
        "threshold": st.integers(0, 1200),
        "edgeitems": st.integers(0, 4),
        "linewidth": st.integers(1, 150),
        "sci_mode": st.sampled_from([None, True, False]),
        "profile": st.sampled_from(["default", "short", "full"]),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(array=arrays(), options=PRINT_OPTIONS, leaf=st.booleans())
def test_property_with_print_options(array, options, leaf):
    both_options(**options)
    try:
        assert_parity(array, requires_grad=leaf and array.dtype.kind == "f")
    finally:
        both_options(profile="default")


def test_module_imports_only_numpy():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(_printing))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= {
        "__future__",
        "collections",
        "contextlib",
        "dataclasses",
        "math",
        "typing",
        "numpy",
    }
