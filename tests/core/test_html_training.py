"""Exports of training loops: `--iterations` says how many iterations are told in full,
the page packs iterations of one shape (page_pack.py) and decodes them back into the very
story it was given, and it draws the loss curve, linked to the player (lossplot.js)."""

from __future__ import annotations

import json

import pytest
from web_support import WEBENGINE_ERROR, embedded, expand_rows, shown_rows

from gradviz.core import page_pack
from gradviz.core.deferred import UNTOLD
from gradviz.core.export_story import ALL, EXPORT_ENDING, parse_iterations
from gradviz.core.html_export import export_html, json_for_script, page_html, story_data
from gradviz.core.player import Player
from gradviz.core.series_view import jump_step
from gradviz.core.trace import trace_source

# A linear regression loop like /tmp/linreg1000.py, shorter.
LOOP = """import torch
torch.manual_seed(0)
x = torch.linspace(0, 1, 6)
y = 3 * x + 2 + 0.1 * torch.randn(6)
w = torch.tensor(0.0, requires_grad=True)
b = torch.tensor(0.0, requires_grad=True)
for i in range({n}):
    loss = ((w * x + b - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= 0.1 * w.grad
        b -= 0.1 * b.grad
    w.grad.zero_()
    b.grad.zero_()
    if i % 10 == 0:
        print(f"step {{i}} loss {{loss.item():.4f}} w {{w.item():.3f}}")
print(w.item(), b.item())
"""


def _untold(story) -> list[int]:
    return [e.index for e in story.episodes if story.steps[e.first_step].kind == UNTOLD]


@pytest.fixture(scope="module")
def loop40():
    """40 iterations, 10 of them told in full."""
    return trace_source(LOOP.format(n=40), "loop.py", told=10)


def test_iterations_says_what_is_told(loop40) -> None:
    story = loop40.story
    assert len(story.episodes) == 40 and story.series["iterations"] == 40
    untold = _untold(story)
    assert untold == list(range(5, 35))  # first 5 and last 5 told in full
    for index in untold:  # one step each, with its loss and how to include it
        ep = story.episodes[index]
        step = story.steps[ep.first_step]
        assert ep.first_step == ep.last_step
        assert "loss = " in step.narration and step.narration.endswith(EXPORT_ENDING)
    # Every iteration is in the timeline; "all" tells every one; 0 none.
    every = trace_source(LOOP.format(n=40), "loop.py", told=ALL).story
    assert _untold(every) == [] and len(every.episodes) == 40
    assert len(_untold(trace_source(LOOP.format(n=6), "loop.py", told=0).story)) == 6
    # The window's story is unchanged: lazy, its untold episodes told when opened.
    lazy = trace_source(LOOP.format(n=70), "loop.py", lazy=True)
    assert len(_untold(lazy.story)) == 10 and lazy.teller is not None
    assert "told when you open it" in lazy.story.steps[lazy.story.episodes[30].first_step].narration
    assert parse_iterations("all") == ALL and parse_iterations(" 8 ") == 8
    for bad in ("-1", "many"):
        with pytest.raises(ValueError):
            parse_iterations(bad)


def test_export_cli_iterations(tmp_path) -> None:
    from gradviz.__main__ import main

    script = tmp_path / "loop.py"
    script.write_text(LOOP.format(n=12), encoding="utf-8")
    out = tmp_path / "loop.html"
    assert main(["export", str(script), "-o", str(out), "--iterations", "4"]) == 0
    data = embedded(out.read_text(encoding="utf-8"))  # unpacked
    told = [ep for ep in data["episodes"] if ep[2] > ep[1]]
    assert len(data["episodes"]) == 12 and len(told) == 4
    assert main(["export", str(script), "-o", str(out), "--iterations", "x"]) == 2


