"""engine.optim against torch.optim: 50-step parameter trajectories for every optimiser and
option (float64 within 1e-6, float32 within 1e-5), reprs, state_dict, zero_grad, StepLR."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from parity import to_numpy

import engine

torch = pytest.importorskip(
    "torch", reason="PyTorch 2.13 is the parity reference: pip install torch==2.13.0"
)

CONFIGS = {
    "sgd": ("SGD", {"lr": 0.05}),
    "sgd_momentum": ("SGD", {"lr": 0.05, "momentum": 0.9}),
    "sgd_dampening": ("SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3}),
    "sgd_nesterov": ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    "sgd_weight_decay": ("SGD", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1}),
    "sgd_maximize": ("SGD", {"lr": 0.01, "momentum": 0.9, "maximize": True}),
    "adam": ("Adam", {"lr": 0.05}),
    "adam_amsgrad": ("Adam", {"lr": 0.05, "amsgrad": True}),
    "adam_weight_decay": ("Adam", {"lr": 0.05, "weight_decay": 0.1, "betas": (0.8, 0.99)}),
    "adam_maximize": ("Adam", {"lr": 0.01, "maximize": True, "eps": 1e-6}),
    "adamw": ("AdamW", {"lr": 0.05}),
    "adamw_amsgrad": ("AdamW", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.3}),
    "rmsprop": ("RMSprop", {"lr": 0.01}),
    "rmsprop_momentum": ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    "rmsprop_centered": ("RMSprop", {"lr": 0.01, "centered": True, "alpha": 0.9}),
    "rmsprop_all": (
        "RMSprop",
        {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1, "maximize": True},
    ),
}

TOLERANCE = {"float64": 1e-6, "float32": 1e-5}


def _loss(lib, params, maximize: bool):
    """A smooth, non-quadratic loss whose gradients are the same ops in both libraries
    (negated when maximizing, so the run converges either way)."""
    w, b = params
    loss = ((w - 0.5) ** 2).sum() + (w.sin() * b).sum() + (b**2).sum() * 0.3
    return -loss if maximize else loss


def _trajectory(lib, name: str, kwargs: dict, dtype: str, steps: int = 50):
    rng = np.random.default_rng(7)
    init = [rng.standard_normal((3, 4)), rng.standard_normal(4)]
    params = [lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=True) for a in init]
    opt = getattr(lib.optim, name)(params, **kwargs)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        _loss(lib, params, kwargs.get("maximize", False)).backward()
        opt.step()
        out.append([to_numpy(p) for p in params])
    return out, opt


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_trajectory_matches_torch(config: str, dtype: str):
    name, kwargs = CONFIGS[config]
    mine, mine_opt = _trajectory(engine, name, kwargs, dtype)
    theirs, theirs_opt = _trajectory(torch, name, kwargs, dtype)
    for step, (a, b) in enumerate(zip(mine, theirs)):
        for x, y in zip(a, b):
            assert x.dtype == y.dtype
            np.testing.assert_allclose(x, y, rtol=0, atol=TOLERANCE[dtype], err_msg=f"step {step}")
    assert repr(mine_opt) == repr(theirs_opt)
    mine_sd, theirs_sd = mine_opt.state_dict(), theirs_opt.state_dict()
    assert mine_sd["param_groups"] == theirs_sd["param_groups"]
    assert mine_sd["state"].keys() == theirs_sd["state"].keys()
    for k in theirs_sd["state"]:
        assert list(mine_sd["state"][k]) == list(theirs_sd["state"][k])
        for key, v in theirs_sd["state"][k].items():
            m = mine_sd["state"][k][key]
            assert str(m.dtype) == str(v.dtype) and tuple(m.shape) == tuple(v.shape)
            np.testing.assert_allclose(
                to_numpy(m), to_numpy(v), rtol=1e-4, atol=10 * TOLERANCE[dtype]
            )


def test_param_groups_and_add_param_group():
    runs = {}
    for lib in (engine, torch):
        w = lib.tensor([1.0, -2.0], requires_grad=True)
        b = lib.tensor([0.5], requires_grad=True)
        opt = lib.optim.SGD([{"params": [w]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
        c = lib.tensor([3.0], requires_grad=True)
        opt.add_param_group({"params": [c], "momentum": 0.0})
        for _ in range(3):
            opt.zero_grad()
            ((w * w).sum() + (b * 3).sum() + (c**3).sum()).backward()
            opt.step()
        runs[lib.__name__] = (repr(opt), [p.tolist() for p in (w, b, c)])
        with pytest.raises(ValueError, match="some parameters appear in more than one"):
            opt.add_param_group({"params": [w]})
    assert runs["engine"][0] == runs["torch"][0]
    np.testing.assert_allclose(runs["engine"][1][0], runs["torch"][1][0], rtol=1e-6)
    np.testing.assert_allclose(runs["engine"][1][2], runs["torch"][1][2], rtol=1e-6)


def test_zero_grad_closure_and_errors():
    w = engine.tensor([1.0, 2.0], requires_grad=True)
    opt = engine.optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert w.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert w.grad is None

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 5.0
    assert w.tolist() == pytest.approx([0.8, 1.6])
    assert w.is_leaf and w.grad_fn is None and w._version > 0
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        engine.optim.Adam([])
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        engine.optim.SGD([w * 2], lr=0.1)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
        engine.optim.SGD(w, lr=0.1)


def test_state_dict_round_trip_continues_the_trajectory():
    def run(lib, reload: bool):
        w = lib.tensor([1.0, -1.0, 0.5], dtype=lib.float64, requires_grad=True)
        opt = lib.optim.Adam([w], lr=0.1, amsgrad=True)
        for i in range(6):
            if reload and i == 3:
                sd = opt.state_dict()
                opt = lib.optim.Adam([w], lr=0.1, amsgrad=True)
                opt.load_state_dict(sd)
            opt.zero_grad()
            (w.sin() * w).sum().backward()
            opt.step()
        return w.tolist()

    assert run(engine, True) == pytest.approx(run(engine, False), abs=1e-12)
    assert run(engine, True) == pytest.approx(run(torch, True), abs=1e-9)


def test_step_lr_matches_torch():
    seen = {}
    for lib in (engine, torch):
        w = lib.tensor([1.0], requires_grad=True)
        opt = lib.optim.SGD([w], lr=1.0)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
        lrs = []
        for _ in range(8):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr())
        state = sched.state_dict()
        seen[lib.__name__] = (lrs, repr(opt), list(state), state["last_epoch"], state["base_lrs"])
    assert seen["engine"] == seen["torch"]


def test_step_lr_order_warning_like_torch():
    messages = {}
    for lib in (engine, torch):
        w = lib.tensor([1.0], requires_grad=True)
        opt = lib.optim.SGD([w], lr=1.0)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=1)
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            sched.step()
        messages[lib.__name__] = [str(r.message) for r in rec]
    assert messages["engine"] == messages["torch"]
    assert messages["engine"] and "before `optimizer.step()`" in messages["engine"][0]


def test_mlp_training_loop_matches_torch():
    """A whole tutorial-style loop: model, loss, optimiser, 20 steps, same weights."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 5)).astype(np.float32)
    y = rng.integers(0, 3, 16)
    models = {}
    for lib in (engine, torch):
        nn = lib.nn
        model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))
        models[lib.__name__] = model
    state = {
        k: engine.tensor(v.detach().numpy().copy()) for k, v in models["torch"].state_dict().items()
    }
    models["engine"].load_state_dict(state)
    for lib in (engine, torch):
        model = models[lib.__name__]
        opt = lib.optim.Adam(model.parameters(), lr=0.01)
        loss_fn = lib.nn.CrossEntropyLoss()
        for _ in range(20):
            opt.zero_grad()
            loss = loss_fn(model(lib.tensor(x)), lib.tensor(y))
            loss.backward()
            opt.step()
    for a, b in zip(models["engine"].parameters(), models["torch"].parameters()):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), atol=1e-5)
