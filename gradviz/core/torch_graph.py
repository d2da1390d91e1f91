"""A Story from a tensor's backward graph, walked the way PyTorch exposes it.

`grad_fn.next_functions`, `grad_fn.name()`, the `_saved_*` attributes and
`AccumulateGrad.variable` exist on real PyTorch tensors and on the engine's, so one
walker draws both, in the app's style. torch itself is never imported here: a torch
tensor is only ever handled through those attributes.

`compare_stories` puts two such graphs (PyTorch's and the engine's for the same code)
into one story, side by side, and marks the nodes and edges only one of them has.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

import numpy as np

from .story import Episode, Step, Story, StoryEdge, StoryNode
from .values import full, shape_text, short

MAX_NODES = 5_000  # a walk stops here: a story stays quick to draw
ROLES = {"root": "tensor", "grad_fn": "grad_fn", "accumulate": "accumulate", "leaf": "leaf"}


@dataclass(frozen=True)
class GraphNode:
    """One node of the walk: a grad_fn, an AccumulateGrad or a leaf tensor."""

    id: str
    kind: str  # "grad_fn" | "accumulate" | "leaf" | "root"
    name: str  # MulBackward0, AccumulateGrad, or the tensor's name
    path: str  # how the walk first reached it from the root: a name-based signature
    saved: tuple  # ((attribute, text), ...)
    value: object = None  # numpy array for tensors, when known
    dtype: str = ""
    shape: tuple = ()


@dataclass(frozen=True)
class Walk:
    nodes: tuple  # GraphNode, in the order the walk met them (root first)
    edges: tuple  # (source id, target id, input slot): forward direction, input -> user
    truncated: bool


def fn_name(fn) -> str:
    """`name()` as PyTorch prints it, AccumulateGrad without its namespace."""
    name = fn.name() if callable(getattr(fn, "name", None)) else type(fn).__name__
    return name.rsplit("::", 1)[-1]


def _array(t):
    """A tensor's values as numpy, for torch and engine tensors alike (no torch import)."""
    try:
        if hasattr(t, "detach") and hasattr(t, "cpu"):  # torch
            return np.asarray(t.detach().cpu().numpy())
        return np.asarray(t.detach().numpy())
    except Exception:  # noqa: BLE001 - a value we cannot read is just not shown
        return None


def _dtype(t) -> str:
    return str(getattr(t, "dtype", "")).replace("torch.", "")


def _saved(fn) -> tuple:
    """(attribute, printed value) for each `_saved_*` attribute of a grad_fn."""
    out = []
    for attr in sorted(a for a in dir(fn) if a.startswith("_saved_")):
        try:
            value = getattr(fn, attr)
        except Exception as exc:  # noqa: BLE001 - freed buffers raise; say so
            out.append((attr, f"<{type(exc).__name__}: freed>"))
            continue
        if hasattr(value, "shape") and hasattr(value, "detach"):
            arr = _array(value)
            out.append((attr, short(arr) if arr is not None else "tensor"))
        else:
            out.append((attr, repr(value)))
    if not out and hasattr(fn, "saved_names"):  # the engine lists them without dir()
        for attr in fn.saved_names:
            try:
                arr = _array(getattr(fn, attr))
                out.append((attr, short(arr) if arr is not None else "tensor"))
            except Exception as exc:  # noqa: BLE001
                out.append((attr, f"<{type(exc).__name__}: freed>"))
    return tuple(out)


