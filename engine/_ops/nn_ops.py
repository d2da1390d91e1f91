"""Ops behind torch.nn layers: addmm (Linear), leaky_relu (and leaky_relu_), embedding, and
the in-place squeeze that matmul uses for a vector times a matrix."""

from __future__ import annotations

import numpy as np

from .._registry import Op, apply, register, unbroadcast
from .._rules import ENGINE, Elementwise, elementwise, rule
from ._util import arr, building_graph, needs, plain_grad
from .linalg import col_major, mm_mat1_backward, mm_mat2_backward
from .shape import SqueezeDim


@register
class Addmm(Op):
    """beta·self + alpha·(mat1 @ mat2): what nn.Linear runs on a 2-D input with a bias."""

    name, grad_fn, symbol = "addmm", "AddmmBackward0", "+@"
    input_names = ("self", "mat1", "mat2")
    saved_names = ("mat1", "mat2")
    rules = (
        rule("self", "reduce", "{grad} summed over the broadcast rows"),
        rule("mat1", "matmul", "{grad} @ {mat2}ᵀ"),
        rule("mat2", "matmul", "{mat1}ᵀ @ {grad}"),
    )
    methods = functions = ("addmm",)

    @classmethod
    def call(cls, input, mat1, mat2, *, beta=1, alpha=1):  # noqa: A002 - torch's names
        for name, m in (("mat1", mat1), ("mat2", mat2)):
            if m._data.ndim != 2:
                raise RuntimeError(f"{name} must be a matrix, got {m._data.ndim}-D tensor")
        if mat1._data.shape[1] != mat2._data.shape[0]:
            raise RuntimeError(
                "mat1 and mat2 shapes cannot be multiplied ({}x{} and {}x{})".format(
                    *mat1._data.shape, *mat2._data.shape
                )
            )
        params = None if beta == 1 and alpha == 1 else {"beta": beta, "alpha": alpha}
        return apply(cls, (input, mat1, mat2), params)

    @staticmethod
    def forward(ctx, b, m1, m2, beta=1, alpha=1):
        if ctx.needs_input_grad is not None:
            ctx.save_for_backward(m1 if needs(ctx, 2) else None, m2 if needs(ctx, 1) else None)
            ctx.col_major = (col_major(arr(m1)), col_major(arr(m2)))
        out = np.matmul(arr(m1), arr(m2))
        if alpha != 1:
            out *= alpha
        bias = arr(b)
        if beta == 0:
            return out
        out += bias if beta == 1 else bias * beta
        return out

    @staticmethod
    def backward(ctx, g):
        m1, m2 = ctx.saved_tensors
        beta = ctx.params.get("beta", 1)
        alpha = ctx.params.get("alpha", 1)
        flags = ctx.needs_input_grad
        if not building_graph():  # one numpy product per gradient
            gd = g._data
            return (
                plain_grad(g, _sum_to(gd * beta if beta != 1 else gd, ctx.input_shapes[0]))
                if flags[0]
                else None,
                plain_grad(g, _times(gd @ m2._data.T, alpha)) if flags[1] else None,
                # Computed as (Gᵀ·A)ᵀ: when mat2 is a transposed weight (nn.Linear), the
                # weight's gradient then arrives C-contiguous, like the weight itself, and
                # optimiser updates stay on unit strides.
                plain_grad(g, _times(gd.T @ m1._data, alpha).T) if flags[2] else None,
            )
        return (
            unbroadcast(ENGINE.scale(g, beta), ctx.input_shapes[0]) if flags[0] else None,
            _scaled(mm_mat1_backward(g, m2, ctx.col_major[0]), alpha) if flags[1] else None,
            _scaled(mm_mat2_backward(g, m1, ctx.col_major[1]), alpha) if flags[2] else None,
        )


def _times(x: np.ndarray, alpha) -> np.ndarray:
    return x if alpha == 1 else x * alpha


def _scaled(t, alpha):
    return ENGINE.scale(t, alpha)  # PyTorch's maybe_multiply: mul.Scalar, MulBackward1


