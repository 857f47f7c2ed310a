"""Sweeps: parameter paths, designs, the analysis (checked on Ishigami's known Sobol indices),
robustness of verdicts, resuming, and independence from the executor."""

from __future__ import annotations

import math

import numpy as np
import pytest
from typer.testing import CliRunner

from scslab.cli import app
from scslab.experiments.executors import SerialExecutor, make_executor
from scslab.experiments.sweep import (
    Factor,
    SweepConfig,
    SweepPlan,
    design_points,
    plan_sweep,
    robustness,
    run_sweep,
    sensitivity,
)
from scslab.metrics.stats import Interval
from scslab.pilots import load_pilot, pilot_text
from scslab.rulebook import RulebookError, parse_rulebook
from scslab.rulebook.params_file import engine_overrides, load_params_file, parse_sets
from scslab.rulebook.paths import (
    ParamPathError,
    addressable,
    get_value,
    parse_assignment,
    set_values,
)

# --- parameter paths ----------------------------------------------------------------------


def test_paths_read_and_set_any_number_and_revalidate():
    rb = load_pilot("suining")
    assert get_value(rb, None, "behaviours.continuous_petitioning.points") == -50
    assert get_value(rb, None, "lists.untrustworthy.trigger.score_below") == 900
    assert get_value(rb, None, "data_sources.bank.coverage.rural") == 0.5
    assert get_value(rb, None, "data_sources.party_committee.coverage.rural") == 0.95  # from 'default'
    assert get_value(rb, None, "engine.levers.code") is True
    rb2, p2 = set_values(rb, None, {"behaviours.continuous_petitioning.points": -10,
                                    "lists.untrustworthy.duration_days": 200.6,  # a whole-number field
                                    "engine.w_virtue": 2, "engine.levers.norms": False})
    assert rb2.behaviour("continuous_petitioning").points == -10
    assert rb2.lists[0].duration_days == 201 and p2.w_virtue == 2.0 and p2.levers.norms is False
    assert rb.behaviour("continuous_petitioning").points == -50  # the original is untouched
    rb3, _ = set_values(rb, None, {"grades.warning.min": 880})  # a boundary: the grade below follows
    assert (rb3.grades[0].max, rb3.grades[1].min) == (880, 880)
    paths = addressable(rb)
    assert "network.association_penalty" in paths and "engine.w_strategic" in paths
    assert all(get_value(rb, None, p) is not None or True for p in paths[:50])


@pytest.mark.parametrize("path, value, words", [
    ("behaviours.petitoning.points", 1, "did you mean 'continuous_petitioning'"),
    ("engine.w_virtu", 1, "did you mean 'w_virtue'"),
    ("network.peer_weight", 5, "<= 1"),  # the schema's own range
    ("behaviours.second_child", 1, "whole item"),
    ("appeals..cost", 1, "empty segment"),
    ("engine.levers.code", 0.5, "switch"),
    ("scale.base", float("nan"), "finite"),
    ("grades.warning.min", 1500, "grade"),  # cross-checks run again: beyond the scale
])
def test_bad_paths_and_values_are_named(path, value, words):
    with pytest.raises(ParamPathError) as e:
        set_values(load_pilot("suining"), None, {path: value})
    assert words in str(e.value)


def test_assignments_parse_ranges_and_levels():
    assert parse_assignment("engine.w_virtue=0.5..3") == ("engine.w_virtue", (0.5, 3.0), None)
    assert parse_assignment("appeals.available=true,false") == ("appeals.available", None, (True, False))
    assert parse_assignment("x.y=1,2.5") == ("x.y", None, (1.0, 2.5))
    for bad in ("x.y", "x.y=3..1", "x.y=a..b", "x.y=", "x.y=inf..2"):
        with pytest.raises(ParamPathError):
            parse_assignment(bad)


