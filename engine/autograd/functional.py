"""engine.autograd.functional: jacobian and hessian."""

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


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    from . import grad

    ins = tuple(t.detach().requires_grad_(True) for t in _tuple(inputs))
    out = func(*ins)
    gs = grad(out, ins, grad_outputs=v, create_graph=create_graph, allow_unused=True)
    out = out if create_graph else out.detach()
    gs = tuple(g if create_graph or g is None else g.detach() for g in gs)
    return out, gs if isinstance(inputs, (list, tuple)) else gs[0]
