"""A story file's `series` (training_series.py), checked before use: story files are
shared, so they are treated as hostile. No engine import: the app reads stories without it.
"""

from __future__ import annotations

import math

MAX_ELEMENTS = 16  # training_series.SMALL: bigger tensors are stored as norms


def check(series, fail) -> None:
    """Calls fail(where, what) for anything that is not a well-formed series."""

    def num_or_none(v, where):
        if v is None:
            return
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            fail(where, "expected a finite number or null")

    if not isinstance(series, dict):
        fail("story.series", "expected an object")
    if not series:
        return
    n = series.get("iterations")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        fail("story.series.iterations", "expected a count")
    if not isinstance(series.get("loop", False), bool):
        fail("story.series.loop", "expected true or false")
    loss = series.get("loss")
    if not isinstance(loss, dict) or not isinstance(loss.get("name"), str):
        fail("story.series.loss", "expected {name, values}")
    if not isinstance(series.get("episodes"), list) or len(series["episodes"]) != n:
        fail("story.series.episodes", f"expected {n} entries")
    if not isinstance(loss.get("values"), list) or len(loss["values"]) != n:
        fail("story.series.loss.values", f"expected {n} entries")
    for j, v in enumerate(loss["values"]):
        num_or_none(v, f"story.series.loss.values[{j}]")
    for j, k in enumerate(series["episodes"]):
        if isinstance(k, bool) or not isinstance(k, int) or k < 0:
            fail(f"story.series.episodes[{j}]", "expected an episode index")
    params = series.get("params", {})
    if not isinstance(params, dict):
        fail("story.series.params", "expected an object")
    for name, p in params.items():
        at = f"story.series.params[{name!r}]"
        if not isinstance(p, dict) or p.get("kind") not in ("values", "norm"):
            fail(at, "expected {shape, kind, value, grad}")
        shape = p.get("shape")
        if not isinstance(shape, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 <= d for d in shape
        ):
            fail(f"{at}.shape", "expected a list of sizes")
        size = math.prod(shape)
        if p["kind"] == "values" and size > MAX_ELEMENTS:
            fail(f"{at}.shape", f"more than {MAX_ELEMENTS} elements listed one by one")
        for key in ("value", "grad"):
            rows = p.get(key)
            if not isinstance(rows, list) or len(rows) != n:
                fail(f"{at}.{key}", f"expected {n} entries")
            for j, row in enumerate(rows):
                items = row if isinstance(row, list) and p["kind"] == "values" else [row]
                if p["kind"] == "values" and row is not None and len(items) != size:
                    fail(f"{at}.{key}[{j}]", f"expected {size} numbers")
                for v in items:
                    num_or_none(v, f"{at}.{key}[{j}]")
    logged = series.get("logged", {})
    if not isinstance(logged, dict):
        fail("story.series.logged", "expected an object")
    for label, s in logged.items():
        at = f"story.series.logged[{label!r}]"
        if not isinstance(s, dict) or not isinstance(s.get("x"), list):
            fail(at, "expected {x, y}")
        if not isinstance(s.get("y"), list) or len(s["y"]) != len(s["x"]):
            fail(at, "x and y differ in length")
        for j, v in enumerate(s["x"] + s["y"]):
            if v is None:
                fail(f"{at}[{j}]", "expected a number")
            num_or_none(v, f"{at}[{j}]")
