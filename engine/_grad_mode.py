"""Global autograd switches: grad mode, plus the hook list the recorder uses.

Kept in one tiny module so the hot path reads two attributes and nothing else.
"""

from __future__ import annotations

import functools
import inspect


class _State:
    __slots__ = ("grad_enabled", "recorders", "modules")

    def __init__(self) -> None:
        self.grad_enabled = True
        self.recorders: list = []  # active engine.autograd.record() sessions
        self.modules: list = []  # nn.Modules whose forward is running (kept while recording)


STATE = _State()


def is_grad_enabled() -> bool:
    return STATE.grad_enabled


class _GradModeContext:
    """Base for no_grad / enable_grad / set_grad_enabled: context manager and decorator."""

    _mode = True

    def __init__(self) -> None:
        self._prev: list[bool] = []

    def __enter__(self) -> None:
        self._prev.append(STATE.grad_enabled)
        STATE.grad_enabled = self._mode

    def __exit__(self, *exc) -> None:
        STATE.grad_enabled = self._prev.pop()

    def __call__(self, func):
        if inspect.isclass(func):
            raise TypeError("grad-mode decorators apply to functions, not classes")
        mode = self._mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with _Scope(mode):
                return func(*args, **kwargs)

        return wrapper

    def clone(self):
        return type(self)()


class _Scope(_GradModeContext):
    def __init__(self, mode: bool) -> None:
        super().__init__()
        self._mode = mode


class no_grad(_GradModeContext):  # noqa: N801 - PyTorch's name
    """Disable gradient tracking inside the block (or the decorated function)."""

    _mode = False


class enable_grad(_GradModeContext):  # noqa: N801
    """Enable gradient tracking inside the block, e.g. within no_grad."""

    _mode = True


class set_grad_enabled(_GradModeContext):  # noqa: N801
    """Set grad mode: takes effect at once, or for a `with` block, or as a decorator."""

    def __init__(self, mode: bool) -> None:
        super().__init__()
        self._mode = bool(mode)
        self._entered_at_call = STATE.grad_enabled
        STATE.grad_enabled = self._mode  # like PyTorch, the call itself switches the mode

    def __enter__(self) -> None:
        self._prev.append(self._entered_at_call)
        STATE.grad_enabled = self._mode

    def __call__(self, func):
        STATE.grad_enabled = self._entered_at_call  # used as a decorator: undo the switch
        return super().__call__(func)

    def clone(self):
        return set_grad_enabled(self._mode)


class inference_mode(no_grad):  # noqa: N801 - close enough for a teaching engine
    def __init__(self, mode: bool = True) -> None:
        super().__init__()
        self._mode = not mode
