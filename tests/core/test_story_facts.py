"""Story facts: small scripts a learner would write, and what their story must say.

Each case is a script and the facts its story must contain, checked on the story itself
(narration, chain-rule lines, nodes), not on pixels. The expected numbers are worked out
by hand in the comments, so a wrong number on screen fails here.
"""

from __future__ import annotations

import re

import pytest
from story_helpers import record_story

from gradviz.core.player import Player


def texts(story) -> list[str]:
    out = []
    for s in story.steps:
        out.append(s.narration)
        out.extend(s.math)
    return out


def said(story, fragment: str) -> bool:
    return any(fragment in t for t in texts(story))


def steps(story, kind: str) -> list:
    return [s for s in story.steps if s.kind == kind]


def nodes(story, episode: int = -1) -> dict:
    return {n.title: n for n in story.episodes[episode].nodes}


# (id, script, fragments that must appear in the story's narration or math)
CASES = [
    (
        "sigmoid_chain_rule",
        """
        import torch
        z = torch.tensor(0.1, requires_grad=True)
        a = torch.sigmoid(z)
        L = (a - 1.05) ** 2
        L.backward()
        """,
        # σ(0.1) = 0.525, ∂L/∂a = 2(0.525 − 1.05) = −1.05, σ' = 0.525·0.475 = 0.2494
        ["∂L/∂z = ∂L/∂a · a·(1 − a)", "= -1.05 · 0.2494", "= -0.2619", "∂L/∂L = 1"],
    ),
    (
        "mul_by_constant",
        """
        import torch
        x = torch.tensor(3.0, requires_grad=True)
        y = x * 4
        y.backward()
        """,
        ["∂y/∂x = ∂y/∂y · 4", "= 1 · 4", "x.grad = 4"],
    ),
    (
        "product_of_two_leaves",
        """
        import torch
        u = torch.tensor(2.0, requires_grad=True)
        v = torch.tensor(5.0, requires_grad=True)
        p = u * v
        p.backward()
        """,
        ["∂p/∂u = ∂p/∂p · v", "= 1 · 5", "∂p/∂v = ∂p/∂p · u", "= 1 · 2"],
    ),
    (
        "exp_and_log",
        """
        import torch
        x = torch.tensor(1.0, requires_grad=True)
        y = torch.log(torch.exp(x) + 1)
        y.backward()
        """,
        # ∂y/∂(e^x+1) = 1/(e+1) = 0.2689; ∂/∂x of exp = e = 2.718
        ["0.2689", "2.718", "x.grad = 0.7311"],
    ),
    (
        "division",
        """
        import torch
        n = torch.tensor(6.0, requires_grad=True)
        d = torch.tensor(3.0, requires_grad=True)
        q = n / d
        q.backward()
        """,
        # ∂q/∂n = 1/d = 0.3333, ∂q/∂d = −n/d² = −0.6667
        ["n.grad = 0.3333", "d.grad = -0.6667"],
    ),
    (
        "tanh_vector",
        """
        import torch
        x = torch.tensor([0.0, 1.0], requires_grad=True)
        t = torch.tanh(x)
        s = t.sum()
        s.backward()
        """,
        # 1 − tanh²: [1, 0.42]
        ["∂s/∂x = ∂s/∂t · (1 − t²)", "= [1, 1] ⊙ [1, 0.42]", "= [1, 0.42]"],
    ),
    (
        "relu_kills_negative",
        """
        import torch
        x = torch.tensor([-1.0, 2.0], requires_grad=True)
        r = torch.relu(x)
        out = r.sum()
        out.backward()
        """,
        ["x.grad = [0, 1]"],
    ),
    (
        "broadcast_add",
        """
        import torch
        a = torch.ones(3, 1, requires_grad=True)
        b = torch.ones(1, 4, requires_grad=True)
        c = a + b
        d = c.sum()
        d.backward()
        """,
        [
            "summed over dim 1, because a was broadcast from [3, 1] to [3, 4]",
            "summed over dim 0, because b was broadcast from [1, 4] to [3, 4]",
            "a.grad = [[4], [4], [4]]",
            "b.grad = [[3, 3, 3, 3]]",
        ],
    ),
    (
        "broadcast_scalar_tensor",
        """
        import torch
        w = torch.tensor(2.0, requires_grad=True)
        x = torch.tensor([1.0, 2.0, 3.0])
        y = (w * x).sum()
        y.backward()
        """,
        ["summed over dim 0, because w was broadcast from [] to [3]", "w.grad = 6"],
    ),
    (
        "mm_contraction",
        """
        import torch
        x = torch.tensor([[1.0], [2.0]])
        W = torch.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
        h = x @ W
        m = h.sum()
        m.backward()
        """,
        # ∂m/∂W = xᵀ · ones(2, 3) = [[3, 3, 3]]
        ["∂m/∂W = xᵀ", "shapes: [2, 1]ᵀ·[2, 3] → [1, 3]", "W.grad = [[3, 3, 3]]"],
    ),
    (
        "mv_product",
        """
        import torch
        A = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        v = torch.tensor([1.0, -1.0])
        y = torch.mv(A, v).sum()
        y.backward()
        """,
        ["A.grad = [[1, -1], [1, -1]]", "shapes:"],
    ),
    (
        "dot_fan_in",
        """
        import torch
        x = torch.arange(4.0, requires_grad=True)
        y = 2 * torch.dot(x, x)
        y.backward()
        """,
        [
            "x was used 2 times",
            "[0, 2, 4, 6] + [0, 2, 4, 6] = [0, 4, 8, 12]",
            "∂y/∂dot(x, x) = ∂y/∂y · 2",
            "shapes: [] · [4] → [4]",
        ],
    ),
    (
        "sum_spreads",
        """
        import torch
        x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        s = x.sum()
        s.backward()
        """,
        ["each output gathered 4 elements of x", "shape [] → [2, 2]", "x.grad = [[1, 1], [1, 1]]"],
    ),
    (
        "mean_divides",
        """
        import torch
        x = torch.tensor([2.0, 4.0, 6.0, 8.0], requires_grad=True)
        m = x.mean()
        m.backward()
        """,
        ["each output gathered 4 elements of x", "x.grad = [0.25, 0.25, 0.25, 0.25]"],
    ),
    (
        "sum_over_dim",
        """
        import torch
        x = torch.ones(2, 3, requires_grad=True)
        r = x.sum(dim=1)
        loss = (r * torch.tensor([1.0, 2.0])).sum()
        loss.backward()
        """,
        ["each output gathered 3 elements of x", "shape [2] → [2, 3]", "[[1, 1, 1], [2, 2, 2]]"],
    ),
    (
        "indexing_scatter",
        """
        import torch
        x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x[1] * 5
        y.backward()
        """,
        ["scattered into zeros of shape [3]", "x.grad = [0, 5, 0]"],
    ),
    (
        "slice_scatter",
        """
        import torch
        x = torch.arange(5.0, requires_grad=True)
        y = x[1:3].sum()
        y.backward()
        """,
        ["scattered into zeros of shape [5]", "x.grad = [0, 1, 1, 0, 0]"],
    ),
    (
        "cat_splits",
        """
        import torch
        a = torch.ones(2, requires_grad=True)
        b = torch.ones(3, requires_grad=True)
        c = torch.cat([a, b])
        y = (c * torch.arange(5.0)).sum()
        y.backward()
        """,
        ["gets its own slice ([2]) of the [5] gradient", "a.grad = [0, 1]", "b.grad = [2, 3, 4]"],
    ),
    (
        "stack_splits",
        """
        import torch
        a = torch.tensor([1.0, 2.0], requires_grad=True)
        b = torch.tensor([3.0, 4.0], requires_grad=True)
        s = torch.stack([a, b])
        y = (s * s).sum()
        y.backward()
        """,
        ["gets its own slice ([2]) of the [2, 2] gradient", "a.grad = [2, 4]", "b.grad = [6, 8]"],
    ),
    (
        "expand_sums_back",
        """
        import torch
        x = torch.tensor([[1.0], [2.0]], requires_grad=True)
        e = x.expand(2, 3)
        y = e.sum()
        y.backward()
        """,
        ["goes back to shape [2, 1]", "x.grad = [[3], [3]]"],
    ),
    (
        "view_reshapes_back",
        """
        import torch
        x = torch.arange(6.0, requires_grad=True)
        v = x.view(2, 3)
        y = (v * torch.tensor([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])).sum()
        y.backward()
        """,
        ["goes back to shape [6]", "x.grad = [1, 1, 1, 2, 2, 2]"],
    ),
    (
        "transpose_back",
        """
        import torch
        x = torch.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
        y = (x.t() * torch.tensor([[1.0], [2.0], [3.0]])).sum()
        y.backward()
        """,
        ["goes back to shape [1, 3]", "x.grad = [[1, 2, 3]]"],
    ),
    (
        "seed_named_after_root",
        """
        import torch
        q = torch.tensor(2.0, requires_grad=True)
        r = q * q * q
        r.backward()
        """,
        ["∂r/∂r = 1", "q.grad = 12"],
    ),
    (
        "gradient_argument",
        """
        import torch
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        v = torch.tensor([1.0, 0.5])
        y.backward(gradient=v)
        """,
        ["the gradient you passed, v = [1, 0.5]", "x.grad = [3, 1.5]"],
    ),
    (
        "in_place_update_named",
        """
        import torch
        w = torch.tensor(1.0, requires_grad=True)
        lr = 0.1
        loss = (w * 2) ** 2
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
        """,
        # ∂loss/∂w = 8w = 8 → w = 1 − 0.8 = 0.2
        ["updates w in place (sub_ by lr * w.grad): w is now 0.2", "under no_grad"],
    ),
    (
        "add_in_place_with_alpha",
        """
        import torch
        w = torch.ones(2, requires_grad=True)
        (w * w).sum().backward()
        with torch.no_grad():
            w.add_(w.grad, alpha=-0.5)
        """,
        ["updates w in place (add_(w.grad, alpha=-0.5)): w is now [0, 0]"],
    ),
    (
        "zero_grad_between_passes",
        """
        import torch
        x = torch.tensor(1.0, requires_grad=True)
        (x * 3).backward()
        x.grad.zero_()
        (x * 5).backward()
        """,
        ["x.grad.zero_() resets x.grad to 0", "0 + 5 = 5"],
    ),
    (
        "accumulation_across_backwards",
        """
        import torch
        x = torch.tensor(1.0, requires_grad=True)
        (x * 3).backward()
        (x * 3).backward()
        """,
        ["x.grad = 3", "3 + 3 = 6"],
    ),
    (
        "grad_set_to_none",
        """
        import torch
        x = torch.tensor(1.0, requires_grad=True)
        (x * 3).backward()
        x.grad = None
        (x * 2).backward()
        """,
        ["x.grad is set to None", "x.grad = 2 (x.grad was None)"],
    ),
    (
        "loop_names_get_subscripts",
        """
        import torch
        a = torch.tensor(1.0, requires_grad=True)
        b = a
        for i in range(3):
            b = b * 2
        b.backward()
        """,
        ["b₁ = a × 2", "∂b/∂b₂ = ∂b/∂b₃ · 2", "a.grad = 8"],
    ),
    (
        "training_loop_three_steps",
        """
        import torch
        w = torch.tensor(1.0, requires_grad=True)
        for i in range(3):
            loss = (w * 2 - 5) ** 2
            loss.backward()
            with torch.no_grad():
                w -= 0.1 * w.grad
            w.grad.zero_()
        """,
        ["w.grad = -12", "w is now 2.2", "w.grad = -2.4", "w is now 2.44", "w.grad = -0.48"],
    ),
    (
        "autograd_grad_returns",
        """
        import torch
        x = torch.tensor(3.0, requires_grad=True)
        y = x ** 2
        (g,) = torch.autograd.grad(y, x)
        """,
        ["grad() returns ∂y/∂x = 6 as g", "x.grad is not touched", "where grad() captures it"],
    ),
    (
        "autograd_grad_allow_unused",
        """
        import torch
        x = torch.tensor(3.0, requires_grad=True)
        z = torch.tensor(1.0, requires_grad=True)
        y = x * 2
        gx, gz = torch.autograd.grad(y, [x, z], allow_unused=True)
        """,
        ["None for z", "∂y/∂z = None", "∂y/∂x = 2"],
    ),
    (
        "second_derivative",
        """
        import torch
        x = torch.tensor(2.0, requires_grad=True)
        y = x ** 3
        (g,) = torch.autograd.grad(y, x, create_graph=True)
        (h,) = torch.autograd.grad(g, x)
        """,
        # g = 3x² = 12, h = 6x = 12
        ["as g, with grad_fn", "create_graph=True records the backward pass", "∂g/∂x = 12 as h"],
    ),
    (
        "backward_twice_create_graph",
        """
        import torch
        x = torch.tensor(1.5, requires_grad=True)
        y = torch.sin(x)
        y.backward(create_graph=True)
        g = x.grad
        x.grad = None
        g.backward()
        """,
        # dy/dx = cos(1.5) = 0.07074; d²y/dx² = −sin(1.5) = −0.9975
        ["x.grad = 0.07074", "x.grad = -0.9975"],
    ),
    (
        "hessian_vector_product",
        """
        import torch
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        f = (x ** 3).sum()
        (g,) = torch.autograd.grad(f, x, create_graph=True)
        v = torch.tensor([1.0, 0.0])
        (hv,) = torch.autograd.grad(g, x, grad_outputs=v)
        """,
        # H = diag(6x) = diag(6, 12); Hv = [6, 0]
        ["v = [1, 0]", "∂g/∂x = [6, 0] as hv"],
    ),
    (
        "detach_cuts",
        """
        import torch
        x = torch.tensor(2.0, requires_grad=True)
        y = x * x
        u = y.detach()
        z = u * x
        z.backward()
        """,
        ["no gradient can flow from u back to y", "x.grad = 4"],
    ),
    (
        "no_grad_op_is_cut",
        """
        import torch
        x = torch.tensor(2.0, requires_grad=True)
        with torch.no_grad():
            k = x * 10
        y = x * k
        y.backward()
        """,
        ["Gradient tracking is off here (no_grad)", "x.grad = 20"],
    ),
    (
        "retain_graph_twice",
        """
        import torch
        x = torch.tensor(2.0, requires_grad=True)
        y = x * x
        y.backward(retain_graph=True)
        y.backward()
        """,
        ["retain_graph=True keeps the saved tensors", "4 + 4 = 8"],
    ),
    (
        "closing_print_folds_in",
        """
        import torch
        x = torch.tensor(2.0, requires_grad=True)
        y = x * x
        y.backward()
        print(x.grad == 2 * x)
        """,
        ["No gradient flows through a comparison"],
    ),
    (
        "function_returns_alias",
        """
        import torch
        def f(a):
            b = a * 2
            return b
        a = torch.tensor(1.0, requires_grad=True)
        d = f(a)
        d.backward()
        """,
        ["d.backward() starts the backward pass", "∂d/∂d = 1", "a.grad = 2"],
    ),
    (
        "expression_names_for_intermediates",
        """
        import torch
        x = torch.tensor(1.0, requires_grad=True)
        loss = ((x * 3) + 1) ** 2
        loss.backward()
        """,
        ["loss = ((x × 3) + 1) ** 2", "∂loss/∂((x × 3) + 1)", "x.grad = 24"],
    ),
    (
        "pow_with_exponent_value",
        """
        import torch
        x = torch.tensor(3.0, requires_grad=True)
        y = x ** 4
        y.backward()
        """,
        # 4·3³ = 108
        ["∂y/∂x = ∂y/∂y · 4·x^(4 − 1)", "= 1 · 108", "x.grad = 108"],
    ),
    (
        "optimizer_sgd_step",
        """
        import torch
        w = torch.tensor(1.0, requires_grad=True)
        opt = torch.optim.SGD([w], lr=0.1)
        loss = (w * 2 - 5) ** 2
        opt.zero_grad()
        loss.backward()
        opt.step()
        """,
        # ∂loss/∂w = 4(2w − 5) = −12 → w = 1 − 0.1·(−12) = 2.2
        ["SGD updates w in place", "g = w.grad = -12", "w ← w − lr·g = 1 − 0.1 · -12 = 2.2"],
    ),
    (
        "optimizer_adam_buffers",
        """
        import torch
        w = torch.tensor([1.0, -1.0], requires_grad=True)
        opt = torch.optim.Adam([w], lr=0.1)
        (w * w).sum().backward()
        opt.step()
        """,
        # first Adam step moves each weight by lr against its gradient's sign
        [
            "Adam updates w in place at step t = 1",
            "m ← β₁·m + (1 − β₁)·g = 0.9 · 0 + (1 − 0.9) · 2 = 0.2",
            "w: [1, -1] → [0.9, -0.9]",
        ],
    ),
    (
        "where_selects",
        """
        import torch
        x = torch.tensor([-1.0, 2.0], requires_grad=True)
        y = torch.where(x > 0, x * 3, x * 0.5).sum()
        y.backward()
        """,
        ["x.grad = [0.5, 3]"],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_story_says(case):
    _, script, fragments = case
    story, _, _ = record_story(script)
    all_text = "\n".join(texts(story))
    squeezed = re.sub(r"[ \t]+", "", all_text)  # spacing around · is the registry's choice
    for fragment in fragments:
        assert re.sub(r"\s+", "", fragment) in squeezed, f"missing {fragment!r} in:\n{all_text}"
    # Never the old clash of letters: "with a = z".
    assert not re.search(r"with [a-z] = [a-z]\b", all_text)


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40


def test_create_graph_draws_the_second_graph():
    story, _, _ = record_story(dict((c[0], c[1]) for c in CASES)["second_derivative"])
    first, second = story.episodes
    roles = {n.title: n.role for n in second.nodes}
    g_box = next(n for n in second.nodes if n.subtitle.startswith("g = "))
    assert g_box.role == "grad_fn"  # g has a grad_fn: it is not drawn as a leaf
    assert "AccumulateGrad" in roles and roles.get("x") == "leaf"
    assert not any(n.title == "g" and n.role == "leaf" for n in second.nodes)
    # The ops the first backward ran appear in the first episode, during its backward.
    backward_ops = [
        s for s in story.steps[first.backward_step : first.last_step + 1] if s.kind == "op"
    ]
    assert backward_ops and all(s.phase == "backward" for s in backward_ops)
    # grad() never claims to accumulate.
    assert not steps(story, "accumulate")


def test_grad_call_leaves_dot_grad_none_on_screen():
    story, _, _ = record_story(dict((c[0], c[1]) for c in CASES)["autograd_grad_returns"])
    player = Player(story)
    x = nodes(story)["x"]
    assert player.state(story.default_step)[x.id]["grad"] == "None"


def test_freed_buffers_are_a_badge_not_a_halo():
    story, _, _ = record_story(dict((c[0], c[1]) for c in CASES)["sigmoid_chain_rule"])
    last = story.steps[-1]
    assert last.kind == "free"
    assert last.focus == ()
    scene = Player(story).scene(last.index)
    freed = [b for b in scene.boxes if "freed" in b.badges]
    assert {b.title for b in freed} == {"PowBackward0", "SigmoidBackward0"}
    assert all(b.state != "active" for b in freed)


def test_comparisons_and_loop_tests_are_muted():
    story, _, _ = record_story(
        """
        import torch
        a = torch.tensor(0.5, requires_grad=True)
        b = a * 2
        while b.norm() < 10:
            b = b * 2
        b.backward()
        print(a.grad > 0)
        """
    )
    muted = {n.title for n in story.episodes[0].nodes if n.muted}
    live = {n.title for n in story.episodes[0].nodes if not n.muted}
    assert "lt" in muted and "LinalgVectorNormBackward0" in muted and "gt" in muted
    assert {"MulBackward0", "AccumulateGrad", "a", "seed"} <= live


def test_default_step_is_the_end_of_the_last_backward():
    story, _, _ = record_story(dict((c[0], c[1]) for c in CASES)["closing_print_folds_in"])
    assert len(story.episodes) == 1
    ep = story.episodes[0]
    # The closing print's comparison is part of the backward episode, after the backward,
    # and the story opens on the gradients, not on that comparison.
    assert story.steps[ep.last_step].phase == "forward"
    assert story.steps[story.default_step].kind == "free"
    assert "x.grad = 4" in story.steps[story.default_step].narration


def test_gradient_argument_is_drawn_as_the_seed_source():
    story, _, _ = record_story(dict((c[0], c[1]) for c in CASES)["gradient_argument"])
    ep = story.episodes[0]
    seed_edges = [e for e in ep.edges if e.kind == "seed"]
    assert len(seed_edges) == 1
    by_id = {n.id: n for n in ep.nodes}
    assert by_id[seed_edges[0].source].title == "v"
    assert by_id[seed_edges[0].target].role == "seed"


def test_zero_d_values_print_as_pytorch_prints_them():
    story, _, _ = record_story(
        """
        import torch
        x = torch.tensor(28.0, requires_grad=True)
        y = x * 1
        y.backward()
        """
    )
    rows = dict(Player(story).details(story.default_step, nodes(story)["x"].id))
    assert rows["value"] in ("tensor(28., requires_grad=True)", "tensor(28.)")
    assert rows["shape"] == "[]"


def test_ops_inside_modules_carry_the_module_path():
    story, _, _ = record_story(
        """
        import torch
        import torch.nn as nn
        model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
        x = torch.ones(4, 2)
        loss = model(x).sum()
        loss.backward()
        """
    )
    text = "\n".join(texts(story))
    # Parameters are named by their path, results inside a module by module and op.
    assert "∂loss/∂model.0.weight" in text and "model.2.bias.grad = " in text
    assert "∂loss/∂model.1.tanh" in text
    modules = {n.title: n.detail.get("module") for n in story.episodes[0].nodes}
    assert modules["TanhBackward0"] == "model.1 (Tanh)"
    assert "model.0 (Linear)" in {n.detail.get("module") for n in story.episodes[0].nodes}
    assert modules["SumBackward0"] is None


def test_loop_iterations_are_numbered_in_episode_titles():
    story, _, _ = record_story(dict((c[0], c[1]) for c in CASES)["training_loop_three_steps"])
    titles = [e.title for e in story.episodes]
    assert titles[0].endswith("loss.backward() · iteration 1")
    assert titles[1].endswith("loss.backward() · iteration 2")
    assert titles[2].endswith("loss.backward() · iteration 3")


def test_with_as_names_do_not_stop_the_story(tmp_path):
    story, _, out = record_story(
        f"""
        import torch
        with open({str(tmp_path / "n.txt")!r}, "w") as f:
            f.write("hi")
        x = torch.tensor(2.0, requires_grad=True)
        y = x * x
        y.backward()
        """
    )
    assert any("x.grad = 4" in s.narration for s in story.steps)


def test_one_line_of_two_in_place_statements_tells_each_its_own() -> None:
    # d2l's `net[0].weight.data.normal_(0, 0.01); net[0].bias.data.fill_(0)`: the first
    # was told with the rest of the line as its operand, and each changed "a tensor".
    from gradviz.core.trace import trace_source

    story = trace_source(
        "import torch\n"
        "w = torch.ones(2, 3)\nb = torch.ones(3)\n"
        "w.data.normal_(0, 0.01); b.data.fill_(0)\n",
        "init.py",
    ).story
    told = [str(s.narration) for s in story.steps if s.kind == "inplace"]
    assert told[0].startswith("w.data.normal_(0, 0.01) updates w.data in place (normal_(0, 0.01))")
    assert told[1].startswith("b.data.fill_(0) updates b.data in place (fill_(0)): b.data is now")
