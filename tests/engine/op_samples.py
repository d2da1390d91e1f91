"""Sample calls for every registered op, run on the engine and on PyTorch side by side.

SAMPLES maps a registry name to a list of `Sample`s. test_ops_registry.py fails when a
registered op has no entry here, so adding an op to the engine forces adding its samples.

A sample's callables take the library module first (`engine` or `torch`), then one tensor
per entry of `shapes`, then `kwargs`. Most ops are called the same way in both
libraries; `Sample.same` builds such a sample from one callable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Call = Callable[..., Any]


@dataclass(frozen=True)
class Sample:
    engine: Call  # (engine, *tensors, **kwargs) -> tensor
    torch: Call  # (torch, *tensors, **kwargs) -> tensor
    shapes: tuple[tuple[int, ...], ...]
    kwargs: dict = field(default_factory=dict)
    # One letter per input (see parity.make_array): f normal, p positive, a away from 0,
    # u in (-0.9, 0.9), d float64, i int64, b bool. Default: all "f".
    kinds: str = ""
    # Finite differences are meaningless at kinks (e.g. integer-valued outputs).
    gradcheck: bool = True

    @classmethod
    def same(cls, fn: Call, *shapes: tuple[int, ...], kinds: str = "", **options) -> Sample:
        kwargs = options.pop("kwargs", {})
        return cls(fn, fn, tuple(shapes), kwargs, kinds, **options)

    def input_kinds(self) -> str:
        return self.kinds or "f" * len(self.shapes)


S = Sample.same


def _scatter_engine(T: Any, g: Any) -> Any:
    from engine._ops.shape import _scatter

    return _scatter(g, (4, 3), ([0, 2, 0],))


def _scatter_torch(T: Any, g: Any) -> Any:
    zeros = T.zeros(4, 3, dtype=g.dtype)
    return T.ops.aten._index_put_impl_(zeros, (T.tensor([0, 2, 0]),), g, True, False)


def _registered(name: str, *params: Any) -> Call:
    """An engine op called straight from the registry (ops torch runs only inside backward
    formulas have no public engine function)."""
    return lambda T, *tensors: T.REGISTRY[name].call(*tensors, *params)


def _aten(name: str, *params: Any) -> Call:
    """The same op through torch.ops.aten (e.g. "mul.Scalar")."""

    def call(T: Any, *tensors: Any) -> Any:
        fn = T.ops.aten
        for part in name.split("."):
            fn = getattr(fn, part)
        return fn(*tensors, *params)

    return call


def _internal(
    name: str, aten: str, *shapes: tuple[int, ...], params: tuple = (), **options
) -> Sample:
    return Sample(_registered(name, *params), _aten(aten, *params), tuple(shapes), **options)


def _masked_fill_tensor(a: Any, mask: Any, value: Any) -> Any:
    from engine._ops.masked import masked_fill_tensor

    return masked_fill_tensor(a, mask, value)


_NLL_TARGET = [0, 2, 1]
_NLL_REDUCTIONS = ("none", "mean", "sum")


def _nll_backward_engine(T: Any, g: Any, x: Any, reduction: int = 1) -> Any:
    import numpy as np

    params = {
        "target": T.tensor(_NLL_TARGET),
        "weight": None,
        "ignore_index": -100,
        "reduction": _NLL_REDUCTIONS[reduction],
        "total_weight": np.asarray(3.0, dtype=np.float32),
    }
    return T.REGISTRY["nll_loss_backward"].call(g, x, params)


def _nll_backward_torch(T: Any, g: Any, x: Any, reduction: int = 1) -> Any:
    target, total = T.tensor(_NLL_TARGET), T.tensor(3.0)
    return T.ops.aten.nll_loss_backward(g, x, target, None, reduction, -100, total)


def _compare_samples(fn: Call) -> list[Sample]:
    return [
        S(fn, (3, 4), (4,)),
        S(lambda T, a: fn(T, a, 0.0), (2, 3)),
        S(fn, (2, 3), (2, 3), kinds="ii"),
        S(fn, (), (3,)),
    ]


# Ops whose torch counterpart builds a different graph below the top node: torch
# decomposes batched matmul into expand/view/bmm.
GRAPH_EXEMPT = {"matmul_batched"}

SAMPLES: dict[str, list[Sample]] = {
    # ----- arithmetic ---------------------------------------------------------------
    "add": [
        S(lambda T, a, b: a + b, (3, 4), (4,)),
        S(lambda T, a, b: a + b, (2, 1, 3), (4, 3)),
        S(lambda T, a: a + 2.5, (3,)),
        S(lambda T, a: 2 + a, ()),
        S(lambda T, a, b: T.add(a, b, alpha=2), (2, 3), (2, 3)),
        S(lambda T, a, b: a.add(b, alpha=-0.5), (2, 3), (3,)),
        S(lambda T, a, b: a + b, (2, 3), (2, 3), kinds="ii"),
        S(lambda T, a, b: a + b, (3,), (3,), kinds="if"),
        S(lambda T, a: a + a, (3,)),
    ],
    "sub": [
        S(lambda T, a, b: a - b, (3, 4), (3, 1)),
        S(lambda T, a: a - 3, (2, 2)),
        S(lambda T, a, b: T.sub(a, b, alpha=3), (4,), (4,)),
        S(lambda T, a, b: a - b, (2,), (), kinds="id"),
    ],
    "rsub": [
        S(lambda T, a: 2 - a, (2, 3)),
        S(lambda T, a: 1.5 - a, ()),
        S(lambda T, a: 1 - a, (3,), kinds="i"),
    ],
    "mul": [
        S(lambda T, a, b: a * b, (3, 1), (1, 4)),
        S(lambda T, a: a * 3, (2, 3)),
        S(lambda T, a: 0.5 * a, ()),
        S(lambda T, a: a * a, (3,)),
        S(lambda T, a, b: T.mul(a, b), (2, 3), ()),
        S(lambda T, a, b: a * b, (3,), (3,), kinds="fi"),
        S(lambda T, a, b: a * b, (3,), (3,), kinds="bi"),
    ],
    "div": [
        S(lambda T, a, b: a / b, (3, 4), (4,), kinds="fa"),
        S(lambda T, a: a / 2, (2, 3)),
        S(lambda T, a, b: T.div(a, b), (), (3,), kinds="fa"),
        S(lambda T, a, b: a / b, (3,), (3,), kinds="ii"),
        S(lambda T, a, b: a / b, (3,), (3,), kinds="ia"),
    ],
    "reciprocal": [
        S(lambda T, a: a.reciprocal(), (2, 3), kinds="a"),
        S(lambda T, a: 2 / a, (3,), kinds="a"),
        S(lambda T, a: 1 / a, (3,), kinds="i", gradcheck=False),
    ],
    "neg": [
        S(lambda T, a: -a, (2, 3)),
        S(lambda T, a: T.neg(a), ()),
        S(lambda T, a: -a, (3,), kinds="i"),
    ],
    "pow": [
        S(lambda T, a: a**2, (3, 4)),
        S(lambda T, a: a**3, ()),
        S(lambda T, a: a**0.5, (4,), kinds="p"),
        S(lambda T, a: a.pow(-1), (2, 2), kinds="a"),
        S(lambda T, a: a**0, (3,)),
        S(lambda T, a: T.pow(a, 2.5), (3,), kinds="p"),
        S(lambda T, a: a.square(), (3,)),
        S(lambda T, a: a**2, (3,), kinds="i"),
    ],
    "pow_tensor": [
        S(lambda T, a, b: a**b, (3, 4), (4,), kinds="pf"),
        S(lambda T, a, b: T.pow(a, b), (2,), (2,), kinds="pf"),
    ],
    "rpow": [
        S(lambda T, a: 2**a, (2, 3)),
        S(lambda T, a: 0.5**a, ()),
    ],
    # ----- tensor-and-number overloads (used by backward formulas) ---------------------------
    "mul_scalar": [_internal("mul_scalar", "mul.Scalar", (2, 3), params=(2.5,))],
    "div_scalar": [_internal("div_scalar", "div.Scalar", (2, 3), params=(4.0,))],
    "add_scalar": [_internal("add_scalar", "add.Scalar", (3,), params=(1.0,))],
    "sub_scalar": [_internal("sub_scalar", "sub.Scalar", (3,), params=(2.0,))],
    # ----- fused backward kernels (create_graph=True records them as ops) --------------------
    "tanh_backward": [_internal("tanh_backward", "tanh_backward", (2, 3), (2, 3), kinds="fu")],
    "sigmoid_backward": [
        _internal("sigmoid_backward", "sigmoid_backward", (2, 3), (2, 3), kinds="fu")
    ],
    "threshold_backward": [
        _internal(
            "threshold_backward", "threshold_backward", (3, 4), (3, 4), params=(0.0,), kinds="fa"
        )
    ],
    "leaky_relu_backward": [
        Sample(
            lambda T, g, x: T.REGISTRY["leaky_relu_backward"].call(g, x, 0.2),
            lambda T, g, x: T.ops.aten.leaky_relu_backward(g, x, 0.2, False),
            ((3, 4), (3, 4)),
        )
    ],
    "mse_loss_backward": [
        Sample(
            lambda T, g, x, y: T.REGISTRY["mse_loss_backward"].call(g, x, y, "mean"),
            lambda T, g, x, y: T.ops.aten.mse_loss_backward(g, x, y, 1),
            ((), (3, 4), (3, 4)),
        ),
        Sample(
            lambda T, g, x, y: T.REGISTRY["mse_loss_backward"].call(g, x, y, "none"),
            lambda T, g, x, y: T.ops.aten.mse_loss_backward(g, x, y, 0),
            ((2, 3), (2, 3), (2, 3)),
        ),
    ],
    "nll_loss_backward": [
        Sample(_nll_backward_engine, _nll_backward_torch, ((), (3, 4))),
        Sample(_nll_backward_engine, _nll_backward_torch, ((3,), (3, 4)), {"reduction": 0}),
    ],
    "embedding_dense_backward": [
        Sample(
            lambda T, g: T.REGISTRY["embedding_dense_backward"].call(
                g, T.tensor([[0, 2], [1, 0]]), 3, {"padding_idx": None}
            ),
            lambda T, g: T.ops.aten.embedding_dense_backward(
                g, T.tensor([[0, 2], [1, 0]]), 3, -1, False
            ),
            ((2, 2, 4),),
        ),
        Sample(
            lambda T, g: T.REGISTRY["embedding_dense_backward"].call(
                g, T.tensor([2, 0, 2]), 3, {"padding_idx": 0}
            ),
            lambda T, g: T.ops.aten.embedding_dense_backward(g, T.tensor([2, 0, 2]), 3, 0, False),
            ((3, 4),),
        ),
    ],
    "binary_cross_entropy_backward": [
        Sample(
            lambda T, g, a, b: T.REGISTRY["binary_cross_entropy_backward"].call(
                g, a.sigmoid(), b.sigmoid(), None, "mean"
            ),
            lambda T, g, a, b: T.ops.aten.binary_cross_entropy_backward(
                g, a.sigmoid(), b.sigmoid(), None, 1
            ),
            ((), (3, 2), (3, 2)),
        ),
        Sample(
            lambda T, g, a, b: T.REGISTRY["binary_cross_entropy_backward"].call(
                g, a.sigmoid(), b.sigmoid(), T.tensor([0.5, 2.0]), "sum"
            ),
            lambda T, g, a, b: T.ops.aten.binary_cross_entropy_backward(
                g, a.sigmoid(), b.sigmoid(), T.tensor([0.5, 2.0]), 2
            ),
            ((), (3, 2), (3, 2)),
        ),
        Sample(
            lambda T, g, a, b: T.REGISTRY["binary_cross_entropy_backward"].call(
                g, a.sigmoid(), b.sigmoid(), None, "none"
            ),
            lambda T, g, a, b: T.ops.aten.binary_cross_entropy_backward(
                g, a.sigmoid(), b.sigmoid(), None, 0
            ),
            ((3, 2), (3, 2), (3, 2)),
        ),
    ],
    "log_sigmoid": [
        Sample(
            lambda T, a: T.REGISTRY["log_sigmoid"].call(a),
            lambda T, a: T.nn.functional.logsigmoid(a),
            ((2, 3),),
        )
    ],
    "log_sigmoid_backward": [
        Sample(
            lambda T, g, a: T.REGISTRY["log_sigmoid_backward"].call(g, a),
            lambda T, g, a: T.ops.aten.log_sigmoid_backward(
                g, a, T.ops.aten.log_sigmoid_forward(a.detach())[1]
            ),
            ((2, 3), (2, 3)),
        )
    ],
    "softmax_backward_data": [
        Sample(
            lambda T, g, y: T.REGISTRY["softmax_backward_data"].call(g, y, 1),
            lambda T, g, y: T.ops.aten._softmax_backward_data(g, y, 1, T.float32),
            ((3, 4), (3, 4)),
        )
    ],
    "log_softmax_backward_data": [
        Sample(
            lambda T, g, y: T.REGISTRY["log_softmax_backward_data"].call(g, y, 0),
            lambda T, g, y: T.ops.aten._log_softmax_backward_data(g, y, 0, T.float32),
            ((3, 4), (3, 4)),
        )
    ],
    "select_backward": [
        Sample(
            lambda T, g: T.REGISTRY["select_backward"].call(g, (3, 4), 0, 1),
            lambda T, g: T.ops.aten.select_backward(g, [3, 4], 0, 1),
            ((4,),),
        )
    ],
    "slice_backward": [
        Sample(
            lambda T, g: T.REGISTRY["slice_backward"].call(g, (4, 3), 0, slice(1, 3)),
            lambda T, g: T.ops.aten.slice_backward(g, [4, 3], 0, 1, 3, 1),
            ((2, 3),),
        )
    ],
    "masked_fill_tensor": [
        Sample(
            lambda T, a, v: _masked_fill_tensor(a, a._data > 0, v),
            lambda T, a, v: a.masked_fill(a > 0, v),
            ((3, 4), ()),
        )
    ],
    # ----- comparisons (not differentiable) --------------------------------------------
    "eq": _compare_samples(lambda T, a, b: a == b),
    "ne": _compare_samples(lambda T, a, b: a != b),
    "lt": _compare_samples(lambda T, a, b: a < b),
    "le": _compare_samples(lambda T, a, b: T.le(a, b)),
    "gt": _compare_samples(lambda T, a, b: a > b),
    "ge": _compare_samples(lambda T, a, b: a.ge(b)),
    # ----- elementwise --------------------------------------------------------------
    "exp": [S(lambda T, a: a.exp(), (2, 3)), S(lambda T, a: T.exp(a), (3,), kinds="i")],
    "log": [S(lambda T, a: a.log(), (2, 3), kinds="p"), S(lambda T, a: T.log(a), (), kinds="p")],
    "sqrt": [
        S(lambda T, a: a.sqrt(), (2, 3), kinds="p"),
        S(lambda T, a: T.sqrt(a), (3,), kinds="p"),
    ],
    "abs": [S(lambda T, a: a.abs(), (2, 3), kinds="a"), S(lambda T, a: abs(a), (3,), kinds="i")],
    "sign": [S(lambda T, a: a.sign(), (2, 3), kinds="a")],
    "sgn": [S(lambda T, a: a.sgn(), (2, 3), kinds="a")],
    "logit": [
        S(lambda T, a: a.sigmoid().logit(), (2, 3)),
        S(lambda T, a: T.logit(a.sigmoid(), eps=0.2), (6,), gradcheck=False),
    ],
    "sin": [S(lambda T, a: a.sin(), (2, 3))],
    "cos": [S(lambda T, a: T.cos(a), (4,))],
    "tanh": [S(lambda T, a: a.tanh(), (2, 3))],
    "sigmoid": [S(lambda T, a: T.sigmoid(a), (2, 3)), S(lambda T, a: (a * 40).sigmoid(), (5,))],
    "relu": [
        S(lambda T, a: a.relu(), (3, 4), kinds="a"),
        S(lambda T, a: T.relu(a), (3,), kinds="i"),
    ],
    "clamp": [
        S(lambda T, a: a.clamp(-0.5, 0.5), (3, 4), kinds="a"),
        S(lambda T, a: a.clamp(min=0.1), (5,), kinds="a"),
        S(lambda T, a: T.clamp(a, max=0.2), (5,), kinds="a"),
        S(lambda T, a: a.clip(-1, 1), (4,), kinds="i"),
    ],
    "where": [
        S(lambda T, a, b: T.where(a > 0, a, b), (3, 4), (4,)),
        S(lambda T, a: T.where(a > 0, a, 0.0), (2, 3)),
        S(lambda T, c, a, b: T.where(c, a, b), (3,), (3,), (), kinds="bff"),
    ],
    "clone": [
        S(lambda T, a: a.clone(), (2, 3)),
        S(lambda T, a: T.clone(a), ()),
        S(lambda T, a: a.t().contiguous(), (2, 3)),
    ],
    "to_dtype": [
        S(lambda T, a: a.double(), (2, 3)),
        S(lambda T, a: a.to(T.float32), (3,), kinds="d", gradcheck=False),
        S(lambda T, a: a.float(), (3,), kinds="i"),
        S(lambda T, a: a.double(), (3,), kinds="i"),
        S(lambda T, a: a.to(T.int64), (3,), gradcheck=False),
    ],
    # ----- linear algebra -----------------------------------------------------------
    "dot": [S(lambda T, a, b: T.dot(a, b), (4,), (4,)), S(lambda T, a: a.dot(a), (3,))],
    "mm": [
        S(lambda T, a, b: a.mm(b), (2, 3), (3, 4)),
        S(lambda T, a, b: a @ b, (3, 3), (3, 1)),
        S(lambda T, a, b: T.matmul(a, b), (1, 4), (4, 2)),
    ],
    "mv": [S(lambda T, a, b: a.mv(b), (2, 3), (3,)), S(lambda T, a, b: a @ b, (3, 2), (2,))],
    "matmul_batched": [
        S(lambda T, a, b: a @ b, (2, 3, 4), (2, 4, 5)),
        S(lambda T, a, b: T.matmul(a, b), (2, 3, 4), (4, 2)),
    ],
    # ----- reductions ---------------------------------------------------------------
    "sum": [
        S(lambda T, a: a.sum(), (3, 4)),
        S(lambda T, a: T.sum(a), ()),
        S(lambda T, a: a.sum(), (3,), kinds="i"),
        S(lambda T, a: a.sum(), (3,), kinds="b"),
    ],
    "sum_dim": [
        S(lambda T, a: a.sum(0), (3, 4)),
        S(lambda T, a: a.sum(dim=(0, 2), keepdim=True), (2, 3, 4)),
        S(lambda T, a: a.sum(-1), (2, 3)),
        S(lambda T, a: T.sum(a, 1), (2, 3), kinds="i"),
    ],
    "mean": [S(lambda T, a: a.mean(), (3, 4)), S(lambda T, a: T.mean(a), ())],
    "mean_dim": [
        S(lambda T, a: a.mean(1), (3, 4)),
        S(lambda T, a: a.mean(dim=(0, 1), keepdim=True), (2, 3, 2)),
    ],
    "max": [S(lambda T, a: a.max(), (3, 4)), S(lambda T, a: T.max(a), (5,))],
    "min": [S(lambda T, a: a.min(), (3, 4))],
    "max_dim": [
        S(lambda T, a: a.max(1).values, (3, 4)),
        S(lambda T, a: a.max(0, keepdim=True)[0], (3, 4)),
        S(lambda T, a: T.max(a, -1).indices, (2, 3)),
    ],
    "min_dim": [S(lambda T, a: a.min(0).values, (3, 4)), S(lambda T, a: a.min(1)[1], (3, 4))],
    "norm": [
        S(lambda T, a: a.norm(), (3, 4)),
        S(lambda T, a: a.norm(dim=1), (3, 4)),
        S(lambda T, a: a.norm(p=1), (5,), kinds="a"),
        S(lambda T, a: a.norm(p=3, dim=0, keepdim=True), (3, 2)),
        S(lambda T, a: a.norm(p=float("inf")), (5,)),
    ],
    "softmax": [
        S(lambda T, a: T.softmax(a, 1), (3, 4)),
        S(lambda T, a: a.softmax(dim=0), (5,)),
    ],
    "log_softmax": [
        S(lambda T, a: T.log_softmax(a, 0), (3, 4)),
        S(lambda T, a: a.log_softmax(-1), (2, 5)),
    ],
    # ----- shape --------------------------------------------------------------------
    "view": [
        S(lambda T, a: a.view(4, 3), (3, 4)),
        S(lambda T, a: a.reshape(-1), (2, 3)),
        S(lambda T, a: T.reshape(a, (6, 4)), (2, 3, 4)),
        S(lambda T, a: a.flatten(), (2, 3)),
        S(lambda T, a: a.flatten(), ()),
        S(lambda T, a: a[1:].flatten(0, 0).view(3), (2, 3)),
        S(lambda T, a: a.reshape_as(a.t()), (2, 3)),
    ],
    "unsafe_view": [
        S(lambda T, a: a.t().reshape(-1), (2, 3)),
        S(lambda T, a: a.expand(2, 3).flatten(), (3,)),
        S(lambda T, a: a[:, ::2].reshape(4), (2, 3)),
    ],
    "transpose": [
        S(lambda T, a: a.transpose(0, 1), (2, 3)),
        S(lambda T, a: a.transpose(-1, 0), (2, 3, 4)),
    ],
    "permute": [
        S(lambda T, a: a.permute(2, 0, 1), (2, 3, 4)),
        S(lambda T, a: a.T, (2, 3)),
        S(lambda T, a: a.permute((1, 0)), (3, 2)),
    ],
    "t": [S(lambda T, a: a.t(), (2, 3)), S(lambda T, a: T.t(a), (3,))],
    "squeeze": [S(lambda T, a: a.squeeze(), (1, 3, 1)), S(lambda T, a: T.squeeze(a), (2, 3))],
    "squeeze_dim": [
        S(lambda T, a: a.squeeze(0), (1, 3)),
        S(lambda T, a: a.squeeze(1), (2, 3)),
        S(lambda T, a: a.squeeze(-1), (2, 1)),
    ],
    "unsqueeze": [
        S(lambda T, a: a.unsqueeze(0), (2, 3)),
        S(lambda T, a: a.unsqueeze(-1), (3,)),
        S(lambda T, a: T.unsqueeze(a, 0), ()),
        S(lambda T, a: a[None], (2, 3)),
        S(lambda T, a: a[..., None], ()),
    ],
    "expand": [
        S(lambda T, a: a.expand(3, 4), (3, 1)),
        S(lambda T, a: a.expand(2, -1), (3,)),
        S(lambda T, a: a.expand(2, 3), ()),
    ],
    # ----- layout copies (engine/_ops/layout_ops.py) --------------------------------------
    "repeat": [
        S(lambda T, a: a.repeat(2, 1, 3), (2, 3)),
        S(lambda T, a: a.repeat((1, 1)), (2, 3)),
        S(lambda T, a: a.repeat([0, 2]), (2, 3)),
        S(lambda T, a: a.repeat(3), ()),
        S(lambda T, a: a.t().repeat(2, 2), (2, 3)),
        S(lambda T, a: T.tile(a, (2,)), (2, 3)),
        S(lambda T, a: a.tile(2, 1, 1), (2, 3)),
        S(lambda T, a: a.tile((3, 2)), (4,)),
        S(lambda T, a: a.repeat(2, 2), (3,), kinds="i"),
    ],
    "tril": [
        S(lambda T, a: a.tril(), (3, 3)),
        S(lambda T, a: T.tril(a, diagonal=-1), (2, 3, 4)),
        S(lambda T, a: T.tril(a, 1), (4, 2)),
        S(lambda T, a: (a * 2).tril_(1), (3, 4)),
    ],
    "triu": [
        S(lambda T, a: a.triu(), (3, 3)),
        S(lambda T, a: T.triu(a, diagonal=1), (2, 3, 4)),
        S(lambda T, a: a.triu(-2), (4, 3), kinds="i"),
        S(lambda T, a: (a + 1).triu_(), (3, 2)),
    ],
    "flip": [
        S(lambda T, a: a.flip(0, 1), (2, 3)),
        S(lambda T, a: T.flip(a, [-1]), (2, 3, 4)),
        S(lambda T, a: a.flip((2, 0)), (2, 3, 4)),
        S(lambda T, a: T.flip(a, (0,)), (4,), kinds="i"),
    ],
    "roll": [
        S(lambda T, a: a.roll(1), (2, 3)),
        S(lambda T, a: T.roll(a, (1, -1), (0, 1)), (2, 3)),
        S(lambda T, a: T.roll(a, shifts=5, dims=-1), (2, 3, 4)),
        S(lambda T, a: a.roll([2], [0]), (5,)),
        S(lambda T, a: a.roll(-4), (3, 2), kinds="i"),
    ],
    "diagonal": [
        S(lambda T, a: a.diagonal(), (3, 4)),
        S(lambda T, a: T.diagonal(a, 1, 2, 0), (2, 3, 4)),
        S(lambda T, a: T.diagonal(a, offset=-1, dim1=-1, dim2=-2), (2, 3, 4)),
    ],
    "diagonal_copy": [
        S(lambda T, a: a.diag(), (3, 4)),
        S(lambda T, a: T.diag(a, 1), (3, 4)),
        S(lambda T, a: T.diag(a, -2), (4, 3)),
        S(lambda T, a: T.diag(a), (3, 3), kinds="i"),
    ],
    "diagonal_backward": [
        _internal("diagonal_backward", "diagonal_backward", (3,), params=((3, 4), 1, 0, 1)),
        _internal("diagonal_backward", "diagonal_backward", (2, 2), params=((2, 3, 2), 0, 1, 2)),
    ],
    "diag_embed": [
        S(lambda T, a: T.diag(a), (3,)),
        S(lambda T, a: a.diag(-1), (3,)),
        S(lambda T, a: T.diag_embed(a), (2, 3)),
        S(lambda T, a: T.diag_embed(a, 1, 0, 2), (2, 3)),
    ],
    "cumsum": [
        S(lambda T, a: a.cumsum(1), (3, 4)),
        S(lambda T, a: T.cumsum(a, dim=0), (3, 2)),
        S(lambda T, a: T.cumsum(a, -1, dtype=T.float64), (2, 3)),
        S(lambda T, a: a.cumsum(0), ()),
        S(lambda T, a: a.cumsum(0), (1, 3)),
        S(lambda T, a: a.cumsum(0), (4,), kinds="i"),
    ],
    "cumprod": [
        S(lambda T, a: a.cumprod(1), (3, 4)),
        S(lambda T, a: T.cumprod(a, dim=-2), (3, 2)),
        S(lambda T, a: a.cumprod(0, dtype=T.float64), (4,)),
        S(lambda T, a: a.cumprod(0), (1, 3)),
        S(lambda T, a: a.cumprod(0), (3,), kinds="i"),
    ],
    "cat": [
        S(lambda T, a, b: T.cat([a, b]), (2, 3), (1, 3)),
        S(lambda T, a, b: T.cat((a, b), dim=1), (2, 3), (2, 2)),
        S(lambda T, a: T.cat([a, a], -1), (3,)),
    ],
    "stack": [
        S(lambda T, a, b: T.stack([a, b]), (2, 3), (2, 3)),
        S(lambda T, a, b: T.stack((a, b), dim=1), (3,), (3,)),
    ],
    "select": [
        S(lambda T, a: a[1], (3, 4)),
        S(lambda T, a: a[:, 2], (3, 4)),
        S(lambda T, a: a.select(1, -1), (2, 3)),
        S(lambda T, a: a[0, -1], (2, 3)),
        S(lambda T, a: a[..., 1], (2, 3, 4)),
        S(lambda T, a: a[0, 1:, None, 2], (2, 3, 4)),
        S(lambda T, a: a[T.tensor(1)], (2, 3)),
    ],
    "slice": [
        S(lambda T, a: a[1:3], (4, 2)),
        S(lambda T, a: a[:, ::2], (3, 4)),
        S(lambda T, a: a.narrow(0, 1, 2), (4,)),
        S(lambda T, a: a[-2:], (5,)),
        S(lambda T, a: a[:], (2, 3)),
    ],
    "index": [
        S(lambda T, a: a[[0, 2, 0]], (3, 2)),
        S(lambda T, a: a[a > 0], (3, 4)),
        S(lambda T, a: a[T.tensor([1, 1])], (3,)),
        S(lambda T, a: a[:, [0, 2]], (2, 3)),
        S(lambda T, a: a[0, [1, 0]], (2, 3)),
        S(lambda T, a: a[None, [1, 0]], (2, 3)),
        S(lambda T, a: a[[0, 1], :, [1, 2]], (2, 3, 4)),
    ],
    "alias": [S(lambda T, a: a[...], (2, 3)), S(lambda T, a: a[:, :], (2, 3))],
    # The backward of indexing; torch's nearest public counterpart is index_put.
    "index_scatter": [Sample(_scatter_engine, _scatter_torch, ((3, 3),))],
    # ----- older indexing API (engine/_ops/legacy.py) ---------------------------------
    "index_select": [
        S(lambda T, a: a.index_select(0, T.tensor([2, 0, 2])), (3, 4)),
        S(lambda T, a: T.index_select(a, 1, T.tensor([1])), (2, 3)),
        S(lambda T, a: a.index_select(-1, T.tensor([0, 0])), (4,)),
    ],
    "masked_fill": [
        S(lambda T, a: a.masked_fill(T.tensor([True, False, True]), 0.5), (2, 3)),
        S(lambda T, a: T.masked_fill(a, a > 0, -1.0), (3, 2)),
    ],
    "gather": [
        S(lambda T, a: a.gather(1, T.tensor([[0, 2], [1, 1]])), (2, 3)),
        S(lambda T, a: T.gather(a, 0, T.tensor([[2, 0, 2]])), (3, 3)),
    ],
    "scatter": [
        S(lambda T, a, b: a.scatter(1, T.tensor([[2, 0], [1, 2]]), b), (2, 3), (2, 2)),
        S(lambda T, a, b: T.scatter(a, 0, T.tensor([[1, 0, 2]]), b), (3, 3), (1, 3)),
    ],
    "scatter_value": [
        S(lambda T, a: a.scatter(1, T.tensor([[2], [0]]), 1.5), (2, 3)),
        S(lambda T, a: a.scatter(0, T.tensor([[1, 0]]), value=-2.0), (2, 2)),
    ],
    "scatter_add": [
        S(lambda T, a, b: a.scatter_add(1, T.tensor([[0, 0], [2, 1]]), b), (2, 3), (2, 2)),
        S(lambda T, a, b: T.scatter_add(a, 0, T.tensor([[1, 1, 0]]), b), (2, 3), (1, 3)),
    ],
    "index_put": [
        S(lambda T, a, b: a.index_put((T.tensor([0, 2]),), b), (3, 2), (2, 2)),
        S(lambda T, a, b: a.index_put((T.tensor([1, 1]),), b, accumulate=True), (3,), (2,)),
        S(lambda T, a, b: a.index_put((a > 0,), b), (2, 3), ()),
    ],
    "index_add": [
        S(lambda T, a, b: a.index_add(0, T.tensor([2, 0, 2]), b), (3, 2), (3, 2)),
        S(lambda T, a, b: T.index_add(a, 1, T.tensor([1]), b, alpha=2.0), (2, 3), (2, 1)),
    ],
    "masked_scatter": [
        S(lambda T, a, b: a.masked_scatter(a > 0, b), (3, 4), (3, 4)),
        S(lambda T, a, b: a.masked_scatter(T.tensor([True, False, True]), b), (2, 3), (5,)),
    ],
    "masked_scatter_backward": [
        Sample(
            lambda T, g: T.REGISTRY["masked_scatter_backward"].call(
                g, mask=(g > 0).numpy(), sizes=(3, 3)
            ),
            lambda T, g: T.ops.aten.masked_scatter_backward(g, g > 0, [3, 3]),
            ((2, 4),),
        )
    ],
    "masked_select": [
        S(lambda T, a: a.masked_select(a > 0), (3, 4)),
        S(lambda T, a: T.masked_select(a, T.tensor([True, False, True])), (2, 3)),
    ],
    # ----- torch.nn (engine/_ops/nn_ops.py, losses.py) ------------------------------
    "addmm": [
        S(lambda T, b, x, w: T.addmm(b, x, w), (4,), (3, 2), (2, 4)),
        S(lambda T, b, x, w: T.addmm(b, x, w, beta=0.5, alpha=2), (3, 4), (3, 2), (2, 4)),
        S(lambda T, b, x, w: T.nn.functional.linear(x, w, b), (4,), (3, 2), (4, 2)),
        S(lambda T, b, x, w: T.nn.functional.linear(x, w, b), (4,), (2, 3, 2), (4, 2)),
        S(lambda T, b, x, w: T.nn.functional.linear(x, w, b), (4,), (2,), (4, 2)),
    ],
    "squeeze_inplace_dim": [S(lambda T, x, w: T.nn.functional.linear(x, w), (3,), (4, 3))],
    "leaky_relu": [
        S(lambda T, a: T.nn.functional.leaky_relu(a, 0.2), (3, 4)),
        S(lambda T, a: T.nn.functional.leaky_relu(a), (5,)),
    ],
    "leaky_relu_inplace": [
        S(lambda T, a: T.nn.functional.leaky_relu(a * 1, 0.2, inplace=True), (3, 4), kinds="a"),
        S(lambda T, a: T.nn.functional.leaky_relu_(a + 0), (5,), kinds="a"),
    ],
    # ----- activations (engine/_ops/activations.py) ---------------------------------
    "gelu": [
        S(lambda T, a: T.nn.functional.gelu(a), (3, 4)),
        S(lambda T, a: T.nn.functional.gelu(a * 3, approximate="tanh"), (6,)),
    ],
    "silu": [S(lambda T, a: T.nn.functional.silu(a * 3), (3, 4))],
    "cosh": [S(lambda T, a: a.cosh(), (2, 3)), S(lambda T, a: T.cosh(a), (4,), kinds="i")],
    "sinh": [S(lambda T, a: T.sinh(a), (2, 3)), S(lambda T, a: a.sinh(), ())],
    "elu": [
        S(lambda T, a: T.nn.functional.elu(a), (3, 4), kinds="a"),
        S(lambda T, a: T.nn.functional.elu(a, alpha=0.5), (5,), kinds="a"),
    ],
    "elu_inplace": [
        S(lambda T, a: T.nn.functional.elu(a * 1, inplace=True), (3, 4), kinds="a"),
        S(lambda T, a: T.nn.functional.elu_(a + 0, alpha=0.5), (5,), kinds="a"),
    ],
    "softplus": [
        S(lambda T, a: T.nn.functional.softplus(a), (3, 4)),
        S(lambda T, a: T.nn.functional.softplus(a, beta=2.0, threshold=1.0), (8,), kinds="a"),
    ],
    "hardtanh": [
        S(lambda T, a: T.nn.functional.hardtanh(a), (3, 4), kinds="a"),
        S(lambda T, a: T.nn.functional.hardtanh(a, -0.5, 1.5), (6,), kinds="a"),
        S(lambda T, a: T.nn.functional.relu6(a * 4), (2, 5), kinds="a"),
    ],
    "clamp_min": [
        S(lambda T, a: a.clamp_min(0.2), (3, 4), kinds="a"),
        S(lambda T, a: T.nn.functional.normalize(a), (3, 4)),
        S(lambda T, a: T.nn.functional.normalize(a, p=1.0, dim=0), (2, 3)),
    ],
    "gelu_backward": [
        _internal("gelu_backward", "gelu_backward", (2, 3), (2, 3)),
        Sample(
            lambda T, g, x: T.REGISTRY["gelu_backward"].call(g, x, "tanh"),
            lambda T, g, x: T.ops.aten.gelu_backward(g, x, approximate="tanh"),
            ((5,), (5,)),
        ),
    ],
    "elu_backward": [
        Sample(
            lambda T, g, x: T.REGISTRY["elu_backward"].call(g, x, 0.5),
            lambda T, g, x: T.ops.aten.elu_backward(g, 0.5, 1, 1, False, x),
            ((2, 3), (2, 3)),
            kinds="fa",
        ),
        Sample(
            lambda T, g, y: T.REGISTRY["elu_backward"].call(g, y, 0.5, True),
            lambda T, g, y: T.ops.aten.elu_backward(g, 0.5, 1, 1, True, y),
            ((2, 3), (2, 3)),
            kinds="fu",
        ),
    ],
    "softplus_backward": [
        Sample(
            lambda T, g, x: T.REGISTRY["softplus_backward"].call(g, x, 2.0, 1.0),
            lambda T, g, x: T.ops.aten.softplus_backward(g, x, 2.0, 1.0),
            ((2, 4), (2, 4)),
            kinds="fa",
        )
    ],
    "hardtanh_backward": [
        Sample(
            lambda T, g, x: T.REGISTRY["hardtanh_backward"].call(g, x, -0.5, 1.0),
            lambda T, g, x: T.ops.aten.hardtanh_backward(g, x, -0.5, 1.0),
            ((2, 3), (2, 3)),
            kinds="fa",
        )
    ],
    "embedding": [
        S(lambda T, w: T.nn.functional.embedding(T.tensor([[0, 2], [1, 0]]), w), (3, 4)),
        # The padding row's gradient is held at zero on purpose: finite differences disagree.
        S(
            lambda T, w: T.nn.functional.embedding(T.tensor([2, 0, 2]), w, padding_idx=0),
            (3, 2),
            gradcheck=False,
        ),
    ],
    "mse_loss": [
        S(lambda T, a, b: T.nn.functional.mse_loss(a, b), (3, 4), (3, 4)),
        S(lambda T, a, b: T.nn.functional.mse_loss(a, b, reduction="sum"), (5,), (5,)),
        S(lambda T, a, b: T.nn.functional.mse_loss(a, b, reduction="none"), (2, 3), (2, 3)),
        S(lambda T, a, b: T.nn.functional.mse_loss(a, b), (2, 3), (2, 3), kinds="dd"),
    ],
    "nll_loss": [
        S(lambda T, a: T.nn.functional.nll_loss(a, T.tensor([0, 2, 1])), (3, 4)),
        S(lambda T, a: T.nn.functional.cross_entropy(a, T.tensor([3, 0, 1])), (3, 4)),
        S(
            lambda T, a: T.nn.functional.nll_loss(
                a, T.tensor([0, 2, 1, 2]), weight=T.tensor([1.0, 2.0, 0.5])
            ),
            (4, 3),
        ),
        S(
            lambda T, a: T.nn.functional.nll_loss(a, T.tensor([1, -100, 0]), reduction="sum"),
            (3, 2),
        ),
        S(lambda T, a: T.nn.functional.nll_loss(a, T.tensor([1, 0, 1]), reduction="none"), (3, 2)),
        S(lambda T, a: T.nn.functional.nll_loss(a, T.tensor(2)), (4,)),
    ],
    "binary_cross_entropy": [
        S(
            lambda T, a, b: T.nn.functional.binary_cross_entropy(a.sigmoid(), b.sigmoid()),
            (3, 2),
            (3, 2),
        ),
        S(
            lambda T, a, b: T.nn.functional.binary_cross_entropy(
                a.sigmoid(), b.sigmoid(), weight=T.tensor([0.5, 2.0]), reduction="sum"
            ),
            (3, 2),
            (3, 2),
        ),
        S(
            lambda T, a, b: T.nn.functional.binary_cross_entropy(
                a.sigmoid(), b.sigmoid(), reduction="none"
            ),
            (4,),
            (4,),
        ),
    ],
    "binary_cross_entropy_with_logits": [
        S(
            lambda T, a, b: T.nn.functional.binary_cross_entropy_with_logits(a, b.sigmoid()),
            (3, 2),
            (3, 2),
        ),
        S(
            lambda T, a, b: T.nn.functional.binary_cross_entropy_with_logits(
                a, b.sigmoid(), pos_weight=T.tensor([3.0, 0.5]), weight=T.tensor([2.0, 1.0])
            ),
            (3, 2),
            (3, 2),
        ),
        S(
            lambda T, a, b: T.nn.functional.binary_cross_entropy_with_logits(a, b, reduction="sum"),
            (4,),
            (4,),
            kinds="fu",
        ),
    ],
}
