"""The exported page in a real browser engine: it opens where the app does, steps with the
app's keys, shows the app's inspector rows, zooms and pans, and runs nothing it was given.

QtWebEngine always (CI has PySide6-Addons); headless Chromium where Debian's package is
installed. Screenshots at the first backward step are compared with goldens.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QColor
from web_support import (
    CHAIN_SCRIPT,
    CHROMIUM,
    ERROR_AFTER_BACKWARD,
    EXAMPLES,
    FIREFOX,
    WEBENGINE_ERROR,
    chromium_dump,
    chromium_page_requests,
    chromium_screenshot,
    embedded,
    error_about,
    expand_rows,
    firefox_screenshot,
    legacy_freed,
    player_of,
    shown_rows,
)

from gradviz.core import palette
from gradviz.core.html_export import export_html
from gradviz.core.player import Player
from gradviz.core.story import Story
from gradviz.core.trace import trace_source

GOLDEN_DIR = Path(__file__).resolve().parent / "goldens"
FAILURE_DIR = Path(__file__).resolve().parent / "_failures"
SCREEN_DIR = Path(os.environ.get("GRADVIZ_SCREEN_DIR", "/tmp/gradviz_screens"))

SCRIPT = """import torch
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
d = torch.dot(x, x)
y = 2 * d
w = x.detach()
with torch.no_grad():
    s = x.sum()
