"""Numbers over a training loop: the loss per backward call, each leaf's value and .grad
after every iteration, and the scalars the script printed.

Computed from ALL the recorded events (one linear pass), so the series covers every
iteration even when the story tells only the first and last episodes in full; each point
names the story episode that tells it: its own, the "untold" one that stands for it in a
lazy story (told on demand; episode indices never move), or the one summary episode.

The engine does not record `.item()` calls, so "logged scalars" are read from what the
script printed: lines such as `0 0.69956`, `epoch 3 loss 0.12` or `step 10: acc=0.9`.
Lines of the same shape (numbers aside) that occur at least twice form one family; a
leading integer (or one after epoch/step/iter/i) is its x, every other number a series
named after the word before it (x is a 0-based iteration index: a counter that starts at
1 is shifted down; without a counter, x is the line's rank in its family). Anything else
printed is ignored.

Shape of `Story.series` (empty when nothing was trained):

    {"iterations": n,
     "loop": bool,                       # a backward call site ran twice or more
     "loss": {"name": str, "values": [float | None] * n},   # None: not a finite scalar
     "episodes": [int] * n,              # the story episode that tells each iteration
     "params": {name: {"shape": [int], "kind": "values" | "norm",
                        "value": [...] * n, "grad": [...] * n}},
     "logged": {label: {"x": [float], "y": [float]}}}

"values" entries are flat lists of the tensor's elements (≤ SMALL elements), "norm"
entries its L2 norm; either is None where unknown (no .grad yet, or too big to record).
Past MAX_NUMBERS numbers (a long loop over many tensors) every tensor gets norms, and
parameters that still do not fit are left out: the loss always covers every iteration.
"""

from __future__ import annotations

import math
import re

import numpy as np

from engine.autograd import recording as ev

from .series_check import MAX_ELEMENTS

SMALL = MAX_ELEMENTS  # elements: up to 16, every element gets a sparkline; above, the norm
MAX_LOGGED = 8  # series read from printed lines, at most
MAX_NUMBERS = 200_000  # values + grads of all params over all iterations, at most
_COUNTER_WORDS = {"epoch", "step", "iter", "iteration", "it", "i", "n", "batch", "k", "t"}
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.])")
_WORD = re.compile(r"([A-Za-z_][\w.]*)\W*$")


def _f32(x) -> float | None:
    """A number as float32 says it (shortest text that reads back the same), or None."""
    x = float(x)
    if not math.isfinite(x):
        return None
    return float(str(np.float32(x)))


def _sample(arr, small: bool):
    if arr is None:
        return None
    a = np.asarray(arr, dtype=np.float64).ravel()
    if small:
        out = [_f32(v) for v in a]
        return out if all(v is not None for v in out) else None
    return _f32(np.sqrt(np.dot(a, a)))


# The field of each event that carries a tensor's present value (dispatch by exact class:
# one dict lookup per event keeps the pass cheap next to telling the story).
_VALUE_FIELD = {
    cls: cls._fields.index(name)  # (read by position: cheaper than getattr by name)
    for cls, name in (
        (ev.TensorCreated, "tensor"),
        (ev.RequiresGradSet, "tensor"),
        (ev.ParamUpdated, "tensor"),
        (ev.InplaceModified, "tensor"),
        (ev.Detached, "result"),
        (ev.OpRan, "output"),
    )
}
# Events that change no series (most of a backward pass's): passed over at once.
_NO_SERIES = frozenset({ev.NodeStarted, ev.GradientSent, ev.BuffersFreed, ev.HookFired})


def _episodes_of_backwards(events: list, steps, groups: list | None = None) -> list[int]:
    """The story episode of each backward call, in order. A told one has a seed step
    (found by its event's seq); the iterations of a long loop's middle have none: they
    map, group by group, to the "untold" episodes that stand for them one each (a lazy
    story), or all to the one "summary" episode."""
    from .story_builder import split_episodes  # (imported here: it imports this module)

    seeds = {s.seq: s.episode for s in steps if s.kind == "seed" and s.seq is not None}
    stand_ins = [s.episode for s in steps if s.kind in ("summary", "untold")]
    out, hidden = [], 0
    for group in split_episodes(events) if groups is None else groups:
        seqs = [e.seq for e in group if e.__class__ is ev.BackwardStarted]
        if not seqs:
            continue
        told = next((seeds[q] for q in seqs if q in seeds), None)
        if told is not None:
            out += [seeds.get(q, told) for q in seqs]
            continue
        standing = stand_ins[min(hidden, len(stand_ins) - 1)] if stand_ins else -1
        hidden += 1
        out += [standing] * len(seqs)
    return out


