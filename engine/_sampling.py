"""torch's random functions on tensors, drawing from torch's own CPU stream (see _random).

The factories (rand, randn, randint, randperm, normal, bernoulli, multinomial and their
*_like forms) and the in-place samplers that nn.init, Dropout and DataLoader build on
(normal_, uniform_, random_, bernoulli_, exponential_), over the generators of _generator
(re-exported here with the rest of the random API). Each consumes the stream in torch's
order, so after `manual_seed(s)` a program sees the same numbers as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from . import _dtype as dt
from ._creation import _finish, _size
from ._generator import (
    Generator,
    _mt,
    default_generator,
    fork_rng,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from ._grad_mode import STATE
from ._random import MT19937
from ._tensor import LEAF_INPLACE_ERROR, Tensor

__all__ = [
    "Generator",
    "bernoulli",
    "bernoulli_",
    "default_generator",
    "exponential_",
    "fork_rng",
    "get_rng_state",
    "initial_seed",
    "manual_seed",
    "multinomial",
    "normal",
    "normal_",
    "rand",
    "rand_like",
    "randint",
    "randint_like",
    "randn",
    "randn_like",
    "random_",
    "randperm",
    "seed",
    "set_rng_state",
    "uniform_",
]

_INT64_MIN = -(2**63)
_WIDE = (dt.int64, dt.float32, dt.float64)  # dtypes random_(-2**63, None) can fill
# random_() with no bounds: the largest value each dtype draws up to (inclusive), and
# whether torch spends a 64-bit word on it.
_DEFAULT_TOP = {
    dt.int64: (2**63 - 1, True),
    dt.int32: (2**31 - 1, False),
    dt.float32: (2**24, False),
    dt.float64: (2**53, True),
    dt.uint8: (255, False),
    dt.bool_: (1, False),
}


# ----- factories -----------------------------------------------------------------------------
def _float_dtype(dtype, what: str) -> dt.dtype:
    d = dtype or dt.get_default_dtype()
    if not d.is_floating_point:
        raise NotImplementedError(f"\"{what}\" not implemented for '{d.legacy[:-6]}'")
    return d


def _numel(shape: tuple) -> int:
    return int(np.prod(shape, dtype=np.int64))


def rand(
    *args,
    size=None,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
):
    shape = _size(args, size)
    d = _float_dtype(dtype, "check_uniform_bounds")
    arr = _mt(generator).uniform(_numel(shape), 0.0, 1.0, d.np).reshape(shape)
    return _finish(arr, d, requires_grad, "rand")


def randn(
    *args,
    size=None,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
):
    shape = _size(args, size)
    d = _float_dtype(dtype, "normal_kernel_cpu")
    arr = _mt(generator).normal(_numel(shape), 0.0, 1.0, d.np, contiguous=True).reshape(shape)
    return _finish(arr, d, requires_grad, "randn")


# The integer dtypes' bounds and C names, as random_'s range check words them.
_INT_BOUNDS = {
    dt.bool_: (0, 1, "bool"),
    dt.uint8: (0, 255, "unsigned char"),
    dt.int32: (-(2**31), 2**31 - 1, "int"),
    dt.int64: (-(2**63), 2**63 - 1, "long int"),
}


def _check_from_to(low: int, high: int, d: dt.dtype | None = None) -> None:
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    if d in _INT_BOUNDS:
        lo, hi, name = _INT_BOUNDS[d]
        if not lo <= low <= hi:
            raise RuntimeError(f"from is out of bounds for {name}")
        if not lo <= high - 1 <= hi:
            raise RuntimeError(f"to - 1 is out of bounds for {name}")


def _from_to(mt: MT19937, n: int, low: int, high: int, d: dt.dtype) -> np.ndarray:
    _check_from_to(low, high, d)
    return mt.from_to(n, low, high - low).astype(d.np)


def randint(
    *args,
    size=None,
    low=None,
    high=None,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
):
    """randint(high, size) or randint(low, high, size), positionally or by keyword."""
    args = list(args)
    if size is None:
        if not args:
            raise TypeError("randint() missing required argument 'size'")
        size = args.pop()
    if high is None:
        if not args:
            raise TypeError("randint() missing required argument 'high'")
        high = args.pop()
    if args:
        low = args.pop()
    low = 0 if low is None else int(low)
    shape = _size((), size)
    d = dtype or dt.int64
    arr = _from_to(_mt(generator), _numel(shape), low, int(high), d).reshape(shape)
    return _finish(arr, d, requires_grad, "randint")


def randperm(
    n: int,
    *,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
):
    n = int(n)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    d = dtype or dt.int64
    arr = _mt(generator).randperm(n).astype(d.np)
    return _finish(arr, d, requires_grad, "randperm")


def _like(t: Tensor, dtype) -> dt.dtype:
    return dtype or t._dtype


def rand_like(
    input: Tensor,
    *,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    memory_format=None,
):  # noqa: A002
    return rand(
        input._data.shape,
        generator=generator,
        dtype=_like(input, dtype),
        requires_grad=requires_grad,
    )


def randn_like(
    input: Tensor,
    *,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    memory_format=None,
):  # noqa: A002
    return randn(
        input._data.shape,
        generator=generator,
        dtype=_like(input, dtype),
        requires_grad=requires_grad,
    )


def randint_like(
    input: Tensor,
    low: int = 0,
    high: int | None = None,
    *,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    memory_format=None,
):  # noqa: A002
    if high is None:
        low, high = 0, low
    d = _like(input, dtype)
    shape = input._data.shape
    arr = _from_to(_mt(generator), _numel(shape), int(low), int(high), d).reshape(shape)
    return _finish(arr, d, requires_grad, "randint_like")


def normal(
    mean,
    std=1.0,
    size=None,
    *,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
):
    """normal(mean, std, size) with numbers; with tensors, torch draws N(0, 1) (or N(0, std)
    for a number std) in the output's shape and then applies std and mean as two steps."""
    m_t, s_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not (m_t or s_t):
        if size is None:
            raise TypeError("normal() missing required argument 'size'")
        shape = _size((), size)
        d = _float_dtype(dtype, "normal_kernel_cpu")
        _check_std(std)
        arr = _mt(generator).normal(_numel(shape), mean, std, d.np, True).reshape(shape)
        return _finish(arr, d, requires_grad, "normal")
    mt = _mt(generator)
    if m_t and not s_t:
        _check_std(std)
        d = mean._dtype
        arr = mt.normal(mean._data.size, 0.0, std, d.np, True).reshape(mean._data.shape)
        arr = arr + mean._data
    else:
        if s_t and (std._data < 0).any():
            raise RuntimeError("normal expects all elements of std >= 0.0")
        d = (mean if m_t else std)._dtype
        m = mean._data if m_t else np.asarray(mean, dtype=d.np)
        shape = np.broadcast_shapes(np.shape(m), std._data.shape)
        arr = mt.normal(_numel(shape), 0.0, 1.0, d.np, True).reshape(shape)
        # output.mul_(std).add_(mean): each step in the promoted type, stored in d.
        arr = (arr * std._data).astype(d.np, copy=False)
        arr = (arr + m).astype(d.np, copy=False)
    return _finish(np.asarray(arr, dtype=d.np), d, False, "normal")