y.backward()
print(x.grad)
"""

# Each payload would set window.__pwned (or add an element) if it ever ran.
PAYLOADS = (
    "</script><script>window.__pwned=1</script>",
    '"><img src=x onerror="window.__pwned=1">',
    "${window.__pwned=1}",
    "{{constructor.constructor('window.__pwned=1')()}}",
    "a\u2028b\u2029c</script><!--",
    "<img src=http://127.0.0.1:9/leak.png>",
)

HOSTILE_SCRIPT = """import torch
# {p0} {p1}
x = torch.tensor([1.0, 2.0], requires_grad=True)
label = {s0!r}
print(label, {s1!r}, {s2!r}, {s3!r}, {s4!r})
y = (x * 2).sum()
y.backward()
raise ValueError({s5!r} + label)
"""

pytestmark = pytest.mark.skipif(bool(WEBENGINE_ERROR), reason=WEBENGINE_ERROR or "-")


@pytest.fixture
def browser(qtbot):
    from web_support import Browser

    b = Browser(qtbot)
    yield b
    b.close()


@pytest.fixture(scope="module")
def player() -> Player:
    return player_of(SCRIPT, "dot.py")


def _only_the_page_was_requested(browser, path: Path) -> None:
    urls = set(browser.log.urls)
    assert urls <= {path.as_uri(), Path(path).resolve().as_uri()}, urls


# ---- the page plays like the app ----------------------------------------------------------


def test_opens_at_the_apps_step_and_steps_with_its_keys(browser, player, tmp_path) -> None:
    data_default = player.story.default_step or next(
        e.backward_step for e in player.story.episodes if e.backward_step is not None
    )
    path = browser.load_html(export_html(player, "dot.py", SCRIPT), tmp_path)
    n = player.step_count
    assert browser.js("gradviz.count()") == n
    assert browser.js("gradviz.index()") == data_default
    assert browser.js("document.querySelector('#phase').textContent") == "backward"

    browser.key("Home")
    assert browser.js("gradviz.index()") == 0
    browser.key("ArrowRight")
    assert browser.js("gradviz.index()") == 1
    assert browser.js("gradviz.narration()") == player.scene(1).narration
    assert browser.js("document.getElementById('counter').textContent") == f"Step 2 / {n}"
    line = player.scene(1).line
    assert browser.js("document.querySelector('#source .ln.cur .no').textContent") == str(line)
    browser.key("ArrowLeft")
    assert browser.js("gradviz.index()") == 0
    browser.key("End")
    assert browser.js("gradviz.index()") == n - 1
    # PgUp: this episode's start, then the previous one's; PgDn: the next one's.
    episodes = player.episodes()
    last = episodes[-1]
    browser.key("PageUp")
    assert browser.js("gradviz.index()") == last.first_step
    if len(episodes) > 1:
        browser.key("PageUp")
        assert browser.js("gradviz.index()") == episodes[-2].first_step
        browser.key("PageDown")
        assert browser.js("gradviz.index()") == last.first_step
    # Space plays and pauses.
    browser.key("Home")
    browser.key(" ")
    assert browser.js("gradviz.playing()") is True
    browser.key(" ")
    assert browser.js("gradviz.playing()") is False
    # The episode list is the app's.
    titles = browser.json(
        "Array.from(document.querySelectorAll('#episodes .t')).map(e => e.firstChild.textContent)"
    )
    assert titles == [e.title for e in episodes]
    assert browser.js("gradviz.errors().join('|')") == ""
    _only_the_page_was_requested(browser, path)


def test_inspector_rows_are_the_apps_for_every_box(browser, player, tmp_path) -> None:
    browser.load_html(export_html(player, "dot.py", SCRIPT), tmp_path)
    roles = set()
    for k in sorted({player.story.default_step, player.step_count - 1, 2}):
        browser.js(f"gradviz.go({k}); 0")
        for box in player.scene(k).boxes:
            browser.js(f"gradviz.select({json.dumps(box.id)}); 0")
            rows = [tuple(r) for r in browser.json("gradviz.inspector()")]
            assert rows == player.details(k, box.id), (k, box.id)
            roles.add(box.role)
            if box.role == "grad_fn":
                names = {r[0] for r in rows}
                assert {"local rule", "next_functions", "source"} <= names, names
    assert {"leaf", "grad_fn", "accumulate", "seed", "constant", "tensor"} <= roles


SEEDED = """import torch
x = torch.tensor([1.0, 2.0], requires_grad=True)
y = x * x
v = torch.tensor([1.0, 0.5])
y.backward(gradient=v)
"""


def test_the_page_lays_each_step_over_its_rows_as_the_player_does(browser, tmp_path) -> None:
    """data.js in the browser: at every step the rows are Player.scene's (hidden boxes,
    focus and the error state, active edges, the token, legacy freed badges), and a row
    the step leaves alone is the same array as the step before's, as the Python mirror
    (web_support.expand_rows) keeps them."""
    chain = player_of(CHAIN_SCRIPT, "chain.py")
    for player in (chain, error_about(player_of(ERROR_AFTER_BACKWARD, "err.py"), 2)):
        for p in (player, legacy_freed(player)):
            page = export_html(p, "rows.py")
            browser.load_html(page, tmp_path)
            shown = browser.json("gradviz.rows()")
            data = embedded(page)
            mirror = expand_rows(data)
            assert len(shown) == p.step_count == len(mirror)
            for k, rows in enumerate(shown):
                scene = p.scene(k)
                boxes, edges = shown_rows(data, rows)
                assert boxes == [
                    (b.id, b.state, b.value, b.grad, b.note, ",".join(b.badges))
                    for b in scene.boxes
                ], k
                assert edges == [
                    (e.id, e.kind, e.active, e.token.text if e.token else None) for e in scene.edges
                ], k
                if k:
                    before = mirror[k - 1]
                    assert rows["kb"] == [a is b for a, b in zip(mirror[k]["b"], before["b"])]
                    assert rows["ke"] == [a is b for a, b in zip(mirror[k]["e"], before["e"])]
            assert browser.json("gradviz.errors()") == []


@pytest.mark.parametrize("example", ["dot.py", "seeded.py", "08_retain_graph.py"])
def test_math_lines_fan_in_cut_seed_edges_and_badges_are_drawn(
    browser, player, tmp_path, example
) -> None:
    if example == "seeded.py":
        player = player_of(SEEDED, example)
    elif example != "dot.py":
        player = player_of((EXAMPLES / example).read_text(encoding="utf-8"), example)
    browser.load_html(export_html(player, example, SCRIPT), tmp_path)
    seen = {"seed": 0, "freed": 0, "math": 0}
    for k in range(player.step_count):
        scene = player.scene(k)
        browser.js(f"gradviz.go({k}); gradviz.settle(); 0")
        shown = browser.json(
            "Array.from(document.querySelectorAll('#math div')).map(d => d.textContent)"
        )
        assert shown == list(scene.math)
        tokens = sum(1 for e in scene.edges if e.token is not None)
        assert browser.js("document.querySelectorAll('#tokens .token').length") == tokens
        cuts = sum(1 for e in scene.edges if e.kind == "cut")
        assert browser.js("document.querySelectorAll('.cut-mark').length") == cuts
        notes = sum(1 for b in scene.boxes if b.note and b.state != "hidden")
        assert browser.js("document.querySelectorAll('#boxes .note').length") == notes
        muted = sum(1 for b in scene.boxes if b.muted)
        assert browser.js("document.querySelectorAll('#boxes .box.muted').length") == muted
        halos = sum(1 for b in scene.boxes if b.state == "active")
        assert browser.js("document.querySelectorAll('#boxes .halo').length") == halos
        freed = sum(1 for b in scene.boxes if "freed" in b.badges)
        assert browser.js("document.querySelectorAll('#boxes .badge-t').length") == freed
        seeds = sum(1 for e in scene.edges if e.kind == "seed")
        assert browser.js("document.querySelectorAll('#edges .edge.kind-seed').length") == seeds
        seen["seed"] += seeds
        seen["freed"] += freed
        seen["math"] += len(scene.math)
    assert browser.js("gradviz.errors().join('|')") == ""
    # Each example shows what it was picked for.
    wanted = {"dot.py": "math", "seeded.py": "seed", "08_retain_graph.py": "freed"}
    assert seen[wanted[example]] > 0, seen


def test_muted_boxes_hide_the_edges_behind_them_and_titles_keep_their_width(
    browser, tmp_path
) -> None:
    """A box on no gradient path is faded but opaque, as in the app: an edge behind it
    does not run through its text. An episode's steps sit under its title."""
    name = "04_detach.py"
    player = player_of((EXAMPLES / name).read_text(encoding="utf-8"), name)
    browser.load_html(export_html(player, name, SCRIPT), tmp_path)
    k = next(
        k
        for k in range(player.step_count)
        if any(b.muted and b.state != "hidden" for b in player.scene(k).boxes)
    )
    browser.js(f"gradviz.go({k}); gradviz.settle(); 0")
    looks = browser.json(
        "Array.from(document.querySelectorAll('#boxes .box.muted:not(.state-hidden)')).map(g => {"
        " const body = g.querySelector('.body'), text = g.querySelector('text');"
        " return [getComputedStyle(g).opacity, getComputedStyle(body).opacity,"
        " getComputedStyle(body).fill, getComputedStyle(text).opacity]; })"
    )
    assert looks and all(g == "1" and b == "1" and t != "1" for g, b, _, t in looks)
    assert all(fill.startswith("rgb(") for _, _, fill, _ in looks)  # no alpha: opaque
    rows = browser.json(
        "Array.from(document.querySelectorAll('#episodes button')).map(b =>"
        " [b.querySelector('.t').firstChild.textContent, b.querySelector('.t .sub .r').textContent])"
    )
    assert rows == [
        [e.title, f"steps {e.first_step + 1}–{e.last_step + 1}"] for e in player.episodes()
    ]


