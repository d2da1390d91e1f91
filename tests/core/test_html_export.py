"""The HTML export: one self-contained page, faithful to the Player, escaped, strict, small."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from web_support import (
    CHAIN_SCRIPT,
    ERROR_AFTER_BACKWARD,
    EXAMPLES,
    embedded,
    error_about,
    expand_rows,
    legacy_freed,
    player_of,
    shown_rows,
)

from gradviz.core import html_export, page_pack
from gradviz.core.html_export import export_html, page_parts, write_html

Y_2XTX = """import torch
x = torch.arange(4.0, requires_grad=True)
y = 2 * torch.dot(x, x)
w = x.detach()
with torch.no_grad():
    s = x.sum()
y.backward()
print(x.grad)
"""


@pytest.fixture(scope="module")
def small():
    return player_of(Y_2XTX, "y.py")


def _details(data: dict, box: list, row: list, step: dict) -> list[tuple[str, str]]:
    """The inspector rows of a box, as data.js's detailRows builds them."""
    strings = data["strings"]

    def s(i):
        return None if i < 0 else strings[i]

    fixed = data["details"][box[10]] if box[10] >= 0 else []
    rows = [(strings[fixed[k]], strings[fixed[k + 1]]) for k in range(0, len(fixed), 2)]
    if step.get("m") and box[0] in step.get("f", []):
        rows.insert(1, ("this step", "\n".join(strings[m] for m in step["m"])))
    if s(row[5]) is not None:
        rows.append(("value", s(row[5])))
    if s(row[6]) is not None:
        rows.append((".grad" if box[1] == "leaf" else "gradient received", s(row[6])))
    if s(row[4]) is not None:
        rows.append(("sum", s(row[4])))
    if box[8]:
        rows.append(("line", str(box[8])))
    return rows


