"""The exported HTML page: its size, its export time, and how fast it steps in a browser.

For each example and two generated chains (about 300 and 1,000 boxes), report:
  boxes, steps   the story's size
  page KB        the self-contained page
  export         export_html() time, and its ratio to building the story (same run)
Then, in QtWebEngine (Chromium inside Qt), for the generated stories:
  step           one step forward: the page's render plus a forced style/layout pass
  empty          the same call on the step already shown (nothing changes): the floor
  ratio          step / empty
Timings are medians over every step of the story (or up to 400 of them), in ms.

Run: QT_QPA_PLATFORM=offscreen python benchmarks/bench_html.py
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if os.name == "posix" and os.geteuid() == 0:
    os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = "--no-sandbox"

from gradviz.core.html_export import export_html  # noqa: E402
from gradviz.core.player import Player  # noqa: E402
from gradviz.core.trace import trace_source  # noqa: E402

EXAMPLES = next(
    p for p in (ROOT / "gradviz/assets/examples", ROOT / "assets/examples") if p.is_dir()
)
MAX_STEPS = int(os.environ.get("BENCH_STEPS", "400"))


def chain(n: int) -> str:
    lines = [
        "import torch",
        "x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)",
        "w = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)",
        "h = x",
    ]
    lines += [f"h = torch.tanh(h * w + {i % 7}.0)" for i in range(n)]
    return "\n".join(lines + ["loss = h.sum()", "loss.backward()"]) + "\n"


def export_row(name: str, source: str) -> tuple[str, Player]:
    t0 = time.perf_counter()
    player = Player(trace_source(source, name).story)
    player.layout(0) if player.story.episodes else None
    built = time.perf_counter() - t0
    t0 = time.perf_counter()
    page = export_html(player, name, source)
    exported = time.perf_counter() - t0
    boxes = len({n.id for ep in player.story.episodes for n in ep.nodes})
    row = (
        f"| {name} | {boxes} | {player.step_count} | {len(page.encode()) / 1024:.0f} "
        f"| {exported * 1000:.0f} | {exported / built:.2f} |"
    )
    return row, player, page


def browser_times(pages: list[tuple[str, str]]) -> list[str]:
    from PySide6.QtCore import QCoreApplication, QEventLoop, Qt, QTimer, QUrl
    from PySide6.QtWebEngineWidgets import QWebEngineView
    from PySide6.QtWidgets import QApplication

    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    app = QApplication.instance() or QApplication([])
    view = QWebEngineView()
    view.resize(1440, 860)
    view.show()

    def wait_for(signal_or_ms) -> None:
        loop = QEventLoop()
        if isinstance(signal_or_ms, int):
            QTimer.singleShot(signal_or_ms, loop.quit)
        else:
            signal_or_ms.connect(loop.quit)
            QTimer.singleShot(20_000, loop.quit)
        loop.exec()

    def js(code: str):
        out: list = []
        view.page().runJavaScript(code, 0, out.append)
        for _ in range(6000):
            if out:
                return out[0]
            wait_for(5)
        raise TimeoutError(code[:80])

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, page in pages:
            path = Path(tmp) / "page.html"
            path.write_text(page, encoding="utf-8")
            view.load(QUrl.fromLocalFile(str(path)))
            wait_for(view.loadFinished)
            wait_for(300)
            count = js("gradviz.count()")
            steps = min(count - 1, MAX_STEPS)
            # Each step: the page's own render, then a forced style and layout pass, so
            # the figure includes the browser's work on the changed nodes.
            timing = js(
                "(function () {"
                " const t = (i) => { const t0 = performance.now(); gradviz.go(i); gradviz.settle();"
                "   document.body.offsetHeight; document.getElementById('viewport').getBBox();"
                "   return performance.now() - t0; };"
                " gradviz.go(0); const step = [], empty = [];"
                f" for (let i = 1; i <= {steps}; i++) {{ step.push(t(i)); empty.push(t(i)); }}"
                " return JSON.stringify({step, empty}); })()"
            )
            data = json.loads(timing)
            step, empty = statistics.median(data["step"]), statistics.median(data["empty"])
            p95 = sorted(data["step"])[int(0.95 * (len(data["step"]) - 1))]
            rows.append(
                f"| {name} | {steps} | {step:.2f} | {p95:.2f} | {empty:.2f} "
                f"| {step / max(empty, 1e-3):.1f} |"
            )
    view.close()
    del app
    return rows


def main() -> None:
    print("| story | boxes | steps | page KB | export ms | export / story build |")
    print("|---|---|---|---|---|---|")
    generated = []
    for path in sorted(EXAMPLES.glob("*.py")):
        row, _player, _page = export_row(path.name, path.read_text(encoding="utf-8"))
        print(row)
    for n in (75, 250):
        row, _player, page = export_row(f"chain of {n} tanh layers", chain(n))
        print(row)
        generated.append((f"chain of {n} tanh layers", page))
    print()
    print(
        "| page (QtWebEngine) | steps timed | step ms (median) | step ms (p95) | empty step ms | step / empty |"
    )
    print("|---|---|---|---|---|---|")
    for row in browser_times(generated):
        print(row)


if __name__ == "__main__":
    main()
