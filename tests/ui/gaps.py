"""The event loop's longest freeze, measured in tests (exact figures go to benchmarks/)."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer


class GapRecorder:
    """The longest time between two ticks of a 10 ms timer, i.e. the longest freeze."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.longest = 0.0
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self.last)
        self.last = now

    def stop(self) -> float:
        self.timer.stop()
        return self.longest
