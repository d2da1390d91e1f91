"""Anomaly detection: with check_nan on, a backward function that returns NaN raises,
naming the node, as torch does."""

from __future__ import annotations

import functools
import warnings

import numpy as np


class _Anomaly:
    __slots__ = ("enabled", "check_nan")

    def __init__(self) -> None:
        self.enabled = False
        self.check_nan = True


ANOMALY = _Anomaly()

ENABLED_WARNING = (
    "Anomaly Detection has been enabled. This mode will increase the runtime and should only "
    "be enabled for debugging."
)


def is_anomaly_enabled() -> bool:
    return ANOMALY.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return ANOMALY.check_nan


def check_grads(node, grads: tuple) -> None:
    """Called after each node runs while anomaly mode is on."""
    if not (ANOMALY.enabled and ANOMALY.check_nan):
        return
    for i, g in enumerate(grads):
        data = getattr(g, "_data", None)
        if data is not None and data.dtype.kind == "f" and np.isnan(data).any():
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")


class detect_anomaly:  # noqa: N801 - torch's name
    """Context manager (or decorator) that turns anomaly detection on."""

    def __init__(self, check_nan: bool = True) -> None:
        self.prev = ANOMALY.enabled
        self.check_nan = check_nan
        self.prev_check_nan = ANOMALY.check_nan
        warnings.warn(ENABLED_WARNING, UserWarning, stacklevel=2)

    def __enter__(self) -> None:
        ANOMALY.enabled, ANOMALY.check_nan = True, self.check_nan

    def __exit__(self, *exc) -> None:
        ANOMALY.enabled, ANOMALY.check_nan = self.prev, self.prev_check_nan

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return func(*args, **kwargs)

        return wrapper


class set_detect_anomaly:  # noqa: N801 - torch's name
    """Turns anomaly detection on or off at once, or for a `with` block."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev, self.prev_check_nan = ANOMALY.enabled, ANOMALY.check_nan
        ANOMALY.enabled, ANOMALY.check_nan = bool(mode), check_nan

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> None:
        ANOMALY.enabled, ANOMALY.check_nan = self.prev, self.prev_check_nan
