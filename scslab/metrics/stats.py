"""Small statistics used by the claim metrics: intervals over seeds, Gini, ranks, Spearman.

Kept dependency-light (numpy and scipy's t quantile) and tested against reference
implementations (scipy.stats.spearmanr, a pairwise Gini formula).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as _st

NAN = float("nan")


@dataclass(frozen=True)
class Interval:
    """Mean over seeds with a two-sided t-interval; `n` counts the finite values used."""

    mean: float
    lo: float
    hi: float
    n: int

    def as_dict(self) -> dict[str, float]:
        """The interval as a plain mapping: mean, lo, hi, n."""
        return {"mean": self.mean, "lo": self.lo, "hi": self.hi, "n": self.n}


def t_interval(values, confidence: float = 0.95) -> Interval:
    """Mean and t-interval of the finite values (NaNs, e.g. seeds with no listings, are dropped).

    One value gives a point with an unbounded interval (nothing is known of the spread);
    identical values give a zero-width interval.
    """
    x = np.asarray([v for v in np.asarray(values, dtype=float).ravel() if math.isfinite(v)])
    n = int(x.size)
    if n == 0:
        return Interval(NAN, NAN, NAN, 0)
    m = float(x.mean())
    if n == 1:
        return Interval(m, -math.inf, math.inf, 1)
    se = float(x.std(ddof=1)) / math.sqrt(n)
    half = float(_st.t.ppf(0.5 + confidence / 2.0, n - 1)) * se
    return Interval(m, m - half, m + half, n)


def wilson(events: float, of: float, confidence: float = 0.95) -> Interval:
    """The share events / of with its Wilson score interval (`n` is `of`); NaN when `of` is 0.

    The interval of a binomial share that stays inside [0, 1] and keeps its coverage for
    few events (0 events of 90 give [0, 4.1%] at 95%, not a point at 0).
    """
    k, n = float(events), float(of)
    if not (math.isfinite(k) and math.isfinite(n)) or n <= 0:
        return Interval(NAN, NAN, NAN, 0)
    p = k / n
    z = float(_st.norm.ppf(0.5 + confidence / 2.0))
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half), int(n))


def ratio(num: float, den: float) -> float:
    """num / den, NaN when the denominator is zero (a share of nothing is undefined, not 0)."""
    num, den = float(num), float(den)
    return num / den if den != 0 else NAN


def gini(x) -> float:
    """Gini coefficient: mean absolute difference over all ordered pairs / (2 * mean).

    Computed in O(n log n) from the sorted values. Defined for any values whose mean is
    positive (with negative values it can exceed 1); NaN for an empty array or mean <= 0.
    """
    v = np.sort(np.asarray(x, dtype=np.float64).ravel())
    n = v.size
    if n == 0:
        return NAN
    mu = v.mean()
    if mu <= 0:
        return NAN
    i = np.arange(1, n + 1, dtype=np.float64)
    # sum_{i,j} |v_i - v_j| = 2 * sum_i (2i - n - 1) v_(i)
    mad = 2.0 * np.sum((2.0 * i - n - 1.0) * v) / (n * n)
    return float(mad / (2.0 * mu))


def percentile_ranks(x) -> np.ndarray:
    """Percentile rank in (0, 1) with ties sharing their average rank: (rank - 0.5) / n."""
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return np.empty(0)
    return (_st.rankdata(x, method="average") - 0.5) / x.size


def spearman(x, y) -> float:
    """Spearman's rank correlation (average ranks for ties); NaN if either side is constant."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.size < 2:
        return NAN
    rx, ry = _st.rankdata(x), _st.rankdata(y)
    if rx.std() == 0 or ry.std() == 0:
        return NAN
    return float(np.corrcoef(rx, ry)[0, 1])


def pearson(x, y) -> float:
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.size < 2 or x.std() == 0 or y.std() == 0:
        return NAN
    return float(np.corrcoef(x, y)[0, 1])
