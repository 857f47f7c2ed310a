"""Statistics behind the claims, against reference implementations and hand-worked cases."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from scslab.metrics.claims import LEVERS, MIXED, NA, NOT_SUPPORTED, SUPPORTED, Test, c11, verdict
from scslab.metrics.shapley import shapley
from scslab.metrics.stats import Interval, gini, percentile_ranks, spearman, t_interval

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


def gini_pairs(x):
    """Reference: the textbook double sum."""
    x = np.asarray(x, float)
    n = x.size
    return np.abs(x[:, None] - x[None, :]).sum() / (2 * n * n * x.mean())


@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=60))
def test_gini_matches_the_pairwise_formula(xs):
    x = np.array(xs)
    if x.mean() <= 0:
        assert math.isnan(gini(x))
    else:
        assert gini(x) == pytest.approx(gini_pairs(x), rel=1e-9, abs=1e-12)


def test_gini_known_values():
    assert gini([5, 5, 5, 5]) == 0.0
    # one person holds everything: (n - 1) / n
    assert gini([0, 0, 0, 10]) == pytest.approx(0.75)
    assert gini([1, 3]) == pytest.approx(0.25)


@settings(max_examples=60)
@given(st.lists(st.tuples(st.integers(0, 5), finite), min_size=3, max_size=40))
def test_spearman_matches_scipy_with_ties(pairs):
    x = np.array([p[0] for p in pairs], float)
    y = np.array([p[1] for p in pairs], float)
    ours = spearman(x, y)
    if np.unique(x).size < 2 or np.unique(y).size < 2:
        assert math.isnan(ours)
    else:
        assert ours == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-9)


@given(st.lists(finite, min_size=2, max_size=30), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_t_interval_matches_scipy(xs, conf):
    x = np.array(xs)
    iv = t_interval(x, conf)
    assert iv.n == x.size and iv.mean == pytest.approx(x.mean(), rel=1e-12, abs=1e-9)
    if x.std() > 0:
        lo, hi = stats.t.interval(conf, x.size - 1, loc=x.mean(), scale=stats.sem(x))
        assert iv.lo == pytest.approx(lo, rel=1e-9, abs=1e-6)
        assert iv.hi == pytest.approx(hi, rel=1e-9, abs=1e-6)


def test_t_interval_drops_nans_and_handles_small_samples():
    assert t_interval([np.nan, np.nan]).n == 0
    one = t_interval([np.nan, 2.0])
    assert one.n == 1 and one.mean == 2.0 and one.lo == -math.inf and one.hi == math.inf
    same = t_interval([3.0, 3.0, 3.0])
    assert (same.lo, same.hi) == (3.0, 3.0)


def test_percentile_ranks_share_ties():
    p = percentile_ranks([1, 1, 1, 1, 9])
    assert np.allclose(p[:4], 0.4) and p[4] == pytest.approx(0.9)


@pytest.mark.parametrize("iv, test, expected", [
    (Interval(0.3, 0.2, 0.4, 5), Test("m", +1, 0.01), SUPPORTED),
    (Interval(-0.3, -0.4, -0.2, 5), Test("m", +1, 0.01), NOT_SUPPORTED),
    (Interval(0.1, -0.2, 0.4, 5), Test("m", +1, 0.01), MIXED),
    (Interval(0.0, 0.0, 0.0, 5), Test("m", +1, 0.01), NOT_SUPPORTED),  # nothing at all: negligible
    (Interval(0.005, 0.001, 0.009, 5), Test("m", +1, 0.01), NOT_SUPPORTED),  # real but negligible
    (Interval(0.04, 0.026, 0.053, 5), Test("m", +1, 0.05), MIXED),  # clear of zero, maybe negligible
    (Interval(0.04, 0.033, 0.048, 5), Test("m", +1, 0.05), NOT_SUPPORTED),  # same mean, surely negligible
    (Interval(-0.02, -0.03, -0.001, 5), Test("m", +1, 0.01), NOT_SUPPORTED),  # the other way
    (Interval(-0.3, -0.4, -0.2, 5), Test("m", -1, 0.25), MIXED),
    (Interval(0.3, 0.05, 0.6, 5), Test("m", 0, 0.1), MIXED),
    (Interval(-0.3, -0.4, -0.2, 5), Test("m", -1, 0.01), SUPPORTED),
    (Interval(-0.3, -0.4, -0.2, 5), Test("m", 0, 0.01), SUPPORTED),
    (Interval(0.3, 0.2, 0.4, 5), Test("m", 0, 0.01), SUPPORTED),
    (Interval(1.5, 1.2, 1.8, 5), Test("m", +1, 0.1, null=1.0), SUPPORTED),
    (Interval(1.0, 1.0, 1.0, 5), Test("m", +1, 0.1, null=1.0), NOT_SUPPORTED),
    (Interval(0.3, -math.inf, math.inf, 1), Test("m", +1, 0.01), NA),
    (Interval(float("nan"), float("nan"), float("nan"), 0), Test("m", +1, 0.01), NA),
])
def test_verdict_rule(iv, test, expected):
    assert verdict(iv, test) == expected


def _subsets(players):
    return [frozenset(s) for k in range(len(players) + 1) for s in combinations(players, k)]


def test_shapley_of_an_additive_game_is_each_players_own_part():
    own = {"law": 1.0, "market": 0.5, "norms": 0.0, "code": 2.5}
    v = {s: sum(own[p] for p in s) for s in _subsets(LEVERS)}
    assert shapley(LEVERS, v) == pytest.approx(own)


def test_shapley_splits_a_pure_interaction_equally():
    # Harm falls only when law and code are both on.
    v = {s: (1.0 if {"law", "code"} <= s else 0.0) for s in _subsets(LEVERS)}
    phi = shapley(LEVERS, v)
    assert phi == pytest.approx({"law": 0.5, "market": 0.0, "norms": 0.0, "code": 0.5})


@given(st.lists(st.floats(-10, 10, allow_nan=False), min_size=16, max_size=16))
def test_shapley_is_efficient(vals):
    subsets = _subsets(LEVERS)
    v = dict(zip(subsets, vals, strict=True))
    v[frozenset()] = 0.0
    phi = shapley(LEVERS, v)
    assert sum(phi.values()) == pytest.approx(v[frozenset(LEVERS)], abs=1e-9)


def test_c11_shares_from_harm_by_combination():
    # Each lever removes a fixed amount of harm from 10: law 1, market 0, norms 1, code 2.
    cut = {"law": 1.0, "market": 0.0, "norms": 1.0, "code": 2.0}
    harm = {s: 10.0 - sum(cut[p] for p in s) for s in _subsets(LEVERS)}
    out = c11(harm)
    assert out["harm_reduction"] == pytest.approx(4.0)
    assert out["share_code"] == pytest.approx(0.5) and out["share_law"] == pytest.approx(0.25)
    assert out["code_minus_law_share"] == pytest.approx(0.25)
    assert sum(out[f"share_{k}"] for k in LEVERS) == pytest.approx(1.0)
