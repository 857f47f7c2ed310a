"""Every optimised kernel against a plain reference implementation on small cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scslab.engine import EngineParams, kernels
from scslab.engine.behave import act_logit, behave
from scslab.engine.build import build_nation
from scslab.engine.listing import union_all
from scslab.engine.state import NOT_LISTED, STEP
from scslab.pilots import load_pilot
from scslab.society import SocietySpec, make_society


def _score_ref(pos, neg, cpos, cneg, disclosed, harm, base, lo, hi, f_neg, f_pos, pen, f_harm):
    pos, neg, cpos, cneg, harm = (a.astype(np.float64) for a in (pos, neg, cpos, cneg, harm))
    add = np.where(disclosed, 0.0, pen)
    neg, cneg = (neg + add) * f_neg, (cneg + add) * f_neg
    pos, cpos = pos * f_pos, cpos * f_pos
    s = base + pos - neg
    neg = np.where(s < lo, base + pos - lo, neg)
    pos = np.where(s > hi, hi - base + neg, pos)
    return np.clip(s, lo, hi), pos, neg, add


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31), pen=st.sampled_from([0.0, 0.5]), f_neg=st.sampled_from([1.0, 0.99]))
def test_score_update_matches_reference(seed, pen, f_neg):
    rng = np.random.default_rng(seed)
    n = 257
    pos = rng.uniform(0, 300, n).astype(np.float32)
    neg = rng.uniform(0, 900, n).astype(np.float32)
    cpos, cneg = pos.copy(), (neg * 0.5).astype(np.float32)
    disclosed = rng.random(n) < 0.5
    harm = rng.random(n).astype(np.float32)
    want_s, want_pos, want_neg, add = _score_ref(pos, neg, cpos, cneg, disclosed, harm, 500.0, 0.0, 1000.0,
                                                 f_neg, 0.995, pen, 0.97)
    score = np.zeros(n, np.float32)
    lost, lawful = np.zeros(n, np.float32), np.zeros(n, np.float32)
    kernels.score_update(pos, neg, cpos, cneg, score, disclosed, harm, harm, 500.0, 0.0, 1000.0, np.float32(f_neg),
                         np.float32(0.995), np.float32(pen), np.float32(0.97), lost, lawful)
    np.testing.assert_allclose(score, want_s, rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(pos, want_pos, rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(neg, want_neg, rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(lost, add, atol=1e-6)
    assert np.all((score >= 0) & (score <= 1000))


def test_consequences_match_a_plain_reference():
    rng = np.random.default_rng(3)
    n, L = 5_000, 2
    score = rng.uniform(0, 100, n).astype(np.float32)
    grade_min = np.array([0.0, 40.0, 80.0])
    until = np.where(rng.random((L, n)) < 0.2, 50, NOT_LISTED).astype(STEP)
    wrongful = rng.random((L, n)) < 0.3
    list_black = np.array([True, False])
    list_pub = np.array([True, False])
    g_cost = np.array([2.0, 0.0, 0.0], np.float32)
    g_gain = np.array([0.0, 0.0, 1.0], np.float32)
    g_sec = np.array([1 << 3, 0, 0], np.uint32)
    g_priv = np.array([False, False, True])
    l_cost = np.array([5.0, 0.0], np.float32)
    l_gain = np.array([0.0, 0.5], np.float32)
    l_sec = np.array([(1 << 0) | (1 << 1), 0], np.uint32)
    l_priv = np.array([False, True])
    income = rng.uniform(1, 3, n).astype(np.float32)
    disclosed = rng.random(n) < 0.4
    harm = np.where(rng.random(n) < 0.5, 0, rng.random(n)).astype(np.float32)
    grade = np.zeros(n, np.int8)
    wealth = np.zeros(n, np.float32)
    sectors = np.zeros(n, np.uint32)
    ever = np.zeros(n, np.uint32)
    sd, pd_ = np.zeros(n, np.uint16), np.zeros(n, np.uint16)
    v = [np.zeros(n, np.float32), np.zeros(n, np.uint8), np.zeros(n, np.uint8), np.zeros(n, np.float32),
         np.zeros(n, np.uint16)]
    partial = np.zeros((kernels.n_chunks(n), 12 + grade_min.size))
    kernels.consequences(score, grade_min, until, NOT_LISTED, wrongful[:1], np.array([0, -1]), list_black, list_pub, g_cost, g_gain, g_sec, g_priv,
                         l_cost, l_gain, l_sec, l_priv, income, disclosed, harm, np.float32(0.5), grade, wealth,
                         sectors, ever, sd, pd_, 0, *v, partial)
    # Reference, written the obvious way.
    k = np.searchsorted(grade_min, score, side="right") - 1
    on = until != NOT_LISTED
    want_cost = g_cost[k] + (on * l_cost[:, None]).sum(axis=0)
    want_gain = g_gain[k] + (on * l_gain[:, None]).sum(axis=0)
    want_sec = g_sec[k] | np.bitwise_or.reduce(on * l_sec[:, None], axis=0)
    black = (on & list_black[:, None]).any(axis=0)
    assert np.array_equal(grade, k)
    np.testing.assert_allclose(wealth, income - want_cost + want_gain, rtol=1e-6)
    assert np.array_equal(sectors, want_sec)
    assert np.array_equal(v[1].astype(bool), black)
    assert np.array_equal(sd, (want_sec != 0).astype(np.uint16))
    cheat = np.where(harm > 0, np.round((1 - np.exp(-0.5 * harm.astype(np.float64))) * 32767), 0).astype(np.int64)
    got = v[4].astype(np.int64)
    assert np.array_equal(got >> 15, black.astype(np.int64))
    assert np.abs((got & 0x7FFF) - cheat).max() <= 1
    tot = partial.sum(axis=0)
    assert np.array_equal(tot[12:], np.bincount(k, minlength=grade_min.size))
    np.testing.assert_allclose(tot[11], harm.astype(np.float64).sum(), rtol=1e-12)
    assert tot[5] == black.sum() and tot[4] == np.bitwise_count(want_sec).sum()
    np.testing.assert_allclose(tot[0], score.astype(np.float64).sum(), rtol=1e-9)


def _drop_ties_reference(indptr, indices, active, offset, black, pub, seed, step, p_listed, p_pub):
    """The plain way: every stored entry, each tie decided by its symmetric hash."""
    dropped = 0
    for r in range(indptr.size - 1):
        i = r + offset
        for e in range(indptr[r], indptr[r + 1]):
            j = int(indices[e])
            p = kernels._drop_p(black[i], pub[i], black[j], pub[j], p_listed, p_pub)
            if active[e] and p > 0 and kernels._tie_u(seed, step, i, j) < p:
                active[e] = False
                dropped += 1
    return dropped


def _fold(indices, active):
    """The engine's encoding: a dropped tie end j stored as ~j."""
    return np.where(active, indices, ~indices).astype(np.int32)