def compute(events: list, steps, name_of, groups: list | None = None) -> dict:
    """The series of a run. `steps` are the story's steps (to map an event to the step
    that tells it), `name_of(uid)` the story's name of a tensor (None if unnamed);
    `groups`: split_episodes(events), when the caller has them already."""
    episode_of = iter(_episodes_of_backwards(events, steps, groups))

    values: dict[int, object] = {}  # uid -> latest value of a leaf that requires grad
    shapes: dict[int, tuple] = {}
    grads: dict[int, object] = {}  # uid -> its .grad now
    tracked: dict[str, int] = {}  # story name -> uid of the leaf that has it now
    first_uid: dict[str, int] = {}
    losses, episodes = [], []
    root_names: dict[str, int] = {}
    call_sites: set = set()  # (file, line) of each backward()/grad() call
    repeated = False  # one call site ran twice or more: a loop
    grad_rows: list[dict] = []  # per iteration: name -> .grad just after its backward
    value_rows: list[dict] = []  # per iteration: name -> value when the next one starts

    data_of: dict[int, int] = {}  # `t.data` uid -> t's uid: a change through it is t's
    grad_leaf: dict[int, int] = {}  # .grad tensor uid -> its leaf

    def snapshot_values() -> dict:
        return {n: values.get(uid) for n, uid in tracked.items()}

    value_field, no_series = _VALUE_FIELD, _NO_SERIES
    for e in events:
        cls = e.__class__
        if cls in no_series:
            continue
        field = value_field.get(cls)
        if field is not None:
            t = e[field]
            if t.requires_grad and t.is_leaf:
                values[t.uid] = t.value
                shapes[t.uid] = tuple(t.shape)
                name = name_of(t.uid)
                if name in tracked:  # `w = (w - lr * g).detach().requires_grad_()`
                    tracked[name] = t.uid
            elif cls is ev.InplaceModified and t.uid in data_of:
                source = data_of[t.uid]  # w.data -= lr * w.grad.data; w.grad.data.zero_()
                if source in shapes:
                    values[source] = t.value
                elif source in grad_leaf:
                    grads[grad_leaf[source]] = t.value
        elif cls is ev.DataTaken:
            data_of[e.result.uid] = data_of.get(e.source, e.source)
        elif cls is ev.BackwardStarted:
            if losses:
                value_rows.append(snapshot_values())
            site = (e.location.filename, e.location.line) if e.location else None
            repeated = repeated or site in call_sites
            call_sites.add(site)
            root = e.roots[0] if e.roots else None
            loss = None
            if root is not None and root.value is not None and np.size(root.value) == 1:
                loss = _f32(np.asarray(root.value).reshape(()))
            losses.append(loss)
            name = name_of(root.uid) if root is not None else None
            if name:
                root_names[name] = root_names.get(name, 0) + 1
            episodes.append(next(episode_of, -1))
            grad_rows.append({})
        elif cls is ev.GradAccumulated:
            grads[e.tensor] = e.new
            grad_leaf[e.grad_uid] = e.tensor
            name = name_of(e.tensor)
            if name:
                tracked[name] = e.tensor
                first_uid.setdefault(name, e.tensor)  # params are listed as created
                shapes.setdefault(e.tensor, tuple(np.shape(e.new)))
        elif cls is ev.GradZeroed:
            grads[e.owner] = e.grad.value
        elif cls is ev.GradSet:
            grads[e.owner] = e.grad.value if e.grad is not None else None
        elif cls is ev.BackwardFinished and grad_rows:
            grad_rows[-1] = {n: grads.get(uid) for n, uid in tracked.items()}
    if losses:
        value_rows.append(snapshot_values())

    n = len(losses)
    if n == 0:
        return {}
    # An iteration with no episode (a truncated story) belongs to the last one.
    last = steps[-1].episode if steps else 0
    episodes = [k if k >= 0 else last for k in episodes]
    params = {}
    ordered = sorted(tracked.items(), key=lambda item: first_uid[item[0]])
    sizes = [int(np.prod(shapes.get(uid, ()), dtype=np.int64)) for _name, uid in ordered]
    # A long loop over many small tensors: norms only, so the story stays small.
    elementwise = 2 * n * sum(size for size in sizes if size <= SMALL) <= MAX_NUMBERS
    for (name, uid), size in zip(ordered, sizes):
        if 2 * n * (len(params) + 1) > MAX_NUMBERS:
            break  # even as norms, no more fit
        shape = shapes.get(uid, ())
        small = size <= SMALL and elementwise
        params[name] = {
            "shape": [int(d) for d in shape],
            "kind": "values" if small else "norm",
            "value": [_sample(row.get(name), small) for row in value_rows],
            "grad": [_sample(row.get(name), small) for row in grad_rows],
        }
    loss_name = max(root_names, key=root_names.get) if root_names else "output"
    return {
        "iterations": n,
        "loop": repeated,
        "loss": {"name": loss_name, "values": losses},
        "episodes": episodes,
        "params": params,
        "logged": {},
    }