def test_plausible_ranges_are_checked_with_locations():
    text = pilot_text("suining").split("\nplausible:")[0] + (
        "\nplausible:\n"
        "  - {path: behaviours.continuus_petitioning.points, low: -100, high: 0}\n"
        "  - {path: lists.untrustworthy.duration_days, low: 400, high: 700}\n"
        "  - {path: engine.w_virtue, low: 3, high: 1}\n")
    with pytest.raises(RulebookError) as e:
        parse_rulebook(text, "x.yaml")
    msgs = [str(p) for p in e.value.problems]
    assert any("plausible[0].path" in m and "continuous_petitioning" in m for m in msgs)
    assert any("plausible[1]" in m and "outside its plausible range" in m for m in msgs)
    assert any("plausible[2]" in m and "empty" in m for m in msgs)


def test_params_files_and_set_options_are_validated(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("engine.w_virtue: 2\nengine.w_virtu: 3\nnetwork.peer_weight: nope\n", encoding="utf-8")
    with pytest.raises(RulebookError) as e:
        load_params_file(p)
    where = {(q.line, q.column) for q in e.value.problems}
    assert (2, 1) in where and (3, 1) in where
    p.write_text("engine.w_virtue: 2\nengine.levers.market: false\n", encoding="utf-8")
    vals = load_params_file(p)
    assert engine_overrides(vals)["w_virtue"] == 2.0
    assert parse_sets(["engine.w_law=1.5"]) == {"engine.w_law": 1.5}
    with pytest.raises(RulebookError):
        parse_sets(["engine.w_law=1..2"])
    with pytest.raises(RulebookError):
        engine_overrides({"network.peer_weight": 0.1})  # a rulebook number: not for every pilot


# --- designs and the analysis ----------------------------------------------------------------


def _plan(factors, points) -> SweepPlan:
    pts = [dict(zip([f.path for f in factors], p, strict=True)) for p in points]
    return SweepPlan(tuple(factors), pts[0], pts, [{}] * len(pts), [], [])


def ishigami(x, a=7.0, b=0.1):
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_indices_of_ishigami_are_recovered():
    factors = [Factor(f"x.x{i}", -math.pi, math.pi) for i in range(3)]
    cfg = SweepConfig("toy", tuple(factors), design="sobol", samples=1024)
    x = design_points(cfg, factors).astype(float)
    y = ishigami(x)
    plan = _plan(factors, np.vstack([np.zeros(3), x]))  # point 0: the nominal point, left out of the analysis
    tested = [{}] + [{"C1": Interval(float(v), float(v), float(v), 3)} for v in y]
    s = sensitivity(cfg, plan, tested)["C1"]
    assert s["method"] == "sobol"
    # Analytical values (Ishigami, a=7, b=0.1): S1 = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244.
    np.testing.assert_allclose(s["S1"], [0.314, 0.442, 0.0], atol=0.05)
    np.testing.assert_allclose(s["ST"], [0.558, 0.442, 0.244], atol=0.05)


def test_morris_ranks_the_influential_factor_first():
    factors = [Factor("a.x", 0, 1), Factor("a.y", 0, 1), Factor("a.z", 0, 1)]
    cfg = SweepConfig("toy", tuple(factors), design="morris", samples=20)
    x = design_points(cfg, factors).astype(float)
    y = 10 * x[:, 0] + x[:, 1] + 0 * x[:, 2]
    plan = _plan(factors, np.vstack([np.zeros(3), x]))
    tested = [{}] + [{"C2": Interval(float(v), float(v), float(v), 2)} for v in y]
    s = sensitivity(cfg, plan, tested)["C2"]
    assert s["method"] == "morris" and np.argmax(s["mu_star"]) == 0 and s["mu_star"][2] < 1e-9


def test_designs_cover_the_box():
    f = (Factor("a.x", 1, 3), Factor("a.y", None, None, (True, False)))
    grid = design_points(SweepConfig("t", f, design="grid", samples=3), f)
    assert grid.shape == (6, 2) and {float(v) for v in grid[:, 0]} == {1.0, 2.0, 3.0}
    lhs = design_points(SweepConfig("t", f, design="lhs", samples=10), f)
    xs = np.sort(lhs[:, 0].astype(float))
    assert lhs.shape == (10, 2) and 1 <= xs[0] < 1.2 and 2.8 < xs[-1] <= 3  # one point per stratum
    with pytest.raises(ValueError):
        SweepConfig("t", f, design="sobol")  # Sobol needs continuous ranges


def test_robustness_counts_the_box_and_finds_where_a_verdict_flips():
    f = Factor("appeals.review_accuracy", 0, 1)
    xs = [0.5] + list(np.linspace(0.05, 0.95, 10))  # at least FLIP_MIN_POINTS points
    plan = _plan([f], [[x] for x in xs])
    verdicts = [{"C3": "supported" if x >= 0.4 else "not supported"} for x in xs]
    r = robustness(plan, verdicts, [{} for _ in xs])["C3"]
    assert r["nominal"] == "supported" and r["share"] == pytest.approx(0.6)
    assert r["flip"]["path"] == "appeals.review_accuracy" and r["flip"]["side"] == "<"
    assert 0.3 < r["flip"]["threshold"] <= 0.45 and r["flip"]["accuracy"] == 1.0


# --- running: same bytes whatever the executor, and resumable --------------------------------

CFG = SweepConfig("guilt-by-association", (Factor.parse("network.association_penalty=0..2"),
                                           Factor.parse("engine.w_law=0.5..2")),
                  design="lhs", samples=2, seeds=2, population=300, steps=20)


def test_plan_pairs_each_point_with_its_counterfactuals():
    plan = plan_sweep(CFG)
    assert plan.points[0] == {"network.association_penalty": 1, "engine.w_law": 1.0}  # the rulebook's values
    assert len(plan.points) == 3
    on = [s for s in plan.specs if s.role == "sweep"]
    assert len(on) == 3 * 2 and {s.seed for s in on} == {1, 2}
    assert any(s.off == ("code",) for s in plan.specs)


@pytest.mark.slow
def test_sweep_tables_are_the_same_bytes_serial_or_pooled_and_after_resuming(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    run_sweep(CFG, a, executor=SerialExecutor())
    with make_executor("local", 2) as ex:
        run_sweep(CFG, b, executor=ex)
    for name in ("runs.parquet", "points.parquet", "analysis.json", "report.html"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    # Interrupted: half the journal kept, plus a line a kill tore; the rerun does only the rest.
    lines = (a / "runs.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    keep = len(lines) // 2
    (a / "runs.jsonl").write_text("".join(lines[:keep]) + lines[keep][: len(lines[keep]) // 2], encoding="utf-8")
    (a / "runs.parquet").unlink()
    seen = []
    run_sweep(CFG, a, executor=SerialExecutor(), progress=lambda d, n: seen.append(d))
    assert seen[0] == keep  # the finished runs were not redone
    for name in ("runs.parquet", "points.parquet", "analysis.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    other = SweepConfig(CFG.pilot, CFG.factors, design="lhs", samples=3, seeds=2, population=300, steps=20)
    with pytest.raises(FileExistsError):
        run_sweep(other, a, executor=SerialExecutor())
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("a user's file", encoding="utf-8")
    with pytest.raises(FileExistsError):  # a folder holding someone else's files is not written into
        run_sweep(CFG, mine, executor=SerialExecutor())
    assert [f.name for f in mine.iterdir()] == ["notes.txt"]


@pytest.mark.slow
def test_sweep_on_ray_gives_the_same_bytes(tmp_path):
    pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'scslab[ray]'")
    from scslab.experiments.executors import RayExecutor

    run_sweep(CFG, tmp_path / "serial", executor=SerialExecutor())
    run_sweep(CFG, tmp_path / "ray", executor=RayExecutor(2))
    for name in ("runs.parquet", "points.parquet", "analysis.json"):
        assert (tmp_path / "serial" / name).read_bytes() == (tmp_path / "ray" / name).read_bytes(), name


def test_cli_sweep_refuses_bad_input_without_traceback(tmp_path):
    r = CliRunner()
    for args, words in ((["--design", "tree"], "--design"), (["--param", "behaviours.nope.points=1..2"], "nope"),
                        (["--param", "engine.w_virtue=3..1"], "empty"), (["--set", "engine.w_law=abc"], "number")):
        res = r.invoke(app, ["sweep", "suining", *args, "--out", str(tmp_path / "s")])
        assert res.exit_code == 2, res.output
        assert "Traceback" not in res.output and words in res.output, res.output


def test_a_sweep_is_in_the_sql_catalog_with_its_parameters(tmp_path):
    from scslab.store import Catalog

    small = SweepConfig(CFG.pilot, CFG.factors, design="lhs", samples=2, seeds=2, population=200, steps=10)
    run_sweep(small, tmp_path / "sweeps" / "one", executor=SerialExecutor())
    cat = Catalog(tmp_path)
    rows = cat.sql('select sweep_id, count(*) as n, count(distinct "param:network.association_penalty") as k '
                   "from sweep_runs group by all")
    assert rows.shape[0] == 1 and rows["sweep_id"][0] == "sweeps/one" and rows["k"][0] == 3
    assert int(rows["n"][0]) == len(plan_sweep(small).specs)
    pts = cat.sql("select distinct verdict from sweep_points where claim = 'C10'")
    assert len(pts) >= 1
    assert cat.sql("select pilot, design from sweeps")["design"][0] == "lhs"
    res = CliRunner().invoke(app, ["runs", str(tmp_path), "--sql", "select count(*) as n from sweep_points"])
    assert res.exit_code == 0, res.output


def test_cli_run_takes_settings_for_the_rulebook_and_the_engine(tmp_path):
    import json

    p = tmp_path / "s.yaml"
    p.write_text("engine.w_virtue: 2.5\nnetwork.association_penalty: 3\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["run", "suining", "-n", "300", "-t", "5", "--params", str(p),
                                 "--set", "engine.levers.norms=false", "--out", str(tmp_path / "run")])
    assert r.exit_code == 0, r.output
    m = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))
    assert m["params"]["w_virtue"] == 2.5 and m["levers"] == "law+market+code"
    assert m["rulebook_documents"]["suining"]["network"]["association_penalty"] == 3.0
    bad = CliRunner().invoke(app, ["run", "suining", "-n", "300", "-t", "5", "--set", "network.x=3",
                                   "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 2 and "no field 'x'" in bad.output and "Traceback" not in bad.output


def test_cli_sweep_warm_start(tmp_path):
    """`scslab sweep --warm-start DATE|DAYS` (as `scslab compare --warm-start PILOT=...`): every
    run starts on the calendar's first day and is measured from DATE; bad input is refused
    with the reason (exit 2, no traceback)."""
    import json

    r = CliRunner()
    args = ["sweep", "court-blacklist", "--param", "appeals.review_accuracy=0.4..0.9", "--no-engine",
            "--design", "lhs", "--samples", "1", "--seeds", "2", "--population", "200", "--steps", "10"]
    res = r.invoke(app, [*args, "--warm-start", "2014-01-01", "--out", str(tmp_path / "w")])
    assert res.exit_code == 0, res.output
    assert "warm start of 92 days" in res.output
    assert json.loads((tmp_path / "w" / "sweep.json").read_text())["config"]["warmup"] == 92  # 1 Oct 2013 + 92
    same = r.invoke(app, [*args, "--warm-start", "court-blacklist=92", "--out", str(tmp_path / "w")])
    assert same.exit_code == 0, same.output  # the same sweep: resumed, not refused
    for bad, words in (("2013-09-30", "before the rulebook's first day"), ("soon", "expected a date"),
                       ("rongcheng=10", "not the pilot swept"), ("99999", "longest run")):
        res = r.invoke(app, [*args, "--warm-start", bad, "--out", str(tmp_path / "bad")])
        assert res.exit_code == 2, res.output
        assert words in res.output and "Traceback" not in res.output, res.output
