"""Group fairness of listing decisions (claim C9).

A listing is the system's "prediction"; culpability (a true, unexcused act the rules punish)
is the ground truth. Definitions follow fairlearn's (tested against it):
demographic parity difference = max - min over groups of the listing rate; equalized-odds
difference = the larger of the max - min gaps in true-positive and false-positive rates.
"""

from __future__ import annotations

import numpy as np

from .stats import NAN


def _by_group(values, groups):
    values = np.asarray(values, dtype=np.float64)
    groups = np.asarray(groups)
    names = sorted({str(g) for g in groups.tolist()})
    g = groups.astype(str)
    return {k: values[g == k] for k in names}


def rates_by_group(flag, groups) -> dict[str, float]:
    """Share of citizens with `flag` in each group."""
    return {k: float(v.mean()) if v.size else NAN for k, v in _by_group(flag, groups).items()}


def _spread(d: dict[str, float]) -> float:
    v = [x for x in d.values() if np.isfinite(x)]
    return float(max(v) - min(v)) if len(v) >= 2 else NAN


def demographic_parity_difference(y_pred, groups) -> float:
    return _spread(rates_by_group(np.asarray(y_pred, bool), groups))


def true_false_positive_rates(y_true, y_pred, groups) -> tuple[dict[str, float], dict[str, float]]:
    y_true = np.asarray(y_true, bool)
    y_pred = np.asarray(y_pred, bool)
    g = np.asarray(groups).astype(str)
    tpr, fpr = {}, {}
    for k in sorted(set(g.tolist())):
        m = g == k
        pos, neg = m & y_true, m & ~y_true
        tpr[k] = float(y_pred[pos].mean()) if pos.any() else NAN
        fpr[k] = float(y_pred[neg].mean()) if neg.any() else NAN
    return tpr, fpr


def equalized_odds_difference(y_true, y_pred, groups) -> float:
    tpr, fpr = true_false_positive_rates(y_true, y_pred, groups)
    a, b = _spread(tpr), _spread(fpr)
    vals = [x for x in (a, b) if np.isfinite(x)]
    return float(max(vals)) if vals else NAN