def test_zoom_pan_pinch_and_semantic_zoom(browser, player, tmp_path) -> None:
    browser.load_html(export_html(player, "dot.py", SCRIPT), tmp_path)
    before = browser.json("gradviz.view()")
    wheel = (
        "document.getElementById('canvas').dispatchEvent(new WheelEvent('wheel',"
        "{deltaY: %d, ctrlKey: %s, clientX: 600, clientY: 400, bubbles: true, cancelable: true})); 0"
    )
    browser.js(wheel % (-200, "false"))
    after = browser.json("gradviz.view()")
    assert after["k"] > before["k"]
    pointer = (
        "document.getElementById('canvas').dispatchEvent(new PointerEvent('%s', {clientX: %d,"
        " clientY: %d, button: 0, pointerId: %d, pointerType: 'touch', bubbles: true})); 0"
    )
    browser.js(pointer % ("pointerdown", 600, 500, 1))
    browser.js(pointer % ("pointermove", 660, 540, 1))
    browser.js(pointer % ("pointerup", 660, 540, 1))
    panned = browser.json("gradviz.view()")
    assert (round(panned["tx"] - after["tx"]), round(panned["ty"] - after["ty"])) == (60, 40)
    # Two fingers moving apart zoom in.
    browser.js(pointer % ("pointerdown", 500, 400, 2))
    browser.js(pointer % ("pointerdown", 600, 400, 3))
    browser.js(pointer % ("pointermove", 450, 400, 2))
    browser.js(pointer % ("pointermove", 650, 400, 3))
    browser.js(pointer % ("pointerup", 450, 400, 2))
    browser.js(pointer % ("pointerup", 650, 400, 3))
    pinched = browser.json("gradviz.view()")
    assert pinched["k"] == pytest.approx(panned["k"] * 2, rel=0.01)
    # Zoomed out, small text is hidden rather than drawn unreadable; titles grow.
    browser.js("gradviz.fit(); 0")
    while browser.json("gradviz.view()")["k"] > 0.5:
        browser.js(wheel % (100, "false"))
    far = browser.json("gradviz.view()")
    assert far["k"] * 11 < 9 and far["lod"] >= 1
    assert browser.js("getComputedStyle(document.querySelector('#boxes .sub')).display") == "none"
    # Titles stay, drawn big enough to read (or not at all when the box is too small).
    sizes = browser.json(
        "Array.from(document.querySelectorAll('#boxes .title')).map(t => [t.textContent,"
        " getComputedStyle(t).display, parseFloat(getComputedStyle(t).fontSize)])"
    )
    assert sizes and any(text for text, _d, _px in sizes)
    for text, display, px in sizes:
        assert display != "none" and (text == "" or px * far["k"] >= 8.9), (text, px, far["k"])
    browser.js("gradviz.fit(); 0")
    assert browser.js("document.getElementById('canvas').classList.contains('lod-1')") is (
        browser.json("gradviz.view()")["k"] * 11 < 9
    )


