"""The work after the sandbox, against the script's own run: chains of 1,000, 3,000 and
10,000 ops, each timed in one process and one run.

  plain     the script on the engine, nothing recording
  traced    the same under engine.autograd.record()
  story     build_story() from that recording
  layout    Player(story), the first layout and the opening scene
  html      export_html() of the whole story
Then each of story, layout and html as a ratio to the traced run, and per op, so that
linear growth (and the summary of a long script's middle) shows.

Run: python benchmarks/bench_chains.py [--repeat 3]   (also section 6 of bench_app.py)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OPS = (1_000, 3_000, 10_000)
TARGET_RATIO = 3.0  # issue 13: each stage at most 3x the traced run


def chain_script(ops: int) -> str:
    return (
        "import torch\n"
        "x = torch.ones(3, requires_grad=True)\n"
        "y = x\n"
        f"for _ in range({ops - 2}):\n"
        "    y = y * 1.0001\n"
        "y.sum().backward()\n"
    )


def _best(measure, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        out = measure()
        best = min(best, time.perf_counter() - started)
    return best * 1000, out


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
    import engine
    from engine.autograd import record
    from gradviz.core.html_export import export_html
    from gradviz.core.story_builder import build_story

    rows = {}
    for ops in OPS:
        source = chain_script(ops)
        code = compile(source.replace("import torch\n", "\n", 1), "<chain>", "exec")
        plain_ms, _ = _best(lambda code=code: exec(code, {"torch": engine}), repeat)
        traced_ms, (events, namespace) = _best(lambda code=code: _traced(code, record), repeat)
        with contextlib.redirect_stdout(io.StringIO()):
            story_ms, story = _best(
                lambda e=events, s=source, n=namespace: build_story(e, s, "<chain>", n, None),
                repeat,
            )
        layout_ms, player = _best(lambda s=story: _opened(s), repeat)
        html_ms, page = _best(lambda p=player, s=source: export_html(p, "chain", s), repeat)
        rows[ops] = {
            "plain": plain_ms,
            "traced": traced_ms,
            "story": story_ms,
            "layout": layout_ms,
            "html": html_ms,
            "steps": len(story.steps),
            "page_mb": len(page.encode()) / 1e6,
        }
    return rows


def report(rows: dict[int, dict[str, float]]) -> str:
    lines = [
        "| ops | plain ms | traced ms | story ms (/traced) | layout ms (/traced) "
        "| html ms (/traced) | steps | page MB | story+layout+html µs per op |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for ops, r in rows.items():
        t = r["traced"]
        after = (r["story"] + r["layout"] + r["html"]) * 1000 / ops
        lines.append(
            f"| {ops:,} | {r['plain']:.0f} | {t:.0f} | {r['story']:.0f} ({r['story'] / t:.2f}×) "
            f"| {r['layout']:.0f} ({r['layout'] / t:.2f}×) | {r['html']:.0f} ({r['html'] / t:.2f}×) "
            f"| {r['steps']:,} | {r['page_mb']:.2f} | {after:.0f} |"
        )
    worst = max(max(r["story"], r["layout"], r["html"]) / r["traced"] for r in rows.values())
    verdict = "met" if worst <= TARGET_RATIO else "**not met**"
    return "\n".join(lines) + (
        f"\n\nWorst stage / traced run: {worst:.2f}× (target ≤ {TARGET_RATIO:g}×: {verdict})."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()
    print(report(measure(args.repeat)))


if __name__ == "__main__":
    main()
