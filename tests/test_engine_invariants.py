"""Invariants of the engine, checked on the event ledger of small harsh runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scslab.engine import Levers, simulate
from scslab.rulebook import load_rulebook

HARSH = Path(__file__).parent / "data" / "harsh.yaml"


@pytest.fixture(scope="module")
def harsh():
    return load_rulebook(HARSH)


@pytest.fixture(scope="module")
def run(harsh):
    return simulate(harsh, population=2_000, steps=80, seed=3, ledger=True)


def test_scores_stay_on_the_scale(run, harsh):
    c = run.citizens
    assert c.score.between(harsh.scale.min, harsh.scale.max).all()
    assert c.clean_score.between(harsh.scale.min, harsh.scale.max).all()
    per_step = run.steps.score_sum / run.steps.population
    assert per_step.between(harsh.scale.min, harsh.scale.max).all()


def test_the_harsh_run_exercises_every_mechanism(run):
    s = run.steps.sum()
    for col in ("entries_black", "entries_wrongful", "exits_expired", "exits_appeal", "appeals_lodged",
                "renewals", "ties_dropped", "assoc_points_lost", "false_records", "excused_records",
                "entries_red", "points_gained_performative", "points_lost_lawful", "unobserved_harm"):
        assert s[col] > 0, col


def test_listings_end_when_their_duration_ends_unless_renewed(run, harsh):
    ev = run.events
    durations = {x.id: x.duration_days for x in harsh.lists}
    renew = {x.id: (x.renewal.extend_days if x.renewal else 0) for x in harsh.lists}
    out = ev[(ev.kind == "delisted") & (ev.detail == "expired")]
    assert len(out) > 0
    listed = ev[ev.kind == "listed"]
    for _, e in out.iterrows():
        start = listed[(listed.citizen == e.citizen) & (listed["list"] == e["list"]) & (listed.step < e.step)].step.max()
        length = e.step - start
        d, r = durations[e["list"]], renew[e["list"]]
        # At most one renewal is allowed in this rulebook.
        assert length in (d, d + r), (e.citizen, e["list"], start, e.step)


def test_no_sanction_without_its_condition(run, harsh):
    c = run.citizens
    sanctioned = c[c.sectors_now > 0]
    assert len(sanctioned) > 0
    # Sectors restricted now are exactly those from the lists and grades each citizen is in.
    from scslab.rulebook.schema import SECTORS

    for _, row in c.sample(400, random_state=0).iterrows():
        ev = run.events[(run.events.citizen == row.citizen) & (run.events.kind == "sectors")]
        now = set(ev.detail.iloc[-1].split(",")) - {""} if len(ev) else set()
        expected = set()
        if row.grade == "D":
            expected.add("loans")
        if row.blacklisted:
            on = _lists_on(run.events, row.citizen)
            if "black" in on:
                expected |= {"rail", "air"}
            if "fraudsters" in on:
                expected.add("public_jobs")
        assert now == expected, (row.citizen, now, expected)
        assert len(now) == row.sectors_now
        assert all(s in SECTORS for s in now)


def _lists_on(events, citizen):
    e = events[(events.citizen == citizen) & events.kind.isin(["listed", "delisted"])]
    on = set()
    for _, r in e.iterrows():
        (on.add if r.kind == "listed" else on.discard)(r["list"])
    return on


def test_no_appeal_without_a_listing(run):
    ev = run.events
    appeals = ev[ev.kind == "appeal"]
    assert len(appeals) > 0
    for _, a in appeals.iterrows():
        hist = ev[(ev.citizen == a.citizen) & (ev["list"] == a["list"]) & ev.kind.isin(["listed", "delisted"]) & (ev.step <= a.step)]
        assert len(hist) and hist.iloc[-1].kind == "listed" or (hist.kind == "listed").sum() > (hist.kind == "delisted").sum()


def test_recorded_acts_are_true_acts_plus_false_records(run):
    ev = run.events
    acts = ev[ev.kind == "act"]
    recs = ev[ev.kind == "record"]
    key = ["step", "citizen", "behaviour"]
    true_recs = recs[recs.truth != "false"]
    merged = true_recs.merge(acts[key].drop_duplicates(), on=key, how="left", indicator=True)
    assert (merged._merge == "both").all()
    # Excusable records are records of excusable acts.
    exc = true_recs[true_recs.truth == "excusable"].merge(acts[acts.truth == "excusable"][key], on=key)
    assert len(exc) == (true_recs.truth == "excusable").sum()
    assert (recs.truth == "false").sum() == run.citizens.false_records.sum()
    # An unobservable act is never recorded.
    assert not recs.behaviour.eq("lie").any()


def test_counters_agree_with_the_ledger_and_the_aggregates(run):
    c, s, ev = run.citizens, run.steps, run.events
    assert c.records.sum() == s.records.sum() == (ev.kind == "record").sum()
    assert c.listings.sum() == s.entries_black.sum()
    assert c.wrongful_listings.sum() == s.entries_wrongful.sum()
    assert c.appeals.sum() == s.appeals_lodged.sum()
    assert c.acts_harm.sum() == s.acts_harm.sum()
    assert s.listed_black.iloc[-1] == c.blacklisted.sum()


def test_code_off_leaves_every_score_at_base(harsh):
    r = simulate(harsh, population=1_000, steps=40, seed=1, levers=Levers(code=False))
    assert (r.citizens.score == harsh.scale.base).all()
    assert r.steps.entries_black.sum() == 0 and r.steps.sector_restrictions.sum() == 0
    assert r.steps.acts_harm.sum() > 0  # people still act


def test_wrongful_means_the_clean_record_would_not_have_listed(run, harsh):
    ev = run.events
    listed = ev[(ev.kind == "listed") & (ev["list"] == "fraudsters")]
    recs = ev[(ev.kind == "record") & (ev.behaviour == "fraud")]
    for _, e in listed.iterrows():
        today = recs[(recs.citizen == e.citizen) & (recs.step == e.step)]
        assert len(today) >= 1
        all_false_or_excused = (today.truth != "true").all()
        assert bool(e.wrongful) == bool(all_false_or_excused)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32), code=st.booleans(), norms=st.booleans(), law=st.booleans())
def test_invariants_hold_over_seeds_and_levers(harsh, seed, code, norms, law):
    r = simulate(harsh, population=400, steps=30, seed=seed, levers=Levers(code=code, norms=norms, law=law))
    c = r.citizens
    assert c.score.between(0, 200).all()
    assert (c.wrongful_listings <= c.listings).all()
    assert (c.false_records + c.excused_records <= c.records).all()
    assert (c.appeals_won <= c.appeals).all()
    assert ((c.sectors_now > 0) <= ((c.grade == "D") | c.blacklisted)).all()
    assert np.isfinite(c.trust).all() and c.trust.between(0, 1).all()
    if not code:
        assert (c.records == 0).all() and (c.score == 100).all()