def test_theme_follows_the_system_and_toggles(browser, player, tmp_path) -> None:
    browser.load_html(export_html(player, "dot.py", SCRIPT), tmp_path)
    first = browser.js("gradviz.theme()")
    browser.js("document.getElementById('theme').click(); 0")
    second = browser.js("gradviz.theme()")
    assert {first, second} == {"light", "dark"}
    bg = "getComputedStyle(document.body).backgroundColor"
    dark = browser.js("gradviz.setTheme('dark'); " + bg)
    light = browser.js("gradviz.setTheme('light'); " + bg)
    assert dark != light


# ---- nothing the page is given runs ---------------------------------------------------


def _hostile_story(player: Player) -> Story:
    """The story with every name, text, id and value replaced by payloads."""
    data = player.story.to_dict()
    payloads = iter(PAYLOADS * 10_000)
    ids: dict[str, str] = {}

    def new_id(old: str) -> str:
        if old not in ids:
            ids[old] = f"{next(payloads)}#{len(ids)}"
        return ids[old]

    for ep in data["episodes"]:
        ep["title"] = next(payloads)
        for n in ep["nodes"]:
            n["id"] = new_id(n["id"])
            n["title"], n["subtitle"] = next(payloads), next(payloads)
            n["detail"] = {
                (k if k == "appears" else next(payloads) + k): (
                    v if k == "appears" else next(payloads)
                )
                for k, v in n["detail"].items()
            }
        for e in ep["edges"]:
            e["id"], e["source"], e["target"] = (
                new_id(e["id"]),
                new_id(e["source"]),
                new_id(e["target"]),
            )
            e["label"] = next(payloads)
    for s in data["steps"]:
        s["narration"] = next(payloads)
        s["math"] = [next(payloads), next(payloads)]
        s["focus"] = [new_id(f) for f in s["focus"]]
        s["edges"] = [new_id(e) for e in s["edges"]]
        if s["token"]:
            s["token"] = {"edge": new_id(s["token"]["edge"]), "text": next(payloads)}
        s["updates"] = [
            [new_id(t), f, next(payloads) if f in ("value", "grad", "note") else v]
            for t, f, v in s["updates"]
        ]
    data["source"] = "\n".join(PAYLOADS)
    data["filename"] = PAYLOADS[0]
    return Story.from_dict(data)


