"""Rulebooks that validate but sit at the edges of every range still simulate, keeping invariants.

Each case is a valid rulebook pushed to an extreme (every act certain, no behaviours, 200
behaviours, points at +-10,000, coverage 0 or 1, half the records false, one-day or
indefinite listings, thresholds at the ends of the scale...). It must load, audit and
simulate on a tiny society, and the run must keep the engine's invariants: scores on the
scale, counts non-negative and finite, every citizen in exactly one grade each day.
"""

from __future__ import annotations

import copy
import datetime as dt
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scslab.audit import audit
from scslab.engine import Levers, run_nation, simulate
from scslab.rulebook import compile_rulebook, rulebook_from_dict

LONG = os.environ.get("SCSLAB_FUZZ") == "long"
POP, STEPS = 200, 20


def base() -> dict:
    return {
        "metadata": {"name": "edge", "title": "Edge", "jurisdiction": "nowhere", "version": "1",
                     "effective": dt.date(2020, 1, 1)},
        "scale": {"base": 100, "min": 0, "max": 200},
        "grades": [{"name": "D", "min": 0, "max": 60}, {"name": "C", "min": 60, "max": 100},
                   {"name": "A", "min": 100, "max": 200}],
        "data_sources": [
            {"id": "bank", "kind": "bank", "coverage": {"urban": 0.9, "rural": 0.5, "default": 0.3},
             "false_record_rate": 0.1},
            {"id": "court", "kind": "court", "adjudicated": True, "coverage": {"default": 0.8}},
        ],
        "behaviours": [
            {"id": "default_loan", "domain": "finance", "legal_status": "contractual", "points": -30,
             "social_value": -0.4, "utility": 0.4, "base_rate": 0.01, "sources": ["bank"]},
            {"id": "fraud", "domain": "commerce", "legal_status": "criminal", "points": -60,
             "social_value": -0.8, "utility": 0.7, "base_rate": 0.002, "sources": ["court"]},
            {"id": "volunteer", "domain": "civic", "legal_status": "lawful", "points": 5,
             "social_value": 0.4, "utility": -0.2, "base_rate": 0.02, "sources": ["bank"]},
            {"id": "lie", "domain": "other", "legal_status": "lawful", "points": 0, "social_value": -0.3,
             "utility": 0.3, "base_rate": 0.01, "observable": False},
        ],
        "lists": [
            {"id": "black", "kind": "blacklist", "trigger": {"score_below": 60}, "duration_days": 20,
             "renewal": {"extend_days": 10, "max_renewals": 2},
             "exit": {"on_performance": True, "performance_rate": 0.05, "removal_delay_days": 2},
             "published": True},
            {"id": "fraudsters", "kind": "blacklist", "scope": "national",
             "trigger": {"behaviours": ["fraud"], "min_records": 1}, "duration_days": 15},
            {"id": "red", "kind": "redlist", "trigger": {"score_at_least": 150}, "duration_days": 30},
        ],
        "sanctions": [
            {"id": "no_rail", "sector": "rail", "applies_to": {"list": "black"}, "magnitude": 1},
            {"id": "no_loans", "sector": "loans", "applies_to": {"grades": ["D"]}, "magnitude": 1},
            {"id": "no_jobs", "sector": "public_jobs", "applies_to": {"list": "fraudsters"}, "magnitude": 1},
        ],
        "privileges": [{"id": "hotel", "sector": "hotels", "applies_to": {"list": "red"}, "magnitude": 1}],
        "network": {"association_penalty": 1, "tie_drop_rate": 0.05},
        "appeals": {"available": True, "deadline_days": 10, "latency_days": 5, "review_accuracy": 0.8},
        "disclosure": {"reward": 10, "penalty": 0.1, "coverage_boost": 0.1},
        "decay": {"negative_half_life_days": 30, "positive_half_life_days": 60},
    }


def _each(items, **fields):
    for x in items:
        x.update(copy.deepcopy(fields))


def _many_behaviours(d, n=200):
    kinds = ["contractual", "criminal", "administrative", "lawful"]
    d["behaviours"] = [
        {"id": f"b{i}", "domain": "other", "legal_status": kinds[i % 4], "points": float((i % 41) - 20),
         "social_value": ((i % 21) - 10) / 10, "utility": ((i % 7) - 3) / 3, "base_rate": 0.001 * (i % 5),
         "sources": ["bank" if i % 2 else "court"]} for i in range(n)
    ]
    d["lists"][1]["trigger"]["behaviours"] = ["b1", "b199"]


def _no_behaviours(d):
    d["behaviours"] = []
    d["lists"][1]["trigger"] = {"score_below": 50}


def _thresholds(d, low, high):
    d["lists"][0]["trigger"] = {"score_below": low}
    d["lists"][2]["trigger"] = {"score_at_least": high}