@pytest.mark.parametrize("seed,ip_dtype", [(1, np.int32), (2, np.int64)])
def test_sparse_tie_dropping_matches_the_full_scan(seed, ip_dtype):
    soc = make_society(SocietySpec(n=3_000, municipalities=3), seed=seed)
    net, pop = soc.network, soc.population
    rng = np.random.default_rng(seed)
    black = (rng.random(soc.n) < 0.05).astype(np.uint8)
    pub = ((rng.random(soc.n) < 0.5) & black.astype(bool)).astype(np.uint8)
    # Some ties already dropped, at both ends as the engine drops them (society.Network
    # keeps the graph undirected): the mirror search must see through ~j.
    net = net.copy()
    net.drop_edges(rng.random(net.indices.size) < 0.05)
    active0 = net.active.copy()
    for m in range(3):
        sl = pop.municipality_slice(m)
        ip = net.indptr[sl.start: sl.stop + 1]
        rows = slice(int(ip[0]), int(ip[-1]))
        indptr = (ip - ip[0]).astype(ip_dtype)
        indices = net.indices[rows]
        a1 = active0[rows].copy()
        d1 = _drop_ties_reference(indptr, indices, a1, sl.start, black, pub, np.uint64(9), 5, 0.3, 0.2)
        enc = _fold(indices, active0[rows])
        cross, crow = kernels.cross_ties(indptr, enc, sl.start, sl.stop)
        assert np.array_equal(cross, np.flatnonzero((indices < sl.start) | (indices >= sl.stop)))
        assert np.array_equal(crow, np.searchsorted(indptr, cross, side="right") - 1)
        listed = np.flatnonzero(black[sl] | pub[sl])
        far = np.where(enc[cross] < 0, ~enc[cross], enc[cross]).astype(np.int64)
        order = rng.permutation(cross.size)  # any order of the cross entries decides the same
        bits = kernels.flag_bits(black, pub)
        assert np.array_equal(np.unpackbits(bits.view(np.uint8), bitorder="little")[: soc.n].astype(bool),
                              (black | pub).astype(bool))
        d2 = kernels.drop_ties_sparse(indptr, enc, sl.start, listed, crow[order], cross[order], far[order],
                                      black, pub, bits, np.uint64(9), 5, 0.3, 0.2)
        assert np.array_equal(enc, _fold(indices, a1)) and d1 == d2 and d1 > 0


