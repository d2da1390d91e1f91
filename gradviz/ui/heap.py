"""Keeping Python's cyclic collector off what the window holds for a long time.

A full pass of the collector scans every tracked object: with a big story loaded that is
100-200 ms, often, while the learner steps. What start-up made and the story on show
live until the app or the next story ends them; frozen (``gc.freeze``), they are left out
of those passes. Nothing of them is cyclic garbage (the player and its layouts are kept
acyclic), so reference counting still frees them when they go: nothing leaks.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Freeze what exists now: call when a story has been shown."""
    gc.freeze()
