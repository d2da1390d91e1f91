"""engine.autograd.functional: jacobian, hessian, vjp, jvp, vhp and hvp, as torch has them."""

from __future__ import annotations


def _tuple(x):
    return tuple(x) if isinstance(x, (list, tuple)) else (x,)


def jacobian(
    func,
    inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
):
    """d func(inputs) / d inputs, one reverse pass per output element."""
    from .. import _creation
    from . import grad

    is_tuple_in = isinstance(inputs, (list, tuple))
    ins = tuple(
        t.detach().requires_grad_(True) if not t.requires_grad or not create_graph else t
        for t in _tuple(inputs)
    )
    outs = func(*ins)
    is_tuple_out = isinstance(outs, (list, tuple))
    outs = _tuple(outs)
    result = []
    for out in outs:
        rows = [[] for _ in ins]
        flat = out.reshape(-1)
        for k in range(flat._data.size):
            if not flat.requires_grad:
                grads = (None,) * len(ins)
            else:
                grads = grad(
                    flat[k], ins, retain_graph=True, create_graph=create_graph, allow_unused=True
                )
            for j, (t, g) in enumerate(zip(ins, grads)):
                rows[j].append(_creation.zeros_like(t) if g is None else g)
        per_input = []
        for j, t in enumerate(ins):
            if rows[j]:
                from .._ops.shape import Stack

                jac = Stack.call(rows[j], 0).reshape(tuple(out.shape) + tuple(t.shape))
            else:
                jac = _creation.zeros(tuple(out.shape) + tuple(t.shape), dtype=t.dtype)
            if not create_graph:
                jac = jac.detach()
            per_input.append(jac)
        result.append(tuple(per_input) if is_tuple_in else per_input[0])
    return tuple(result) if is_tuple_out else result[0]


def hessian(
    func,
    inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
):
    """Second derivatives of a scalar function."""
    from . import grad

    is_tuple_in = isinstance(inputs, (list, tuple))

    def gradient(*xs):
        out = func(*xs)
        if out._data.size != 1:
            raise RuntimeError(
                "The Tensor returned by the function given to hessian should contain a single "
                "element"
            )
        gs = grad(out.reshape(()), xs, create_graph=True, allow_unused=True)
        from .. import _creation

        gs = tuple(_creation.zeros_like(x) if g is None else g for x, g in zip(xs, gs))
        return gs if is_tuple_in else gs[0]

    ins = tuple(t.detach().requires_grad_(True) for t in _tuple(inputs))
    return jacobian(gradient, ins if is_tuple_in else ins[0], create_graph=create_graph)


def _prepare(inputs, create_graph: bool) -> tuple:
    """Leaves to differentiate with respect to: fresh leaves, or views that keep the outer
    graph when create_graph is set (torch's _grad_preprocess)."""
    return tuple(
        t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_(True)
        for t in _tuple(inputs)
    )


def _finish(values, create_graph: bool, like=None) -> tuple:
    """Detach unless create_graph; an unused input's gradient is zeros, as torch returns."""
    from .. import _creation

    out = []
    for i, g in enumerate(values):
        if g is None and like is not None:
            g = _creation.zeros_like(like[i])
        elif g is not None and not create_graph:
            g = g.detach()
        out.append(g)
    return tuple(out)


def _check_v(v, outs: tuple, what: str, name: str) -> tuple:
    if v is None:
        if len(outs) != 1 or outs[0]._data.size != 1:
            raise RuntimeError(
                f"The vector v can only be None if the {what} a single Tensor with a single "
                "element."
            )
        from .. import _creation

        return (_creation.ones_like(outs[0]),)
    vs = _tuple(v)
    if len(vs) != len(outs):
        raise RuntimeError(
            f"v is a tuple of invalid length: should be {len(outs)} but got {len(vs)}."
        )
    for i, (a, b) in enumerate(zip(vs, outs)):
        if tuple(a.shape) != tuple(b.shape):
            raise RuntimeError(
                f"Entry {i} in v has invalid size: should be {b.shape} but got {a.shape}."
            )
    return vs