def _check_std(std) -> None:
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")


def bernoulli(input: Tensor, p=None, *, generator=None) -> Tensor:  # noqa: A002
    """bernoulli(input): 1 with probability input[i]; bernoulli(input, p): one p for all."""
    mt, shape = _mt(generator), input._data.shape
    if p is None:
        probs = input._data.ravel()
    else:
        probs = float(p)
        if not 0 <= probs <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={probs}")
    arr = mt.bernoulli(probs, input._data.size).astype(input._dtype.np).reshape(shape)
    return _finish(arr, input._dtype, False, "bernoulli")


def multinomial(
    input: Tensor, num_samples: int, replacement: bool = False, *, generator=None
) -> Tensor:  # noqa: A002
    """Indices drawn from each row's categories. Without replacement (or for one sample)
    torch ranks p / Exp(1) noise; with replacement it inverts each row's cumulative sum."""
    probs = input._data
    if probs.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input._dtype.is_floating_point:
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got: {input._dtype.legacy[:-6]}"
        )
    n = int(num_samples)
    if n <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    cats = probs.shape[-1]
    if not replacement and n > cats:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
        )
    mt = _mt(generator)
    rows = probs.reshape(-1, cats)
    if not replacement or n == 1:
        if not (np.all(np.isfinite(rows)) and (rows >= 0).all()):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if (rows.sum(axis=1) == 0).any():
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        q = mt.exponential(rows.size, 1.0).astype(probs.dtype).reshape(rows.shape)
        keys = rows / q
        # argmax / topk: largest first, the lower index first among equals.
        idx = np.argsort(-keys, axis=1, kind="stable")[:, :n]
    else:
        idx = np.empty((rows.shape[0], n), dtype=np.int64)
        for r, row in enumerate(rows):
            cum = np.cumsum(row, dtype=row.dtype)  # a running sum in the input's precision
            if (row < 0).any() or not np.all(np.isfinite(row)) or cum[-1] <= 0:
                raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
            cum = cum / cum[-1]
            cum[-1] = 1
            idx[r] = np.searchsorted(cum.astype(np.float64), mt.unit_float64(n), side="left")
    out = idx.astype(np.int64).reshape(probs.shape[:-1] + (n,))
    return _finish(out, dt.int64, False, "multinomial")


# ----- in-place samplers -----------------------------------------------------------------------
def _axes_by_stride(arr: np.ndarray) -> list[int]:
    """torch's kernels fill a strided tensor in memory order (TensorIterator sorts the
    dimensions by stride): these axes, outermost first, make C order the memory order."""
    return sorted(range(arr.ndim), key=lambda a: -abs(arr.strides[a]))


