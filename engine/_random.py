"""PyTorch's CPU random numbers, bit for bit: its mt19937 stream and the recipes on top.

numpy only, no tensors. torch draws 32-bit words from an mt19937 and turns them into numbers
by fixed recipes (24 bits for a float32 in [0, 1), 53 for a float64, Box-Muller for normals,
`word % range` for integers). numpy's MT19937 bit generator is the same engine, so it supplies
the words at C speed; this module adds what torch keeps beside it (the seed, the cached
normal) and the recipes, including the float rounding of torch's compiled kernels (fused
multiply-adds, the AVX2 polynomial log/sin/cos of its float32 normal kernel).

Which kernels: those torch 2.13's x86-64 wheels run on an AVX2 (or AVX-512) CPU, checked
against them bit for bit. On a CPU without AVX2, torch itself would take its generic float32
normal kernel, and float32 randn of 16+ elements would differ there. bernoulli_(p) with a
number p takes torch's portable path: the wheel has no MKL random-stream code linked in.
"""

from __future__ import annotations

import math
import struct

import numpy as np

DEFAULT_SEED = 67280421310721  # what torch.Generator() starts from
_N = 624  # words in the mt19937 state
_U64_MAX = 0xFFFF_FFFF_FFFF_FFFF
_MASK53 = 2**53 - 1
_STATE_BYTES = 5056  # sizeof(CPUGeneratorImplState) on x86-64: torch's get_rng_state() size
_F32 = np.float32


def _seeded_key(seed32: int) -> np.ndarray:
    """The mt19937 state right after init_genrand(seed), before the first twist."""
    key = np.empty(_N, dtype=np.uint32)
    x = seed32
    key[0] = x
    for j in range(1, _N):
        x = (1812433253 * (x ^ (x >> 30)) + j) & 0xFFFFFFFF
        key[j] = x
    return key


def check_seed(seed) -> int:
    """torch takes any int from -2**63 to 2**64 - 1 and keeps it as an unsigned 64-bit value."""
    seed = int(seed)
    if not -(2**63) <= seed <= _U64_MAX:
        raise ValueError("Overflow when unpacking long long")
    return seed & _U64_MAX


