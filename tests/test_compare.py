"""Comparisons: verdicts read from the numbers, paired baselines, worker-count independence."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from scslab.cli import app
from scslab.experiments import BASELINE, CompareConfig, compare, plan
from scslab.experiments.levers import COMBINATIONS
from scslab.experiments.runner import RunOutcome
from scslab.metrics.claims import LEVERS, MIXED, NA, NOT_SUPPORTED, NOT_TESTED, SUPPORTED
from scslab.metrics.mechanisms import MECHANISMS, Presence


def outcome(spec, metrics) -> RunOutcome:
    series = {"step": np.arange(3), "harm_per_1000": np.ones(3), "trust": np.ones(3)}
    manifest = {"rulebook": spec.pilot, "rulebook_hash": "h", "seed": spec.seed}
    return RunOutcome(spec, metrics, series, manifest, None, 0.0, {"title": spec.pilot})


def everything(cfg) -> dict:
    """An inventory in which every rulebook has every mechanism (for made-up pilots)."""
    return {c: {k: Presence(k, k, True, "present") for k in MECHANISMS} for c in cfg.columns}


def test_plan_pairs_every_column_on_the_same_seeds():
    cfg = CompareConfig(pilots=("rongcheng", "sesame"), seeds=3, first_seed=7, levers=("sesame",))
    specs = plan(cfg)
    cols = [s for s in specs if s.role not in ("levers", "counterfactual")]
    assert cfg.columns == ["rongcheng", "sesame", "rule-of-law", "none"]
    assert {(s.pilot, s.seed) for s in cols} == {(c, k) for c in cfg.columns for k in (7, 8, 9)}
    assert all(s.levers == (True, True, True, False) for s in cols if s.pilot == BASELINE)  # code off
    assert sum(s.detail for s in cols) == 4  # the first seed of each column keeps plot data
    lv = [s for s in specs if s.role == "levers"]
    assert len(lv) == 16 * 3 and {s.levers for s in lv} == set(COMBINATIONS)
    # Paired counterfactuals: the same seeds with one mechanism off, only for mechanisms a
    # rulebook has (Sesame has tie terms but no blacklist; the baseline gets none).
    cf = {(s.pilot, s.off) for s in specs if s.role == "counterfactual"}
    assert ("rongcheng", ("code",)) in cf and ("sesame", ("code",)) in cf
    assert ("rongcheng", ("strategic_response",)) in cf
    assert not any(p == BASELINE for p, _ in cf)
    assert ("court-blacklist", ("elite_rewards",)) not in cf
    seeds = {(s.pilot, s.off): [] for s in specs if s.role == "counterfactual"}
    for s in specs:
        if s.role == "counterfactual":
            seeds[(s.pilot, s.off)].append(s.seed)
    assert all(v == [7, 8, 9] for v in seeds.values())
    assert CompareConfig(pilots=("none", "x"), references=True).columns == ["none", "x", "rule-of-law"]


def test_verdicts_follow_the_numbers_seed_by_seed():
    cfg = CompareConfig(pilots=("up", "down", "noisy"), seeds=4, levers=("up",))
    base_trust = [0.90, 0.92, 0.88, 0.91]
    trust = {"up": [t + 0.02 for t in base_trust], "down": [t - 0.02 for t in base_trust],
             "noisy": [t + d for t, d in zip(base_trust, (0.03, -0.03, 0.02, -0.02), strict=True)],
             "rule-of-law": base_trust, BASELINE: base_trust}
    inv = everything(cfg)
    outs = []
    for s in plan(cfg, inv):
        if s.role == "counterfactual":  # the same pilot with a mechanism off: the baseline's numbers
            k = s.seed - cfg.first_seed
            outs.append(outcome(s, {"mean_trust": base_trust[k], "lawful_points_share": 0.0,
                                    "wrongful_share": float("nan")}))
            continue
        if s.role == "levers":
            on = dict(zip(LEVERS, s.levers, strict=True))
            # code cuts harm by 0.4, law by 0.1 -> code's share 0.8, law's 0.2
            outs.append(outcome(s, {"harm_per_1000": 2.0 - 0.4 * on["code"] - 0.1 * on["law"] + 0.001 * s.seed}))
            continue
        k = s.seed - cfg.first_seed
        outs.append(outcome(s, {"mean_trust": trust[s.pilot][k], "lawful_points_share": [0.3, 0.0, 0.02][k % 3],
                                "wrongful_share": float("nan")}))
    cmp = compare(cfg, outcomes=outs, mechanisms=inv)
    v = cmp.verdicts
    # C10 is read pilot minus the same pilot with code off, paired by seed: a steady +0.02 is
    # clear even though the code-off runs vary more than that across seeds.
    assert v["up"]["C10"] == SUPPORTED and v["down"]["C10"] == NOT_SUPPORTED and v["noisy"]["C10"] == MIXED
    assert v["rule-of-law"]["C10"] == NOT_SUPPORTED  # identical to its counterfactual: negligible
    assert v[BASELINE]["C10"] == "baseline"
    assert cmp.summary["up"]["mean_trust_vs_off"].mean == pytest.approx(0.02)
    assert cmp.summary["up"]["mean_trust_vs_none"].mean == pytest.approx(0.02)  # the second reference
    assert "code lever off" in cmp.against["up"]["C10"]
    assert v["up"]["C3"] == NOT_TESTED  # no seed had a listing
    assert "blacklisted" in cmp.reasons["up"]["C3"]
    assert v["up"]["C11"] == SUPPORTED and v["down"]["C11"] == "not run"
    assert cmp.levers["up"]["summary"]["share_code"].mean == pytest.approx(0.8)
    rows = cmp.claims_table()
    assert [r["id"] for r in rows] == [f"C{i}" for i in range(1, 12)]
    json.dumps(cmp.to_json(), allow_nan=False)  # strict JSON: NaN became null


def test_a_claim_about_an_absent_mechanism_is_not_tested_with_the_reason():
    cfg = CompareConfig(pilots=("a",), seeds=2, references=False)
    inv = everything(cfg)
    inv["a"]["tie_terms"] = Presence("tie_terms", "makes ties cost points", False, "no rule makes ties cost points")
    outs = [outcome(s, {"mean_trust": 0.9, "innocent_assoc_share": 0.0}) for s in plan(cfg, inv)]
    cmp = compare(cfg, outcomes=outs, mechanisms=inv)
    assert cmp.columns == ["a"] and cmp.verdicts["a"]["C11"] == "not run"
    assert cmp.verdicts["a"]["C10"] == NOT_SUPPORTED  # equal to its code-off twin
    assert cmp.verdicts["a"]["C5"] == NOT_TESTED and cmp.reasons["a"]["C5"] == "no rule makes ties cost points"
    assert NA not in cmp.verdicts["a"].values()
    assert "--no-references" in cmp.command and "--no-levers" in cmp.command


def test_results_do_not_depend_on_worker_count():
    cfg = CompareConfig(pilots=("court-blacklist", "sesame"), population=200, steps=10, seeds=2, references=False,
                        workers=1)
    one = compare(cfg)
    two = compare(CompareConfig(**{**cfg.__dict__, "workers": 2}))
    assert json.dumps(one.to_json()["values"], sort_keys=True) == json.dumps(two.to_json()["values"], sort_keys=True)
    assert one.verdicts == two.verdicts
    assert one.command == two.command  # the worker count is not part of the result


def test_cli_rejects_bad_input_without_traceback():
    runner = CliRunner()
    r = runner.invoke(app, ["compare", "nosuchpilot", "--seeds", "2"])
    assert r.exit_code == 2 and "Traceback" not in r.output
    r = runner.invoke(app, ["compare", "rongcheng", "--population", "5"])
    assert r.exit_code == 2 and "--population" in r.output


def test_cli_compare_writes_the_report_and_numbers(tmp_path):
    r = CliRunner().invoke(app, ["compare", "court-blacklist", "--population", "200", "--steps", "10", "--seeds", "2",
                                 "--no-references", "--no-levers", "--workers", "1", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "report.html").is_file()
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["columns"] == ["court-blacklist"] and data["seeds"] == [1, 2]
    assert data["command"].startswith("scslab compare court-blacklist --population 200 --steps 10 --seeds 2")


def test_cli_compare_takes_engine_weights_and_records_them(tmp_path):
    p = tmp_path / "w.yaml"
    p.write_text("engine.w_virtue: 2.5\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["compare", "court-blacklist", "--population", "200", "--steps", "8", "--seeds", "2",
                                 "--no-references", "--no-levers", "--workers", "1", "--params", str(p),
                                 "--set", "engine.w_law=1.5", "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    data = json.loads((tmp_path / "o" / "report.json").read_text(encoding="utf-8"))
    assert data["config"]["params"]["w_virtue"] == 2.5 and data["config"]["params"]["w_law"] == 1.5
    assert "--set engine.w_law=1.5 --set engine.w_virtue=2.5" in data["command"]
    p.write_text("engine.w_virtu: 2.5\n", encoding="utf-8")
    bad = CliRunner().invoke(app, ["compare", "court-blacklist", "--params", str(p), "--out", str(tmp_path / "o")])
    assert bad.exit_code == 2 and f"{p}:1:1" in bad.output and "w_virtue" in bad.output
