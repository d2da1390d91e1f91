"""Value text for boxes (short) and for the inspector (full, as PyTorch prints it)."""

from __future__ import annotations

import base64

import numpy as np

from engine._printing import tensor_repr

SHORT_ELEMENTS = 6


def _num(v, dot: bool = True) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "True" if v else "False"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    f = float(v)
    return _FLOAT_TEXT[dot].get(f) or _float_text(f, dot)


def _float_text(f: float, dot: bool) -> str:
    if f != f or f in (float("inf"), float("-inf")):
        return str(f)
    if f == int(f) and abs(f) < 1e6:
        text = f"{int(f)}." if dot else str(int(f))
    elif abs(f) >= 1e5 or abs(f) < 1e-3:
        text = f"{f:.2e}"
    else:
        text = f"{f:.4g}"
    table = _FLOAT_TEXT[dot]
    if len(table) >= _FLOAT_LIMIT:
        table.clear()
    table[f] = text  # (0.0 and -0.0 are one key: both read "0.")
    return text


# A number's text, per `dot` (0: False, 1: True): stories repeat the same numbers (an
# array of equal elements, 0., 1., a value in its box, its narration and its math).
_FLOAT_TEXT: tuple[dict, dict] = ({}, {})
_FLOAT_LIMIT = 1 << 16


# Recorded snapshots never change, so their text is worked out once (stories repeat the
# same values in boxes, narration and math). A small array is keyed by its contents (the
# same numbers in another array, e.g. a gradient sent and then received, read the same);
# a big one by its identity, the array kept so its id stays its own.
_MEMO: dict = {}
_MEMO_LIMIT = 8192
_BY_VALUE: dict = {}
_BY_VALUE_LIMIT = 1 << 16
_PLAIN_KINDS = frozenset("fiub")  # dtypes whose bytes say all a value's text depends on


def short(arr, dot: bool = True) -> str:
    """A compact value: 28., [0., 4., 8., 12.], [[3.], [12.]], or a summary for big ones."""
    if arr is None:
        return "…"
    if arr.__class__ is not np.ndarray:
        arr = np.asarray(arr)
        if arr.size > SHORT_ELEMENTS or arr.dtype.kind not in _PLAIN_KINDS:
            return _short(arr, dot)  # a temporary: its id means nothing once it is gone
    else:
        # One value is told several times in a row (its box, its sentence, its math):
        # the latest few are looked up by identity first, the cheapest key.
        hit = _RECENT.get((id(arr), dot))
        if hit is not None and hit[0] is arr:
            return hit[1]
    if arr.size <= SHORT_ELEMENTS and arr.dtype.kind in _PLAIN_KINDS:
        key = (arr.dtype, arr.shape, arr.tobytes(), dot)  # (the dtype: its byte order too)
        text = _BY_VALUE.get(key)
        if text is None:
            text = _short(arr, dot)
            if len(_BY_VALUE) >= _BY_VALUE_LIMIT:
                _BY_VALUE.clear()
            _BY_VALUE[key] = text
        if arr.__class__ is np.ndarray:
            if len(_RECENT) >= _RECENT_LIMIT:
                _RECENT.clear()
            _RECENT[(id(arr), dot)] = (arr, text)
        return text
    key = (id(arr), dot)
    hit = _MEMO.get(key)
    if hit is not None and hit[0] is arr:
        return hit[1]
    text = _short(arr, dot)
    if len(_MEMO) >= _MEMO_LIMIT:
        _MEMO.clear()
    _MEMO[key] = (arr, text)
    return text


_RECENT: dict = {}  # (id, dot) -> (small array, its text), for the latest few
_RECENT_LIMIT = 32


def _short(a: np.ndarray, dot: bool) -> str:
    if a.ndim == 0:
        return _num(a.item(), dot)
    if a.size == 0:
        return "[]"
    if a.size <= SHORT_ELEMENTS:
        return _nested(a, dot)
    flat = a.reshape(-1)
    head = ", ".join(_num(v, dot) for v in flat[:3].tolist())
    shape = "×".join(str(n) for n in a.shape)
    return f"[{head}, …] ({shape})"


def _nested(a: np.ndarray, dot: bool = True) -> str:
    if a.ndim == 1:
        return "[" + ", ".join(_num(v, dot) for v in a.tolist()) + "]"
    return "[" + ", ".join(_nested(sub, dot) for sub in a) + "]"


_PRINTABLE = ("float32", "float64", "int64", "bool")
_NP = {"float32": np.float32, "float64": np.float64, "int64": np.int64, "bool": np.bool_}


def full(arr, dtype: str) -> dict | None:
    """The whole tensor as plain JSON data (base64 bytes); `full_text` prints it when
    someone looks at it."""
    if arr is None:
        return None
    a = np.asarray(arr)  # not ascontiguousarray: it turns a 0-d tensor into shape [1]
    dtype = dtype if dtype in _PRINTABLE else "float32"
    a = a.astype(_NP[dtype], copy=False)
    return {
        "dtype": dtype,
        "shape": list(a.shape),
        "b64": base64.b64encode(a.tobytes()).decode("ascii"),
    }


def full_text(raw) -> str:
    """The tensor as PyTorch would print it."""
    if raw is None:
        return "(too large to record)"
    if isinstance(raw, str):
        return raw
    dtype = raw["dtype"]
    flat = np.frombuffer(base64.b64decode(raw["b64"]), dtype=_NP[dtype])
    return tensor_repr(flat.reshape(raw["shape"]), dtype)


def shape_text(shape: tuple, dtype: str) -> str:
    return f"{dtype} [{', '.join(str(n) for n in shape)}]" if shape else f"{dtype} scalar"


def say(arr) -> str:
    """A value for narration: like `short`, but 28 instead of 28. so sentences read well."""
    return short(arr, False)


def decode(raw) -> np.ndarray | None:
    """The array behind a `full()` value (None for "None" or an unrecorded value)."""
    if raw is None or isinstance(raw, str):
        return None
    flat = np.frombuffer(base64.b64decode(raw["b64"]), dtype=_NP[raw["dtype"]])
    return flat.reshape(raw["shape"])