@pytest.mark.parametrize("ip_dtype", [np.int32, np.int64])
def test_tie_reads_skip_dropped_ends(ip_dtype):
    """neighbour_stats, rows_mean, edge_stats and the degree count against plain loops over
    (indices, active), with the kernels given the folded encoding."""
    soc = make_society(SocietySpec(n=4_000, municipalities=2), seed=6)
    net, pop = soc.network, soc.population
    rng = np.random.default_rng(6)
    active = rng.random(net.indices.size) > 0.2
    score = rng.uniform(0, 1000, soc.n).astype(np.float32)
    black = (rng.random(soc.n) < 0.1).astype(np.uint8)
    top = score >= np.quantile(score, 0.9)
    sl = pop.municipality_slice(1)
    ip = net.indptr[sl.start: sl.stop + 1]
    rows = slice(int(ip[0]), int(ip[-1]))
    indptr = (ip - ip[0]).astype(ip_dtype)
    indices, act = net.indices[rows], active[rows]
    enc = _fold(indices, act)
    n = sl.stop - sl.start
    deg, nbl, ms = np.empty(n, np.int32), np.empty(n, np.int32), np.empty(n, np.float32)
    kernels.neighbour_stats(indptr, enc, sl.start, score, black, deg, nbl, ms)
    means = np.empty(n)
    kernels.rows_mean(indptr, enc, np.arange(n, dtype=np.int64), score, means)
    sums = np.zeros(6)
    kernels.edge_stats(indptr, enc, sl.start, score, top, sums)
    want_sums = np.zeros(6)
    for r in range(n):
        js = [int(indices[e]) for e in range(indptr[r], indptr[r + 1]) if act[e]]
        assert deg[r] == len(js) and nbl[r] == sum(int(black[j]) for j in js)
        want = sum(float(score[j]) for j in js) / len(js) if js else None
        assert (np.isnan(ms[r]) if want is None else ms[r] == pytest.approx(want, rel=1e-6))
        assert means[r] == pytest.approx(want or 0.0, rel=1e-12)
        i = r + sl.start
        for j in js:
            if j > i:
                a, b = float(score[i]), float(score[j])
                want_sums += [1, a + b, a * a + b * b, 2 * a * b, top[i] or top[j], top[i] and top[j]]
    assert np.allclose(sums, want_sums, rtol=1e-12)
    assert np.array_equal(kernels.active_degree(indptr, enc), deg)
    assert kernels.count_active(enc) == act.sum()


def test_thinning_draws_acts_at_the_exact_rates():
    """behave's candidate-then-accept sampling against the probabilities it thins."""
    soc = make_society(SocietySpec(n=20_000), seed=5)
    nation = build_nation([load_pilot("sesame")], soc, EngineParams(), 5)
    sh = nation.shards[0]
    view = nation.new_view()
    sh.publish(view)
    nb = sh.neighbourhood(view)
    n, B = sh.st.n, sh.crb.n_behaviours
    everyone = np.repeat(np.arange(n), B)
    bids = np.tile(np.arange(B, dtype=np.int16), n)
    prob = 1 / (1 + np.exp(-act_logit(sh.st, sh.crb, sh.p, sh.tb, nb, everyone, bids)))
    expected = np.bincount(bids, weights=prob, minlength=B)
    assert np.all(prob <= sh.tb.p_max[bids] + 1e-12)  # the bound holds
    days = 40
    counts = np.zeros(B)
    for d in range(days):
        acts = behave(sh.st, sh.crb, sh.p, sh.tb, nb, np.random.default_rng(d))
        counts += np.bincount(acts.behaviour, minlength=B)
    mean = counts / days
    sd = np.sqrt(expected / days)
    assert np.all(np.abs(mean - expected) <= 5 * sd + 0.5)


