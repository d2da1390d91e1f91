"""Story building cost against the script's own run time, in the same process and run.

For each example (and a bigger generated script), report:
  run      the script alone on the engine (no recording)
  traced   the script under the recorder
  story    building the Story from the recording
  scenes   computing every step's scene (layout included)
and the ratios traced/run and story/run.

Run: python benchmarks/bench_story.py
"""

from __future__ import annotations

import contextlib
import io
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import engine  # noqa: E402
from gradviz.core.player import Player  # noqa: E402
from gradviz.core.story_builder import build_story  # noqa: E402
from gradviz.core.trace import torch_is_engine  # noqa: E402

MLP = """import torch
torch.manual_seed(0)
x = torch.randn(64, 32)
target = torch.randn(64, 4)
w1 = torch.randn(32, 64, requires_grad=True)
w2 = torch.randn(64, 4, requires_grad=True)
for step in range(10):
    h = (x @ w1).relu()
    loss = ((h @ w2 - target) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w1 -= 0.001 * w1.grad
        w2 -= 0.001 * w2.grad
        w1.grad.zero_()
        w2.grad.zero_()
"""


def _run(code, recorder=None) -> list:
    ns = {"__name__": "__main__"}
    with torch_is_engine(), contextlib.redirect_stdout(io.StringIO()):
        if recorder is None:
            exec(code, ns)
            return []
        with recorder as rec:
            exec(code, ns)
        return rec.events


def median_time(fn, repeat: int = 15) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure(name: str, source: str) -> str:
    code = compile(source, "<bench>", "exec")
    engine.manual_seed(0)
    run = median_time(lambda: _run(code))
    traced = median_time(lambda: _run(code, engine.autograd.record()))
    events = _run(code, engine.autograd.record())
    story_t = median_time(lambda: build_story(events, source, "<bench>", {}, None))
    story = build_story(events, source, "<bench>", {}, None)

    def all_scenes():
        p = Player(story)
        for k in range(p.step_count):
            p.scene(k)

    scenes = median_time(all_scenes, repeat=3)
    return (
        f"| {name} | {len(story.steps)} | {run * 1e3:.2f} | {traced * 1e3:.2f} | "
        f"{story_t * 1e3:.2f} | {scenes * 1e3:.1f} | {traced / run:.2f}× | "
        f"{story_t / run:.2f}× |"
    )


def main() -> None:
    print(
        "| script | steps | run ms | traced ms | story ms | all scenes ms | traced/run |"
        " story/run |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for path in sorted((ROOT / "assets" / "examples").glob("*.py")):
        source = path.read_text()
        if "08_retain" in path.name:  # ends in a deliberate error
            source = source[: source.rindex("y.backward()")]
        print(measure(path.stem, source))
    print(measure("mlp_10_steps", MLP))


if __name__ == "__main__":
    main()
