"""One test per autograd semantic the tutorials teach, asserting PyTorch's exact behaviour.

Every test asserts the engine's behaviour (and literal error texts) on its own, so the
file runs without PyTorch; where PyTorch is installed the same code also runs on it and
the two must agree.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import engine
from engine.autograd import FREED_MESSAGE

try:
    import torch as real_torch
except ImportError:  # the literal assertions still run
    real_torch = None

LIBS = [engine] if real_torch is None else [engine, real_torch]
needs_torch = pytest.mark.skipif(
    real_torch is None, reason="PyTorch 2.13 is the parity reference: pip install torch==2.13.0"
)

NODE_REPR = re.compile(r"<(\w+|torch::autograd::AccumulateGrad) object at 0x[0-9a-f]+>")
NON_LEAF_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
    "instead. See github.com/pytorch/pytorch/pull/30531 for more information."
)
LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."


def _without_cpp_origin(text: str) -> str:
    """PyTorch's C++ warnings end with where they were raised; that part is not compared."""
    return re.sub(r" \(Triggered internally at [^)]*\)$", "", text)


def each_lib(fn: Callable[[Any], Any]) -> list:
    """fn(lib) for the engine and, when installed, PyTorch."""
    return [fn(lib) for lib in LIBS]


def error_of(fn: Callable[[Any], Any], lib: Any) -> BaseException:
    try:
        fn(lib)
    except Exception as err:  # noqa: BLE001 - the type is checked by the caller
        return err
    raise AssertionError(f"{lib.__name__}: no error raised")


def assert_error(fn: Callable[[Any], Any], kind: type, message: str) -> None:
    """fn raises `kind` with exactly `message` on the engine, and the same on PyTorch."""
    for lib in LIBS:
        err = error_of(fn, lib)
        assert isinstance(err, kind), f"{lib.__name__}: {type(err).__name__}: {err}"
        assert str(err) == message, f"{lib.__name__}: {err}"


def values(t: Any) -> np.ndarray:
    return np.asarray(t.detach().numpy())


def same_everywhere(fn: Callable[[Any], Any]) -> Any:
    """fn(lib) gives equal plain-Python results on every library; returns the engine's."""
    results = each_lib(fn)
    for r in results[1:]:
        assert r == results[0]
    return results[0]


# ----- requires_grad, propagation, leaves -------------------------------------------------
def test_requires_grad_on_integer_tensors_is_refused():
    assert_error(
        lambda T: T.tensor([1, 2], requires_grad=True),
        RuntimeError,
        "Only Tensors of floating point and complex dtype can require gradients",
    )
    assert_error(
        lambda T: T.arange(3).requires_grad_(),
        RuntimeError,
        "only Tensors of floating point dtype can require gradients",
    )

    def set_flag(T):
        T.ones(2, dtype=T.int64).requires_grad = True

    assert_error(
        set_flag,
        RuntimeError,
        "only Tensors of floating point and complex dtype can require gradients",
    )


def test_requires_grad_propagates_and_is_leaf():
    def run(T):
        x = T.ones(2, requires_grad=True)
        c = T.ones(2)
        y = x * 2
        z = y + c
        w = c * 3
        return [
            (t.requires_grad, t.is_leaf, t.grad_fn is None) for t in (x, c, y, z, w, y.detach())
        ]

    assert same_everywhere(run) == [
        (True, True, True),
        (False, True, True),
        (True, False, False),
        (True, False, False),
        (False, True, True),
        (False, True, True),
    ]


def test_requires_grad_flag_of_non_leaf_cannot_be_cleared():
    def run(T):
        (T.ones(2, requires_grad=True) * 2).requires_grad = False

    assert_error(
        run,
        RuntimeError,
        "you can only change requires_grad flags of leaf variables. If you want to use a "
        "computed variable in a subgraph that doesn't require differentiation use "
        "var_no_grad = var.detach().",
    )


# ----- .grad accumulation -----------------------------------------------------------------
def test_grad_is_none_then_accumulates_across_backward_calls():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        seen = [x.grad]
        (x * x).sum().backward()
        first = x.grad
        seen.append(x.grad.tolist())
        (x * x).sum().backward()
        seen.append(x.grad.tolist())
        seen.append(x.grad is first)  # accumulated in place
        x.grad.zero_()
        seen.append(x.grad.tolist())
        (3 * x).sum().backward()
        seen.append(x.grad.tolist())
        return seen

    assert same_everywhere(run) == [None, [2.0, 4.0], [4.0, 8.0], True, [0.0, 0.0], [3.0, 3.0]]


