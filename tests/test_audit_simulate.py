"""Simulation evidence: figures in each finding's evidence match the run's tables.

One harsh run (tests/data/harsh.yaml lists people within days) is audited; every figure
checked here is recomputed in the test from the run tables, by other means where it can
be (the citizens table instead of the steps table, a vectorised pairing of the ledger
instead of the module's loop).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scslab.audit import audit_file
from scslab.audit.evidence import EVIDENCE, attach_evidence
from scslab.audit.measured import num, pct
from scslab.audit.simulation import SimulationSettings, run_for_audit
from scslab.engine import Levers, simulate

HARSH = Path(__file__).parent / "data" / "harsh.yaml"
PREFIX = "simulated 2,000 citizens for 90 days, seed 0: "
BAD = re.compile(r"\b(nan|inf)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def run():
    report = audit_file(HARSH)
    result = run_for_audit(report.rulebook, SimulationSettings(population=2_000, steps=90, seed=0))
    attach_evidence(report.findings, result, report.rulebook)
    return report, result


def evidence_of(report, code: str, where: str = "") -> str:
    found = [f for f in report.findings if f.code == code and where in f.message]
    assert found, f"no {code} finding about {where!r}"
    assert len(found[0].evidence) == 1, found[0].evidence
    return found[0].evidence[0]


def number_after(text: str, pattern: str) -> float:
    """The number matched by the group in `pattern` (commas and % stripped)."""
    m = re.search(pattern, text)
    assert m, f"{pattern!r} not in {text!r}"
    return float(m.group(1).replace(",", ""))


def test_the_run_lists_people(run):
    # The figures below mean little unless the harsh rulebook did list and restrict people.
    _, r = run
    assert r.citizens.listings.sum() > 50 and r.citizens.wrongful_listings.sum() > 10
    assert r.events is not None and (r.events.kind == "listed").any()


def test_every_evidence_says_what_was_simulated_and_has_no_nan(run):
    report, _ = run
    with_evidence = [f for f in report.findings if f.evidence]
    assert len(with_evidence) >= 20
    assert {f.code for f in with_evidence} >= {"SCS201", "SCS211", "SCS223", "SCS261", "SCS301", "SCS302", "SCS233"}
    for f in with_evidence:
        for e in f.evidence:
            assert e.startswith(PREFIX), e
            assert not BAD.search(e), e
            assert "evidence unavailable" not in e
    # Findings without a function have none; findings with one always got some.
    for f in report.findings:
        assert bool(f.evidence) == (f.code in EVIDENCE), f


def test_wrongful_listings_and_appeals(run):
    report, r = run
    e = evidence_of(report, "SCS223", "fraud")
    c = r.citizens
    listings = int(c.listings.sum())
    assert f"of {listings:,} listings were wrongful" in e
    assert number_after(e, r"(\d+)% of [\d,]+ listings were wrongful") == pytest.approx(
        100 * c.wrongful_listings.sum() / listings, abs=0.5)
    s = r.steps
    assert number_after(e, r"appeals won (\d+)%") == pytest.approx(100 * s.appeals_won.sum() / s.appeals_decided.sum(), abs=0.5)
    assert f"({int(s.appeals_decided.sum())} decisions)" in e
    # Median days to removal of wrongful listings, pairing the ledger's k-th entry of a
    # citizen on a list with its k-th exit (a step's exits precede its entries).
    ev = r.events[r.events.kind.isin(["listed", "delisted"]) & r.events.list.isin(["black", "fraudsters"])].copy()
    ev["k"] = ev.groupby(["citizen", "list", "kind"]).cumcount()
    entries = ev[ev.kind == "listed"].set_index(["citizen", "list", "k"])
    exits = ev[ev.kind == "delisted"].set_index(["citizen", "list", "k"])
    spells = entries[["step", "wrongful"]].join(exits[["step"]].rename(columns={"step": "step_end"}), how="left")
    wrong = spells[spells.wrongful]
    done = wrong.dropna(subset=["step_end"])
    assert len(done) >= 3  # enough to take a median (90 days: wrongful listings have time to end)
    expect = float(np.median(done.step_end - done.step))
    assert f"median {num(expect)} days to removal for wrongful listings" in e
    still = wrong.step_end.isna().mean()
    if still:
        assert f"({pct(still)} still in force at the end)" in e


def test_sectors_of_listed_citizens(run):
    report, r = run
    e = evidence_of(report, "SCS211", "default_loan")
    listed = r.citizens[r.citizens.listings > 0]
    assert f"each listed citizen was restricted in {num(listed.sectors_ever.mean())} sectors on average" in e
    assert f"{pct((listed.sectors_ever >= 5).mean())} of the {len(listed):,} listed citizens" in e
    # Fraud lists people on 'fraudsters' (public jobs) and costs 60 points: its citizens
    # lose sectors unrelated to commerce.
    assert re.search(r"record of 'fraud', \d+% were restricted in sectors unrelated to commerce", evidence_of(report, "SCS211", "'fraud'"))


def test_lawful_conduct_share(run):
    report, r = run
    e = evidence_of(report, "SCS201", "petition")
    c = r.citizens
    # Citizens' counters include the non-disclosure penalty (lawful), unlike steps.points_lost.
    lawful = c.points_lost_lawful.sum() / c.points_lost.sum()
    assert number_after(e, r"([\d.]+)% of all points deducted") == pytest.approx(100 * lawful, abs=0.6)
    s = r.steps
    assert number_after(e, r"and ([\d.]+)% of [\d,]+ blacklistings") == pytest.approx(
        100 * s.entries_lawful.sum() / s.entries_black.sum(), abs=0.06)
    # The behaviour's own cost, estimated from the 20% ledger sample.
    rec = r.events[(r.events.kind == "record") & (r.events.behaviour == "petition")]
    assert f"cost about {num(-rec.points.sum() / 0.2)} points" in e


def test_association_figures(run):
    report, r = run
    e = evidence_of(report, "SCS261")
    c = r.citizens
    innocent = (c.offences == 0) & (c.points_lost_assoc > 0)
    assert f"lost {num(c.points_lost_assoc[c.offences == 0].sum())} points to their ties ({int(innocent.sum()):,} citizens" in e
    listed = c.listings > 0
    kept = c.degree_final[listed].sum() / c.degree_initial[listed].sum()
    assert f"listed citizens kept {pct(kept)} of their ties" in e


def test_disclosure_gap(run):
    report, r = run
    e = evidence_of(report, "SCS252")
    c = r.citizens
    hi = c.privacy >= 0.5
    assert f"{pct(c.disclosed[hi].mean())} of those who value their privacy" in e
    assert f"against {pct(c.disclosed[~hi].mean())} of the rest" in e


@pytest.mark.parametrize("kind", ["code off: nobody scored or listed", "no ledger"])
def test_runs_where_nothing_happened_or_no_ledger(kind):
    report = audit_file(HARSH)
    if kind.startswith("code off"):
        result = simulate(report.rulebook, population=300, steps=15, seed=2, levers=Levers(code=False), ledger=0.2)
        assert result.citizens.listings.sum() == 0
    else:
        result = simulate(report.rulebook, population=300, steps=15, seed=2)
        assert result.events is None
    attach_evidence(report.findings, result, report.rulebook)
    texts = [e for f in report.findings for e in f.evidence]
    assert texts and all(e.startswith("simulated 300 citizens for 15 days, seed 2: ") for e in texts)
    assert not any(BAD.search(e) or "evidence unavailable" in e for e in texts), texts
    if kind.startswith("code off"):
        assert "nobody was blacklisted" in evidence_of(report, "SCS233")


def test_empty_tables_give_words_not_errors():
    """A run with no citizens' events at all (the smallest possible tables)."""
    report = audit_file(HARSH)
    result = simulate(report.rulebook, population=300, steps=2, seed=0, ledger=0.2)
    result.events = result.events.iloc[0:0]
    result.steps = result.steps.iloc[0:0]
    result.citizens = result.citizens.assign(listings=0, wrongful_listings=0, sectors_ever=0, offences=0)
    attach_evidence(report.findings, result, report.rulebook)
    for f in report.findings:
        for e in f.evidence:
            assert not BAD.search(e) and "evidence unavailable" not in e, (f.code, e)


