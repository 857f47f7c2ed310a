"""Blocked purchases as events, and coverage entering over time (issue 13, parts 1 and 2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scslab.engine import EngineParams, simulate
from scslab.engine.purchases import COLUMNS
from scslab.pilots import load_pilot
from scslab.rulebook import RulebookError
from scslab.rulebook.compiled import compile_rulebook
from scslab.rulebook.loader import rulebook_from_dict
from scslab.rulebook.paths import set_values

N, T = 3000, 120


def court(**values):
    rb = load_pilot("court-blacklist")
    values = {"behaviours.judgment_default.base_rate": 0.002, **values}
    return set_values(rb, None, values)[0]


def test_columns_and_same_bytes():
    rb = court()
    a = simulate(rb, population=N, steps=T, seed=2).steps
    b = simulate(rb, population=N, steps=T, seed=2).steps
    pd.testing.assert_frame_equal(a, b)
    for c in COLUMNS:
        assert c in a.columns
    assert a["attempts_air"].sum() > 0
    # every attempt is blocked (enforced from day 0, block share 1); sectors without purchases stay 0
    for s in ("air", "rail", "hotels"):
        assert (a[f"attempts_{s}"] == a[f"blocked_{s}"]).all()
    assert a[["attempts_travel", "attempts_housing", "attempts_schools"]].to_numpy().sum() == 0
    # nobody who is not listed attempts anything
    assert (a.loc[a.listed_black == 0, "attempts_air"] == 0).all()


def test_rate_matches_listed_days():
    # Without income dependence, attempts are Poisson(rate x listed citizen-days).
    rate = 0.05
    rb = court(**{"sanctions.flight_ban.purchases.rate": rate,
                  "sanctions.flight_ban.purchases.income_elasticity": 0.0})
    s = simulate(rb, population=N, steps=T, seed=4).steps
    expected = rate * s["listed_black"].sum()
    assert expected > 200
    assert abs(s["attempts_air"].sum() - expected) < 5 * np.sqrt(expected)


def test_enforcement_start_and_share():
    rb = court(**{"sanctions.flight_ban.purchases.rate": 0.05,
                  "sanctions.flight_ban.purchases.enforced_from_day": 60,
                  "sanctions.rail_ban.purchases.rate": 0.05,
                  "sanctions.rail_ban.purchases.block_share": 0.5})
    s = simulate(rb, population=N, steps=T, seed=4).steps
    assert s.loc[s.step < 60, "blocked_air"].sum() == 0
    assert s.loc[s.step < 60, "attempts_air"].sum() > 0
    assert (s.loc[s.step >= 60, "blocked_air"] == s.loc[s.step >= 60, "attempts_air"]).all()
    a, b = s["attempts_rail"].sum(), s["blocked_rail"].sum()
    assert 0.35 * a < b < 0.65 * a


def test_purchases_draw_from_their_own_stream():
    """Declaring purchases changes no other column: the phase has its own random stream."""
    base = load_pilot("court-blacklist").model_dump()
    for m in base["sanctions"]:
        m["purchases"] = None
    plain = rulebook_from_dict(base, "plain")
    a = simulate(plain, population=N, steps=60, seed=5).steps
    b = simulate(load_pilot("court-blacklist"), population=N, steps=60, seed=5).steps
    assert a[list(COLUMNS)].to_numpy().sum() == 0
    other = [c for c in a.columns if c not in COLUMNS]
    pd.testing.assert_frame_equal(a[other], b[other])


def test_code_off_blocks_nothing():
    s = simulate(court(), population=N, steps=60, seed=1, levers={"code": False}).steps
    assert s[list(COLUMNS)].to_numpy().sum() == 0


def test_grade_targeted_sanctions_count_purchases():
    data = load_pilot("court-blacklist").model_dump()
    data["behaviours"][0]["base_rate"] = 0.002
    for m in data["sanctions"]:
        m["purchases"] = None
        if m["id"] == "flight_ban":  # by grade instead of by list: the score mirrors a listing
            m["applies_to"] = {"grades": ["recorded"], "list": None}
            m["purchases"] = {"rate": 0.05, "income_elasticity": 0.0}
    rb = rulebook_from_dict(data, "by-grade")
    s = simulate(rb, population=N, steps=T, seed=3).steps
    g = simulate(rb, population=N, steps=T, seed=3).grades
    recorded = g.loc[g.grade == "recorded", "citizens"].sum()
    assert recorded > 0
    assert abs(s["attempts_air"].sum() - 0.05 * recorded) < 5 * np.sqrt(0.05 * recorded)


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["sanctions"][7].update(purchases={"rate": 0.1}), "where no purchase is counted"),
    (lambda d: d["sanctions"].append({**d["sanctions"][0], "id": "second_flight_ban"}), "declare them once per sector"),
])
def test_purchases_validated(edit, message):
    data = load_pilot("court-blacklist").model_dump()
    edit(data)
    with pytest.raises(RulebookError, match=message):
        rulebook_from_dict(data, "bad")


def test_ramp_share_and_effect():
    data = load_pilot("court-blacklist").model_dump()
    data["behaviours"][0]["base_rate"] = 0.002
    data["data_sources"][0]["ramp"] = {"start_share": 0.0, "days": 100}
    ramped = rulebook_from_dict(data, "ramped")
    crb = compile_rulebook(ramped)
    assert crb.coverage_share(0)[0] == 0.0
    assert crb.coverage_share(50)[0] == pytest.approx(0.5)
    assert crb.coverage_share(100) is None
    data["data_sources"][0]["ramp"]["power"] = 2.0  # convex: slow at first
    assert compile_rulebook(rulebook_from_dict(data, "convex")).coverage_share(50)[0] == pytest.approx(0.25)
    data["data_sources"][0]["ramp"]["power"] = 1.0
    full = load_pilot("court-blacklist").model_dump()
    full["behaviours"][0]["base_rate"] = 0.002
    # Without the strategic response (which answers a lower chance of being recorded with
    # more defaults) the ramp shows directly in the records.
    params = EngineParams(w_strategic=0.0)
    a = simulate(ramped, population=N, steps=150, seed=1, params=params).steps
    b = simulate(rulebook_from_dict(full, "full"), population=N, steps=150, seed=1, params=params).steps
    assert a.loc[a.step == 0, "records"].sum() == 0
    early = a.step < 50
    assert a.loc[early, "entries_black"].sum() < 0.6 * b.loc[early, "entries_black"].sum()
    late = a.step >= 100
    assert a.loc[late, "records"].sum() > 0.6 * b.loc[late, "records"].sum()
    # the ramp's parameters are parameter paths (calibration fits them)
    r2, _ = set_values(ramped, None, {"data_sources.enforcement_court.ramp.days": 300})
    assert r2.data_sources[0].ramp.days == 300


def test_ramp_citizens_do_not_perceive():
    """A ramp that is not perceived scales what sources see, not what citizens reckon with."""
    from scslab.engine.context import make_tables, tables_on_day

    data = load_pilot("court-blacklist").model_dump()
    data["data_sources"][0]["ramp"] = {"start_share": 0.2, "days": 100, "perceived": False}
    crb = compile_rulebook(rulebook_from_dict(data, "unseen"))
    tb = make_tables(crb, EngineParams())
    day = tables_on_day(tb, crb, 0)
    assert np.allclose(day.cov_eff, 0.2 * tb.cov_eff)
    assert np.allclose(day.pobs, tb.pobs)
    data["data_sources"][0]["ramp"]["perceived"] = True
    crb = compile_rulebook(rulebook_from_dict(data, "seen"))
    day = tables_on_day(make_tables(crb, EngineParams()), crb, 0)
    assert (day.pobs <= tb.pobs + 1e-12).all() and (day.pobs < tb.pobs).any()
    assert tables_on_day(tb, crb, 100) is tb
