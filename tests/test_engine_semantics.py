"""What the engine's counts mean (issue 12): the false share of a source's records, excusable
acts reaching courts, listed days, points granted, and points lost through ties."""

from __future__ import annotations

import numpy as np
import pytest

from scslab.engine import EngineParams, simulate
from scslab.rulebook import parse_rulebook

# Two sources with false records: a bank that files any default it sees, and a court that
# hears the context. Strong deductions, so the strategic weight sets how much deterrence.
FALSE_SHARE_RULEBOOK = """
metadata: {name: false-share, title: False share, jurisdiction: Testland, version: "1", effective: 2020-01-01}
scale: {base: 100, min: 0, max: 200}
grades:
  - {name: low, min: 0, max: 90}
  - {name: high, min: 90, max: 200}
data_sources:
  - {id: bank, kind: bank, coverage: {urban: 0.9, default: 0.6}, false_record_rate: 0.2}
  - {id: court, kind: court, adjudicated: true, coverage: {default: 0.9}, false_record_rate: 0.05}
behaviours:
  - {id: default_loan, domain: finance, legal_status: contractual, points: -40, social_value: -0.4, utility: 0.4, base_rate: 0.01, sources: [bank], excusable: 0.3}
  - {id: fraud, domain: commerce, legal_status: criminal, points: -80, social_value: -0.8, utility: 0.7, base_rate: 0.005, sources: [court], excusable: 0.2}
lists:
  - {id: black, kind: blacklist, trigger: {behaviours: [fraud], min_records: 1}, duration_days: 30}
sanctions:
  - {id: no_loans, sector: loans, applies_to: {grades: [low]}, magnitude: 1}
decay: {negative_half_life_days: 10}
"""


def _records_by_source(run) -> dict[str, tuple[int, int]]:
    """(true records, false records) per source, from the ledger."""
    ev = run.events
    rec = ev[ev.kind == "record"]
    out = {}
    for s, g in rec.groupby("source"):
        false = int((g.truth == "false").sum())
        out[s] = (len(g) - false, false)
    return out


def test_the_false_share_of_a_source_is_its_configured_rate_at_any_deterrence():
    rb = parse_rulebook(FALSE_SHARE_RULEBOOK)
    rates = {s.id: s.false_record_rate for s in rb.data_sources}
    acts = []
    for w in (0.0, 3.0, 20.0):  # no deterrence by points, the default, strong
        run = simulate(rb, population=4_000, steps=120, seed=5, ledger=1.0, params=EngineParams(w_strategic=w))
        acts.append(int(run.steps.acts_harm.sum()))
        for s, (true, false) in _records_by_source(run).items():
            f = rates[s]
            # False records are Poisson with mean (true records) x f / (1 - f), so the share
            # false / (true + false) is f in expectation; allow four standard deviations.
            mean = true * f / (1 - f)
            assert abs(false - mean) <= 4 * np.sqrt(mean) + 1, (w, s, true, false, false / (true + false), f)
    # The check means something only if deterrence moved the true acts a lot.
    assert acts[2] < 0.6 * acts[0], acts


# A court list entered on one judgment; half of the defaults are by people who cannot pay.
COURT_RULEBOOK = """
metadata: {name: court-excusable, title: Court, jurisdiction: Testland, version: "1", effective: 2020-01-01}
scale: {base: 100, min: 0, max: 100}
grades:
  - {name: recorded, min: 0, max: 50}
  - {name: clear, min: 50, max: 100}
data_sources:
  - {id: court, kind: court, adjudicated: true, coverage: {default: 0.9}%s}
behaviours:
  - {id: judgment_default, domain: finance, legal_status: contractual, points: -100, social_value: -0.4, utility: 0.5, base_rate: 0.003, sources: [court], excusable: 0.5, evidence: final_decision}
lists:
  - {id: debtors, kind: blacklist, trigger: {behaviours: [judgment_default], min_records: 1}, duration_days: 60}
sanctions:
  - {id: no_air, sector: air, applies_to: {list: debtors}, magnitude: 1}
"""


def _court_run(files: str, seed: int = 2):
    rb = parse_rulebook(COURT_RULEBOOK % files)
    return simulate(rb, population=3_000, steps=90, seed=seed, ledger=1.0)


def test_a_court_that_files_excusable_acts_lists_people_wrongfully():
    run = _court_run(", files_excusable: 1.0")
    ev, c = run.events, run.citizens
    rec = ev[ev.kind == "record"]
    assert (rec.truth == "excusable").sum() > 20
    assert c.excused_records.sum() == (rec.truth == "excusable").sum()
    # Wrongful listings, each on an excusable record of that day (the court keeps no false ones).
    listed = ev[(ev.kind == "listed") & ev.wrongful]
    assert len(listed) > 10
    exc = rec[rec.truth == "excusable"][["step", "citizen"]]
    assert len(listed.merge(exc, on=["step", "citizen"])) == len(listed)
    # About the excusable share of the acts filed: a court filing everything is blind to context.
    acts = ev[ev.kind == "act"]
    assert 0.3 < (rec.truth == "excusable").mean() < 0.7
    assert (acts.truth == "excusable").sum() > 0


