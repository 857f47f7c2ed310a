"""Synthetic citizens as a struct of arrays, generated fully vectorised.

Citizen ids are not random: they run municipality by municipality, and inside a
municipality in *neighbourhood order* (by group block, then by a noisy mix of virtue and
income). The network generator ties citizens to their neighbours in this order, and the
engine gains memory locality from it. So never take "the first k citizens" as a sample:
draw ids with an rng.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy.special import betaincinv, ndtr

from .spec import TRAITS, SocietySpec

POP_STREAM = 0  # spawn key of the population's random stream (the network uses 1)


def rng_for(seed: int | np.random.SeedSequence, stream: int) -> np.random.Generator:
    """A generator keyed by (seed, stream), so parts of a society draw independent numbers."""
    if isinstance(seed, np.random.SeedSequence):
        ss = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, stream))
    else:
        ss = np.random.SeedSequence(int(seed), spawn_key=(stream,))
    return np.random.default_rng(ss)


@dataclass(frozen=True, eq=False)
class Population:
    """Citizens' fixed traits, one array per field, indexed by citizen id."""

    municipality: np.ndarray  # int16 (n,), non-decreasing
    group: np.ndarray  # int8 (n,), index into group_names
    virtue: np.ndarray  # float32 (n,) in [0, 1]
    strategic: np.ndarray  # float32 (n,) in [0, 1]
    privacy: np.ndarray  # float32 (n,) in [0, 1]
    income: np.ndarray  # float32 (n,) > 0, monthly
    group_names: tuple[str, ...]
    municipality_names: tuple[str, ...]
    municipality_start: np.ndarray  # int64 (M + 1,): citizens of m are start[m]:start[m+1]

    @property
    def n(self) -> int:
        # From the municipalities' ranges, not the municipality column: a run that owns its
        # society frees that column once the shards are built (2 bytes a citizen).
        return int(self.municipality_start[-1])

    def __len__(self) -> int:
        return self.n

    def municipality_slice(self, m: int) -> slice:
        """The contiguous id range of municipality ``m``."""
        return slice(int(self.municipality_start[m]), int(self.municipality_start[m + 1]))

    def municipality_sizes(self) -> np.ndarray:
        return np.diff(self.municipality_start)

    def group_counts(self) -> np.ndarray:
        return np.bincount(self.group, minlength=len(self.group_names))

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, f).nbytes for f in
                   ("municipality", "group", "virtue", "strategic", "privacy", "income"))

    def traits(self) -> dict[str, np.ndarray]:
        return {t: getattr(self, t) for t in TRAITS}


def _sizes(n: int, shares: np.ndarray) -> np.ndarray:
    """Integer sizes summing to n, by largest remainder (deterministic, no rng)."""
    raw = shares / shares.sum() * n
    sizes = np.floor(raw).astype(np.int64)
    short = n - int(sizes.sum())
    if short:
        sizes[np.argsort(-(raw - sizes), kind="stable")[:short]] += 1
    return sizes


_Z_MIN, _Z_MAX, _Z_POINTS = -8.5, 8.5, 4097


def _beta_from_normal(a: float, b: float, z: np.ndarray) -> np.ndarray:
    """Beta(a, b) values from standard normals: x = F^-1(Phi(z)), a Gaussian copula.

    scipy's betaincinv costs ~0.5 s per million, so the map is tabulated once on a uniform
    z grid and interpolated (error below 1e-5 even for a or b near 0.025).
    """
    grid = np.linspace(_Z_MIN, _Z_MAX, _Z_POINTS)
    table = betaincinv(a, b, ndtr(grid))
    out = np.empty(z.shape[0], dtype=np.float32)
    _interp_uniform(z, _Z_MIN, (_Z_MAX - _Z_MIN) / (_Z_POINTS - 1), table, out)
    return out


@njit(cache=True)
def _interp_uniform(z, z0, h, table, out):
    last = table.shape[0] - 1
    for i in range(z.shape[0]):
        t = (z[i] - z0) / h
        if t <= 0.0:
            out[i] = table[0]
        elif t >= last:
            out[i] = table[last]
        else:
            k = int(t)
            f = t - k
            out[i] = table[k] + f * (table[k + 1] - table[k])


