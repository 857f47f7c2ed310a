"""Compact state encodings: step numbers in uint16, narrowed counters, the end-of-run table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scslab.engine import EngineParams, simulate
from scslab.engine.build import build_nation
from scslab.engine.run import MAX_STEPS
from scslab.engine.state import COUNTERS, FOREVER, NOT_LISTED, STEP, day
from scslab.rulebook import load_rulebook
from scslab.society import SocietySpec, make_society

HARSH = Path(__file__).parent / "data" / "harsh.yaml"


def test_step_numbers_fit_and_clamp():
    assert MAX_STEPS < int(FOREVER) < int(NOT_LISTED) == np.iinfo(STEP).max
    assert day(0) == 0 and day(MAX_STEPS - 1) == MAX_STEPS - 1 and day(MAX_STEPS + 5) == MAX_STEPS + 5
    assert day(int(FOREVER)) == FOREVER and day(10**9) == FOREVER and day(np.int64(70_000)) == FOREVER


def test_day_counters_hold_a_whole_run():
    for k in ("days_blacklisted", "days_wrongfully_listed", "sanction_days", "privilege_days"):
        assert np.iinfo(COUNTERS[k]).max >= MAX_STEPS


def _run_at(rb, t0: int, t1: int, seed: int = 3):
    """Step a small harsh nation through steps t0..t1-1, as the run loop does."""
    soc = make_society(SocietySpec(n=2_000), seed=seed)
    nation = build_nation([rb], soc, EngineParams(), seed)
    view, nxt = nation.new_view(), nation.new_view()
    for sh in nation.shards:
        sh.publish(view)
    for t in range(t0, t1):
        for sh in nation.shards:
            sh.step(t, view, nxt, MAX_STEPS)
        view, nxt = nxt, view
    return nation.shards[0]


@pytest.mark.parametrize("duration", [20, 40_000])
def test_listings_at_the_last_steps_a_run_can_have(duration):
    rb = load_rulebook(HARSH)
    lists = [x.model_copy(update={"duration_days": duration}) for x in rb.lists]
    rb = rb.model_copy(update={"lists": lists})
    t0, t1 = MAX_STEPS - 40, MAX_STEPS
    sh = _run_at(rb, t0, t1)
    st = sh.st
    kept = st.listed_at.row >= 0  # lists whose rules read the entry step (repair, appeal deadlines)
    assert kept.any()
    until, listed_at = st.until[kept], st.listed_at.data
    on = until != NOT_LISTED
    assert on.any(), "the harsh rulebook lists people within days"
    assert (listed_at[on] >= t0).all() and (listed_at[on] < t1).all()
    assert (until[on] > listed_at[on]).all()
    if duration > int(FOREVER) - MAX_STEPS:
        assert (until[on] == FOREVER).all()  # t + duration is past any run: stored as FOREVER
    else:
        assert (until[on].astype(np.int64) <= listed_at[on].astype(np.int64) + duration + 10).all()
    due = st.appeal_due != NOT_LISTED
    assert (st.appeal_due[due] >= t0).all() and (st.appeal_due[due] < t1 + 5 + 1).all()
    sched = st.exit_at.data != NOT_LISTED
    assert (st.exit_at.data[sched] >= t0).all()
    assert st.counters["days_blacklisted"].max() <= t1 - t0


def test_the_table_keeps_its_column_dtypes():
    c = simulate(load_rulebook(HARSH), population=1_000, steps=20, seed=2).citizens
    for k in ("days_blacklisted", "days_wrongfully_listed", "sanction_days", "privilege_days",
              "degree_initial", "degree_final"):
        assert c[k].dtype == np.int32, k
    assert (c.degree_final <= c.degree_initial).all()


def test_act_and_record_counters_count_repeats_and_saturate():
    from scslab.engine import kernels

    who = np.array([0, 0, 1, 3, 3, 3, 4], np.int32)
    beh = np.zeros(who.size, np.int16)
    no = np.zeros(who.size, bool)
    n = 6
    acts = [np.zeros(n, np.uint16) for _ in range(3)]
    for a in acts:
        a[3], a[4] = 65534, 65535
    f32 = [np.zeros(n, np.float32) for _ in range(3)]
    kernels.apply_acts(who, beh, no, np.array([-1.0], np.float32), np.array([True]), np.array([-2.0]),
                       acts[0], acts[1], f32[0], f32[1], acts[2], f32[2])
    assert acts[0].tolist() == [2, 1, 0, 65535, 65535, 0]  # harmful acts
    assert acts[1].tolist() == [0, 0, 0, 65534, 65535, 0]  # no good act
    assert acts[2].tolist() == [2, 1, 0, 65535, 65535, 0]  # culpable
    recs = [np.zeros(n, np.uint16) for _ in range(4)]
    recs[0][4] = 65535
    pts = [np.zeros(n, np.float32) for _ in range(8)]
    kernels.apply_records(who, beh, no, no, np.array([-1.0], np.float32), np.array([False]), np.array([False]),
                          pts[0], pts[1], pts[2], pts[3], recs[0], recs[1], recs[2], recs[3],
                          pts[4], pts[5], pts[6], pts[7])
    assert recs[0].tolist() == [2, 1, 0, 3, 65535, 0] and recs[3].tolist() == [2, 1, 0, 3, 1, 0]


def test_event_counters_saturate_in_a_run(monkeypatch):
    """A counter already at its ceiling stays there instead of wrapping to zero."""
    import scslab.engine.build as build_mod

    real = build_mod.build_nation
    keys = ("acts_harm", "acts_good", "culpable_acts", "records", "offences")

    def at_the_ceiling(*a, **kw):
        nation = real(*a, **kw)
        for sh in nation.shards:
            for k in keys:
                sh.st.counters[k][:] = 65535
        return nation

    monkeypatch.setattr(build_mod, "build_nation", at_the_ceiling)
    r = simulate(load_rulebook(HARSH), population=1_000, steps=10, seed=2)
    assert r.steps.harm.sum() > 0  # acts happened
    for k in keys:
        assert (r.citizens[k] == 65535).all(), k


@pytest.mark.parametrize("names", [
    (["A", "B", "C"], ["A", "B", "C"]),  # the same categories: kept, unused ones too
    (["AAA", "AA", "A"], ["D", "A", "C", "B"]),  # different: the sorted values present
])
def test_categoricals_concatenate_as_pandas_does(names):
    from scslab.engine.result import _concat_categoricals

    rng = np.random.default_rng(1)
    cats = [pd.Categorical.from_codes(rng.integers(0, len(n) - 1, 50).astype(np.int8), categories=n)
            for n in names]
    want = pd.concat([pd.Series(c) for c in cats], ignore_index=True).astype("category")
    got = pd.Series(_concat_categoricals(cats))
    assert list(got.cat.categories) == list(want.cat.categories)
    assert got.astype(str).tolist() == want.astype(str).tolist()
    assert got.cat.codes.tolist() == want.cat.codes.tolist()


def test_renewal_counts_fit_their_dtype():
    from scslab.rulebook.schema import Renewal

    cap = Renewal.model_fields["max_renewals"].metadata
    assert any(getattr(m, "le", None) is not None and m.le <= np.iinfo(np.uint8).max for m in cap)


def test_trigger_counts_are_narrow_only_where_exact():
    from scslab.engine.state import trigger_cap, trigger_dtype

    assert trigger_dtype(np.array([1, 3, 255], np.int32)) == np.uint8 and trigger_cap(np.uint8) == 255
    assert trigger_dtype(np.array([1, 256], np.int32)) == np.int16 and trigger_cap(np.int16) == 30000
    assert trigger_dtype(np.zeros(0, np.int32)) == np.uint8


@pytest.mark.parametrize("min_records", [2, 300])
def test_listing_on_many_records_is_the_same_in_either_dtype(min_records, monkeypatch):
    """A list that needs many records: counts past 255 in uint8 would be wrong, so such a
    rulebook gets int16; forcing int16 on a small threshold changes nothing."""
    import scslab.engine.shard as shard_mod

    rb = load_rulebook(HARSH)
    lists = [x.model_copy(update={"trigger": x.trigger.model_copy(update={"min_records": min_records})})
             if x.trigger is not None else x for x in rb.lists]
    rb = rb.model_copy(update={"lists": lists})
    a = simulate(rb, population=1_500, steps=25, seed=4).citizens
    monkeypatch.setattr(shard_mod, "trigger_dtype", lambda m: np.int16)
    b = simulate(rb, population=1_500, steps=25, seed=4).citizens
    assert a.equals(b)


# --- state shaped by the rulebook -------------------------------------------------------

def test_a_list_field_without_a_row_reads_fill_and_refuses_other_values():
    from scslab.engine.state import ListField

    f = ListField(np.array([False, True, False]), 5, STEP, NOT_LISTED)
    assert f.data.shape == (1, 5) and f.row.tolist() == [-1, 0, -1]
    f[1, np.array([0, 3])] = 7
    assert f[1].tolist() == [7, NOT_LISTED, NOT_LISTED, 7, NOT_LISTED]
    assert f[0, np.array([1, 2])].tolist() == [NOT_LISTED] * 2 and f[2].shape == (5,)
    assert f[0, np.array([], np.int64)].shape == (0,)
    f[0, np.array([1, 2])] = NOT_LISTED  # writing the fill is a no-op
    with pytest.raises(ValueError, match="do not keep"):
        f[2, np.array([4])] = 3
    assert f.take(np.array([1, 0, 1]), np.array([3, 3, 1])).tolist() == [7, NOT_LISTED, NOT_LISTED]
    f[1, np.array([0])] += 1  # the augmented assignment the listing phase uses
    assert f[1, 0] == 8


def test_list_state_is_kept_only_where_the_rules_read_it():
    """rongcheng's two lists are score-triggered; the redlist has no exits, renewals or appeals."""
    from scslab.engine.state import list_fields_used
    from scslab.pilots import resolve_rulebook
    from scslab.rulebook.compiled import compile_rulebook

    crb = compile_rulebook(resolve_rulebook("rongcheng"))
    used = list_fields_used(crb)
    assert crb.list_black.tolist() == [True, False]
    for k in ("trig_count", "trig_clean", "trig_start", "reoffended"):
        assert not used[k].any(), k
    for k in ("wrongful", "exit_at", "renewals", "listed_at", "appealed"):
        assert used[k].tolist() == [True, False], k
    court = compile_rulebook(resolve_rulebook("court-blacklist"))
    assert all(v.all() for v in list_fields_used(court).values())  # record-triggered, renews on reoffence


