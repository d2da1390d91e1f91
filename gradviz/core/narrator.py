"""Turns one episode's events into steps, each with a plain-English sentence and real numbers."""

from __future__ import annotations

import re

import engine
from engine.autograd import recording as ev

from .story import Step, Token
from .values import full, say, short


class Narrator:
    def __init__(self, builder, graph, episode: int) -> None:
        self.b = builder
        self.g = graph
        self.episode = episode
        self.steps: list[Step] = []
        self.backward_line: int | None = None
        self.backward_code = ""
        # Per backward call:
        self.sent_to: dict[int, list] = {}  # node uid -> gradients sent to it
        self.freed: list[str] = []
        self.retain = False

    # ----- helpers -----------------------------------------------------------------------
    @property
    def next_index(self) -> int:
        return len(self.b.steps) + len(self.steps)

    def add(
        self, phase: str, kind: str, text: str, line, focus=(), edges=(), token=None, updates=()
    ) -> None:
        self.steps.append(
            Step(
                self.next_index,
                self.episode,
                phase,
                kind,
                text,
                line,
                tuple(focus),
                tuple(edges),
                token,
                tuple(updates),
            )
        )

    def title(self) -> str:
        n = self.episode + 1
        if self.backward_code:
            return f"{n}. {self.backward_code}"
        first = next((s for s in self.steps if s.line), None)
        code = self.b.code(first.line) if first else ""
        return f"{n}. {code} (forward only)" if code else f"{n}. forward only"

    def value_updates(self, nid: str, value, dtype: str) -> list:
        return [(nid, "value", short(value)), (nid, "value_full", full(value, dtype))]

    def grad_updates(self, nid: str, grad, dtype: str) -> list:
        if grad is None:
            return [(nid, "grad", "None"), (nid, "grad_full", "None")]
        return [(nid, "grad", short(grad)), (nid, "grad_full", full(grad, dtype))]

    def leaf_state(self, uid: int) -> list:
        """Updates that show a leaf's current value and .grad when it first appears."""
        nid = self.b.leaf_id(uid)
        info = self.b.leaf_info.get(uid)
        if info is None:
            return []
        out = self.value_updates(nid, self.b.leaf_value.get(uid, info.value), info.dtype)
        if info.requires_grad:
            out += self.grad_updates(nid, self.b.leaf_grad.get(uid), info.dtype)
        return out

    def name(self, uid: int, fallback: str = "the tensor") -> str:
        return self.b.tname(uid) or fallback

    # ----- events ------------------------------------------------------------------------
    def feed(self, e) -> None:
        handler = getattr(self, "on_" + type(e).__name__, None)
        if handler is not None:
            handler(e)

    def on_TensorCreated(self, e: ev.TensorCreated) -> None:  # noqa: N802
        t = e.tensor
        self.b.created[t.uid] = e
        self.b.leaf_info[t.uid] = t
        self.b.leaf_value[t.uid] = t.value
        # An unnamed tensor gets a box only once an op uses it (a gradient= argument never
        # does: it becomes the seed).
        named = self.b.tname(t.uid) is not None
        nid = self.b.ensure_leaf(self.g, t, self.next_index) if named else None
        line = self.b.line_of(e.location)
        name = self.name(t.uid, "a tensor")
        text = f"{self.b.code(line) or e.how} creates {name} = {say(t.value)}."
        if t.requires_grad:
            text += f" It requires grad, so autograd will collect ∂/∂{name} in {name}.grad."
        self.add(
            "forward",
            "create",
            text,
            line,
            [nid] if nid else [],
            updates=self.leaf_state(t.uid) if nid else (),
        )

    def on_RequiresGradSet(self, e: ev.RequiresGradSet) -> None:  # noqa: N802
        t = e.tensor
        self.b.leaf_info[t.uid] = t
        nid = self.b.leaf_id(t.uid)
        if nid not in self.g.nodes:
            self.b.ensure_leaf(self.g, t, self.next_index)
        node = self.g.nodes[nid]
        if t.requires_grad:
            node.role = "leaf"
            if not node.subtitle.startswith("leaf"):
                node.subtitle = "leaf · " + node.subtitle
        name = self.name(t.uid)
        text = (
            f"{name}.requires_grad_({t.requires_grad}): autograd now tracks every op on {name}. "
            f"{name}.grad is None until a backward pass fills it."
            if t.requires_grad
            else f"{name} no longer requires grad."
        )
        self.add(
            "forward",
            "create",
            text,
            self.b.line_of(e.location),
            [nid],
            updates=self.leaf_state(t.uid),
        )

    def on_OpRan(self, e: ev.OpRan) -> None:  # noqa: N802
        b = self.b
        out = e.output
        if e.node is not None:
            b.ops[e.node] = e
            for x in e.next_functions:
                if x.tensor is not None and x.node is not None:
                    b.acc_leaf[x.node] = x.tensor
        b.produced[out.uid] = e
        for inp in e.inputs:
            if isinstance(inp, ev.TensorInfo) and inp.is_leaf:
                b.leaf_info.setdefault(inp.uid, inp)
        first_new = self.next_index
        known = set(self.g.nodes)
        nid = b.ensure_op(self.g, e, first_new)
        node = self.g.nodes[nid]
        line = b.line_of(e.location)
        updates = self.value_updates(nid, out.value, out.dtype)
        for new_id in set(self.g.nodes) - known:
            if new_id.startswith("t"):
                updates += self.leaf_state(int(new_id[1:]))
        edges = [eid for eid, edge in self.g.edges.items() if edge.target == nid]
        args = ", ".join(b.label(i) for i in e.inputs)
        text = f"{node.subtitle} = {say(out.value)}: {e.op} runs on {args}."
        if e.node is not None:
            text += f" Autograd records {e.grad_fn} to undo it in the backward pass"
            text += (
                f", saving {', '.join(s.replace('_saved_', '') for s in e.saved)}."
                if e.saved
                else "."
            )
        elif not e.grad_enabled and any(
            isinstance(i, ev.TensorInfo) and i.requires_grad for i in e.inputs
        ):
            text += (
                " Gradient tracking is off here (no_grad), so no grad_fn is recorded:"
                " gradients cannot flow back through this op."
            )
        if out.dtype == "bool" and out.value is not None and out.value.size == 1:
            text += f" Python reads it as {bool(out.value.item())}, so control flow can branch."
        self.add("forward", "op", text, line, [nid], edges, updates=updates)

    def on_Detached(self, e: ev.Detached) -> None:  # noqa: N802
        b = self.b
        b.detached[e.result.uid] = e
        b.leaf_info[e.result.uid] = e.result
        b.leaf_value[e.result.uid] = e.result.value
        nid = b.ensure_leaf(self.g, e.result, self.next_index)
        name = self.name(e.result.uid, "the result")
        src = self.name(e.source, "its source")
        text = (
            f"{name} = {src}.detach() shares {src}'s values ({say(e.result.value)}) but not "
            f"its history: the edge is cut, so no gradient can flow from {name} back to {src}."
        )
        edges = [eid for eid, edge in self.g.edges.items() if edge.target == nid]
        self.add(
            "forward",
            "detach",
            text,
            b.line_of(e.location),
            [nid],
            edges,
            updates=self.leaf_state(e.result.uid),
        )

    def on_InplaceModified(self, e: ev.InplaceModified) -> None:  # noqa: N802
        b = self.b
        t = e.tensor
        if t.uid in b.grad_owner:
            return  # .grad.zero_() is told by GradZeroed
        line = b.line_of(e.location)
        if t.uid in b.leaf_info or t.is_leaf:
            b.leaf_value[t.uid] = t.value
            info = b.leaf_info.get(t.uid, t)
            nid = b.ensure_leaf(self.g, info, self.next_index)
            name = self.name(t.uid)
            text = (
                f"{b.code(line) or e.op} changes {name} in place to {say(t.value)} "
                f"(version {t.version})."
            )
            if not e.grad_enabled:
                text += " It runs under no_grad, so the update itself is not part of any graph."
            self.add(
                "update",
                "inplace",
                text,
                line,
                [nid],
                updates=self.value_updates(nid, t.value, t.dtype),
            )
        else:
            producer = b.produced.get(t.uid)
            nid = b.op_id(producer) if producer else None
            text = f"{b.code(line) or e.op} changes a tensor in place (version {t.version})."
            if t.grad_fn is not None:
                text += f" Its grad_fn is now {t.grad_fn_name}."
            self.add("update", "inplace", text, line, [nid] if nid in self.g.nodes else [])

    def on_GradZeroed(self, e: ev.GradZeroed) -> None:  # noqa: N802
        b = self.b
        uid = e.owner
        b.leaf_grad[uid] = e.grad.value
        info = b.leaf_info.get(uid)
        if info is None:
            return
        nid = b.ensure_leaf(self.g, info, None)
        name = self.name(uid)
        text = (
            f"{name}.grad.zero_() resets {name}.grad to {say(e.grad.value)}: the next "
            "backward pass adds into zeros instead of into the old gradient."
        )
        self.add(
            "update",
            "zero",
            text,
            b.line_of(e.location),
            [nid],
            updates=self.grad_updates(nid, e.grad.value, e.grad.dtype),
        )

    def on_GradSet(self, e: ev.GradSet) -> None:  # noqa: N802
        b = self.b
        info = b.leaf_info.get(e.owner)
        if info is None:
            return
        value = e.grad.value if e.grad is not None else None
        b.leaf_grad[e.owner] = value
        if e.grad is not None:
            b.grad_owner[e.grad.uid] = e.owner
        nid = b.ensure_leaf(self.g, info, None)
        name = self.name(e.owner)
        text = f"{name}.grad is set to {say(value) if e.grad is not None else 'None'}."
        self.add(
            "update",
            "zero",
            text,
            b.line_of(e.location),
            [nid],
            updates=self.grad_updates(nid, value, info.dtype),
        )

    # ----- backward ----------------------------------------------------------------------
    def on_BackwardStarted(self, e: ev.BackwardStarted) -> None:  # noqa: N802
        b = self.b
        self.sent_to, self.freed, self.retain = {}, [], e.retain_graph
        line = b.line_of(e.location)
        self.backward_line = line
        self.backward_code = b.code(line) or ("backward()" if e.call == "backward" else "grad()")
        focus, edges, updates, token = [], [], [], None
        for i, (root, seed, implicit) in enumerate(zip(e.roots, e.seeds, e.implicit)):
            if root.grad_fn is not None and root.grad_fn in b.ops:
                rid = b.ensure_op(self.g, b.ops[root.grad_fn], None)
            else:
                rid = b.ensure_acc(self.g, root, None)
            sid = f"s{e.seq}_{i}"
            from .story_builder import _NodeDraft

            self.g.node(
                _NodeDraft(
                    sid,
                    "seed",
                    "seed",
                    "∂out/∂out",
                    line,
                    tuple(root.shape),
                    root.dtype,
                    {"name": "seed gradient", "kind": "the gradient that starts backward"},
                    self.next_index,
                )
            )
            from .story import StoryEdge

            eid = self.g.edge(StoryEdge(f"seed{e.seq}_{i}", rid, sid, "data", 0, None))
            focus += [sid, rid]
            edges.append(eid)
            updates += self.value_updates(sid, seed, root.dtype)
            token = Token(eid, short(seed))
            name = b.label(root)
            how = (
                f"The seed ∂{name}/∂{name} = {say(seed)} is created implicitly because "
                f"{name} is a single number."
                if implicit
                else f"The seed is the gradient you passed, v = {say(seed)}: backward computes "
                f"vᵀ·J, the Jacobian weighted by v."
            )
        text = f"{self.backward_code} starts the backward pass. {how}"
        if e.retain_graph:
            text += " retain_graph=True keeps the saved tensors for another pass."
        self.add("backward", "seed", text, line, focus, edges, token, updates)

    def formula(self, node_name: str, slot: int) -> str:
        op = engine.op_for_grad_fn(node_name)
        if op is None or slot >= len(op.formulas):
            return ""
        return op.formulas[slot]

    def on_NodeStarted(self, e: ev.NodeStarted) -> None:  # noqa: N802
        b = self.b
        if e.node in b.acc_leaf:
            return  # told together with the accumulation
        nid = b.node_box(e.node)
        if nid not in self.g.nodes:
            return
        g = e.grad_outputs[0] if e.grad_outputs else None
        incoming = self.sent_to.get(e.node, [])
        op = b.ops.get(e.node)
        outname = b.label(op.output) if op else "its output"
        if len(incoming) > 1:
            parts = " + ".join(say(x) for x in incoming)
            text = (
                f"Fan-in: {len(incoming)} gradients reach {e.name} and are summed: "
                f"{parts} = {say(g)}."
            )
        else:
            text = f"{e.name} receives the upstream gradient ∂L/∂{outname} = {say(g)}."
        opdef = engine.op_for_grad_fn(e.name)
        if opdef is not None and opdef.formulas:
            rules = "; ".join(f for f in opdef.formulas if f)
            text += f" Its local rule: {rules}."
        updates = [
            (nid, "grad", short(g)),
            (nid, "grad_full", full(g, op.output.dtype if op else "float32")),
            (nid, "state", "done"),
        ]
        if len(incoming) > 1:
            updates.append((nid, "note", f"{' + '.join(short(x) for x in incoming)} = {short(g)}"))
        self.add("backward", "receive", text, b.lines_ok(op), [nid], updates=updates)

    def on_GradientSent(self, e: ev.GradientSent) -> None:  # noqa: N802
        b = self.b
        src_box = b.node_box(e.node)
        if e.to_node is None or e.grad is None:
            return
        self.sent_to.setdefault(e.to_node, []).append(e.grad)
        eid = f"e{src_box}_{e.slot}"
        if eid not in self.g.edges:
            return
        target = b.node_box(e.to_node)
        target_label = (
            e.to_name
            if e.to_node not in b.acc_leaf
            else f"AccumulateGrad of {self.name(b.acc_leaf[e.to_node])}"
        )
        op = b.ops.get(e.node)
        rule = self.formula(e.name, e.slot)
        inp = op.inputs[e.slot] if op and e.slot < len(op.inputs) else None
        wrt = b.label(inp) if inp is not None else "its input"
        text = f"{e.name} sends ∂L/∂{wrt} = {say(e.grad)} back to {target_label}"
        if rule:
            text += f", using {rule}"
            numbers = self.rule_numbers(rule, op)
            text += f" with {numbers}." if numbers else "."
        else:
            text += "."
        self.add(
            "backward",
            "send",
            text,
            b.lines_ok(op),
            [src_box, target],
            [eid],
            Token(eid, short(e.grad)),
            updates=[(eid, "flow", "grad")],
        )

    def rule_numbers(self, rule: str, op) -> str:
        """The values behind the letters of a rule's right-hand side: 'b = 2'."""
        if op is None or "=" not in rule:
            return ""
        rhs = rule.split("=", 1)[1]
        sources = {
            "a": op.inputs[0] if op.inputs else None,
            "b": op.inputs[1] if len(op.inputs) > 1 else None,
        }
        parts = []
        for letter in ("a", "b"):
            inp = sources[letter]
            if inp is None or not re.search(rf"(?<![A-Za-z]){letter}(?![A-Za-z])", rhs):
                continue
            value = inp.value if isinstance(inp, ev.TensorInfo) else inp.value
            label = self.b.label(inp)
            shown = say(value)
            if label in (shown, letter):
                parts.append(f"{letter} = {shown}")
            else:
                parts.append(f"{letter} = {label} = {shown}")
        exponent = op.params.get("exponent")
        if exponent is not None and "n" in rhs:
            parts.append(f"n = {exponent}")
        return ", ".join(parts)

    def on_GradAccumulated(self, e: ev.GradAccumulated) -> None:  # noqa: N802
        b = self.b
        uid = e.tensor
        b.grad_owner[e.grad_uid] = uid
        b.names.names.setdefault(e.grad_uid, f"{self.name(uid)}.grad")
        b.leaf_grad[uid] = e.new
        info = b.leaf_info.get(uid)
        acc = b.acc_id(uid)
        leaf = b.leaf_id(uid)
        if acc not in self.g.nodes or info is None:
            return
        name = self.name(uid)
        incoming = self.sent_to.get(e.node, [])
        text = ""
        if len(incoming) > 1:
            # The sum gets a step of its own, so the learner sees it before .grad changes.
            edges = [
                eid
                for eid, edge in self.g.edges.items()
                if edge.source == acc and edge.kind != "cut"
            ]
            self.add(
                "backward",
                "sum",
                f"Fan-in: {name} was used {len(incoming)} times, so {len(incoming)} gradients "
                f"reach its AccumulateGrad and are summed: "
                f"{' + '.join(say(x) for x in incoming)} = {say(e.incoming)}.",
                self.g.nodes[leaf].line,
                [acc],
                edges,
                updates=[
                    (
                        acc,
                        "note",
                        f"Σ {' + '.join(short(x) for x in incoming)} = {short(e.incoming)}",
                    )
                ],
            )
            text = "Then "  # continues: "Then AccumulateGrad stores ..."
        if e.old is None:
            text += (
                f"AccumulateGrad stores the gradient as {name}.grad = {say(e.new)} "
                f"({name}.grad was None)."
            )
            note = f"None → {short(e.new)}"
        else:
            text += (
                f"AccumulateGrad adds the gradient into {name}.grad: {say(e.old)} + "
                f"{say(e.incoming)} = {say(e.new)}."
            )
            note = f"{short(e.old)} + {short(e.incoming)} = {short(e.new)}"
        updates = [(acc, "note", note), (acc, "state", "done")]
        updates += self.grad_updates(leaf, e.new, info.dtype)
        self.add(
            "backward", "accumulate", text, self.g.nodes[leaf].line, [acc, leaf], updates=updates
        )

    def on_GradRetained(self, e: ev.GradRetained) -> None:  # noqa: N802
        name = self.name(e.tensor, "a non-leaf tensor")
        self.add(
            "backward",
            "hook",
            f"retain_grad() keeps {name}.grad = {say(e.grad)}.",
            self.backward_line,
        )

    def on_HookFired(self, e: ev.HookFired) -> None:  # noqa: N802
        nid = self.b.node_box(e.node)
        change = "replaces the gradient" if e.changed else "looks at the gradient"
        self.add(
            "backward",
            "hook",
            f"The {e.kind} hook {e.hook}() fires on {nid} and {change}.",
            self.backward_line,
            [nid] if nid in self.g.nodes else [],
        )

    def on_BuffersFreed(self, e: ev.BuffersFreed) -> None:  # noqa: N802
        nid = self.b.node_box(e.node)
        if nid in self.g.nodes:
            self.freed.append(nid)
            self.b.freed.add(nid)

    def on_BackwardFinished(self, e: ev.BackwardFinished) -> None:  # noqa: N802
        if e.error is not None:
            return  # the story's error step tells it
        leaves = [n for n in self.g.nodes.values() if n.role == "leaf"]
        grads = "; ".join(
            f"{n.title}.grad = {say(self.b.leaf_grad.get(int(n.id[1:])))}"
            for n in leaves
            if self.b.leaf_grad.get(int(n.id[1:])) is not None
        )
        text = "Backward is done." + (f" {grads}." if grads else "")
        updates = []
        if self.freed:
            names = ", ".join(dict.fromkeys(self.g.nodes[n].title for n in self.freed))
            text += (
                f" The saved tensors of {names} are freed: a second backward through them "
                "would fail unless retain_graph=True."
            )
            updates = [(n, "state", "freed") for n in self.freed]
        elif self.retain:
            text += " retain_graph=True kept the saved tensors, so you can go backward again."
        self.add("backward", "free", text, self.backward_line, self.freed, updates=updates)
