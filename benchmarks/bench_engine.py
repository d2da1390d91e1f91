"""Engine speed against PyTorch eager and hand-written numpy, plus the cost of recording.

Run: python benchmarks/bench_engine.py [--quick] [--profile WORKLOAD]

Each workload is one forward and backward pass. Times are medians over many repeats
(timeit-style: each repeat times a batch of calls), and the columns of one row are timed
interleaved, batch by batch, so a busy machine slows them alike. PyTorch runs on 1 thread
for the tiny graphs and 2 for the MLP; the numpy column is the same maths written by hand,
the floor an engine built on numpy can reach. Targets are reported, not asserted.

The objects of the libraries imported here (PyTorch has many) are frozen out of the
garbage collector's view after import: otherwise every full collection triggered by the
engine's allocations would walk PyTorch's heap too, a cost the app (which never imports
PyTorch) does not pay.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import engine  # noqa: E402
from engine._grad_mode import STATE  # noqa: E402

try:
    import torch
except ImportError:  # the torch column is then left empty
    torch = None

CHAIN_LENGTH = 100
CHAIN_SIZE = 1000
BATCH, N_IN, N_HIDDEN, N_OUT = 64, 784, 256, 10

Runner = Callable[[], object]


@dataclass(frozen=True)
class Workload:
    name: str
    torch_threads: int
    target: float  # ours/torch target, reported only
    make: Callable[[object], Runner]  # lib -> one forward+backward
    numpy: Callable[[], Runner]
    number: int  # calls per repeat


# ----- the workloads, written once against the PyTorch API --------------------------------
def dot4(T) -> Runner:
    x = T.arange(4.0, requires_grad=True)

    def run():
        x.grad = None
        y = 2 * T.dot(x, x)
        y.backward()

    return run


def dot4_numpy() -> Runner:
    x = np.arange(4.0, dtype=np.float32)

    def run():
        y = 2 * np.dot(x, x)
        grad = 2 * (x + x)  # d(2 x.x)/dx
        return y, grad

    return run


def q_graph(T) -> Runner:
    a = T.tensor([2.0, 3.0], requires_grad=True)
    b = T.tensor([6.0, 4.0], requires_grad=True)

    def run():
        a.grad = b.grad = None
        q = 3 * a**3 - b**2
        q.sum().backward()

    return run


def q_numpy() -> Runner:
    a = np.array([2.0, 3.0], dtype=np.float32)
    b = np.array([6.0, 4.0], dtype=np.float32)

    def run():
        q = 3 * a**3 - b**2
        total = q.sum()
        ones = np.ones_like(q)
        return total, 9 * a**2 * ones, -2 * b * ones

    return run


def _chain_step(T, y, i: int):
    k = i % 4
    if k == 0:
        return y * 1.001
    if k == 1:
        return y + 0.01
    if k == 2:
        return y.sin()
    return y.tanh()


def chain(T) -> Runner:
    x = T.linspace(-1, 1, CHAIN_SIZE).requires_grad_(True)

    def run():
        x.grad = None
        y = x
        for i in range(CHAIN_LENGTH):
            y = _chain_step(T, y, i)
        y.sum().backward()

    return run


def chain_numpy() -> Runner:
    x = np.linspace(-1, 1, CHAIN_SIZE, dtype=np.float32)

    def run():
        saved, y = [], x
        for i in range(CHAIN_LENGTH):
            k = i % 4
            saved.append(y)
            y = y * np.float32(1.001) if k == 0 else y + np.float32(0.01) if k == 1 else y
            if k == 2:
                y = np.sin(y)
            elif k == 3:
                y = np.tanh(y)
        g = np.ones_like(y)
        for i in reversed(range(CHAIN_LENGTH)):
            k, inp = i % 4, saved[i]
            if k == 0:
                g = g * np.float32(1.001)
            elif k == 2:
                g = g * np.cos(inp)
            elif k == 3:
                t = np.tanh(inp)
                g = g * (1 - t * t)
        return g

    return run


def _mlp_data() -> tuple:
    rng = np.random.default_rng(0)
    f32 = np.float32
    return (
        rng.standard_normal((BATCH, N_IN)).astype(f32),
        (rng.standard_normal((N_IN, N_HIDDEN)) * 0.05).astype(f32),
        np.zeros(N_HIDDEN, f32),
        (rng.standard_normal((N_HIDDEN, N_OUT)) * 0.05).astype(f32),
        np.zeros(N_OUT, f32),
        rng.standard_normal((BATCH, N_OUT)).astype(f32),
    )


def mlp(T) -> Runner:
    xs, w1, b1, w2, b2, target = _mlp_data()
    x, y = T.tensor(xs), T.tensor(target)
    params = [T.tensor(p, requires_grad=True) for p in (w1, b1, w2, b2)]
    W1, B1, W2, B2 = params

    def run():
        for p in params:
            p.grad = None
        h = (x @ W1 + B1).relu()
        out = h @ W2 + B2
        loss = ((out - y) ** 2).mean()
        loss.backward()

    return run


def mlp_numpy() -> Runner:
    x, w1, b1, w2, b2, y = _mlp_data()

    def run():
        pre = x @ w1 + b1
        h = np.maximum(pre, 0)
        out = h @ w2 + b2
        diff = out - y
        loss = (diff * diff).mean()
        g_out = diff * np.float32(2 / diff.size)
        g_w2, g_b2 = h.T @ g_out, g_out.sum(0)
        g_pre = (g_out @ w2.T) * (pre > 0)
        g_w1, g_b1 = x.T @ g_pre, g_pre.sum(0)
        return loss, g_w1, g_b1, g_w2, g_b2

    return run


LOADER_ROWS = 10_000


def _train_data() -> tuple:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((BATCH, N_IN)).astype(np.float32)
    return x, rng.integers(0, N_OUT, BATCH)


def _mlp_train(optimiser: str) -> Callable[[object], Runner]:
    """One tutorial training step: nn.Sequential MLP, CrossEntropyLoss, zero_grad, backward,
    optimiser step."""

    def make(T) -> Runner:
        T.manual_seed(0)
        nn = T.nn
        model = nn.Sequential(nn.Linear(N_IN, N_HIDDEN), nn.ReLU(), nn.Linear(N_HIDDEN, N_OUT))
        opt = (
            T.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
            if optimiser == "sgd"
            else T.optim.Adam(model.parameters(), lr=1e-3)
        )
        loss_fn = nn.CrossEntropyLoss()
        xs, ys = _train_data()
        x, y = T.tensor(xs), T.tensor(ys)

        def run():
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()

        return run

    return make


def _mlp_train_numpy(optimiser: str) -> Callable[[], Runner]:
    def make() -> Runner:
        x, labels = _train_data()
        rng = np.random.default_rng(0)
        f32 = np.float32
        params = [
            rng.uniform(-0.03, 0.03, (N_HIDDEN, N_IN)).astype(f32),
            np.zeros(N_HIDDEN, f32),
            rng.uniform(-0.06, 0.06, (N_OUT, N_HIDDEN)).astype(f32),
            np.zeros(N_OUT, f32),
        ]
        state = [[np.zeros_like(p), np.zeros_like(p)] for p in params]
        onehot = np.eye(N_OUT, dtype=f32)[labels]
        step = [0]

        def run():
            w1, b1, w2, b2 = params
            pre = x @ w1.T + b1
            h = np.maximum(pre, 0)
            logits = h @ w2.T + b2
            z = logits - logits.max(1, keepdims=True)
            logp = z - np.log(np.exp(z).sum(1, keepdims=True))
            loss = -(logp * onehot).sum() / BATCH
            g_logits = (np.exp(logp) - onehot) / f32(BATCH)
            g_w2, g_b2 = g_logits.T @ h, g_logits.sum(0)
            g_pre = (g_logits @ w2) * (pre > 0)
            grads = [g_pre.T @ x, g_pre.sum(0), g_w2, g_b2]
            step[0] += 1
            for p, g, (m, v) in zip(params, grads, state):
                if optimiser == "sgd":
                    m *= f32(0.9)
                    m += g
                    p -= f32(0.01) * m
                else:
                    m += (g - m) * f32(0.1)
                    v *= f32(0.999)
                    v += g * g * f32(0.001)
                    denom = np.sqrt(v) / f32((1 - 0.999 ** step[0]) ** 0.5) + f32(1e-8)
                    p -= f32(1e-3 / (1 - 0.9 ** step[0])) * m / denom
            return loss

        return run

    return make


def _loader_data() -> tuple:
    rng = np.random.default_rng(2)
    return rng.standard_normal((LOADER_ROWS, 32)).astype(np.float32), rng.integers(
        0, 10, LOADER_ROWS
    )


def loader_epoch(T) -> Runner:
    """One shuffled DataLoader epoch over a TensorDataset, batch 64."""
    xs, ys = _loader_data()
    ds = T.utils.data.TensorDataset(T.tensor(xs), T.tensor(ys))
    loader = T.utils.data.DataLoader(ds, batch_size=BATCH, shuffle=True)

    def run():
        for _x, _y in loader:
            pass

    return run


def loader_epoch_numpy() -> Runner:
    xs, ys = _loader_data()
    rng = np.random.default_rng(0)

    def run():
        order = rng.permutation(LOADER_ROWS)
        for i in range(0, LOADER_ROWS, BATCH):
            rows = order[i : i + BATCH]
            xs[rows], ys[rows]

    return run


WORKLOADS = [
    Workload("y = 2*dot(x, x), 4 elements", 1, 1.0, dot4, dot4_numpy, 400),
    Workload("Q = 3*a**3 - b**2; Q.sum().backward()", 1, 1.0, q_graph, q_numpy, 400),
    Workload(f"{CHAIN_LENGTH}-op elementwise chain", 1, 1.5, chain, chain_numpy, 10),
    Workload("MLP 64x784->256->10, MSE", 2, 1.1, mlp, mlp_numpy, 5),
    Workload(
        "nn.Sequential MLP train step, optim.SGD",
        2,
        1.2,
        _mlp_train("sgd"),
        _mlp_train_numpy("sgd"),
        5,
    ),
    Workload(
        "nn.Sequential MLP train step, optim.Adam",
        2,
        1.2,
        _mlp_train("adam"),
        _mlp_train_numpy("adam"),
        5,
    ),
    Workload(
        f"DataLoader epoch, {LOADER_ROWS} rows, batch 64, shuffle",
        1,
        1.5,
        loader_epoch,
        loader_epoch_numpy,
        2,
    ),
]
RECORDING_TARGET = 1.3


# ----- timing ------------------------------------------------------------------------------
def median_times(fns: list[Runner | None], number: int, repeats: int) -> list[float | None]:
    """Median seconds per call of each runner: `repeats` rounds, each timing one batch of
    `number` calls of every runner in turn (after a warm-up)."""
    live = [fn for fn in fns if fn is not None]
    for fn in live:
        for _ in range(max(1, number // 4)):
            fn()
    samples: dict[int, list[float]] = {id(fn): [] for fn in live}
    for _ in range(repeats):
        for fn in live:
            start = time.perf_counter()
            for _ in range(number):
                fn()
            samples[id(fn)].append((time.perf_counter() - start) / number)
    return [None if fn is None else statistics.median(samples[id(fn)]) for fn in fns]


def median_time(fn: Runner, number: int, repeats: int) -> float:
    return median_times([fn], number, repeats)[0]


def recorded(fn: Runner) -> Runner:
    def run():
        with engine.autograd.record():
            fn()

    return run


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    return f"{seconds * 1e3:.2f} ms"


def fmt_ratio(a: float | None, b: float | None) -> str:
    return "n/a" if a is None or b is None else f"{a / b:.2f}×"


def check_flag_cost(repeats: int) -> float:
    """Seconds for the one check every op makes when nothing records."""
    state = STATE

    def probe():
        for _ in range(1000):
            if state.recorders:
                pass

    def empty():
        for _ in range(1000):
            pass

    return max(0.0, (median_time(probe, 20, repeats) - median_time(empty, 20, repeats)) / 1000)


def per_op_time(repeats: int) -> tuple[float, float]:
    """Seconds per elementwise op on a 1000-element tensor: without and with a graph."""
    x = engine.linspace(-1, 1, CHAIN_SIZE)
    xg = engine.linspace(-1, 1, CHAIN_SIZE, requires_grad=True)
    return (
        median_time(lambda: x * 1.001, 2000, repeats),
        median_time(lambda: xg * 1.001, 2000, repeats),
    )


# ----- random numbers: torch's stream, drawn the engine's way ----------------------------------
RANDOM_DRAWS = [  # (label, draw(T), calls per repeat, target ratio)
    ("randn(1000), float32 (AVX2 Box-Muller)", lambda T: T.randn(1000), 100, 10.0),
    ("randn(10), float32 (cached-normal path)", lambda T: T.randn(10), 300, 10.0),
    ("rand(10**6), float32", lambda T: T.rand(10**6), 2, 2.0),
    ("randperm(10_000)", lambda T: T.randperm(10_000), 5, 10.0),
]


def random_times(repeats: int) -> list[tuple]:
    """Each draw on both libraries, interleaved; seeded once so both walk their stream."""
    if torch is not None:
        torch.set_num_threads(1)
    rows = []
    for label, draw, number, target in RANDOM_DRAWS:
        engine.manual_seed(0)
        runners = [lambda d=draw: d(engine)]
        if torch is not None:
            torch.manual_seed(0)
            runners.append(lambda d=draw: d(torch))
        else:
            runners.append(None)
        ours, theirs = median_times(runners, number, repeats)
        rows.append((label, ours, theirs, target))
    return rows


def run(quick: bool) -> None:
    repeats = 7 if quick else 31
    rows, rec_rows = [], []
    for w in WORKLOADS:
        number = max(1, w.number // 4) if quick else w.number
        if torch is not None:
            torch.set_num_threads(w.torch_threads)
        ours, theirs, floor, with_rec = median_times(
            [
                w.make(engine),
                w.make(torch) if torch is not None else None,
                w.numpy(),
                recorded(w.make(engine)),
            ],
            number,
            repeats,
        )
        rows.append((w, ours, theirs, floor))
        rec_rows.append((w, ours, with_rec))

    print("## Engine: forward + backward\n")
    print(
        "| workload | engine | torch eager | numpy by hand | engine/torch (target) | engine/numpy |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for w, ours, theirs, floor in rows:
        print(
            f"| {w.name} | {fmt_time(ours)} | {fmt_time(theirs)} "
            f"({w.torch_threads} thr) | {fmt_time(floor)} | {fmt_ratio(ours, theirs)} "
            f"(≤{w.target:.1f}×) | {fmt_ratio(ours, floor)} |"
        )
    print(f"\n## Recording overhead (target ≤{RECORDING_TARGET:.1f}×)\n")
    print("| workload | not recording | inside record() | ratio |")
    print("|---|---:|---:|---:|")
    for w, ours, with_rec in rec_rows:
        print(
            f"| {w.name} | {fmt_time(ours)} | {fmt_time(with_rec)} | {fmt_ratio(with_rec, ours)} |"
        )
    no_graph, graph = per_op_time(repeats)
    flag = check_flag_cost(repeats)
    print("\n## When nothing records\n")
    print(f"- one elementwise op, 1000 elements, no graph: {fmt_time(no_graph)}")
    print(f"- the same op building a graph node: {fmt_time(graph)}")
    print(
        f"- the `STATE.recorders` check each op makes: {flag * 1e9:.0f} ns "
        f"({flag / graph * 100:.1f}% of an op): one attribute load and a truth test"
    )
    print("\n## Random numbers (the same bits as torch)\n")
    print("| draw | engine | torch | engine/torch (target) |")
    print("|---|---:|---:|---:|")
    for label, ours, theirs, target in random_times(repeats):
        print(
            f"| {label} | {fmt_time(ours)} | {fmt_time(theirs)} | "
            f"{fmt_ratio(ours, theirs)} (≤{target:.0f}×) |"
        )


def profile(name: str) -> None:
    """cProfile of one workload's engine runner, hottest functions first."""
    w = next(w for w in WORKLOADS if name.lower() in w.name.lower())
    fn = w.make(engine)
    fn()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(w.number * 5):
        fn()
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(25)


def main() -> None:
    gc.collect()
    gc.freeze()  # see the module docstring
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    parser.add_argument("--profile", metavar="WORKLOAD", help="cProfile one workload, e.g. dot")
    args = parser.parse_args()
    if args.profile:
        profile(args.profile)
    else:
        run(args.quick)


if __name__ == "__main__":
    main()