def test_counters_a_rulebook_cannot_move_are_zero_columns_of_the_usual_dtype():
    from scslab.engine.state import counters_for
    from scslab.pilots import resolve_rulebook
    from scslab.rulebook.compiled import compile_rulebook

    kept = counters_for(compile_rulebook(resolve_rulebook("rongcheng")))
    assert "points_lost_assoc" not in kept and "listings" in kept and "redlistings" in kept
    assert set(counters_for(compile_rulebook(resolve_rulebook("none")))).isdisjoint(
        {"listings", "wrongful_listings", "redlistings", "appeals", "appeals_won", "points_lost_assoc"})
    for name in ("rongcheng", "none"):
        c = simulate(name, population=500, steps=5, seed=1).citizens
        for k in COUNTERS:
            assert k in c.columns, k
        assert c.points_lost_assoc.dtype == np.float32 and (c.points_lost_assoc == 0).all()
        assert c.listings.dtype == np.int16 and c.appeals_won.dtype == np.int16


def test_listing_counters_saturate():
    from scslab.engine.state import bump

    c = np.array([0, 254, 255, 3], np.uint8)
    bump(c, np.array([0, 1, 2]))
    assert c.tolist() == [1, 255, 255, 3]


def test_sector_masks_use_the_rulebooks_own_bits():
    from scslab.engine.context import global_sectors, make_tables
    from scslab.pilots import resolve_rulebook
    from scslab.rulebook.compiled import compile_rulebook
    from scslab.rulebook.schema import SECTORS

    for name in ("rongcheng", "court-blacklist", "sesame"):
        tb = make_tables(compile_rulebook(resolve_rulebook(name)), EngineParams())
        bits = tb.sector_bits
        assert tb.by_grade.sectors.dtype == (np.uint8 if bits.size <= 8 else np.uint16)
        local = np.arange(2 ** bits.size, dtype=np.uint32).astype(tb.by_grade.sectors.dtype)
        back = global_sectors(local, bits)
        assert np.bitwise_count(back).tolist() == np.bitwise_count(local).tolist()
        assert (back & ~np.uint32(sum(1 << int(b) for b in bits)) == 0).all()
        assert all(0 <= b < len(SECTORS) for b in bits)
    # Every sector in a table's mask column is one the rulebook restricts (schema bits).
    c = simulate("court-blacklist", population=2_000, steps=30, seed=1).citizens
    assert c.sectors_ever_mask.dtype == np.uint32
    assert (np.bitwise_count(c.sectors_ever_mask.to_numpy()) == c.sectors_ever.to_numpy()).all()