def test_the_graph_keeps_a_leaf_alive_after_its_name_is_rebound():
    """A leaf made in a loop and then rebound still gets its gradient: its AccumulateGrad
    holds it (as PyTorch's does), so hooks fire and .grad is reachable through the graph."""

    def run(T):
        fired = []
        h = T.tensor([1.0, 2.0], requires_grad=True)
        for i in range(3):
            w = T.full((2,), 0.5 + i, requires_grad=True)
            w.register_hook(lambda g, i=i: fired.append(i))
            h = h * w
        del w
        mul = h.grad_fn  # h * w3; its input h * w2 holds w2, and so on
        first = mul.next_functions[0][0].next_functions[0][0]
        h.sum().backward()
        accumulate = first.next_functions[1][0]
        return sorted(fired), accumulate.variable.grad.tolist()

    assert same_everywhere(run) == ([0, 1, 2], [1.5 * 2.5, 2 * 1.5 * 2.5])


def test_implicit_seed_only_for_scalar_outputs():
    assert_error(
        lambda T: (T.ones(2, requires_grad=True) * 2).backward(),
        RuntimeError,
        "grad can be implicitly created only for scalar outputs",
    )

    def one_element(T):
        x = T.ones(1, requires_grad=True)
        (x * 3).backward()  # one element but not 0-dim: allowed
        return x.grad.tolist()

    assert same_everywhere(one_element) == [3.0]


def test_backward_of_tensor_without_graph():
    assert_error(
        lambda T: T.ones(2).sum().backward(),
        RuntimeError,
        "element 0 of tensors does not require grad and does not have a grad_fn",
    )


def test_backward_with_gradient_is_a_vector_jacobian_product():
    def run(T):
        w = T.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        x = T.tensor([1.0, -1.0, 2.0], requires_grad=True)
        y = T.mv(w, x) * 2
        v = T.tensor([0.5, -1.0])
        y.backward(gradient=v)
        return x.grad.tolist()

    w = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    expected = (2 * w.T @ np.array([0.5, -1.0])).tolist()
    assert same_everywhere(run) == expected


def test_gradient_shape_must_match():
    def run(T):
        x = T.ones(3, requires_grad=True)
        (x * 2).backward(gradient=T.ones(2))

    assert_error(
        run,
        RuntimeError,
        "Mismatch in shape: grad_output[0] has a shape of torch.Size([2]) and output[0] has a "
        "shape of torch.Size([3]).",
    )


# ----- retain_graph and freed buffers --------------------------------------------------------
def test_second_backward_needs_retain_graph():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        grads = x.grad.tolist()
        try:
            y.backward()
        except RuntimeError as err:
            return grads, str(err)
        return grads, None

    assert same_everywhere(run) == ([4.0, 8.0], FREED_MESSAGE)


def test_saved_tensors_are_freed_after_backward():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * x
        e = x.exp()
        before = (
            y.grad_fn._saved_self.tolist(),
            y.grad_fn._saved_self is x,
            e.grad_fn._saved_result.tolist() == e.tolist(),
        )
        (y.sum() + e.sum()).backward()
        try:
            y.grad_fn._saved_self
        except RuntimeError as err:
            return before, str(err)
        return before, None

    assert same_everywhere(run) == (([1.0, 2.0], True, True), FREED_MESSAGE)


# ----- detach ---------------------------------------------------------------------------------
def test_detach_shares_storage_and_version_counter():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        u = y.detach()
        facts = [u.requires_grad, u.is_leaf, u.grad_fn is None]
        u.add_(1)  # writes through to y
        facts += [y.tolist(), y._version, u._version]
        s = T.tensor(3.0, requires_grad=True) * 1  # 0-dim too
        s.detach().mul_(2)
        facts += [s.item(), s._version]
        return facts

    assert same_everywhere(run) == [False, True, True, [3.0, 5.0], 1, 1, 6.0, 1]


