"""Shape ops: view/reshape, transpose/permute/t, squeeze/unsqueeze, expand, cat, stack,
and indexing."""

from __future__ import annotations

import warnings

import numpy as np

from .._registry import Op, apply, register, unbroadcast
from .._rules import rule
from .._tensor import Tensor
from ._util import arr, needs
from .elementwise import Clone
from .reductions import _dims


def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _infer_shape(shape: tuple, numel: int) -> tuple:
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = int(np.prod([s for s in shape if s != -1])) if shape else 1
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


VIEW_ERROR = (
    "view size is not compatible with input tensor's size and stride (at least one dimension "
    "spans across two contiguous subspaces). Use .reshape(...) instead."
)


def _viewable(x: np.ndarray, shape: tuple) -> bool:
    """True when `x` can be reshaped without copying (numpy and PyTorch agree on strides)."""
    try:
        np.reshape(x, shape, copy=False)
    except ValueError:
        return False
    return True


class _ReshapeView(Op):
    """Ops that only change the shape: a view of the input, and a gradient reshaped back."""

    dtype_rule = "first"
    is_view = True
    rules = (rule("self", "shape", "{grad} reshaped back to the shape of {self}"),)

    @staticmethod
    def backward(ctx, g):
        return (g.reshape(ctx.input_shapes[0]),)


@register
class View(_ReshapeView):
    name, grad_fn, symbol = "view", "ViewBackward0", "view"
    methods = ("view",)

    @classmethod
    def call(cls, a, *shape):
        shape = _infer_shape(_shape_arg(shape), a._data.size)
        if not _viewable(a._data, shape):
            raise RuntimeError(VIEW_ERROR)
        return apply(cls, (a,), {"shape": shape})

    @staticmethod
    def forward(ctx, a, shape):
        return arr(a).reshape(shape)


@register
class UnsafeView(_ReshapeView):
    """The reshape of a copy, when a view is impossible: reshape = clone + _unsafe_view."""

    name, grad_fn, symbol = "unsafe_view", "UnsafeViewBackward0", "view"

    @classmethod
    def call(cls, a, *shape):
        return apply(cls, (a,), {"shape": _infer_shape(_shape_arg(shape), a._data.size)})

    @staticmethod
    def forward(ctx, a, shape):
        return arr(a).reshape(shape)


def reshape(a, *shape):
    """A view when the strides allow one, else a copy (CloneBackward0 + UnsafeViewBackward0)."""
    shape = _infer_shape(_shape_arg(shape), a._data.size)
    if _viewable(a._data, shape):
        return View.call(a, shape)
    return UnsafeView.call(Clone.call(a), shape)


def contiguous(a):
    if a._data.flags.c_contiguous:
        return a
    return Clone.call(a)


@register
class Transpose(Op):
    name, grad_fn, symbol = "transpose", "TransposeBackward0", "ᵀ"
    rules = (rule("self", "shape", "{grad} transposed back (dims {dim0} and {dim1})"),)
    dtype_rule = "first"
    is_view = True
    methods = functions = ("transpose", "swapaxes")

    @classmethod
    def call(cls, a, dim0, dim1):
        d0, d1 = _dims((dim0, dim1), a._data.ndim) if a._data.ndim else (0, 0)
        return apply(cls, (a,), {"dim0": d0, "dim1": d1})

    @staticmethod
    def forward(ctx, a, dim0, dim1):
        ctx.d = (dim0, dim1)
        x = arr(a)
        return np.swapaxes(x, dim0, dim1) if x.ndim else x

    @staticmethod
    def backward(ctx, g):
        return (g.transpose(*ctx.d),)


@register
class Permute(Op):
    name, grad_fn, symbol = "permute", "PermuteBackward0", "permute"
    rules = (rule("self", "shape", "{grad} permuted back (inverse of {dims})"),)
    dtype_rule = "first"
    is_view = True
    methods = functions = ("permute",)

    @classmethod
    def call(cls, a, *dims):
        dims = _dims(_shape_arg(dims), a._data.ndim)
        if sorted(dims) != list(range(a._data.ndim)):
            raise RuntimeError("permute(): dims must be a permutation of the tensor's dims")
        return apply(cls, (a,), {"dims": dims})

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return np.transpose(arr(a), dims)

    @staticmethod
    def backward(ctx, g):
        return (g.permute(*np.argsort(ctx.dims).tolist()),)