# --- the tie graph: a dropped end j stored as ~j, int32 row pointers ------------------


def test_row_pointers_are_int32_when_the_tie_ends_fit():
    from scslab.engine.shard import local_indptr

    a = local_indptr(np.array([5, 10, 2**31 + 4], np.int64))  # 2**31 - 1 ends: they fit
    assert a.dtype == np.int32 and a.tolist() == [0, 5, 2**31 - 1]
    b = local_indptr(np.array([0, 7, 2**31], np.int64))
    assert b.dtype == np.int64 and b.tolist() == [0, 7, 2**31]


def _soc_with_dropped_ties(n=3_000, municipalities=2, seed=4):
    soc = make_society(SocietySpec(n=n, municipalities=municipalities), seed=seed)
    soc.network.set_citizen_ties_active(np.arange(0, n, 97), False)
    return soc


def test_an_owned_society_takes_the_flags_in_place():
    """own_society: the flags go into the society's indices (no second copy), and its row
    pointers and flags are released; the shards read the folded indices."""
    soc = _soc_with_dropped_ties()
    net = soc.network
    indices, active = net.indices.copy(), net.active.copy()
    store = net.indices
    nation = build_nation([load_rulebook(HARSH)], soc, EngineParams(), 4, own_society=True)
    assert net.indices is store and net.active is None and net.indptr is None
    assert np.array_equal(store, np.where(active, indices, ~indices))
    for sh in nation.shards:
        assert np.shares_memory(sh.st.indices, store)
        assert sh.st.indptr.dtype == np.int32 and sh.st.indptr[0] == 0
        assert sh.ties_active == np.count_nonzero(sh.st.indices >= 0)


