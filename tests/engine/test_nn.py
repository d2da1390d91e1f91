"""engine.nn against torch.nn: reprs, traversal, state_dict, forward/backward values and graphs,
hooks, init, and seeded initialisation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from parity import assert_close, graph_structure, to_numpy

import engine

torch = pytest.importorskip(
    "torch", reason="PyTorch 2.13 is the parity reference: pip install torch==2.13.0"
)


def _rng_gap(fn_name: str, draw) -> str | None:
    """Why seeded parity cannot hold yet (the engine's stream differs from torch's), or None."""
    try:
        engine.manual_seed(0)
        mine = to_numpy(draw(engine))
    except (AttributeError, TypeError, NotImplementedError) as exc:
        return f"engine lacks torch's {fn_name}: {exc}"
    torch.manual_seed(0)
    theirs = to_numpy(draw(torch))
    if mine.shape != theirs.shape or not np.array_equal(mine, theirs):
        return f"engine's {fn_name} does not reproduce torch's stream yet"
    return None


def _skip_unless_rng(fn_name: str, draw) -> None:
    gap = _rng_gap(fn_name, draw)
    if gap:
        pytest.skip(gap)


# ----- building the same model in both libraries ---------------------------------------------
def _net(lib):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.25), nn.Linear(8, 8, bias=False)
            )
            self.heads = nn.ModuleDict({"a": nn.Linear(8, 3), "b": nn.Identity()})
            self.blocks = nn.ModuleList([nn.Tanh(), nn.Tanh(), nn.Sigmoid(), nn.LeakyReLU(0.2)])
            self.register_buffer("scale", lib.ones(3))

        def forward(self, x):
            h = self.features(x)
            for block in self.blocks:
                h = block(h)
            return self.heads["a"](h) * self.scale

    return Net()


def _copy_weights(mine, theirs) -> None:
    state = {k: engine.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()}
    assert str(mine.load_state_dict(state)) == str(theirs.load_state_dict(theirs.state_dict()))


def _pair(build):
    mine, theirs = build(engine), build(torch)
    _copy_weights(mine, theirs)
    return mine, theirs


# ----- reprs ---------------------------------------------------------------------------------
REPR_CASES = {
    "linear": lambda nn: nn.Linear(3, 2),
    "linear_nobias": lambda nn: nn.Linear(5, 1, bias=False),
    "sequential": lambda nn: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)),
    "activations": lambda nn: nn.Sequential(
        nn.ReLU(inplace=True),
        nn.LeakyReLU(),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Tanh(),
        nn.Sigmoid(),
        nn.Softmax(dim=1),
        nn.LogSoftmax(dim=-1),
        nn.Softmax(),
        nn.Flatten(),
        nn.Flatten(0, 2),
        nn.Dropout(),
        nn.Dropout(0.1, inplace=True),
        nn.Identity(),
    ),
    "losses": lambda nn: nn.ModuleList(
        [
            nn.MSELoss(),
            nn.L1Loss(reduction="sum"),
            nn.CrossEntropyLoss(),
            nn.NLLLoss(),
            nn.BCELoss(),
            nn.BCEWithLogitsLoss(),
        ]
    ),
    "modulelist_runs": lambda nn: nn.ModuleList(
        [nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)]
    ),
    "empty": lambda nn: nn.ModuleList(),
    "moduledict": lambda nn: nn.ModuleDict({"x": nn.Linear(1, 1), "y": nn.Sequential()}),
    "embedding": lambda nn: nn.Sequential(nn.Embedding(10, 3), nn.Embedding(5, 2, padding_idx=0)),
}


@pytest.mark.parametrize("case", sorted(REPR_CASES))
def test_module_repr_matches_torch(case: str):
    assert repr(REPR_CASES[case](engine.nn)) == repr(REPR_CASES[case](torch.nn))


def test_nested_module_repr_and_parameter_repr():
    mine, theirs = _pair(_net)
    assert repr(mine) == repr(theirs)
    for (n1, p1), (n2, p2) in zip(mine.named_parameters(), theirs.named_parameters()):
        assert n1 == n2
        assert repr(p1) == repr(p2)
        assert str(p1) == str(p2)
    frozen = (
        engine.nn.Parameter(engine.zeros(2), requires_grad=False),
        torch.nn.Parameter(torch.zeros(2), requires_grad=False),
    )
    assert repr(frozen[0]) == repr(frozen[1])


def test_parameter_is_a_tensor_and_flows_through_ops():
    p = engine.nn.Parameter(engine.tensor([1.0, -2.0]))
    assert isinstance(p, engine.Tensor) and isinstance(p, engine.nn.Parameter)
    assert type(p) is engine.nn.Parameter and p.is_leaf and p.requires_grad
    assert not isinstance(engine.ones(1), engine.nn.Parameter)
    y = (p * p).sum()
    y.backward()
    assert p.grad.tolist() == [2.0, -4.0]
    assert type(p.detach()) is engine.Tensor


# ----- traversal, state_dict, modes ------------------------------------------------------------
def test_traversal_and_state_dict_match_torch():
    mine, theirs = _pair(_net)
    assert [n for n, _ in mine.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in mine.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in mine.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in mine.named_children()] == [n for n, _ in theirs.named_children()]
    assert [type(m).__name__ for m in mine.modules()] == [
        type(m).__name__ for m in theirs.modules()
    ]
    assert list(mine.state_dict()) == list(theirs.state_dict())
    assert dict(mine.state_dict()._metadata) == dict(theirs.state_dict()._metadata)
    assert len(list(mine.parameters())) == len(list(theirs.parameters()))
    for a, b in zip(mine.state_dict().values(), theirs.state_dict().values()):
        assert_close(a, b)
        assert not a.requires_grad


def test_shared_module_counted_once():
    for lib in (engine, torch):
        lin = lib.nn.Linear(2, 2)
        seq = lib.nn.Sequential(lin, lib.nn.ReLU(), lin)
        assert len(list(seq.parameters())) == 2
        assert [n for n, _ in seq.named_modules()] == ["", "0", "1"]


def test_load_state_dict_errors_match_torch():
    mine, theirs = engine.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    bad_mine = {"weight": engine.zeros(2, 2), "extra": engine.zeros(1)}
    bad_theirs = {"weight": torch.zeros(2, 2), "extra": torch.zeros(1)}
    with pytest.raises(RuntimeError) as e1:
        mine.load_state_dict(bad_mine)
    with pytest.raises(RuntimeError) as e2:
        theirs.load_state_dict(bad_theirs)
    assert str(e1.value) == str(e2.value)
    r1 = mine.load_state_dict(bad_mine, strict=False)
    r2 = theirs.load_state_dict(bad_theirs, strict=False)
    assert repr(r1) == repr(r2)
    with pytest.raises(RuntimeError) as e1:
        mine.load_state_dict({"weight": engine.zeros(3, 2), "bias": engine.zeros(2)})
    with pytest.raises(RuntimeError) as e2:
        theirs.load_state_dict({"weight": torch.zeros(3, 2), "bias": torch.zeros(2)})
    assert str(e1.value) == str(e2.value)


def test_train_eval_zero_grad_apply_and_to():
    mine, theirs = _pair(_net)
    assert mine.training and mine.features[2].training
    mine.eval()
    assert not any(m.training for m in mine.modules())
    x = engine.randn(5, 4)
    assert mine(x).equal(mine(x))  # dropout is off in eval mode
    mine.train()
    assert all(m.training for m in mine.modules())
    mine(x).sum().backward()
    assert all(p.grad is not None for p in mine.parameters())
    mine.zero_grad(set_to_none=False)
    assert all(not p.grad.any() for p in mine.parameters())
    mine.zero_grad()
    assert all(p.grad is None for p in mine.parameters())
    seen = []
    mine.apply(lambda m: seen.append(type(m).__name__))
    theirs_seen = []
    theirs.apply(lambda m: theirs_seen.append(type(m).__name__))
    assert seen == theirs_seen
    mine.double()
    assert all(p.dtype is engine.float64 for p in mine.parameters())
    assert all(isinstance(p, engine.nn.Parameter) for p in mine.parameters())
    assert mine.to(engine.float32).scale.dtype is engine.float32


def test_setattr_registration_rules():
    m = engine.nn.Module()
    m.w = engine.nn.Parameter(engine.ones(1))
    m.sub = engine.nn.Linear(1, 1)
    m.plain = engine.ones(1)
    assert [n for n, _ in m.named_parameters()] == ["w", "sub.weight", "sub.bias"]
    with pytest.raises(TypeError, match="cannot assign 'torch.Tensor' as parameter 'w'"):
        m.w = engine.ones(1)
    del m.sub
    assert [n for n, _ in m.named_parameters()] == ["w"]
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nope'"):
        _ = m.nope
    with pytest.raises(
        NotImplementedError, match=r'Module \[Module\] is missing the required "forward" function'
    ):
        m(1)


def test_sequential_and_modulelist_editing():
    for lib in (engine, torch):
        nn = lib.nn
        seq = nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 1))
        assert isinstance(seq[-1], nn.Linear) and len(seq[1:]) == 2
        assert type(seq[1:]) is nn.Sequential
        seq.append(nn.Sigmoid())
        del seq[0]
        assert [type(m).__name__ for m in seq] == ["ReLU", "Linear", "Sigmoid"]
        lst = nn.ModuleList([nn.ReLU()])
        lst += [nn.Tanh()]
        lst.insert(0, nn.Sigmoid())
        assert [type(m).__name__ for m in lst] == ["Sigmoid", "ReLU", "Tanh"]


# ----- forward/backward values and graphs ---------------------------------------------------
def _check_step(mine_model, theirs_model, x: np.ndarray, loss_fns) -> None:
    mine_out = mine_model(engine.tensor(x))
    theirs_out = theirs_model(torch.tensor(x))
    assert_close(mine_out, theirs_out)
    assert graph_structure(mine_out.grad_fn) == graph_structure(theirs_out.grad_fn)
    mine_loss, theirs_loss = loss_fns(engine, mine_out), loss_fns(torch, theirs_out)
    assert graph_structure(mine_loss.grad_fn) == graph_structure(theirs_loss.grad_fn)
    assert_close(mine_loss, theirs_loss)
    mine_loss.backward()
    theirs_loss.backward()
    for (n, a), (_, b) in zip(mine_model.named_parameters(), theirs_model.named_parameters()):
        assert_close(a.grad, b.grad), n


def test_mlp_training_graph_matches_torch():
    def build(lib):
        nn = lib.nn
        return nn.Sequential(nn.Flatten(), nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3))

    mine, theirs = _pair(build)
    x = np.random.default_rng(0).standard_normal((4, 2, 3)).astype(np.float32)
    target = [0, 2, 1, 2]
    _check_step(
        mine, theirs, x, lambda lib, out: lib.nn.CrossEntropyLoss()(out, lib.tensor(target))
    )


LOSSES = {
    "mse": lambda lib, out, y: lib.nn.MSELoss()(out, y),
    "mse_sum": lambda lib, out, y: lib.nn.MSELoss(reduction="sum")(out, y),
    "l1": lambda lib, out, y: lib.nn.L1Loss()(out, y),
    "bce": lambda lib, out, y: lib.nn.BCELoss()(out.sigmoid(), y.sigmoid()),
    "bce_logits": lambda lib, out, y: lib.nn.BCEWithLogitsLoss(
        pos_weight=lib.tensor([2.0, 1.0, 0.5])
    )(out, y.sigmoid()),
    "nll": lambda lib, out, y: lib.nn.NLLLoss()(lib.nn.LogSoftmax(dim=1)(out), y.argmax(1)),
    "ce_weight": lambda lib, out, y: lib.nn.CrossEntropyLoss(weight=lib.tensor([1.0, 2.0, 3.0]))(
        out, y.argmax(1)
    ),
    "ce_probs": lambda lib, out, y: lib.nn.CrossEntropyLoss()(out, y.softmax(1)),
    "ce_smooth": lambda lib, out, y: lib.nn.CrossEntropyLoss(label_smoothing=0.1)(out, y.argmax(1)),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_values_and_grads_match_torch(name: str):
    mine, theirs = _pair(lambda lib: lib.nn.Linear(4, 3))
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 4)).astype(np.float32)
    y = rng.standard_normal((5, 3)).astype(np.float32)
    mine_loss = LOSSES[name](engine, mine(engine.tensor(x)), engine.tensor(y))
    theirs_loss = LOSSES[name](torch, theirs(torch.tensor(x)), torch.tensor(y))
    assert_close(mine_loss, theirs_loss)
    if name not in ("ce_probs", "ce_smooth"):  # torch decomposes these into other node names
        assert graph_structure(mine_loss.grad_fn) == graph_structure(theirs_loss.grad_fn)
    mine_loss.backward()
    theirs_loss.backward()
    assert_close(mine.weight.grad, theirs.weight.grad)
    assert_close(mine.bias.grad, theirs.bias.grad)


def test_mse_broadcast_warns_like_torch():
    with pytest.warns(UserWarning, match="Using a target size") as rec_mine:
        out = engine.nn.functional.mse_loss(
            engine.ones(4, 3, requires_grad=True), engine.zeros(3, requires_grad=True)
        )
    with pytest.warns(UserWarning, match="Using a target size"):
        tout = torch.nn.functional.mse_loss(
            torch.ones(4, 3, requires_grad=True), torch.zeros(3, requires_grad=True)
        )
    assert graph_structure(out.grad_fn) == graph_structure(tout.grad_fn)
    assert str(rec_mine[0].message).startswith("Using a target size (torch.Size([3]))")


def test_dropout_scales_kept_values_and_p_edges():
    x = engine.ones(1000, requires_grad=True)
    y = engine.nn.functional.dropout(x, 0.25)
    kept = y.detach().numpy()
    assert set(np.unique(kept).tolist()) <= {0.0, np.float32(1 / 0.75)}
    assert 0.6 < (kept > 0).mean() < 0.9
    assert y.grad_fn.name() == "MulBackward0"
    assert engine.nn.functional.dropout(x, 0.0) is x
    assert engine.nn.functional.dropout(x, 0.5, training=False) is x
    assert not engine.nn.functional.dropout(x, 1.0).detach().any()
    with pytest.raises(
        ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"
    ):
        engine.nn.functional.dropout(x, 1.5)


# ----- hooks ---------------------------------------------------------------------------------
def test_forward_hooks_match_torch():
    logs = {}
    for lib in (engine, torch):
        lin = lib.nn.Linear(2, 2)
        log = logs[lib.__name__] = []
        h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
        h2 = lin.register_forward_hook(
            lambda m, args, out, log=log: log.append(tuple(out.shape)) or out + 1
        )
        with lib.no_grad():
            lin.weight.fill_(1.0)
            lin.bias.fill_(0.0)
        out = lin(lib.ones(1, 2))
        assert out.tolist() == [[5.0, 5.0]]
        h1.remove()
        h2.remove()
        assert lin(lib.ones(1, 2)).tolist() == [[2.0, 2.0]]
    assert logs["engine"] == logs["torch"] == [(1, 2)]


def test_full_backward_hook_matches_torch():
    seen = {}
    for lib in (engine, torch):
        lin = lib.nn.Linear(3, 2)
        with lib.no_grad():
            lin.weight.copy_(lib.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]]))
        calls = seen[lib.__name__] = []

        def hook(module, grad_input, grad_output, calls=calls):
            calls.append(
                (
                    [to_numpy(g) if g is not None else None for g in grad_input],
                    [to_numpy(g) for g in grad_output],
                )
            )
            return None if grad_input[0] is None else (grad_input[0] * 10,)

        lin.register_full_backward_hook(hook)
        x = lib.tensor([[1.0, -1.0, 2.0]], requires_grad=True)
        out = lin(x)
        calls.append(out.grad_fn.name())
        (out * lib.tensor([[1.0, 2.0]])).sum().backward()
        calls.append(to_numpy(x.grad))
        with pytest.warns(UserWarning, match="Full backward hook is firing"):
            lin(lib.ones(1, 3)).sum().backward()  # no input needs a gradient: hook gets None
    mine, theirs = seen["engine"], seen["torch"]
    assert mine[0] == theirs[0] == "BackwardHookFunctionBackward"
    for (gi_m, go_m), (gi_t, go_t) in [(mine[1], theirs[1]), (mine[3], theirs[3])]:
        assert len(gi_m) == len(gi_t) and len(go_m) == len(go_t)
        for a, b in zip(gi_m + go_m, gi_t + go_t):
            assert (a is None) == (b is None)
            if a is not None:
                np.testing.assert_allclose(a, b, rtol=1e-6)
    np.testing.assert_allclose(mine[2], theirs[2], rtol=1e-6)


# ----- init ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "param"),
    [
        ("linear", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", math.sqrt(5)),
        ("selu", None),
        ("conv2d", None),
    ],
)
def test_calculate_gain_matches_torch(name: str, param):
    assert engine.nn.init.calculate_gain(name, param) == torch.nn.init.calculate_gain(name, param)


def test_init_bounds_and_constants():
    w = engine.empty(200, 50)
    engine.nn.init.xavier_uniform_(w, gain=2.0)
    assert np.abs(w.numpy()).max() <= 2.0 * math.sqrt(6.0 / 250) + 1e-6
    engine.nn.init.kaiming_uniform_(w, a=math.sqrt(5))
    assert np.abs(w.numpy()).max() <= 1 / math.sqrt(50) + 1e-6
    engine.nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(w.numpy().std() - math.sqrt(2 / 200)) < 0.01
    engine.nn.init.constant_(w, 0.5)
    assert (w.numpy() == 0.5).all()
    engine.nn.init.zeros_(w)
    assert not w.any()
    engine.nn.init.ones_(w)
    assert w.all()
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        engine.nn.init.xavier_uniform_(engine.empty(3))
    p = engine.nn.Linear(2, 2).weight
    engine.nn.init.normal_(p, std=0.01)  # in place on a leaf that requires grad: no error
    assert p.requires_grad and p.is_leaf


SEEDED = {
    "linear": lambda lib: lib.nn.Linear(3, 2).weight,
    "linear_bias": lambda lib: lib.nn.Linear(5, 4).bias,
    "mlp": lambda lib: lib.nn.Sequential(lib.nn.Linear(7, 16), lib.nn.Linear(16, 1))[1].weight,
    "xavier_normal": lambda lib: lib.nn.init.xavier_normal_(lib.empty(17, 3)),
    "kaiming_normal": lambda lib: lib.nn.init.kaiming_normal_(lib.empty(4, 4)),
    "embedding": lambda lib: lib.nn.Embedding(6, 3).weight,
    "dropout": lambda lib: lib.nn.functional.dropout(lib.ones(33), 0.3),
}


@pytest.mark.parametrize("name", sorted(SEEDED))
def test_seeded_initialisation_matches_torch(name: str):
    _skip_unless_rng("rand/uniform_", lambda lib: lib.empty(20).uniform_(-1, 1))
    _skip_unless_rng("normal_", lambda lib: lib.empty(20).normal_(0, 2))
    if name == "dropout":
        _skip_unless_rng("bernoulli_", lambda lib: lib.empty(20).bernoulli_(0.3))
    engine.manual_seed(3)
    torch.manual_seed(3)
    mine, theirs = SEEDED[name](engine), SEEDED[name](torch)
    np.testing.assert_array_equal(to_numpy(mine), to_numpy(theirs))