@register
class T(Op):
    name, grad_fn, symbol = "t", "TBackward0", "ᵀ"
    rules = (rule("self", "shape", "{grad}ᵀ"),)
    dtype_rule = "first"
    is_view = True
    methods = functions = ("t",)

    @classmethod
    def call(cls, a):
        if a._data.ndim > 2:
            raise RuntimeError(
                f"t() expects a tensor with <= 2 dimensions, but self is {a._data.ndim}D"
            )
        return apply(cls, (a,))

    @staticmethod
    def forward(ctx, a):
        return arr(a).T

    @staticmethod
    def backward(ctx, g):
        return (g.t(),)


@register
class Squeeze(_ReshapeView):
    name, grad_fn, symbol = "squeeze", "SqueezeBackward0", "squeeze"
    methods = functions = ("squeeze",)
    rules = (rule("self", "shape", "{grad} with the size-1 dims of {self} put back"),)

    @classmethod
    def call(cls, a, dim=None):
        if dim is not None:
            return SqueezeDim.call(a, dim)
        return apply(cls, (a,))

    @staticmethod
    def forward(ctx, a):
        return np.squeeze(arr(a))

    @staticmethod
    def backward(ctx, g):
        # PyTorch's unsqueeze_to: one unsqueeze per size-1 dim, lowest first.
        for d, n in enumerate(ctx.input_shapes[0]):
            if n == 1:
                g = Unsqueeze.call(g, d)
        return (g,)


@register
class SqueezeDim(_ReshapeView):
    name, grad_fn, symbol = "squeeze_dim", "SqueezeBackward1", "squeeze"
    rules = (rule("self", "shape", "{grad} with dim {dim} put back"),)

    @classmethod
    def call(cls, a, dim):
        d = _dims(dim, a._data.ndim)
        return apply(cls, (a,), {"dim": d[0] if d else None})

    @staticmethod
    def forward(ctx, a, dim):
        x = arr(a)
        return x.squeeze(dim) if dim is not None and x.shape[dim] == 1 else x.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        dim = ctx.params["dim"]
        if dim is None or ctx.input_shapes[0][dim] != 1:
            return (g,)
        return (Unsqueeze.call(g, dim),)


@register
class Unsqueeze(_ReshapeView):
    name, grad_fn, symbol = "unsqueeze", "UnsqueezeBackward0", "unsqueeze"
    methods = functions = ("unsqueeze",)
    rules = (rule("self", "shape", "{grad} with dim {dim} removed"),)

    @classmethod
    def call(cls, a, dim):
        n = a._data.ndim + 1
        if not -n <= dim < n:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                f"but got {dim})"
            )
        return apply(cls, (a,), {"dim": dim % n})

    @staticmethod
    def forward(ctx, a, dim):
        return np.expand_dims(arr(a), dim)

    @staticmethod
    def backward(ctx, g):
        return (SqueezeDim.call(g, ctx.params["dim"]),)


@register
class Expand(Op):
    name, grad_fn, symbol = "expand", "ExpandBackward0", "expand"
    rules = (rule("self", "shape", "{grad} summed over the copies, back to the shape of {self}"),)
    dtype_rule = "first"
    is_view = True
    methods = ("expand",)

    @classmethod
    def call(cls, a, *shape):
        shape = _shape_arg(shape)
        src = a._data.shape
        lead = len(shape) - len(src)
        if lead < 0:
            raise RuntimeError(
                f"expand(torch.{a._dtype.legacy}{{{list(src)}}}, size={list(shape)}): the number "
                "of sizes provided must be greater or equal to the number of dimensions in the "
                "tensor"
            )
        shape = tuple(src[i - lead] if s == -1 else s for i, s in enumerate(shape))
        if shape == src:
            return apply(cls, (a,), {"shape": shape})
        for i, n in enumerate(src):
            if n != 1 and n != shape[i + lead]:
                raise RuntimeError(
                    f"The expanded size of the tensor ({shape[i + lead]}) must match the "
                    f"existing size ({n}) at non-singleton dimension {i + lead}.  Target sizes: "
                    f"{list(shape)}.  Tensor sizes: {list(src)}"
                )
        return apply(cls, (a,), {"shape": shape})

    @staticmethod
    def forward(ctx, a, shape):
        return np.broadcast_to(arr(a), shape)

    @staticmethod
    def backward(ctx, g):
        return (unbroadcast(g, ctx.input_shapes[0]),)


