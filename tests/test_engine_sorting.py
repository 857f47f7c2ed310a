"""The candidate keys' radix sort and merge give exactly numpy's sorted arrays."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scslab.engine import behave
from scslab.engine.sorting import RADIX_FROM, insert_sorted, sort_keys


@pytest.mark.parametrize("size", [0, 1, 7, RADIX_FROM - 1, RADIX_FROM, 200_003])
@pytest.mark.parametrize("bound", [1, 2, 19, 2**11, 2**11 + 1, 570_000_000, 2**40 + 3])
def test_sort_keys_equals_numpy(size, bound):
    keys = np.random.default_rng(size + bound).integers(0, bound, size=size, dtype=np.int64)
    want = np.sort(keys)
    got = sort_keys(keys.copy(), bound)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, want)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10**6), max_size=300), st.lists(st.integers(0, 10**6), max_size=30))
def test_insert_sorted_equals_a_new_sort(a, b):
    keys = np.sort(np.array(a, np.int64))
    new = np.array(b, np.int64)
    np.testing.assert_array_equal(insert_sorted(keys, new), np.sort(np.concatenate([keys, new])))


def _candidates_by_numpy_sort(n, p_max, rng):
    """candidates() as it was written with np.sort (the reference the tables were made with)."""
    B = p_max.size
    k = rng.binomial(n, p_max)
    dense = k > n // 8
    b = np.repeat(np.arange(B, dtype=np.int64), np.where(dense, 0, k))
    keys = rng.integers(0, n, size=b.size) * B + b
    keys.sort()
    while keys.size > 1:
        dup = np.flatnonzero(keys[1:] == keys[:-1]) + 1
        if dup.size == 0:
            break
        again = keys[dup] % B
        keys = np.delete(keys, dup)
        keys = np.sort(np.concatenate([keys, rng.integers(0, n, size=again.size) * B + again]))
    parts = [keys]
    for bd in np.flatnonzero(dense):
        idx = rng.permutation(n)[: k[bd]] if k[bd] < n else np.arange(n)
        parts.append(idx * B + bd)
    if len(parts) > 1:
        keys = np.sort(np.concatenate(parts))
    return (keys // B).astype(np.int32), (keys % B).astype(np.int16)


@pytest.mark.parametrize("n,p", [(50, 0.3), (5_000, 0.02), (400_000, 0.01), (2_000_000, 0.02), (300, 0.5)])
def test_candidates_unchanged(n, p):
    """Same draws, same candidates (repeats redrawn included): the radix sort and the merge
    change the speed, not the day's acts."""
    p_max = np.array([p, p / 3, 0.0, p * 1.7, 0.2], np.float64)
    for seed in range(3):
        a = behave.candidates(n, p_max, np.random.default_rng(seed))
        b = _candidates_by_numpy_sort(n, p_max, np.random.default_rng(seed))
        for x, y in zip(a, b, strict=True):
            assert x.dtype == y.dtype
            np.testing.assert_array_equal(x, y)