EXTREMES = {
    "base_rate_1": lambda d: _each(d["behaviours"], base_rate=1.0),
    "base_rate_0": lambda d: _each(d["behaviours"], base_rate=0.0),
    "no_behaviours": _no_behaviours,
    "no_behaviours_no_sources": lambda d: (_no_behaviours(d), d.update(data_sources=[])),
    "200_behaviours": _many_behaviours,
    "points_minus_10000": lambda d: _each(d["behaviours"], points=-10000),
    "points_plus_10000": lambda d: _each(d["behaviours"], points=10000),
    "points_mixed_10000": lambda d: [b.update(points=10000 * (1 if i % 2 else -1)) for i, b in enumerate(d["behaviours"])],
    "coverage_0": lambda d: _each(d["data_sources"], coverage={"default": 0.0}),
    "coverage_1": lambda d: _each(d["data_sources"], coverage={"default": 1.0, "urban": 1.0}),
    "false_records_half": lambda d: _each(d["data_sources"], false_record_rate=0.5),
    "durations_1_day": lambda d: [lst.update(duration_days=1, renewal=None) for lst in d["lists"]],
    "renew_100_times_by_1_day": lambda d: _each(d["lists"], duration_days=1,
                                                renewal={"extend_days": 1, "max_renewals": 100}),
    "indefinite_lists": lambda d: [lst.update(duration_days=None, renewal=None) for lst in d["lists"]],
    "thresholds_at_min": lambda d: _thresholds(d, 0, 0),
    "thresholds_at_max": lambda d: _thresholds(d, 200, 200),
    "one_grade": lambda d: (d.update(grades=[{"name": "all", "min": 0, "max": 200}]),
                            d["sanctions"][1]["applies_to"].update(grades=["all"])),
    "narrow_scale": lambda d: (d.update(scale={"base": 0.5, "min": 0, "max": 1},
                                        grades=[{"name": "D", "min": 0, "max": 0.5}, {"name": "A", "min": 0.5, "max": 1}]),
                               _thresholds(d, 0.5, 0.9), d["sanctions"][1]["applies_to"].update(grades=["D"])),
    "huge_scale": lambda d: (d.update(scale={"base": 0, "min": -1e12, "max": 1e12},
                                      grades=[{"name": "D", "min": -1e12, "max": 0}, {"name": "A", "min": 0, "max": 1e12}]),
                             _thresholds(d, -5, 5), d["sanctions"][1]["applies_to"].update(grades=["D"])),
    "base_at_min": lambda d: d["scale"].update(base=0),
    "base_at_max": lambda d: d["scale"].update(base=200),
    "min_records_1000_window_1": lambda d: d["lists"][1]["trigger"].update(min_records=1000, window_days=1),
    "window_36500": lambda d: d["lists"][1]["trigger"].update(window_days=36500),
    "certain_performance": lambda d: _each(d["lists"], exit={"on_performance": True, "performance_rate": 1.0,
                                                             "removal_delay_days": 0}),
    "appeals_instant_perfect": lambda d: d["appeals"].update(latency_days=0, review_accuracy=1.0, deadline_days=36500),
    "appeals_always_wrong": lambda d: d["appeals"].update(latency_days=0, review_accuracy=0.0, cost=1e6),
    "network_max": lambda d: d.update(network={"association_penalty": 1000, "peer_weight": 1.0,
                                               "tie_drop_rate": 1.0, "family_liability": True}),
    "disclosure_max": lambda d: d.update(disclosure={"reward": 10000, "penalty": 100, "coverage_boost": 1.0}),
    "decay_instant": lambda d: d.update(decay={"negative_half_life_days": 1e-9, "positive_half_life_days": 1e-9,
                                               "record_retention_days": 0,
                                               "repair": {"available": True, "min_days": 0, "cost": 0}}),
    "decay_slowest": lambda d: d.update(decay={"negative_half_life_days": 36500, "positive_half_life_days": 36500,
                                               "record_retention_days": 36500}),
    "magnitude_1000": lambda d: _each(d["sanctions"] + d["privileges"], magnitude=1000),
    "all_excusable": lambda d: _each(d["behaviours"], excusable=1.0),
    "nothing_observable": lambda d: [b.update(observable=False, sources=[]) for b in d["behaviours"]]
    and d["lists"][1].update(trigger={"score_below": 10}),
    "nothing_public": lambda d: d.update(publicity={"rules_published": False, "thresholds_published": False,
                                                    "own_record_visible": False}),
    "groups_absent_from_coverage": lambda d: _each(d["data_sources"], coverage={"nobody": 1.0, "default": 0.5}),
}