def walk(root, names: dict | None = None, root_name: str = "") -> Walk:
    """Breadth-first over `root.grad_fn.next_functions`, as backward would visit it.

    `names` maps id(tensor) to a variable name, for leaves and the root."""
    names = names or {}
    nodes: list[GraphNode] = []
    edges: list[tuple] = []
    ids: dict[int, str] = {}
    arr = _array(root)
    title = root_name or names.get(id(root), "") or "output"
    nodes.append(GraphNode("r", "root", title, "root", (), arr, _dtype(root), tuple(root.shape)))
    fn = getattr(root, "grad_fn", None)
    if fn is None:
        return Walk(tuple(nodes), (), False)
    queue = [(fn, "r", 0, fn_name(fn))]
    truncated = False
    while queue:
        fn, user, slot, path = queue.pop(0)
        key = id(fn)
        if key in ids:
            edges.append((ids[key], user, slot))
            continue
        if len(nodes) >= MAX_NODES:
            truncated = True
            continue
        nid = ids[key] = f"f{len(ids)}"
        name = fn_name(fn)
        edges.append((nid, user, slot))
        if name == "AccumulateGrad":
            nodes.append(GraphNode(nid, "accumulate", name, path, ()))
            var = getattr(fn, "variable", None)
            if var is not None:
                leaf = f"v{nid}"
                nodes.append(
                    GraphNode(
                        leaf,
                        "leaf",
                        names.get(id(var), "") or "leaf",
                        path + "/variable",
                        (),
                        _array(var),
                        _dtype(var),
                        tuple(var.shape),
                    )
                )
                edges.append((leaf, nid, 0))
            continue
        nodes.append(GraphNode(nid, "grad_fn", name, path, _saved(fn)))
        for i, item in enumerate(getattr(fn, "next_functions", ()) or ()):
            nxt = item[0] if isinstance(item, tuple) else item
            if nxt is not None:
                queue.append((nxt, nid, i, f"{path}/{i}:{fn_name(nxt)}"))
    return Walk(tuple(nodes), tuple(edges), truncated)


# ---- walk -> Story ----------------------------------------------------------------------


def _next_text(walk_: Walk, nid: str) -> str:
    by_id = {n.id: n for n in walk_.nodes}
    inputs = sorted((slot, src) for src, dst, slot in walk_.edges if dst == nid)
    return "\n".join(f"[{slot}] {by_id[src].name}" for slot, src in inputs) or "()"


def _story_nodes(walk_: Walk, prefix: str, label: str, marked: set) -> list[StoryNode]:
    out = []
    for n in walk_.nodes:
        detail = {"name": n.name, "found at": n.path}
        if label:
            detail["graph"] = label
        if n.kind == "grad_fn":
            detail["next_functions"] = _next_text(walk_, n.id)
            if n.saved:
                detail["saved tensors"] = "\n".join(f"{a} = {v}" for a, v in n.saved)
        if n.id in marked:
            detail["difference"] = f"only in {label}"
        role = ROLES[n.kind]
        subtitle = shape_text(n.shape, n.dtype) if n.kind in ("leaf", "root") else ""
        if n.kind == "accumulate":
            subtitle = "→ .grad"
        title = f"{label}: {n.name}" if label and n.kind == "root" else n.name
        out.append(StoryNode(prefix + n.id, role, title, subtitle, None, n.shape, n.dtype, detail))
    return out


def _story_edges(walk_: Walk, prefix: str) -> list[StoryEdge]:
    count: Counter = Counter()
    out = []
    for src, dst, slot in walk_.edges:
        count[(src, dst, slot)] += 1
        eid = f"{prefix}e{src}-{dst}-{slot}-{count[(src, dst, slot)]}"
        out.append(StoryEdge(eid, prefix + src, prefix + dst, "data", slot, None))
    return out


def _values(walk_: Walk, prefix: str) -> list:
    updates = []
    for n in walk_.nodes:
        if n.value is not None:
            updates.append((prefix + n.id, "value", short(n.value)))
            updates.append((prefix + n.id, "value_full", full(n.value, n.dtype)))
    return updates


def graph_story(root, names: dict | None = None, title: str = "", source: str = "") -> Story:
    """One episode: the whole graph, then one step per node in the order backward meets them."""
    w = walk(root, names, title)
    return _story([(w, "", set())], title or w.nodes[0].name, source, w.truncated)


