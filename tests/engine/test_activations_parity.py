"""The activations of nn.functional and their nn modules against PyTorch 2.13: values,
gradients, grad_fn names, reprs, one_hot's errors, normalize, and double backward.
(The registry suite covers the ops themselves; this covers the public entry points.)"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from parity import assert_close, assert_same_tensor, graph_structure

import engine

torch = pytest.importorskip(
    "torch", reason="PyTorch 2.13 is the parity reference: pip install torch==2.13.0"
)

_RNG = np.random.default_rng(7)
# Points on both sides of every kink and threshold the functions have, plus the tails.
_X = np.concatenate(
    [_RNG.standard_normal(12) * 3, [-30.0, -8.0, -0.7, -0.25, 0.3, 0.9, 5.5, 7.0, 12.0, 30.0]]
).astype(np.float32)

FUNCTIONS = [
    ("gelu", (), {}),
    ("gelu", (), {"approximate": "tanh"}),
    ("silu", (), {}),
    ("elu", (), {}),
    ("elu", (0.3,), {}),
    ("softplus", (), {}),
    ("softplus", (), {"beta": 2.0, "threshold": 5.0}),
    ("softplus", (), {"beta": 0.5}),
    ("hardtanh", (), {}),
    ("hardtanh", (-2.0, 3.0), {}),
    ("relu6", (), {}),
    ("logsigmoid", (), {}),
    ("softmin", (), {"dim": 1}),
    ("normalize", (), {}),
    ("normalize", (), {"p": 1.0, "dim": 0}),
]


def _pair(values: np.ndarray, requires_grad: bool = True):
    return (
        engine.tensor(values.copy(), requires_grad=requires_grad),
        torch.tensor(values.copy(), requires_grad=requires_grad),
    )


@pytest.mark.parametrize(("name", "args", "kwargs"), FUNCTIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_functional_values_grads_and_nodes(name, args, kwargs, dtype):
    x = _X.astype(dtype).reshape(2, 11)
    mine_x, their_x = _pair(x * 1)
    mine = getattr(engine.nn.functional, name)(mine_x * 1.5, *args, **kwargs)
    theirs = getattr(torch.nn.functional, name)(their_x * 1.5, *args, **kwargs)
    assert_same_tensor(mine, theirs, rtol=1e-5, atol=1e-6)
    assert graph_structure(mine.grad_fn) == graph_structure(theirs.grad_fn)
    up = _RNG.standard_normal(x.shape).astype(dtype)
    mine.backward(engine.tensor(up))
    theirs.backward(torch.tensor(up))
    assert_close(mine_x.grad, their_x.grad, rtol=1e-5, atol=1e-6)


def test_forward_float32_bits_are_torchs_closely():
    """float32 forward within 4 ulp of torch's kernels (1e-6 in gelu's negative tail), tails and
    thresholds included."""
    xs = np.linspace(-40, 40, 4001, dtype=np.float32)
    for name, args, kwargs in FUNCTIONS[:11]:
        mine = getattr(engine.nn.functional, name)(engine.tensor(xs), *args, **kwargs)
        theirs = getattr(torch.nn.functional, name)(torch.tensor(xs), *args, **kwargs)
        a, b = mine.numpy(), theirs.numpy()
        ulp = np.spacing(np.maximum(np.abs(a), np.abs(b)).astype(np.float32))
        # torch's float32 gelu loses 1 + erf (1 + tanh) to cancellation in its negative tail
        # (down to 0): up to 1e-6 there, where the engine rounds the float64 value.
        off = np.abs(a - b) > np.maximum(4 * ulp, 1e-6)
        assert not off.any(), (name, kwargs, xs[off][:5], a[off][:5], b[off][:5])


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("gelu", {}),
        ("gelu", {"approximate": "tanh"}),
        ("silu", {}),
        ("elu", {"alpha": 0.7}),
        ("softplus", {"beta": 1.5}),
    ],
)
def test_double_backward_matches_torch(name, kwargs):
    x = _X.astype(np.float64)[:12]
    results = []
    for lib in (engine, torch):
        t = lib.tensor(x.copy(), requires_grad=True)
        y = getattr(lib.nn.functional, name)(t, **kwargs)
        (g,) = lib.autograd.grad(y.sum(), t, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), t, create_graph=True)
        (ggg,) = lib.autograd.grad(gg.sum(), t)
        results.append((g.grad_fn.name(), g.detach().numpy(), gg.detach().numpy(), ggg.numpy()))
    (mine_name, *mine), (their_name, *theirs) = results
    assert mine_name == their_name
    for a, b in zip(mine, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)


MODULES = [
    ("GELU", (), "GELU(approximate='none')"),
    ("GELU", ("tanh",), "GELU(approximate='tanh')"),
    ("SiLU", (), "SiLU()"),
    ("ELU", (), "ELU(alpha=1.0)"),
    ("ELU", (0.5,), "ELU(alpha=0.5)"),
    ("Softplus", (), "Softplus(beta=1.0, threshold=20.0)"),
    ("Softplus", (2, 10), "Softplus(beta=2, threshold=10)"),
    ("Hardtanh", (), "Hardtanh(min_val=-1.0, max_val=1.0)"),
    ("Hardtanh", (-2, 3), "Hardtanh(min_val=-2, max_val=3)"),
    ("ReLU6", (), "ReLU6()"),
    ("LogSigmoid", (), "LogSigmoid()"),
    ("Softmin", (1,), "Softmin(dim=1)"),
    ("Softmin", (), "Softmin(dim=None)"),
]


@pytest.mark.parametrize(("name", "args", "text"), MODULES)
def test_modules_match_torch(name, args, text):
    mine_m, their_m = getattr(engine.nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(mine_m) == repr(their_m) == text
    x = _X.reshape(2, 11) * 2
    mine_x, their_x = _pair(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Softmin(dim=None) warns in both
        mine, theirs = mine_m(mine_x), their_m(their_x)
    assert_same_tensor(mine, theirs)
    mine.sum().backward()
    theirs.sum().backward()
    assert_close(mine_x.grad, their_x.grad)


@pytest.mark.parametrize("name", ["SiLU", "ELU", "Hardtanh", "ReLU6"])
def test_inplace_modules_repr_and_values(name):
    mine_m, their_m = getattr(engine.nn, name)(inplace=True), getattr(torch.nn, name)(inplace=True)
    assert repr(mine_m) == repr(their_m)
    mine_x, their_x = _pair(_X * 2, requires_grad=False)
    assert mine_m(mine_x) is mine_x
    their_m(their_x)
    assert_close(mine_x, their_x)


def test_softmin_without_dim_warns_like_torch():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        out = engine.nn.functional.softmin(engine.tensor(_X.reshape(2, 11)))
    assert_close(out, torch.nn.functional.softmin(torch.tensor(_X.reshape(2, 11)), dim=1))


def test_bad_arguments_raise_torchs_errors():
    x = engine.tensor(_X)
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        engine.nn.functional.gelu(x, approximate="exact")
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        engine.nn.functional.hardtanh(x, 2.0, 1.0)
    with pytest.raises(AssertionError, match=r"max_val \(1\) must be greater than min_val"):
        engine.nn.Hardtanh(1, 1)


@pytest.mark.parametrize(
    ("values", "num_classes"),
    [([0, 2, 1], -1), ([0, 2, 1], 5), ([[1, 0], [3, 3]], -1), ([], 3), (4, 6)],
)
def test_one_hot_matches_torch(values, num_classes):
    mine = engine.nn.functional.one_hot(engine.tensor(values, dtype=engine.int64), num_classes)
    theirs = torch.nn.functional.one_hot(torch.tensor(values, dtype=torch.int64), num_classes)
    assert_same_tensor(mine, theirs)


@pytest.mark.parametrize(
    ("values", "dtype", "num_classes", "message"),
    [
        ([0, 2, 1], "int64", 2, "Class values must be smaller than num_classes."),
        ([0, -1], "int64", 3, "Class values must be non-negative."),
        ([], "int64", -1, "Can not infer total number of classes from empty tensor."),
        ([0, 1], "int32", -1, "one_hot is only applicable to index tensor of type LongTensor."),
        ([0.0, 1.0], "float32", -1, "one_hot is only applicable to index tensor of type Long"),
    ],
)
def test_one_hot_errors_are_torchs(values, dtype, num_classes, message):
    for lib in (engine, torch):
        t = lib.tensor(values, dtype=getattr(lib, dtype))
        with pytest.raises(RuntimeError, match=message):
            lib.nn.functional.one_hot(t, num_classes)


def test_normalize_graph_and_zero_rows():
    """A zero row is divided by eps, not by 0; the graph is torch's composite one."""
    x = np.array([[0.0, 0.0, 0.0], [3.0, -4.0, 0.5]], dtype=np.float32)
    mine_x, their_x = _pair(x)
    mine = engine.nn.functional.normalize(mine_x, dim=1)
    theirs = torch.nn.functional.normalize(their_x, dim=1)
    assert_same_tensor(mine, theirs)
    assert graph_structure(mine.grad_fn) == graph_structure(theirs.grad_fn)
    mine.backward(engine.ones(2, 3))
    theirs.backward(torch.ones(2, 3))
    assert_close(mine_x.grad, their_x.grad)