def check_invariants(r, rb) -> None:
    lo, hi = rb.scale.min, rb.scale.max
    c, s = r.citizens, r.steps
    assert len(c) == POP
    assert c.score.between(lo, hi).all(), (c.score.min(), c.score.max())
    assert c.clean_score.between(lo, hi).all()
    for df, name in ((c, "citizens"), (s, "steps"), (r.grades, "grades")):
        num = df.select_dtypes("number")
        assert np.isfinite(num.to_numpy(dtype=float)).all(), f"{name}: NaN or infinity"
    counts = s.drop(columns=[x for x in s.columns if "score" in x or "wealth" in x or "trust" in x
                             or "points" in x or x in ("step", "municipality")], errors="ignore")
    counts = counts.select_dtypes("number")
    neg = counts.columns[(counts < 0).any()]
    assert not len(neg), f"negative counts in {list(neg)}"
    per_step = s.score_sum / s.population
    assert per_step.between(lo - 1e-6 * abs(hi - lo), hi + 1e-6 * abs(hi - lo)).all()
    g = r.grades.groupby("step").citizens.sum()
    assert (g == POP).all()
    assert set(r.grades.grade) <= {x.name for x in rb.grades}
    if r.events is not None and len(r.events):
        assert (r.events.step >= 0).all() and (r.events.step < STEPS).all()


def run_case(data: dict, seed: int = 0, levers: Levers | None = None):
    rb = rulebook_from_dict(data)
    compile_rulebook(rb)
    assert audit(rb).rules
    r = simulate(rb, population=POP, steps=STEPS, seed=seed, ledger=True, levers=levers)
    check_invariants(r, rb)
    return r


@pytest.mark.parametrize("name", sorted(EXTREMES))
def test_extreme_rulebook_simulates_within_invariants(name):
    d = base()
    EXTREMES[name](d)
    run_case(d)


def test_extremes_do_what_they_say():
    d = base()
    EXTREMES["coverage_0"](d)
    d["disclosure"]["coverage_boost"] = 0.0  # disclosers would be seen anyway
    assert run_case(d).citizens.records.sum() == 0  # no source sees anything
    d = base()
    EXTREMES["points_minus_10000"](d)
    EXTREMES["base_rate_1"](d)
    r = run_case(d)
    assert (r.citizens.score == 0).mean() > 0.5  # pinned at the bottom of the scale


@settings(max_examples=300 if LONG else 8, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.sampled_from(sorted(EXTREMES)), min_size=2, max_size=5, unique=True),
       st.integers(0, 2**32), st.booleans())
def test_combined_extremes_simulate_within_invariants(names, seed, code_only):
    d = base()
    for n in names:
        EXTREMES[n](d)
    try:
        rb = rulebook_from_dict(d)
    except Exception as e:  # some combinations contradict each other (e.g. a grade removed twice)
        from scslab.rulebook import RulebookError

        assert isinstance(e, RulebookError), e
        return
    levers = Levers(law=False, market=False, norms=False) if code_only else None
    r = simulate(rb, population=POP, steps=STEPS, seed=seed, ledger=True, levers=levers)
    check_invariants(r, rb)


def test_invariant_checker_catches_a_score_off_the_scale():
    d = base()
    r = run_case(d)
    bad = r.citizens.copy()
    bad.loc[0, "score"] = 10_000
    r.citizens = bad
    with pytest.raises(AssertionError):
        check_invariants(r, rulebook_from_dict(d))
    assert isinstance(r.citizens, pd.DataFrame)


def test_a_nation_of_extremes_with_an_extreme_national_list():
    """Three municipalities, each with its own extreme, under a national rulebook at an extreme."""
    books = []
    for i, name in enumerate(["base_rate_1", "indefinite_lists", "coverage_0"]):
        d = base()
        EXTREMES[name](d)
        d["metadata"]["name"] = f"edge{i}"
        books.append(rulebook_from_dict(d))
    nat = base()
    EXTREMES["durations_1_day"](nat)
    EXTREMES["points_minus_10000"](nat)
    nat["metadata"]["name"] = "national"
    nat["lists"] = [dict(x, scope="national", id="n_" + x["id"]) for x in nat["lists"] if x["kind"] == "blacklist"]
    nat["sanctions"] = [dict(x, scope="national", id="n_" + x["id"], applies_to={"list": "n_" + x["applies_to"]["list"]})
                        for x in nat["sanctions"] if "list" in x["applies_to"]]
    nat["privileges"] = []
    r = run_nation(books, population=POP, steps=STEPS, seed=3, national=rulebook_from_dict(nat), ledger=True)
    assert sorted(r.steps.municipality.unique()) == [0, 1, 2]
    c = r.citizens
    assert len(c) == POP and c.score.between(0, 200).all()
    assert np.isfinite(r.steps.select_dtypes("number").to_numpy(dtype=float)).all()
    assert (r.grades.groupby("step").citizens.sum() == POP).all()
