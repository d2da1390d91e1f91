"""The Tensor: a numpy array plus the autograd bookkeeping PyTorch users expect."""

from __future__ import annotations

import itertools
import warnings

import numpy as np

from . import _dtype as dt
from . import _legacy
from ._autograd import recording as record
from ._autograd.graph import AccumulateGrad, RemovableHandle
from ._grad_mode import STATE, no_grad
from ._optable import OPS
from ._printing import tensor_repr

_uids = itertools.count()

NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
    "instead. See github.com/pytorch/pytorch/pull/30531 for more information."
)
LEAF_INPLACE_ERROR = "a leaf Variable that requires grad is being used in an in-place operation."
LEAF_VIEW_INPLACE_ERROR = "a view of " + LEAF_INPLACE_ERROR
NEW_TENSOR_WARNING = (
    "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
    "or sourceTensor.detach().clone().requires_grad_(True), rather than "
    "tensor.new_tensor(sourceTensor)."
)


class Size(tuple):
    """A tensor's shape; prints as torch.Size([2, 3])."""

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    __str__ = __repr__

    def numel(self) -> int:
        return int(np.prod(self, dtype=np.int64))


class device:  # noqa: N801 - PyTorch's name
    def __init__(self, type: str = "cpu") -> None:  # noqa: A002
        if str(type) != "cpu":
            raise RuntimeError(f"this engine runs on the CPU only, not {type!r}")
        self.type = "cpu"
        self.index = None

    def __repr__(self) -> str:
        return "device(type='cpu')"

    def __str__(self) -> str:
        return "cpu"

    def __eq__(self, other) -> bool:
        return str(other) == "cpu"

    def __hash__(self) -> int:
        return hash("cpu")


CPU = device()


def _check_float_for_grad(d: dt.dtype, how: str) -> None:
    """PyTorch words the refusal differently for a factory, the setter and requires_grad_()."""
    if not d.is_floating_point:
        raise RuntimeError(
            {
                "factory": "Only Tensors of floating point and complex dtype can require gradients",
                "setter": "only Tensors of floating point and complex dtype can require gradients",
                "method": "only Tensors of floating point dtype can require gradients",
            }[how]
        )