def test_relu6_and_gelu_nodes_have_torchs_names():
    x = engine.tensor(_X, requires_grad=True)
    assert engine.nn.functional.relu6(x).grad_fn.name() == "HardtanhBackward0"
    assert engine.nn.functional.gelu(x).grad_fn.name() == "GeluBackward0"
    assert engine.nn.functional.softmin(x, dim=0).grad_fn.name() == "SoftmaxBackward0"
    assert engine.nn.SiLU()(x).grad_fn.name() == "SiluBackward0"


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [("elu", {"inplace": True}), ("elu_", {"alpha": 0.4}), ("hardtanh", {"inplace": True})]
    + [("relu6", {"inplace": True}), ("silu", {"inplace": True})],
)
def test_inplace_functions_nodes_and_grads(name, kwargs):
    """elu_ reads its derivative from its output (EluBackward1), as torch's does."""
    mine_x, their_x = _pair(_X * 2)
    mine_in, their_in = mine_x * 1, their_x * 1
    mine = getattr(engine.nn.functional, name)(mine_in, **kwargs)
    theirs = getattr(torch.nn.functional, name)(their_in, **kwargs)
    assert mine is mine_in
    assert_same_tensor(mine, theirs)
    assert graph_structure(mine.grad_fn) == graph_structure(theirs.grad_fn)
    mine.sum().backward()
    theirs.sum().backward()
    assert_close(mine_x.grad, their_x.grad)


