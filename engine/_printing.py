"""Tensor ``repr`` that matches PyTorch 2.13 character for character.

Pure numpy: the engine's ``Tensor.__repr__`` hands us its data, dtype name and
autograd state, and we return exactly what ``repr(torch.tensor(...))`` would.

The rules (reverse-engineered from torch's observable output):

* One element format is chosen for the whole tensor, from the values that will
  actually be shown (the edges when the tensor is summarised).
* Floats whose nonzero finite values are all integers print as ``1.`` ("int
  mode"); otherwise fixed point with ``precision`` decimals.  Scientific
  notation is used when max/min of the nonzero finite magnitudes exceeds 1000,
  the max exceeds 1e8 or the min is below 1e-4 (``sci_mode`` overrides this).
* Every element is right-aligned to the widest finite nonzero value; nan, inf
  and zeros do not count toward that width.
* Rows wrap so that ``(width + 2) * count`` fits in ``linewidth - indent``.
* Suffixes (``dtype=``, ``grad_fn=`` ...) follow on the last line unless they
  would overflow ``linewidth``, then they start a new line at the indent.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["get_printoptions", "printoptions", "set_printoptions", "tensor_repr"]

_PREFIX = "tensor("
_DEFAULT_DTYPE = "float32"
# Dtypes torch never names in the suffix of a non-empty tensor.
_IMPLICIT_DTYPES = frozenset({"float32", "int64", "bool"})
_NUMPY_DTYPES = {
    "float32": np.float32,
    "float64": np.float64,
    "int64": np.int64,
    "int32": np.int32,
    "uint8": np.uint8,
    "bool": np.bool_,
}


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


_OPTS = _PrintOptions()

# profile name -> (precision, threshold, edgeitems, linewidth)
_PROFILES: dict[str, tuple[int, float, int, int]] = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Change how tensors print; same arguments and semantics as torch.set_printoptions.

    A profile is applied first and explicit arguments then override it.  Like
    torch, ``sci_mode`` is always assigned, so omitting it restores automatic mode,
    and an unknown profile name is silently ignored.
    """
    if profile in _PROFILES:
        _OPTS.precision, _OPTS.threshold, _OPTS.edgeitems, _OPTS.linewidth = _PROFILES[profile]
    if precision is not None:
        _OPTS.precision = precision
    if threshold is not None:
        _OPTS.threshold = threshold
    if edgeitems is not None:
        _OPTS.edgeitems = edgeitems
    if linewidth is not None:
        _OPTS.linewidth = linewidth
    _OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """Current print options, as keyword arguments accepted by :func:`set_printoptions`."""
    return dataclasses.asdict(_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Temporarily change print options (restored on exit)."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


# --------------------------------------------------------------------------- element format


@dataclasses.dataclass(frozen=True)
class _ElementFormat:
    """How every element of one tensor is turned into text."""

    kind: str  # "plain" (ints/bools), "int" (integral floats), "fixed" or "sci"
    width: int
    precision: int

    def __call__(self, value: float | int | bool) -> str:
        if self.kind == "plain":
            text = str(value)
        elif self.kind == "sci":
            text = f"{value:{self.width}.{self.precision}e}"
        elif self.kind == "int":
            text = f"{value:.0f}"
            if math.isfinite(value):
                # The trailing dot is what tells a float tensor apart from an int one.
                text += "."
        else:
            text = f"{value:.{self.precision}f}"
        return text.rjust(self.width)


SMALL_PRINT = 64  # elements shown; up to this many, formats are measured without numpy


def _choose_format(shown: np.ndarray, precision: int, sci_mode: bool | None) -> _ElementFormat:
    """Pick the format from the flat array of values that will be displayed."""
    if shown.dtype.kind != "f":
        width = max((len(str(v)) for v in set(shown.tolist())), default=1)
        return _ElementFormat("plain", max(width, 1), precision)

    if shown.size <= SMALL_PRINT:
        # The same measures in plain Python: numpy's per-call cost dominates small tensors.
        informative = [v for v in shown.tolist() if v != 0 and math.isfinite(v)]
        if not informative:
            return _ElementFormat("int", 1, precision)
        lo, hi = min(map(abs, informative)), max(map(abs, informative))
        integral = all(v == math.ceil(v) for v in informative)
        values = set(informative)
    else:
        informative = shown[np.isfinite(shown) & (shown != 0)]
        if informative.size == 0:
            # Nothing to measure: torch keeps int mode and ignores a forced sci_mode.
            return _ElementFormat("int", 1, precision)
        magnitudes = np.abs(informative).astype(np.float64)
        lo, hi = float(magnitudes.min()), float(magnitudes.max())
        integral = bool(np.all(informative == np.ceil(informative)))
        values = _distinct(informative)
    if sci_mode is None:
        sci = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
    else:
        sci = sci_mode

    if sci:
        kind, width = "sci", max(len(f"{v:.{precision}e}") for v in values)
    elif integral:
        kind, width = "int", max(len(f"{v:.0f}") for v in values) + 1
    else:
        kind, width = "fixed", max(len(f"{v:.{precision}f}") for v in values)
    return _ElementFormat(kind, max(width, 1), precision)


def _distinct(values: np.ndarray) -> list:
    """The distinct values, enough to find the widest one. Not np.unique: its first call
    imports numpy.ma, 10-20 ms that a fresh worker would pay on the learner's first print."""
    ordered = np.sort(values, axis=None)
    keep = np.empty(ordered.shape, dtype=bool)
    keep[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep].tolist()


def _edge_values(data: np.ndarray, edgeitems: int) -> np.ndarray:
    """Flat array of the elements a summarised print shows (torch's summarised data)."""
    if data.ndim == 0:
        return data.reshape(1)
    if data.ndim == 1:
        if len(data) <= 2 * edgeitems:
            return data
        # With edgeitems == 0, data[-0:] is the whole vector; torch measures it all too.
        return np.concatenate((data[:edgeitems], data[-edgeitems:]))
    if edgeitems == 0:
        return data[:0].reshape(0)
    rows = _edge_indices(len(data), edgeitems)
    return np.concatenate([_edge_values(data[i], edgeitems) for i in rows])


def _edge_indices(length: int, edgeitems: int) -> list[int]:
    if length <= 2 * edgeitems:
        return list(range(length))
    return list(range(edgeitems)) + list(range(length - edgeitems, length))


# --------------------------------------------------------------------------- layout


def _format_vector(
    data: np.ndarray, fmt: _ElementFormat, indent: int, summarize: bool, opts: _PrintOptions
) -> str:
    edge = opts.edgeitems
    if summarize and edge == 0:
        cells = ["..."]
    elif summarize and len(data) > 2 * edge:
        head = [fmt(v) for v in data[:edge].tolist()]
        tail = [fmt(v) for v in data[len(data) - edge :].tolist()]
        cells = head + [" ..."] + tail
    else:
        cells = [fmt(v) for v in data.tolist()]

    # Each cell costs its width plus ", "; always at least one per line.
    per_line = max(1, math.floor((opts.linewidth - indent) / (fmt.width + 2)))
    lines = [", ".join(cells[i : i + per_line]) for i in range(0, len(cells), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _format_block(
    data: np.ndarray, fmt: _ElementFormat, indent: int, summarize: bool, opts: _PrintOptions
) -> str:
    if data.ndim == 0:
        return fmt(data.item())
    if data.ndim == 1:
        return _format_vector(data, fmt, indent, summarize, opts)

    def sub(i: int) -> str:
        return _format_block(data[i], fmt, indent + 1, summarize, opts)

    edge = opts.edgeitems
    if summarize and len(data) > 2 * edge:
        parts = [sub(i) for i in range(edge)] + ["..."]
        parts += [sub(i) for i in range(len(data) - edge, len(data))]
    else:
        parts = [sub(i) for i in range(len(data))]
    # Higher dimensions are separated by more blank lines.
    separator = "," + "\n" * (data.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(parts) + "]"


def _small_float_body(values: list, indent: int, opts: _PrintOptions) -> str:
    """A float vector (or scalar, `values` one float) of up to SMALL_PRINT elements,
    printed whole: the rules of _choose_format and _format_vector in one pass, each
    element formatted once (an export prints thousands of these)."""
    vector = type(values) is list
    if not vector:
        values = [values]
    isfinite = math.isfinite
    informative = [v for v in values if v != 0 and isfinite(v)]
    every = len(informative) == len(values)  # then every cell counts toward the width
    if not informative:
        kind = "int"
    else:
        magnitudes = list(map(abs, informative))
        lo, hi = min(magnitudes), max(magnitudes)
        if opts.sci_mode is None:
            sci = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            sci = opts.sci_mode
        # (v == ceil(v) for a finite v is v.is_integer())
        kind = "sci" if sci else "int" if all(map(float.is_integer, informative)) else "fixed"
    if kind == "int":
        cells = [format(v, ".0f") + "." if isfinite(v) else format(v, ".0f") for v in values]
    else:
        spec = f".{opts.precision}{'e' if kind == 'sci' else 'f'}"
        cells = [format(v, spec) for v in values]
    if not informative:
        width = 1
    elif every:
        width = max(map(len, cells))
    else:  # nan, inf and zeros do not count toward the width
        width = max(len(c) for c, v in zip(cells, values) if v != 0 and isfinite(v))
    if min(map(len, cells)) < width:
        cells = [c.rjust(width) for c in cells]
    if not vector:
        return cells[0]
    per_line = max(1, math.floor((opts.linewidth - indent) / (width + 2)))
    if len(cells) <= per_line:
        return "[" + ", ".join(cells) + "]"
    lines = [", ".join(cells[i : i + per_line]) for i in range(0, len(cells), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _format_body(data: np.ndarray, indent: int, opts: _PrintOptions) -> str:
    if data.size == 0:
        return "[]"
    summarize = data.size > opts.threshold
    if data.ndim <= 1 and not summarize and data.size <= SMALL_PRINT and data.dtype.kind == "f":
        return _small_float_body(data.tolist(), indent, opts)
    shown = _edge_values(data, opts.edgeitems) if summarize else data.reshape(-1)
    fmt = _choose_format(shown, opts.precision, opts.sci_mode)
    return _format_block(data, fmt, indent, summarize, opts)


def _suffixes(
    data: np.ndarray, dtype: str, requires_grad: bool, grad_fn: str | None, opts: _PrintOptions
) -> list[str]:
    out = []
    if data.size == 0:
        # Nothing to infer the dtype or the shape from, so torch spells them out.
        if data.ndim != 1:
            out.append(_size(data))
        if dtype != _DEFAULT_DTYPE:
            out.append(f"dtype=torch.{dtype}")
    else:
        if opts.edgeitems == 0:
            out.append(_size(data))
        if dtype not in _IMPLICIT_DTYPES:
            out.append(f"dtype=torch.{dtype}")
    if grad_fn is not None:
        out.append(f"grad_fn=<{grad_fn}>")
    elif requires_grad:
        out.append("requires_grad=True")
    return out


def _size(data: np.ndarray) -> str:
    return "size=" + str(tuple(int(n) for n in data.shape))


def _append_suffixes(text: str, suffixes: list[str], indent: int, linewidth: int) -> str:
    if not suffixes:
        return text + ")"
    # torch measures the last line as len - rfind("\n") + 1, i.e. two more than
    # its length when there is no newline; reproduce that to wrap identically.
    last_len = len(text) - text.rfind("\n") + 1
    pieces = [text]
    for suffix in suffixes:
        if last_len + len(suffix) + 2 > linewidth:
            pieces.append(",\n" + " " * indent + suffix)
            last_len = indent + len(suffix)
        else:
            pieces.append(", " + suffix)
            last_len += len(suffix) + 2
    pieces.append(")")
    return "".join(pieces)


def small_float_repr(values: list | float, dtype: str) -> str | None:
    """tensor_repr of a float tensor of 0 or 1 dimensions given as its Python floats (one
    float for 0-d, a list for 1-d) and no autograd state, without numpy; None where
    tensor_repr's general path is needed (empty, summarised, more than SMALL_PRINT
    elements, edgeitems 0, another dtype)."""
    opts = _OPTS
    if (dtype != "float32" and dtype != "float64") or opts.edgeitems == 0:
        return None
    size = len(values) if type(values) is list else 1
    if size == 0 or size > SMALL_PRINT or size > opts.threshold:
        return None
    indent = len(_PREFIX)
    body = _PREFIX + _small_float_body(values, indent, opts)
    if dtype == "float32":  # an implicit dtype: no suffix
        return body + ")"
    return _append_suffixes(body, ["dtype=torch.float64"], indent, opts.linewidth)


def tensor_repr(
    data: np.ndarray,
    dtype: str,
    *,
    requires_grad: bool = False,
    grad_fn: str | None = None,
) -> str:
    """Return the text ``repr(torch_tensor)`` would give for this data and autograd state.

    ``dtype`` is one of "float32", "float64", "int64" or "bool".  ``grad_fn`` is
    a node name such as "MulBackward0"; when given it replaces ``requires_grad=True``
    in the output, as torch does for non-leaf tensors.
    """
    if dtype not in _NUMPY_DTYPES:
        raise ValueError(f"unsupported dtype {dtype!r}; expected one of {sorted(_NUMPY_DTYPES)}")
    array = np.asarray(data, dtype=_NUMPY_DTYPES[dtype])
    opts = _OPTS
    indent = len(_PREFIX)
    body = _PREFIX + _format_body(array, indent, opts)
    suffixes = _suffixes(array, dtype, requires_grad, grad_fn, opts)
    return _append_suffixes(body, suffixes, indent, opts.linewidth)