def test_detach_in_place_makes_a_leaf():
    def run(T):
        x = T.ones(2, requires_grad=True)
        y = x * 2
        out = y.detach_()
        return out is y, y.requires_grad, y.is_leaf, y.grad_fn is None

    assert same_everywhere(run) == (True, False, True, True)


def test_detached_value_used_after_in_place_change_fails_backward():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * x
        z = y * y  # saves y
        y.detach().zero_()
        z.sum().backward()

    assert_error(
        run,
        RuntimeError,
        "one of the variables needed for gradient computation has been modified by an inplace "
        "operation: [torch.FloatTensor [2]], which is output 0 of Mul, is at version 1; "
        "expected version 0 instead. Hint: enable anomaly detection to find the operation that "
        "failed to compute its gradient, with torch.autograd.set_detect_anomaly(True, "
        "check_nan=False).",
    )


# ----- grad mode ------------------------------------------------------------------------------
def test_no_grad_enable_grad_set_grad_enabled_as_context_managers():
    def run(T):
        x = T.ones(2, requires_grad=True)
        seen = [T.is_grad_enabled()]
        with T.no_grad():
            seen += [T.is_grad_enabled(), (x * 2).requires_grad]
            with T.enable_grad():
                seen += [T.is_grad_enabled(), (x * 2).requires_grad]
            seen.append(T.is_grad_enabled())
        with T.set_grad_enabled(False):
            seen += [(x * 2).requires_grad]
        seen.append(T.is_grad_enabled())
        T.set_grad_enabled(False)  # a plain call switches at once
        seen += [T.is_grad_enabled(), (x * 2).requires_grad]
        T.set_grad_enabled(True)
        seen.append(T.is_grad_enabled())
        return seen

    assert same_everywhere(run) == [
        True,
        False,
        False,
        True,
        True,
        False,
        False,
        True,
        False,
        False,
        True,
    ]


def test_grad_mode_decorators():
    def run(T):
        x = T.ones(2, requires_grad=True)

        @T.no_grad()
        def double(t):
            return t * 2, T.is_grad_enabled()

        @T.enable_grad()
        def triple(t):
            return t * 3

        @T.set_grad_enabled(False)
        def quadruple(t):
            return t * 4

        a, inside = double(x)
        with T.no_grad():
            b = triple(x)
        c = quadruple(x)
        return a.requires_grad, inside, b.requires_grad, c.requires_grad, T.is_grad_enabled()

    assert same_everywhere(run) == (False, False, True, False, True)


# ----- in-place ops ---------------------------------------------------------------------------
def test_in_place_ops_and_version_counter():
    def run(T):
        t = T.tensor([1.0, 2.0, 3.0])
        seen = [t._version]
        t.add_(T.tensor([1.0, 1.0, 1.0]), alpha=2)
        seen += [t.tolist(), t._version]
        t.sub_(1)
        t.mul_(2)
        seen += [t.tolist(), t._version]
        t -= 1
        t += T.ones(3)
        seen += [t.tolist(), t._version]
        t.zero_()
        seen += [t.tolist(), t._version]
        return seen

    assert same_everywhere(run) == [
        0,
        [3.0, 4.0, 5.0],
        1,
        [4.0, 6.0, 8.0],
        3,
        [4.0, 6.0, 8.0],
        5,
        [0.0, 0.0, 0.0],
        6,
    ]


@pytest.mark.parametrize(
    "update",
    [
        lambda T, w: w.add_(1),
        lambda T, w: w.sub_(1),
        lambda T, w: w.mul_(2),
        lambda T, w: w.zero_(),
        lambda T, w: w.__iadd__(1),
        lambda T, w: w.__isub__(1),
    ],
    ids=["add_", "sub_", "mul_", "zero_", "+=", "-="],
)
def test_in_place_on_leaf_requiring_grad_is_refused(update):
    assert_error(lambda T: update(T, T.ones(2, requires_grad=True)), RuntimeError, LEAF_INPLACE)


def test_in_place_update_under_no_grad_is_allowed():
    def run(T):
        w = T.ones(3, requires_grad=True)
        (w * w).sum().backward()
        with T.no_grad():
            w.add_(w.grad, alpha=-0.1)
            w -= 0.1 * w.grad
        return w.tolist(), w.requires_grad, w.is_leaf, w._version

    result = same_everywhere(run)
    assert np.allclose(result[0], [0.6] * 3)
    assert result[1:] == (True, True, 2)


