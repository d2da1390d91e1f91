"""RMSprop, plain or centered, with optional momentum."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, bump, params_with_grad, state_zeros, step_counter, writable


class RMSprop(Optimizer):
    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    _told_hyper = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered", "maximize")

    def _rule(self, group: dict) -> str:
        root = "√(v − ḡ²)" if group["centered"] else "√v"
        rule = "v ← α·v + (1 − α)·g²;  "
        if group["centered"]:
            rule += "ḡ ← α·ḡ + (1 − α)·g;  "
        if group["momentum"] > 0:
            return rule + f"buf ← μ·buf + g / ({root} + ε);  w ← w − lr·buf"
        return rule + f"w ← w − lr·g / ({root} + ε)"

    def _update_group(self, group: dict) -> None:
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        wd, mom, centered = group["weight_decay"], group["momentum"], group["centered"]
        for p in params_with_grad(group):
            state = self.state[p]
            if not state:
                state["step"] = step_counter(p)
                state["square_avg"] = state_zeros(p)
                if mom > 0:
                    state["momentum_buffer"] = state_zeros(p)
                if centered:
                    state["grad_avg"] = state_zeros(p)
            x = writable(p)
            f = x.dtype.type
            g = p._grad._data
            if group["maximize"]:
                g = -g
            state["step"]._data += 1
            if wd != 0:
                g = g + x * f(wd)
            sq = state["square_avg"]._data
            sq *= f(alpha)
            sq += g * g * f(1 - alpha)
            if centered:
                ga = state["grad_avg"]._data
                ga += (g - ga) * f(1 - alpha)  # lerp_(grad, 1 − α)
                avg = np.sqrt(sq - ga * ga)
            else:
                avg = np.sqrt(sq)
            avg += f(eps)
            if mom > 0:
                buf = state["momentum_buffer"]._data
                buf *= f(mom)
                buf += g / avg
                x -= buf * f(lr)
            else:
                x -= f(lr) * g / avg
            bump(p, "addcdiv_")