@register
class Cat(Op):
    name, grad_fn, symbol = "cat", "CatBackward0", "cat"
    input_names = ("tensors",)
    rules = (rule("tensors", "join", "each input gets its slice of {grad} along dim {dim}"),)
    functions = ("cat", "concat", "concatenate")

    @classmethod
    def call(cls, tensors, dim=0):
        tensors = tuple(tensors)
        if not tensors:
            raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
        nd = tensors[0]._data.ndim
        return apply(cls, tensors, {"dim": _dims(dim, nd)[0] if nd else 0})

    @staticmethod
    def forward(ctx, *tensors, dim):
        ctx.dim = dim
        try:
            return np.concatenate([arr(t) for t in tensors], axis=dim)
        except ValueError as err:
            raise RuntimeError(f"torch.cat(): {err}") from None

    @staticmethod
    def backward(ctx, g):
        out, start = [], 0
        for i, shape in enumerate(ctx.input_shapes):
            n = shape[ctx.dim]
            out.append(g.narrow(ctx.dim, start, n) if needs(ctx, i) else None)
            start += n
        return tuple(out)


@register
class Stack(Op):
    name, grad_fn, symbol = "stack", "StackBackward0", "stack"
    input_names = ("tensors",)
    rules = (rule("tensors", "join", "each input gets its entry of {grad} along dim {dim}"),)
    functions = ("stack",)

    @classmethod
    def call(cls, tensors, dim=0):
        tensors = tuple(tensors)
        if not tensors:
            raise RuntimeError("stack expects a non-empty TensorList")
        n = tensors[0]._data.ndim + 1
        return apply(cls, tensors, {"dim": dim % n})

    @staticmethod
    def forward(ctx, *tensors, dim):
        ctx.dim = dim
        shapes = {arr(t).shape for t in tensors}
        if len(shapes) > 1:
            raise RuntimeError("stack expects each tensor to be equal size")
        return np.stack([arr(t) for t in tensors], axis=dim)

    @staticmethod
    def backward(ctx, g):
        return tuple(
            g.select(ctx.dim, i) if needs(ctx, i) else None for i in range(len(ctx.input_shapes))
        )