def test_modified_saved_tensor_error():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x.exp()  # saves its result
        y.mul_(2)
        y.sum().backward()

    assert_error(
        run,
        RuntimeError,
        "one of the variables needed for gradient computation has been modified by an inplace "
        "operation: [torch.FloatTensor [2]], which is output 0 of Exp, is at version 1; "
        "expected version 0 instead. Hint: enable anomaly detection to find the operation that "
        "failed to compute its gradient, with torch.autograd.set_detect_anomaly(True, "
        "check_nan=False).",
    )


def test_in_place_op_on_non_leaf_replaces_grad_fn():
    def run(T):
        x = T.ones(2, requires_grad=True)
        y = x * 2
        y.add_(1)
        y.sum().backward()
        return y.grad_fn.name(), y.grad_fn.next_functions[0][0].name(), x.grad.tolist()

    assert same_everywhere(run) == ("AddBackward0", "MulBackward0", [2.0, 2.0])


# ----- non-leaf .grad and retain_grad ---------------------------------------------------------
def test_non_leaf_grad_access_warns_and_retain_grad_fills_it():
    for lib in LIBS:
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        y.sum().backward(retain_graph=True)
        with pytest.warns(UserWarning) as caught:
            assert y.grad is None
        assert _without_cpp_origin(str(caught[0].message)) == NON_LEAF_WARNING, lib.__name__
        z = x * 3
        z.retain_grad()
        assert z.retains_grad
        (z * z).sum().backward()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert z.grad.tolist() == [6.0, 6.0]


# ----- hooks ----------------------------------------------------------------------------------
def test_tensor_hooks_change_the_gradient_and_can_be_removed():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        seen = []
        h1 = y.register_hook(lambda g: seen.append(g.tolist()) or g * 10)
        h2 = x.register_hook(lambda g: seen.append(("leaf", g.tolist())))
        y.sum().backward(retain_graph=True)
        first = x.grad.tolist()
        h1.remove()
        h2.remove()
        x.grad = None
        y.sum().backward()
        return seen, first, x.grad.tolist()

    assert same_everywhere(run) == (
        [[1.0, 1.0], ("leaf", [30.0, 30.0])],
        [30.0, 30.0],
        [3.0, 3.0],
    )


def test_node_hooks_and_prehooks():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = x * x
        seen = []
        post = y.grad_fn.register_hook(
            lambda grad_inputs, grad_outputs: seen.append(
                ("post", [g.tolist() for g in grad_inputs], [g.tolist() for g in grad_outputs])
            )
        )
        pre = y.grad_fn.register_prehook(lambda grad_outputs: (grad_outputs[0] * 2,))
        y.sum().backward(retain_graph=True)
        doubled = x.grad.tolist()
        post.remove()
        pre.remove()
        x.grad = None
        y.sum().backward()
        return seen, doubled, x.grad.tolist()

    assert same_everywhere(run) == (
        [("post", [[2.0, 4.0], [2.0, 4.0]], [[2.0, 2.0]])],
        [4.0, 8.0],
        [2.0, 4.0],
    )


def test_register_hook_needs_requires_grad():
    assert_error(
        lambda T: T.ones(2).register_hook(lambda g: g),
        RuntimeError,
        "cannot register a hook on a tensor that doesn't require gradient",
    )


# ----- control flow -----------------------------------------------------------------------
def test_control_flow_over_values():
    def f(T, a):
        b = a * 2
        while b.norm() < 1000:
            b = b * 2
        if b.sum() > 0:
            c = b
        else:
            c = 100 * b
        return c

    def run(T):
        out = []
        for start in (0.3, -0.7):
            a = T.tensor(start, requires_grad=True)
            d = f(T, a)
            d.backward()
            out.append((a.grad.item(), (d / a).item(), bool(a.grad == d / a)))
        return out

    results = same_everywhere(run)
    assert results[0][0] == 4096.0 and results[1][0] == 204800.0
    assert all(equal for *_, equal in results)


