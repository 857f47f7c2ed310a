"""What the nation's speed work changed in the engine keeps every stream and decision."""

from __future__ import annotations

import numpy as np
import pytest

from scslab.engine.context import View
from scslab.engine.shard import PHASES, PhaseStreams


@pytest.mark.parametrize("key", [(0, 0, 0), (1, 2, 3), (2**40 + 5, 42, 2**31), (2**63 - 1, 9_999, 36_499),
                                 (2**32, 2**32 - 1, 65_535)])
def test_phase_streams_are_seedsequence_of_the_key_and_the_phase(key):
    ps = PhaseStreams(*key)
    for i, phase in enumerate(PHASES):
        want = np.random.default_rng(np.random.SeedSequence([*key, 1 + i])).integers(0, 2**63, 16)
        assert np.array_equal(ps[phase].integers(0, 2**63, 16), want), phase


def test_a_shards_pooled_generators_reseeded_each_day_give_the_same_streams():
    """Shard keeps one Generator per phase and reseeds it to each day's key (without
    SeedSequence): every draw is that of default_rng(SeedSequence(key)), day after day."""
    pool: dict = {}
    keys = [(0, 0, 0), (1, 2, 3), (2**40 + 5, 42, 2**31), (2**63 - 1, 9_999, 36_499), (2**32, 2**32 - 1, 65_535),
            (2**64 - 1, 0, 1), (7, 1, 0)]
    rng = np.random.default_rng(5)
    keys += [(int(rng.integers(0, 2**63)), int(rng.integers(0, 10_000)), int(rng.integers(0, 36_500))) for _ in range(40)]
    for key in keys:
        ps = PhaseStreams(*key, pool)
        for i, phase in enumerate(PHASES):
            ref = np.random.default_rng(np.random.SeedSequence([*key, 1 + i]))
            g = ps[phase]
            assert np.array_equal(g.integers(0, 2**63, 7), ref.integers(0, 2**63, 7)), (key, phase)
            assert np.array_equal(g.random(5), ref.random(5))
            assert np.array_equal(g.integers(0, 10, 3, dtype=np.int32), ref.integers(0, 10, 3, dtype=np.int32))
            assert np.array_equal(g.poisson(2.0, 4), ref.poisson(2.0, 4))
    assert set(pool) == set(PHASES)  # one Generator per phase, reused


def test_the_views_blacklisted_ids_follow_its_flags():
    v = View(score=np.zeros(0, np.float32), black=np.zeros(10, np.uint8), published=np.zeros(10, np.uint8),
             harm=np.zeros(10, np.float32), cheat=np.zeros(10, np.uint16))
    assert v.black_ids().size == 0
    v.black[[7, 2]] = 1
    assert v.black_ids().size == 0  # cached until the run loop says the view changed
    v.changed()
    assert v.black_ids().tolist() == [2, 7]


def test_ties_to_listed_citizens_elsewhere_drop_as_when_every_cross_tie_was_visited():
    from scslab.engine import kernels
    from scslab.engine.build import build_nation
    from scslab.engine.params import EngineParams
    from scslab.pilots import load_pilot
    from scslab.society import SocietySpec, make_society

    soc = make_society(SocietySpec(n=3_000, municipalities=3, network={"cross_municipality_share": 0.4}), seed=3)
    params = EngineParams(ostracism=0.5)
    nation = build_nation([load_pilot("guilt-by-association")] * 3, soc, params, 3)
    view = nation.views[0]
    rng = np.random.default_rng(0)
    view.black[rng.choice(3_000, 60, replace=False)] = 1
    view.published[np.flatnonzero(view.black)[::2]] = 1
    view.changed()
    total = 0
    for t, sh in enumerate(nation.shards):
        plain = sh.st.indices.copy()  # every cross entry visited, as before
        lo, hi = sh.id_range
        rows = np.flatnonzero(view.black[lo:hi] | view.published[lo:hi])
        every = np.full(view.flag_bits().size, np.iinfo(np.uint64).max, np.uint64)  # every far end looked at
        want = kernels.drop_ties_sparse(sh.st.indptr, plain, sh.st.offset, rows, sh.cross_rows, sh.cross_entries,
                                        sh.cross_far, view.black, view.published, every, np.uint64(3), t,
                                        sh.crb.tie_drop_rate, 0.5)
        assert sh.network_phase(t, view) == want
        assert np.array_equal(sh.st.indices, plain)
        total += want
    assert total > 20  # ties did drop, across shards too


def test_a_phase_that_draws_nothing_makes_no_generator():
    ps = PhaseStreams(1, 2, 3)
    s = ps["appeal"]
    assert ps["appeal"] is s and s._g is None  # handed out, not made
    first = s.random(3)
    assert s._g is not None
    want = np.random.default_rng(np.random.SeedSequence([1, 2, 3, 1 + PHASES.index("appeal")])).random(4)
    assert np.array_equal(first, want[:3]) and s.random() == want[3]


def test_the_memory_estimate_counts_the_ledger_by_its_days_and_a_shards_own_lists(monkeypatch):
    import scslab.engine.memory as run_mod
    from scslab.engine.validate import ParameterError, check_run_args
    from scslab.pilots import load_pilot

    monkeypatch.setattr(run_mod, "available_bytes", lambda: 22 * 2**30)
    rc = load_pilot("rongcheng")
    # 5e7 citizens fit without a ledger (about 10 GB) ...
    check_run_args([rc], population=50_000_000, steps=365, seed=1)
    # ... but not with every citizen's events for a year (about 180 GB): refused, saying why
    with pytest.raises(ParameterError, match="with its ledger needs about .*--ledger share or fewer --steps"):
        check_run_args([rc], population=50_000_000, steps=365, seed=1, ledger=True)
    check_run_args([rc], population=1_000_000, steps=30, seed=1, ledger=True)  # 1e6 x 30 days: 0.7 GB
    # a year's ledger costs twelve times a month's
    e = run_mod.estimate_bytes
    month, year = (e(10**6, 12, 2, 1.0, d, 0.025) - e(10**6, 12, 2, 0.0, d) for d in (30, 365))
    assert year == pytest.approx(month * 365 / 30, rel=1e-6)
    # a nation's 43 municipalities keep their own lists each, not 43 rulebooks' worth
    nat = load_pilot("court-blacklist")
    check_run_args([rc] * 43, population=50_000_000, steps=365, seed=1, national=nat,
                   society={"municipalities": 43})


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 63, 64, 65, 1_000, 100_003])
def test_the_views_nonzero_kernel_is_flatnonzero(n):
    from scslab.engine.kernels import nonzero_u8

    rng = np.random.default_rng(n)
    for density in (0.0, 0.01, 0.5, 1.0):
        a = (rng.random(n) < density).astype(np.uint8) * rng.integers(1, 256, n).astype(np.uint8)
        got = nonzero_u8(a)
        assert got.dtype == np.int64 and np.array_equal(got, np.flatnonzero(a))
