"""The Optimizer base: param_groups, per-parameter state, zero_grad, state_dict, repr.

Updates run in numpy, in place on each parameter's storage (one array expression per
tensor, no graph), following the order of torch's single-tensor (foreach=False) code, which
is the path torch itself takes for CPU tensors."""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable

import numpy as np

from .._grad_mode import STATE, enable_grad, no_grad
from .._tensor import Tensor


class _RequiredParameter:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


_TOLD_BY_STEP: list = []  # set while step() runs under a recorder: it tells each update


def bump(t: Tensor, name: str) -> None:
    """Mark an in-place numpy update of `t`: new version, and an event for recorders."""
    t._vc[0] += 1
    if STATE.recorders and not _TOLD_BY_STEP:
        from ..autograd import _record_module as record

        record.inplace(t, name)


def state_zeros(p: Tensor) -> Tensor:
    return Tensor._make(np.zeros_like(p._data), p._dtype, False, None)


def step_counter(p: Tensor) -> Tensor:
    """torch keeps `step` as a 0-d float tensor (float64 when that is the default dtype)."""
    from .. import _dtype as dt

    d = dt.get_default_dtype()
    return Tensor._make(np.zeros((), dtype=d.np), d, False, None)


def writable(p: Tensor) -> np.ndarray:
    """The parameter's storage, made writable if it was a broadcast view."""
    if not p._data.flags.writeable:
        p._data = np.array(p._data)
    return p._data


class Optimizer:
    def __init__(self, params, defaults: dict) -> None:
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {_typename(params)}"
            )
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def __getstate__(self) -> dict:
        return {
            "defaults": self.defaults,
            "state": self.state,
            "param_groups": self.param_groups,
        }

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    def add_param_group(self, param_group: dict) -> None:
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list "
                "instead."
            )
        else:
            param_group["params"] = list(params)
        for p in param_group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is {_typename(p)}"
                )
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    f"parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            param_group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in param_group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g.zero_()

    def step(self, closure: Callable | None = None):
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                if STATE.recorders:
                    self._update_group_told(group)
                else:
                    self._update_group(group)
        return loss

    def _update_group_told(self, group: dict) -> None:
        """The same update, plus one ParamUpdated event per parameter for recorders."""
        from ..autograd import _record_module as record

        # The buffers before the step too: the update is told as old buffers -> new ones.
        before = [
            (p, p._data.copy(), p._grad._data.copy(), self._buffers(p))
            for p in params_with_grad(group)
        ]
        _TOLD_BY_STEP.append(self)
        try:
            self._update_group(group)
        finally:
            _TOLD_BY_STEP.pop()
        hyper = {k: v for k, v in group.items() if k in self._told_hyper}
        for p, old, grad, old_buffers in before:
            step = self.state.get(p, {}).get("step")
            step = int(float(step._data)) if isinstance(step, Tensor) else step
            record.param_updated(
                self, p, old, grad, self._buffers(p), hyper, self._rule(group), old_buffers, step
            )

    def _buffers(self, p: Tensor) -> dict:
        """Copies of p's state tensors (momentum_buffer, exp_avg, ...), the step count aside."""
        return {
            k: v._data.copy()
            for k, v in self.state.get(p, {}).items()
            if isinstance(v, Tensor) and k != "step"
        }

    _told_hyper: tuple = ("lr",)

    def _rule(self, group: dict) -> str:
        """The update in symbols, for tools that tell it (w is the parameter, g its grad)."""
        return "w ← w − lr·g"

    def _update_group(self, group: dict) -> None:
        raise NotImplementedError

    # ----- state_dict -------------------------------------------------------------------
    def state_dict(self) -> dict:
        index: dict[int, int] = {}
        start = 0

        def pack(group: dict) -> dict:
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index.setdefault(id(p), i)
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        groups = [pack(g) for g in self.param_groups]
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        state_dict = copy.deepcopy(state_dict)
        groups = self.param_groups
        saved = state_dict["param_groups"]
        if len(groups) != len(saved):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of "
                "optimizer's group"
            )
        id_map = {old: p for g, s in zip(groups, saved) for old, p in zip(s["params"], g["params"])}
        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                state[p] = {key: _cast_like(p, val, key) for key, val in v.items()}
            else:
                state[k] = v
        self.state = state
        self.param_groups = [{**s, "params": g["params"]} for g, s in zip(groups, saved)]


def _cast_like(p: Tensor, value, key: str):
    if key != "step" and isinstance(value, Tensor) and value.is_floating_point():
        return value.to(p.dtype)
    return value


def _typename(obj) -> str:
    return "torch.Tensor" if isinstance(obj, Tensor) else type(obj).__name__


def params_with_grad(group: dict) -> Iterable[Tensor]:
    for p in group["params"]:
        if p._grad is not None:
            yield p
