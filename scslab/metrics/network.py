"""Network quantities for claims C5 (isolation) and C6 (a closed elite).

Ties are undirected edges given once as (src, dst) arrays of citizen ids; node values
are indexed by citizen id (the `citizens` table is in id order).
"""

from __future__ import annotations

import numpy as np

from .stats import NAN, percentile_ranks


def assortativity(values, src, dst) -> float:
    """Newman's numeric assortativity: Pearson correlation of the values at the two ends of
    a tie, each tie counted in both directions (equals networkx's
    ``numeric_assortativity_coefficient``). NaN with fewer than two ties or constant values."""
    x = np.asarray(values, dtype=np.float64)
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    if src.size < 2:
        return NAN
    a = np.concatenate([x[src], x[dst]])
    b = np.concatenate([x[dst], x[src]])
    if a.std() == 0:
        return NAN
    return float(np.corrcoef(a, b)[0, 1])


def top_closure(values, src, dst, top_share: float = 0.1) -> dict[str, float]:
    """How closed the top of the score distribution is.

    Top = percentile rank above 1 - top_share (ties share their average rank, so a flat
    score has no top). closure = share of ties touching the top that join two top members;
    expected = the same share under random mixing of tie ends, p / (2 - p), where p is the
    share of tie ends held by the top; excess = closure - expected.
    """
    x = np.asarray(values, dtype=np.float64)
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    top = percentile_ranks(x) > 1.0 - top_share
    out = {"top_share": float(top.mean()) if top.size else NAN, "closure": NAN, "expected": NAN, "excess": NAN}
    if src.size == 0 or not top.any():
        return out
    ts, td = top[src], top[dst]
    touching = int((ts | td).sum())
    if touching == 0:
        return out
    closure = float((ts & td).sum() / touching)
    p = float((ts.sum() + td.sum()) / (2.0 * src.size))
    expected = p / (2.0 - p)
    out.update(closure=closure, expected=expected, excess=closure - expected)
    return out


def isolation(degree_initial, degree_final, listed) -> float:
    """Extra share of ties lost by the listed: mean relative tie loss (d0 - d1) / d0 of listed
    citizens minus that of unlisted citizens (citizens who started with no tie are left out)."""
    d0 = np.asarray(degree_initial, dtype=np.float64)
    d1 = np.asarray(degree_final, dtype=np.float64)
    listed = np.asarray(listed, dtype=bool)
    ok = d0 > 0
    loss = np.zeros_like(d0)
    loss[ok] = (d0[ok] - d1[ok]) / d0[ok]
    a, b = ok & listed, ok & ~listed
    if not a.any() or not b.any():
        return NAN
    return float(loss[a].mean() - loss[b].mean())


def neighbourhood(src, dst, centre: int, radius: int = 2, max_nodes: int = 120) -> np.ndarray:
    """Citizen ids within `radius` ties of `centre` (breadth first, capped at max_nodes)."""
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    seen = [int(centre)]
    have = {int(centre)}
    frontier = np.array([centre], dtype=np.int64)
    for _ in range(radius):
        m1 = np.isin(src, frontier)
        m2 = np.isin(dst, frontier)
        nxt = np.unique(np.concatenate([dst[m1], src[m2]]))
        new = [int(v) for v in nxt if int(v) not in have]
        for v in new:
            if len(seen) >= max_nodes:
                return np.array(seen, dtype=np.int64)
            seen.append(v)
            have.add(v)
        frontier = np.array(new, dtype=np.int64)
        if frontier.size == 0:
            break
    return np.array(seen, dtype=np.int64)
