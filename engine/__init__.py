"""engine: a small, numpy-only, PyTorch-compatible autograd library.

Use it on its own as `import engine as torch`. Every differentiable op lives in the
registry (`engine.ops_registry()`), with its forward, its backward and its display metadata.
"""

from __future__ import annotations

from . import (
    _ops,  # noqa: F401  (fills the registry)
    _sampling,
    autograd,
    random,
)
from ._creation import (
    arange,
    as_tensor,
    empty,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    tensor,
    zeros,
    zeros_like,
)
from ._dtype import bool_ as bool  # noqa: A001
from ._dtype import (
    dtype,
    float32,
    float64,
    get_default_dtype,
    int32,
    int64,
    set_default_dtype,
    uint8,
)
from ._grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from ._ops.arithmetic import rtruediv
from ._ops.diagonal import diag
from ._ops.layout_ops import outer, tile
from ._ops.layout_ops import outer as ger
from ._ops.linalg import matmul, rmatmul
from ._ops.shape import contiguous, flatten, narrow, reshape, t_property
from ._printing import get_printoptions, set_printoptions
from ._registry import REGISTRY, Op, local_rules_for_grad_fn, op_for_grad_fn
from ._rules import LocalRule
from ._sampling import (
    Generator,
    bernoulli,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    multinomial,
    normal,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    seed,
    set_rng_state,
)
from ._tensor import Size, Tensor, device

float = float32  # noqa: A001 - PyTorch's aliases
double = float64
long = int64
int = int32  # noqa: A001
__version__ = "2.13.0+cpu"  # the PyTorch release the engine follows, as a CPU build


def _as_method(fn):
    """A bound classmethod does not bind `self`; wrap it in a plain function."""

    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)

    method.__name__ = getattr(fn, "__name__", "method")
    return method


def _bind_registry() -> None:
    g = globals()
    for op in REGISTRY.values():
        for m in op.methods:
            setattr(Tensor, m, _as_method(op.call))
        for f in op.functions:
            g[f] = op.call


def _bind_extras() -> None:
    from ._ops.arithmetic import Pow, Rpow

    extras = {
        "matmul": matmul,
        "__matmul__": matmul,
        "__rmatmul__": rmatmul,
        "__rtruediv__": rtruediv,
        "__pow__": Pow.call,
        "pow": Pow.call,
        "__rpow__": Rpow.call,
        "narrow": narrow,
        "flatten": flatten,
        "reshape": reshape,
        "contiguous": contiguous,
        "square": lambda a: Pow.call(a, 2),
        "view_as": lambda a, other: a.view(other.shape),
        "reshape_as": lambda a, other: reshape(a, other.shape),
        "expand_as": lambda a, other: a.expand(other.shape),
    }
    for name, fn in extras.items():
        setattr(Tensor, name, _as_method(fn))
    Tensor.T = property(t_property)
    Tensor.mT = property(lambda a: a.transpose(-2, -1))
    g = globals()
    g.update(
        matmul=matmul,
        pow=Pow.call,
        flatten=flatten,
        narrow=narrow,
        reshape=reshape,
        square=lambda a: Pow.call(a, 2),
    )


_bind_registry()
_bind_extras()
_sampling.install_tensor_methods()  # normal_, uniform_, bernoulli_, ... on torch's stream

from . import nn, optim, utils  # noqa: E402  (attributes of torch, as in PyTorch)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(t: Tensor) -> int:
    return t.numel()


def ops_registry() -> dict:
    """Every registered op by name: forward, backward and display metadata together."""
    return dict(REGISTRY)


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return a.allclose(b, rtol, atol, equal_nan)


def equal(a, b) -> bool:
    return a.equal(b)


def argmax(a, dim=None, keepdim=False):
    return a.argmax(dim, keepdim)


def is_floating_point(t: Tensor) -> bool:
    return t.is_floating_point()


# ----- the older API, devices, and torch's own names (keyword arguments, error wording) -----
from . import _compat, _missing, accelerator, backends, cuda  # noqa: E402
from ._compat import (  # noqa: E402
    get_default_device,
    isfinite,
    isinf,
    isnan,
    isneginf,
    isposinf,
    set_default_device,
    set_default_tensor_type,
)
from ._tensortypes import BoolTensor, DoubleTensor, FloatTensor, IntTensor, LongTensor  # noqa: E402
from .autograd.anomaly_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled  # noqa: E402
from .serialization import load, save  # noqa: E402

nonzero = Tensor.nonzero
_compat.install(
    globals(), {f for op in REGISTRY.values() for f in op.functions} | {"matmul", "pow"}
)
__getattr__ = _missing.missing_attribute("torch", __name__)  # speaks of torch, not engine
