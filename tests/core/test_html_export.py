"""The HTML export: self-contained, faithful to the scenes, escaped, small, and it plays."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from gradviz.core.html_export import export_html, write_html
from gradviz.core.scene_types import (
    EDGE_CUT,
    EDGE_DATA,
    EDGE_GRAD,
    ROLE_ACCUMULATE,
    ROLE_CONSTANT,
    ROLE_GRAD_FN,
    ROLE_LEAF,
    ROLE_OP,
    ROLE_SEED,
    ROLE_TENSOR,
    STATE_ACTIVE,
    STATE_DONE,
    STATE_HIDDEN,
    STATE_IDLE,
    Scene,
    SceneBox,
    SceneEdge,
    Token,
)

SOURCE = """import torch

x = torch.tensor([1., 2., 3.], requires_grad=True)
d = torch.dot(x, x)
y = 2 * d
w = x.detach()
with torch.no_grad():
    s = x.sum()
y.backward()
print(x.grad)
"""

# ---- a hand-made story of y = 2 * dot(x, x) ----------------------------------------

_GEOMETRY = {  # id: (role, title, subtitle, x, y, width, height, line)
    "x": (ROLE_LEAF, "x", "float32 [3]", 90, 150, 150, 74, 3),
    "acc": (ROLE_ACCUMULATE, "AccumulateGrad", "x.grad += g", -80, 40, 150, 44, None),
    "dot": (ROLE_GRAD_FN, "DotBackward0", "dot  x · x", 320, 150, 150, 60, 4),
    "two": (ROLE_CONSTANT, "2", "python float", 320, 270, 110, 44, 5),
    "y": (ROLE_GRAD_FN, "MulBackward0", "mul  a × b", 540, 210, 150, 60, 5),
    "seed": (ROLE_SEED, "1.", "seed  dy/dy", 740, 210, 110, 44, 9),
    "w": (ROLE_TENSOR, "w", "x.detach()", 320, 390, 120, 60, 6),
    "s": (ROLE_OP, "sum", "no_grad", -90, 270, 120, 60, 8),
}
_EDGES = {  # id: (source, target, points, label)
    "x-dot-a": ("x", "dot", ((165, 140), (245, 140)), "self"),
    "x-dot-b": ("x", "dot", ((165, 160), (245, 160)), "other"),
    "dot-y": ("dot", "y", ((395, 150), (430, 150), (430, 200), (465, 200)), None),
    "two-y": ("two", "y", ((375, 270), (430, 270), (430, 220), (465, 220)), None),
    "y-seed": ("y", "seed", ((615, 210), (685, 210)), None),
    "acc-x": ("acc", "x", ((-5, 40), (60, 40), (60, 113)), None),
    "x-w": ("x", "w", ((120, 187), (120, 390), (260, 390)), "cut"),
    "x-s": ("x", "s", ((15, 150), (-90, 150), (-90, 240)), None),
}


def _box(box_id: str, state: str, value=None, grad=None, note=None) -> SceneBox:
    role, title, subtitle, x, y, w, h, line = _GEOMETRY[box_id]
    return SceneBox(box_id, role, title, subtitle, value, grad, x, y, w, h, state, line, note)


def _edge(edge_id: str, kind: str = EDGE_DATA, active=False, token=None) -> SceneEdge:
    source, target, points, label = _EDGES[edge_id]
    tok = None if token is None else Token(token)
    return SceneEdge(edge_id, source, target, kind, points, active, tok, label)


def _story() -> list[Scene]:
    """Forward, then backward with tokens, over one laid-out graph; each step lists
    (phase, narration, line, {box: (state, value, grad, note)}, {edge: (kind, active, token)})."""
    X = "[1., 2., 3.]"
    base = {b: (STATE_HIDDEN, None, None, None) for b in _GEOMETRY}
    edges = {e: (EDGE_DATA, False, None) for e in _EDGES}
    edges["x-w"] = (EDGE_CUT, False, None)
    plan = [
        ("forward", "x is a leaf: it requires grad.", 3, {"x": (STATE_ACTIVE, X, None, None)}, {}),
        (
            "forward",
            "dot(x, x) = 1·1 + 2·2 + 3·3 = 14; autograd records DotBackward0.",
            4,
            {"x": (STATE_IDLE, X, None, None), "dot": (STATE_ACTIVE, "14.", None, None)},
            {"x-dot-a": (EDGE_DATA, True, None), "x-dot-b": (EDGE_DATA, True, None)},
        ),
        (
            "forward",
            "y = 2 · d = 28; the constant 2 needs no gradient.",
            5,
            {
                "dot": (STATE_IDLE, "14.", None, None),
                "two": (STATE_IDLE, "2.", None, None),
                "y": (STATE_ACTIVE, "28.", None, None),
            },
            {"dot-y": (EDGE_DATA, True, None), "two-y": (EDGE_DATA, True, None)},
        ),
        (
            "forward",
            "w = x.detach() shares x's data but is cut from the graph: no gradient crosses.",
            6,
            {"y": (STATE_IDLE, "28.", None, None), "w": (STATE_ACTIVE, X, None, None)},
            {"x-w": (EDGE_CUT, True, None)},
        ),
        (
            "forward",
            "Under no_grad, sum runs without recording a grad_fn.",
            8,
            {"w": (STATE_IDLE, X, None, None), "s": (STATE_ACTIVE, "6.", None, None)},
            {"x-s": (EDGE_DATA, True, None)},
        ),
        ("between", "Forward pass done: y = 28.", None, {"s": (STATE_IDLE, "6.", None, None)}, {}),
        (
            "backward",
            "y.backward() seeds the gradient dy/dy = 1.",
            9,
            {"seed": (STATE_ACTIVE, "1.", None, None)},
            {"y-seed": (EDGE_GRAD, True, "1.")},
        ),
        (
            "backward",
            "MulBackward0: d(2·d)/dd = 2, so d receives 2 · 1 = 2.",
            5,
            {"seed": (STATE_DONE, "1.", None, None), "y": (STATE_ACTIVE, "28.", "1.", None)},
            {"y-seed": (EDGE_GRAD, False, None), "dot-y": (EDGE_GRAD, True, "2.")},
        ),
        (
            "backward",
            "DotBackward0 sends 2·x to each input: both slots are x.",
            4,
            {"y": (STATE_DONE, "28.", "1.", None), "dot": (STATE_ACTIVE, "14.", "2.", None)},
            {
                "dot-y": (EDGE_GRAD, False, None),
                "x-dot-a": (EDGE_GRAD, True, "[2., 4., 6.]"),
                "x-dot-b": (EDGE_GRAD, True, "[2., 4., 6.]"),
            },
        ),
        (
            "backward",
            "AccumulateGrad adds both contributions into x.grad.",
            10,
            {
                "dot": (STATE_DONE, "14.", "2.", None),
                "acc": (STATE_ACTIVE, None, "[4., 8., 12.]", "0 + [2,4,6] + [2,4,6] = [4,8,12]"),
                "x": (STATE_IDLE, X, "[4., 8., 12.]", None),
            },
            {
                "x-dot-a": (EDGE_GRAD, False, None),
                "x-dot-b": (EDGE_GRAD, False, None),
                "acc-x": (EDGE_GRAD, True, "[4., 8., 12.]"),
            },
        ),
    ]
    scenes = []
    box_state = dict(base)
    edge_state = dict(edges)
    # Forward steps show a box once it exists; keep active only for one step.
    for i, (phase, narration, line, box_changes, edge_changes) in enumerate(plan):
        box_state.update(box_changes)
        for key, (kind, _active, _tok) in list(edge_state.items()):
            if key not in edge_changes:
                edge_state[key] = (kind, False, None)
        edge_state.update(edge_changes)
        scenes.append(
            Scene(
                step=i,
                step_count=len(plan),
                episode=0 if phase != "backward" else 1,
                episode_title="forward: y = 2·dot(x, x)" if phase != "backward" else "y.backward()",
                phase=phase,
                narration=narration,
                line=line,
                boxes=tuple(_box(b, *box_state[b]) for b in _GEOMETRY),
                edges=tuple(_edge(e, *edge_state[e]) for e in _EDGES),
                width=820,
                height=440,
            )
        )
    return scenes


# ---- decoding the embedded data, as the page does ------------------------------------


def _embedded(page: str) -> dict:
    found = re.findall(
        r'<script id="gradviz-data" type="application/json">(.*?)</script>', page, re.S
    )
    assert len(found) == 1
    return json.loads(found[0])


def _decode(data: dict) -> list[Scene]:
    strings = data["strings"]

    def s(i: int) -> str | None:
        return None if i < 0 else strings[i]

    scenes: list[Scene] = []
    box_rows: list[list] = []
    edge_rows: list[list] = []
    for st in data["steps"]:
        if "B" in st:
            box_rows = st["B"]
        else:
            box_rows = list(box_rows)
            for pos, *rest in st["dB"]:
                box_rows[pos] = [box_rows[pos][0], *rest]
        if "E" in st:
            edge_rows = st["E"]
        else:
            edge_rows = list(edge_rows)
            for pos, *rest in st["dE"]:
                edge_rows[pos] = [edge_rows[pos][0], *rest]
        boxes = []
        for index, state, value, grad, note in box_rows:
            bid, role, title, subtitle, x, y, w, h, line = data["boxes"][index]
            boxes.append(
                SceneBox(
                    bid,
                    role,
                    title,
                    subtitle,
                    s(value),
                    s(grad),
                    x,
                    y,
                    w,
                    h,
                    s(state),
                    line,
                    s(note),
                )
            )
        edges = []
        for index, kind, active, token in edge_rows:
            eid, source, target, flat, label = data["edges"][index]
            points = tuple(zip(flat[0::2], flat[1::2]))
            tok = None if token < 0 else Token(strings[token])
            edges.append(SceneEdge(eid, source, target, s(kind), points, bool(active), tok, label))
        scenes.append(
            Scene(
                st["step"],
                st["count"],
                st["episode"],
                s(st["episodeTitle"]),
                st["phase"],
                st["narration"],
                st["line"],
                tuple(boxes),
                tuple(edges),
                st["w"],
                st["h"],
            )
        )
    return scenes


# ---- tests ---------------------------------------------------------------------------


def test_no_network_resources() -> None:
    page = export_html(_story(), "y = 2·dot(x, x)", SOURCE)
    assert page.startswith("<!DOCTYPE html>")
    lowered = page.lower()
    # The story text has no URL in it, so none may appear anywhere in the page.
    assert "http://" not in lowered and "https://" not in lowered and "//" + "cdn" not in lowered
    assert not re.search(r"<script[^>]*\ssrc\s*=", lowered)
    assert not re.search(r"<link\b", lowered)
    assert "@import" not in lowered
    assert not re.search(r"url\(\s*['\"]?(?!#)", lowered)  # only url(#marker) references
    assert not re.search(r"@font-face", lowered)
    assert lowered.count("<script") == 2  # the data and the player, both inline


def test_embedded_json_round_trips() -> None:
    scenes = _story()
    data = _embedded(export_html(scenes, "t", SOURCE))
    assert data["title"] == "t" and data["source"] == SOURCE
    assert _decode(data) == scenes
    # Static geometry is stored once; later steps only carry what changed.
    assert len(data["boxes"]) == len(_GEOMETRY) and len(data["edges"]) == len(_EDGES)
    assert "B" in data["steps"][0] and all("dB" in st for st in data["steps"][1:])


def test_round_trip_when_layout_changes_between_episodes() -> None:
    first = _story()[:2]
    moved = [
        Scene(
            **{
                **sc.__dict__,
                "step": 2 + i,
                "episode": 5,
                "boxes": tuple(SceneBox(**{**b.__dict__, "x": b.x + 0.125}) for b in sc.boxes[:3]),
                "edges": sc.edges[:1],
            }
        )
        for i, sc in enumerate(first)
    ]
    scenes = first + moved
    decoded = _decode(_embedded(export_html(scenes, "t")))
    # Geometry is rounded to 0.01 scene units.
    assert decoded[:2] == first
    assert [b.x for b in decoded[2].boxes] == [round(b.x, 2) for b in moved[0].boxes]
    assert decoded[3].edges == moved[1].edges


def test_empty_story() -> None:
    data = _embedded(export_html([], "nothing"))
    assert data["steps"] == [] and data["boxes"] == []


def test_escapes_user_text(tmp_path: Path) -> None:
    evil = "</script><script>alert(1)</script><!-- & \u2028"
    scenes = _story()
    first = scenes[0]
    box = SceneBox(**{**first.boxes[0].__dict__, "title": evil, "note": evil, "value": evil})
    edge = SceneEdge(**{**first.edges[0].__dict__, "label": evil, "token": Token(evil)})
    scenes[0] = Scene(
        **{
            **first.__dict__,
            "narration": evil,
            "episode_title": evil,
            "boxes": (box, *first.boxes[1:]),
            "edges": (edge, *first.edges[1:]),
        }
    )
    page = export_html(scenes, evil, evil)
    assert "alert(1)</script>" not in page and "<script>alert" not in page
    assert page.lower().count("<script") == 2 and page.lower().count("</script>") == 2
    assert "<title>&lt;/script&gt;&lt;script&gt;alert(1)" in page
    data = _embedded(page)
    assert data["title"] == evil and data["source"] == evil
    assert _decode(data) == scenes
    path = tmp_path / "evil.html"
    write_html(scenes, path, evil, evil)
    assert path.read_text(encoding="utf-8") == page


def _synthetic(steps: int, count: int) -> list[Scene]:
    """A long story: every step activates one box and gives it a value, the rest keep theirs."""
    boxes = [
        SceneBox(
            f"n{i}",
            ROLE_GRAD_FN,
            f"AddBackward{i}",
            "add  a + b",
            None,
            None,
            (i % 20) * 180.0,
            (i // 20) * 100.0,
            150.0,
            60.0,
            STATE_HIDDEN,
            i + 1,
        )
        for i in range(count)
    ]
    edges = [
        SceneEdge(
            f"e{i}", f"n{i}", f"n{i + 1}", EDGE_DATA, ((i * 1.5, 0.0), (i * 1.5, 50.0)), False, None
        )
        for i in range(count - 1)
    ]
    scenes = []
    for step in range(steps):
        k = step % count
        boxes[k] = SceneBox(
            **{**boxes[k].__dict__, "state": STATE_ACTIVE, "value": f"tensor({step}.5)"}
        )
        if k > 0:
            boxes[k - 1] = SceneBox(**{**boxes[k - 1].__dict__, "state": STATE_IDLE})
        if k < count - 1:
            edges[k] = SceneEdge(
                **{**edges[k].__dict__, "active": True, "token": Token(f"{step}.")}
            )
        if k > 0:
            edges[k - 1] = SceneEdge(**{**edges[k - 1].__dict__, "active": False, "token": None})
        scenes.append(
            Scene(
                step,
                steps,
                step // 50,
                f"episode {step // 50}",
                "forward",
                f"Step {step}: add.",
                k + 1,
                tuple(boxes),
                tuple(edges),
                3600.0,
                1500.0,
            )
        )
    return scenes


def test_size_stays_small_for_a_long_story() -> None:
    scenes = _synthetic(300, 300)
    page = export_html(scenes, "long", SOURCE * 20)
    size = len(page.encode("utf-8"))
    assert size < 400_000, size  # per step only the changed rows: ~0.1 MB of data
    assert _decode(_embedded(page)) == scenes


# ---- the page runs: QtWebEngine, offscreen -------------------------------------------

if os.name == "posix" and os.geteuid() == 0:
    # Chromium refuses to run its sandbox as root.
    os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
try:  # QtWebEngine must be imported before any QApplication exists (collection time).
    from PySide6.QtCore import QCoreApplication, QEvent, Qt, QUrl
    from PySide6.QtWebEngineWidgets import QWebEngineView

    if QCoreApplication.instance() is None:
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    _WEBENGINE_ERROR = ""
except Exception as exc:  # pragma: no cover - depends on the machine
    _WEBENGINE_ERROR = f"QtWebEngine is not available: {exc}"

SCREENSHOT_DIR = Path("/tmp/gradviz_html_export")


def _js(qtbot, view, script: str, timeout: int = 5000):
    result: list = []
    view.page().runJavaScript(script, 0, result.append)
    qtbot.waitUntil(lambda: bool(result), timeout=timeout)
    return result[0]


def _pan_zoom(qtbot, view) -> dict:
    # Objects come back from runJavaScript unreliably; JSON text does not.
    return json.loads(_js(qtbot, view, "JSON.stringify(gradviz.view())"))


def _load(qtbot, view, path: Path) -> bool:
    with qtbot.waitSignal(view.loadFinished, timeout=10_000, raising=False) as blocker:
        view.load(QUrl.fromLocalFile(str(path)))
    return bool(blocker.signal_triggered and blocker.args and blocker.args[0])


@pytest.fixture
def web_view(qtbot):
    if _WEBENGINE_ERROR:
        pytest.skip(_WEBENGINE_ERROR)
    view = QWebEngineView()
    view.resize(1440, 860)
    view.show()
    yield view
    # Delete the page now: Chromium complains if it outlives its profile at exit.
    view.close()
    view.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    qtbot.wait(10)


def test_page_plays_in_qtwebengine(qtbot, web_view, tmp_path: Path) -> None:
    view = web_view
    scenes = _story()
    path = tmp_path / "story.html"
    write_html(scenes, path, "y = 2·dot(x, x)", SOURCE)
    if not _load(qtbot, view, path):
        pytest.skip("QtWebEngine could not load a local page here")
    qtbot.waitUntil(lambda: _js(qtbot, view, "typeof window.gradviz") == "object", timeout=5000)
    assert _js(qtbot, view, "gradviz.count()") == len(scenes)
    assert _js(qtbot, view, "gradviz.index()") == 0

    # Step forward with the keyboard handler's own function and read the state back.
    _js(qtbot, view, "gradviz.next(); 0")
    assert _js(qtbot, view, "gradviz.index()") == 1
    assert _js(qtbot, view, "gradviz.narration()") == scenes[1].narration
    assert _js(qtbot, view, "document.getElementById('counter').textContent") == "Step 2 / 10"
    assert (
        _js(qtbot, view, "document.querySelectorAll('#source .ln.cur .no')[0].textContent") == "4"
    )

    # The keyboard: right arrow steps forward, End jumps to the last step, Home back.
    key = "document.dispatchEvent(new KeyboardEvent('keydown', {key: '%s', bubbles: true})); 0"
    _js(qtbot, view, key % "ArrowRight")
    assert _js(qtbot, view, "gradviz.index()") == 2
    _js(qtbot, view, key % "End")
    assert _js(qtbot, view, "gradviz.index()") == len(scenes) - 1
    _js(qtbot, view, key % "Home")
    assert _js(qtbot, view, "gradviz.index()") == 0

    # Play at 4x: it advances by itself; space pauses.
    _js(
        qtbot,
        view,
        "const s = document.getElementById('speed'); s.value = '4';"
        "s.dispatchEvent(new Event('change')); 0",
    )
    _js(qtbot, view, key % " ")
    assert _js(qtbot, view, "gradviz.playing()") is True
    qtbot.waitUntil(lambda: _js(qtbot, view, "gradviz.index()") >= 1, timeout=3000)
    _js(qtbot, view, key % " ")
    assert _js(qtbot, view, "gradviz.playing()") is False

    # Wheel zooms, a drag pans, a click on a box opens its details.
    before = _pan_zoom(qtbot, view)
    _js(
        qtbot,
        view,
        "document.getElementById('canvas').dispatchEvent(new WheelEvent('wheel',"
        "{deltaY: -200, clientX: 500, clientY: 300, bubbles: true, cancelable: true})); 0",
    )
    after = _pan_zoom(qtbot, view)
    assert after["k"] > before["k"]
    pointer = (
        "(function (target, type, x, y) {"
        "  target.dispatchEvent(new PointerEvent(type, {clientX: x, clientY: y, button: 0,"
        "    pointerId: 1, bubbles: true}));"
        "})(%s, '%s', %d, %d); 0"
    )
    svg_el = "document.getElementById('canvas')"
    _js(qtbot, view, pointer % (svg_el, "pointerdown", 600, 500))
    _js(qtbot, view, pointer % (svg_el, "pointermove", 660, 540))
    _js(qtbot, view, pointer % (svg_el, "pointerup", 660, 540))
    panned = _pan_zoom(qtbot, view)
    assert (panned["tx"] - after["tx"], panned["ty"] - after["ty"]) == (60, 40)
    _js(qtbot, view, "gradviz.fit(); gradviz.go(1); 0")
    box = "document.querySelector('.box[data-id=\"dot\"] .body')"
    _js(qtbot, view, pointer % (box, "pointerdown", 0, 0))
    _js(qtbot, view, pointer % (box, "pointerup", 0, 0))
    assert "DotBackward0" in _js(qtbot, view, "document.getElementById('details').textContent")
    _js(qtbot, view, key % "Escape")

    # A backward step: tokens on both dot edges, the cut edge dashed with its mark.
    _js(qtbot, view, "gradviz.go(8); gradviz.settle(); 0")
    assert _js(qtbot, view, "document.querySelectorAll('#tokens .token').length") == 2
    assert _js(qtbot, view, "document.querySelectorAll('.cut-mark').length") == 1
    assert _js(qtbot, view, "document.querySelectorAll('.box.state-active').length") == 1
    _js(qtbot, view, "gradviz.select('dot'); 0")
    details = _js(qtbot, view, "document.getElementById('details').textContent")
    assert "DotBackward0" in details and "14." in details and "line 4" in details
    assert _js(qtbot, view, "gradviz.errors().join('\\n')") == ""

    SCREENSHOT_DIR.mkdir(exist_ok=True)
    qtbot.wait(150)  # let the compositor paint the last frame
    shot = view.grab()
    shot.save(str(SCREENSHOT_DIR / "backward.png"))
    # Not a blank page: the gradient colour of the tokens is on screen.
    image = shot.toImage()
    colours = {image.pixelColor(x, y).name() for x in range(0, 1440, 6) for y in range(0, 860, 6)}
    assert len(colours) > 30 and "#d55e00" in colours
    _js(qtbot, view, "gradviz.select(null); gradviz.go(3); gradviz.settle(); 0")
    qtbot.wait(150)
    view.grab().save(str(SCREENSHOT_DIR / "forward_cut.png"))

    # Malicious text stays text: no injected script runs, the title shows literally.
    evil = "</script><script>window.__pwned = 1</script>"
    path.write_text(export_html(scenes, evil, evil), encoding="utf-8")
    assert _load(qtbot, view, path)
    qtbot.waitUntil(lambda: _js(qtbot, view, "typeof window.gradviz") == "object", timeout=5000)
    assert _js(qtbot, view, "typeof window.__pwned") == "undefined"
    assert _js(qtbot, view, "document.querySelector('h1').textContent") == evil
    assert _js(qtbot, view, "document.getElementById('source').textContent").endswith(evil)
    assert _js(qtbot, view, "gradviz.errors().join('\\n')") == ""