def _csp(page: str) -> str:
    found = re.findall(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert len(found) == 1
    return found[0]


def _hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def test_page_is_self_contained_with_a_strict_csp(small) -> None:
    page = export_html(small, "y", Y_2XTX)
    csp = _csp(page)
    assert "default-src 'none'" in csp and "unsafe" not in csp
    # The one inline script and the one style are exactly the ones the policy names by hash.
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    styles = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert len(scripts) == 1 and len(styles) == 1
    assert f"script-src '{_hash(scripts[0])}'" in csp
    assert f"style-src '{_hash(styles[0])}'" in csp
    # Nothing to fetch: no URL, no src/href attribute, no @import or url() in the CSS.
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", page.replace("http-equiv", ""))
    assert not re.search(r"\s(src|href)=", page)
    assert "@import" not in styles[0] and "url(" not in styles[0].replace("url(#", "")
    # The page is assembled from the real files under gradviz/core/web/.
    _template, style, script, _ = page_parts()
    for name in html_export.WEB_FILES:
        assert html_export._web(name) in script
    assert html_export._web("style.css") in style


@pytest.mark.parametrize(
    "name", ["y.py", "02_grad_accumulation_and_zero.py", "05_control_flow.py", "08_retain_graph.py"]
)
def test_payload_is_the_players_story(small, name) -> None:
    """Every step's boxes, edges, narration and inspector rows equal the Player's."""
    if name != "y.py":
        small = player_of((EXAMPLES / name).read_text(encoding="utf-8"), name)
    data = embedded(export_html(small, "y", Y_2XTX))
    rows = expand_rows(data)
    s = data["strings"]

    def text(i):
        return None if i < 0 else s[i]

    assert len(rows) == small.step_count
    for k, step_rows in enumerate(rows):
        scene = small.scene(k)
        step = data["steps"][k]
        assert (step["ep"], step["ph"], text(step["n"]), step["l"]) == (
            scene.episode,
            scene.phase,
            scene.narration,
            scene.line,
        )
        assert [text(m) for m in step.get("m", [])] == list(scene.math)
        assert len(step_rows["b"]) == len(scene.boxes)
        for row, box in zip(step_rows["b"], scene.boxes):
            static = data["boxes"][row[0]]
            assert static[:4] == [box.id, box.role, box.title, box.subtitle]
            assert static[9] == int(box.muted)
            assert [text(row[i]) for i in (1, 2, 3, 4)] == [
                box.state,
                box.value,
                box.grad,
                box.note,
            ]
            assert (text(row[7]) or "") == ",".join(box.badges)
            assert _details(data, static, row, step) == small.details(k, box.id)
        for row, edge in zip(step_rows["e"], scene.edges):
            static = data["edges"][row[0]]
            assert static[:3] == [edge.id, edge.source, edge.target]
            assert (text(row[1]), bool(row[2])) == (edge.kind, edge.active)
            assert text(row[3]) == (edge.token.text if edge.token else None)
    titles = [e[0] for e in data["episodes"]]
    assert titles == [e.title for e in small.story.episodes]


def test_opens_at_the_apps_step(small) -> None:
    from gradviz.ui.episodes import initial_step

    data = embedded(export_html(small, "y", Y_2XTX))
    story = small.story
    app = story.default_step or initial_step(small.episodes(), small.step_count)
    assert data["defaultStep"] == app
    assert small.story.steps[data["defaultStep"]].phase == "backward"


def test_user_text_is_data_never_markup(small, tmp_path) -> None:
    evil = '</script><script>window.__pwned=1</script>"><img src=x onerror=alert(1)>${x}{{y}}\u2028'
    page = export_html(small, evil, evil, output=evil)
    # In the HTML the title is escaped; in the JSON the characters that could end the
    # element or confuse a parser are escaped too, and the data decodes back unchanged.
    assert "<script>window.__pwned" not in page and "<img" not in page
    assert "\u2028" not in page
    assert page.count("</script>") == 2  # the data element and the page's own script
    data = embedded(page)
    assert data["title"] == evil and data["source"] == evil and data["output"] == evil
    write_html(small, tmp_path / "p.html", evil, evil, evil)
    assert (tmp_path / "p.html").read_text(encoding="utf-8") == page


def test_every_example_exports_small_and_whole() -> None:
    for path in sorted(EXAMPLES.glob("*.py")):
        player = player_of(path.read_text(encoding="utf-8"), path.name)
        page = export_html(player, path.name)
        # A training loop (examples 11-13) tells FULL_EPISODES iterations step by step:
        # thousands of steps, so its page gets a bigger but still bounded budget.
        loop = any(s.kind == "summary" for s in player.story.steps)
        assert len(page.encode()) < (1_500_000 if loop else 300_000), path.name
        assert len(embedded(page)["steps"]) == player.step_count > 0, path.name


def test_a_300_box_story_is_under_1_mb() -> None:
    lines = [
        "import torch",
        "x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)",
        "w = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)",
        "h = x",
    ]
    lines += [f"h = torch.tanh(h * w + {i % 7}.0)" for i in range(75)]
    lines += ["loss = h.sum()", "loss.backward()"]
    player = player_of("\n".join(lines) + "\n")
    boxes = {n.id for ep in player.story.episodes for n in ep.nodes}
    assert len(boxes) >= 300
    page = export_html(player, "deep")
    assert len(page.encode()) < 1_000_000


def test_the_page_derives_what_the_player_shows_at_every_step() -> None:
    """The payload sends what the updates built; the page lays each step's hidden boxes,
    focus, active edges and token over it. At every step of these scripts the result is
    `Player.scene`, and a row the step does not change is the very same list."""
    players = [
        player_of(CHAIN_SCRIPT, "chain.py"),
        error_about(player_of(ERROR_AFTER_BACKWARD, "err.py"), 2),
        player_of((EXAMPLES / "14_rnn_unrolled.py").read_text(encoding="utf-8"), "rnn.py"),
        player_of((EXAMPLES / "05_control_flow.py").read_text(encoding="utf-8"), "cf.py"),
    ]
    players.append(legacy_freed(players[0]))
    seen = set()
    for player in players:
        data = embedded(export_html(player, "p"))
        for st in data["steps"]:  # a legacy row: other badges when hidden or focused
            seen |= {"ninth cell" for r in st.get("B", []) + st.get("dB", []) if len(r) == 9}
        assert data["format"] == html_export.FORMAT == page_pack.PLAIN
        rows = expand_rows(data)
        assert len(rows) == player.step_count
        before = None
        for k, step_rows in enumerate(rows):
            scene = player.scene(k)
            boxes, edges = shown_rows(data, step_rows)
            assert boxes == [
                (b.id, b.state, b.value, b.grad, b.note, ",".join(b.badges)) for b in scene.boxes
            ], (player.story.filename, k)
            assert edges == [
                (e.id, e.kind, e.active, e.token.text if e.token else None) for e in scene.edges
            ], (player.story.filename, k)
            if before is not None and "B" not in data["steps"][k]:
                for kind, new, old, now, then in (
                    ("b", step_rows["b"], before[0]["b"], boxes, before[1]),
                    ("e", step_rows["e"], before[0]["e"], edges, before[2]),
                ):
                    if "E" in data["steps"][k] and kind == "e":
                        continue
                    kept = [a is b for a, b in zip(new, old)]
                    assert kept == [a == b for a, b in zip(now, then)], (k, kind)
            before = (step_rows, boxes, edges)
            step = player.story.steps[k]
            seen |= {b.state for b in scene.boxes if b.id in step.focus or b.ref_of in step.focus}
            seen |= {"hidden" for b in scene.boxes if b.state == "hidden"}
            seen |= {"token" for e in scene.edges if e.token} | {
                "freed" for b in scene.boxes if "freed" in b.badges
            }
            seen |= {"shared" for b in scene.boxes if b.ref_of} | {
                "lit" for e in scene.edges if e.active
            }
    # Every thing the page derives happened in these scripts.
    assert {"active", "error", "hidden", "token", "lit", "shared", "freed", "ninth cell"} <= seen