@register
class Select(Op):
    name, grad_fn, symbol = "select", "SelectBackward0", "[i]"
    rules = (rule("self", "index", "{grad} placed at index {index} of dim {dim}, 0 elsewhere"),)
    dtype_rule = "first"
    is_view = True
    methods = ("select",)

    @classmethod
    def call(cls, a, dim, index):
        x = a._data
        if x.ndim == 0:
            raise IndexError(
                "invalid index of a 0-dim tensor. Use `tensor.item()` in Python "
                "or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number"
            )
        dim = _dims(dim, x.ndim)[0]
        n = x.shape[dim]
        if not -n <= index < n:
            raise IndexError(f"index {index} is out of bounds for dimension {dim} with size {n}")
        return apply(cls, (a,), {"dim": dim, "index": int(index) % n})

    @staticmethod
    def forward(ctx, a, dim, index):
        ctx.dim, ctx.index = dim, index
        return np.take(arr(a), index, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return (SelectBackward.call(g, ctx.input_shapes[0], ctx.dim, ctx.index),)


@register
class Slice(Op):
    name, grad_fn, symbol = "slice", "SliceBackward0", "[a:b]"
    rules = (rule("self", "index", "{grad} placed in the slice {sl} of dim {dim}, 0 elsewhere"),)
    dtype_rule = "first"
    is_view = True

    @classmethod
    def call(cls, a, dim, sl: slice):
        if sl.step is not None and sl.step <= 0:
            raise ValueError("step must be greater than zero")
        return apply(cls, (a,), {"dim": dim, "sl": sl})

    @staticmethod
    def forward(ctx, a, dim, sl):
        ctx.key = (slice(None),) * dim + (sl,)
        return arr(a)[ctx.key]

    @staticmethod
    def backward(ctx, g):
        p = ctx.params
        return (SliceBackward.call(g, ctx.input_shapes[0], p["dim"], p["sl"]),)


@register
class SelectBackward(Op):
    """select's backward as an op (create_graph records SelectBackwardBackward0)."""

    name, grad_fn, symbol = "select_backward", "SelectBackwardBackward0", "[i]′"
    input_names = ("grad_output",)
    dtype_rule = "first"
    rules = (rule("grad_output", "index", "{grad} read at index {index} of dim {dim}"),)

    @classmethod
    def call(cls, g, input_sizes, dim, index):
        return apply(cls, (g,), {"input_sizes": tuple(input_sizes), "dim": dim, "index": index})

    @staticmethod
    def forward(ctx, g, input_sizes, dim, index):
        x = arr(g)
        out = np.zeros(input_sizes, dtype=x.dtype)
        out[(slice(None),) * dim + (index,)] = x
        return out

    @staticmethod
    def backward(ctx, g):
        p = ctx.params
        return (Select.call(g, p["dim"], p["index"]),)


@register
class SliceBackward(Op):
    """slice's backward as an op (create_graph records SliceBackwardBackward0)."""

    name, grad_fn, symbol = "slice_backward", "SliceBackwardBackward0", "[a:b]′"
    input_names = ("grad_output",)
    dtype_rule = "first"
    rules = (rule("grad_output", "index", "{grad} read in the slice {sl} of dim {dim}"),)

    @classmethod
    def call(cls, g, input_sizes, dim, sl):
        return apply(cls, (g,), {"input_sizes": tuple(input_sizes), "dim": dim, "sl": sl})

    @staticmethod
    def forward(ctx, g, input_sizes, dim, sl):
        x = arr(g)
        out = np.zeros(input_sizes, dtype=x.dtype)
        out[(slice(None),) * dim + (sl,)] = x
        return out

    @staticmethod
    def backward(ctx, g):
        p = ctx.params
        return (Slice.call(g, p["dim"], p["sl"]),)


@register
class Index(Op):
    name, grad_fn, symbol = "index", "IndexBackward0", "[idx]"
    rules = (rule("self", "index", "{grad} added at the indexed positions (repeats add up)"),)
    dtype_rule = "first"

    @staticmethod
    def forward(ctx, a, key):
        ctx.key = key
        try:
            return arr(a)[key]
        except IndexError as err:
            raise IndexError(str(err).replace(" axis ", " dimension ")) from None

    @staticmethod
    def backward(ctx, g):
        return (_scatter(g, ctx.input_shapes[0], ctx.key),)


@register
class IndexScatter(Op):
    """The backward of indexing: add a gradient at its positions into zeros, as PyTorch's
    _index_put_impl_(zeros, indices, values, accumulate=True): two edges, the zeros' is None."""

    name, grad_fn, symbol = "index_scatter", "IndexPutImplBackward0", "scatter"
    input_names = ("self", "values")
    dtype_rule = "first"
    rules = (
        rule("self", "index", "{grad}"),
        rule("values", "index", "{grad} read back at the indexed positions"),
    )

    @staticmethod
    def forward(ctx, zeros, g, key):
        out = np.array(arr(zeros))
        np.add.at(out, key, arr(g))
        return out

    @staticmethod
    def backward(ctx, g):
        return (
            g if ctx.needs_input_grad[0] else None,
            apply(Index, (g,), {"key": ctx.params["key"]}) if ctx.needs_input_grad[1] else None,
        )


def _scatter(g, shape: tuple, key):
    zeros = g.__class__._make(np.zeros(shape, dtype=g._data.dtype), g._dtype, False, None)
    return apply(IndexScatter, (zeros, g), {"key": key})


def _normalise_key(key):
    """numpy form of one index: ints stay ints (0-dim integer tensors become ints, as in
    PyTorch), lists and tensors become arrays."""
    if isinstance(key, Tensor):
        key = key._data
        if key.ndim == 0 and key.dtype.kind in "iu":
            return int(key)
        return key
    if isinstance(key, list):
        return np.asarray([k._data if isinstance(k, Tensor) else k for k in key])
    return key


def _is_int(k) -> bool:
    return isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_))


