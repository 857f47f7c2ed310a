"""Each claim metric on small hand-built societies whose answers are known."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from scslab.engine import RunResult
from scslab.metrics import CLAIMS, RunContext, run_metrics
from scslab.metrics.claims import c1, c2, c3, c4, c5, c6, c7, c8, c9, c10
from scslab.metrics.registry import RUN_CLAIMS

STEP_COLS = ["population", "acts_harm", "acts_good", "harm", "unobserved_harm", "excusable_acts", "records",
             "false_records", "excused_records", "offences", "points_lost", "points_lost_records",
             "points_lost_lawful", "points_gained", "points_gained_performative", "assoc_points_lost",
             "assoc_points_lost_innocent", "entries_black", "entries_wrongful", "entries_lawful", "entries_red",
             "renewals", "listed_black", "listed_black_wrongful", "listed_red", "sanctioned",
             "sector_restrictions", "sanction_cost", "privilege_benefit", "appeals_lodged", "appeals_decided",
             "appeals_won", "appeals_won_wrongful", "appeals_decided_wrongful", "ties_dropped", "ties_active",
             "cheated", "trust_sum", "score_sum", "score_sq_sum", "wealth_sum", "disclosed", "exits_expired",
             "exits_performed", "exits_repaired", "exits_appeal"]
COUNTER_COLS = ["acts_harm", "acts_good", "harm_done", "unobserved_harm", "culpable_acts", "records", "false_records",
                "excused_records", "offences", "points_lost", "points_gained", "points_lost_lawful",
                "points_lost_assoc", "points_gained_performative", "listings", "wrongful_listings", "redlistings",
                "days_blacklisted", "days_wrongfully_listed", "sanction_days", "privilege_days", "appeals",
                "appeals_won", "cheated"]


def citizens(n: int, **cols) -> pd.DataFrame:
    d = {"citizen": np.arange(n), "municipality": np.zeros(n, int), "group": ["urban"] * n,
         "virtue": np.linspace(0.05, 0.95, n), "strategic": np.full(n, 0.5), "privacy": np.full(n, 0.5),
         "income": np.full(n, 3000.0), "score": np.full(n, 100.0), "clean_score": np.full(n, 100.0),
         "score_mid": np.full(n, 100.0), "grade": ["A"] * n, "wealth": np.full(n, 10.0), "trust": np.full(n, 0.9),
         "disclosed": np.zeros(n, bool), "blacklisted": np.zeros(n, bool), "wrongfully_listed": np.zeros(n, bool),
         "redlisted": np.zeros(n, bool), "sectors_now": np.zeros(n, int), "sectors_ever": np.zeros(n, int),
         "sectors_ever_mask": np.zeros(n, np.uint32), "degree_initial": np.full(n, 4), "degree_final": np.full(n, 4)}
    d.update({k: np.zeros(n) for k in COUNTER_COLS})
    d.update(cols)
    return pd.DataFrame(d)


def steps(T: int, n: int, **cols) -> pd.DataFrame:
    d = {"step": np.arange(T), "municipality": np.zeros(T, int)}
    d.update({k: np.zeros(T) for k in STEP_COLS})
    d["population"] = np.full(T, n)
    for k, v in cols.items():
        d[k] = np.broadcast_to(np.asarray(v, float), (T,)).copy()
    return pd.DataFrame(d)


def result(c: pd.DataFrame, s: pd.DataFrame, c4_table=None, events=None, ties=None, net=None) -> RunResult:
    if c4_table is None:
        c4_table = pd.DataFrame([(0, v, b, 0, 0) for v in range(10) for b in range(4)],
                                columns=["municipality", "virtue_decile", "buffer_quartile", "citizen_days",
                                         "harmful_acts"])
    return RunResult(manifest={"steps": int(s["step"].max()) + 1}, steps=s, citizens=c,
                     grades=pd.DataFrame(columns=["step", "municipality", "grade", "citizens"]), c4=c4_table,
                     network=net if net is not None else pd.DataFrame([{"score_assortativity": float("nan")}]),
                     events=events, ties=ties)


def events_table(rows) -> pd.DataFrame:
    cols = ["step", "citizen", "municipality", "kind", "behaviour", "source", "points", "list", "truth", "wrongful",
            "detail"]
    full = [{**dict.fromkeys(cols), "municipality": 0, "wrongful": False, "points": float("nan"), **r} for r in rows]
    return pd.DataFrame(full, columns=cols)


CTX = RunContext(scale_min=0.0, scale_max=200.0, base=100.0, blacklists=frozenset({"debtors"}),
                 groups_by_coverage=("urban", "rural"),
                 related={"loan_default": frozenset({"loans", "mortgages"}), "jaywalking": frozenset()})


def test_c1_lawful_shares():
    c = citizens(4, points_lost=np.array([10.0, 30.0, 0.0, 20.0]), points_lost_lawful=np.array([0, 15.0, 0, 0]),
                 points_lost_assoc=np.array([0, 0, 0, 20.0]))
    s = steps(10, 4, entries_black=[1, 0, 0, 0, 0, 0, 0, 0, 0, 3], entries_lawful=[0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
    out = c1(result(c, s))
    assert out["lawful_points_share"] == pytest.approx(15 / 40)  # association losses are not own conduct
    assert out["lawful_listings_share"] == pytest.approx(1 / 4)


def test_c2_one_offence_restricts_three_sectors():
    # Citizen 0 defaults on a loan on day 5; on day 6 they are blacklisted and three sectors
    # are restricted (loans is related to finance; rail and air are not). Citizen 1's offence
    # leads nowhere. Citizen 2's offence on day 95 is too late for a 30-day window in 100 days.
    ev = events_table([
        {"step": 5, "citizen": 0, "kind": "record", "behaviour": "loan_default", "points": -50.0},
        {"step": 6, "citizen": 0, "kind": "listed", "list": "debtors"},
        {"step": 6, "citizen": 0, "kind": "sectors", "detail": "rail,air,loans"},
        {"step": 9, "citizen": 1, "kind": "record", "behaviour": "jaywalking", "points": -5.0},
        {"step": 95, "citizen": 2, "kind": "record", "behaviour": "jaywalking", "points": -5.0},
        {"step": 9, "citizen": 1, "kind": "record", "behaviour": "volunteering", "points": 5.0},
    ])
    c = citizens(3, listings=np.array([1, 0, 0]), sectors_ever=np.array([3, 0, 0]))
    out = c2(result(c, steps(100, 3), events=ev), CTX)
    assert out["offences_followed"] == 2
    assert out["sectors_per_sanctioning_offence"] == 3.0
    assert out["unrelated_sectors_per_sanctioning_offence"] == 2.0
    assert out["sectors_per_offence"] == pytest.approx(1.5)
    assert out["listing_per_offence"] == pytest.approx(0.5)
    # deduction + listing + 3 sectors for the first; the deduction alone for the second
    assert out["punishments_per_offence"] == pytest.approx((5 + 1) / 2)
    assert out["sectors_per_listed"] == 3.0


def test_c2_counts_only_new_sectors_and_blacklists_and_ties_when_penalised():
    ev = events_table([
        {"step": 1, "citizen": 0, "kind": "sectors", "detail": "rail"},  # already restricted before
        {"step": 10, "citizen": 0, "kind": "record", "behaviour": "loan_default", "points": -50.0},
        {"step": 12, "citizen": 0, "kind": "listed", "list": "honour_roll"},  # a redlist: no punishment
        {"step": 12, "citizen": 0, "kind": "sectors", "detail": "rail,loans"},
        {"step": 45, "citizen": 0, "kind": "sectors", "detail": "rail,loans,air"},  # outside the window
    ])
    c = citizens(1, listings=np.array([1]))
    out = c2(result(c, steps(100, 1), events=ev), CTX)
    assert out["sectors_per_sanctioning_offence"] == 1.0 and out["unrelated_sectors_per_sanctioning_offence"] == 0.0
    assert out["listing_per_offence"] == 0.0
    ev2 = events_table([
        {"step": 10, "citizen": 0, "kind": "record", "behaviour": "loan_default", "points": -50.0},
        {"step": 10, "citizen": 0, "kind": "listed", "list": "debtors"},
    ])
    ctx = RunContext(blacklists=frozenset({"debtors"}), association_penalty=1.0)
    assert c2(result(c, steps(100, 1), events=ev2), ctx)["punishments_per_offence"] == 3.0  # + ties' points
    ev3 = events_table([
        {"step": 10, "citizen": 0, "kind": "record", "behaviour": "loan_default", "points": -50.0},
        {"step": 20, "citizen": 0, "kind": "renewed", "list": "debtors"},  # the listing extended
    ])
    assert c2(result(c, steps(100, 1), events=ev3), CTX)["listing_per_offence"] == 1.0
    # Without a ledger the per-offence figures are unknown, not zero.
    assert math.isnan(c2(result(c, steps(100, 1)), ctx)["sectors_per_offence"])


def test_c3_due_process():
    c = citizens(3, listings=np.array([2, 1, 1]), wrongful_listings=np.array([1, 1, 0]),
                 days_wrongfully_listed=np.array([30, 90, 0]))
    s = steps(5, 3, appeals_decided=[0, 2, 0, 0, 2], appeals_won=[0, 1, 0, 0, 0],
              appeals_won_wrongful=[0, 1, 0, 0, 0], entries_wrongful=[1, 0, 1, 0, 0])
    out = c3(result(c, s))
    assert out["wrongful_share"] == pytest.approx(2 / 4)
    assert out["days_per_wrongful_listing"] == pytest.approx(60.0)
    assert out["appeal_success"] == pytest.approx(1 / 4)
    assert out["wrongful_overturned_share"] == pytest.approx(1 / 2)
    none = c3(result(citizens(3), steps(5, 3)))
    assert math.isnan(none["wrongful_share"])  # nobody listed: undefined, not 0


def test_c4_licence_gap_within_virtue_deciles():
    rows = []
    for d in range(10):
        # bottom quartile: 1 harmful act per 1,000 days; top: 3; middle: 2 (per decile)
        for b, acts in ((0, 1), (1, 2), (2, 2), (3, 3)):
            rows.append((0, d, b, 1000, acts))
    t = pd.DataFrame(rows, columns=["municipality", "virtue_decile", "buffer_quartile", "citizen_days",
                                    "harmful_acts"])
    out = c4(result(citizens(4), steps(3, 4), c4_table=t))
    assert out["harm_rate_high_buffer"] == pytest.approx(3.0)
    assert out["harm_rate_low_buffer"] == pytest.approx(1.0)
    assert out["licence_gap"] == pytest.approx(2.0)
    assert out["licence_gap_relative"] == pytest.approx(2.0 / 2.0)
    assert math.isnan(c4(result(citizens(4), steps(3, 4)))["licence_gap"])


def test_c5_guilt_by_association():
    c = citizens(4, offences=np.array([0, 0, 0, 2]), points_lost_assoc=np.array([5.0, 0, 0, 5.0]),
                 points_lost=np.array([5.0, 0, 0, 25.0]), listings=np.array([0, 0, 0, 1]),
                 degree_initial=np.array([4, 4, 4, 4]), degree_final=np.array([4, 4, 4, 1]))
    s = steps(10, 4, assoc_points_lost_innocent=0.5)
    out = c5(result(c, s))
    assert out["innocent_assoc_share"] == pytest.approx(1 / 3)
    assert out["innocent_assoc_points_per_1000"] == pytest.approx(0.5 * 1000 / 4)
    assert out["assoc_share_of_points_lost"] == pytest.approx(10 / 30)
    assert out["isolation_listed"] == pytest.approx(0.75)


def test_c6_elite_from_ties():
    # 20 citizens; the two top scorers are tied only to each other; the rest form a chain
    # of similar scores. Bottom quintile at mid-run: ids 0..3; two of them climb out.
    score = np.arange(20, dtype=float)
    mid = score.copy()
    score[[0, 1]] = [15.5, 16.5]
    ties = pd.DataFrame({"src": [18] + list(range(0, 17)), "dst": [19] + list(range(1, 18))})
    c = citizens(20, score=score, score_mid=mid, wealth=np.r_[np.zeros(19), 100.0])
    out = c6(result(c, steps(4, 20), ties=ties))
    assert out["score_assortativity"] > 0.5
    assert out["top_decile_closure"] == 1.0
    assert out["wealth_gini"] == pytest.approx(19 / 20)
    assert out["bottom_quintile_mobility"] == pytest.approx(2 / 4)
    # Without ties, the engine's own summary is used.
    net = pd.DataFrame([{"score_assortativity": 0.25}])
    assert c6(result(c, steps(4, 20), net=net))["score_assortativity"] == 0.25


def test_c7_privacy_gap_within_virtue_deciles():
    n = 40
    disclosed = np.tile([True, False], n // 2)
    score = np.where(disclosed, 110.0, 100.0)  # keeping data private costs 10 points at every virtue
    c = citizens(n, disclosed=disclosed, score=score)
    out = c7(result(c, steps(3, n)), CTX)
    assert out["disclosure_rate"] == 0.5
    assert out["privacy_score_gap"] == pytest.approx(-10.0)
    assert out["privacy_score_gap_scaled"] == pytest.approx(-10.0 / 200.0)


def test_c8_metrics_over_virtue():
    n = 10
    c = citizens(n, points_gained=np.full(n, 10.0), points_gained_performative=np.r_[np.full(5, 10.0), np.zeros(5)],
                 score=np.arange(n, dtype=float), virtue=np.arange(n, dtype=float)[::-1])
    s = steps(10, n, unobserved_harm=[0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    out = c8(result(c, s))
    assert out["performative_points_share"] == 0.5
    assert out["spearman_score_virtue"] == pytest.approx(-1.0)
    assert out["unobserved_harm_per_1000"] == pytest.approx(1 * 1000 / n)  # second half only


def test_c9_known_false_positive_gap():
    # urban is best covered. 20 per group: 10 culpable, all listed; of 10 innocents,
    # 1 urban and 4 rural are listed (wrongly).
    g = np.array(["urban"] * 20 + ["rural"] * 20)
    culpable = np.tile(np.r_[np.zeros(10), np.ones(10)], 2)
    listed = culpable.copy()
    listed[0] = 1
    listed[20:24] = 1
    wrongful = listed * (1 - culpable)
    c = citizens(40, group=g, culpable_acts=culpable, listings=listed, wrongful_listings=wrongful)
    out = c9(result(c, steps(3, 40)), CTX)
    assert out["wrongful_rate_best_covered"] == pytest.approx(1 / 20 * 1000)
    assert out["wrongful_rate_worst_covered"] == pytest.approx(4 / 20 * 1000)
    assert out["wrongful_rate_gap"] == pytest.approx(150.0)
    assert out["wrongful_rate_gap_relative"] == pytest.approx(150.0 / (5 / 40 * 1000))
    assert out["fpr_gap"] == pytest.approx(0.4 - 0.1)
    assert out["equalized_odds_difference"] == pytest.approx(0.3)


def test_c10_second_half_of_the_run():
    n = 100
    s = steps(10, n, trust_sum=[50] * 5 + [80] * 5, harm=[0] * 5 + [2] * 5, cheated=[0] * 5 + [1] * 5)
    out = c10(result(citizens(n), s))
    assert out["mean_trust"] == pytest.approx(0.8)
    assert out["harm_per_1000"] == pytest.approx(20.0)
    assert out["cheated_per_1000"] == pytest.approx(10.0)


def test_registry_is_complete_and_consistent():
    from scslab.metrics.mechanisms import MECHANISMS

    assert list(CLAIMS) == [f"C{i}" for i in range(1, 12)]
    for cid, cl in CLAIMS.items():
        assert cl.test.metric in {m.key for m in cl.metrics}, cid
        assert cl.test.direction in (-1, 0, 1) and cl.test.margin >= 0
        assert set(cl.requires) <= set(MECHANISMS), cid
        if cl.test.against == "counterfactual":  # the paired run exists and can be switched off
            assert MECHANISMS[cl.counterfactual].disable is not None, cid
            tested = cl.metric(cl.test.metric)
            assert tested.paired or tested.vs_off == cl.counterfactual, cid
        else:
            assert cl.against, cid  # a null test says why the null is the mechanism-off value
        assert all(m.definition and m.formula for m in cl.metrics)
    assert RUN_CLAIMS == tuple(f"C{i}" for i in range(1, 11))


def test_run_metrics_on_a_real_run_has_every_metric():
    from scslab.engine import simulate

    r = simulate("court-blacklist", population=600, steps=40, seed=3, ledger=True)
    m = run_metrics(r)
    for cid in RUN_CLAIMS:
        for metric in CLAIMS[cid].metrics:
            assert metric.paired or metric.key in m, metric.key
    assert all(isinstance(v, float) for v in m.values())
    assert 0.0 <= m["mean_trust"] <= 1.0


def test_docs_metrics_md_is_generated_from_the_registry():
    from pathlib import Path

    from scslab.metrics.reference import render

    doc = Path(__file__).resolve().parents[1] / "docs" / "metrics.md"
    assert doc.read_text(encoding="utf-8") == render(), "run: python -m scslab.metrics.reference > docs/metrics.md"


def test_run_metrics_of_a_custom_rulebook_use_the_rulebook_the_manifest_records(tmp_path):
    """A run of an edited rulebook carries its rulebook in the manifest; the metrics read it
    (lists, scale, groups) instead of silently using an empty context."""
    from scslab.engine import simulate
    from scslab.engine.run import _result_from_folder
    from scslab.metrics.context import context_of
    from scslab.pilots import load_pilot
    from scslab.rulebook.paths import set_values
    from scslab.store import open_run

    rb, _ = set_values(load_pilot("suining"), None, {"behaviours.continuous_petitioning.points": -20})
    r = simulate(rb, population=300, steps=5, seed=1, out=tmp_path / "run")
    for res in (r, _result_from_folder(open_run(tmp_path / "run"))):  # in memory, and read back
        ctx = context_of(res)
        assert ctx.blacklists == frozenset({"untrustworthy"}) and ctx.scale_max == 1200.0
        assert ctx.groups_by_coverage[0] == "urban"