@pytest.mark.parametrize("name", ["silu", "hardtanh", "relu6", "elu"])
def test_inplace_on_a_leaf_that_requires_grad_raises_torchs_error(name):
    for lib in (engine, torch):
        leaf = lib.tensor(_X.copy(), requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            getattr(lib.nn.functional, name)(leaf, inplace=True)
        assert np.array_equal(leaf.detach().numpy(), _X)


_LEAKY_INPLACE = {
    "F.leaky_relu(inplace=True)": lambda lib, t, s: lib.nn.functional.leaky_relu(t, s, True),
    "F.leaky_relu_": lambda lib, t, s: lib.nn.functional.leaky_relu_(t, negative_slope=s),
    "nn.LeakyReLU(inplace=True)": lambda lib, t, s: lib.nn.LeakyReLU(s, inplace=True)(t),
}


@pytest.mark.parametrize("how", sorted(_LEAKY_INPLACE))
@pytest.mark.parametrize("slope", [0.01, 0.2, 0.0])
def test_leaky_relu_inplace_reads_its_output_like_torch(how, slope):
    """leaky_relu_ records LeakyReluBackward1, whose backward reads the output (the input is
    overwritten); its create_graph backward is LeakyReluBackwardBackward0 of (grad, output)."""
    x = np.append(_X, 0.0).astype(np.float64)  # 0 too: output 0 takes the slope, as x = 0 does
    up = _RNG.standard_normal(x.shape)
    got = {}
    for lib in (engine, torch):
        leaf = lib.tensor(x.copy(), requires_grad=True)
        inner = leaf * 1
        y = _LEAKY_INPLACE[how](lib, inner, slope)
        assert y is inner
        g = lib.tensor(up.copy(), requires_grad=True)
        (gx,) = lib.autograd.grad(y, leaf, g, create_graph=True)
        lrelu_bwd = gx.grad_fn.next_functions[0][0]
        got[lib] = (
            y,
            y.grad_fn.name(),
            graph_structure(y.grad_fn),
            gx,
            graph_structure(gx.grad_fn),
            lrelu_bwd.next_functions[1][0].name(),  # the saved output's node
            lib.autograd.grad((gx * gx).sum(), [leaf, g]),
        )
    mine, theirs = got[engine], got[torch]
    assert mine[1] == theirs[1] == "LeakyReluBackward1"
    assert mine[5] == theirs[5] == "LeakyReluBackward1"
    assert mine[2] == theirs[2] and mine[4] == theirs[4]
    assert_same_tensor(mine[0], theirs[0])
    assert_same_tensor(mine[3], theirs[3])
    for a, b in zip(mine[6], theirs[6]):
        assert_close(a, b)


def test_leaky_relu_inplace_negative_slope_runs_but_its_backward_raises_torchs_error():
    x = _X.astype(np.float64)
    errors = []
    for lib in (engine, torch):
        leaf = lib.tensor(x.copy(), requires_grad=True)
        y = lib.nn.functional.leaky_relu(leaf * 1, -0.3, inplace=True)
        assert np.allclose(y.detach().numpy(), np.where(x > 0, x, -0.3 * x))
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
        errors.append(str(info.value))
        with lib.no_grad():  # no graph, no backward: nothing to refuse
            t = lib.tensor(x.copy())
            lib.nn.functional.leaky_relu_(t, -0.3)
        assert np.allclose(t.numpy(), np.where(x > 0, x, -0.3 * x))
    assert errors[0] == errors[1]
    assert errors[0].startswith("In-place leakyReLu backward calculation is triggered with a ne")


def test_leaky_relu_inplace_on_a_grad_leaf_raises_and_tensor_has_no_leaky_relu_method():
    for lib in (engine, torch):
        leaf = lib.tensor(_X.copy(), requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            lib.nn.functional.leaky_relu(leaf, 0.2, inplace=True)
        assert np.array_equal(leaf.detach().numpy(), _X)
    # torch has F.leaky_relu_ but no Tensor.leaky_relu_ / Tensor.leaky_relu method.
    assert not hasattr(torch.Tensor, "leaky_relu_") and not hasattr(engine.Tensor, "leaky_relu_")
