"""The work after the sandbox, against the script's own run: chains of 1,000, 3,000 and
10,000 ops, each timed in one process and one run.

  plain     the script on the engine, nothing recording
  traced    the same under engine.autograd.record()
  story     build_story() from that recording
  layout    Player(story), the first layout and the opening scene
  html      export_html() of the whole story
Each stage's time is its best over the rounds; its ratio to the traced run is the median
of the rounds' ratios (a round runs every stage once, in turn). Per op, linear growth
(and the summary of a long script's middle) shows.

Run: python benchmarks/bench_chains.py [--repeat 3]   (also section 6 of bench_app.py)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OPS = (1_000, 3_000, 10_000)
TARGET_RATIO = 3.0  # issue 13: each stage at most 3x the traced run
STAGES = ("plain", "traced", "story", "layout", "html")
AFTER = ("story", "layout", "html")  # the work after the sandbox, each against "traced"


def chain_script(ops: int) -> str:
    return (
        "import torch\n"
        "x = torch.ones(3, requires_grad=True)\n"
        "y = x\n"
        f"for _ in range({ops - 2}):\n"
        "    y = y * 1.0001\n"
        "y.sum().backward()\n"
    )


def _timed(measure) -> tuple[float, object]:
    started = time.perf_counter()
    out = measure()
    return (time.perf_counter() - started) * 1000, out


def _traced(code, record) -> tuple[list, dict]:
    import engine

    namespace = {"torch": engine}
    with record() as recorder:
        exec(code, namespace)
    return recorder.events, namespace


def _opened(story):
    """A player with its first layout and opening scene made, as the window opens it.
    Layer orders remembered from an earlier repeat are forgotten: each is a first layout."""
    from gradviz.core.layout import forget_orders
    from gradviz.core.player import Player

    forget_orders()
    player = Player(story)
    player.scene(story.default_step)
    return player


def measure(repeat: int = 3) -> dict[int, dict[str, float]]:
    """Per chain: each stage's best time, and its ratio to the traced run as the median
    over rounds. A round times the traced run and then each stage once, so a ratio's two
    sides meet the same machine: this one's speed drifts by a third over seconds."""
    import engine
    from engine.autograd import record
    from gradviz.core.html_export import export_html
    from gradviz.core.story_builder import build_story

    rows = {}
    for ops in OPS:
        source = chain_script(ops)
        code = compile(source.replace("import torch\n", "\n", 1), "<chain>", "exec")
        times: dict[str, list[float]] = {stage: [] for stage in STAGES}
        for _ in range(max(1, repeat)):
            ms, _ = _timed(lambda code=code: exec(code, {"torch": engine}))
            times["plain"].append(ms)
            ms, (events, namespace) = _timed(lambda code=code: _traced(code, record))
            times["traced"].append(ms)
            with contextlib.redirect_stdout(io.StringIO()):
                ms, story = _timed(
                    lambda e=events, s=source, n=namespace: build_story(e, s, "<chain>", n, None)
                )
            times["story"].append(ms)
            ms, player = _timed(lambda s=story: _opened(s))
            times["layout"].append(ms)
            ms, page = _timed(lambda p=player, s=source: export_html(p, "chain", s))
            times["html"].append(ms)
        row: dict[str, float] = {stage: min(ms) for stage, ms in times.items()}
        for stage in AFTER:
            per_round = [a / b for a, b in zip(times[stage], times["traced"])]
            row[stage + "_ratio"] = statistics.median(per_round)
        row["steps"] = len(story.steps)
        row["page_mb"] = len(page.encode()) / 1e6
        rows[ops] = row
    return rows


def report(rows: dict[int, dict[str, float]]) -> str:
    lines = [
        "| ops | plain ms | traced ms | story ms (median /traced) | layout ms (median /traced) "
        "| html ms (median /traced) | steps | page MB | story+layout+html µs per op |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for ops, r in rows.items():
        after = (r["story"] + r["layout"] + r["html"]) * 1000 / ops
        stages = " | ".join(f"{r[s]:.0f} ({r[s + '_ratio']:.2f}×)" for s in AFTER)
        lines.append(
            f"| {ops:,} | {r['plain']:.0f} | {r['traced']:.0f} | {stages} "
            f"| {r['steps']:,} | {r['page_mb']:.2f} | {after:.0f} |"
        )
    worst = max(r[s + "_ratio"] for r in rows.values() for s in AFTER)
    verdict = "met" if worst <= TARGET_RATIO else "**not met**"
    return "\n".join(lines) + (
        f"\n\nWorst stage / traced run: {worst:.2f}× (target ≤ {TARGET_RATIO:g}×: {verdict})."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds of every stage")
    args = parser.parse_args()
    print(report(measure(args.repeat)))


if __name__ == "__main__":
    main()