class MT19937:
    """One torch CPU generator: the mt19937 words plus torch's cached Box-Muller normals."""

    def __init__(self, seed: int = DEFAULT_SEED) -> None:
        self._bits = np.random.MT19937(0)
        self.set_seed(seed)

    # ----- seeding and state ------------------------------------------------------------
    def set_seed(self, seed: int) -> None:
        self._seed = check_seed(seed)
        key = _seeded_key(self._seed & 0xFFFFFFFF)
        self._bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": _N}}
        # torch marks a just-seeded engine with next=0 (the first word twists first); numpy
        # says pos=624 for both that and "state used up", so remember which one it is.
        self._fresh = True
        self.next_double_normal: float | None = None  # Box-Muller's second value, kept
        self.next_float_normal: float | None = None  # (torch's float twin; CPU never sets it)

    def initial_seed(self) -> int:
        return self._seed

    def state_bytes(self) -> bytes:
        """torch's get_rng_state() layout: CPUGeneratorImplState, with the 624 words as u64."""
        st = self._bits.state["state"]
        pos = int(st["pos"])
        left, nxt = (1, 0) if self._fresh else (_N + 1 - pos, pos)
        nd, nf = self.next_double_normal, self.next_float_normal
        head = struct.pack("<QiiQ", self._seed, left, 1, nxt)
        words = np.asarray(st["key"], dtype="<u8").tobytes()
        tail = struct.pack(
            "<dddi4xf?3x",
            0.0,
            0.0 if nd is None else nd,
            0.0,
            nd is not None,
            nf or 0.0,
            nf is not None,
        )
        return head + words + tail

    def set_state_bytes(self, data: bytes) -> None:
        if len(data) != _STATE_BYTES:
            raise RuntimeError(
                f"Expected a CPUGeneratorImplState of size {_STATE_BYTES} but found the input "
                f"RNG state size to be {len(data)}"
            )
        seed, left, seeded, nxt = struct.unpack_from("<QiiQ", data, 0)
        if not (seeded and 0 < left <= _N and nxt <= _N):
            raise RuntimeError("Invalid mt19937 state")
        key = np.frombuffer(data, dtype="<u8", count=_N, offset=24).astype(np.uint32)
        _, normal_y, _, y_valid, nf, nf_valid = struct.unpack_from("<dddi4xf?", data, 24 + 8 * _N)
        self._seed = seed
        # left == 1 means the next word twists first; otherwise words nxt.. are still unread.
        pos = _N if left == 1 else nxt
        self._bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}
        self._fresh = left == 1 and nxt == 0
        self.next_double_normal = normal_y if y_valid else None
        self.next_float_normal = float(nf) if nf_valid else None

    def copy_from(self, other: MT19937) -> None:
        self._bits.state = other._bits.state
        self._seed, self._fresh = other._seed, other._fresh
        self.next_double_normal = other.next_double_normal
        self.next_float_normal = other.next_float_normal

    # ----- raw words ----------------------------------------------------------------------
    def random(self, n: int) -> np.ndarray:
        """n words of torch's random(): 32-bit values (held in uint64)."""
        if n <= 0:
            return np.empty(0, dtype=np.uint64)
        self._fresh = False
        return self._bits.random_raw(n)

    def random64(self, n: int) -> np.ndarray:
        """n values of torch's random64(): two words, the first one high."""
        w = self.random(2 * n)
        return (w[0::2] << np.uint64(32)) | w[1::2]

    # ----- uniform floats -----------------------------------------------------------------
    def unit_float32(self, n: int) -> np.ndarray:
        """[0, 1) in float32 from the low 24 bits of one word each."""
        return (self.random(n) & 0xFFFFFF).astype(_F32) * _F32(2.0**-24)

    def unit_float64(self, n: int) -> np.ndarray:
        """[0, 1) in float64 from the low 53 bits of one random64 each."""
        return (self.random64(n) & np.uint64(2**53 - 1)).astype(np.float64) * 2.0**-53

    def uniform(self, n: int, low: float, high: float, dtype: np.dtype) -> np.ndarray:
        """uniform_(low, high): x * (high - low) + low in the tensor's precision, one rounding."""
        if dtype == np.float64:
            x = self.unit_float64(n)
            return x if (low, high) == (0.0, 1.0) else fma64(x, high - low, low)
        x = self.unit_float32(n)
        lo, hi = _F32(low), _F32(high)
        out = x if (lo, hi) == (0.0, 1.0) else fma32(x, hi - lo, lo)
        return out.astype(dtype, copy=False)

    # ----- normals ------------------------------------------------------------------------
    def normal(self, n: int, mean: float, std: float, dtype: np.dtype, contiguous: bool):
        """normal_(mean, std) on n elements: torch's kernel depends on size and layout."""
        if n >= 16 and contiguous and dtype == np.float32:
            return self._normal_avx2_float32(n, _F32(mean), _F32(std))
        if n >= 16 and contiguous and dtype == np.float64:
            return self._normal_blocks_float64(n, float(mean), float(std))
        values = self.scalar_normals(n)
        if (mean, std) == (0.0, 1.0):
            return (values + 0.0).astype(dtype)  # what the fma does to -0 with these
        return fma64(values, float(std), float(mean)).astype(dtype)

    def scalar_normals(self, n: int) -> np.ndarray:
        """torch's normal_distribution<double>, one value at a time: each pair of uniforms
        gives r*cos (returned) and r*sin (cached for the next call, even across calls)."""
        values = []
        if n and self.next_double_normal is not None:
            values.append(self.next_double_normal)
            self.next_double_normal = None
        pairs = (n - len(values) + 1) // 2
        if 0 < pairs <= 16:
            # A few values: Python's math (the same libm numpy calls) beats numpy's overhead.
            w = self.random(4 * pairs).tolist()
            for i in range(0, 4 * pairs, 4):
                u1 = (((w[i] << 32) | w[i + 1]) & _MASK53) * 2.0**-53
                u2 = (((w[i + 2] << 32) | w[i + 3]) & _MASK53) * 2.0**-53
                r = math.sqrt(-2.0 * math.log1p(-u2))
                theta = 2.0 * math.pi * u1
                values += (r * math.cos(theta), r * math.sin(theta))
        elif pairs:
            u = self.unit_float64(2 * pairs)
            r = np.sqrt(-2.0 * np.log1p(-u[1::2]))
            theta = 2.0 * math.pi * u[0::2]
            both = np.empty((pairs, 2))
            both[:, 0] = r * np.cos(theta)
            both[:, 1] = r * np.sin(theta)
            values = np.concatenate([values, both.ravel()])
        if len(values) > n:
            self.next_double_normal = float(values[n])
        return np.asarray(values[:n], dtype=np.float64)

    def _normal_blocks_float64(self, n: int, mean: float, std: float) -> np.ndarray:
        # normal_fill: n uniforms, Box-Muller on blocks of 16 (first 8 give the radius, last 8
        # the angle); a ragged end redoes the last 16 elements with 16 fresh uniforms.
        data = self.unit_float64(n)
        full = n // 16 * 16
        data[:full] = _box_muller_float64(data[:full].reshape(-1, 16), mean, std).ravel()
        if n % 16:
            data[n - 16 :] = _box_muller_float64(self.unit_float64(16).reshape(1, 16), mean, std)
        return data

    def _normal_avx2_float32(self, n: int, mean, std) -> np.ndarray:
        data = self.unit_float32(n)
        full = n // 16
        blocks = data[: full * 16].reshape(-1, 16)
        if n % 16:  # the redone last 16 join the others, so numpy runs once over all
            blocks = np.concatenate([blocks, self.unit_float32(16).reshape(1, 16)])
        # In slices of rows, so the float64 temporaries stay in cache for big tensors.
        out = np.concatenate(
            [_box_muller_avx2(blocks[i : i + 4096], mean, std) for i in range(0, len(blocks), 4096)]
        )
        data[: full * 16] = out[:full].ravel()
        if n % 16:
            data[n - 16 :] = out[full]
        return data

    # ----- integers -----------------------------------------------------------------------
    def from_to(self, n: int, low: int, span: int) -> np.ndarray:
        """random_(low, low + span): word % span + low, with 64-bit words once span reaches
        2**28 (torch's public builds switch there to keep the modulo skew small)."""
        w = self.random64(n) if span >= 2**28 else self.random(n)
        # int64 wraparound of (word % span) + low, as C++ does it.
        return ((w % np.uint64(span)) + np.uint64(low & _U64_MAX)).view(np.int64)

    def full_range64(self, n: int) -> np.ndarray:
        """random_(-2**63, None): every int64 value, straight from random64."""
        return self.random64(n).view(np.int64)

    def randperm(self, n: int) -> np.ndarray:
        """torch's Fisher-Yates: swap element i with i + word % (n - i), for i = 0 .. n-2."""
        if n >= 0xFFFFFFFF // 20:
            return self._randperm_large(n)
        if n <= 1:
            return np.arange(n, dtype=np.int64)
        span = np.arange(n, 1, -1, dtype=np.int64)
        targets = (self.random(n - 1).view(np.int64) % span) + np.arange(n - 1)
        if n > 256:
            return _swaps_result(targets, n)
        perm = list(range(n))
        for i, j in enumerate(targets.tolist()):
            perm[i], perm[j] = perm[j], perm[i]
        return np.array(perm, dtype=np.int64)

    def _randperm_large(self, n: int) -> np.ndarray:
        # torch's inside-out shuffle with random64 for n near 2**32 (kept for completeness;
        # such sizes are out of reach of a teaching app's memory anyway).
        perm = np.empty(n, dtype=np.int64)
        z = (self.random64(n) % np.arange(1, n + 1, dtype=np.uint64)).tolist()
        for i, j in enumerate(z):
            perm[i] = perm[j]
            perm[j] = i
        return perm

    # ----- other distributions --------------------------------------------------------------
    def bernoulli(self, p: np.ndarray | float, n: int) -> np.ndarray:
        """True where a uniform falls below p: a 53-bit double against a number or float64
        probabilities, a 24-bit float against float32 ones."""
        if isinstance(p, np.ndarray) and p.dtype != np.float64:
            return self.unit_float32(n) < p.astype(_F32)
        return self.unit_float64(n) < np.asarray(p, dtype=np.float64)

    def exponential(self, n: int, lambd: float) -> np.ndarray:
        """-1/lambda * log1p(-u) in double, u a 53-bit uniform."""
        return (-1.0 / lambd) * np.log1p(-self.unit_float64(n))