def _fill(t: Tensor, name: str, draw, probs: np.ndarray | None = None) -> Tensor:
    """Write draw(n, contiguous) (numbers in memory order) into t, as one in-place event."""
    if t.requires_grad and t.grad_fn is None and STATE.grad_enabled:
        raise RuntimeError(LEAF_INPLACE_ERROR)
    arr = t._data
    contiguous = bool(arr.flags.c_contiguous)
    out = np.empty(arr.shape, dtype=arr.dtype)
    target = out if contiguous else out.transpose(_axes_by_stride(arr))
    target[...] = np.asarray(draw(arr.size, contiguous)).reshape(target.shape)
    return t._inplace(name, out, None)


def _in_fill_order(values: np.ndarray, like: np.ndarray) -> np.ndarray:
    """values (shaped like `like`) flattened in the order _fill writes `like`."""
    if like.flags.c_contiguous:
        return values.ravel()
    return values.transpose(_axes_by_stride(like)).ravel()


def _float_only(t: Tensor, what: str) -> None:
    if not t._dtype.is_floating_point:
        raise NotImplementedError(f"\"{what}\" not implemented for '{t._dtype.legacy[:-6]}'")


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
    _float_only(self, "normal_kernel_cpu")
    _check_std(std)
    mt = _mt(generator)
    return _fill(self, "normal_", lambda n, contig: mt.normal(n, mean, std, self._dtype.np, contig))


def uniform_(self: Tensor, from_: float = 0.0, to: float = 1.0, *, generator=None, **kw) -> Tensor:
    from_ = kw.pop("from", from_)  # torch spells it `from`, a Python keyword
    if kw:
        raise TypeError(f"uniform_() got an unexpected keyword argument '{next(iter(kw))}'")
    _float_only(self, "check_uniform_bounds")
    if from_ > to:
        raise RuntimeError(
            f"uniform_ expects to return a [from, to) range, but found from={from_} > to={to}"
        )
    mt = _mt(generator)
    return _fill(self, "uniform_", lambda n, _c: mt.uniform(n, from_, to, self._dtype.np))


def random_(self: Tensor, *args, generator=None, **kw) -> Tensor:
    """random_(), random_(to) or random_(from, to): integers drawn as torch does per dtype."""
    if "from" in kw:
        args = (kw.pop("from"), kw.pop("to", None))
    elif "to" in kw:
        args = (*args, kw.pop("to")) if args else (kw.pop("to"),)
    if kw:
        raise TypeError(f"random_() got an unexpected keyword argument '{next(iter(kw))}'")
    d, mt = self._dtype, _mt(generator)
    top, wide = _DEFAULT_TOP.get(d, (2**31 - 1, False))
    if not args:
        if d is dt.bool_:
            draw = lambda n, _c: (mt.random(n) & np.uint64(1)).astype(np.bool_)  # noqa: E731
        else:
            span = np.uint64(top + 1)
            words = mt.random64 if wide else mt.random
            draw = lambda n, _c: (words(n) % span).astype(d.np)  # noqa: E731
        return _fill(self, "random_", draw)
    low, high = (0, args[0]) if len(args) == 1 else args
    low = int(low)
    if high is None:
        if low == _INT64_MIN and d in _WIDE:
            return _fill(self, "random_", lambda n, _c: mt.full_range64(n).astype(d.np))
        high = top + 1
    high = int(high)
    _check_from_to(low, high, d)
    return _fill(self, "random_", lambda n, _c: mt.from_to(n, low, high - low).astype(d.np))


def bernoulli_(self: Tensor, p=0.5, *, generator=None) -> Tensor:
    return _bernoulli_(self, p, generator=generator)


def _bernoulli_(self: Tensor, p, *, generator=None) -> Tensor:
    mt = _mt(generator)
    if isinstance(p, Tensor):
        # p broadcasts to self's shape and is read in the order self is filled; its dtype
        # picks the uniform (float32 p: 24 bits, float64 p: 53).
        probs = _in_fill_order(np.broadcast_to(p._data, self._data.shape), self._data)
        return _fill(
            self, "bernoulli_", lambda n, _c: mt.bernoulli(probs, n).astype(self._dtype.np)
        )
    p = float(p)
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    return _fill(self, "bernoulli_", lambda n, _c: mt.bernoulli(p, n).astype(self._dtype.np))


def exponential_(self: Tensor, lambd: float = 1.0, *, generator=None) -> Tensor:
    _float_only(self, "exponential_cpu")
    if lambd <= 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    mt = _mt(generator)
    return _fill(
        self, "exponential_", lambda n, _c: mt.exponential(n, lambd).astype(self._dtype.np)
    )


def _bernoulli_method(self: Tensor, p=None, *, generator=None) -> Tensor:
    return bernoulli(self, p, generator=generator)


def _multinomial_method(
    self: Tensor, num_samples: int, replacement: bool = False, *, generator=None
):
    return multinomial(self, num_samples, replacement, generator=generator)


# Tensor methods, bound onto Tensor by the package (torch names them exactly so).
TENSOR_METHODS = {
    "normal_": normal_,
    "uniform_": uniform_,
    "random_": random_,
    "bernoulli_": bernoulli_,
    "exponential_": exponential_,
    "bernoulli": _bernoulli_method,
    "multinomial": _multinomial_method,
}


def install_tensor_methods() -> None:
    for name, fn in TENSOR_METHODS.items():
        setattr(Tensor, name, fn)
