"""gradviz from Python and notebooks: show, story, record, compare, and PyTorch's own graph."""

from __future__ import annotations

import html
import re
from collections import Counter
from pathlib import Path

import pytest
from web_support import embedded

import engine
import gradviz
from gradviz.core import notebook
from gradviz.core.torch_graph import compare_stories, fn_name


def _reference_walk(root) -> tuple[Counter, Counter]:
    """Node names and (input name, user name) edges of a grad_fn graph, by next_functions,
    written independently of gradviz.core.torch_graph."""
    names, edges = Counter(), Counter()
    seen, queue = set(), [root.grad_fn]
    while queue:
        fn = queue.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        name = fn.name().split("::")[-1]
        names[name] += 1
        for nxt, _index in fn.next_functions:
            if nxt is not None:
                edges[(nxt.name().split("::")[-1], name)] += 1
                queue.append(nxt)
    return names, edges


def _story_graph(view) -> tuple[Counter, Counter]:
    ep = view.story.episodes[0]
    by_id = {n.id: n for n in ep.nodes}
    fns = [n for n in ep.nodes if n.role in ("grad_fn", "accumulate")]
    names = Counter(n.title for n in fns)
    edges = Counter(
        (by_id[e.source].title, by_id[e.target].title)
        for e in ep.edges
        if by_id[e.source].role in ("grad_fn", "accumulate")
        and by_id[e.target].role in ("grad_fn", "accumulate")
    )
    return names, edges


def test_show_an_engine_tensor_inline_walks_its_graph() -> None:
    x = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = engine.tensor([0.5, -1.0, 2.0], requires_grad=True)
    loss = (x * w).sum() * 2
    view = gradviz.show(loss, inline=True)
    assert isinstance(view, notebook.StoryView)
    assert _story_graph(view) == _reference_walk(loss)
    ep = view.story.episodes[0]
    leaves = {n.title for n in ep.nodes if n.role == "leaf"}
    assert leaves == {"x", "w"}  # AccumulateGrad.variable, named from the caller's variables
    mul = next(n for n in ep.nodes if n.title == "MulBackward0" and "saved tensors" in n.detail)
    assert "_saved_self = [1., 2., 3.]" in mul.detail["saved tensors"]
    assert "_saved_other = [0.5, -1., 2.]" in mul.detail["saved tensors"]


def test_show_opens_a_page_in_the_browser(monkeypatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr(notebook.webbrowser, "open", opened.append)
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    path = gradviz.show((x * x).sum())
    try:
        assert opened == [Path(path).as_uri()]
        data = embedded(Path(path).read_text(encoding="utf-8"))
        assert data["steps"] and data["boxes"]
    finally:
        Path(path).unlink()


def test_repr_html_is_the_player_page_in_a_sandboxed_srcdoc() -> None:
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    view = gradviz.story((x * x).sum())
    out = view._repr_html_()
    frames = re.findall(r'<iframe srcdoc="([^"]*)" sandbox="allow-scripts"', out)
    assert len(frames) == 1 and out.count("<iframe") == 1
    page = html.unescape(frames[0])
    assert page == view.html()
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not re.search(r"\s(src|href)=", page)  # nothing outside the page itself


def test_record_tells_ordinary_engine_code_as_a_story() -> None:
    rec = gradviz.record("notebook cell")
    with rec:
        a = engine.tensor([1.0, 2.0], requires_grad=True)
        b = (a * a).sum()
        b.backward()
    view = rec.story()
    kinds = {s.kind for s in view.story.steps}
    assert {"seed", "accumulate"} <= kinds
    assert any(s.phase == "backward" for s in view.story.steps)
    titles = {n.title for ep in view.story.episodes for n in ep.nodes}
    assert "a" in titles  # names come from the code in the block
    # show(tensor) on a tensor the recording saw tells the whole recording.
    assert gradviz.story(b).story is view.story or gradviz.story(b).story == view.story
    # Outside any recording, a new tensor is walked from its grad_fn.
    c = (a * 3).sum()
    assert gradviz.story(c).story.steps[0].kind == "graph"


def test_story_of_source_code_runs_it_on_the_engine() -> None:
    view = gradviz.story(
        "import torch\nx = torch.ones(2, requires_grad=True)\nx.sum().backward()\n"
    )
    assert any(s.phase == "backward" for s in view.story.steps)


def test_torch_graph_equals_torchs_next_functions_walk() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is optional; the parity check needs it")
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    h = torch.tanh(x * w) + x.exp()
    loss = (h * h).mean()
    view = gradviz.show(loss, inline=True)
    assert _story_graph(view) == _reference_walk(loss)
    ep = view.story.episodes[0]
    leaves = {n.title for n in ep.nodes if n.role == "leaf"}
    assert leaves == {"x", "w"}
    tanh = next(n for n in ep.nodes if n.title == "TanhBackward0")
    assert "_saved_result" in tanh.detail["saved tensors"]
    assert fn_name(loss.grad_fn) == "MeanBackward0"


def test_compare_marks_differences_and_agrees_on_the_same_code() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is optional; the comparison needs it")
    code = (
        "import torch\nx = torch.tensor([1.0, 2.0], requires_grad=True)\ny = (x * x.sin()).sum()\n"
    )
    same = gradviz.compare(code, "y")
    assert "same nodes and edges" in same.story.steps[0].narration
    graphs = {n.detail.get("graph") for n in same.story.episodes[0].nodes}
    assert graphs == {"PyTorch", "gradviz"}
    # Side by side: every PyTorch box left of every gradviz box.
    positions = same.player.layout(0).positions
    left = max(x for k, (x, _y) in positions.items() if k.startswith("PyTorch:"))
    right = min(x for k, (x, _y) in positions.items() if k.startswith("gradviz:"))
    assert left < right

    # Two different graphs: the extra node is marked, in the narration and on the box.
    xt = torch.tensor([1.0, 2.0], requires_grad=True)
    xe = engine.tensor([1.0, 2.0], requires_grad=True)
    story = compare_stories((xt * xt).sum(), (xe * xe).exp().sum())
    first = story.steps[0]
    assert "differ" in first.narration
    marked = set(first.focus)
    titles = Counter(n.title for n in story.episodes[0].nodes if n.id in marked)
    # The extra exp, and the sums above it (their inputs differ); the shared x * x is not.
    assert titles == Counter({"ExpBackward0": 1, "SumBackward0": 2})
    assert {m for m in marked if m.startswith("gradviz:")}
