"""Shapley values of a few players from a value on every coalition (claim C11).

With the four levers as players and v(S) = harm with every lever off minus harm with the
levers in S on, a lever's Shapley value is its average marginal harm reduction over all
orders in which the levers could be switched on; the values add up to v(all).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations
from math import factorial


def shapley(players: Sequence[str], value: Mapping[frozenset[str], float]) -> dict[str, float]:
    """Exact Shapley values; `value` maps every subset of players (frozensets) to a number."""
    n = len(players)
    out = {}
    for p in players:
        others = [q for q in players if q != p]
        phi = 0.0
        for k in range(n):
            w = factorial(k) * factorial(n - k - 1) / factorial(n)
            for s in combinations(others, k):
                s = frozenset(s)
                phi += w * (value[s | {p}] - value[s])
        out[p] = phi
    return out
