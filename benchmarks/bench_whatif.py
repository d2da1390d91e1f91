"""What-if latency: an edited leaf value -> the new picture, beside the bare worker round trip.

For each example with a leaf made by one `torch.<factory>(...)` call, the leaf's value is
changed (each element + 0.5) and measured three ways, interleaved with the reference:

  reference   sandbox.run_sandboxed("pass"): a prewarmed worker's round trip, no tracing
  core        the edited script in the sandbox + the pinned layout + the scene at the
              learner's step + the differences to flash (what the window does, minus Qt)
  window      WhatIfController.edit -> `updated` in a real MainWindow (offscreen): the editor
              edit, the sandboxed run, the in-place canvas update and the flash

Run: QT_QPA_PLATFORM=offscreen python benchmarks/bench_whatif.py [--repeat 3] [--no-window]
Prints a markdown table of medians and ratios to the reference (target: window < 100 ms).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

EXAMPLES = sorted((ROOT / "gradviz" / "assets" / "examples").glob("*.py"))
SPARE_WAIT_S = 2.5  # the next prewarmed worker finishes its imports (slow on a busy machine)
TARGET_MS = 100.0


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000 if values else float("nan")


def cases() -> list[tuple[str, str, str, str]]:
    """(example, source, leaf, new value literal) for examples with an editable leaf."""
    from gradviz.core import whatif
    from gradviz.core.trace import trace_source

    out = []
    for path in EXAMPLES:
        source = path.read_text(encoding="utf-8")
        story = trace_source(source).story
        sites = whatif.leaf_sites(source)
        leaf = next((n for n in whatif.leaf_names(story) if n in sites), None)
        value = whatif.leaf_value(story, leaf) if leaf else None
        if value is None or value.dtype.kind != "f":
            continue
        out.append((path.stem, source, leaf, whatif.literal(value + 0.5)))
    return out


def bench_core(source: str, leaf: str, value: str, repeat: int) -> tuple[list, list]:
    from gradviz.core import sandbox, whatif
    from gradviz.core.player import Player

    sandbox.prewarm()  # (closing the window ended the spare worker)
    before = sandbox.run_sandboxed(source)
    sandbox.prewarm_if_wanted()
    old = Player(before.story)
    step = before.story.default_step
    old.scene(step)
    edited = whatif.with_value(source, whatif.leaf_sites(source)[leaf], value)
    ref, core = [], []
    for _ in range(repeat):
        time.sleep(SPARE_WAIT_S)
        t = time.perf_counter()
        sandbox.run_sandboxed("pass")
        ref.append(time.perf_counter() - t)
        sandbox.prewarm_if_wanted()  # what the window's run controller does after a run
        time.sleep(SPARE_WAIT_S)
        t = time.perf_counter()
        result = whatif.run(edited)
        new = whatif.PinnedPlayer(result.story, old)
        new.scene(step)
        whatif.changes(old, new, step)
        core.append(time.perf_counter() - t)
        sandbox.prewarm_if_wanted()
    return ref, core


def bench_window(items: list, repeat: int) -> dict[str, list]:
    from PySide6.QtCore import QEventLoop

    from gradviz.core import sandbox
    from gradviz.ui.app import create_application
    from gradviz.ui.main_window import MainWindow

    app = create_application()
    window = MainWindow()
    window.files.confirm_discard = lambda: True
    window.resize(1280, 800)
    window.show()

    def spin(until, timeout_s: float = 30.0) -> None:
        end = time.monotonic() + timeout_s
        while time.monotonic() < end and not until():
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)

    spin(lambda: not window.running)
    out: dict[str, list] = {}
    controller = window.whatif.controller
    for name, source, leaf, value in items:
        window.files.set_text(source)
        window.run()
        spin(lambda: not window.running)
        spin(lambda: controller.sampler.run is None, 10.0)  # the plot's sampling, if any
        times, ref = [], []
        for i in range(repeat):
            time.sleep(SPARE_WAIT_S)
            t = time.perf_counter()
            sandbox.run_sandboxed("pass")  # the reference, in the same state
            ref.append(time.perf_counter() - t)
            sandbox.prewarm_if_wanted()
            time.sleep(SPARE_WAIT_S)
            done = []
            controller.updated.connect(done.append)
            controller.edit(leaf, value if i % 2 == 0 else value.replace("5", "25"))
            spin(lambda done=done: bool(done))
            controller.updated.disconnect(done.append)
            times.append(done[0])
        out[name] = (ref, times)
    window.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-window", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("GRADVIZ_DATA_DIR", tempfile.mkdtemp(prefix="gradviz-bench-"))
    from gradviz.core import sandbox

    sandbox.prewarm()
    items = cases()
    window = {} if args.no_window else bench_window(items, args.repeat)
    print("| example | leaf | bare round trip | what-if (core) | core / bare "
          "| bare (window) | what-if (window) | window / bare |")  # fmt: skip
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    core_ratios, window_ratios, window_ms = [], [], []
    for name, source, leaf, value in items:
        ref, core = bench_core(source, leaf, value, args.repeat)
        r, c = median_ms(ref), median_ms(core)
        wref, wtimes = window.get(name, ([], []))
        wr, w = median_ms(wref), median_ms(wtimes)
        core_ratios.append(c / r)
        if window:
            window_ratios.append(w / wr)
            window_ms.append(w)
        print(
            f"| {name} | {leaf} | {r:.0f} ms | {c:.0f} ms | {c / r:.2f}x "
            f"| {wr:.0f} ms | {w:.0f} ms | {w / wr:.2f}x |"
        )
    print(f"\nmedian core / bare: {statistics.median(core_ratios):.2f}x")
    if window:
        print(
            f"median window / bare: {statistics.median(window_ratios):.2f}x; window median "
            f"{statistics.median(window_ms):.0f} ms (target < {TARGET_MS:.0f} ms)"
        )
    sandbox.end_everything()


if __name__ == "__main__":
    main()