def test_a_court_that_hears_the_context_files_no_excusable_act():
    run = _court_run(", files_excusable: 0.0")
    ev = run.events
    assert (ev[ev.kind == "act"].truth == "excusable").sum() > 20
    assert (ev[ev.kind == "record"].truth != "true").sum() == 0
    assert run.citizens.wrongful_listings.sum() == 0
    assert run.citizens.listings.sum() > 10


def test_files_excusable_defaults_to_what_adjudication_implies():
    """Unset, an adjudicated source files no excusable act and any other files them all:
    the tables are those of the explicit values (existing rulebooks run as before)."""
    a, b = _court_run(""), _court_run(", files_excusable: 0.0")
    assert a.citizens.equals(b.citizens) and a.steps.equals(b.steps) and a.events.equals(b.events)
    bank = COURT_RULEBOOK.replace("kind: court, adjudicated: true", "kind: bank")
    runs = [simulate(parse_rulebook(bank % x), population=2_000, steps=40, seed=3)
            for x in ("", ", files_excusable: 1.0")]
    assert runs[0].citizens.equals(runs[1].citizens) and runs[0].steps.equals(runs[1].steps)
    assert runs[0].steps.excused_records.sum() > 0


def test_files_excusable_in_between_files_that_share_of_excusable_acts():
    run = _court_run(", files_excusable: 0.5", seed=4)
    ev = run.events
    rec = ev[ev.kind == "record"]
    acts = ev[ev.kind == "act"]
    # Excusable acts are filed at half the rate of the others (coverage alike).
    p_true = (rec.truth == "true").sum() / (acts.truth == "true").sum()
    p_exc = (rec.truth == "excusable").sum() / (acts.truth == "excusable").sum()
    assert 0.35 < p_exc / p_true < 0.65, (p_true, p_exc)


# Every default is excusable and the court files it: every listing is wrongful. Listings
# last 30 days; an appeal (lodged on the day of listing) is decided 4 days later, rightly.
APPEAL_RULEBOOK = """
metadata: {name: appeal-days, title: Appeal days, jurisdiction: Testland, version: "1", effective: 2020-01-01}
scale: {base: 100, min: 0, max: 100}
grades:
  - {name: recorded, min: 0, max: 50}
  - {name: clear, min: 50, max: 100}
data_sources:
  - {id: court, kind: court, adjudicated: true, coverage: {default: 1.0}, files_excusable: 1.0}
behaviours:
  - {id: judgment_default, domain: finance, legal_status: contractual, points: -100, social_value: -0.4, utility: 0.5, base_rate: 0.01, sources: [court], excusable: 1.0}
lists:
  - {id: debtors, kind: blacklist, trigger: {behaviours: [judgment_default], min_records: 1}, duration_days: %d}
sanctions:
  - {id: no_air, sector: air, applies_to: {list: debtors}, magnitude: 1}
appeals: {available: %s, latency_days: 4, review_accuracy: 1.0}
"""


def _listing_spans(run, steps: int) -> list[tuple[int, int, str]]:
    """(entry step, end step, how it ended) of every listing in the ledger; a listing still
    on at the end of the run ends at `steps`."""
    ev = run.events
    ev = ev[ev.kind.isin(["listed", "delisted"])]
    start, spans = {}, []
    for e in ev.itertuples():  # the ledger is ordered by step, citizen, then as it happened
        if e.kind == "listed":
            start[e.citizen] = e.step
        else:
            spans.append((start.pop(e.citizen), e.step, e.detail))
    spans += [(s, steps, "end of run") for s in start.values()]
    return spans


@pytest.mark.parametrize("duration,appeals", [(30, "true"), (4, "false")])
def test_a_listing_is_not_counted_on_the_day_it_ends(duration, appeals):
    """The convention: a listing counts on the day it starts and not on the day it ends, so
    it counts (end - entry) days, whether a won appeal or expiry ends it."""
    steps = 40
    rb = parse_rulebook(APPEAL_RULEBOOK % (duration, appeals))
    run = simulate(rb, population=300, steps=steps, seed=1, ledger=1.0,
                   params=EngineParams(appeal_if_wronged=1.0))
    spans = _listing_spans(run, steps)
    ended = [(s, e) for s, e, how in spans if how != "end of run"]
    assert len(ended) > 10
    assert {how for _, _, how in spans} <= {"appeal" if appeals == "true" else "expired", "end of run"}
    assert all(e - s == 4 for s, e in ended)  # 4 days of appeal latency, or 4 days of listing
    c = run.citizens
    days = sum(e - s for s, e, _ in spans)
    assert c.days_blacklisted.sum() == c.days_wrongfully_listed.sum() == days
    assert c.wrongful_listings.sum() == c.listings.sum() == len(spans)
    # The day's stock agrees: listed_black counts those still listed at the end of each day.
    assert run.steps.listed_black.sum() == days