def test_c4_histogram_matches_the_plain_definition():
    from scslab.engine.collect import buffer

    rng = np.random.default_rng(1)
    n = 50_000
    score = rng.choice([1000.0, 990, 1050, 600, 850.5], n) + rng.normal(0, 3, n) * (rng.random(n) < 0.5)
    score = score.astype(np.float32)
    th = np.array([600.0, 850.0, 960.0, 1030.0, 1050.0])
    virtue = rng.random(n).astype(np.float32)
    virtue[:100] = 0.5  # ties at a cut point
    vq = np.quantile(virtue, np.linspace(0.1, 0.9, 9))
    vd = np.searchsorted(vq, virtue, side="right")
    assert vd.min() == 0 and vd.max() == 9
    b = buffer(score.astype(np.float64), th, 0.0)
    cuts = np.quantile(b, [0.25, 0.5, 0.75])
    q = np.searchsorted(cuts, b, side="left")
    q = np.where(b > cuts[2], 3, np.minimum(q, 2))
    out = np.zeros(40, np.int64)
    kernels.c4_histogram(score, th, 0.0, cuts, virtue, vq, out)
    assert np.array_equal(out, np.bincount(vd * 4 + q, minlength=40))
    for stride in (1, 3, 7):  # the cut points' sample: the same buffers as the numpy definition
        sample = np.empty((n + stride - 1) // stride)
        kernels.sample_buffers(score, stride, th, 0.0, sample)
        assert np.array_equal(sample, b[::stride])


def _trust_ref(indptr, indices, active, offset, n, v_cheat, refuse, k_ties, strangers, seed, step, forget,
               r, s, cheated):
    """The trust phase as written in its docstring, one exchange at a time."""
    mask = 0xFFFFFFFFFFFFFFFF
    gold = int(kernels._GOLD)
    base = int(kernels._mix(np.uint64((int(seed) * gold + step) & mask)))
    r, s = r.copy(), s.copy()
    cheated = cheated.copy()
    trust = np.empty(n, np.float64)
    K = k_ties + len(strangers)
    for li in range(n):
        gi = li + offset
        rr = float(np.float32(r[li] * forget))
        ss = float(np.float32(s[li] * forget))
        d = indptr[li + 1] - indptr[li]
        for k in range(K):
            if k % 2 == 0:
                z = int(kernels._mix(np.uint64(base ^ ((gi * gold + k) & mask))))
                w = z >> 32
            else:
                w = z & 0xFFFFFFFF
            if k < k_ties:
                if d == 0:
                    continue
                e = indptr[li] + int((w >> 16) / 65536.0 * d)
                if not active[e]:
                    continue
                j = indices[e]
            else:
                j = offset + (li + strangers[k - k_ties]) % n
            x = int(v_cheat[j])
            if x & 0x8000 and refuse:
                continue
            if (w & 0x7FFF) < (x & 0x7FFF):
                ss += 1.0
                cheated[li] += 1
            else:
                rr += 1.0
        r[li], s[li] = rr, ss
        trust[li] = (rr + 1.0) / (rr + ss + 2.0)  # in float64, as the kernel sums it
    return r, s, trust, cheated


@pytest.mark.parametrize("k_ties,n_str,refuse", [(2, 1, True), (3, 2, False), (0, 1, True), (1, 0, True)])
def test_trust_exchanges_match_the_plain_definition(k_ties, n_str, refuse):
    soc = make_society(SocietySpec(n=7_000, municipalities=2), seed=3)
    net = soc.network
    rng = np.random.default_rng(k_ties)
    active = net.active.copy()
    active[rng.random(active.size) < 0.1] = False
    v_cheat = (rng.integers(0, 3000, soc.population.n) * (rng.random(soc.population.n) < 0.4)).astype(np.uint16)
    v_cheat[rng.random(soc.population.n) < 0.05] |= np.uint16(0x8000)
    sl = soc.population.municipality_slice(1)
    n = sl.stop - sl.start
    indptr = (net.indptr[sl.start:sl.stop + 1] - net.indptr[sl.start]).astype(np.int32)
    rows = slice(net.indptr[sl.start], net.indptr[sl.stop])
    indices, act = net.indices[rows], active[rows]
    strangers = rng.integers(1, n, n_str).astype(np.int64)
    r0 = (rng.random(n) * 20).astype(np.float32)
    s0 = (rng.random(n) * 5).astype(np.float32)
    c0 = rng.integers(0, 4, n).astype(np.int32)
    want = _trust_ref(indptr, indices, act, sl.start, n, v_cheat, refuse, k_ties, strangers, 11, 4,
                      np.float32(0.98), r0, s0, c0)
    r, s, c = r0.copy(), s0.copy(), c0.copy()
    partial = np.zeros((kernels.n_chunks(n), 2))
    kernels.trust_exchanges(indptr, _fold(indices, act), sl.start, n, v_cheat, refuse, k_ties, strangers,
                            np.uint64(11), 4, np.float32(0.98), r, s, c, partial)
    for got, exp in zip((r, s, c), (want[0], want[1], want[3]), strict=True):
        assert np.array_equal(got, exp)
    assert partial[:, 1].sum() == (c - c0).sum() > 0
    assert partial[:, 0].sum() == pytest.approx(float(want[2].sum()), rel=1e-12)
    # The same kernel as plain Python (what NUMBA_DISABLE_JIT=1 runs): each chunk's sums land
    # in that chunk's row (an inner variable once shadowed the chunk index).
    r2, s2, c2 = r0.copy(), s0.copy(), c0.copy()
    partial2 = np.zeros_like(partial)
    with np.errstate(over="ignore"):  # the hashes wrap around in uint64, as compiled code does
        kernels.trust_exchanges.py_func(indptr, _fold(indices, act), sl.start, n, v_cheat, refuse, k_ties,
                                        strangers, np.uint64(11), 4, np.float32(0.98), r2, s2, c2, partial2)
    assert np.array_equal(c2, c) and np.array_equal(partial2[:, 1], partial[:, 1])
    np.testing.assert_allclose(partial2[:, 0], partial[:, 0], rtol=1e-5)  # float32 steps in Python


def _shard_with_recent_harm(pilot: str, n: int, seed: int, rng: np.random.Generator):
    """A shard of `pilot` whose public view shows recent harm for about 30% of citizens,
    and its neighbourhood (so the conformity term has something to read)."""
    soc = make_society(SocietySpec(n=n), seed=seed)
    nation = build_nation([load_pilot(pilot)], soc, EngineParams(), seed)
    sh = nation.shards[0]
    view = nation.new_view()
    sh.publish(view)
    view.harm[:] = (rng.random(sh.st.n) * (rng.random(sh.st.n) < 0.3)).astype(np.float32)
    nb = sh.neighbourhood(view)
    nb.mean_harm = float(view.harm.mean())
    return sh, nb


@pytest.mark.parametrize("pilot", ["sesame", "suining", "court-blacklist"])
def test_fused_act_logits_and_decisions_match_act_logit(pilot):
    """kernels.act_logits against behave.act_logit, and act_accept's shortcut (the conformity
    term read only when the bounds disagree) against deciding on the full logit."""
    from scslab.engine.behave import _kernel_args

    rng = np.random.default_rng(4)
    sh, nb = _shard_with_recent_harm(pilot, 6_000, 2, rng)
    n, B = sh.st.n, sh.crb.n_behaviours
    sh.st.score[:] = rng.uniform(sh.crb.min, sh.crb.max, n).astype(np.float32)
    sh.st.disclosed[:] = rng.random(n) < 0.5
    idx = np.repeat(np.arange(n), B).astype(np.int32)
    bids = np.tile(np.arange(B, dtype=np.int16), n)
    ref = act_logit(sh.st, sh.crb, sh.p, sh.tb, nb, idx, bids)
    fast = np.empty(idx.size, np.float64)
    kernels.act_logits(idx, bids, *_kernel_args(sh.st, sh.crb, sh.p, sh.tb, nb), fast)
    fin = np.isfinite(ref)
    assert np.array_equal(fin, np.isfinite(fast))
    assert np.allclose(fast[fin], ref[fin], rtol=0, atol=1e-12)
    bar = rng.random(idx.size) * sh.tb.p_max[bids]
    keep = np.empty(idx.size, bool)
    reads = kernels.act_accept(idx, bids, bar, *_kernel_args(sh.st, sh.crb, sh.p, sh.tb, nb), keep)
    assert np.array_equal(keep, bar < 1.0 / (1.0 + np.exp(-ref)))
    assert 0 < reads < idx.size  # the shortcut decided some, and the ties decided others


def test_candidates_are_uniform_subsets_of_binomial_size():
    from scslab.engine.behave import candidates

    n = 50
    p = np.array([0.0, 0.02, 0.1, 0.3, 0.9, 1.0])  # 0.1: sparse path with repeats to redraw
    counts = np.zeros((p.size, n))
    sizes = [[] for _ in p]
    days = 4000
    rng = np.random.default_rng(7)
    for _ in range(days):
        idx, beh = candidates(n, p, rng)
        keys = idx.astype(np.int64) * p.size + beh
        assert np.all(np.diff(keys) > 0)  # sorted by (citizen, behaviour), no repeats
        np.add.at(counts, (beh, idx), 1)
        for b in range(p.size):
            sizes[b].append(int((beh == b).sum()))
    for b in range(p.size):
        assert np.mean(sizes[b]) == pytest.approx(n * p[b], abs=4 * np.sqrt(n * p[b] * (1 - p[b]) / days) + 1e-9)
        sd = np.sqrt(days * p[b] * (1 - p[b]))
        assert np.all(np.abs(counts[b] - days * p[b]) <= 5 * sd + 1e-9)  # every citizen equally likely


def test_parallel_act_decisions_equal_the_serial_ones():
    from scslab.engine.behave import _kernel_args

    rng = np.random.default_rng(9)
    sh, nb = _shard_with_recent_harm("suining", 30_000, 8, rng)
    idx = np.sort(rng.integers(0, sh.st.n, 60_000)).astype(np.int32)
    beh = rng.integers(0, sh.crb.n_behaviours, idx.size).astype(np.int16)
    bar = rng.random(idx.size) * sh.tb.p_max[beh]
    a, b = np.empty(idx.size, bool), np.empty(idx.size, bool)
    args = _kernel_args(sh.st, sh.crb, sh.p, sh.tb, nb)
    assert kernels.act_accept(idx, beh, bar, *args, a) == kernels.act_accept_parallel(idx, beh, bar, *args, b)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("below,above", [(40.0, np.nan), (np.nan, 70.0), (30.0, 90.0), (np.nan, np.nan)])
def test_list_scan_matches_its_definition(below, above):
    rng = np.random.default_rng(5)
    n = 20_000
    until = np.where(rng.random(n) < 0.1, rng.integers(0, 100, n), -1).astype(np.int32)
    score = rng.uniform(0, 100, n).astype(np.float32)
    on, hit = np.empty(n, np.int64), np.empty(n, np.int64)
    n_on, n_hit = kernels.list_scan(until, np.int32(-1), score, below, above, on, hit)
    assert np.array_equal(on[:n_on], np.flatnonzero(until != -1))
    want = np.zeros(n, bool)
    if not np.isnan(below):
        want |= score < below
    if not np.isnan(above):
        want |= score >= above
    assert np.array_equal(hit[:n_hit], np.flatnonzero(want))
    # Short outputs: filled as far as they reach, and the counts are still the full ones.
    small_on, small_hit = np.full(7, -5, np.int64), np.full(3, -5, np.int64)
    assert kernels.list_scan(until, np.int32(-1), score, below, above, small_on, small_hit) == (n_on, n_hit)
    assert np.array_equal(small_on[:min(7, n_on)], on[:min(7, n_on)])
    assert np.array_equal(small_hit[:min(3, n_hit)], hit[:min(3, n_hit)])


def test_a_list_scan_that_outgrows_its_room_runs_again():
    """listing._scan sizes its outputs from the last scan; a day with more listed citizens
    than that gets them all."""
    from scslab.engine.listing import _scan

    soc = make_society(SocietySpec(n=5_000), seed=2)
    sh = build_nation([load_pilot("rongcheng")], soc, EngineParams(), 2).shards[0]
    crb, st = sh.crb, sh.st
    st.score[::5] = crb.list_score_below[0] - 1.0
    st.until[0, ::3] = 7
    st.scan_room[0] = (10, 10)
    on, hits = _scan(st, crb, 0)
    assert np.array_equal(on, np.arange(0, st.n, 3))
    want = np.flatnonzero(st.score < crb.list_score_below[0])
    assert np.array_equal(hits, want)
    assert hits.size == st.n // 5 and st.scan_room[0][0] >= on.size


def test_trust_cheat_counter_saturates():
    """`cheated` is uint16 in the state: it stops at 65535 instead of wrapping to 0."""
    n = 2_000
    indptr = np.zeros(n + 1, np.int64)  # nobody has ties: strangers only
    v_cheat = np.full(n, 0x7FFF, np.uint16)  # every partner cheats
    c = np.full(n, 65534, np.uint16)
    r, s = np.zeros(n, np.float32), np.zeros(n, np.float32)
    partial = np.zeros((kernels.n_chunks(n), 2))
    kernels.trust_exchanges(indptr, np.zeros(0, np.int32), 0, n, v_cheat, True, 2,
                            np.array([1, 2, 3], np.int64), np.uint64(1), 1, np.float32(0.9), r, s, c, partial)
    assert (c == 65535).all() and partial[:, 1].sum() > 0.99 * 3 * n  # a cheat unless u = 32767


def test_sums_made_in_kernels_have_the_bits_of_np_sum():
    """kernels.np_sum and collect's day_sums follow numpy's pairwise summation step for step
    (the daily table's float columns are byte-identical to the numpy version's)."""
    rng = np.random.default_rng(11)
    sizes = [*range(0, 140), 255, 256, 257, 1023, 1025, 8191, 8192, 8193, 20_001, 300_000]
    for n in sizes:
        for a in (rng.normal(size=n), -rng.choice([0.5, 1.25, 3.0, 0.1, 7.3], size=n), rng.standard_cauchy(n) * 1e5):
            assert np.float64(kernels.np_sum(a)).tobytes() == np.float64(np.sum(a)).tobytes(), n
    B = 20
    sv = rng.normal(size=B).round(2)
    pts = rng.choice([-50.0, -20.0, -3.5, 0.0, 5.0, 12.5], size=B)
    seen, lawful, perf = (rng.random(B) < 0.6 for _ in range(3))
    for k, m in [(0, 0), (5, 0), (0, 7), (61, 33), (5_000, 3_000)]:
        ab = rng.integers(0, B, k).astype(np.int16)
        ax = rng.random(k) < 0.2
        rb = rng.integers(0, B, m).astype(np.int16)
        rf, rx = rng.random(m) < 0.1, rng.random(m) < 0.2
        counts, sums = np.zeros(6, np.int64), np.zeros(6)
        kernels.day_sums(ab, ax, rb, rf, rx, sv, seen, pts, lawful, perf, counts, sums)
        v, p = sv[ab], pts[rb]
        want_c = [(v < 0).sum(), (v > 0).sum(), ax.sum(), rf.sum(), rx.sum(), (p < 0).sum()]
        want_s = [v[v < 0].sum(), v[(v < 0) & ~seen[ab]].sum(), p[p < 0].sum(), p[(p < 0) & lawful[rb]].sum(),
                  p[p > 0].sum(), p[(p > 0) & perf[rb]].sum()]
        assert counts.tolist() == [int(x) for x in want_c]
        assert sums.tobytes() == np.array(want_s, np.float64).tobytes()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 60), max_size=40), st.lists(st.integers(0, 60), max_size=40))
def test_union_sorted_is_union1d(a, b):
    """The merge the listing phase uses in place of np.union1d (inputs ascending, distinct)."""
    a, b = np.unique(np.array(a, np.int64)), np.unique(np.array(b, np.int32))
    got = kernels.union_sorted(a, b)
    assert got.dtype == np.int64 and np.array_equal(got, np.union1d(a, b))
    assert np.array_equal(union_all([a, b, a[:3]]), np.union1d(a, b))
