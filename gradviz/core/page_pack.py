"""A training loop's page payload, packed: iterations of the same shape stored once.

A 1,000-iteration loop tells the same graph a thousand times with other numbers. The
page payload of `html_export.story_data` ("gradviz-page/4") interns strings, but almost
every string of an iteration holds a number of its own, so it grows with the loop. The
packed payload ("gradviz-page/5") stores each episode *resolved*: its range and steps as
plain JSON with the strings, boxes, edges and inspector rows written in place of their
indices. Every number in it (a JSON number, or a run of digits inside a string) is a
*slot*. Episodes whose resolved JSON is the same once slots are blanked out, and whose
slots repeat each other in the same way, share a *template* (the first such episode,
stored whole); every other episode is its template's slot values, and only the values
that differ from the template's are written:

    {"format": "gradviz-page/5", title, filename, source, defaultStep, output, error,
     series, "states": [hidden, active, error],  # as strings
     "templates": [{"e": [title, first, last, backward], "s": [step, ...]}, ...],
     "repeats": [[slot, class, slot, class, ...], ...],  # per template: a slot that
         # repeats an earlier slot's value (its class); other slots open a new class
     "episodes": [[template, "v0|v1||v3..."], ...]}  # one value per class, empty:
         # the template's value

A resolved step is the page/4 step with `n`, `m`, the token's text (`t`) and the string
cells of box and edge rows (every cell after the first) as strings (or null), a full
row's first cell as the box / edge entry itself, and a box entry's inspector rows as a
list of strings (or null). `unpack` gives back a page/4 payload with the same content
(indices may be numbered differently); pack.js does the same in the page.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

FORMAT = "gradviz-page/5"
PLAIN = "gradviz-page/4"  # html_export.FORMAT, what `unpack` gives back
# A number inside a string with the spaces before it (a tensor printout pads and wraps
# its numbers by their width); [0-9], not \d: JavaScript's \d is ASCII only, Python's not.
NUMBER = re.compile(r"([ \n]*-?[0-9]+(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?)")
SEP = "|"  # between an episode's values (never in one)
_META = ("title", "filename", "source", "defaultStep", "output", "error", "series")


def _s(strings: list[str], i: int) -> str | None:
    return None if i < 0 else strings[i]


def _resolve_step(data: dict, step: dict) -> dict:
    strings = data["strings"]
    out: dict[str, Any] = {"ep": step["ep"], "ph": step["ph"], "n": _s(strings, step["n"])}
    out["l"] = step["l"]
    if "m" in step:
        out["m"] = [strings[i] for i in step["m"]]
    for key in ("f", "a"):
        if key in step:
            out[key] = step[key]
    if "t" in step:
        out["t"] = [step["t"][0], _s(strings, step["t"][1])]
    for key, entries in (("B", None), ("dB", None), ("E", data["edges"]), ("dE", None)):
        if key in step:
            rows = []
            for row in step[key]:
                if key == "B":
                    first = _box_entry(data, row[0])
                else:
                    first = row[0] if entries is None else entries[row[0]]
                rows.append([first, *(_s(strings, i) for i in row[1:])])
            out[key] = rows
    return out


def _box_entry(data: dict, index: int) -> list:
    item = list(data["boxes"][index])
    details = item[10]
    item[10] = None if details < 0 else [data["strings"][i] for i in data["details"][details]]
    return item


class _Unsafe(ValueError):
    """A number the page would not read back as the same text: not packed."""


_LITERALS = {None: "null", True: "true", False: "false"}
_PIECES: dict[str, tuple[list[str], str]] = {}  # string -> its numbers, its blanked form


def _pieces(value: str) -> tuple[list[str], str]:
    found = _PIECES.get(value)
    if found is None:
        parts = NUMBER.split(value)
        if "\x00" in value or "\x01" in value or "\x02" in value:
            blank = json.dumps(parts[0::2])
        else:
            blank = "\x01" + "\x00".join(parts[0::2]) + "\x02"
        if len(_PIECES) > 200_000:  # a cache for one export's repeats, not a leak
            _PIECES.clear()
        found = _PIECES[value] = (parts[1::2], blank)
    return found


def _slots(value: Any, out: list[str], shape: list[str]) -> None:
    """Every number of `value` as text, in order, into `out`; its blanked-out form into
    `shape` (a string as \x01 text-with-\x00-for-numbers \x02, or its parts as JSON)."""
    kind = type(value)
    if kind is str:
        numbers, blank = _pieces(value)
        out.extend(numbers)
        shape.append(blank)
    elif kind is int:
        out.append(str(value))  # as json.dumps writes it
        shape.append("#")
    elif kind is float:
        text = repr(value)
        if value.is_integer() or "e" in text or not math.isfinite(value):
            raise _Unsafe(text)  # JavaScript would write it otherwise ("1", "1e-7")
        out.append(text)
        shape.append("#")
    elif kind is list:
        shape.append("[")
        for v in value:
            _slots(v, out, shape)
        shape.append("]")
    elif kind is dict:
        shape.append("{")
        for k, v in value.items():
            shape.append("\x03" + k)
            _slots(v, out, shape)
        shape.append("}")
    else:
        shape.append(_LITERALS[value])  # None, True, False


def _classes(values: list) -> tuple[list[int], list]:
    """Each slot's class (its value's first slot, counted among first slots) and the
    value of each class."""
    first: dict = {}
    pattern = []
    for v in values:
        pattern.append(first.setdefault(v, len(first)))
    return pattern, list(first)


_FIXED = re.compile(r"([ \n]*)(-?)([0-9]+)(?:\.([0-9]+))?")


def _fixed(text: str) -> tuple[str, int, int] | None:
    """(spaces, decimals, the digits as one integer) of a plain decimal, else None."""
    m = _FIXED.fullmatch(text)
    if m is None or len(m.group(3)) + len(m.group(4) or "") > 15:  # exact in a JS double
        return None
    frac = m.group(4) or ""
    n = int(m.group(3) + frac)
    return m.group(1), len(frac) if m.group(4) is not None else -1, -n if m.group(2) else n


def _step(text: str, delta: int) -> str | None:
    """`text` moved by `delta` units of its last digit, in the same format."""
    f = _fixed(text)
    if f is None:
        return None
    spaces, decimals, n = f
    n += delta
    digits = str(abs(n))
    if decimals > 0:
        digits = digits.rjust(decimals + 1, "0")
        digits = digits[:-decimals] + "." + digits[-decimals:]
    return spaces + ("-" if n < 0 else "") + digits


class _Coder:
    """An episode's class values as text, each predicted from the same class in the
    template's previous episode: its last value moved by its last change (a node id grows
    by the same count every iteration, a weight drifts). A value is written as nothing
    (the prediction), ^d (the last value moved by d units of its last digit), or itself;
    ~k stands for k predictions in a row."""

    def __init__(self, base: list[str]) -> None:
        self.last = list(base)
        self.change: list[int | None] = [None] * len(base)

    def _guess(self, c: int) -> str:
        change = self.change[c]
        guess = _step(self.last[c], change) if change is not None else None
        return self.last[c] if guess is None else guess

    def encode(self, values: list[str]) -> str:
        tokens: list[str] = []
        run = 0
        for c, v in enumerate(values):
            if v == self._guess(c):
                run += 1
                self.last[c] = v  # self.change stays
                continue
            if run:
                tokens.append("" if run == 1 else f"~{run}")
                run = 0
            a, b = _fixed(self.last[c]), _fixed(v)
            delta = None
            if a is not None and b is not None and a[:2] == b[:2]:
                delta = b[2] - a[2]
                if _step(self.last[c], delta) != v:
                    delta = None
            tokens.append(v if delta is None else f"^{delta}")
            self.change[c], self.last[c] = delta, v
        if run:
            tokens.append("" if run == 1 else f"~{run}")
        return SEP.join(tokens)

    def decode(self, text: str) -> list[str]:
        out: list[str] = []
        for token in text.split(SEP) if self.last else ():
            if token == "" or token.startswith("~"):
                for _ in range(int(token[1:]) if token else 1):
                    c = len(out)
                    out.append(self._guess(c))
                    self.last[c] = out[-1]
                continue
            c = len(out)
            if token.startswith("^"):
                delta = int(token[1:])
                value = _step(self.last[c], delta)
                self.change[c] = delta
            else:
                value, self.change[c] = token, None
            self.last[c] = value
            out.append(value)
        return out


def _first_slots(pattern: list[int]) -> list[int]:
    """The first slot of each class."""
    first: dict[int, int] = {}
    for slot, c in enumerate(pattern):
        first.setdefault(c, slot)
    return list(first.values())


def pack(data: dict) -> dict | None:
    """The packed form of a page/4 payload, or None when it would not be smaller (no two
    episodes alike) or its steps are not grouped by episode."""
    steps, episodes = data["steps"], data["episodes"]
    if len(episodes) < 2 or not steps:
        return None
    by_episode: list[list[dict]] = [[] for _ in episodes]
    last = -1
    for step in steps:
        ep = step["ep"]
        if not 0 <= ep < len(episodes) or ep < last:
            return None
        by_episode[ep].append(step)
        last = ep
    # First every episode's slots, then per template the repeats that hold in all of its
    # episodes (a repeat that happens once, say two zeros, is not worth an exception).
    templates: list[dict] = []
    known: dict[str, int] = {}
    spread: list[list[int]] = []  # per template: each slot's class over its episodes so far
    episode_values: list[tuple[int, list[str]]] = []
    for ep, ep_steps in zip(episodes, by_episode):
        resolved = {"e": ep, "s": [_resolve_step(data, s) for s in ep_steps]}
        values: list[str] = []
        shape: list[str] = []
        try:
            _slots(resolved, values, shape)
        except _Unsafe:
            return None
        key = "".join(shape)
        index = known.get(key)
        if index is None:
            index = known[key] = len(templates)
            templates.append(resolved)
            spread.append(_classes(values)[0])
        else:  # refine: two slots stay one class only while their values agree
            spread[index] = _classes(list(zip(spread[index], values)))[0]
        episode_values.append((index, values))
    repeats = []
    for pattern in spread:
        seen: set[int] = set()
        flat = []
        for slot, c in enumerate(pattern):
            if c in seen:
                flat += [slot, c]
            seen.add(c)
        repeats.append(flat)
    firsts = [_first_slots(p) for p in spread]
    base = []  # per template: its own value of each class
    for i, t in enumerate(templates):
        values = []
        _slots(t, values, [])
        base.append([values[k] for k in firsts[i]])
    coders = [_Coder(b) for b in base]
    packed = [
        [index, coders[index].encode([values[k] for k in firsts[index]])]
        for index, values in episode_values
    ]
    if len(templates) == len(episodes):
        return None
    out = {"format": FORMAT, **{k: data[k] for k in _META if k in data}}
    out["states"] = [data["strings"][i] for i in data["states"]]
    out.update(templates=templates, repeats=repeats, episodes=packed)
    return out


# ---- back to page/4 (the page does the same in pack.js) ---------------------------------


def _fill(value: Any, values: list[str], at: list[int]) -> Any:
    """`value` with its slots, in order, taken from `values` (at[0]: the next slot)."""
    if isinstance(value, str):
        parts = NUMBER.split(value)
        for k in range(1, len(parts), 2):
            parts[k] = values[at[0]]
            at[0] += 1
        return "".join(parts)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        at[0] += 1
        return json.loads(values[at[0] - 1])
    if isinstance(value, list):
        return [_fill(v, values, at) for v in value]
    return {k: _fill(v, values, at) for k, v in value.items()}


def episodes_of(packed: dict) -> list[dict]:
    """Every episode of a packed payload, resolved."""
    bases = []
    for template, flat in zip(packed["templates"], packed["repeats"]):
        values: list[str] = []
        _slots(template, values, [])
        repeat = dict(zip(flat[0::2], flat[1::2]))
        pattern, count = [], 0
        for slot in range(len(values)):
            if slot in repeat:
                pattern.append(repeat[slot])
            else:
                pattern.append(count)
                count += 1
        bases.append((template, pattern, [values[k] for k in _first_slots(pattern)]))
    coders = [_Coder(b[2]) for b in bases]
    out = []
    for entry in packed["episodes"]:
        template, pattern, classes = bases[entry[0]]
        own = coders[entry[0]].decode(entry[1])
        out.append(_fill(template, [own[c] for c in pattern], [0]))
    return out


class _Table:
    def __init__(self) -> None:
        self.items: list = []
        self.index: dict[str, int] = {}

    def add(self, item: Any) -> int:
        key = item if isinstance(item, str) else json.dumps(item, ensure_ascii=False)
        found = self.index.get(key)
        if found is None:
            found = self.index[key] = len(self.items)
            self.items.append(item)
        return found


def unpack(packed: dict) -> dict:
    """The page/4 payload a packed one stands for."""
    strings, boxes, edges, details = _Table(), _Table(), _Table(), _Table()

    def text(s: str | None) -> int:
        return -1 if s is None else strings.add(s)

    def box(item: list) -> int:
        item = list(item)
        rows = item[10]
        item[10] = -1 if rows is None else details.add([strings.add(s) for s in rows])
        return boxes.add(item)

    episodes, steps = [], []
    for resolved in episodes_of(packed):
        episodes.append(resolved["e"])
        for st in resolved["s"]:
            row: dict[str, Any] = {"ep": st["ep"], "ph": st["ph"], "n": text(st["n"])}
            row["l"] = st["l"]
            if "m" in st:
                row["m"] = [strings.add(m) for m in st["m"]]
            for key in ("f", "a"):
                if key in st:
                    row[key] = st[key]
            if "t" in st:
                row["t"] = [st["t"][0], text(st["t"][1])]
            for key in ("B", "dB", "E", "dE"):
                if key in st:
                    first = {"B": box, "E": edges.add}.get(key)
                    row[key] = [
                        [r[0] if first is None else first(r[0]), *(text(c) for c in r[1:])]
                        for r in st[key]
                    ]
            steps.append(row)
    out = {"format": PLAIN, **{k: packed[k] for k in _META if k in packed}}
    states = [strings.add(s) for s in packed["states"]]
    out.update(
        strings=strings.items,
        details=details.items,
        boxes=boxes.items,
        edges=edges.items,
        episodes=episodes,
        steps=steps,
        states=states,
    )
    return out


def resolved(data: dict) -> list[dict]:
    """Every episode of a page/4 or page/5 payload, resolved: equal payloads give equal
    lists whatever their index numbering."""
    if data.get("format") == FORMAT:
        return episodes_of(data)
    out = [{"e": ep, "s": []} for ep in data["episodes"]]
    loose = []
    for step in data["steps"]:
        ep = step["ep"]
        (out[ep]["s"] if 0 <= ep < len(out) else loose).append(_resolve_step(data, step))
    return out + ([{"e": None, "s": loose}] if loose else [])
