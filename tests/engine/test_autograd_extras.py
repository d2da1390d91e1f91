"""The rest of torch.autograd (functional vjp/jvp/hvp/vhp, saved-tensor hooks, multi-grad
and post-accumulate hooks, once_differentiable, profiler, anomaly mode) and the custom
Function fixes, each snippet run on the engine and on PyTorch with the same printed output."""

from __future__ import annotations

import contextlib
import io
import re
import warnings

import pytest

import engine
from gradviz.core.torch_alias import torch_is_engine

torch = pytest.importorskip(
    "torch", reason="PyTorch 2.13 is the parity reference: pip install torch==2.13.0"
)

FUNCTIONAL = """
from torch.autograd.functional import vjp, jvp, hvp, vhp, jacobian, hessian
def f(x): return (x ** 3).sum()
def g(x, y): return x * y.exp(), (x + y).sum()
x = torch.tensor([1., 2.], dtype=torch.float64); y = torch.tensor([0.5, -1.], dtype=torch.float64)
v = torch.tensor([1., 0.5], dtype=torch.float64)
print(vjp(f, x))
print(vjp(g, (x, y), (v, torch.tensor(2., dtype=torch.float64))))
print(jvp(g, (x, y), (v, v)))
print(hvp(f, x, v))
print(vhp(f, x, v))
print(hvp(lambda a, b: (a * b ** 2).sum(), (x, y), (v, v)))
print(vjp(lambda a, b: a * 2, (x, y), v))
print(jacobian(g, (x, y)))
print(hessian(f, x))
o, r = hvp(f, x.requires_grad_(), v, create_graph=True); print(o, r)
for bad in (lambda: vjp(lambda a: a * 2, x), lambda: vjp(lambda a, b: a * 2, (x, y), v, strict=True)):
    try:
        bad()
    except RuntimeError as e:
        print(e)
"""

FUNCTIONS_AND_HOOKS = r"""
import torch.autograd.graph
x = torch.tensor([1.,2.], dtype=torch.float64, requires_grad=True)
print(torch.autograd.gradgradcheck(lambda x: x**2, (x,)),
      torch.autograd.gradgradcheck(lambda x: (x*x.sin()).sum(), (x,)))
class F(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a):
        return a*2, a*3
    @staticmethod
    def backward(ctx, g1, g2):
        return g1*2 + g2*3
a = torch.ones(2, requires_grad=True)
u, v = F.apply(a); print(u, v, u.grad_fn.name(), u.grad_fn is v.grad_fn, v.output_nr); (u+v).sum().backward(); print(a.grad)
u, v = F.apply(a); u.sum().backward(); print(a.grad)
print(repr(u.grad_fn)[:40])
class D(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a):
        a.mul_(2); ctx.mark_dirty(a); return a
    @staticmethod
    def backward(ctx, g): return g*2
b = torch.ones(2, requires_grad=True).clone()
c = D.apply(b); print(c is b, c, b.grad_fn.name(), b._version)
class N(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a):
        n = a.numpy(); return torch.tensor(n*2)
    @staticmethod
    def backward(ctx, g): return g*2
r = N.apply(torch.ones(2, requires_grad=True)); print(r)
class O(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, k):
        ctx.k = k
        return a*k, torch.tensor([1,2])
    @staticmethod
    def backward(ctx, g, g2):
        print("g2", g2)
        return g*ctx.k, None
p, q = O.apply(a, 3.0); print(p, q, q.requires_grad); p.sum().backward()
class M(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a):
        ctx.set_materialize_grads(False)
        return a*2, a*3
    @staticmethod
    def backward(ctx, g1, g2):
        print("mat", g1, g2)
        return g1*2
u,v = M.apply(a); u.sum().backward()
class Bad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, k): return a * k
    @staticmethod
    def backward(ctx, g): return g
try: Bad.apply(a, 2.0).sum().backward()
except Exception as e: print(repr(e))
class SC(torch.autograd.Function):
    @staticmethod
    def forward(x, k): return x * k
    @staticmethod
    def setup_context(ctx, inputs, output):
        x, k = inputs; ctx.k = k
    @staticmethod
    def backward(ctx, g): return g * ctx.k, None
a.grad = None; SC.apply(a, 5.0).sum().backward(); print(a.grad)
t = torch.tensor(12.)
print(f"{t}", f"{t:.2f}", f"{torch.tensor(3)}", "{}".format(torch.tensor([1.,2.])), f"{(a*2).sum()}")
try: print(f"{torch.ones(2):.2f}")
except Exception as e: print(repr(e))
y = a.exp(); print(y is y.grad_fn._saved_result, y.grad_fn._saved_result, y.grad_fn._saved_result is y.grad_fn._saved_result)
z = a*a; print(a is z.grad_fn._saved_self)
def pack(x): print("pack", x.shape); return x*1
def unpack(x): print("unpack"); return x
with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
    y = a * a
a.grad=None; y.sum().backward(); print(a.grad)
x1 = torch.ones(2, requires_grad=True); x2 = torch.ones(2, requires_grad=True)
h = torch.autograd.graph.register_multi_grad_hook((x1, x2), lambda gs: print("multi", gs))
(x1*2).sum().backward()
(x1*2+x2).sum().backward()
h.remove()
(x1*2+x2).sum().backward()
h2 = torch.autograd.graph.register_multi_grad_hook((x1, x2), lambda g: print("any", g), mode="any")
(x1*2+x2).sum().backward()
h2.remove()
x1.register_post_accumulate_grad_hook(lambda t: print("post", t.grad))
(x1*3).sum().backward()
try: (x1*2).register_post_accumulate_grad_hook(print)
except Exception as e: print(repr(e))
from torch.autograd.function import once_differentiable
class S(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x): ctx.save_for_backward(x); return x**2
    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        x, = ctx.saved_tensors; return 2*x*g
x = torch.tensor([3.], requires_grad=True)
y = S.apply(x); gx, = torch.autograd.grad(y, x, create_graph=True); print(gx, gx.grad_fn)
y = S.apply(x); gx, = torch.autograd.grad(y, x, grad_outputs=torch.ones(1, requires_grad=True), create_graph=True); print(gx.requires_grad)
try: gx.sum().backward()
except Exception as e: print(repr(e))
"""  # noqa: E501

