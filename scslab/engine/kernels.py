"""Fused loops over ties, compiled with numba (cached on disk).

Randomness inside kernels is counter-based: a uniform is a hash of (seed, step, stream,
key). Any thread or any process computes the same number for the same key, so results do
not depend on scheduling, and both ends of a tie (possibly in different shards) make the
same decision about it without talking to each other.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)


@njit(cache=True, inline="always")
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(cache=True, inline="always")
def hash_uniform(seed, step, stream, key):
    """A uniform in [0, 1) determined by its four integer arguments (splitmix64)."""
    z = _mix(np.uint64(seed) * _GOLD + np.uint64(step))
    z = _mix(z ^ (np.uint64(stream) * _GOLD))
    z = _mix(z ^ np.uint64(key))
    return (z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True, parallel=True)
def neighbour_stats(indptr, indices, active, offset, v_score, v_black, v_harm, deg, n_black, mean_score, harm_share):
    """Per local citizen: active degree, blacklisted ties, mean tie score, share of ties with recent harm.

    `indptr`/`indices`/`active` are this shard's rows (global column ids); v_* are the
    public view of every citizen as of the end of the previous step.
    """
    n = indptr.shape[0] - 1
    for i in prange(n):
        d = 0
        b = 0
        s = 0.0
        h = 0.0
        for e in range(indptr[i], indptr[i + 1]):
            if active[e]:
                j = indices[e]
                d += 1
                b += v_black[j]
                s += v_score[j]
                h += v_harm[j]
        deg[i] = d
        n_black[i] = b
        mean_score[i] = s / d if d > 0 else np.nan
        harm_share[i] = h / d if d > 0 else 0.0


@njit(cache=True)
def rows_mean(indptr, indices, active, rows, v, out):
    """Mean of v over the active ties of each local row in `rows` (0 for the isolated)."""
    for k in range(rows.shape[0]):
        r = rows[k]
        d = 0
        acc = 0.0
        for e in range(indptr[r], indptr[r + 1]):
            if active[e]:
                d += 1
                acc += v[indices[e]]
        out[k] = acc / d if d > 0 else 0.0


@njit(cache=True, parallel=True)
def drop_ties(indptr, indices, active, offset, v_black, v_published, seed, step, p_listed, p_published):
    """Drop ties touching a blacklisted citizen, each undirected tie decided once by its hash.

    The condition and the hash are symmetric in (i, j), so both stored directions (even
    across shards) make the same choice. Returns the number of stored entries dropped.
    """
    n = indptr.shape[0] - 1
    dropped = np.zeros(n, dtype=np.int64)
    for r in prange(n):
        i = r + offset
        for e in range(indptr[r], indptr[r + 1]):
            if not active[e]:
                continue
            j = indices[e]
            p = 0.0
            if v_black[i] or v_black[j]:
                p = p_listed
            if v_published[i] or v_published[j]:
                p = p + p_published - p * p_published
            if p <= 0.0:
                continue
            a = i if i < j else j
            c = j if i < j else i
            if hash_uniform(seed, step, 7, np.uint64(a) * np.uint64(4294967296) + np.uint64(c)) < p:
                active[e] = 0
                dropped[r] += 1
    return dropped.sum()


@njit(cache=True, parallel=True)
def trust_exchanges(indptr, indices, active, offset, n_local, v_cheat, v_black, refuse_listed,
                    k_ties, k_strangers, seed, step, forget, r, s, trust, cheated_out):
    """Each citizen trades with k_ties random ties and k_strangers random citizens of the shard.

    A partner cheats with its published cheat probability (from its recent harm). Trust is
    the beta-reputation estimate (r + 1) / (r + s + 2) with forgetting (Josang and Ismail
    2002). One hash per exchange gives two independent 26-bit uniforms (pick, cheat).
    """
    for li in prange(n_local):
        gi = li + offset
        rr = r[li] * forget
        ss = s[li] * forget
        cheats = 0
        d = indptr[li + 1] - indptr[li]
        for k in range(k_ties + k_strangers):
            z = _mix(_mix(np.uint64(seed) * _GOLD + np.uint64(step)) ^ (np.uint64(gi) * _GOLD + np.uint64(k)))
            u_pick = (z >> np.uint64(38)) * (1.0 / 67108864.0)
            u_cheat = ((z >> np.uint64(12)) & np.uint64(0x3FFFFFF)) * (1.0 / 67108864.0)
            if k < k_ties:
                if d == 0:
                    continue
                e = indptr[li] + int(u_pick * d)
                if not active[e]:
                    continue  # a dropped tie: no exchange this time
                j = indices[e]
            else:
                j = offset + int(u_pick * n_local)
                if j == gi:
                    continue
            if refuse_listed and v_black[j]:
                continue
            if u_cheat < v_cheat[j]:
                ss += 1.0
                cheats += 1
            else:
                rr += 1.0
        r[li] = rr
        s[li] = ss
        trust[li] = (rr + 1.0) / (rr + ss + 2.0)
        cheated_out[li] = cheats
