"""The engine's compiled loops (numba, cached on disk), in sections: hashing; ties and
neighbourhoods; the day's acts (decision, recording, records, ground truth); trust; the
dense daily passes (scores, consequences and the view, list scans, C4).

Randomness inside kernels is counter-based: a uniform is a hash of (seed, step, stream,
key). Any thread or any process computes the same number for the same key, so results do
not depend on scheduling, and both ends of a tie (possibly in different shards) make the
same decision about it without talking to each other.

One module on purpose: numba invalidates a cached kernel only when its own source file
changes, so a kernel that inlines a helper from another file would keep running the old
helper after an edit. For the same reason no kernel reads a constant from another module
(sentinels such as NOT_LISTED are passed in).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


_GOLD = np.uint64(0x9E3779B97F4A7C15)

# Sums are accumulated per fixed-size chunk of citizens and the chunks added in order
# afterwards, so a sum is the same whatever the number of threads.


CHUNK = 16384


def n_chunks(n: int) -> int:
    return max(1, (n + CHUNK - 1) // CHUNK)


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


# --- ties and neighbourhoods ----------------------------------------------------------
# A shard's tie graph is CSR: `indptr` (int32 when the shard's tie ends fit, else int64)
# and `indices`, the global id j of each tie end, stored as ~j (= -j - 1) once the tie is
# dropped. The sign is the active flag: no separate array to store or stream through.


@njit(cache=True, inline="always")
def _tie_id(x):
    """The partner id of a stored tie end, active (j) or dropped (~j)."""
    return x if x >= 0 else ~x


@njit(cache=True)
def fold_inactive(indices, active, out):
    """out = indices with the dropped ends (active false) stored as ~j; out may be indices."""
    for e in range(indices.shape[0]):
        out[e] = indices[e] if active[e] else ~indices[e]


@njit(cache=True)
def count_active(indices):
    c = 0
    for e in range(indices.shape[0]):
        if indices[e] >= 0:
            c += 1
    return c


@njit(cache=True)
def active_degree(indptr, indices):
    """Active ties per row (int32)."""
    n = indptr.shape[0] - 1
    deg = np.zeros(n, np.int32)
    for r in range(n):
        c = 0
        for e in range(indptr[r], indptr[r + 1]):
            if indices[e] >= 0:
                c += 1
        deg[r] = c
    return deg


@njit(cache=True)
def row_lengths_in_place(indptr):
    """indptr[r] = indptr[r + 1] - indptr[r] for every row, in place (forward: each row
    pointer is read before it is overwritten); returns indptr[:-1], the row lengths."""
    n = indptr.shape[0] - 1
    for r in range(n):
        indptr[r] = indptr[r + 1] - indptr[r]
    return indptr[:n]


@njit(cache=True)
def cross_ties(indptr, indices, lo, hi):
    """The entries whose partner (active or not) lies outside ids lo..hi-1, and their rows
    (4 bytes each while the row pointers are int32: a nation keeps about 0.6 a citizen)."""
    n = indptr.shape[0] - 1
    m = 0
    for e in range(indices.shape[0]):
        j = _tie_id(indices[e])
        if j < lo or j >= hi:
            m += 1
    entries = np.empty(m, indptr.dtype)  # int32 while the shard's tie ends fit (local_indptr)
    rows = np.empty(m, np.int32)  # a shard's rows are fewer than 2**31
    k = 0
    for r in range(n):
        for e in range(indptr[r], indptr[r + 1]):
            j = _tie_id(indices[e])
            if j < lo or j >= hi:
                entries[k] = e
                rows[k] = r
                k += 1
    return entries, rows


@njit(cache=True, parallel=True)
def neighbour_stats(indptr, indices, offset, v_score, v_black, deg, n_black, mean_score):
    """Per local citizen: active degree, blacklisted ties, mean tie score.

    `indptr`/`indices` are this shard's rows (global column ids, ~j when dropped); v_* are
    the public view of every citizen as of the end of the previous step. A view without
    scores (no rulebook of the run reads them) gives a mean tie score of NaN.
    """
    n = indptr.shape[0] - 1
    has_score = v_score.shape[0] > 0
    for i in prange(n):
        d = 0
        b = 0
        s = 0.0
        for e in range(indptr[i], indptr[i + 1]):
            j = indices[e]
            if j >= 0:
                d += 1
                b += v_black[j]
                if has_score:
                    s += v_score[j]
        deg[i] = d
        n_black[i] = b
        mean_score[i] = s / d if d > 0 and has_score else np.nan


@njit(cache=True, inline="always")
def _row_mean(indptr, indices, r, v):
    d = 0
    acc = 0.0
    for e in range(indptr[r], indptr[r + 1]):
        j = indices[e]
        if j >= 0:
            d += 1
            acc += v[j]
    return acc / d if d > 0 else 0.0


@njit(cache=True)
def rows_mean(indptr, indices, rows, v, out):
    """Mean of v over the active ties of each local row in `rows` (0 for the isolated)."""
    for k in range(rows.shape[0]):
        out[k] = _row_mean(indptr, indices, rows[k], v)


@njit(cache=True)
def edge_stats(indptr, indices, offset, x, top, out):
    """Sums over active ties (each counted once, i < j) for the network summary, without
    materialising edge lists: n, sum x, sum x^2 and sum x_i x_j over both orientations;
    ties touching the top decile, and joining two top-decile citizens."""
    n = 0
    s1 = 0.0
    s2 = 0.0
    sxy = 0.0
    touch = 0
    both = 0
    for r in range(indptr.shape[0] - 1):
        i = r + offset
        for e in range(indptr[r], indptr[r + 1]):
            j = indices[e]
            if j <= i:  # also every dropped end (negative)
                continue
            a = np.float64(x[i])  # x may be float32: sums in float64 all the same
            b = np.float64(x[j])
            n += 1
            s1 += a + b
            s2 += a * a + b * b
            sxy += 2.0 * a * b
            if top[i] or top[j]:
                touch += 1
                if top[i] and top[j]:
                    both += 1
    out[0] += n
    out[1] += s1
    out[2] += s2
    out[3] += sxy
    out[4] += touch
    out[5] += both


@njit(cache=True, inline="always")
def _drop_p(bi, pi, bj, pj, p_listed, p_published):
    p = 0.0
    if bi or bj:
        p = p_listed
    if pi or pj:
        p = p + p_published - p * p_published
    return p


@njit(cache=True, inline="always")
def _tie_u(seed, step, i, j):
    """The day's uniform for the tie {i, j}: the same from either end."""
    return _tie_u_from(_tie_base(seed, step), i, j)