FUNCTIONS_AND_HOOKS += """
class S2(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x): ctx.save_for_backward(x); return x ** 2
    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        x, = ctx.saved_tensors; return 2 * x * g
x = torch.tensor([3.], requires_grad=True)
y = S2.apply(x); gx, = torch.autograd.grad(y, x, create_graph=True); print(gx, gx.grad_fn)
y = S2.apply(x)
gx, = torch.autograd.grad(y, x, grad_outputs=torch.ones(1, requires_grad=True), create_graph=True)
try:
    gx.sum().backward()
except RuntimeError as e:
    print(e)
"""

PROFILER_AND_ANOMALY = """
# An empty profile prints the same in both; with ops inside, torch's table holds timings.
with torch.autograd.profiler.profile() as prof:
    pass
print(repr(prof.key_averages().table(sort_by="self_cpu_time_total")), repr(str(prof)))
print(torch.is_anomaly_enabled())
with torch.autograd.detect_anomaly():
    print(torch.is_anomaly_enabled())
    a = torch.tensor([0.0, 1.0], requires_grad=True)
    try:
        (a.sqrt() * 0).sum().backward()
        print(a.grad)
        b = torch.tensor([-1.0], requires_grad=True)
        b.sqrt().sum().backward()
    except RuntimeError as e:
        print(e)
print(torch.is_anomaly_enabled())
torch.autograd.set_detect_anomaly(True)
print(torch.is_anomaly_enabled())
torch.autograd.set_detect_anomaly(False)
print(torch.is_anomaly_enabled())
"""

RAW_SAVED_HOOKS = """
x = torch.tensor([1., 2., 3.], requires_grad=True)
y = x.pow(2)
seen = []
y.grad_fn._raw_saved_self.register_hooks(lambda t: (seen.append("pack"), t * 1)[1],
                                         lambda t: (seen.append("unpack"), t)[1])
print(seen, y.grad_fn._saved_self)
y.sum().backward()
print(seen, x.grad)
"""

GRAPH_HELPERS = """
a = torch.ones(2, requires_grad=True)
with torch.autograd.graph.save_on_cpu():
    y = a * a
y.sum().backward()
print(a.grad)
b = torch.ones(2, requires_grad=True)
z = b.exp()
torch.autograd.graph.increment_version(z)
try:
    z.sum().backward()
except RuntimeError as e:
    print(e)
"""

HOOK_ORDER = """
x1 = torch.ones(2, requires_grad=True)
x2 = torch.ones(2, requires_grad=True)
h = torch.autograd.graph.register_multi_grad_hook((x1, x2), lambda gs: print("multi", gs))
x1.register_post_accumulate_grad_hook(lambda t: print("post x1"))
x2.register_post_accumulate_grad_hook(lambda t: print("post x2"))
(x1 * 2).sum().backward()
(x1 * 2 + x2 * 3).sum().backward()
y = x1 * x2
y.register_hook(lambda g: print("y hook"))
y.sum().backward()
"""

SNIPPETS = {
    "graph_helpers": GRAPH_HELPERS,
    "hook_order": HOOK_ORDER,
    "raw_saved_hooks": RAW_SAVED_HOOKS,
    "functional": FUNCTIONAL,
    "functions_and_hooks": FUNCTIONS_AND_HOOKS,
    "profiler_and_anomaly": PROFILER_AND_ANOMALY,
}


def _run(lib, code: str) -> str:
    out = io.StringIO()
    alias = torch_is_engine() if lib is engine else contextlib.nullcontext()
    with alias, contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(code, {"torch": lib})  # noqa: S102
    return re.sub(r"object at 0x[0-9a-f]+", "object at 0x…", out.getvalue())


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_prints_as_torch(name: str):
    mine, theirs = _run(engine, SNIPPETS[name]), _run(torch, SNIPPETS[name])
    assert mine.splitlines() == theirs.splitlines()


def test_gradgradcheck_passes_on_simple_functions():
    x = engine.tensor([1.0, 2.0], dtype=engine.float64, requires_grad=True)
    assert engine.autograd.gradgradcheck(lambda t: t**2, (x,))
    assert engine.autograd.gradgradcheck(lambda t: (t * t.sin()).sum(), (x,))


def test_gradgradcheck_catches_a_wrong_second_derivative():
    class Wrong(engine.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return t**3

        @staticmethod
        def backward(ctx, g):
            (t,) = ctx.saved_tensors
            return g * 3 * t * t.detach()  # cuts one path of the second derivative

    x = engine.tensor([1.0, 2.0], dtype=engine.float64, requires_grad=True)
    assert engine.autograd.gradcheck(Wrong.apply, (x,))
    assert not engine.autograd.gradgradcheck(Wrong.apply, (x,), raise_exception=False)


def test_detect_anomaly_warns():
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        with engine.autograd.detect_anomaly():
            pass