def _sum_to(x: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum a broadcast numpy gradient down to `shape`."""
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    dims = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and x.shape[i + lead] != 1
    )
    return x.sum(axis=dims, keepdims=True).reshape(shape)


@register
class LeakyRelu(Elementwise):
    name, grad_fn, symbol = "leaky_relu", "LeakyReluBackward0", "lrelu"
    dtype_rule = "first"
    rules = (
        elementwise(
            "self",
            "1 if {self} > 0 else {negative_slope}",
            lambda m, g, x, r, p: m.leaky_relu_backward(g, x["self"], p["negative_slope"]),
        ),
    )

    @classmethod
    def call(cls, a, negative_slope=0.01):
        return apply(cls, (a,), {"negative_slope": negative_slope})

    @staticmethod
    def compute(a, negative_slope):
        x = arr(a)
        return np.where(x > 0, x, x * x.dtype.type(negative_slope))


# torch's leaky_relu_backward refuses self_is_result with a negative slope: the output's sign
# no longer tells which side of zero the overwritten input was on.
NEGATIVE_SLOPE_INPLACE_ERROR = (
    "In-place leakyReLu backward calculation is triggered with a negative slope which is not "
    "supported. This is caused by calling in-place forward function with a negative slope, "
    "please call out-of-place version instead. File an issue at "
    "https://github.com/pytorch/pytorch if you do require supporting in-place leakRelu "
    "backward calculation with negative slope"
)


def _leaky_relu_result_vjp(m, g, result, negative_slope):
    if negative_slope < 0:  # raised by the backward, as torch does; the forward runs
        raise RuntimeError(NEGATIVE_SLOPE_INPLACE_ERROR)
    return m.leaky_relu_backward(g, result, negative_slope)


@register
class LeakyReluInplace(Elementwise):
    """F.leaky_relu(x, inplace=True) / F.leaky_relu_: the input is overwritten, so the slope
    is read from the output (LeakyReluBackward1); a slope >= 0 keeps the sign, so output > 0
    exactly where the input was."""

    name, grad_fn, symbol = "leaky_relu_inplace", "LeakyReluBackward1", "lrelu"
    dtype_rule = "first"
    rules = (
        elementwise(
            "self",
            "1 if {result} > 0 else {negative_slope}",
            lambda m, g, x, r, p: _leaky_relu_result_vjp(m, g, r, p["negative_slope"]),
        ),
    )

    @classmethod
    def call(cls, a, negative_slope=0.01):
        return apply(cls, (a,), {"negative_slope": negative_slope})

    @staticmethod
    def compute(a, negative_slope):
        return LeakyRelu.compute(a, negative_slope)


@register
class Embedding(Op):
    """weight[indices]: rows of the table; the gradient adds back into those rows."""

    name, grad_fn, symbol = "embedding", "EmbeddingBackward0", "emb"
    input_names = ("weight",)
    saved_names = ("indices",)
    rules = (rule("weight", "index", "each row of {grad} added into row {indices} of {weight}"),)
    dtype_rule = "first"

    @classmethod
    def call(cls, weight, indices, padding_idx=None):
        if indices._dtype.category != 1:
            raise RuntimeError(
                "Expected tensor for argument #1 'indices' to have one of the following scalar "
                f"types: Long, Int; but got torch.{indices._dtype.legacy} instead (while "
                "checking arguments for embedding)"
            )
        n = weight._data.shape[0]
        idx = indices._data
        if idx.size and (idx.max() >= n or idx.min() < -n):
            raise IndexError("index out of range in self")
        return apply(cls, (weight,), {"indices": indices, "padding_idx": padding_idx})

    @staticmethod
    def forward(ctx, w, indices, padding_idx):
        return arr(w)[indices._data]

    @staticmethod
    def backward(ctx, g):
        p = ctx.params
        if not building_graph():
            values = _embedding_grad(g._data, p["indices"]._data, ctx.input_shapes[0], p)
            return (plain_grad(g, values),)
        return (EmbeddingDenseBackward.call(g, p["indices"], ctx.input_shapes[0][0], p),)


def _embedding_grad(go: np.ndarray, idx: np.ndarray, shape: tuple, p: dict) -> np.ndarray:
    """Each row of the gradient added into its index's row (the padding row gets none)."""
    out = np.zeros(shape, dtype=go.dtype)
    rows = go.reshape(-1, shape[1])
    flat = idx.reshape(-1)
    pad = p["padding_idx"]
    if pad is not None:
        keep = flat != (pad % shape[0])
        rows, flat = rows[keep], flat[keep]
    np.add.at(out, flat, rows)
    return out


@register
class EmbeddingDenseBackward(Op):
    """embedding's backward as an op: create_graph records EmbeddingDenseBackwardBackward0."""

    name, grad_fn, symbol = "embedding_dense_backward", "EmbeddingDenseBackwardBackward0", "emb′"
    input_names = ("grad_output",)
    dtype_rule = "first"
    rules = (rule("grad_output", "index", "{grad} read at rows {indices}"),)

    @classmethod
    def call(cls, g, indices, num_weights: int, params: dict):
        p = {"indices": indices, "num_weights": num_weights, "padding_idx": params["padding_idx"]}
        return apply(cls, (g,), p)

    @staticmethod
    def forward(ctx, g, indices, num_weights, padding_idx):
        go = arr(g)
        shape = (num_weights, go.shape[-1])
        return _embedding_grad(go, indices._data, shape, {"padding_idx": padding_idx})

    @staticmethod
    def backward(ctx, gg):
        # PyTorch's embedding_dense_double_backward: index_select the rows back, zero the
        # padding rows, view as indices' shape + [dim].
        from .._registry import REGISTRY

        p = ctx.params
        idx = p["indices"]
        flat = idx.reshape(-1)
        out = REGISTRY["index_select"].call(gg, 0, flat)
        pad = p["padding_idx"]
        if pad is not None:
            mask = (flat._data == pad % p["num_weights"]).reshape(-1, 1)
            out = REGISTRY["masked_fill"].call(out, mask, 0)
        return (out.view(*idx._data.shape, -1),)


@register
class SqueezeInplaceDim(SqueezeDim):
    """squeeze_(dim): what torch.matmul does to a vector-matrix product (SqueezeBackward4)."""

    name, grad_fn = "squeeze_inplace_dim", "SqueezeBackward4"
    rules = (rule("self", "shape", "{grad} reshaped back to the shape of {self}"),)
    is_view = False  # it renames its own input's result, which nobody else holds