def _swaps_result(targets: np.ndarray, n: int) -> np.ndarray:
    """The permutation left by swapping positions i and targets[i] (>= i) for i = 0, 1, ...,
    found without the sequential loop. Before step i, a position p >= i holds p if no
    earlier step targeted it, else what position k held before step k, k being the last
    step that targeted p; and position i itself is final after step i."""
    order = np.argsort(targets, kind="stable")  # steps grouped by target, in step order
    grouped = targets[order]
    same = np.zeros(n - 1, dtype=bool)
    same[1:] = grouped[1:] == grouped[:-1]
    # prev[i]: the last step before step i with the same target (-1 if none).
    prev = np.empty(n - 1, dtype=np.int64)
    prev[order] = np.where(same, np.roll(order, 1), -1)
    # last[p]: the last step targeting position p at all (-1 if none).
    last = np.full(n, -1, dtype=np.int64)
    ends = np.flatnonzero(np.append(grouped[1:] != grouped[:-1], True))
    last[grouped[ends]] = order[ends]
    # link[i]: the last step before step i that targeted position i (steps targeting i are
    # at most i; step i itself only when it swaps i with itself).
    everywhere = np.arange(n)
    link = last.copy()
    self_swap = np.flatnonzero(link[:-1] == everywhere[:-1])
    link[self_swap] = prev[self_swap]
    # held[i]: the value at position i just before step i, following the links to the
    # first step of each chain (pointer jumping: log(length) rounds).
    held = everywhere.copy()
    while (live := np.flatnonzero(link >= 0)).size:
        nxt = link[live]
        held[live], link[live] = held[nxt], link[nxt]
    perm = np.empty(n, dtype=np.int64)
    perm[:-1] = np.where(prev >= 0, held[np.maximum(prev, 0)], targets)
    perm[-1] = held[-1]
    return perm


