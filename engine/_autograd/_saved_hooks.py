"""torch.autograd.graph.saved_tensors_hooks: pack every tensor an op saves for backward, and
unpack it when backward (or a `_saved_*` attribute) reads it back."""

from __future__ import annotations

from collections.abc import Callable

# The active (pack, unpack) pairs, innermost last; SavedTensor reads the last one.
STACK: list[tuple[Callable, Callable]] = []


class saved_tensors_hooks:  # noqa: N801 - PyTorch's name
    """Context manager: tensors saved inside the block go through pack_hook, and come back
    through unpack_hook."""

    def __init__(self, pack_hook: Callable, unpack_hook: Callable) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self) -> saved_tensors_hooks:
        STACK.append((self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc) -> None:
        STACK.pop()


class disable_saved_tensors_hooks:  # noqa: N801 - PyTorch's name
    """Within the block, registering saved-tensor hooks raises (torch's error message)."""

    def __init__(self, error_message: str) -> None:
        self.error_message = error_message

    def __enter__(self) -> None:
        self._saved = list(STACK)
        STACK.clear()
        STACK.append((_Refuse(self.error_message), _Refuse(self.error_message)))

    def __exit__(self, *exc) -> None:
        STACK.clear()
        STACK.extend(self._saved)


class _Refuse:
    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, *_):
        raise RuntimeError(self.message)


class save_on_cpu(saved_tensors_hooks):  # noqa: N801 - PyTorch's name
    """Saved tensors are moved to the CPU and back; here they already live there."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        super().__init__(_keep, _keep)


def _keep(t):
    return t
