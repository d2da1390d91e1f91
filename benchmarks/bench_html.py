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

With --loops, instead: the 1,000-iteration loops of issue 10, exported with 60 and all
iterations told: page size packed vs the unpacked page/2 encoding, and the export time
against the traced run (ratios in the same run).

Run: QT_QPA_PLATFORM=offscreen python benchmarks/bench_html.py [--loops]
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


# The 1,000-iteration loops of issue 10 (a linear regression and an XOR MLP).
LINREG = """import torch
torch.manual_seed(0)
x = torch.linspace(0, 1, 20)
y = 3 * x + 2 + 0.1 * torch.randn(20)
w = torch.tensor(0.0, requires_grad=True)
b = torch.tensor(0.0, requires_grad=True)
lr = 0.1
for i in range(1000):
    y_hat = w * x + b
    loss = ((y_hat - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
    w.grad.zero_()
    b.grad.zero_()
print(w.item(), b.item())
"""
XOR = """import torch
import torch.nn as nn
torch.manual_seed(0)
X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y = torch.tensor([[0.0], [1.0], [1.0], [0.0]])
model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid())
loss_fn = nn.BCELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
for epoch in range(1000):
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    if epoch % 100 == 0:
        print(epoch, loss.item())
print(model(X).detach().flatten())
"""


def loop_rows() -> list[str]:
    """Per loop and --iterations: page size packed (page/3) and as page/2 (the old
    encoding), and export time against the traced run that made the story."""
    from gradviz.core.html_export import page_html, story_data

    rows = []
    for name, source in (("linear regression x1000", LINREG), ("XOR MLP x1000", XOR)):
        for told in (60, "all"):
            t0 = time.perf_counter()
            result = trace_source(source, name, told=told)
            traced = time.perf_counter() - t0
            player = Player(result.story)
            t0 = time.perf_counter()
            page = export_html(player, name, source, result.stdout)
            exported = time.perf_counter() - t0
            old = page_html(story_data(player, name, source, result.stdout))
            size, old_size = len(page.encode()), len(old.encode())
            rows.append(
                f"| {name} | {told} | {player.step_count} | {size / 1e6:.2f} "
                f"| {old_size / 1e6:.2f} | {size / old_size:.3f} | {traced:.1f} "
                f"| {exported / traced:.2f} |"
            )
    return rows


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
    if "--loops" in sys.argv:  # only the training loops (slow: a minute or two)
        print(
            "| loop | --iterations | steps | page MB | page/2 MB | ratio "
            "| traced s | export / traced |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for row in loop_rows():
            print(row)
        return
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
