"""The older API tutorials still use (Variable, FloatTensor & co, the Tensor constructor,
.type(), .data) and torch's small top-level items, side by side with PyTorch: each snippet
runs on both and must print the same."""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pytest

import engine
from gradviz.core.torch_alias import torch_is_engine

torch = pytest.importorskip(
    "torch", reason="PyTorch 2.13 is the parity reference: pip install torch==2.13.0"
)

SNIPPETS = {
    "variable": """
from torch.autograd import Variable
v = Variable(torch.ones(2), requires_grad=True)
print(type(v), v, v.is_leaf, isinstance(v, Variable), isinstance(torch.ones(1), Variable))
w = Variable(torch.ones(2))
print(w.requires_grad, Variable(v.data) is v)
(v * 2).sum().backward()
print(v.grad, torch.autograd.Variable)
""",
    "tensortypes": """
x = torch.FloatTensor([1, 2])
print(x, type(x), isinstance(x, torch.FloatTensor), isinstance(x, torch.Tensor))
print(isinstance(torch.ones(2, dtype=torch.float64), torch.FloatTensor))
print(torch.FloatTensor(2, 3).shape, torch.LongTensor([1.5, 2]), torch.DoubleTensor(2).dtype)
print(torch.BoolTensor([1, 0]), torch.IntTensor([1]), torch.LongTensor(torch.Size([2])).shape)
print(torch.FloatTensor, type(torch.FloatTensor), torch.FloatTensor.dtype)
print(torch.LongTensor(torch.tensor([3, 4])))
""",
    "tensor_constructor": """
print(torch.Tensor([1, 2]), torch.Tensor(2, 3).shape, torch.Tensor(), torch.Tensor((1, 2)))
print(torch.Tensor(torch.Size([2, 1])).shape, torch.Tensor([[1, 2], [3, 4]]))
a = torch.ones(2)
b = torch.Tensor(a)
b[0] = 5
print(a, b is a, torch.Tensor(torch.ones(2, dtype=torch.float64)).dtype)
print(torch.Tensor(np.array([1, 2])), type(torch.ones(1)), torch.Tensor)
""",
    "type": """
print(torch.ones(2).type(), torch.ones(2, dtype=torch.bool).type(), torch.arange(2).type())
print(torch.ones(2).type('torch.DoubleTensor'), torch.ones(2).type(torch.LongTensor))
print(torch.ones(2).type(torch.int32), torch.ones(2).type(dtype=torch.float64))
""",
    "data": """
x = torch.ones(2, requires_grad=True)
d = x.data
print(d.requires_grad, d.is_leaf, d._version, x._version)
d.mul_(2)
print(x, x._version, d._version)
x.data = torch.zeros(2)
print(x)
""",
    "format": """
t = torch.tensor(12.)
print(f"{t}", f"{t:.2f}", f"{torch.tensor(3)}", "{}".format(torch.tensor([1., 2.])))
x = torch.ones(2, requires_grad=True)
print(f"{(x * 2).sum()}", "loss: {:.4f}".format((x * 3).mean()), f"{torch.tensor(True)}")
""",
    "small_items": """
v = torch.tensor([1., float('inf'), float('-inf'), float('nan')])
print(torch.isfinite(v), torch.isinf(v), torch.isnan(v), v.isfinite(), v.isinf())
print(torch.isposinf(v), torch.isneginf(v))
print(torch.cuda.is_available(), torch.cuda.device_count(), torch.backends.mps.is_available())
torch.set_default_device("cpu")
print(torch.__version__, torch.get_default_device())
print(torch.matmul(input=torch.ones(2), other=torch.ones(2)))
print(torch.add(input=torch.ones(2), other=torch.ones(2), alpha=3), torch.mul(torch.ones(2), other=2))
print(torch.pow(torch.ones(2) * 2, exponent=3), torch.mm(input=torch.ones(1, 2), mat2=torch.ones(2, 1)))
""",
    "indexing_ops": """
a = torch.arange(12.).reshape(3, 4).requires_grad_()
y = a.index_select(0, torch.tensor([0, 2, 0]))
m = torch.tensor([True, False, True, False])
z = a.masked_fill(m, 0.) * 2 + a.gather(1, torch.tensor([[0, 1, 2, 3]] * 3))
s = a.masked_select(m)
print(y, z, s, torch.index_select(a, 1, torch.tensor([3, 0])))
(y.sum() + z.sum() + s.sum()).backward()
print(a.grad)
b = torch.zeros(3, 5)
b.scatter_(1, torch.tensor([[0, 1], [2, 3], [4, 0]]), 1.0)
print(b, a.narrow(0, 1, 2).grad_fn, a.masked_fill(m, 0.).grad_fn.name())
c = a * 1
c.masked_fill_(m, -1.0)
print(c, c.grad_fn)
""",
    "setitem_with_grad": """
x = torch.tensor([1., 2., 3.], requires_grad=True)
safe = torch.zeros_like(x)
mask = x > 1
safe[mask] = x[mask] * 2
print(safe, safe.grad_fn.name())
safe.sum().backward()
print(x.grad)
y = x * 1
y[0] = 10.0
(y * y).sum().backward()
print(x.grad, y._version)
try:
    x[0] = 1.0
except RuntimeError as e:
    print(e)
""",
    "inplace_math": """
t = torch.tensor(1., requires_grad=True).sin()
t.cos_()
print(t, t.grad_fn)
u = torch.tensor([0.5, 2.0]).clone()
print(u.sqrt_(), u.log_(), u.abs_(), u.tanh_(), u.sigmoid_(), u.sin_())
""",
    "save_load_accelerator": """
import io
buf = io.BytesIO()
torch.save({"w": torch.arange(3.), "n": 2}, buf)
buf.seek(0)
print(torch.load(buf))
print(torch.accelerator.is_available(), torch.accelerator.current_accelerator())
""",
    "new_helpers": """
torch.set_default_tensor_type('torch.DoubleTensor')
print(torch.ones(1).dtype)
torch.set_default_tensor_type(torch.FloatTensor)
print(torch.ones(1).dtype)
x = torch.tensor([[1., 0.], [0., 3.]], requires_grad=True)
print(x.new_tensor([1, 2]), x.new_zeros(2, 3), x.new_ones((2,)), x.new_full((2,), 7))
print(x.new_empty(0).shape, x.new_zeros(2, dtype=torch.int64), x.new_tensor([1.]).requires_grad)
print(x.get_device(), x.nonzero(), torch.nonzero(x), x.nonzero(as_tuple=True))
for bad in (lambda: x.cuda(), lambda: torch.set_default_tensor_type('torch.LongTensor')):
    try:
        bad()
    except (AssertionError, TypeError) as e:
        print(type(e).__name__, e)
""",
}