def make_population(spec: SocietySpec, seed: int | np.random.SeedSequence = 0) -> Population:
    """Draw a population for ``spec``; the same (spec, seed) gives identical arrays."""
    rng = rng_for(seed, POP_STREAM)
    n = spec.n
    M = spec.municipality_count
    G = len(spec.groups)
    shares = (np.full(M, 1.0 / M) if spec.municipality_shares is None
              else np.asarray(spec.municipality_shares, dtype=np.float64))
    sizes = _sizes(n, shares)
    start = np.zeros(M + 1, dtype=np.int64)
    np.cumsum(sizes, out=start[1:])
    municipality = np.repeat(np.arange(M, dtype=np.int16), sizes)

    gshare = np.asarray(list(spec.groups.values()), dtype=np.float64)
    gcum = np.cumsum(gshare / gshare.sum())
    gcum[-1] = 1.0  # guard against rounding: every draw lands in some group
    group = np.searchsorted(gcum, rng.random(n), side="right").astype(np.int8)

    # Correlated standard normals, one column per trait (order of TRAITS). Written out
    # elementwise instead of a BLAS matmul so the sums run in a fixed order.
    chol = np.linalg.cholesky(spec.correlations.matrix())
    eps = [rng.standard_normal(n) for _ in TRAITS]
    z = np.empty((len(TRAITS), n))
    for j in range(len(TRAITS)):
        z[j] = chol[j, 0] * eps[0]
        for k in range(1, j + 1):
            if chol[j, k] != 0.0:
                z[j] += chol[j, k] * eps[k]
    del eps
    virtue = _beta_from_normal(spec.virtue.a, spec.virtue.b, z[0])
    strategic = _beta_from_normal(spec.strategic.a, spec.strategic.b, z[1])
    privacy = _beta_from_normal(spec.privacy.a, spec.privacy.b, z[2])
    factor = np.array([spec.income.group_factor.get(g, 1.0) for g in spec.groups])
    log_income = np.log(spec.income.median) + np.log(factor)[group] + spec.income.sigma * z[3]
    income = np.exp(log_income).astype(np.float32)

    order = _neighbourhood_order(rng, spec, municipality, group, z[0], z[3], G)
    del z
    return Population(
        municipality=municipality,  # sorted by municipality already: the order keeps it
        group=group[order],
        virtue=virtue[order],
        strategic=strategic[order],
        privacy=privacy[order],
        income=income[order],
        group_names=spec.group_names,
        municipality_names=spec.municipality_names,
        municipality_start=start,
    )


def _neighbourhood_order(rng, spec, municipality, group, z_virtue, z_income, G) -> np.ndarray:
    """Order citizens on a ring per municipality: by group block, then a noisy trait mix.

    A share ``homophily_group`` of citizens live in their own group's block, the rest in a
    block drawn by group shares. Inside a block the position is
    sqrt(h_v)*z_virtue + sqrt(h_i)*z_income + sqrt(1-h_v-h_i)*noise, so neighbours on the
    ring correlate in virtue by about h_v and in log income by about h_i.
    """
    net = spec.network
    n = municipality.shape[0]
    gshare = np.asarray(list(spec.groups.values()), dtype=np.float64)
    gcum = np.cumsum(gshare / gshare.sum())
    gcum[-1] = 1.0
    own = rng.random(n) < net.homophily_group
    other = np.searchsorted(gcum, rng.random(n), side="right")
    block = np.where(own, group, other).astype(np.int64)
    hv, hi = net.homophily_virtue, net.homophily_income
    noise = rng.standard_normal(n)
    pos = np.sqrt(hv) * z_virtue + np.sqrt(hi) * z_income + np.sqrt(max(0.0, 1.0 - hv - hi)) * noise
    # One unique int64 key: municipality (14 bits) | block (3) | position quantile (20) |
    # id (26). Unique keys sort the same way on any machine, and a plain sort of keys is
    # much faster than an argsort; the id comes back out of the low bits.
    q = (ndtr(pos) * (2**20 - 1)).astype(np.int64)
    key = (municipality.astype(np.int64) << 49) | (block << 46) | (q << 26)
    key |= np.arange(n, dtype=np.int64)
    key.sort()
    key &= (1 << 26) - 1
    return key