@given(st.floats(allow_nan=True, allow_infinity=True) | st.none())
def test_formatting_never_prints_nan(x):
    for s in (pct(x), num(x)):
        assert not BAD.search(s)
    if x is not None and 0 <= x <= 1:
        assert pct(x).rstrip("%").lstrip("<>").replace(".", "").isdigit()
        assert float(pct(x).rstrip("%").lstrip("<>")) <= 100


def test_settings_problems():
    assert SimulationSettings(population=10).problem().startswith("--population")
    assert SimulationSettings(steps=0).problem().startswith("--steps")
    assert SimulationSettings(population=2_000, steps=60).problem() is None
    assert isinstance(pd.DataFrame(), pd.DataFrame)


@pytest.mark.parametrize("pilot", ["rongcheng", "suining", "sesame", "court-blacklist", "rule-of-law", "none"])
def test_every_pilot_gets_clean_evidence_from_a_short_run(pilot):
    report = audit_file(pilot)
    result = run_for_audit(report.rulebook, SimulationSettings(population=400, steps=10, seed=0))
    attach_evidence(report.findings, result, report.rulebook)
    for f in report.findings:
        assert bool(f.evidence) == (f.code in EVIDENCE), f
        for e in f.evidence:
            assert e.startswith("simulated 400 citizens for 10 days, seed 0: ") and not BAD.search(e), (f.code, e)
            assert "evidence unavailable" not in e, (f.code, e)


def test_evidence_says_whether_the_run_observed_it(run):
    report, r = run
    for f in report.findings:
        assert (f.observed is None) == (not f.evidence), f
    # the harsh run lists people: the listing findings were observed
    assert evidence_of(report, "SCS233") and next(f for f in report.findings if f.code == "SCS233").observed is True
    from scslab.audit.evidence import evidence_counts

    c = evidence_counts(report.findings)
    assert c["observed"] + c["not_observed"] + c["no_evidence"] == c["findings"] == len(report.findings)


def test_a_run_too_small_to_list_anyone_observes_nothing_about_listings():
    report = audit_file(HARSH)
    result = simulate(report.rulebook, population=300, steps=15, seed=2, levers=Levers(code=False), ledger=0.2)
    attach_evidence(report.findings, result, report.rulebook)
    f = next(f for f in report.findings if f.code == "SCS233")
    assert f.observed is False and "nobody was blacklisted" in f.evidence[0]
    from scslab.audit.text_report import text_report

    text = text_report(report)
    assert "evidence (not observed at this size): simulated 300 citizens" in text
    line = next(ln for ln in text.splitlines() if ln.startswith("simulation evidence: "))
    assert "observed in the run" in line and "not observed at this size" in line