# ---- printed scalars ----------------------------------------------------------------------


def parse_logged(stdout: str, losses: list | None = None) -> dict:
    """Numeric series from printed lines (see the module docstring for the rules). With
    the recorded `losses`, a series whose every value is one of them as printed, in order,
    is put at those iterations (see _at_losses)."""
    families: dict[str, list] = {}
    for line in stdout.splitlines():
        found = list(_NUMBER.finditer(line))
        if not found or len(found) > 6 or len(line) > 200:
            continue
        template = _NUMBER.sub("#", line).strip()
        families.setdefault(template, []).append((line, found))
    out: dict[str, dict] = {}
    for rows in families.values():
        if len(rows) < 2:
            continue
        _add_family(rows, out, losses or [])
        if len(out) >= MAX_LOGGED:
            break
    return dict(list(out.items())[:MAX_LOGGED])


def _add_family(rows: list, out: dict, losses: list) -> None:
    first_line, first = rows[0]
    labels = [_label(first_line, m) for m in first]
    counter = None
    if _is_int(first[0].group()) and (labels[0] is None or labels[0].lower() in _COUNTER_WORDS):
        counter = 0
    columns = [i for i in range(len(first)) if i != counter]
    # x is a 0-based iteration index: a counter printed as `epoch + 1` starts at 1.
    shift = 1.0 if counter is not None and float(first[0].group()) == 1.0 else 0.0
    if not columns:
        return
    for i in columns:
        label = labels[i] or ("printed value" if len(columns) == 1 else f"printed value {i + 1}")
        xs, ys, texts = [], [], []
        for k, (_line, found) in enumerate(rows):
            y = _f32(found[i].group())
            if y is None:
                continue
            xs.append(float(found[counter].group()) - shift if counter is not None else float(k))
            ys.append(y)
            texts.append(found[i].group())
        if len(ys) < 2:
            continue
        xs = _at_losses(texts, losses) or xs
        key, n = label, 2
        while key in out:
            key, n = f"{label} ({n})", n + 1
        out[key] = {"x": xs, "y": ys}


def _at_losses(texts: list[str], losses: list) -> list[float] | None:
    """The iterations whose recorded loss each printed number is, as printed (to half a
    unit of its last digit), in order; None unless every one is found. A loss printed
    once per epoch of several batches then sits at that epoch's last batch, not at the
    iteration its epoch counter names."""
    if not losses or any(_significant_digits(text) < 3 for text in texts):
        return None  # too coarse to tell one loss from another
    out, start = [], 0
    for text in texts:
        tolerance = 0.5 * 10.0 ** _exponent_of_last_digit(text) * 1.0001
        value = float(text)
        found = next(
            (
                t
                for t in range(start, len(losses))
                if losses[t] is not None and abs(losses[t] - value) <= tolerance
            ),
            None,
        )
        if found is None:
            return None
        out.append(float(found))
        start = found + 1
    return out


def _exponent_of_last_digit(text: str) -> int:
    """-4 for "0.6779", 0 for "12", -4 for "6.779e-01" (its last digit's place)."""
    mantissa, _, exp = text.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return (int(exp) if exp else 0) - decimals


def _significant_digits(text: str) -> int:
    """4 for "0.6779" and "6.779e-01", 1 for "0.5"."""
    mantissa = text.lower().partition("e")[0].lstrip("+-").replace(".", "")
    return len(mantissa.lstrip("0"))


def _label(line: str, match: re.Match) -> str | None:
    """The word just before a number (`loss` in `loss = 0.5`), if any."""
    m = _WORD.search(line[: match.start()])
    if m is None or m.group(1) == "tensor":
        return None
    before = line[: match.start()][m.end(1) :]
    if any(ch.isdigit() for ch in before):
        return None
    return m.group(1)


def _is_int(text: str) -> bool:
    return re.fullmatch(r"[-+]?\d+", text) is not None


def with_logged(series: dict, stdout: str) -> dict:
    """The series plus the scalars printed on stdout (only when there was training)."""
    if not series:
        return series
    return {**series, "logged": parse_logged(stdout, series.get("loss", {}).get("values"))}