def test_packing_round_trips_exactly(loop40) -> None:
    data = story_data(Player(loop40.story), "loop.py", output=loop40.stdout)
    packed = page_pack.pack(data)
    assert packed is not None and packed["format"] == page_pack.FORMAT
    assert len(packed["templates"]) < 5  # the told iterations share one, the untold one
    assert page_pack.resolved(packed) == page_pack.resolved(data)
    back = page_pack.unpack(packed)
    assert page_pack.resolved(back) == page_pack.resolved(data)
    assert len(back["steps"]) == len(data["steps"]) and back["series"] == data["series"]
    for key in ("strings", "edges"):  # nothing more, nothing less (boxes hold indices)
        assert sorted(map(json.dumps, back[key])) == sorted(map(json.dumps, data[key])), key
    # The states the page lays over the rows, and so the rows every step shows.
    assert [back["strings"][i] for i in back["states"]] == ["hidden", "active", "error"]
    assert [data["strings"][i] for i in data["states"]] == ["hidden", "active", "error"]
    shown = [shown_rows(back, r) for r in expand_rows(back)]
    assert shown == [shown_rows(data, r) for r in expand_rows(data)]
    # A payload with no two episodes alike is left as it is.
    one = trace_source(LOOP.format(n=1), "loop.py", told=ALL).story
    assert page_pack.pack(story_data(Player(one), "one.py")) is None


def test_coder_predicts_drifting_numbers() -> None:
    base = ["100", " 0.5000", "-1.2e-05", "7"]
    rows = [
        ["138", " 0.4990", "-1.2e-05", "7"],
        ["176", " 0.4980", "-1.3e-05", "7"],
        ["214", "-0.0010", "3", "8"],
        ["252", " 0.0000", "3", "9"],
    ]
    enc, dec = page_pack._Coder(base), page_pack._Coder(base)
    texts = [enc.encode(r) for r in rows]
    assert [dec.decode(t) for t in texts] == rows
    assert texts[1] == "~2|-1.3e-05|"  # id and weight predicted from their last change


def test_a_300_iteration_export_is_small() -> None:
    result = trace_source(LOOP.format(n=300), "loop.py", told=ALL)
    player = Player(result.story)
    data = story_data(player, "loop.py", output=result.stdout)
    unpacked = len(page_html(data).encode())  # the page/2 encoding: ~3.2 MB
    packed = page_pack.pack(data)
    page = page_html(packed)  # what export_html writes: ~0.26 MB
    assert len(embedded(page)["episodes"]) == 300
    bound = 600_000
    assert len(page.encode()) < bound < unpacked
    assert len(json_for_script(packed)) * 8 < len(json_for_script(data))


# ---- in a browser engine --------------------------------------------------------------


@pytest.mark.skipif(bool(WEBENGINE_ERROR), reason=WEBENGINE_ERROR or "-")
def test_page_decodes_the_story_and_links_the_loss_curve(qtbot, loop40, tmp_path) -> None:
    from web_support import Browser

    story = loop40.story
    player = Player(story)
    data = story_data(player, "loop.py", output=loop40.stdout)
    b = Browser(qtbot, 1280, 800)
    try:
        b.load_html(export_html(player, "loop.py", output=loop40.stdout), tmp_path)
        assert b.json("gradviz.errors()") == []
        decoded = b.json("gradviz.payload()")
        assert decoded["format"] == page_pack.PLAIN
        assert page_pack.resolved(decoded) == page_pack.resolved(data)
        # The loss curve: one path, the current iteration marked, the untold ones shaded.
        assert b.js("document.getElementById('loss-panel').hidden") is False
        assert b.js("document.querySelectorAll('#loss-plot .loss-line').length") == 1
        assert b.js("document.querySelectorAll('#loss-plot .loss-band').length") == 1
        # The printed w is drawn too; the printed loss only repeats the loss: not twice.
        assert set(story.series["logged"]) == {"loss", "w"}
        assert b.js("document.querySelectorAll('#loss-plot .loss-logged').length") == 1
        series = story.series
        for i in (2, 20, 39):  # told, untold, told
            b.js(f"gradviz.goIteration({i}); 0")
            assert b.js("gradviz.index()") == jump_step(series, story, i)
            assert b.json("gradviz.iteration()") == [i, i]
        b.js("gradviz.goIteration(20); 0")
        assert "--iterations all" in b.js("gradviz.narration()")
        # A click on the plot goes to the iteration under the mouse.
        b.js(
            "(() => { const s = document.getElementById('loss-plot');"
            " const r = s.getBoundingClientRect();"
            " const x = r.left + 52 + (r.width - 64) * 3 / 39;"
            " s.dispatchEvent(new MouseEvent('click', {clientX: x, clientY: r.top + 40}));"
            " return 0; })()"
        )
        assert b.js("gradviz.index()") == jump_step(series, story, 3)
        x = b.js("Number(document.querySelector('#loss-plot .loss-now').getAttribute('x1'))")
        assert x > 52
    finally:
        b.close()
