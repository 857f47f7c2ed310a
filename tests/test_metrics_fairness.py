"""Fairness of listing (C9) against fairlearn and a hand-built false-positive gap."""

from __future__ import annotations

import numpy as np
import pytest
from fairlearn.metrics import demographic_parity_difference as fl_dpd
from fairlearn.metrics import equalized_odds_difference as fl_eod
from hypothesis import given, settings
from hypothesis import strategies as st

from scslab.metrics.fairness import (
    demographic_parity_difference,
    equalized_odds_difference,
    true_false_positive_rates,
)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.integers(40, 300), st.sampled_from([2, 3]))
def test_matches_fairlearn(seed, n, k):
    rng = np.random.default_rng(seed)
    groups = np.array(["urban", "rural", "migrant"][:k])[rng.integers(0, k, n)]
    y_true = rng.random(n) < 0.4
    y_pred = rng.random(n) < np.where(groups == "urban", 0.2, 0.35)
    # fairlearn needs every group to have both labels; skip draws where one does not.
    for g in np.unique(groups):
        m = groups == g
        if y_true[m].all() or not y_true[m].any():
            return
    assert demographic_parity_difference(y_pred, groups) == pytest.approx(
        fl_dpd(y_true, y_pred, sensitive_features=groups), abs=1e-12)
    assert equalized_odds_difference(y_true, y_pred, groups) == pytest.approx(
        fl_eod(y_true, y_pred, sensitive_features=groups), abs=1e-12)


def test_known_false_positive_gap():
    # Two groups of 10 innocents and 10 culpable each. Every culpable person is listed in
    # both groups; 1 innocent rural citizen is listed, 4 innocent urban ones.
    groups = np.array(["urban"] * 20 + ["rural"] * 20)
    y_true = np.array(([False] * 10 + [True] * 10) * 2)
    y_pred = y_true.copy()
    y_pred[:4] = True  # urban innocents listed
    y_pred[20] = True  # one rural innocent listed
    tpr, fpr = true_false_positive_rates(y_true, y_pred, groups)
    assert tpr == {"rural": 1.0, "urban": 1.0}
    assert fpr == pytest.approx({"rural": 0.1, "urban": 0.4})
    assert equalized_odds_difference(y_true, y_pred, groups) == pytest.approx(0.3)
    assert demographic_parity_difference(y_pred, groups) == pytest.approx(14 / 20 - 11 / 20)
