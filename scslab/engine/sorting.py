"""Sorting the day's candidate keys: a radix sort for non-negative int64 keys of known range.

The behave phase draws about 5% of the citizens as candidates each day and sorts their
keys (citizen x behaviours + behaviour) so that what the acts read and write is visited in
memory order. At 3e7 citizens numpy's comparison sort took a sixth of a step (about 80 ms
for 1.4 million keys, four times a day with the redraws of repeats); the keys span about
30 bits, so three counting passes of 11 bits do the same in a fraction of the time. A sort's
result does not depend on the algorithm, so the tables are unchanged.
"""

from __future__ import annotations

import numpy as np
from numba import njit

DIGIT = 11  # bits per pass: 2,048 buckets, whose counts stay in the first-level cache
RADIX_FROM = 50_000  # below this numpy's sort is as fast (no passes over a scratch array)


@njit(cache=True)
def _radix_sort(keys, passes, out):
    """LSD radix sort of `keys` (int64, >= 0, below 2**(DIGIT * passes)) into `out`; `keys`
    is used as the scratch array and left unspecified. Returns the array holding the result."""
    n = keys.shape[0]
    size = 1 << DIGIT
    mask = size - 1
    counts = np.zeros((passes, size), np.int64)
    for i in range(n):  # every pass's histogram in one read of the keys
        k = keys[i]
        for p in range(passes):
            counts[p, (k >> (DIGIT * p)) & mask] += 1
    src, dst = keys, out
    for p in range(passes):
        c = counts[p]
        if c.max() == n:  # every key has the same digit here: nothing moves
            continue
        total = 0
        for d in range(size):  # counts -> starting positions
            x = c[d]
            c[d] = total
            total += x
        shift = DIGIT * p
        for i in range(n):
            k = src[i]
            d = (k >> shift) & mask
            dst[c[d]] = k
            c[d] += 1
        src, dst = dst, src
    return src


def sort_keys(keys: np.ndarray, bound: int) -> np.ndarray:
    """`keys` (int64, each in [0, bound)) sorted ascending: the same array np.sort gives.
    May reuse `keys`' memory: the caller must not use `keys` afterwards."""
    if keys.size < RADIX_FROM or bound <= 1:
        keys.sort()
        return keys
    passes = max(1, -(-int(bound - 1).bit_length() // DIGIT))
    return _radix_sort(keys, passes, np.empty_like(keys))


def insert_sorted(keys: np.ndarray, new: np.ndarray) -> np.ndarray:
    """The sorted union (with repeats) of sorted `keys` and unsorted `new`: a merge, not a
    new sort of the whole array (the same array np.sort(np.concatenate(...)) gives)."""
    if new.size == 0:
        return keys
    new = np.sort(new)
    return np.insert(keys, np.searchsorted(keys, new, side="left"), new)
