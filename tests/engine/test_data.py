"""engine.utils.data against torch.utils.data: batches, lengths, collation, and seeded
shuffling and splitting."""

from __future__ import annotations

import numpy as np
import pytest
from parity import to_numpy

import engine

torch = pytest.importorskip(
    "torch", reason="PyTorch 2.13 is the parity reference: pip install torch==2.13.0"
)


def _dataset(lib, n: int = 10):
    x = lib.arange(n * 3, dtype=lib.float32).reshape(n, 3)
    y = lib.tensor([i % 3 for i in range(n)])
    return lib.utils.data.TensorDataset(x, y)


def _batches(loader) -> list:
    out = []
    for batch in loader:
        assert isinstance(batch, list)
        out.append([(str(t.dtype), to_numpy(t).tolist()) for t in batch])
    return out


@pytest.mark.parametrize(
    ("batch_size", "drop_last"),
    [(1, False), (3, False), (3, True), (4, True), (10, False), (16, True)],
)
def test_sequential_batches_match_torch(batch_size: int, drop_last: bool):
    mine = engine.utils.data.DataLoader(
        _dataset(engine), batch_size=batch_size, drop_last=drop_last
    )
    theirs = torch.utils.data.DataLoader(
        _dataset(torch), batch_size=batch_size, drop_last=drop_last
    )
    assert len(mine) == len(theirs)
    assert _batches(mine) == _batches(theirs)


def test_tensor_dataset_indexing_and_errors():
    ds = _dataset(engine)
    assert len(ds) == 10
    x, y = ds[4]
    assert x.tolist() == [12.0, 13.0, 14.0] and y.item() == 1
    with pytest.raises(ValueError, match="Size mismatch between tensors"):
        engine.utils.data.TensorDataset(engine.zeros(3), engine.zeros(4))


class Squares:
    """A map-style dataset of (float, int, dict) samples: collation of Python values."""

    def __init__(self, lib):
        self.lib = lib

    def __len__(self) -> int:
        return 5

    def __getitem__(self, i: int):
        return {"x": float(i) / 2, "n": i * i, "t": self.lib.tensor([i, -i])}


def test_default_collate_of_python_values_matches_torch():
    mine = engine.utils.data.DataLoader(Squares(engine), batch_size=2)
    theirs = torch.utils.data.DataLoader(Squares(torch), batch_size=2)
    for a, b in zip(mine, theirs):
        assert list(a) == list(b)
        for k in a:
            assert str(a[k].dtype) == str(b[k].dtype)
            assert to_numpy(a[k]).tolist() == to_numpy(b[k]).tolist()


def test_shuffle_visits_every_row_once():
    loader = engine.utils.data.DataLoader(_dataset(engine, 23), batch_size=5, shuffle=True)
    assert [len(y) for _, y in loader] == [5, 5, 5, 5, 3]
    seen = sorted(int(x[0].item()) // 3 for xb, _ in loader for x in xb)
    assert seen == list(range(23))


def _randperm_gap() -> str | None:
    if not hasattr(engine, "randperm") or not hasattr(engine.Tensor, "random_"):
        return "engine lacks torch's randperm/random_"
    engine.manual_seed(5)
    torch.manual_seed(5)
    mine = engine.randperm(50).tolist() + [engine.empty((), dtype=engine.int64).random_().item()]
    theirs = torch.randperm(50).tolist() + [torch.empty((), dtype=torch.int64).random_().item()]
    return None if mine == theirs else "engine's randperm/random_ do not reproduce torch's yet"


def test_seeded_shuffle_matches_torch():
    gap = _randperm_gap()
    if gap:
        pytest.skip(gap)
    orders = {}
    for lib in (engine, torch):
        lib.manual_seed(0)
        loader = lib.utils.data.DataLoader(_dataset(lib, 37), batch_size=8, shuffle=True)
        epochs = [_batches(loader) for _ in range(2)]
        orders[lib.__name__] = (epochs, lib.rand(3).tolist())  # and the global stream after
    assert orders["engine"] == orders["torch"]


def test_random_split_matches_torch():
    gap = _randperm_gap()
    if gap:
        pytest.skip(gap)
    splits = {}
    for lib in (engine, torch):
        lib.manual_seed(1)
        parts = lib.utils.data.random_split(_dataset(lib, 11), [0.5, 0.3, 0.2])
        splits[lib.__name__] = [list(p.indices) for p in parts] + [lib.randn(2).tolist()]
    assert splits["engine"] == splits["torch"]


def test_random_split_lengths_and_subset():
    parts = engine.utils.data.random_split(_dataset(engine, 10), [7, 3])
    assert [len(p) for p in parts] == [7, 3]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    x, _ = parts[1][0]
    assert x.tolist()[0] == 3 * parts[1].indices[0]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        engine.utils.data.random_split(_dataset(engine, 10), [5, 4])
    batches = list(engine.utils.data.DataLoader(parts[0], batch_size=4))
    assert [len(b[0]) for b in batches] == [4, 3]


def test_loader_feeds_a_training_loop():
    ds = _dataset(engine, 12)
    model = engine.nn.Linear(3, 3)
    opt = engine.optim.SGD(model.parameters(), lr=1e-3)
    loss_fn = engine.nn.CrossEntropyLoss()
    losses = []
    for x, y in engine.utils.data.DataLoader(ds, batch_size=4, shuffle=True):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert len(losses) == 3 and all(np.isfinite(losses))
