"""The engine's random numbers are PyTorch's, bit for bit.

Each test runs one program on the engine and on torch 2.13 from the same seed and compares
the raw bits of every tensor drawn: the two must consume torch's mt19937 stream in the same
order and transform it with the same rounding (rand's 24/53 bits, randn's size-dependent
Box-Muller paths and cached normals, randint's 32/64-bit words, randperm's swaps, ...).
"""

from __future__ import annotations

import numpy as np
import pytest

import engine

torch = pytest.importorskip(
    "torch", reason="PyTorch 2.13 is the parity reference: pip install torch==2.13.0"
)

SEEDS = [0, 1, 42, 2**31 + 5]
SIZES = [1, 15, 16, 17, 1000, (7, 9)]  # the normal kernel changes path at 16 elements
FLOATS = ["float32", "float64"]


def _bits(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    if a.dtype.kind == "f":
        return a.view(np.uint32 if a.itemsize == 4 else np.uint64)
    return a


def assert_same(mine, theirs) -> None:
    """Same dtype, shape and bits (so -0.0 and 0.0 differ, as do NaN payloads)."""
    if isinstance(mine, (list, tuple)):
        assert len(mine) == len(theirs)
        for m, t in zip(mine, theirs):
            assert_same(m, t)
        return
    if not isinstance(mine, engine.Tensor):
        assert mine == theirs
        return
    x, y = mine.detach().numpy(), theirs.detach().numpy()
    assert str(mine.dtype) == str(theirs.dtype)
    assert x.shape == y.shape
    bad = np.flatnonzero(_bits(x).ravel() != _bits(y).ravel())
    assert bad.size == 0, (
        f"{bad.size} of {x.size} differ, first at {bad[0]}: {x.ravel()[bad[0]]!r} vs {y.ravel()[bad[0]]!r}"
    )


def both(program, seed: int) -> None:
    results = []
    for T in (engine, torch):
        T.manual_seed(seed)
        results.append(program(T))
    assert_same(*results)


def _size(size) -> tuple:
    return size if isinstance(size, tuple) else (size,)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", FLOATS)
def test_rand_randn_and_their_in_place_forms(seed, size, dtype):
    def program(T):
        d = getattr(T, dtype)
        shape = _size(size)
        return [
            T.rand(*shape, dtype=d),
            T.randn(shape, dtype=d),
            T.empty(shape, dtype=d).uniform_(-0.37, 0.81),
            T.empty(shape, dtype=d).normal_(0.3, 1.7),
            T.normal(2.0, 3.0, size=shape, dtype=d),
        ]

    both(program, seed)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("size", SIZES)
def test_randint_randperm_and_random_(seed, size):
    def program(T):
        shape = _size(size)
        n = int(np.prod(shape))
        return [
            T.randint(10, shape),
            T.randint(-5, 3, size=shape),
            T.randint(0, 2**40, shape),  # spans of 2**32 and more take 64-bit words
            T.randint(3, 9, shape, dtype=T.float32),
            T.randint(0, 2**33, shape, dtype=T.float64),
            T.randperm(n),
            T.empty(shape, dtype=T.int64).random_(),
            T.empty(shape, dtype=T.int32).random_(),
            T.empty(shape, dtype=T.float32).random_(),
            T.empty(shape, dtype=T.float64).random_(),
            T.empty(shape, dtype=T.bool).random_(),
            T.empty(shape, dtype=T.uint8).random_(),
            T.empty(shape, dtype=T.uint8).random_(3, 200),
            T.empty(shape, dtype=T.int64).random_(7),
            T.empty(shape, dtype=T.int64).random_(-3, 4),
            T.empty(shape, dtype=T.int64).random_(5, None),
            T.empty(shape, dtype=T.int32).random_(5, None),
            T.empty(shape, dtype=T.int64).random_(-(2**63), None),
        ]

    both(program, seed)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", FLOATS)
def test_bernoulli_exponential_and_likes(seed, size, dtype):
    p = np.random.default_rng(5).random(_size(size))

    def program(T):
        d = getattr(T, dtype)
        shape = _size(size)
        probs = T.tensor(p, dtype=d)
        return [
            T.empty(shape, dtype=d).bernoulli_(0.3),
            T.empty(shape, dtype=d).bernoulli_(probs),
            T.empty(shape, dtype=T.bool).bernoulli_(0.7),
            T.bernoulli(probs),
            T.bernoulli(probs, 0.25),
            probs.bernoulli(),
            T.empty(shape, dtype=d).exponential_(1.5),
            T.rand_like(probs),
            T.randn_like(probs),
            T.randint_like(probs, 4),
            T.randint_like(probs, -2, 9),
        ]

    both(program, seed)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dtype", FLOATS)
def test_normal_with_tensor_arguments(seed, dtype):
    def program(T):
        d = getattr(T, dtype)
        mean = T.arange(20, dtype=d) / 4
        std = T.arange(1, 21, dtype=d) / 8
        return [
            T.normal(mean, std),
            T.normal(mean, 0.5),
            T.normal(1.5, std),
            T.normal(mean[:5], std[:5]),  # under 16: the scalar path
            T.normal(mean.reshape(4, 5), std[:5]),  # broadcast
        ]

    both(program, seed)


@pytest.mark.parametrize("seed", [17, 28])
def test_randn_float32_halfway_roundings(seed):
    # In these streams a float32 FMA of the AVX2 normal kernel lands halfway between two
    # floats when done in float64, so the exact fallback recomputes those blocks.
    both(lambda T: [T.randn(4000), T.randn(4000)], seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_multinomial(seed):
    weights = np.random.default_rng(3).random((4, 9))
    weights[1, 2] = 0.0

    def program(T):
        w = T.tensor(weights, dtype=T.float32)
        w64 = T.tensor(weights, dtype=T.float64)
        return [
            T.multinomial(w[0], 1),
            T.multinomial(w, 4),
            T.multinomial(w, 20, replacement=True),
            T.multinomial(w64, 6, replacement=True),
            w64.multinomial(9),
            T.multinomial(w[2], 1, replacement=True),
        ]

    both(program, seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_interleaved_draws_consume_the_stream_like_torch(seed):
    # randn's scalar path caches the second Box-Muller value, even across calls and across
    # dtypes; the block path neither reads nor clears that cache.
    def program(T):
        return [
            T.rand(3),
            T.randn(3),
            T.randint(0, 10, (4,)),
            T.randn(1, dtype=T.float64),
            T.randn(17),
            T.randn(2),
            T.randperm(5),
            T.rand(2, dtype=T.float64),
            T.randn(16, dtype=T.float64),
            T.randn(5),
            T.empty(3).normal_(),
            T.empty(2, 2).uniform_(),
        ]

    both(program, seed)


@pytest.mark.parametrize("dtype", FLOATS)
def test_strided_tensors_fill_in_memory_order(dtype):
    # torch fills a transposed view in memory order; a non-contiguous one takes the scalar
    # normal path at any size.
    def program(T):
        d = getattr(T, dtype)
        a, b, c, e = (T.zeros(5, 7, dtype=d) for _ in range(4))
        a.t().uniform_()
        b.t().normal_()
        c[:, ::2].normal_(1.0, 2.0)
        e.t().bernoulli_(0.5)
        return [a, b, c, e]

    both(program, 7)


def test_generators_are_independent_streams():
    def program(T):
        g = T.Generator().manual_seed(123)
        out = [T.rand(4, generator=g), T.randn(20, generator=g)]
        out.append(T.rand(3))  # the default stream did not move
        out.append(T.randint(0, 100, (5,), generator=g))
        out.append(T.randperm(8, generator=g))
        out.append(T.empty(6).normal_(generator=g))
        out.append(T.empty(6).uniform_(-1, 1, generator=g))
        out.append(T.bernoulli(T.full((6,), 0.5), generator=g))
        out.append(T.multinomial(T.ones(5), 3, generator=g))
        out.append(T.normal(0.0, 1.0, (3,), generator=g))
        out.append(g.initial_seed())
        out.append(T.Generator().initial_seed())  # torch's fixed default seed
        return out

    both(program, 0)


@pytest.mark.parametrize("seed", [0, 2**40 + 3, -1])
def test_rng_state_has_torchs_bytes_and_restores(seed):
    def program(T):
        states = [T.get_rng_state()]
        T.randn(3, dtype=T.float64)  # leaves a cached normal in the state
        states.append(T.get_rng_state())
        T.rand(700)  # past one twist of the 624 words
        states.append(T.get_rng_state())
        saved = T.get_rng_state()
        first = T.randn(5)
        T.set_rng_state(saved)
        again = T.randn(5)
        return [*states, first, again, T.initial_seed()]

    both(program, seed)


def test_state_moves_between_the_libraries():
    torch.manual_seed(9)
    torch.randn(3, dtype=torch.float64)
    engine.set_rng_state(engine.tensor(torch.get_rng_state().numpy(), dtype=engine.uint8))
    assert_same(engine.randn(40), torch.randn(40))
    assert_same(engine.randn(3), torch.randn(3))


def test_seed_and_fork_rng():
    s = engine.seed()
    assert engine.initial_seed() == s
    engine.manual_seed(4)
    with engine.random.fork_rng():
        inside = engine.rand(3)
    after = engine.rand(3)
    assert np.array_equal(inside.numpy(), after.numpy())


def test_errors_match_torch():
    cases = [
        lambda T: T.rand(2, dtype=T.int64),
        lambda T: T.randn(2, dtype=T.int64),
        lambda T: T.randint(5, 5, (3,)),
        lambda T: T.empty(3).bernoulli_(1.5),
        lambda T: T.manual_seed(2**64),
        lambda T: T.randperm(-1),
        lambda T: T.randint(0, 2**31 + 1, (2,), dtype=T.int32),
        lambda T: T.randint(-1, 1, (2,), dtype=T.bool),
        lambda T: T.empty(2, dtype=T.uint8).random_(0, 300),
        lambda T: T.zeros(3).uniform_(2, 1),
        lambda T: T.zeros(3).exponential_(-1),
        lambda T: T.multinomial(T.tensor([1.0, 2.0]), 3),
        lambda T: T.set_rng_state(T.zeros(5, dtype=T.uint8)),
    ]
    for case in cases:
        with pytest.raises(Exception) as theirs:
            case(torch)
        with pytest.raises(type(theirs.value)) as mine:
            case(engine)
        assert str(mine.value) == str(theirs.value)


def test_leaf_requiring_grad_refuses_in_place_sampling_outside_no_grad():
    w = engine.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.normal_()
    with engine.no_grad():
        w.uniform_(-1, 1)
    assert w.requires_grad and w.is_leaf