def _assert_nothing_ran(browser) -> None:
    assert browser.js("typeof window.__pwned") == "undefined"
    assert browser.js("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert browser.js("document.querySelectorAll('script').length") == 2
    assert browser.js("document.querySelectorAll('[onerror], [onload], [onclick]').length") == 0


def _step_everything(browser, player: Player) -> None:
    ids = json.dumps(
        sorted({b.id for k in range(player.step_count) for b in player.scene(k).boxes})
    )
    browser.js(
        f"(function () {{ const ids = {ids};"
        " for (let i = 0; i < gradviz.count(); i++) { gradviz.go(i);"
        "  for (const id of ids) gradviz.select(id); }"
        " gradviz.select(null); })(); 0",
        timeout=30_000,
    )


def test_injection_in_names_prints_errors_and_files_stays_text(browser, player, tmp_path) -> None:
    values = {f"p{i}": p.replace("\n", " ") for i, p in enumerate(PAYLOADS)}
    values.update({f"s{i}": p for i, p in enumerate(PAYLOADS)})
    source = HOSTILE_SCRIPT.format(**values)
    result = trace_source(source, PAYLOADS[1])
    assert result.error is not None and PAYLOADS[5] in result.error.message
    scripted = Player(result.story)
    crafted = Player(_hostile_story(player))
    for name, p, out in (
        ("scripted", scripted, result.stdout),
        ("crafted", crafted, "\n".join(PAYLOADS)),
    ):
        page = export_html(p, PAYLOADS[0] + PAYLOADS[1], None, out)
        path = browser.load_html(page, tmp_path, f"{name}.html")
        _step_everything(browser, p)
        _assert_nothing_ran(browser)
        assert (
            browser.js("document.getElementById('title').textContent") == PAYLOADS[0] + PAYLOADS[1]
        )
        assert browser.js("document.getElementById('output').textContent").startswith(
            out.rstrip()[:20]
        )
        assert browser.js("gradviz.errors().join('|')") == ""
        _only_the_page_was_requested(browser, path)
    # The crafted names are drawn as text.
    browser.js("gradviz.go(gradviz.count() - 1); 0")
    titles = browser.json(
        "Array.from(document.querySelectorAll('#boxes .box > title')).map(t => t.textContent)"
    )
    assert any(PAYLOADS[0] in t for t in titles)


@pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (apt-get install chromium)"
)
def test_injection_and_network_in_headless_chromium(player, tmp_path) -> None:
    marker = "document.body.setAttribute('data-pwned','1')"
    crafted = Player(_hostile_story(player))
    page = export_html(
        crafted, f"</script><script>{marker}</script>", f'<img src=x onerror="{marker}">'
    )
    path = tmp_path / "evil.html"
    path.write_text(page, encoding="utf-8")
    dom = chromium_dump(path)
    assert "data-step=" in dom, dom[:500]
    assert 'data-pwned="1"' not in dom and "<img" not in dom.split("gradviz-data")[0]
    # The page asks for nothing but itself; a page with a remote image shows the check works.
    assert [u for u in chromium_page_requests(path) if not u.startswith("file:")] == []
    control = tmp_path / "control.html"
    control.write_text('<img src="http://127.0.0.1:9/x.png">', encoding="utf-8")
    assert "http://127.0.0.1:9/x.png" in chromium_page_requests(control)


# ---- screenshots ---------------------------------------------------------------------


def _array(image) -> np.ndarray:
    from PySide6.QtGui import QImage

    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)
    h, w = rgba.height(), rgba.width()
    buf = np.frombuffer(rgba.constBits(), dtype=np.uint8, count=rgba.sizeInBytes())
    return buf.reshape(h, rgba.bytesPerLine())[:, : w * 4].reshape(h, w, 4).copy()


def _matches_golden(image, name: str, tolerance: int = 40, fraction: float = 0.01) -> None:
    from PySide6.QtGui import QImage

    golden = GOLDEN_DIR / f"{name}.png"
    if os.environ.get("GRADVIZ_UPDATE_GOLDENS") == "1" or not golden.exists():
        GOLDEN_DIR.mkdir(exist_ok=True)
        image.save(str(golden))
        if os.environ.get("GRADVIZ_UPDATE_GOLDENS") != "1":
            pytest.fail(f"wrote the missing golden {golden}: look at it, then commit it")
    expected = _array(QImage(str(golden)))
    actual = _array(image)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    diff = (np.abs(actual.astype(np.int16) - expected.astype(np.int16)) > tolerance).any(axis=2)
    if diff.mean() > fraction:
        FAILURE_DIR.mkdir(exist_ok=True)
        image.save(str(FAILURE_DIR / f"{name}.png"))
        pytest.fail(f"{name}: {diff.mean():.2%} of the pixels differ from the golden")


def test_screenshot_at_the_first_backward_step(browser, tmp_path) -> None:
    example = EXAMPLES / "01_y_equals_2xTx.py"
    p = player_of(example.read_text(encoding="utf-8"), example.name)
    first_backward = next(e.backward_step for e in p.story.episodes if e.backward_step is not None)
    browser.load_html(export_html(p, example.name), tmp_path)
    SCREEN_DIR.mkdir(parents=True, exist_ok=True)
    for theme in ("light", "dark"):
        browser.js(
            f"gradviz.setTheme('{theme}'); gradviz.go({first_backward}); gradviz.home(); gradviz.settle(); 0"
        )
        # The header's background tells which theme the compositor has painted.
        dark = theme == "dark"
        image = browser.grab(
            300, until=lambda im, dark=dark: (im.pixelColor(700, 20).lightness() < 128) == dark
        )
        image.save(str(SCREEN_DIR / f"qtwebengine_{theme}.png"))
        _matches_golden(image, f"page_backward_{theme}")


@pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (apt-get install chromium)"
)
def test_screenshot_in_headless_chromium(tmp_path) -> None:
    from PySide6.QtGui import QImage

    example = EXAMPLES / "01_y_equals_2xTx.py"
    p = player_of(example.read_text(encoding="utf-8"), example.name)
    first_backward = next(e.backward_step for e in p.story.episodes if e.backward_step is not None)
    page = tmp_path / "page.html"
    page.write_text(export_html(p, example.name), encoding="utf-8")
    SCREEN_DIR.mkdir(parents=True, exist_ok=True)
    for theme in ("light", "dark"):
        out = SCREEN_DIR / f"chromium_{theme}.png"
        chromium_screenshot(page, out, fragment=f"step={first_backward + 1}&theme={theme}")
        image = QImage(str(out))
        assert not image.isNull(), "Chromium wrote no screenshot"
        _matches_golden(image, f"chromium_backward_{theme}")


def test_a_script_that_does_not_compile_still_makes_a_page(browser, tmp_path) -> None:
    result = trace_source("import torch\nx = (1,\n", "broken.py")
    assert result.error is not None and not result.story.steps
    browser.load_html(export_html(Player(result.story), "broken.py"), tmp_path)
    assert browser.js("gradviz.count()") == 0
    assert browser.js("gradviz.narration()") == "This story has no steps."
    shown = browser.js("document.getElementById('output').textContent")
    assert "syntax error" in shown and "line 2" in shown
    assert browser.js("document.getElementById('output-wrap').open") is True
    browser.key("ArrowRight")
    browser.key("End")
    assert browser.js("gradviz.errors().join('|')") == ""


def test_inline_repr_html_plays_inside_its_sandboxed_iframe(browser, player, tmp_path) -> None:
    """The notebook output: the page runs in a sandboxed srcdoc iframe, its own CSP intact."""
    from gradviz.core.notebook import StoryView

    wrapper = tmp_path / "notebook.html"
    wrapper.write_text(
        "<!DOCTYPE html><html><body style='margin:0'>"
        + StoryView(player.story, "dot.py")._repr_html_()
        + "</body></html>",
        encoding="utf-8",
    )
    with browser.qtbot.waitSignal(browser.view.loadFinished, timeout=15_000):
        browser.view.load(QUrl.fromLocalFile(str(wrapper)))
    # The iframe is another origin, so read it from the screen: grad_fn boxes (their fill
    # colour) exist only once the page's own script has run.
    fill = QColor(palette.ROLES["grad_fn"][0])

    def played(image) -> bool:
        return any(
            image.pixelColor(x, y) == fill for x in range(200, 1000, 3) for y in range(60, 560, 3)
        )

    assert played(browser.grab(300, until=played))
    assert not [m for m in browser.console if "Content Security Policy" in m or "Refused" in m]


@pytest.mark.skipif(
    FIREFOX is None, reason="headless Firefox is not installed (apt-get install firefox-esr)"
)
def test_the_page_runs_in_headless_firefox(tmp_path) -> None:
    from PySide6.QtGui import QImage

    example = EXAMPLES / "01_y_equals_2xTx.py"
    p = player_of(example.read_text(encoding="utf-8"), example.name)
    page = tmp_path / "page.html"
    page.write_text(export_html(p, example.name), encoding="utf-8")
    SCREEN_DIR.mkdir(parents=True, exist_ok=True)
    out = SCREEN_DIR / "firefox_light.png"
    firefox_screenshot(page, out, fragment="step=4&theme=light")
    image = QImage(str(out))
    assert not image.isNull(), "Firefox wrote no screenshot"
    # The boxes are drawn by the page's script: a grad_fn's fill shows that it ran (its
    # CSP hash accepted) from file://.
    fill = QColor(palette.ROLES["grad_fn"][0])
    assert any(
        image.pixelColor(x, y) == fill for x in range(230, 1050, 3) for y in range(60, 700, 3)
    )
