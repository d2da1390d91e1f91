"""Recording freezes what exists every FREEZE_EVERY events (gc.freeze) so that long runs do
not walk their events in every full collection. That must not keep anything alive."""

from __future__ import annotations

import gc
import weakref

import pytest

import engine
from engine._autograd import recording


class _Cycle:
    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def freeze_often(monkeypatch):
    if gc.get_freeze_count():
        pytest.skip("objects were frozen before this test")
    monkeypatch.setattr(recording, "FREEZE_EVERY", 10)


def _record_with_garbage_cycle() -> weakref.ref:
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    with engine.autograd.record() as rec:
        cycle = _Cycle()
        ref = weakref.ref(cycle)
        y = x
        for _ in range(40):  # 40 ops: past FREEZE_EVERY several times, with the cycle alive
            y = y * 1.5
        del cycle
        y.sum().backward()
    assert len(rec.events) > 40
    return ref


def test_recording_unfreezes_and_its_garbage_cycles_are_collected(freeze_often):
    ref = _record_with_garbage_cycle()
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert ref() is None


def test_recording_leaves_someone_elses_frozen_objects_frozen(freeze_often):
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        _record_with_garbage_cycle()
        assert 0 < gc.get_freeze_count() <= before  # not unfrozen, nothing of ours added
    finally:
        gc.unfreeze()


def test_values_are_recorded_alike_with_and_without_freezing(monkeypatch):
    def values() -> list:
        x = engine.tensor([1.0, 2.0], requires_grad=True)
        with engine.autograd.record() as rec:
            y = x
            for _ in range(30):
                y = y * 1.5
            y.sum().backward()
        return [e.output.value.tolist() for e in rec.events if hasattr(e, "output")]

    monkeypatch.setattr(recording, "FREEZE_EVERY", 10**9)
    plain = values()
    monkeypatch.setattr(recording, "FREEZE_EVERY", 7)
    assert values() == plain
