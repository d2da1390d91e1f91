"""Finite-difference checks of analytic gradients."""

from __future__ import annotations

import numpy as np


class GradcheckError(RuntimeError):
    pass


def _tuple(x):
    return tuple(x) if isinstance(x, (list, tuple)) else (x,)


def _numerical(func, inputs, eps: float) -> list:
    """Central differences: one column per input element, for every output."""
    outs0 = _tuple(func(*inputs))
    jacs = []
    for t in inputs:
        if not getattr(t, "requires_grad", False):
            jacs.append(None)
            continue
        flat = t._data.reshape(-1)
        cols = []
        for k in range(flat.size):
            orig = flat[k].item()
            # Grad mode stays on: gradgradcheck's function calls autograd.grad inside.
            flat[k] = orig + eps
            plus = [o._data.astype(np.float64).copy() for o in _tuple(func(*inputs))]
            flat[k] = orig - eps
            minus = [o._data.astype(np.float64).copy() for o in _tuple(func(*inputs))]
            flat[k] = orig
            cols.append([(p - m).reshape(-1) / (2 * eps) for p, m in zip(plus, minus)])
        jacs.append(
            [
                np.stack([c[i] for c in cols], axis=1)
                if cols
                else np.zeros((outs0[i]._data.size, 0))
                for i in range(len(outs0))
            ]
        )
    return jacs


def _analytical(func, inputs) -> list:
    from . import grad

    outs = _tuple(func(*inputs))
    diff = [t for t in inputs if getattr(t, "requires_grad", False)]
    jacs = {id(t): [np.zeros((o._data.size, t._data.size)) for o in outs] for t in diff}
    for i, o in enumerate(outs):
        if not o.requires_grad:
            continue
        flat = o.reshape(-1)
        for r in range(o._data.size):
            gs = grad(flat[r], diff, retain_graph=True, allow_unused=True)
            for t, g in zip(diff, gs):
                if g is not None:
                    jacs[id(t)][i][r] = g._data.reshape(-1)
    return [jacs.get(id(t)) for t in inputs]


def gradcheck(
    func,
    inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    **_ignored,
) -> bool:
    """Compare backward's gradients with finite differences (use float64 inputs)."""
    inputs = _tuple(inputs)
    for t in inputs:
        if getattr(t, "requires_grad", False) and t._dtype.name != "float64":
            import warnings

            warnings.warn(
                "Input #0 requires gradient and is not a double precision floating point. "
                "This check will likely fail if all the inputs are not of double precision "
                "floating point. ",
                UserWarning,
                stacklevel=2,
            )
    numerical = _numerical(func, inputs, eps)
    analytical = _analytical(func, inputs)
    for i, (num, ana) in enumerate(zip(numerical, analytical)):
        if num is None:
            continue
        for j, (n, a) in enumerate(zip(num, ana)):
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                if raise_exception:
                    raise GradcheckError(
                        f"Jacobian mismatch for output {j} with respect to input {i},\n"
                        f"numerical:{n}\nanalytical:{a}\n"
                    )
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, **kwargs) -> bool:
    """gradcheck of the first derivative (needs create_graph support in every op)."""
    from .. import _creation
    from . import grad

    inputs = _tuple(inputs)

    def first_derivative(*xs):
        outs = _tuple(func(*xs))
        seeds = grad_outputs or tuple(_creation.ones_like(o) for o in outs)
        diff = [x for x in xs if getattr(x, "requires_grad", False)]
        gs = grad(outs, diff, grad_outputs=seeds, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_derivative, inputs, **kwargs)