# ----- the graph: next_functions, nodes, reprs ------------------------------------------------
def test_next_functions_and_accumulate_grad():
    def run(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        b = T.tensor([3.0, 4.0], requires_grad=True)
        z = (x * 2 + b) ** 2
        fn = z.grad_fn
        add = fn.next_functions[0][0]
        mul = add.next_functions[0][0]
        acc = mul.next_functions[0][0]
        return (
            fn.name(),
            [(f.name(), nr) for f, nr in fn.next_functions],
            [(f.name(), nr) for f, nr in add.next_functions],
            [(f.name() if f is not None else None, nr) for f, nr in mul.next_functions],
            acc.variable is x,
            add.next_functions[1][0].variable is b,
            acc is mul.next_functions[0][0],
        )

    assert same_everywhere(run) == (
        "PowBackward0",
        [("AddBackward0", 0)],
        [("MulBackward0", 0), ("torch::autograd::AccumulateGrad", 0)],
        [("torch::autograd::AccumulateGrad", 0), (None, 0)],
        True,
        True,
        True,
    )


def test_node_reprs():
    for lib in LIBS:
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        assert re.fullmatch(r"<MulBackward0 object at 0x[0-9a-f]+>", repr(y.grad_fn))
        assert str(y.grad_fn) == repr(y.grad_fn)
        acc = y.grad_fn.next_functions[0][0]
        assert re.fullmatch(r"<AccumulateGrad object at 0x[0-9a-f]+>", repr(acc)), (
            f"{lib.__name__}: {acc!r}"
        )
        nf = repr(y.grad_fn.next_functions)
        assert re.fullmatch(
            r"\(\(<AccumulateGrad object at 0x[0-9a-f]+>, 0\), \(None, 0\)\)", nf
        ), f"{lib.__name__}: {nf}"


def _torchviz_walk(root: Any) -> list:
    """What torchviz's make_dot visits: nodes (leaves shown by their variable's size),
    edges in next_functions order, each node once."""
    seen: dict[int, int] = {}
    out: list = []

    def label(fn: Any) -> str:
        if hasattr(fn, "variable"):
            return f"leaf{tuple(fn.variable.size())}"
        return fn.name()

    def visit(fn: Any) -> int:
        if id(fn) in seen:
            return seen[id(fn)]
        seen[id(fn)] = len(seen)
        me = seen[id(fn)]
        edges = [visit(nxt) for nxt, _ in fn.next_functions if nxt is not None]
        out.append((me, label(fn), edges))
        return me

    visit(root)
    return sorted(out)


def test_torchviz_style_walk_matches_torch():
    def run(T):
        T.manual_seed(0)
        x = T.ones(4, 3)
        w1 = T.ones(3, 5, requires_grad=True)
        b1 = T.zeros(5, requires_grad=True)
        w2 = T.ones(5, 1, requires_grad=True)
        h = (x @ w1 + b1).relu()
        loss = ((h @ w2 - 1) ** 2).mean()
        return _torchviz_walk(loss.grad_fn)

    walk = same_everywhere(run)
    assert [name for _, name, _ in walk][:3] == ["MeanBackward0", "PowBackward0", "SubBackward0"]


# ----- autograd.grad and higher order -----------------------------------------------------
def test_autograd_grad_higher_order():
    def run(T):
        x = T.tensor(2.0, requires_grad=True)
        y = x**3
        (g,) = T.autograd.grad(y, x, create_graph=True)
        (gg,) = T.autograd.grad(g, x, create_graph=True)
        (ggg,) = T.autograd.grad(gg, x)
        return g.item(), g.requires_grad, gg.item(), ggg.item(), x.grad

    assert same_everywhere(run) == (12.0, True, 12.0, 6.0, None)


def test_autograd_grad_allow_unused():
    def run(T):
        x = T.ones(2, requires_grad=True)
        y = T.ones(2, requires_grad=True)
        gx, gy = T.autograd.grad((x * 2).sum(), (x, y), allow_unused=True)
        return gx.tolist(), gy

    assert same_everywhere(run) == ([2.0, 2.0], None)
    assert_error(
        lambda T: T.autograd.grad(
            (T.ones(2, requires_grad=True) * 2).sum(),
            (T.ones(2, requires_grad=True), T.ones(2, requires_grad=True)),
        ),
        RuntimeError,
        "The differentiated Tensor at index 0 appears to not have been used in the graph. "
        "Set allow_unused=True if this is the desired behavior.",
    )


def test_functional_jacobian_and_hessian():
    def run(T):
        x = T.tensor([1.0, 2.0, 3.0])
        jac = T.autograd.functional.jacobian(lambda t: t**2 * t.sum(), x)
        hes = T.autograd.functional.hessian(lambda t: (t**3).sum() + t[0] * t[1], x)
        return jac.tolist(), hes.tolist(), tuple(jac.shape), jac.requires_grad

    result = same_everywhere(run)
    assert result[2] == (3, 3) and result[3] is False


def test_gradcheck_accepts_right_and_rejects_wrong_backward():
    class WrongSquare(engine.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x  # should be 2 * g * x

    x = engine.randn(3, dtype=engine.float64, requires_grad=True)
    assert engine.autograd.gradcheck(lambda t: (t * t).sin(), (x,))
    assert not engine.autograd.gradcheck(WrongSquare.apply, (x,), raise_exception=False)
    with pytest.raises(engine.autograd.GradcheckError, match="Jacobian mismatch"):
        engine.autograd.gradcheck(WrongSquare.apply, (x,))


def test_custom_function_with_save_for_backward():
    def run(T):
        class MyExp(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                result = x.exp()
                ctx.save_for_backward(result)
                return result

            @staticmethod
            def backward(ctx, grad):
                (result,) = ctx.saved_tensors
                return grad * result

        x = T.tensor([0.0, 1.0], requires_grad=True)
        y = MyExp.apply(x)
        y.sum().backward()
        return (
            y.grad_fn.name(),
            y.requires_grad,
            np.round(x.grad.tolist(), 5).tolist(),
            y.grad_fn.next_functions[0][0].name(),
        )

    assert same_everywhere(run) == (
        "MyExpBackward",
        True,
        [1.0, 2.71828],
        "torch::autograd::AccumulateGrad",
    )


# ----- dtypes ------------------------------------------------------------------------------
PROMOTIONS = {
    "arange int": lambda T: T.arange(4),
    "arange float": lambda T: T.arange(4.0),
    "arange float step": lambda T: T.arange(0, 1, 0.25),
    "tensor ints": lambda T: T.tensor([1, 2]),
    "tensor mixed": lambda T: T.tensor([1, 2.5]),
    "tensor bools": lambda T: T.tensor([True, False]),
    "comparison": lambda T: T.arange(3) > 1,
    "int * float": lambda T: T.arange(3) * T.ones(3),
    "int * python float": lambda T: T.arange(3) * 2.5,
    "int * python int": lambda T: T.arange(3) * 2,
    "int / int": lambda T: T.arange(3) / 2,
    "bool + int": lambda T: T.tensor([True]) + 1,
    "float32 dim + float64 0-dim": lambda T: T.ones(2) + T.tensor(1.0, dtype=T.float64),
    "int dim + float64 0-dim": lambda T: T.arange(2) + T.tensor(1.0, dtype=T.float64),
    "float32 0-dim + float64 0-dim": lambda T: T.tensor(1.0) + T.tensor(1.0, dtype=T.float64),
    "int32 dim + int64 0-dim": lambda T: T.ones(2, dtype=T.int32) + T.tensor(1),
    "float64 dim + float32 dim": lambda T: T.ones(2, dtype=T.float64) + T.ones(2),
    "sum of ints": lambda T: T.arange(3).sum(),
    "sum of bools": lambda T: (T.arange(3) > 0).sum(),
    "mean of floats": lambda T: T.arange(4.0).mean(),
    "sqrt of ints": lambda T: T.arange(4).sqrt(),
    "zeros": lambda T: T.zeros(2),
    "full int": lambda T: T.full((2,), 3),
    "randn": lambda T: T.randn(2),
}


@pytest.mark.parametrize("name", sorted(PROMOTIONS))
def test_dtype_inference_and_promotion(name: str):
    results = same_everywhere(lambda T: str(PROMOTIONS[name](T).dtype))
    assert results.startswith("torch.")


def test_dtype_literals():
    assert engine.arange(4).dtype == engine.int64
    assert engine.arange(4.0).dtype == engine.float32
    assert (engine.arange(4) > 1).dtype == engine.bool
    assert (engine.arange(4) * 1.5).dtype == engine.float32
    assert (engine.ones(2) + engine.tensor(1.0, dtype=engine.float64)).dtype == engine.float32
    assert repr(engine.float32) == "torch.float32"


# ----- conversions and Python protocols ---------------------------------------------------
def test_size_repr_and_python_protocols():
    def run(T):
        x = T.arange(6.0).reshape(2, 3)
        s = T.tensor(2.5)
        return (
            repr(x.shape),
            str(x.size()),
            x.size(1),
            x.shape == (2, 3),
            x.tolist(),
            s.item(),
            type(s.item()).__name__,
            T.tensor(3).item(),
            len(x),
            [r.tolist() for r in x],
            bool(T.tensor([1.0])),
            float(s),
            int(T.tensor(7)),
            x.numpy().tolist(),
            x.numel(),
            x.dim(),
            repr(x.device),
            str(x.device),
            x.is_leaf,
        )

    assert same_everywhere(run) == (
        "torch.Size([2, 3])",
        "torch.Size([2, 3])",
        3,
        True,
        [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]],
        2.5,
        "float",
        3,
        2,
        [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]],
        True,
        2.5,
        7,
        [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]],
        6,
        2,
        "device(type='cpu')",
        "cpu",
        True,
    )