def _run(lib, code: str) -> str:
    """Run `code` with `import torch` (and torch.X) resolving to `lib`, as the app does."""
    out = io.StringIO()
    ns = {"torch": lib, "np": np}
    alias = torch_is_engine() if lib is engine else contextlib.nullcontext()
    with alias, contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(code, ns)  # noqa: S102
    return out.getvalue()


def _mask_addresses(text: str) -> str:
    import re

    return re.sub(r"object at 0x[0-9a-f]+", "object at 0x…", text)


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_prints_as_torch(name: str):
    code = SNIPPETS[name]
    assert _mask_addresses(_run(engine, code)) == _mask_addresses(_run(torch, code))


def test_old_helpers_warn_as_torch():
    x = engine.ones(2)
    with pytest.warns(UserWarning, match="To copy construct from a tensor"):
        x.new_tensor(x)
    engine._compat._warned.discard("set_default_tensor_type")
    with pytest.warns(UserWarning, match=r"set_default_tensor_type\(\) is deprecated"):
        engine.set_default_tensor_type("torch.FloatTensor")


def test_volatile_warns_as_torch():
    for lib in (engine, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.autograd.Variable(lib.ones(1), volatile=True)
        assert [str(w.message) for w in caught] == [
            "volatile was removed and now has no effect. Use `with torch.no_grad():` instead."
        ]


@pytest.mark.parametrize(
    "code",
    [
        "torch.FloatTensor([1.0], requires_grad=True)",
        "torch.Tensor(2.5)",
        "torch.ones(2).type('torch.Foo')",
        "format(torch.ones(2), '.2f')",
        "torch.LongTensor(torch.ones(2))",
    ],
)
def test_errors_are_the_same_kind(code: str):
    kinds = []
    for lib in (engine, torch):
        try:
            eval(code, {"torch": lib})  # noqa: S307
        except Exception as err:  # noqa: BLE001 - comparing which error torch raises
            kinds.append(type(err).__name__)
        else:
            kinds.append(None)
    assert kinds[0] == kinds[1] and kinds[0] is not None


def test_missing_attribute_speaks_of_torch():
    with pytest.raises(AttributeError, match="module 'torch' has no attribute 'no_such_thing'"):
        engine.no_such_thing  # noqa: B018
    with pytest.raises(AttributeError, match="module 'torch.autograd' has no attribute 'nope'"):
        engine.autograd.nope  # noqa: B018
    assert "engine" not in engine.__version__


# Every module a learner imports from torch names itself as torch's in its errors.
LEARNER_MODULES = [
    "torch.nn",
    "torch.nn.functional",
    "torch.optim",
    "torch.optim.lr_scheduler",
    "torch.nn.init",
    "torch.utils",
    "torch.utils.data",
]


@pytest.mark.parametrize("name", LEARNER_MODULES)
def test_a_missing_attribute_of_a_submodule_speaks_of_torch(name):
    import importlib

    module = importlib.import_module("engine" + name[len("torch") :])
    with pytest.raises(AttributeError, match=f"^module '{name}' has no attribute 'nope'$"):
        module.nope  # noqa: B018
    assert not hasattr(module, "__nope__")


def test_saved_result_is_a_new_tensor_on_the_same_data():
    x = engine.ones(3, requires_grad=True)
    y = x.exp()
    saved = y.grad_fn._saved_result
    assert saved is not y
    assert saved is not y.grad_fn._saved_result
    assert saved.grad_fn is y.grad_fn
    assert np.shares_memory(saved.numpy(force=True), y.numpy(force=True))
    z = x * x
    assert z.grad_fn._saved_self is x  # inputs come back as themselves, as in torch
