"""The cycle collector paused around work that makes many small objects and no cycles.

Laying out or exporting a big story makes hundreds of thousands of lists and tuples;
each collection they set off walks every live object (the story, the recording), which
was a quarter of a 2,000-box layout. Nothing they make is cyclic garbage, so nothing is
left for the collector when it is back on."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Collector off inside; back on after, unless someone else had turned it off."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