# Points through every channel: records (good, bad, performative), ties (an association
# penalty and a peer pull), disclosure (a reward and a daily penalty). A wide scale and no
# decay, so nothing is clipped or fades: the score is base + granted - lost.
POINTS_RULEBOOK = """
metadata: {name: points, title: Points, jurisdiction: Testland, version: "1", effective: 2020-01-01}
scale: {base: 5000, min: 0, max: 10000}
grades:
  - {name: low, min: 0, max: 5000}
  - {name: high, min: 5000, max: 10000}
data_sources:
  - {id: platform, kind: platform, coverage: {default: 0.8}}
behaviours:
  - {id: volunteer, domain: civic, legal_status: lawful, points: 3, social_value: 0.5, utility: -0.2, base_rate: 0.02, sources: [platform]}
  - {id: check_in, domain: consumption, legal_status: lawful, points: 2, social_value: 0.0, utility: 0.1, base_rate: 0.02, sources: [platform]}
  - {id: late_payment, domain: finance, legal_status: contractual, points: -20, social_value: -0.3, utility: 0.3, base_rate: 0.01, sources: [platform]}
lists:
  - {id: black, kind: blacklist, trigger: {score_below: 4990}, duration_days: 20}
network: {association_penalty: %s, peer_weight: %s}
disclosure: {reward: 7, penalty: 0.1}
"""


def _points_run(assoc: float = 0.5, peer: float = 0.05):
    rb = parse_rulebook(POINTS_RULEBOOK % (assoc, peer))
    return simulate(rb, population=3_000, steps=60, seed=4)


def test_every_point_granted_or_lost_is_counted():
    """score - base = points_gained - points_lost for every citizen: records, ties (both
    ways) and disclosure (reward and penalty) are all counted."""
    run = _points_run()
    c, s = run.citizens, run.steps
    diff = (c.score.astype(np.float64) - 5000) - (c.points_gained.astype(np.float64) - c.points_lost)
    assert np.abs(diff).max() < 0.05, np.abs(diff).max()
    for col in ("points_gained", "points_gained_performative", "points_gained_ties", "points_lost",
                "points_lost_assoc"):
        agg = {"points_lost_assoc": "assoc_points_lost"}.get(col, col)
        assert np.isclose(c[col].sum(), s[agg].sum(), rtol=1e-5), col
    assert (c.points_gained_ties > 0).mean() > 0.2


def test_points_granted_include_disclosure_and_ties_as_performative():
    run = _points_run()
    s = run.steps
    # points granted = for records + through ties + for disclosing, every step
    assert np.allclose(s.points_gained, s.points_gained_records + s.points_gained_ties + s.points_gained_disclosure)
    assert s.points_gained_ties.sum() > 0 and s.points_gained_disclosure.sum() > 0
    # the reward, once per new discloser (disclosure is one-way; the first day's newcomers
    # cannot be told from those who disclosed at the start)
    new = np.diff(s.disclosed.to_numpy())
    assert np.allclose(s.points_gained_disclosure.to_numpy()[1:], 7 * new)
    # check_in (social value 0), the reward and the pull are performative; volunteer is not
    ev_perf = s.points_gained_performative - s.points_gained_ties - s.points_gained_disclosure
    assert (ev_perf >= -1e-6).all() and (ev_perf < s.points_gained_records).any()
    assert (ev_perf > 0).any()


def test_points_lost_through_ties_count_the_peer_pull():
    """C5: offence-free citizens lose points through their ties by the peer pull alone."""
    run = _points_run(assoc=0, peer=0.05)
    c, s = run.citizens, run.steps
    innocent = c.offences == 0
    assert ((c.points_lost_assoc > 0.5) & innocent).mean() > 0.05
    assert np.isclose(s.assoc_points_lost.sum(), s.peer_points_lost.sum())
    assert np.isclose(c.points_lost_assoc.sum(), s.assoc_points_lost.sum(), rtol=1e-5)
    # losses of the finally offence-free were all by citizens offence-free at the time
    assert c.points_lost_assoc[innocent].sum() <= s.assoc_points_lost_innocent.sum() * (1 + 1e-5)
    # and C1's own-conduct denominator is the records' losses plus the non-disclosure penalty
    own = c.points_lost.sum() - c.points_lost_assoc.sum()
    assert np.isclose(own, (s.points_lost_records + s.points_lost_nondisclosure).sum(), rtol=1e-5)


def test_points_lost_through_ties_add_the_association_penalty_and_the_peer_pull():
    both, assoc_only = _points_run(assoc=0.5, peer=0.05), _points_run(assoc=0.5, peer=0)
    for run in (both, assoc_only):
        s = run.steps
        assert s.assoc_points_lost.sum() > s.peer_points_lost.sum()  # the association part is there
        assert np.isclose(run.citizens.points_lost_assoc.sum(), s.assoc_points_lost.sum(), rtol=1e-5)
    assert both.steps.peer_points_lost.sum() > 0 and assoc_only.steps.peer_points_lost.sum() == 0
    assert (assoc_only.citizens.points_gained_ties == 0).all()