def test_numpy_shares_memory_and_refuses_requires_grad():
    def run(T):
        x = T.zeros(3)
        x.numpy()[0] = 5.0
        y = T.from_numpy(np.ones(2, dtype=np.float32))
        return x.tolist(), y.dtype == T.float32

    assert same_everywhere(run) == ([5.0, 0.0, 0.0], True)
    assert_error(
        lambda T: T.ones(2, requires_grad=True).numpy(),
        RuntimeError,
        "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.",
    )


def test_protocol_errors():
    assert_error(
        lambda T: T.ones(3).item(),
        RuntimeError,
        "a Tensor with 3 elements cannot be converted to Scalar",
    )
    assert_error(
        lambda T: bool(T.ones(2)),
        RuntimeError,
        "Boolean value of Tensor with more than one value is ambiguous",
    )
    assert_error(lambda T: len(T.tensor(1.0)), TypeError, "len() of a 0-d tensor")
    assert_error(lambda T: iter(T.tensor(1.0)), TypeError, "iteration over a 0-d tensor")


def test_indexing():
    def run(T):
        x = T.arange(12.0).reshape(3, 4)
        return (
            x[1].tolist(),
            x[-1, 2].item(),
            x[:, 1].tolist(),
            x[1:, ::2].tolist(),
            x[x > 8].tolist(),
            x[[0, 2]].tolist(),
            x[T.tensor([2, 0])].tolist(),
            x[..., 0].tolist(),
            tuple(x[None].shape),
            x.T.tolist(),
            x.t().tolist(),
            x.mT.tolist(),
        )

    same_everywhere(run)
    assert_error(
        lambda T: T.ones(2, 3)[5],
        IndexError,
        "index 5 is out of bounds for dimension 0 with size 2",
    )
    assert_error(
        lambda T: T.tensor(1.0)[0],
        IndexError,
        "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` "
        "in C++ to convert a 0-dim tensor to a number",
    )


def test_transpose_property_warns_unless_2d():
    x = engine.arange(4.0)
    with pytest.warns(UserWarning) as caught:
        y = x.T
    assert str(caught[0].message) == (
        "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
        "deprecated and it will throw an error in a future release. Consider `x.mT` to "
        "transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to "
        "reverse the dimensions of a tensor."
    )
    assert caught[0].filename == __file__  # points at the user's line
    assert y.tolist() == [0.0, 1.0, 2.0, 3.0]
    with pytest.warns(UserWarning, match="Tensor.T is deprecated on 0-D tensors"):
        engine.tensor(1.0).T
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        engine.ones(2, 3).T  # 2-D: silent


@needs_torch
def test_transpose_property_warning_text_matches_torch():
    # PyTorch warns once per process (TORCH_WARN_ONCE): ask a fresh interpreter.
    import subprocess
    import sys

    code = (
        "import warnings, torch\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always')\n"
        "    torch.arange(4.0).T\n"
        "print(str(w[0].message))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/"
    ).stdout.strip()
    with pytest.warns(UserWarning) as caught:
        engine.arange(4.0).T
    assert _without_cpp_origin(out) == str(caught[0].message)