@njit(cache=True, inline="always")
def _tie_base(seed, step):
    """hash_uniform's first two mixes for the tie stream (7), made once per call of a kernel."""
    return _mix(_mix(np.uint64(seed) * _GOLD + np.uint64(step)) ^ (np.uint64(7) * _GOLD))


@njit(cache=True, inline="always")
def _tie_u_from(base, i, j):
    """hash_uniform(seed, step, 7, key of {i, j}) from _tie_base(seed, step)."""
    a = i if i < j else j
    c = j if i < j else i
    z = _mix(base ^ (np.uint64(a) * np.uint64(4294967296) + np.uint64(c)))
    return (z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def drop_ties_sparse(indptr, indices, offset, listed_rows, cross_rows, cross_entries, cross_far,
                     v_black, v_published, v_bits, seed, step, p_listed, p_published):
    """The same decisions as drop_ties, visiting only ties that can be dropped: the rows of
    listed citizens of this shard (and, through each row's sorted mirror, the entries that
    point at them), and the entries pointing at other shards (`cross_entries`, with their
    rows and their far ends' ids `cross_far`, in any order: each decides its own tie)
    whose far end is flagged (`v_bits`: View.flag_bits). Returns entries dropped.

    A dropped end j is stored as ~j (rows stay sorted by partner id, whatever the sign).
    A tie is dropped at both ends at once (its mirror here, or the other shard's entry by
    the same symmetric draw), as society.Network keeps them: a dropped end has nothing
    left to decide and is passed over without reading its partner's flags.
    """
    n_local = indptr.shape[0] - 1
    dropped = 0
    base = _tie_base(seed, step)
    for k in range(listed_rows.shape[0]):
        r = listed_rows[k]
        i = r + offset
        bi = v_black[i]
        pi = v_published[i]
        # When i's own flags already give every chance a tie can have, the partner's flags
        # change nothing and are not read (a random read per tie: most of this loop's cost
        # in a municipality that lists nearly everyone).
        own = (bi or p_listed <= 0.0) and (pi or p_published <= 0.0)
        p_own = _drop_p(bi, pi, 0, 0, p_listed, p_published)
        for e in range(indptr[r], indptr[r + 1]):
            j = indices[e]
            if j < 0:
                continue  # dropped before, with its mirror
            p = p_own if own else _drop_p(bi, pi, v_black[j], v_published[j], p_listed, p_published)
            if p <= 0.0 or _tie_u_from(base, i, j) >= p:
                continue
            indices[e] = ~j
            dropped += 1
            rj = j - offset
            if 0 <= rj < n_local:  # the mirror entry (i in row j), found by binary search
                lo = np.int64(indptr[rj])  # int64: lo + hi must not overflow an int32 indptr
                hi = np.int64(indptr[rj + 1])
                while lo < hi:
                    mid = (lo + hi) // 2
                    if _tie_id(indices[mid]) < i:
                        lo = mid + 1
                    else:
                        hi = mid
                if lo < indptr[rj + 1] and indices[lo] == i:  # found and still active
                    indices[lo] = ~indices[lo]
                    dropped += 1
    # One pass over the entries to other shards, their far ends' flags read from the bits
    # (in cache from shard to shard), in memory order: the shard keeps them sorted by far
    # id. An entry itself (a read far into `indices`) is looked at only when its far end is
    # flagged.
    for k in range(cross_far.shape[0]):
        j = cross_far[k]
        if not (v_bits[j >> 6] >> np.uint64(j & 63)) & np.uint64(1):
            continue
        i = cross_rows[k] + offset
        if v_black[i] or (p_published > 0.0 and v_published[i]):
            continue  # a listed row: decided above, with the same draw
        e = cross_entries[k]
        if indices[e] < 0:
            continue
        p = _drop_p(v_black[i], v_published[i], v_black[j], v_published[j], p_listed, p_published)
        if p > 0.0 and _tie_u_from(base, i, j) < p:
            indices[e] = ~j
            dropped += 1
    return dropped


# --- the day's acts: deciding, recording, counting ------------------------------------


@njit(cache=True, inline="always")
def _own_logit(i, b, logit0, social_value, points, trig_any, pobs, thresholds, h, know,
               w_virtue, w_strategic, list_stake, code, clip_lo, clip_hi,
               virtue, strategic, disclosed, group, score):
    """The act logit of (citizen i, behaviour b) without the conformity term: what the
    citizen's own traits and score give (behave.act_logit, term by term)."""
    sv = social_value[b]
    x = logit0[b] + w_virtue * (2.0 * np.float64(virtue[i]) - 1.0) * sv
    pts = points[b]
    if code and (pts != 0.0 or trig_any[b]):
        po = pobs[b, group[i], 1 if disclosed[i] else 0]
        s = np.float64(score[i])
        T = thresholds.shape[0]
        j = 0  # thresholds[j - 1] <= s < thresholds[j]
        while j < T and thresholds[j] <= s:
            j += 1
        if pts < 0.0:
            m = np.exp(-(s - thresholds[j - 1]) / h) if j > 0 else 0.0
        else:
            m = np.exp(-(thresholds[j] - s) / h) if j < T else 0.0
        stake = (pts / h) * m - list_stake * trig_any[b]
        term = w_strategic * np.float64(strategic[i]) * know * po * stake
        x += min(max(term, clip_lo), clip_hi)
    return x


@njit(cache=True, inline="always")
def _norm(indptr, indices, i, harm, mean_harm):
    """Conformity pressure in [-1, 1]: mean recent harm of i's ties against the shard's."""
    if mean_harm <= 0.0:
        return 0.0
    nrm = _row_mean(indptr, indices, i, harm) / mean_harm - 1.0
    return min(max(nrm, -1.0), 1.0)


@njit(cache=True)
def act_logits(idx, beh, logit0, social_value, points, trig_any, pobs, thresholds, h, know,
               w_virtue, w_strategic, list_stake, w_norm, code, norms, clip_lo, clip_hi,
               virtue, strategic, disclosed, group, score,
               indptr, indices, harm, mean_harm, out):
    """behave.act_logit for every candidate (idx[k], beh[k]), in one pass (float64)."""
    for k in range(idx.shape[0]):
        i = idx[k]
        b = beh[k]
        x = _own_logit(i, b, logit0, social_value, points, trig_any, pobs, thresholds, h, know,
                       w_virtue, w_strategic, list_stake, code, clip_lo, clip_hi,
                       virtue, strategic, disclosed, group, score)
        if norms:
            x += w_norm * _norm(indptr, indices, i, harm, mean_harm) * (-social_value[b])
        out[k] = x


@njit(cache=True)
def act_accept(idx, beh, bar, logit0, social_value, points, trig_any, pobs, thresholds, h, know,
               w_virtue, w_strategic, list_stake, w_norm, code, norms, clip_lo, clip_hi,
               virtue, strategic, disclosed, group, score, indptr, indices, harm, mean_harm, keep,
               lo=0, hi=-1):
    """The thinning decision of behave for candidates lo..hi (all by default): candidate k
    acts when bar[k] < sigmoid(logit). Returns how many had their ties read.

    The conformity term needs a read of every tie of the candidate (random memory), but it
    moves the logit by at most w_norm * |social value|. So the decision is first tried
    against both ends of that interval, and the ties are read only when the two ends
    disagree. The decision is the one the full logit gives."""
    if hi < 0:
        hi = idx.shape[0]
    # First pass: decide on the candidate's own terms where the conformity term cannot
    # change the outcome; list the others.
    wait = np.empty(hi - lo, np.int64)
    xs = np.empty(hi - lo, np.float64)
    n_read = 0
    for k in range(lo, hi):
        i = idx[k]
        b = beh[k]
        x = _own_logit(i, b, logit0, social_value, points, trig_any, pobs, thresholds, h, know,
                       w_virtue, w_strategic, list_stake, code, clip_lo, clip_hi,
                       virtue, strategic, disclosed, group, score)
        sv = social_value[b]
        if norms and sv != 0.0 and mean_harm > 0.0:
            reach = w_norm * abs(sv)
            if bar[k] < 1.0 / (1.0 + np.exp(-(x - reach))):
                keep[k] = True
            elif bar[k] >= 1.0 / (1.0 + np.exp(-(x + reach))):
                keep[k] = False
            else:
                wait[n_read] = k
                xs[n_read] = x
                n_read += 1
            continue
        keep[k] = bar[k] < 1.0 / (1.0 + np.exp(-x))
    # Then read the ties of those left, row bounds first in a loop of their own, so that
    # the random reads of many rows are in flight at once.
    start = np.empty(n_read, np.int64)
    stop = np.empty(n_read, np.int64)
    for u in range(n_read):
        r = idx[wait[u]]
        start[u] = indptr[r]
        stop[u] = indptr[r + 1]
    for u in range(n_read):
        k = wait[u]
        d = 0
        acc = 0.0
        for e in range(start[u], stop[u]):
            j = indices[e]
            if j >= 0:
                d += 1
                acc += harm[j]
        nrm = (acc / d if d > 0 else 0.0) / mean_harm - 1.0
        nrm = min(max(nrm, -1.0), 1.0)
        x = xs[u] + w_norm * nrm * (-social_value[beh[k]])
        keep[k] = bar[k] < 1.0 / (1.0 + np.exp(-x))
    return n_read


ACCEPT_BLOCK = 1024  # candidates per call in the parallel decision


@njit(cache=True, parallel=True)
def act_accept_parallel(idx, beh, bar, logit0, social_value, points, trig_any, pobs, thresholds, h, know,
                        w_virtue, w_strategic, list_stake, w_norm, code, norms, clip_lo, clip_hi,
                        virtue, strategic, disclosed, group, score, indptr, indices, harm, mean_harm,
                        keep):
    """act_accept with blocks of candidates split over threads (each decision is independent).
    One call per block, not per candidate: a call passes some thirty arrays."""
    n = idx.shape[0]
    nb = (n + ACCEPT_BLOCK - 1) // ACCEPT_BLOCK
    n_read = 0
    for c in prange(nb):
        n_read += act_accept(idx, beh, bar, logit0, social_value, points, trig_any, pobs, thresholds, h, know,
                             w_virtue, w_strategic, list_stake, w_norm, code, norms, clip_lo, clip_hi,
                             virtue, strategic, disclosed, group, score, indptr, indices, harm,
                             mean_harm, keep, c * ACCEPT_BLOCK, min(n, (c + 1) * ACCEPT_BLOCK))
    return n_read


@njit(cache=True)
def first_source(beh, group, disclosed, excused, records, observable, files_excusable, cov_eff, u, source):
    """Which source files each act: the first, in rulebook order, that covers the behaviour
    and sees the act (u[s, k] < its coverage c for the citizen's group and disclosure). An
    excusable act seen by a source is filed with the source's files_excusable share e (0 for
    a court that hears the context, by default): u[s, k] < c * e, the same chance as seeing
    it (c) and then filing it (e), from the same uniform. -1 if no source files the act."""
    S = records.shape[1]
    for k in range(beh.shape[0]):
        b = beh[k]
        source[k] = -1
        if not observable[b]:
            continue
        for s in range(S):
            if records[b, s]:
                c = cov_eff[s, group[k], 1 if disclosed[k] else 0]
                if excused[k]:
                    c = c * files_excusable[s]
                if u[s, k] < c:
                    source[k] = s
                    break


@njit(inline="always")
def _count(c, i):
    """c[i] += 1 for an unsigned counter, saturating at its maximum instead of wrapping to 0
    (the act and record counters are uint16: engine.state.COUNTERS)."""
    c[i] += 1
    if c[i] == 0:
        c[i] -= 1


@njit(cache=True)
def apply_records(who, beh, false, excused, points, lawful, performative,
                  pos, neg, cpos, cneg, records, false_records, excused_records, offences,
                  points_lost, points_gained, points_lost_lawful, points_gained_performative):
    """Points of the day's records into the recorded and clean score components, and the
    per-citizen record counters (one record at a time, in order: the same sums as np.add.at)."""
    for k in range(who.shape[0]):
        i = who[k]
        b = beh[k]
        pt = points[b]
        clean = not (false[k] or excused[k])
        _count(records, i)
        if false[k]:
            _count(false_records, i)
        if excused[k]:
            _count(excused_records, i)
        if pt > 0:
            pos[i] += pt
            points_gained[i] += pt
            if clean:
                cpos[i] += pt
            if performative[b]:
                points_gained_performative[i] += pt
        elif pt < 0:
            neg[i] += -pt
            _count(offences, i)
            points_lost[i] += -pt
            if clean:
                cneg[i] += -pt
            if lawful[b]:
                points_lost_lawful[i] += -pt


@njit(cache=True)
def apply_acts(who, beh, excused, social_value, observable, points, acts_harm, acts_good,
               harm_done, unobserved_harm, culpable_acts, harm_level):
    """What really happened today, per citizen: counters the system never sees."""
    for k in range(who.shape[0]):
        i = who[k]
        b = beh[k]
        sv = social_value[b]
        if sv < 0:
            _count(acts_harm, i)
            harm_done[i] += -sv
            harm_level[i] += -sv
            if not observable[b]:
                unobserved_harm[i] += -sv
        elif sv > 0:
            _count(acts_good, i)
        if points[b] < 0 and not excused[k]:
            _count(culpable_acts, i)


# --- trust ----------------------------------------------------------------------------


TRUST_BLOCK = 2048  # citizens whose partners are gathered together in the trust phase


@njit(cache=True, parallel=True)
def trust_exchanges(indptr, indices, offset, n_local, v_cheat, refuse_listed,
                    k_ties, strangers, seed, step, forget, r, s, cheated_out, partial):
    """Each citizen trades with k_ties random ties and one stranger per entry of `strangers`.

    A partner cheats with its published cheat probability (from its recent harm); the view
    packs that and the blacklist flag in 16 bits (see _cheat), so one read tells both. Trust is the
    beta-reputation estimate (r + 1) / (r + s + 2) with forgetting (Josang and Ismail
    2002). The day's market pairs citizen i with stranger (i + delta) mod n for each random
    delta in `strangers`: every citizen meets a uniformly random stranger, and memory is
    read in order instead of at random. One 64-bit hash serves two exchanges (a 16-bit pick
    and a 15-bit cheat uniform each). partial[c] gets chunk c's sums of trust and of cheats.

    Reading a long tie's partner is a random memory access, and it bounds this phase. So
    each block of citizens first lists all its partners, then reads their view in one tight
    loop (many reads in flight at once), then settles the exchanges.
    """
    nc = partial.shape[0]
    k_str = strangers.shape[0]
    K = k_ties + k_str
    base = _mix(np.uint64(seed) * _GOLD + np.uint64(step))
    for c in prange(nc):
        t_sum = 0.0
        ch_sum = 0
        # int32 (ids are: society.Network's indices): the three buffers take half the cache
        who = np.empty(TRUST_BLOCK * K, np.int32)  # partner's global id, -1 for no exchange
        u_ch = np.empty(TRUST_BLOCK * K, np.int32)  # the exchange's 15-bit cheat uniform
        seen = np.empty(TRUST_BLOCK * K, np.int32)  # the partner's view
        hi_c = min(n_local, (c + 1) * CHUNK)
        for b0 in range(c * CHUNK, hi_c, TRUST_BLOCK):
            b1 = min(hi_c, b0 + TRUST_BLOCK)
            m = 0
            for li in range(b0, b1):
                gi = li + offset
                start = indptr[li]
                d = indptr[li + 1] - start
                for k0 in range(0, K, 2):
                    z = _mix(base ^ (np.uint64(gi) * _GOLD + np.uint64(k0)))
                    for h in range(2):
                        k = k0 + h
                        if k >= K:
                            break
                        w = np.int64(z >> np.uint64(32)) if h == 0 else np.int64(z & np.uint64(0xFFFFFFFF))
                        u_ch[m] = np.int32(w & 0x7FFF)  # compared with the 15-bit probability
                        j = -1
                        if k < k_ties:
                            if d > 0:
                                e = start + (((w >> 16) * d) >> 16)  # floor(u * d) for the 16-bit uniform u
                                j = indices[e]
                                if j < 0:  # a dropped tie: no exchange this time
                                    j = -1
                        else:
                            x = li + strangers[k - k_ties]  # 0 < delta < n_local: no division needed
                            if x >= n_local:
                                x -= n_local
                            j = offset + x
                            if j == gi:
                                j = -1
                        who[m] = np.int32(j)
                        m += 1
            for q in range(m):
                j = who[q]
                seen[q] = np.int32(v_cheat[j]) if j >= 0 else -1
            m = 0
            for li in range(b0, b1):
                rr = r[li] * forget
                ss = s[li] * forget
                cheats = 0
                for _ in range(K):
                    x = seen[m]
                    u = u_ch[m]
                    m += 1
                    if x < 0 or (x & 0x8000 and refuse_listed):
                        continue  # no partner, or one declined for being blacklisted
                    if u < (x & 0x7FFF):
                        ss += 1.0
                        cheats += 1
                    else:
                        rr += 1.0
                r[li] = rr
                s[li] = ss
                tr = (rr + 1.0) / (rr + ss + 2.0)  # not stored: the table derives it from r and s
                if cheats:
                    tot = cheated_out[li] + cheats  # not `c`: that is the chunk this loop fills
                    cheated_out[li] = tot if tot < 65535 else 65535  # uint16, saturating
                t_sum += tr
                ch_sum += cheats
        partial[c, 0] = t_sum
        partial[c, 1] = ch_sum


# --- dense daily passes, one over the citizens each -----------------------------------


@njit(cache=True, parallel=True)
def peer_pull(weight, degree, mean_score, score, offences, pos, neg, points_gained, points_gained_ties,
              points_gained_performative, points_lost, points_lost_assoc, partial):
    """Sesame-style pull towards one's ties: each citizen with active ties closes `weight`
    (float32) of the gap between the mean score of their ties and their own, as earned
    points when the ties score higher and as lost points when they score lower.

    Both are points that come through ties, not through any act: a gain is counted as
    granted, for ties and performative; a loss as lost, and lost through ties.
    partial[c] gets chunk c's sums: points gained, points lost, and points lost by
    citizens with no offence of their own so far.
    """
    n = score.shape[0]
    for c in prange(partial.shape[0]):
        gained = 0.0
        lost = 0.0
        lost_innocent = 0.0
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            if degree[i] <= 0:
                continue
            d = weight * (mean_score[i] - score[i])  # float32, as the score components
            # Both parts written, one of them 0: no unpredictable branch (twice as fast).
            up = max(d, np.float32(0.0))
            down = max(-d, np.float32(0.0))
            pos[i] += up
            points_gained[i] += up
            points_gained_ties[i] += up
            points_gained_performative[i] += up
            neg[i] += down
            points_lost[i] += down
            points_lost_assoc[i] += down
            gained += up
            lost += down
            if offences[i] == 0:
                lost_innocent += down
        partial[c, 0] = gained
        partial[c, 1] = lost
        partial[c, 2] = lost_innocent


@njit(cache=True, parallel=True)
def score_update(pos, neg, cpos, cneg, score, disclosed, harm_prev, harm, base, lo, hi, f_neg, f_pos, penalty,
                 f_harm, points_lost, points_lost_lawful):
    """Non-disclosure penalty, decay of earned and lost points, clipping to the scale.

    Recent harm decays from `harm_prev` (yesterday's, as published) into `harm` (today's,
    the shard's part of the view being written); the two may be the same array.

    Components are kept consistent with the clipped score, so recovery starts from the bound.
    The clean components (cpos, cneg) get the same treatment. Recent harm decays too.
    """
    n = score.shape[0]
    for i in prange(n):
        if penalty > 0 and not disclosed[i]:
            neg[i] += penalty
            cneg[i] += penalty
            points_lost[i] += penalty
            points_lost_lawful[i] += penalty  # withholding one's data is lawful
        neg[i] *= f_neg
        cneg[i] *= f_neg
        pos[i] *= f_pos
        cpos[i] *= f_pos
        s = base + pos[i] - neg[i]
        if s < lo:
            neg[i] = base + pos[i] - lo
            s = lo
        elif s > hi:
            pos[i] = hi - base + neg[i]
            s = hi
        score[i] = s
        c = base + cpos[i] - cneg[i]
        if c < lo:
            cneg[i] = base + cpos[i] - lo
        elif c > hi:
            cpos[i] = hi - base + cneg[i]
        harm[i] = harm_prev[i] * f_harm


@njit(cache=True, inline="always")
def _cheat(cheat_scale, harm, black):
    """What a trading partner sees of a citizen, packed in 16 bits: the top bit says
    "blacklisted", the other 15 the probability of cheating, 1 - exp(-cheat_scale * harm),
    in steps of 1/32768. Two bytes per citizen keep the array in cache for the trust
    phase's random reads. The same code runs everywhere, so a view rebuilt on resume has
    the same bits as one published during the run."""
    q = 0
    if harm > 0:  # most citizens have done no harm: skip the exp
        q = int((1.0 - np.exp(-cheat_scale * harm)) * 32767.0 + 0.5)
    if black:
        q |= 0x8000
    return np.uint16(q)


@njit(cache=True)
def publish_harm(harm, cheat_scale, offset, v_black, v_harm, v_cheat, harm_chunks):
    """The harm part of the public view; harm_chunks[c] gets chunk c's sum of the harm
    levels, added in the same order as the consequences pass adds them."""
    for c in range(harm_chunks.shape[0]):
        acc = 0.0
        for i in range(c * CHUNK, min(harm.shape[0], (c + 1) * CHUNK)):
            v_harm[offset + i] = harm[i]
            v_cheat[offset + i] = _cheat(cheat_scale, harm[i], v_black[offset + i])
            acc += harm[i]
        harm_chunks[c] = acc


@njit(cache=True, inline="always")
def _popcount(x):
    v = np.int64(x)  # masks are uint8, uint16 or uint32 (context.local_sectors)
    c = 0
    while v:
        v &= v - 1
        c += 1
    return c


@njit(cache=True, parallel=True)
def consequences(score, grade_min, until, not_listed, wrongful, wrongful_row, list_black, list_published,
                 g_cost, g_gain, g_sec, g_priv, l_cost, l_gain, l_sec, l_priv,
                 income, disclosed, harm, cheat_scale,
                 grade, wealth, sectors, sectors_ever, sanction_days, privilege_days,
                 offset, v_score, v_black, v_pub, v_harm, v_cheat, partial):
    """Grade, sanctions and privileges by grade and list, wealth, and the public view.

    partial[c, :] receives chunk c's sums: score, score^2, wealth, sanctioned, sector
    restrictions, listed on a blacklist, wrongfully so, on a redlist, sanction cost,
    privilege benefit, disclosed, recent harm (as published); then the citizens in each
    grade.
    """
    n = score.shape[0]
    K = grade_min.shape[0]
    L = until.shape[0]
    nc = partial.shape[0]
    if partial.shape[1] < 12 + K:
        raise ValueError("consequences: partial needs 12 + (number of grades) columns")
    has_score = v_score.shape[0] > 0  # the view keeps scores only when some rulebook reads them
    for c in prange(nc):
        lo_i = c * CHUNK
        hi_i = min(n, lo_i + CHUNK)
        s_score = 0.0
        s_sq = 0.0
        s_wealth = 0.0
        s_sanctioned = 0
        s_sec = 0
        s_black = 0
        s_wrong = 0
        s_red = 0
        s_cost = 0.0
        s_gain = 0.0
        s_disc = 0
        s_harm = 0.0
        per_grade = np.zeros(K, np.int64)
        for i in range(lo_i, hi_i):
            sc = score[i]
            k = 0
            while k + 1 < K and grade_min[k + 1] <= sc:
                k += 1
            if grade[i] != k:
                grade[i] = k
            per_grade[k] += 1
            cost = g_cost[k]
            gain = g_gain[k]
            sec = g_sec[k]
            priv = g_priv[k]
            black = False
            pub = False
            wrong = False
            red = False
            for l in range(L):
                if until[l, i] != not_listed:
                    if list_black[l]:
                        black = True
                        if list_published[l]:
                            pub = True
                        if wrongful[wrongful_row[l], i]:  # a blacklist always keeps `wrongful`
                            wrong = True
                    else:
                        red = True
                    cost += l_cost[l]
                    gain += l_gain[l]
                    sec |= l_sec[l]
                    priv = priv or l_priv[l]
            # Most citizens have no restriction: write only what changes (memory traffic
            # bounds this pass).
            if sectors[i] != sec:
                sectors[i] = sec
            if sec != 0:
                if (sectors_ever[i] | sec) != sectors_ever[i]:
                    sectors_ever[i] |= sec
                sanction_days[i] += 1
                s_sanctioned += 1
                s_sec += _popcount(sec)
            if priv:
                privilege_days[i] += 1
            w = wealth[i] + income[i] - cost + gain
            wealth[i] = w
            g = offset + i
            if has_score:
                v_score[g] = sc
            v_black[g] = black
            v_pub[g] = pub
            v_harm[g] = harm[i]
            v_cheat[g] = _cheat(cheat_scale, harm[i], black)
            s_score += sc
            s_sq += sc * sc
            s_wealth += w
            s_black += black
            s_wrong += wrong
            s_red += red
            s_cost += cost
            s_gain += gain
            s_disc += disclosed[i]
            s_harm += harm[i]
        partial[c, 0] = s_score
        partial[c, 1] = s_sq
        partial[c, 2] = s_wealth
        partial[c, 3] = s_sanctioned
        partial[c, 4] = s_sec
        partial[c, 5] = s_black
        partial[c, 6] = s_wrong
        partial[c, 7] = s_red
        partial[c, 8] = s_cost
        partial[c, 9] = s_gain
        partial[c, 10] = s_disc
        partial[c, 11] = s_harm
        for k in range(K):
            partial[c, 12 + k] = per_grade[k]


@njit(cache=True)
def list_scan(until, not_listed, score, below, at_least, on_out, hit_out):
    """One pass for one list: who is on it (until != not_listed), and who meets its score
    condition (score < below, or score >= at_least; NaN for no such condition), listed
    or not. Writes both in ascending order, as far as the output arrays reach; returns the
    full counts (a count above its array's length means: call again with a longer one)."""
    n_on = 0
    n_hit = 0
    cap_on = on_out.shape[0]
    cap_hit = hit_out.shape[0]
    check_below = not np.isnan(below)
    check_above = not np.isnan(at_least)
    for i in range(until.shape[0]):
        if until[i] != not_listed:
            if n_on < cap_on:
                on_out[n_on] = i
            n_on += 1
        s = score[i]
        if (check_below and s < below) or (check_above and s >= at_least):
            if n_hit < cap_hit:
                hit_out[n_hit] = i
            n_hit += 1
    return n_on, n_hit


@njit(cache=True, inline="always")
def _buffer(s, thresholds, lo):
    """Points to spare: s minus the highest threshold at or below it (or the scale's minimum)."""
    below = lo
    for k in range(thresholds.shape[0]):
        if thresholds[k] <= s:
            below = thresholds[k]
        else:
            break
    return s - below


@njit(cache=True)
def sample_buffers(score, stride, thresholds, lo, out):
    """out[k] = the buffer of citizen k * stride, as collect.buffer computes it (float64)."""
    for k in range(out.shape[0]):
        out[k] = _buffer(np.float64(score[k * stride]), thresholds, lo)


@njit(cache=True, inline="always")
def _decile(v, virtue_cuts):
    """How many of the (sorted) cut points are at or below v: np.searchsorted(side="right")."""
    d = 0
    for k in range(virtue_cuts.shape[0]):
        if virtue_cuts[k] <= v:
            d += 1
    return d


@njit(cache=True, parallel=True)
def c4_histogram(score, thresholds, lo, cuts, virtue, virtue_cuts, out):
    """Citizens per (virtue decile, buffer quartile) cell, in one pass split in chunks. A
    buffer at a cut point goes to the lower quartile. The decile is found from the cuts
    here, not stored: a byte per citizen less at the peak."""
    n = score.shape[0]
    nc = (n + CHUNK - 1) // CHUNK
    part = np.zeros((nc, out.shape[0]), np.int64)
    for c in prange(nc):
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            b = _buffer(np.float64(score[i]), thresholds, lo)
            if b > cuts[2]:
                q = 3
            elif b > cuts[1]:
                q = 2
            elif b > cuts[0]:
                q = 1
            else:
                q = 0
            part[c, _decile(virtue[i], virtue_cuts) * 4 + q] += 1
    for c in range(nc):
        for j in range(out.shape[0]):
            out[j] += part[c, j]


# SeedSequence's mixing (numpy/random/bit_generator.pyx), for PhaseStreams: the same pool
# and state words, without the Python-level cost of SeedSequence and a new Generator.
_SS_INIT_A = np.uint32(0x43B0D7E5)
_SS_MULT_A = np.uint32(0x931E8875)
_SS_INIT_B = np.uint32(0x8B51F9DD)
_SS_MULT_B = np.uint32(0x58F38DED)
_SS_MIX_L = np.uint32(0xCA01F9DD)
_SS_MIX_R = np.uint32(0x4973F715)


@njit(cache=True)
def seed_sequence_words(entropy, out):
    """out[0:8] = SeedSequence(entropy).generate_state(8, np.uint32), for uint32 `entropy`
    without a spawn key (pool size 4). Arithmetic is uint32 throughout, as numpy's."""
    h = _SS_INIT_A
    pool = np.empty(4, np.uint32)
    for i in range(4):
        v = entropy[i] if i < entropy.shape[0] else np.uint32(0)
        v = np.uint32(v ^ h)
        h = np.uint32(h * _SS_MULT_A)
        v = np.uint32(v * h)
        pool[i] = np.uint32(v ^ (v >> np.uint32(16)))
    for s in range(4):
        for d in range(4):
            if s != d:
                v = np.uint32(pool[s] ^ h)
                h = np.uint32(h * _SS_MULT_A)
                v = np.uint32(v * h)
                v = np.uint32(v ^ (v >> np.uint32(16)))
                r = np.uint32(np.uint32(_SS_MIX_L * pool[d]) - np.uint32(_SS_MIX_R * v))
                pool[d] = np.uint32(r ^ (r >> np.uint32(16)))
    for s in range(4, entropy.shape[0]):
        for d in range(4):
            v = np.uint32(entropy[s] ^ h)
            h = np.uint32(h * _SS_MULT_A)
            v = np.uint32(v * h)
            v = np.uint32(v ^ (v >> np.uint32(16)))
            r = np.uint32(np.uint32(_SS_MIX_L * pool[d]) - np.uint32(_SS_MIX_R * v))
            pool[d] = np.uint32(r ^ (r >> np.uint32(16)))
    h = _SS_INIT_B
    for i in range(out.shape[0]):
        v = np.uint32(pool[i % 4] ^ h)
        h = np.uint32(h * _SS_MULT_B)
        v = np.uint32(v * h)
        out[i] = np.uint32(v ^ (v >> np.uint32(16)))


@njit(cache=True)
def _pairwise_block(a, lo, n):
    """numpy's pairwise summation of a block of at most 128 float64s (numpy/_core/src/umath/
    loops_utils.h.src): a plain loop below 8, else eight running sums, then the rest."""
    if n < 8:
        res = -0.0
        for i in range(n):
            res += a[lo + i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - (n % 8):
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit(cache=True)
def _pairwise_sum(a, lo, n):
    """numpy's pairwise summation of float64 a[lo:lo + n], step for step, so a sum made here
    has the bits np.sum gives: above 128 values the range is split in two (the first part a
    multiple of 8) and the halves' sums added. The recursion is unrolled onto a stack (a
    recursive kernel loaded from numba's cache crashed)."""
    if n <= 128:
        return _pairwise_block(a, lo, n)
    s_lo = np.empty(128, np.int64)
    s_n = np.empty(128, np.int64)
    s_state = np.empty(128, np.int64)
    vals = np.empty(128, np.float64)
    top = 0
    nv = 0
    s_lo[0] = lo
    s_n[0] = n
    s_state[0] = 0
    while top >= 0:
        lo_, n_ = s_lo[top], s_n[top]
        if n_ <= 128:
            vals[nv] = _pairwise_block(a, lo_, n_)
            nv += 1
            top -= 1
            continue
        n2 = n_ // 2
        n2 -= n2 % 8
        st = s_state[top]
        if st == 0:  # the first half next
            s_state[top] = 1
            top += 1
            s_lo[top], s_n[top], s_state[top] = lo_, n2, 0
        elif st == 1:  # then the second
            s_state[top] = 2
            top += 1
            s_lo[top], s_n[top], s_state[top] = lo_ + n2, n_ - n2, 0
        else:  # both done: their sum
            nv -= 1
            right = vals[nv]
            vals[nv - 1] = vals[nv - 1] + right
            top -= 1
    return vals[0]


@njit(cache=True)
def np_sum(a):
    """np.sum of a 1-d float64 array, bit for bit (the reduction starts from 0.0)."""
    return 0.0 + _pairwise_sum(a, 0, a.shape[0])


@njit(cache=True)
def day_sums(act_b, act_exc, rec_b, rec_false, rec_exc, social_value, seen, points, lawful, performative,
             counts, sums):
    """The collect phase's sums over the day's acts and records in one call (each float sum
    as np.sum of the selected values in order, so the bits are those of the numpy version).

    counts: acts harmful, acts good, excusable acts, false records, excused records, offences.
    sums: social value of harmful acts, of harmful acts no source sees; points of records
    losing points, of those for lawful conduct; points of records gaining points, of those
    for performative acts."""
    k = act_b.shape[0]
    m = rec_b.shape[0]
    buf = np.empty(max(k, m), np.float64)
    buf2 = np.empty(max(k, m), np.float64)
    n1 = 0
    n2 = 0
    good = 0
    exc = 0
    for i in range(k):
        v = social_value[act_b[i]]
        if v < 0:
            buf[n1] = v
            n1 += 1
            if not seen[act_b[i]]:
                buf2[n2] = v
                n2 += 1
        elif v > 0:
            good += 1
        if act_exc[i]:
            exc += 1
    counts[0] = n1
    counts[1] = good
    counts[2] = exc
    sums[0] = 0.0 + _pairwise_sum(buf, 0, n1)
    sums[1] = 0.0 + _pairwise_sum(buf2, 0, n2)
    fal = 0
    rexc = 0
    n1 = 0
    n2 = 0
    for i in range(m):
        if rec_false[i]:
            fal += 1
        if rec_exc[i]:
            rexc += 1
        v = points[rec_b[i]]
        if v < 0:
            buf[n1] = v
            n1 += 1
            if lawful[rec_b[i]]:
                buf2[n2] = v
                n2 += 1
    counts[3] = fal
    counts[4] = rexc
    counts[5] = n1
    sums[2] = 0.0 + _pairwise_sum(buf, 0, n1)
    sums[3] = 0.0 + _pairwise_sum(buf2, 0, n2)
    n1 = 0
    n2 = 0
    for i in range(m):
        v = points[rec_b[i]]
        if v > 0:
            buf[n1] = v
            n1 += 1
            if performative[rec_b[i]]:
                buf2[n2] = v
                n2 += 1
    sums[4] = 0.0 + _pairwise_sum(buf, 0, n1)
    sums[5] = 0.0 + _pairwise_sum(buf2, 0, n2)


# --- the view ---------------------------------------------------------------------------


@njit(cache=True)
def nonzero_u8(a):
    """np.flatnonzero of a contiguous uint8 array (ascending int64 ids), about six times
    faster when few are set: eight bytes are tested at a time, and only words with a set
    byte are looked into (the blacklisted in a view of every citizen: 2 ms -> 0.3 ms at 1e6)."""
    n = a.shape[0]
    nw = n // 8
    w = a[: nw * 8].view(np.uint64)
    cnt = 0
    for j in range(nw):
        if w[j] != 0:
            for i in range(8 * j, 8 * j + 8):
                if a[i] != 0:
                    cnt += 1
    for i in range(nw * 8, n):
        if a[i] != 0:
            cnt += 1
    out = np.empty(cnt, np.int64)
    k = 0
    for j in range(nw):
        if w[j] != 0:
            for i in range(8 * j, 8 * j + 8):
                if a[i] != 0:
                    out[k] = i
                    k += 1
    for i in range(nw * 8, n):
        if a[i] != 0:
            out[k] = i
            k += 1
    return out


@njit(cache=True)
def union_sorted(a, b):
    """np.union1d of two ascending arrays of distinct ids, by merging (no sort, no hash):
    the listed of a shard are kept ascending, and a year's lists made np.union1d and
    np.unique on them a tenth of a late day of pilots-43."""
    out = np.empty(a.shape[0] + b.shape[0], np.int64)
    i = j = k = 0
    while i < a.shape[0] and j < b.shape[0]:
        x, y = a[i], b[j]
        if x < y:
            out[k] = x
            i += 1
        elif y < x:
            out[k] = y
            j += 1
        else:
            out[k] = x
            i += 1
            j += 1
        k += 1
    while i < a.shape[0]:
        out[k] = a[i]
        i += 1
        k += 1
    while j < b.shape[0]:
        out[k] = b[j]
        j += 1
        k += 1
    return out[:k]


@njit(cache=True)
def flag_bits(black, published):
    """One bit per citizen, set where black or published is (uint8 arrays of equal size,
    contiguous): bit i % 64 of word i // 64. Eight citizens are tested at a time."""
    n = black.shape[0]
    out = np.zeros((n + 63) // 64, np.uint64)
    nw = n // 8
    wb = black[: nw * 8].view(np.uint64)
    wp = published[: nw * 8].view(np.uint64)
    for j in range(nw):
        if wb[j] != 0 or wp[j] != 0:
            for i in range(8 * j, 8 * j + 8):
                if black[i] or published[i]:
                    out[i >> 6] |= np.uint64(1) << np.uint64(i & 63)
    for i in range(nw * 8, n):
        if black[i] or published[i]:
            out[i >> 6] |= np.uint64(1) << np.uint64(i & 63)
    return out
