"""SGD with momentum, dampening, Nesterov, weight decay and maximize."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, bump, params_with_grad, required, writable


class SGD(Optimizer):
    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        if lr is not required and lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    _told_hyper = ("lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize")

    def _rule(self, group: dict) -> str:
        g = "(g + weight_decay·w)" if group["weight_decay"] else "g"
        if not group["momentum"]:
            return f"w ← w − lr·{g}"
        step = "(g + momentum·buf)" if group["nesterov"] else "buf"
        return (
            f"buf ← momentum·buf + (1 − dampening)·{g}  (buf = {g} at the first step); "
            f"w ← w − lr·{step}"
        )

    def _update_group(self, group: dict) -> None:
        lr, mom, damp = group["lr"], group["momentum"], group["dampening"]
        wd, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
        for p in params_with_grad(group):
            x = writable(p)
            g = p._grad._data
            if maximize:
                g = -g
            if wd != 0:
                g = g + x * x.dtype.type(wd)
            if mom != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    arr = np.empty_like(x)  # the parameter's layout, whatever the grad's
                    np.copyto(arr, g)
                    buf = state["momentum_buffer"] = Tensor._make(arr, p._dtype, False, None)
                else:
                    b = buf._data
                    b *= b.dtype.type(mom)
                    b += g * b.dtype.type(1 - damp)
                g = g + buf._data * x.dtype.type(mom) if nesterov else buf._data
            x -= g * x.dtype.type(lr)
            bump(p, "add_")