class Tensor:
    __slots__ = (
        "_data",
        "_dtype",
        "requires_grad_flag",
        "grad_fn",
        "_grad",
        "_vc",
        "_uid",
        "_accum",
        "_output_nr",
        "_retains_grad",
        "_grad_of",
        "__weakref__",
    )
    __array_priority__ = 1000  # numpy defers to our operators

    def __init__(self, *args, **kwargs) -> None:
        # The legacy constructor: torch.Tensor(data), torch.Tensor(2, 3), torch.Tensor(size),
        # torch.Tensor(other) (an alias of other's storage).
        if len(args) == 1 and isinstance(args[0], Tensor):
            src = args[0]
            self._init(src._data, src._dtype, False, None)
            self._vc = src._vc
            return
        if len(args) == 1 and isinstance(args[0], Size):
            args = tuple(args[0])
        d = dt.get_default_dtype()
        self._init(_legacy.new_array(args, kwargs, d), d, False, None)

    def _init(self, arr, d, requires_grad, grad_fn) -> None:
        self._data = arr
        self._dtype = d
        self.requires_grad_flag = requires_grad
        self.grad_fn = grad_fn
        self._grad = None
        self._vc = [0]
        self._uid = next(_uids)
        self._accum = None
        self._output_nr = 0
        self._retains_grad = False
        self._grad_of = None

    @classmethod
    def _make(cls, arr: np.ndarray, d: dt.dtype, requires_grad: bool, grad_fn) -> Tensor:
        # _init inlined: this runs once per op, on the hot path.
        t = object.__new__(cls)
        t._data = arr
        t._dtype = d
        t.requires_grad_flag = requires_grad
        t.grad_fn = grad_fn
        t._grad = None
        t._vc = [0]
        t._uid = next(_uids)
        t._accum = None
        t._output_nr = 0
        t._retains_grad = False
        t._grad_of = None
        return t

    # ----- identity and metadata -------------------------------------------------------
    __hash__ = object.__hash__

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def dtype(self) -> dt.dtype:
        return self._dtype

    @property
    def device(self) -> device:
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._dtype.itemsize

    def is_floating_point(self) -> bool:
        return self._dtype.is_floating_point

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)  # numpy's strides mirror PyTorch's

    def cpu(self) -> Tensor:
        return self

    @property
    def _version(self) -> int:
        return self._vc[0]

    @property
    def output_nr(self) -> int:
        return self._output_nr

    # ----- autograd state ---------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self.requires_grad_flag

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self._set_requires_grad(bool(value), "setter")

    def _set_requires_grad(self, value: bool, how: str) -> None:
        if self.grad_fn is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if value:
            _check_float_for_grad(self._dtype, how)
        self.requires_grad_flag = value
        if STATE.recorders:
            record.requires_grad_set(self)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self._set_requires_grad(bool(requires_grad), "method")
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def _accumulator(self) -> AccumulateGrad:
        acc = self._accum
        if acc is None:
            acc = self._accum = AccumulateGrad(self)
        return acc

    @property
    def grad(self):
        if self.grad_fn is not None and not self._retains_grad:
            warnings.warn(NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}"
                )
            if value.shape != self.shape:
                raise RuntimeError("assigned grad has data of a different size")
            value._grad_of = self._uid
        self._grad = value
        if STATE.recorders:
            record.grad_set(self)

    @property
    def data(self) -> Tensor:
        # A view of the storage with its own version counter: PyTorch's escape hatch.
        out = Tensor._make(self._data, self._dtype, False, None)
        if STATE.recorders:
            record.data_taken(self, out)
        return out

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data
        self._dtype = value._dtype

    def retain_grad(self) -> None:
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        self.grad_fn._retain_grad(self._output_nr, self)

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, hook) -> RemovableHandle:
        """hook(grad) runs when the gradient for this tensor is computed; it may return a
        replacement."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn._register_tensor_hook(self._output_nr, hook)
        return self._accumulator()._register_tensor_hook(0, hook)

    def detach(self) -> Tensor:
        out = Tensor._make(self._data, self._dtype, False, None)
        out._vc = self._vc  # shares storage and version counter, like PyTorch
        if STATE.recorders:
            record.detached(self, out, in_place=False)
        return out

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self.requires_grad_flag = False
        if STATE.recorders:
            record.detached(self, self, in_place=True)
        return self

    # backward: bound by engine.autograd (the layer that runs it), as autograd.backward(self, ...)

    # ----- conversion -------------------------------------------------------------------
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def numpy(self, force: bool = False) -> np.ndarray:
        # torch refuses only while grad mode is on (so numpy() works inside Function.forward).
        if self.requires_grad_flag and STATE.grad_enabled and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. "
                "Use tensor.detach().numpy() instead."
            )
        return self._data

    def __array__(self, dtype=None, copy=None):
        arr = self._data
        return arr if dtype is None else arr.astype(dtype)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()))

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._dtype.is_floating_point or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __format__(self, spec: str) -> str:
        # As torch: a 0-d tensor formats as its Python number, f"{t}" included.
        if self._data.ndim == 0 and type(self) is Tensor:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __repr__(self, *, tensor_contents=None) -> str:
        return tensor_repr(
            self._data,
            self._dtype.name,
            requires_grad=self.requires_grad_flag and self.grad_fn is None,
            grad_fn=self.grad_fn.name() if self.grad_fn is not None else None,
        )

    __str__ = __repr__

    def to(self, *args, **kwargs) -> Tensor:
        target = kwargs.get("dtype")
        for a in args:
            if isinstance(a, dt.dtype):
                target = a
            elif isinstance(a, Tensor):
                target = a._dtype
        if target is None or target is self._dtype:
            return self
        return OPS["to_dtype"].call(self, dtype=target)

    def type(self, dtype=None, non_blocking: bool = False, **kwargs):
        if dtype is None:
            return f"torch.{self._dtype.legacy}"
        return self.to(_legacy.dtype_of_type(dtype))

    def float(self) -> Tensor:
        return self.to(dt.float32)

    def double(self) -> Tensor:
        return self.to(dt.float64)

    def long(self) -> Tensor:
        return self.to(dt.int64)

    def int(self) -> Tensor:
        return self.to(dt.int32)

    def bool(self) -> Tensor:
        return self.to(dt.bool_)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other._dtype)

    # ----- in-place ops -----------------------------------------------------------------
    def _inplace(self, name: str, result_arr: np.ndarray, graph_result: Tensor | None) -> Tensor:
        """Write `result_arr` into this tensor's storage and bump its version."""
        if graph_result is not None and graph_result.requires_grad and self.grad_fn is None:
            if self.requires_grad:
                raise RuntimeError(LEAF_INPLACE_ERROR)
        if result_arr.dtype != self._data.dtype:
            if not self._dtype.is_floating_point and result_arr.dtype.kind == "f":
                raise RuntimeError(
                    f"result type Float can't be cast to the desired output type "
                    f"{self._dtype.legacy.replace('Tensor', '')}"
                )
            result_arr = result_arr.astype(self._data.dtype)
        if not self._data.flags.writeable:  # e.g. an expanded (broadcast) array
            self._data = np.array(result_arr, dtype=self._data.dtype)
        else:
            self._data[...] = result_arr
        self._vc[0] += 1
        if graph_result is not None and graph_result.requires_grad:
            self.grad_fn = graph_result.grad_fn
            self.requires_grad_flag = True
        if STATE.recorders:
            record.inplace(self, name)
        return self

    def _inplace_op(self, name: str, op_name: str, *others, **params) -> Tensor:
        if self.requires_grad and self.grad_fn is None and STATE.grad_enabled:
            raise RuntimeError(LEAF_INPLACE_ERROR)
        op = OPS[op_name]
        if STATE.grad_enabled and (
            self.requires_grad or any(isinstance(o, Tensor) and o.requires_grad for o in others)
        ):
            res = op.call(self, *others, **params)
            return self._inplace(name, res._data, res)
        recorders, STATE.recorders = STATE.recorders, []  # the in-place event says it all
        try:
            with no_grad():
                res = op.call(self, *others, **params)
        finally:
            STATE.recorders = recorders
        return self._inplace(name, res._data, None)

    def add_(self, other, *, alpha=1) -> Tensor:
        # alpha scales inside the in-place op, so the update is one event, not two.
        return self._inplace_op("add_", "add", other, alpha=alpha)

    def sub_(self, other, *, alpha=1) -> Tensor:
        return self._inplace_op("sub_", "sub", other, alpha=alpha)

    def mul_(self, other) -> Tensor:
        return self._inplace_op("mul_", "mul", other)

    def div_(self, other) -> Tensor:
        return self._inplace_op("div_", "div", other)

    def pow_(self, exponent) -> Tensor:
        return self._inplace_op("pow_", "pow", exponent=exponent)

    def clamp_(self, min=None, max=None) -> Tensor:  # noqa: A002
        return self._inplace_op("clamp_", "clamp", min=min, max=max)

    def relu_(self) -> Tensor:
        return self._inplace_op("relu_", "relu")

    def neg_(self) -> Tensor:
        return self._inplace_op("neg_", "neg")

    def exp_(self) -> Tensor:
        return self._inplace_op("exp_", "exp")

    def sin_(self) -> Tensor:
        return self._inplace_op("sin_", "sin")

    def cos_(self) -> Tensor:
        return self._inplace_op("cos_", "cos")

    def tanh_(self) -> Tensor:
        return self._inplace_op("tanh_", "tanh")

    def sigmoid_(self) -> Tensor:
        return self._inplace_op("sigmoid_", "sigmoid")

    def sqrt_(self) -> Tensor:
        return self._inplace_op("sqrt_", "sqrt")

    def log_(self) -> Tensor:
        return self._inplace_op("log_", "log")

    def abs_(self) -> Tensor:
        return self._inplace_op("abs_", "abs")

    def masked_fill_(self, mask, value) -> Tensor:
        return self._inplace_op("masked_fill_", "masked_fill", mask, value)

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None) -> Tensor:
        if reduce is not None:
            raise NotImplementedError("scatter_ with reduce= is not supported by this engine")
        return self._inplace_op("scatter_", "scatter", dim, index, src, value=value)

    def scatter_add_(self, dim, index, src) -> Tensor:
        return self._inplace_op("scatter_add_", "scatter_add", dim, index, src)

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def zero_(self) -> Tensor:
        if self.requires_grad and self.grad_fn is None and STATE.grad_enabled:
            raise RuntimeError(LEAF_INPLACE_ERROR)
        out = self._inplace("zero_", np.zeros_like(self._data), None)
        if self.grad_fn is not None:
            self.grad_fn = None  # zeroing cuts the history, as PyTorch's ZeroBackward does
            self.requires_grad_flag = False
        if self._grad_of is not None and STATE.recorders:
            record.grad_zeroed(self)
        return out

    def fill_(self, value) -> Tensor:
        if self.requires_grad and self.grad_fn is None and STATE.grad_enabled:
            raise RuntimeError(LEAF_INPLACE_ERROR)
        return self._inplace("fill_", np.full_like(self._data, _unwrap(value)), None)

    def copy_(self, src) -> Tensor:
        if self.requires_grad and self.grad_fn is None and STATE.grad_enabled:
            raise RuntimeError(LEAF_INPLACE_ERROR)
        arr = np.broadcast_to(_unwrap(src), self._data.shape)
        return self._inplace("copy_", np.array(arr, dtype=self._data.dtype), None)

    # normal_, uniform_, bernoulli_, random_, exponential_: engine._sampling (torch's stream)

    def __setitem__(self, key, value) -> None:
        grad_value = isinstance(value, Tensor) and value.requires_grad_flag
        if STATE.grad_enabled and (self.requires_grad_flag or grad_value):
            if self.requires_grad_flag and self.grad_fn is None:
                # basic indexing writes through a view (torch's wording says so)
                raise RuntimeError(
                    LEAF_INPLACE_ERROR if _advanced(key) else LEAF_VIEW_INPLACE_ERROR
                )
            # t[key] = v with a gradient: the out-of-place index_put, then written in place.
            res = OPS["index_put"].with_key(self, _index_key(key), value)
            self._inplace("__setitem__", res._data, res)
            return
        arr = self._data.copy() if not self._data.flags.writeable else self._data
        arr[_index_key(key)] = _unwrap(value)
        self._inplace("__setitem__", arr, None)

    # ----- non-differentiable comparisons and queries ---------------------------------
    def _compare(self, other, fn) -> Tensor:
        return Tensor._make(np.asarray(fn(self._data, _unwrap(other))), dt.bool_, False, None)

    def __eq__(self, other):  # noqa: D105
        return OPS["eq"].call(self, other)

    def __ne__(self, other):
        return OPS["ne"].call(self, other)

    def __lt__(self, other):
        return OPS["lt"].call(self, other)

    def __le__(self, other):
        return OPS["le"].call(self, other)

    def __gt__(self, other):
        return OPS["gt"].call(self, other)

    def __ge__(self, other):
        return OPS["ge"].call(self, other)

    def __and__(self, other):
        return self._compare(other, np.logical_and if self._dtype is dt.bool_ else np.bitwise_and)

    def __or__(self, other):
        return self._compare(other, np.logical_or if self._dtype is dt.bool_ else np.bitwise_or)

    def __invert__(self):
        if self._dtype is dt.bool_:
            return Tensor._make(~self._data, dt.bool_, False, None)
        return Tensor._make(~self._data, self._dtype, False, None)

    def logical_not(self) -> Tensor:
        return Tensor._make(np.logical_not(self._data), dt.bool_, False, None)

    def all(self, dim=None) -> Tensor:
        return Tensor._make(np.asarray(np.all(self._data, axis=dim)), dt.bool_, False, None)

    def any(self, dim=None) -> Tensor:
        return Tensor._make(np.asarray(np.any(self._data, axis=dim)), dt.bool_, False, None)

    def argmax(self, dim=None, keepdim=False) -> Tensor:
        res = np.argmax(self._data, axis=dim, keepdims=keepdim if dim is not None else False)
        return Tensor._make(np.asarray(res, dtype=np.int64), dt.int64, False, None)

    def argmin(self, dim=None, keepdim=False) -> Tensor:
        res = np.argmin(self._data, axis=dim, keepdims=keepdim if dim is not None else False)
        return Tensor._make(np.asarray(res, dtype=np.int64), dt.int64, False, None)

    def equal(self, other: Tensor) -> bool:
        return self._data.shape == other._data.shape and bool(np.all(self._data == other._data))

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
        return bool(np.allclose(self._data, _unwrap(other), rtol, atol, equal_nan))

    def isnan(self) -> Tensor:
        return Tensor._make(np.isnan(self._data), dt.bool_, False, None)

    def isinf(self) -> Tensor:
        return Tensor._make(np.isinf(self._data), dt.bool_, False, None)

    def isfinite(self) -> Tensor:
        return Tensor._make(np.isfinite(self._data), dt.bool_, False, None)

    def isposinf(self) -> Tensor:
        return Tensor._make(np.isposinf(self._data), dt.bool_, False, None)

    def isneginf(self) -> Tensor:
        return Tensor._make(np.isneginf(self._data), dt.bool_, False, None)

    # ----- the older creation helpers: new tensors of this one's dtype -----------------
    def _new(self, arr: np.ndarray, dtype, requires_grad: bool) -> Tensor:
        d = self._dtype if dtype is None else dtype
        out = Tensor._make(np.asarray(arr, dtype=d.np), d, False, None)
        if requires_grad:
            out.requires_grad_(True)
        return out

    def new_tensor(self, data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        if isinstance(data, Tensor):
            warnings.warn(NEW_TENSOR_WARNING, UserWarning, stacklevel=2)
        return self._new(np.array(_unwrap(data)), dtype, requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        return self._new(np.zeros(_size_arg(size)), dtype, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        return self._new(np.ones(_size_arg(size)), dtype, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        return self._new(np.zeros(_size_arg(size)), dtype, requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
        return self._new(np.full(_size_arg((size,)), _unwrap(fill_value)), dtype, requires_grad)

    def cuda(self, device=None, non_blocking: bool = False) -> Tensor:
        raise AssertionError("Torch not compiled with CUDA enabled")

    def get_device(self) -> int:
        return -1  # the CPU, in torch's numbering

    def nonzero(self, *, as_tuple: bool = False):
        found = np.nonzero(self._data if self._data.ndim else self._data.reshape(1))
        if as_tuple:
            return tuple(Tensor._make(i.astype(np.int64), dt.int64, False, None) for i in found)
        idx = np.stack(found, axis=1) if found else np.zeros((0, 0))
        return Tensor._make(idx.astype(np.int64), dt.int64, False, None)

    def register_post_accumulate_grad_hook(self, hook) -> RemovableHandle:
        """hook(tensor) runs after backward has accumulated this leaf's .grad."""
        if self.grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        hooks = self._accumulator()._own("_post_accumulate_hooks")
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    # __getitem__: bound by engine._ops.shape (indexing is an op, a layer above Tensor)

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._data.copy(), self._dtype.name, self.requires_grad_flag))


def _rebuild(arr, dtype_name, requires_grad):
    return Tensor._make(arr, dt._by_name(dtype_name), requires_grad, None)


def _wrap_dim(dim: int, ndim: int) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n


def _unwrap(value):
    """numpy data for a Tensor, nested lists of Tensors, or plain Python values."""
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, (list, tuple)) and value and any(isinstance(v, Tensor) for v in value):
        return [_unwrap(v) for v in value]
    return value


def _advanced(key) -> bool:
    """Whether an index uses tensors, lists or masks (index_put) rather than a view."""
    keys = key if isinstance(key, tuple) else (key,)
    return any(isinstance(k, (Tensor, list, np.ndarray, bool)) for k in keys)


def _size_arg(size: tuple) -> tuple:
    """new_zeros(2, 3) and new_zeros((2, 3)) alike."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return tuple(int(n) for n in size)


def _index_key(key):
    if isinstance(key, tuple):
        return tuple(_index_key(k) for k in key)
    if isinstance(key, Tensor):
        return key._data
    return key


Tensor.__module__ = "torch"  # type(t) prints <class 'torch.Tensor'>, as in torch
