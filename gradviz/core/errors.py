"""Errors in learner terms: the message, the line in their code, and a hint."""

from __future__ import annotations

from dataclasses import dataclass
from traceback import extract_tb as _extract_tb
from traceback import format_list as _format_list

from .output import clean_text

# Bound at import: the script may replace the builtins before its exception is explained.
_str, _isinstance, _type, _object_repr = str, isinstance, type, object.__repr__
MESSAGE_CAP = 2000  # characters of an error message kept (a 5 MB message is cut)


@dataclass(frozen=True)
class ErrorInfo:
    # "syntax" | "runtime" | "timeout" | "memory" | "signal" (killed by one) | "exit"
    # (the process ended itself, os._exit) | "lost" (the worker vanished) | "crash"
    kind: str
    message: str  # "RuntimeError: grad can be implicitly created only for scalar outputs"
    line: int | None  # 1-based line in the learner's code
    hint: str | None  # plain-language help for the classic mistakes
    traceback: str  # trimmed to the learner's code


HINTS = (
    (
        "grad can be implicitly created only for scalar outputs",
        "backward() without arguments only works on a single number. Your output has "
        "several elements: reduce it first (y.sum().backward()) or pass a gradient of the "
        "same shape, y.backward(gradient=torch.ones_like(y)), which computes vᵀ·J.",
    ),
    (
        "Trying to backward through the graph a second time",
        "The first backward() freed the values the graph saved for the chain rule. Pass "
        "retain_graph=True to the earlier backward() if you need to go backward again, or "
        "rebuild the graph by running the forward computation again.",
    ),
    (
        "a leaf Variable that requires grad is being used in an in-place operation",
        "Changing a parameter in place would corrupt its own gradient history. Do updates "
        "inside `with torch.no_grad():`, as an optimizer step does.",
    ),
    (
        "modified by an inplace operation",
        "A value saved for the backward pass was overwritten afterwards. Use an "
        "out-of-place version (y = y * 2 instead of y *= 2) or .clone() before changing it.",
    ),
    (
        "does not require grad and does not have a grad_fn",
        "Nothing in this computation tracks gradients. Create the inputs with "
        "requires_grad=True (or call x.requires_grad_()) before computing the output.",
    ),
    (
        "can require gradients",
        "Only floating-point tensors have gradients. Use a float value such as "
        "torch.arange(4.0) instead of torch.arange(4), or add dtype=torch.float32.",
    ),
    (
        "must match the size of tensor",
        "The two tensors have shapes that cannot be broadcast together. Print their .shape "
        "and reshape one of them.",
    ),
    (
        "shapes cannot be multiplied",
        "For A @ B the columns of A must equal the rows of B. Check the .shape of both; you "
        "may need a transpose (.T).",
    ),
    (
        "Can't call numpy() on Tensor that requires grad",
        "Use x.detach().numpy(): numpy arrays cannot carry gradient history.",
    ),
    (
        "appears to not have been used in the graph",
        "That input does not influence the output, so it has no gradient. Pass "
        "allow_unused=True to get None for it.",
    ),
)


def hint_for(message: str) -> str | None:
    for needle, hint in HINTS:
        if needle in message:
            return hint
    return None


def _type_name(exc: BaseException) -> str:
    try:
        name = _type(exc).__name__
        return _str.__str__(name) if _isinstance(name, _str) else "Exception"
    except Exception:  # noqa: BLE001 - a hostile metaclass
        return "Exception"


def exception_text(exc: BaseException) -> str:
    """str(exc), guarded: it may raise, return a str subclass, hold surrogates or be huge."""
    try:
        text = _str(exc)
        text = _str.__str__(text)[: MESSAGE_CAP + 1]  # a plain str, whatever __str__ gave
    except BaseException:  # noqa: BLE001 - the script's __str__ is the script's code
        try:
            text = _object_repr(exc)
        except BaseException:  # noqa: BLE001
            return "(its message could not be displayed)"
        text = f"(its message could not be displayed) {text}"
    if len(text) > MESSAGE_CAP:
        text = text[:MESSAGE_CAP] + " … (message cut)"
    return clean_text(text)


def _learner_frames(exc: BaseException, filename: str) -> list:
    try:
        return [f for f in _extract_tb(exc.__traceback__) if f.filename == filename]
    except Exception:  # noqa: BLE001 - a frame we cannot read is left out
        return []


def explain_exception(exc: BaseException, filename: str) -> ErrorInfo:
    """The message, the deepest line in the learner's file, and the trimmed traceback.

    Never raises: everything that comes from the script's exception is guarded."""
    frames = _learner_frames(exc, filename)
    line = frames[-1].lineno if frames else None
    kind = "memory" if _isinstance(exc, MemoryError) else "runtime"
    if _isinstance(exc, KeyboardInterrupt):
        message = "Stopped."
    else:
        name, text = _type_name(exc), exception_text(exc)
        message = f"{name}: {text}" if text else name
    try:
        listed = "".join(_format_list(frames))
    except Exception:  # noqa: BLE001
        listed = ""
    trimmed = "Traceback (most recent call last):\n" + clean_text(listed) + message + "\n"
    return ErrorInfo(kind, message, line, hint_for(message), trimmed)