def test_a_users_society_is_left_as_it_was():
    """A Society passed in is copied with the flags folded; two runs on it are identical."""
    soc = _soc_with_dropped_ties()
    net = soc.network
    before = [a.copy() for a in (net.indptr, net.indices, net.active)]
    nation = build_nation([load_rulebook(HARSH)], soc, EngineParams(), 4)
    for sh in nation.shards:
        assert not np.shares_memory(sh.st.indices, net.indices)
        lo, hi = net.indptr[sh.st.offset], net.indptr[sh.st.offset + sh.st.n]
        assert np.array_equal(sh.st.indices, np.where(net.active[lo:hi], net.indices[lo:hi], ~net.indices[lo:hi]))
    rb = load_rulebook(HARSH)
    a = simulate(rb, society=soc, steps=25, seed=4, save_ties=True)
    b = simulate(rb, society=soc, steps=25, seed=4, save_ties=True)
    for x, y in zip(before, (net.indptr, net.indices, net.active), strict=True):
        assert x.dtype == y.dtype and np.array_equal(x, y)
    assert a.network.active_ties.iloc[0] < net.n_active_ties  # the run dropped ties (in its copy)
    for k, df in a.tables().items():
        assert df.equals(b.tables()[k]), k


def test_dropped_ties_are_the_negative_indices(monkeypatch):
    """After a harsh run, the society's (folded, owned) indices hold one negative entry per
    dropped tie end: twice the ties the network table reports as gone."""
    import scslab.engine.build as build_mod

    real, seen = build_mod.build_nation, {}

    def keep_society(rbs, society, *a, **kw):
        nation = real(rbs, society, *a, **kw)
        seen["indices"] = society.network.indices  # the run releases it from the society at the end
        return nation

    monkeypatch.setattr(build_mod, "build_nation", keep_society)
    r = simulate(load_rulebook(HARSH), population=3_000, steps=40, seed=3, save_ties=True)
    row = r.network.iloc[0]
    gone = int(row.ties_initial - row.active_ties)
    assert gone > 0
    ind = seen["indices"]
    assert np.count_nonzero(ind < 0) == 2 * gone
    assert len(r.ties) == row.active_ties and (r.citizens.degree_final.sum() == 2 * row.active_ties)


