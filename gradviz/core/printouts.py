"""A recorded tensor's full printout (`values.full_text`), with a quicker way for the
small float tensors an HTML export prints by the thousand: their bytes read with
`array` and printed by the engine's plain-Python path, no numpy call on the way (each
costs a microsecond or more, most of a 3-element tensor's print)."""

from __future__ import annotations

from array import array
from binascii import a2b_base64

from engine._printing import SMALL_PRINT, small_float_repr
from gradviz.core.values import full_text

_CODES = {"float32": "f", "float64": "d"}  # array's typecodes of the same C types


def tensor_text(raw) -> str:
    """`full_text(raw)`, the same text."""
    if type(raw) is dict:
        code = _CODES.get(raw.get("dtype"))
        shape = raw.get("shape")
        if code is not None and type(shape) is list and len(shape) <= 1:
            size = shape[0] if shape else 1
            if type(size) is int and size > SMALL_PRINT:  # numpy's to print: decoded there only
                return full_text(raw)
            try:
                numbers = array(code, a2b_base64(raw["b64"]))  # base64.b64decode's core
            except (KeyError, TypeError, ValueError):  # binascii.Error is a ValueError
                return full_text(raw)  # not what `values.full` writes: its own error
            if len(numbers) == (shape[0] if shape else 1):
                text = small_float_repr(numbers.tolist() if shape else numbers[0], raw["dtype"])
                if text is not None:
                    return text
    return full_text(raw)
