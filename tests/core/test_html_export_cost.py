"""What keeps an HTML export linear: each recorded tensor printed once, the collector
paused only while the export runs, and the same page whatever is remembered."""

from __future__ import annotations

import gc
from collections import Counter

import pytest
from web_support import embedded, player_of

from gradviz.core import html_export
from gradviz.core.html_export import export_html

CHAIN = """import torch
x = torch.ones(3, requires_grad=True)
y = x
for _ in range(30):
    y = y * 1.5
y.sum().backward()
"""


@pytest.fixture(scope="module")
def chain():
    return player_of(CHAIN, "chain.py")


def test_each_recorded_tensor_is_printed_once(chain, monkeypatch) -> None:
    printed: Counter = Counter()
    real = html_export.tensor_text

    def counting(raw):
        printed[id(raw)] += 1
        return real(raw)

    monkeypatch.setattr(html_export, "tensor_text", counting)
    data = embedded(export_html(chain, "chain", CHAIN))
    assert printed and max(printed.values()) == 1
    # Every value a box shows is in the page: x and its 30 products (their gradients,
    # powers of 1.5 too, print the same).
    texts = set(data["strings"])
    assert sum(t.startswith("tensor([") for t in texts) >= 31


def test_the_collector_is_paused_only_during_the_export(chain, monkeypatch) -> None:
    seen = []
    real = html_export.story_data

    def watched(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(html_export, "story_data", watched)
    was = gc.isenabled()
    try:
        gc.enable()
        export_html(chain, "chain", CHAIN)
        assert gc.isenabled() and seen == [False]
        gc.disable()  # a caller that paused it itself gets it back paused
        export_html(chain, "chain", CHAIN)
        assert not gc.isenabled()

        def failing(*args, **kwargs):
            raise RuntimeError("boom")

        gc.enable()
        monkeypatch.setattr(html_export, "story_data", failing)
        with pytest.raises(RuntimeError):
            export_html(chain, "chain", CHAIN)
        assert gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()


def test_the_same_story_exports_the_same_page(chain) -> None:
    # Texts remembered per box and per number must not leak from one export to the next.
    first = export_html(chain, "chain", CHAIN)
    assert export_html(chain, "chain", CHAIN) == first
    other = player_of(CHAIN.replace("1.5", "2.5"), "chain.py")
    assert export_html(other, "chain", CHAIN) != first
    assert export_html(chain, "chain", CHAIN) == first


def test_quick_printouts_are_full_text() -> None:
    """printouts.tensor_text reads small float tensors without numpy: the same text as
    values.full_text, for every shape, dtype, magnitude and print option."""
    import numpy as np

    from engine import _printing
    from gradviz.core.printouts import tensor_text
    from gradviz.core.values import full, full_text

    rng = np.random.default_rng(3)
    special = [0.0, -0.0, np.nan, np.inf, -np.inf, 1.0, 1e-5, 1e9, 0.5, 1e8, 1000.0]
    arrays = [np.float64(2.5), np.zeros(0), np.ones((2, 3)), np.arange(70.0), np.arange(5)]
    for _ in range(600):
        size = int(rng.integers(1, 12))
        pick = int(rng.integers(0, 4))
        if pick == 0:
            a = rng.standard_normal(size) * 10.0 ** int(rng.integers(-6, 10))
        elif pick == 1:
            a = rng.integers(-50, 50, size).astype(float)
        elif pick == 2:
            a = rng.choice(special, size)
        else:
            a = np.round(rng.standard_normal(size) * 100, int(rng.integers(0, 4)))
        arrays.append(a if rng.random() < 0.8 else np.asarray(a[0]))
    raws = [full(a, dtype) for a in arrays for dtype in ("float32", "float64")]
    raws += [full(np.arange(5), "int64"), full(np.array(True), "bool"), None, "(text)"]
    raws.append({"dtype": "float32", "shape": [2], "b64": "AAAAAA=="})  # one number short
    quick = 0
    for options in ({}, {"precision": 2}, {"sci_mode": True}, {"linewidth": 20}, {"threshold": 3}):
        with _printing.printoptions(**options):
            for raw in raws:
                try:
                    expected = full_text(raw)
                except ValueError:  # a corrupt record fails the same way
                    with pytest.raises(ValueError):
                        tensor_text(raw)
                    continue
                assert tensor_text(raw) == expected, (options, raw)
                quick += isinstance(raw, dict) and raw["dtype"].startswith("float")
    assert quick > 1000