def _dims_used(k) -> int:
    """How many dimensions of the indexed tensor one index consumes."""
    if k is None or k is Ellipsis:
        return 0
    if isinstance(k, np.ndarray) and k.dtype == bool:
        return k.ndim
    return 1


def index(a, key):
    """Tensor.__getitem__ as PyTorch applies it: left to right, ints select, slices slice,
    None unsqueezes; then arrays and masks index what remains (IndexBackward0)."""
    if isinstance(key, slice):  # PyTorch's single-slice fast path always slices
        return Slice.call(a, 0, key) if a._data.ndim else _zero_dim_error(key)
    keys = tuple(_normalise_key(k) for k in (key if isinstance(key, tuple) else (key,)))
    ndim = a._data.ndim
    if ndim == 0:
        for k in keys:
            if _is_int(k) or isinstance(k, slice):
                _zero_dim_error(k)
    specified = sum(_dims_used(k) for k in keys)
    if specified > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    out, dim, advanced = a, 0, {}
    for k in keys:
        if k is None:
            out = Unsqueeze.call(out, dim)
            dim += 1
        elif k is Ellipsis:
            dim += ndim - specified
        elif _is_int(k):
            out = Select.call(out, dim, int(k))
        elif isinstance(k, slice):
            if k != slice(None):
                out = Slice.call(out, dim, k)
            dim += 1
        else:
            advanced[dim] = np.asarray(k)
            dim += _dims_used(k)
    if advanced:
        last = max(advanced)
        np_key = tuple(advanced.get(d, slice(None)) for d in range(last + 1))
        return apply(Index, (out,), {"key": np_key if len(np_key) > 1 else np_key[0]})
    if out is a:
        return Alias.call(a)
    return out


def _zero_dim_error(k):
    if isinstance(k, slice):
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    raise IndexError(
        "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` "
        "in C++ to convert a 0-dim tensor to a number"
    )


@register
class Alias(Op):
    """x[...] or x[:, :]: the same values under a new node, as PyTorch's alias."""

    name, grad_fn, symbol = "alias", "AliasBackward0", "[...]"
    rules = (rule("self", "shape", "{grad}"),)
    dtype_rule = "first"
    is_view = True

    @classmethod
    def call(cls, a):
        return apply(cls, (a,))

    @staticmethod
    def forward(ctx, a):
        return arr(a).view()

    @staticmethod
    def backward(ctx, g):
        return (g,)


Tensor.__getitem__ = index  # t[key]: indexing is an op, so this layer binds it onto Tensor


def narrow(a, dim: int, start: int, length: int):
    return Slice.call(a, dim, slice(start, start + length))


def flatten(a, start_dim: int = 0, end_dim: int = -1):
    nd = a._data.ndim
    if nd == 0:
        return a.reshape(1)
    s, e = _dims((start_dim, end_dim), nd)
    if s == e:
        return a  # nothing to merge: PyTorch returns the tensor itself
    shape = a._data.shape
    new = shape[:s] + (int(np.prod(shape[s : e + 1])),) + shape[e + 1 :]
    return reshape(a, new)


T_DEPRECATED = (
    "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
    "deprecated and it will throw an error in a future release. Consider `x.mT` to transpose "
    "batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the "
    "dimensions of a tensor."
)
T_DEPRECATED_0D = (
    "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases."
)


def t_property(a):
    """Tensor.T reverses the dimensions (PermuteBackward0); PyTorch warns unless 2-D."""
    nd = a._data.ndim
    if nd != 2:
        # stacklevel 2: the property getter is this function, so this points at the user's line.
        warnings.warn(T_DEPRECATED_0D if nd == 0 else T_DEPRECATED, UserWarning, stacklevel=2)
    return Permute.call(a, *reversed(range(nd)))