def test_a_resumed_run_keeps_its_dropped_ties(tmp_path, monkeypatch):
    """Checkpointed mid-run (ties already dropped), then resumed: the same tables."""
    import scslab.engine.checkpoint as ck
    from scslab.engine.run import resume

    rb = load_rulebook(HARSH)
    kw = dict(population=2_000, steps=30, seed=7, save_ties=True)
    want = simulate(rb, **kw)
    real = ck.save

    class Killed(Exception):
        pass

    def save_then_die(run, t_done, *a):
        real(run, t_done, *a)
        if t_done == 20:
            raise Killed

    monkeypatch.setattr(ck, "save", save_then_die)
    with pytest.raises(Killed):
        simulate(rb, out=tmp_path / "run", checkpoint_every=10, **kw)
    monkeypatch.setattr(ck, "save", real)
    got = resume(tmp_path / "run")
    assert got.timing["resumed_from_step"] == 20
    assert got.network.active_ties.iloc[0] < got.network.ties_initial.iloc[0]
    for k, df in want.tables().items():
        assert df.equals(got.tables()[k]), k


def test_the_memory_estimate_is_monotone_and_refuses_what_cannot_fit(monkeypatch):
    """More of anything a run holds never makes the estimate smaller; a size this machine
    (23 GB) cannot hold is refused, and the measured sizes are not (docs/scaling.md)."""
    import itertools

    import scslab.engine.memory as mem

    e = mem.estimate_bytes
    base = dict(population=10**6, mean_degree=12.0, n_lists=2, ledger=0.0, steps=365, events_per_day=0.03,
                municipalities=1, cross_share=0.0)
    grow = {"population": [10**3, 10**5, 10**6, 10**7, 10**8, 2 * 10**9], "mean_degree": [2.0, 6.0, 12.0, 50.0],
            "n_lists": [0, 1, 2, 5, 9], "ledger": [0.0, 0.01, 1.0], "steps": [1, 30, 365, 36_500],
            "events_per_day": [0.0, 0.03, 0.1], "municipalities": [1, 2, 43, 2_850],
            "cross_share": [0.0, 0.05, 0.5]}
    for key, values in grow.items():
        for other in (base, dict(base, municipalities=43, cross_share=0.05, ledger=0.1)):
            got = [e(**dict(other, **{key: v})) for v in values]
            assert all(a <= b for a, b in itertools.pairwise(got)), (key, got)
            if other["ledger"]:  # a nation with a ledger: every quantity counts
                assert got[0] < got[-1], (key, got)
    # the sizes measured within 10% (rongcheng with 2 lists and a year, pilots-43)
    assert e(10**6, 12, 2) == pytest.approx(553.8e6, rel=0.1)
    assert e(10**7, 12, 2) == pytest.approx(2_174e6, rel=0.1)
    assert e(10**5, 12, 5, steps=365, municipalities=43, cross_share=0.05) == pytest.approx(447.6e6, rel=0.1)
    assert e(10**6, 12, 5, steps=60, municipalities=43, cross_share=0.05) == pytest.approx(592.9e6, rel=0.1)
    monkeypatch.setattr(mem, "available_bytes", lambda: 23 * 10**9)
    assert mem.memory_problem(10**8, 12, 2) is None  # a tenth of China fits on this machine
    for n in (2 * 10**8, 2 * 10**9):  # twice that does not, nor does China
        msg = mem.memory_problem(n, 12, 2)
        assert msg and f"{n:,} citizens" in msg
    # a nation of 2,850 counties for 10 years keeps its daily rows: refused at a size that fits as one
    assert mem.memory_problem(10**6, 12, 2, steps=3650, municipalities=2_850, cross_share=0.05) is not None
