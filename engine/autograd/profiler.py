"""torch.autograd.profiler: the engine records no kernel timings, so a profile is empty and
its table prints as torch prints an empty profile (an empty string)."""

from __future__ import annotations

import json


class EventList(list):
    """The (empty) list of profiled events."""

    def table(self, sort_by=None, row_limit: int = 100, **kwargs) -> str:
        return ""

    def __str__(self) -> str:
        return self.table()

    @property
    def self_cpu_time_total(self) -> float:
        return 0.0

    def key_averages(self, group_by_input_shape: bool = False, **kwargs) -> EventList:
        return EventList()

    def total_average(self):
        return None


class profile:  # noqa: N801 - torch's name
    """Context manager with torch's signature; it measures nothing."""

    def __init__(self, enabled: bool = True, *, use_cuda: bool = False, **kwargs) -> None:
        self.enabled = enabled
        self.function_events: EventList | None = None
        self.entered = False

    def __enter__(self) -> profile:
        if self.entered:
            raise RuntimeError("Profiler context manager is not reentrant")
        self.entered = True
        return self

    def __exit__(self, *exc) -> None:
        self.function_events = EventList()

    def key_averages(self, group_by_input_shape: bool = False, **kwargs) -> EventList:
        return EventList()

    def table(self, sort_by=None, row_limit: int = 100, **kwargs) -> str:
        return ""

    def __str__(self) -> str:
        return ""

    def export_chrome_trace(self, path: str) -> None:
        with open(path, "w") as f:
            json.dump({"traceEvents": []}, f)

    @property
    def self_cpu_time_total(self) -> float:
        return 0.0


class record_function:  # noqa: N801 - torch's name
    """Labels a block in a profile; with nothing recorded it only runs the block."""

    def __init__(self, name: str, args: str | None = None) -> None:
        self.name = name
        self.args = args

    def __enter__(self) -> record_function:
        return self

    def __exit__(self, *exc) -> None:
        return None
