"""Value text for boxes (short) and for the inspector (full, as PyTorch prints it)."""

from __future__ import annotations

import base64
from binascii import b2a_base64

import numpy as np

from engine._printing import tensor_repr

SHORT_ELEMENTS = 6


def _num(v, dot: bool = True) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "True" if v else "False"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return _float(float(v), dot)


def _float(f: float, dot: bool) -> str:
    """A float's text: 28. (or 28 without `dot`), 0.3333, 1.00e-04, nan."""
    text = _FLOAT_TEXT.get(f) or _float_text(f)
    # Only a whole number's text ends in a dot, the one thing `dot` changes.
    return text if dot or text[-1] != "." else text[:-1]


def _float_text(f: float) -> str:
    if f != f or f in (float("inf"), float("-inf")):
        return str(f)
    if f == int(f) and abs(f) < 1e6:
        text = f"{int(f)}."
    elif abs(f) >= 1e5 or abs(f) < 1e-3:
        text = f"{f:.2e}"
    else:
        text = f"{f:.4g}"
    if len(_FLOAT_TEXT) >= _FLOAT_LIMIT:
        _FLOAT_TEXT.clear()
    _FLOAT_TEXT[f] = text  # (0.0 and -0.0 are one key: both read "0.")
    return text


# A number's text (with its dot): stories repeat the same numbers (an array of equal
# elements, 0., 1., a value in its box, its narration and its math).
_FLOAT_TEXT: dict[float, str] = {}
_FLOAT_LIMIT = 1 << 16


# Recorded snapshots never change, so their text is worked out once (stories repeat the
# same values in boxes, narration and math). A small array is keyed by its contents (the
# same numbers in another array, e.g. a gradient sent and then received, read the same),
# to its texts [without dot, with dot], each made when first asked for; a big one by its
# identity, the array kept so its id stays its own.
_MEMO: dict = {}
_MEMO_LIMIT = 8192
_BY_VALUE: dict = {}
_BY_VALUE_LIMIT = 1 << 16
_PLAIN_KINDS = frozenset("fiub")  # dtypes whose bytes say all a value's text depends on


def short(arr, dot: bool = True) -> str:
    """A compact value: 28., [0., 4., 8., 12.], [[3.], [12.]], or a summary for big ones."""
    if arr.__class__ is np.ndarray:
        # One value is told several times in a row (its box, its sentence, its math):
        # the latest few are looked up by identity first, the cheapest key.
        seen = _RECENT.get(id(arr))
        if seen is not None and seen[0] is arr:
            return seen[1][dot] or _fill(seen[1], arr, dot)
    elif arr is None:
        return "…"
    else:
        arr = np.asarray(arr)
        if arr.size > SHORT_ELEMENTS or arr.dtype.kind not in _PLAIN_KINDS:
            return _short(arr, dot)  # a temporary: its id means nothing once it is gone
    if arr.size <= SHORT_ELEMENTS and arr.dtype.kind in _PLAIN_KINDS:
        key = (arr.dtype, arr.shape, arr.tobytes())  # (the dtype: its byte order too)
        texts = _BY_VALUE.get(key)
        if texts is None:
            if len(_BY_VALUE) >= _BY_VALUE_LIMIT:
                _BY_VALUE.clear()
            texts = _BY_VALUE[key] = [None, None]
        if len(_RECENT) >= _RECENT_LIMIT:
            _RECENT.clear()
        _RECENT[id(arr)] = (arr, texts)
        return texts[dot] or _fill(texts, arr, dot)
    key = (id(arr), dot)
    hit = _MEMO.get(key)
    if hit is not None and hit[0] is arr:
        return hit[1]
    text = _short(arr, dot)
    if len(_MEMO) >= _MEMO_LIMIT:
        _MEMO.clear()
    _MEMO[key] = (arr, text)
    return text


_RECENT: dict = {}  # id -> (small array, its texts), for the latest few
_RECENT_LIMIT = 32


def _fill(texts: list, arr: np.ndarray, dot: bool) -> str:
    """A small array's text for `dot`, kept in its entry of _BY_VALUE."""
    text = texts[dot] = _plain(arr, dot)
    return text


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


def _plain(a: np.ndarray, dot: bool) -> str:
    """_short() of a small array of bools, ints or floats, read in one tolist()."""
    if a.size == 0 and a.ndim:
        return "[]"
    items = a.tolist()
    # Up to float64, tolist() gives Python floats: _float() needs no float() of its own.
    num = _float if a.dtype.kind == "f" and a.itemsize <= 8 else _num
    return num(items, dot) if a.ndim == 0 else _nested_list(items, num, dot)


def _nested_list(items: list, num, dot: bool) -> str:
    if items and items[0].__class__ is list:
        return "[" + ", ".join([_nested_list(sub, num, dot) for sub in items]) + "]"
    return "[" + ", ".join([num(v, dot) for v in items]) + "]"


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
        "b64": b2a_base64(a.tobytes(), newline=False).decode("ascii"),  # (b64encode's own)
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
