"""Drives one sandboxed run from the event loop, without ever blocking it.

The result arrives through a QSocketNotifier on the worker's result pipe, and the
worker's exit through one on its pidfd, so nothing polls. A single-shot timer wakes
the run for its time limit and its memory watchdog. Stop and the limits kill the
worker's whole process tree without waiting; killed workers are reaped later, from a
timer, so the window never sits in ``waitpid``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QSocketNotifier, QTimer, Signal

from gradviz.core import sandbox
from gradviz.core.result import TraceResult
from gradviz.ui import heap

TICK_MS = 100  # the elapsed-time label; also the longest the watchdog waits
REAP_MS = 50
# The next spare starts in the turn after the result is shown (its start-up takes
# ~0.6 s: started later, a learner who runs again soon finds it still warming up).
SPARE_DELAY_MS = 0
# A small result (the examples: 10-60 kB) decodes and lays out in a few ms: in the event
# loop, it skips a thread's GIL hand-offs; a big one goes to the decoding thread.
INLINE_DECODE_BYTES = 128 * 1024


class RunController(QObject):
    """Start, stop and watch a run; emits ``finished(result, elapsed_s)`` exactly once."""

    finished = Signal(object, float)
    preview = Signal(object)  # a long run's first episode (a Story), while it still runs
    told = Signal(object)  # the worker told an untold episode: {"index", "episode", "steps"}
    tick = Signal(float)  # seconds elapsed, while running
    started = Signal()  # a run was started (any earlier one stopped)
    _decoded = Signal(object, object)  # from the decoding thread: (run, result)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.run: sandbox.SandboxRun | None = None
        self._decoding = False
        self._decoded.connect(self._on_decoded)  # queued: emitted from another thread
        # Set by the window: called in the GUI thread when a result arrives, it returns a
        # job the decoding thread runs on the result (its layout and first scene).
        self.prepare: Callable[[], Callable[[TraceResult], object]] | None = None
        self.prepared: object = None  # what that job made, for the result being delivered
        # The finished run whose worker stays to tell a long loop's untold episodes.
        self.server: sandbox.SandboxRun | None = None
        self._server_notifiers: list[QSocketNotifier] = []
        self._notifiers: list[QSocketNotifier] = []
        self._wake = QTimer(self)
        self._wake.setSingleShot(True)
        self._wake.timeout.connect(self._pump)
        self._ticker = QTimer(self)
        self._ticker.setInterval(TICK_MS)
        self._ticker.timeout.connect(self._on_tick)
        self._reaper = QTimer(self)
        self._reaper.setInterval(REAP_MS)
        self._reaper.timeout.connect(self._reap)

    @property
    def running(self) -> bool:
        return self.run is not None

    def start(self, source: str, lazy: bool = True, **options) -> None:
        """Start source in the sandbox (any current run is stopped first). lazy: a long
        loop's middle iterations are told when asked for (`request_episode`)."""
        self.stop(report=False)
        self.close_server()
        run = sandbox.start_run(source, lazy=lazy, **options)
        self.run = run
        for fd in (run.fileno(), run.pidfd):
            if fd is None or fd < 0:
                continue
            notifier = QSocketNotifier(fd, QSocketNotifier.Type.Read, self)
            notifier.activated.connect(self._pump)
            self._notifiers.append(notifier)
        self._ticker.start()
        self._schedule()
        self.started.emit()

    def stop(self, report: bool = True) -> None:
        """Stop the run now (the worker is killed, not waited for). Without a report (a
        new run, or the window closing) the worker telling episodes ends too."""
        if not report:
            self.close_server()
        run = self.run
        if run is None:
            return
        if self._decoding:  # the script has finished; its result is being decoded
            if not report:
                self._decoding = False
                self._detach()  # dropped: _on_decoded ignores a run that is not current
            return
        run.cancel()
        if report:
            self._deliver(run)
        else:
            self._detach()

    # -- internals ----------------------------------------------------------------

    def _schedule(self) -> None:
        run = self.run
        if run is None:
            return
        wait = run.seconds_to_next_check()
        if math.isfinite(wait):
            self._wake.start(max(1, int(wait * 1000) + 1))

    def _pump(self, *_args) -> None:
        run = self.run
        if run is None or self._decoding:
            return
        outcome = run.pump_raw()
        if isinstance(outcome, bytes):
            # A big story takes a while to decode: do it off the event loop (the GIL is
            # handed back every few ms, so the window keeps painting meanwhile).
            self._decoding = True
            self._disable_notifiers()
            job = self.prepare() if self.prepare is not None else None
            if len(outcome) <= INLINE_DECODE_BYTES:
                self._decode(run, outcome, job)  # quicker here than a thread's hand-offs
                return
            threading.Thread(
                target=self._decode, args=(run, outcome, job), name="gradviz-decode", daemon=True
            ).start()
        elif outcome is not None:
            self._deliver(run)
        else:
            story = run.take_preview()
            if story is not None:
                self.preview.emit(story)
            self._schedule()

    def _decode(self, run: sandbox.SandboxRun, payload: bytes, job) -> None:
        """In the decoding thread: the result, then what the window opens it with."""
        result = run.decode(payload)
        prepared = None
        if job is not None:
            try:
                prepared = job(result)
            except Exception:  # noqa: BLE001 - the window lays it out again and says why
                prepared = None
        self._decoded.emit(run, prepared)

    def _on_decoded(self, run: sandbox.SandboxRun, prepared: object) -> None:
        self._decoding = False
        if run is self.run:
            self._deliver(run, prepared)

    def _on_tick(self) -> None:
        if self.run is not None:
            self.tick.emit(self.run.elapsed)
            # A safety net only: the notifiers deliver results; should one ever miss
            # (an fd number reused before Qt dropped an old notifier), this catches it.
            self._pump()

    def _disable_notifiers(self) -> None:
        for notifier in self._notifiers:
            notifier.setEnabled(False)
            notifier.deleteLater()
        self._notifiers.clear()

    def _detach(self) -> None:
        self._disable_notifiers()
        self._wake.stop()
        self._ticker.stop()
        self.run = None
        self._reaper.start()
        # The next spare worker starts once the result is shown, not in the same slot.
        QTimer.singleShot(SPARE_DELAY_MS, sandbox.prewarm_if_wanted)

    def _deliver(self, run: sandbox.SandboxRun, prepared: object = None) -> None:
        result: TraceResult = run.pump()
        self._detach()
        self.prepared = prepared
        if run.serving:
            self._serve(run)
        try:
            self.finished.emit(result, run.elapsed)
        finally:
            self.prepared = None

    # -- a finished run's worker, telling untold episodes -------------------------------

    def request_episode(self, index: int) -> bool:
        """Ask for an untold episode; it arrives by `told`. False: nobody can tell it."""
        return self.server is not None and self.server.ask(index)

    def close_server(self) -> None:
        for notifier in self._server_notifiers:
            notifier.setEnabled(False)
            notifier.deleteLater()
        self._server_notifiers.clear()
        if self.server is not None:
            self.server.close_server()
            self.server = None
            self._reaper.start()

    def _serve(self, run: sandbox.SandboxRun) -> None:
        self.server = run
        for fd in (run.fileno(), run.pidfd):
            if fd is None or fd < 0:
                continue
            notifier = QSocketNotifier(fd, QSocketNotifier.Type.Read, self)
            notifier.activated.connect(self._on_server_readable)
            self._server_notifiers.append(notifier)

    def _on_server_readable(self, *_args) -> None:
        server = self.server
        if server is None:
            return
        for answer in server.told():
            self.told.emit(answer)
        if not server.serving:  # it died (its CPU limit): untold episodes stay untold
            self.close_server()

    def _reap(self) -> None:
        if sandbox.reap_dying() == 0:
            self._reaper.stop()


def prewarm_imports() -> None:
    """Import what showing a result needs (the player: networkx, numpy) in a background
    thread, so the first result does not freeze the window while it loads."""
    import threading

    def load() -> None:
        import gradviz.core.player  # noqa: F401

        heap.settle()  # what start-up made lives as long as the app

    threading.Thread(target=load, name="gradviz-prewarm", daemon=True).start()