def _strict_check(grads, strict: bool, kind: str) -> None:
    if strict:
        for i, g in enumerate(grads):
            if g is None:
                raise RuntimeError(
                    f"The {kind} of the user-provided function is independent of input {i}. "
                    "This is not allowed in strict mode."
                )


def _shaped(result: tuple, is_tuple: bool):
    return result if is_tuple else result[0]


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T J): the vector-Jacobian product, as torch.autograd.functional.vjp."""
    from .._grad_mode import enable_grad

    is_tuple_in = isinstance(inputs, (list, tuple))
    with enable_grad():
        ins = _prepare(inputs, create_graph)
        out = func(*ins)
        is_tuple_out = isinstance(out, (list, tuple))
        outs = _tuple(out)
        vs = _check_v(v, outs, "user-provided function returns", "v")
        gs = _weighted_grad(outs, vs, ins, create_graph)
        _strict_check(gs, strict, "output")
    return _shaped(_finish(outs, create_graph), is_tuple_out), _shaped(
        _finish(gs, create_graph, ins), is_tuple_in
    )


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J v): by the double-backward trick, as torch computes it."""
    from .. import _creation
    from .._grad_mode import enable_grad

    with enable_grad():
        ins = _prepare(inputs, create_graph)
        vs = _check_v(v, ins, "input to the user-provided function is", "v")
        out = func(*ins)
        is_tuple_out = isinstance(out, (list, tuple))
        outs = _tuple(out)
        dummies = tuple(_creation.zeros_like(o).requires_grad_(True) for o in outs)
        gs = _weighted_grad(outs, dummies, ins, True)
        _strict_check(gs, strict, "output")
        jv = _weighted_grad(gs, vs, dummies, create_graph)
    return _shaped(_finish(outs, create_graph), is_tuple_out), _shaped(
        _finish(jv, create_graph, outs), is_tuple_out
    )


def _weighted_grad(outs, weights, wrt, create_graph: bool) -> tuple:
    """grad of the differentiable `outs` w.r.t. `wrt`, each weighted by its partner in
    `weights`; Nones when none can be differentiated (the step these helpers share)."""
    from . import grad

    pairs = [(o, w) for o, w in zip(outs, weights) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(wrt)
    return grad(
        [o for o, _ in pairs],
        wrt,
        grad_outputs=[w for _, w in pairs],
        create_graph=create_graph,
        allow_unused=True,
    )


def _scalar_output(func, ins) -> object:
    out = func(*ins)
    if isinstance(out, (list, tuple)) or out._data.size != 1:
        raise RuntimeError(
            "The Tensor returned by the function given to hvp should contain a single element"
        )
    return out


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T H) for a scalar func."""
    from .._grad_mode import enable_grad
    from . import grad

    is_tuple_in = isinstance(inputs, (list, tuple))
    with enable_grad():
        ins = _prepare(inputs, create_graph)
        vs = _check_v(v, ins, "input to the user-provided function is", "v")
        out = _scalar_output(func, ins)
        if out.requires_grad:
            gs = grad(out, ins, create_graph=True, allow_unused=True)
        else:
            gs = (None,) * len(ins)
        _strict_check(gs, strict, "output")
        res = _weighted_grad(gs, vs, ins, create_graph)
    return _finish((out,), create_graph)[0], _shaped(_finish(res, create_graph, ins), is_tuple_in)


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), H v) for a scalar func, by the double-backward trick."""
    from .. import _creation
    from .._grad_mode import enable_grad
    from . import grad

    is_tuple_in = isinstance(inputs, (list, tuple))
    with enable_grad():
        ins = _prepare(inputs, create_graph)
        vs = _check_v(v, ins, "input to the user-provided function is", "v")
        out = _scalar_output(func, ins)
        if out.requires_grad:
            gs = grad(out, ins, create_graph=True, allow_unused=True)
        else:
            gs = (None,) * len(ins)
        _strict_check(gs, strict, "output")
        dummies = tuple(_creation.zeros_like(x).requires_grad_(True) for x in ins)
        gd = _weighted_grad(gs, dummies, ins, True)
        res = _weighted_grad(gd, vs, dummies, create_graph)
    return _finish((out,), create_graph)[0], _shaped(_finish(res, create_graph, ins), is_tuple_in)