# ----- float rounding as torch's compiled kernels do it ---------------------------------------
def _two_sum(a, b):
    """s + err == a + b exactly (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a):
    c = a * 134217729.0  # 2**27 + 1: Veltkamp's split into two 26-bit halves
    hi = c - (c - a)
    return hi, a - hi


def _round_to_odd_sum(a, b):
    """a + b rounded to double with round-to-odd: a later rounding to fewer bits is then
    correct (Boldo and Melquiond), which is what makes the emulated FMAs exact."""
    s, err = _two_sum(a, b)
    fix = (err != 0) & ((s.view(np.int64) & 1) == 0)
    if fix.any():
        s = np.where(fix, np.nextafter(s, np.where(err > 0, np.inf, -np.inf)), s)
    return s


def fma64(a, b, c) -> np.ndarray:
    """a * b + c in float64 with one rounding, as the FMA instruction gives it."""
    a, b, c = (np.asarray(v, dtype=np.float64) for v in (a, b, c))
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    p_err = ((ah * bh - p) + ah * bl + al * bh) + al * bl  # p + p_err == a * b exactly
    hi, lo = _two_sum(c, p)
    return hi + _round_to_odd_sum(lo, np.broadcast_to(p_err, np.shape(lo)))


def fma32(a, b, c, depth: int = 1) -> np.ndarray:
    """a * b + c in float32 with one rounding. The product is exact in float64; the sum,
    rounded to float64 and then to float32, is right unless it lands exactly halfway between
    two float32s, so only those rare elements are redone exactly. (`depth` is _Fma32's.)"""
    s = np.multiply(a, b, dtype=np.float64)
    s += c
    out = s.astype(_F32)
    tie = (s.view(np.uint64) & np.uint64(0x1FFFFFFF)) == np.uint64(0x10000000)
    if tie.any():
        p = np.multiply(a, b, dtype=np.float64)
        exact = _round_to_odd_sum(p, np.broadcast_to(np.asarray(c, dtype=np.float64), p.shape))
        out = np.where(tie, exact.astype(_F32), out)
    return out


def _box_muller_float64(blocks: np.ndarray, mean: float, std: float) -> np.ndarray:
    u1 = 1.0 - blocks[:, :8]  # [0, 1) -> (0, 1] for the log
    radius = np.sqrt(-2.0 * np.log(u1))
    theta = 2.0 * math.pi * blocks[:, 8:]
    cos, sin = radius * np.cos(theta), radius * np.sin(theta)
    if (mean, std) != (0.0, 1.0):
        return np.concatenate([fma64(cos, std, mean), fma64(sin, std, mean)], axis=1)
    return np.concatenate([cos, sin], axis=1) + 0.0  # the fma with (1, 0) turns -0 into +0


# torch's AVX2 float32 kernel computes log, sin and cos with Cephes polynomials
# (avx_mathfun.h), and the compiler fuses each multiply feeding an add into an FMA.
# Reproduced step by step, in float32, with the same fusions.
_LOG_P = tuple(
    _F32(v)
    for v in (
        7.0376836292e-2,
        -1.1514610310e-1,
        1.1676998740e-1,
        -1.2420140846e-1,
        1.4249322787e-1,
        -1.6668057665e-1,
        2.0000714765e-1,
        -2.4999993993e-1,
        3.3333331174e-1,
    )
)
_LOG_Q1, _LOG_Q2 = _F32(-2.12194440e-4), _F32(0.693359375)
_SQRT_HALF = _F32(0.707106781186547524)
_DP = (_F32(-0.78515625), _F32(-2.4187564849853515625e-4), _F32(-3.77489497744594108e-8))
_SIN_P = (_F32(-1.9515295891e-4), _F32(8.3321608736e-3), _F32(-1.6666654611e-1))
_COS_P = (_F32(2.443315711809948e-005), _F32(-1.388731625493765e-003), _F32(4.166664568298827e-002))
_FOUR_OVER_PI = _F32(1.27323954473516)
_TWO_PI_F = _F32(2.0 * math.pi)
_ONE, _HALF = _F32(1.0), _F32(0.5)


class _Fma32:
    """fma32 without its per-call halfway check: the float64 sums go into one buffer, and
    afterwards the caller asks which rows met a halfway case (rare) to redo them exactly."""

    SLOTS = 16  # the fused steps of one log plus one sincos (sin and cos counted apart)

    def __init__(self, rows: int) -> None:
        self.sums = np.empty((self.SLOTS, rows, 8))
        self.used = 0

    def __call__(self, a, b, c, depth: int = 1) -> np.ndarray:
        s = self.sums[self.used] if depth == 1 else self.sums[self.used : self.used + depth]
        self.used += depth
        np.multiply(a, b, out=s, dtype=np.float64)  # exact: 24 + 24 bits fit in 53
        s += c
        return s.astype(_F32)

    def rows_to_redo(self) -> np.ndarray:
        halfway = (self.sums[: self.used].view(np.uint64) & np.uint64(0x1FFFFFFF)) == np.uint64(
            0x10000000
        )
        if not halfway.any():
            return np.empty(0, dtype=np.intp)
        return np.flatnonzero(halfway.any(axis=(0, 2)))


def _log_avx2(x: np.ndarray, fma=fma32) -> np.ndarray:
    """log256_ps for x in (0, 1]: x = m * 2**e with m in [sqrt(1/2), sqrt(2)), then a
    degree-9 polynomial in m - 1."""
    m, e = np.frexp(x)  # m in [0.5, 1): the AVX code's mantissa and exponent, exactly
    small = m < _SQRT_HALF
    e = (e - small).astype(_F32)
    x = m - _ONE
    np.add(x, m, out=x, where=small)  # x + x - 1 below sqrt(1/2)
    z = x * x
    y = _LOG_P[0]
    for p in _LOG_P[1:]:
        y = fma(y, x, p)
    y = fma(y * x, z, e * _LOG_Q1)
    # The last two fused steps multiply exactly (by 1/2; a small integer by a 9-bit
    # constant), so they round once either way and plain float32 arithmetic matches.
    y = y - z * _HALF
    return (x + y) + e * _LOG_Q2


# Per octant j (an even number 0..8): whether sin takes the sine polynomial, and the sign
# bits the AVX code xors into sin and cos: (j & 4) << 29 and (~(j - 2) & 4) << 29.
_SINE_POLY_FOR_SIN = np.array([(j & 2) == 0 for j in range(9)])
_SIN_SIGN = np.array([(j & 4) << 29 for j in range(9)], dtype=np.uint32).view(np.int32)
_COS_SIGN = np.array([(~(j - 2) & 4) << 29 for j in range(9)], dtype=np.uint32).view(np.int32)
_SINCOS_P = np.array([_COS_P, _SIN_P], dtype=_F32).T.reshape(3, 2, 1, 1)


def _sincos_avx2(x: np.ndarray, fma=fma32) -> tuple[np.ndarray, np.ndarray]:
    """sincos256_ps for x in [0, 2*pi): reduce by multiples of pi/4, then the cosine and
    sine polynomials side by side (same steps, their own coefficients)."""
    j = ((x * _FOUR_OVER_PI).astype(np.int32) + 1) & ~1
    y = j.astype(_F32)
    # y is an even integer below 10, and the first two parts of pi/4 have few bits: those
    # products are exact, so only the third step needs the fused rounding.
    x = (x + y * _DP[0]) + y * _DP[1]
    x = fma(y, _DP[2], x)
    z = x * x
    poly = fma(fma(_SINCOS_P[0], z, _SINCOS_P[1], 2), z, _SINCOS_P[2], 2) * z
    cos_poly = fma(poly[0], z, z * _F32(-0.5)) + _ONE
    sin_poly = fma(poly[1], x, x)
    # sin is the sine polynomial where the octant says so, else the cosine one; cos the
    # other way round. Then the signs, xor-ed into the sign bits as the AVX code does.
    use_sine = np.take(_SINE_POLY_FOR_SIN, j)
    sin = np.where(use_sine, sin_poly, cos_poly)
    cos = np.where(use_sine, cos_poly, sin_poly)
    sin.view(np.int32)[...] ^= np.take(_SIN_SIGN, j)
    cos.view(np.int32)[...] ^= np.take(_COS_SIGN, j)
    return sin, cos


def _box_muller_avx2(blocks: np.ndarray, mean, std, fma=None) -> np.ndarray:
    fast = fma is None
    fma = _Fma32(len(blocks)) if fast else fma
    radius = np.sqrt(_F32(-2.0) * _log_avx2(_ONE - blocks[:, :8], fma))
    sin, cos = _sincos_avx2(_TWO_PI_F * blocks[:, 8:], fma)
    out = np.empty((len(blocks), 16), dtype=_F32)
    np.multiply(radius, cos, out=out[:, :8])
    np.multiply(radius, sin, out=out[:, 8:])
    if fast:
        redo = fma.rows_to_redo()
        if redo.size:
            out[redo] = _box_muller_avx2(blocks[redo], _F32(0), _F32(1), fma=fma32)
    # _mm256_fmadd_ps(n, std, mean): with mean 0 and std 1 that still turns -0 into +0.
    if (mean, std) == (0.0, 1.0):
        out += _F32(0)
        return out
    return fma32(out, std, mean)