def _story(parts: list, title: str, source: str, truncated: bool) -> Story:
    nodes, edges, updates = [], [], []
    for w, prefix, marked in parts:
        label = prefix.rstrip(":")
        nodes += _story_nodes(w, prefix, label, marked)
        edges += _story_edges(w, prefix)
        updates += _values(w, prefix)
    total = sum(len(w.nodes) for w, _p, _m in parts)
    overview = (
        f"The backward graph behind {title}: {total} nodes, walked from grad_fn through "
        "next_functions, as PyTorch exposes it."
    )
    steps = [Step(0, 0, "forward", "graph", overview, None, (), (), None, tuple(updates))]
    for w, prefix, marked in parts:
        for n in w.nodes:
            if n.kind != "grad_fn":
                continue
            where = f"{prefix.rstrip(':')}: " if prefix else ""
            text = f"{where}{n.name} hands its gradient to its next_functions: " + (
                _next_text(w, n.id).replace("\n", ", ")
            )
            if n.id in marked:
                text += f" (only in {prefix.rstrip(':')})"
            steps.append(
                Step(len(steps), 0, "backward", "send", text, None, (prefix + n.id,), (), None, ())
            )
    last = len(steps) - 1
    # No backward ran: the page opens on the overview, the whole graph.
    episode = Episode(0, title, 0, last, None, tuple(nodes), tuple(edges))
    return Story(source, title, (episode,), tuple(steps), None, truncated, 0)


# ---- two graphs, side by side -------------------------------------------------------------


def signatures(w: Walk) -> dict[str, str]:
    """Each node's subtree, as a short hash of its name and its inputs' signatures by slot:
    equal signatures mean the same computation below. The root is just "root"."""
    inputs: dict[str, list] = {n.id: [] for n in w.nodes}
    for src, dst, slot in w.edges:
        inputs[dst].append((slot, src))
    by_id = {n.id: n for n in w.nodes}
    sig: dict[str, str] = {}
    for start in inputs:  # iterative post-order: graphs can be deeper than the stack
        stack = [(start, False)]
        while stack:
            nid, ready = stack.pop()
            if nid in sig:
                continue
            if not ready:
                stack.append((nid, True))
                stack.extend((src, False) for _slot, src in inputs[nid] if src not in sig)
                continue
            n = by_id[nid]
            if n.kind == "root":
                sig[nid] = "root"
                continue
            parts = ",".join(f"{slot}:{sig[src]}" for slot, src in sorted(inputs[nid]))
            text = f"{n.name}{list(n.shape) if n.kind == 'leaf' else ''}({parts})"
            sig[nid] = hashlib.sha1(text.encode()).hexdigest()[:16]
    return sig


def differences(a: Walk, b: Walk) -> tuple[set, set]:
    """Node ids of `a` and of `b` with no counterpart in the other: nodes are matched by
    their signature (the computation below them), as many times as each side has it."""
    sig_a, sig_b = signatures(a), signatures(b)
    left, right = Counter(sig_b.values()), Counter(sig_a.values())
    only_a, only_b = set(), set()
    for n in a.nodes:
        if left[sig_a[n.id]] > 0:
            left[sig_a[n.id]] -= 1
        else:
            only_a.add(n.id)
    for n in b.nodes:
        if right[sig_b[n.id]] > 0:
            right[sig_b[n.id]] -= 1
        else:
            only_b.add(n.id)
    return only_a, only_b


def compare_stories(torch_root, engine_root, names_torch=None, names_engine=None, title="",
                    source="") -> Story:  # fmt: skip
    """PyTorch's graph and the engine's in one story; nodes only one has are marked."""
    a = walk(torch_root, names_torch, title)
    b = walk(engine_root, names_engine, title)
    only_a, only_b = differences(a, b)
    story = _story(
        [(a, "PyTorch:", only_a), (b, "gradviz:", only_b)],
        title or a.nodes[0].name,
        source,
        a.truncated or b.truncated,
    )
    # Differences are the first thing to see: the overview says how many, and each marked
    # box gets a note.
    marked = [f"PyTorch:{i}" for i in sorted(only_a)] + [f"gradviz:{i}" for i in sorted(only_b)]
    first = story.steps[0]
    text = first.narration + (
        f" {len(marked)} node(s) differ between PyTorch and gradviz, marked in red."
        if marked
        else " Both graphs have the same nodes and edges."
    )
    notes = tuple((m, "note", "only here") for m in marked) + tuple(
        (m, "state", "error") for m in marked
    )
    steps = (
        Step(
            0,
            0,
            first.phase,
            first.kind,
            text,
            None,
            tuple(marked),
            (),
            None,
            first.updates + notes,
        ),
        *story.steps[1:],
    )
    return Story(story.source, story.filename, story.episodes, steps, None, story.truncated, 0)
