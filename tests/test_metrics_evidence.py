"""The events a verdict rests on: pooled counts beside each counted claim's verdict, and
"too few events" where a supported or not supported would rest on fewer than min_events."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import binomtest
from typer.testing import CliRunner

from scslab.cli import app
from scslab.experiments import CompareConfig, compare, plan
from scslab.experiments.runner import RunOutcome
from scslab.metrics.claims import MIXED, NOT_SUPPORTED, SUPPORTED, TOO_FEW, Evidence, too_few_events
from scslab.metrics.mechanisms import MECHANISMS, Presence
from scslab.metrics.registry import CLAIMS
from scslab.metrics.stats import wilson
from scslab.report import render_report

C3 = CLAIMS["C3"].test  # wrongful share above 0 by more than 0.01


def outcome(spec, metrics) -> RunOutcome:
    series = {k: np.ones(3) for k in ("mean_score", "mean_score_scaled", "share_listed", "harm_per_1000", "trust",
                                      "sectors_per_listed")} | {"step": np.arange(3)}
    manifest = {"rulebook": spec.pilot, "rulebook_hash": "h", "seed": spec.seed}
    return RunOutcome(spec, metrics, series, manifest, None, 0.0, {"title": spec.pilot})


# Per seed (5 seeds): wrongful listings and listings. "many" and "few" give the same shares,
# seed by seed (8%, 5.9%, 10%, 7.1%, 9.1%: mean 8.0%), from 100 times as many listings.
FEW = ([2, 1, 2, 1, 2], [25, 17, 20, 14, 22])
WORLDS = {
    "few": FEW,
    "many": ([k * 100 for k in FEW[0]], [n * 100 for n in FEW[1]]),
    "none-of-few": ([0] * 5, [18] * 5),  # no wrongful listing among 90: cannot show a share below 1%
    "none-of-many": ([0] * 5, [200] * 5),  # none among 1,000: the count itself shows it negligible
}


def synthetic(min_events: int = 30):
    cfg = CompareConfig(pilots=tuple(WORLDS), seeds=5, references=False, min_events=min_events)
    inv = {c: {k: Presence(k, k, True, "present") for k in MECHANISMS} for c in cfg.columns}
    outs = []
    for s in plan(cfg, inv):
        wrong, listed = (v[s.seed - cfg.first_seed] for v in WORLDS[s.pilot])
        outs.append(outcome(s, {"wrongful_share": wrong / listed, "n_wrongful_listings": float(wrong),
                                "n_listings": float(listed), "mean_trust": 0.9}))
    return compare(cfg, outcomes=outs, mechanisms=inv)


@pytest.fixture(scope="module")
def cmp():
    return synthetic()


def test_the_same_share_stands_on_many_events_and_reads_too_few_on_few(cmp):
    few, many = cmp.tested["few"]["C3"], cmp.tested["many"]["C3"]
    assert few.mean == pytest.approx(many.mean) and few.mean == pytest.approx(0.08, abs=0.001)
    assert few.lo == pytest.approx(many.lo) and few.lo > 0.01  # the interval alone: supported, both
    assert cmp.verdicts["many"]["C3"] == SUPPORTED
    assert cmp.verdicts["few"]["C3"] == TOO_FEW
    assert cmp.interval_verdict("few", "C3") == SUPPORTED and cmp.interval_verdict("many", "C3") == SUPPORTED
    ev = cmp.evidence["few"]["C3"]
    assert (ev.events, ev.of, ev.seeds) == (8, 98, 5)
    assert ev.describe() == "8 wrongful listings of 98 listings"
    assert (cmp.evidence["many"]["C3"].events, cmp.evidence["many"]["C3"].of) == (800, 9800)
    # A negligible share: no wrongful listing among 90 cannot show it below 1%; among 1,000 it can.
    assert cmp.interval_verdict("none-of-few", "C3") == NOT_SUPPORTED
    assert cmp.verdicts["none-of-few"]["C3"] == TOO_FEW
    assert cmp.verdicts["none-of-many"]["C3"] == NOT_SUPPORTED
    # Claims not counted in events carry no count: C10 (mean trust) reads as before.
    assert "C10" not in cmp.evidence["few"] and cmp.verdicts["few"]["C10"] == NOT_SUPPORTED


def test_min_events_zero_gives_the_interval_its_word():
    cmp = synthetic(min_events=0)
    assert cmp.verdicts["few"]["C3"] == SUPPORTED and cmp.verdicts["none-of-few"]["C3"] == NOT_SUPPORTED
    assert "--min-events 0" in cmp.command
    assert "--min-events" not in synthetic().command  # the default is not spelled out


def test_claims_json_carries_the_counts(cmp):
    data = json.loads(json.dumps(cmp.to_json(), allow_nan=False))
    c3 = next(r for r in data["claims"] if r["id"] == "C3")
    assert c3["evidence"]["counted"] and c3["evidence"]["events"] == "n_wrongful_listings"
    cell = c3["cells"]["few"]
    assert cell["verdict"] == TOO_FEW and cell["interval_verdict"] == SUPPORTED
    assert (cell["evidence"]["events"], cell["evidence"]["of"]) == (8, 98)
    assert cell["evidence"]["pooled_share"]["mean"] == pytest.approx(8 / 98)
    c10 = next(r for r in data["claims"] if r["id"] == "C10")
    assert not c10["evidence"]["counted"] and "trust" in c10["evidence"]["why"]
    assert c10["cells"]["few"]["evidence"] is None
    assert data["config"]["min_events"] == 30


def test_the_report_shows_the_counts_beside_the_verdict(cmp):
    html = render_report(cmp)
    assert "on 8 wrongful listings of 98 listings over 5 seeds" in html
    assert "on 800 wrongful listings of 9,800 listings over 5 seeds" in html
    assert "fewer than 30 events: the interval alone reads supported" in html
    assert 'class="v v-thin">too few events<' in html


def test_too_few_events_rule():
    def ev(k, n, share=True):
        return Evidence(k, n, "events", "units", 5, share)

    assert too_few_events(ev(29, 1000), C3, SUPPORTED) and not too_few_events(ev(30, 1000), C3, SUPPORTED)
    assert not too_few_events(ev(7, 90), C3, MIXED)  # mixed already says the runs do not settle it
    assert not too_few_events(ev(7, 90), C3, SUPPORTED, min_events=0)
    assert not too_few_events(None, C3, SUPPORTED)  # a claim not counted in events
    # not supported on a share: the pooled Wilson interval inside ±margin settles it (0 of 400
    # at 95%: [0, 0.95%]); 0 of 90 reaches 4.1%.
    assert not too_few_events(ev(0, 400), C3, NOT_SUPPORTED)
    assert too_few_events(ev(0, 90), C3, NOT_SUPPORTED)
    # ...but not where the events are units the quantity is measured on (C2's sanctioning offences)
    assert too_few_events(ev(0, 400, share=False), CLAIMS["C2"].test, NOT_SUPPORTED)


def test_wilson_matches_scipy():
    for k, n in ((7, 93), (0, 90), (90, 90), (1, 3)):
        iv = wilson(k, n)
        ref = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert (iv.lo, iv.hi) == pytest.approx((ref.low, ref.high), abs=1e-12)
    assert wilson(0, 0).n == 0


def test_every_claim_is_counted_or_says_why_not():
    for cid, cl in CLAIMS.items():
        assert (cl.count is None) == bool(cl.uncounted), cid
    assert {c for c, cl in CLAIMS.items() if cl.count} == {"C2", "C3", "C5", "C9"}


def test_a_sweep_point_reads_its_verdict_with_its_counts():
    from scslab.experiments.sweep import SweepConfig, analyse, plan_sweep

    cfg = SweepConfig("court-blacklist", design="lhs", samples=2, seeds=2, population=100, steps=10)
    pl = plan_sweep(cfg)
    # 1 wrongful listing of 10 on each seed: a share of 10% with no spread, supported by the
    # interval alone, on 2 events.
    metrics = [{"wrongful_share": 0.1, "n_wrongful_listings": 1.0, "n_listings": 10.0} for _ in pl.specs]
    res = analyse(cfg, pl, metrics)
    assert res.verdicts[0]["C3"] == TOO_FEW
    assert (res.evidence[0]["C3"].events, res.evidence[0]["C3"].of) == (2, 20)


def test_cli_min_events(tmp_path):
    runner = CliRunner()
    r = runner.invoke(app, ["compare", "court-blacklist", "--min-events", "-1"])
    assert r.exit_code == 2 and "--min-events" in r.output and "Traceback" not in r.output
    r = runner.invoke(app, ["compare", "court-blacklist", "--population", "300", "--steps", "30", "--seeds", "2",
                            "--no-references", "--no-levers", "--workers", "1", "--min-events", "5",
                            "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["config"]["min_events"] == 5 and "--min-events 5" in data["command"]
    c3 = next(x for x in data["claims"] if x["id"] == "C3")["cells"]["court-blacklist"]
    if c3["verdict"] != "not tested":  # listings in 30 days of 300 citizens
        assert isinstance(c3["evidence"]["events"], int) and c3["evidence"]["of"] >= c3["evidence"]["events"]
        assert "listings" in r.output  # the evidence lines under the grid
