"""Warm starts (issue 13): a run measured from a later day (engine.measure_from). The
citizens' tallies restart on that day and the daily tables are cut to match, so a windowed
run's metrics read only the measured days; comparisons and sweeps take it per pilot."""

from __future__ import annotations

import numpy as np
import pytest

from scslab.engine import EngineParams, simulate
from scslab.experiments.compare import CompareConfig, plan, warm_start_days
from scslab.experiments.runner import RunSpec, execute
from scslab.metrics import run_metrics
from scslab.metrics.window import measured

N, DAYS, W = 600, 80, 30


@pytest.fixture(scope="module")
def runs():
    whole = simulate("rongcheng", population=N, steps=DAYS, seed=3, ledger=1.0)
    warm = simulate("rongcheng", population=N, steps=DAYS, seed=3, ledger=1.0,
                    params=EngineParams(measure_from=W))
    return whole, warm


def test_the_state_carries_on_and_the_tallies_restart(runs):
    whole, warm = runs
    # The same days are simulated: the daily tables are identical, and so is the final state.
    assert whole.steps.equals(warm.steps)
    assert np.array_equal(whole.citizens["score"], warm.citizens["score"])
    m = measured(warm)
    assert m.manifest["steps"] == DAYS - W and m.manifest["steps_run"] == DAYS and m.manifest["measure_from"] == W
    assert m.steps["step"].min() == 0 and m.steps["step"].max() == DAYS - W - 1
    assert m.events["step"].min() >= 0 and len(m.events) < len(warm.events)
    s, c = m.steps, m.citizens
    # the tallies count the measured days only, as the cut daily table does
    for tally, col in (("offences", "offences"), ("records", "records"), ("acts_harm", "acts_harm"),
                       ("listings", "entries_black")):
        assert c[tally].sum() == s[col].sum()
    assert 0 < c["offences"].sum() < whole.citizens["offences"].sum()
    assert measured(m) is m  # cutting twice changes nothing


def test_metrics_read_the_window(runs):
    _, warm = runs
    a, b = run_metrics(warm), run_metrics(measured(warm))
    assert a.keys() == b.keys()
    assert all((np.isnan(a[k]) and np.isnan(b[k])) or a[k] == b[k] for k in a)


def test_a_warm_started_spec_runs_longer_and_reads_its_last_days():
    o = execute(RunSpec("court-blacklist", 2, 400, 40, warmup=25))
    assert o.manifest["steps"] == 40 and o.manifest["measure_from"] == 25 and len(o.series["step"]) == 40
    assert o.manifest["params"]["measure_from"] == 25


def test_compare_plans_warm_starts_for_every_run_of_a_pilot():
    cfg = CompareConfig(pilots=("rongcheng", "court-blacklist"), population=300, steps=20, seeds=2,
                        levers=("court-blacklist",), warm_start=(("court-blacklist", 15),))
    specs = plan(cfg)
    assert {s.warmup for s in specs if s.pilot == "court-blacklist"} == {15}
    assert {s.warmup for s in specs if s.pilot != "court-blacklist"} == {0}
    assert {s.role for s in specs if s.pilot == "court-blacklist"} == {"pilot", "counterfactual", "levers"}
    assert "--warm-start court-blacklist=15" in cfg.command()


def test_warm_start_dates_and_refusals():
    assert warm_start_days("court-blacklist-calibrated", "2018-07-09") == 1742  # from 1 October 2013
    assert warm_start_days("rongcheng", "10") == 10
    with pytest.raises(ValueError, match="before the rulebook's first day, 2013-10-01"):
        warm_start_days("court-blacklist-calibrated", "2013-01-01")
    with pytest.raises(ValueError, match="expected a date"):
        warm_start_days("rongcheng", "next year")
    with pytest.raises(ValueError, match="longest run"):
        warm_start_days("rongcheng", "36400", steps=365)
    with pytest.raises(ValueError, match="not among the pilots"):
        CompareConfig(pilots=("rongcheng",), warm_start=(("sesame", 10),))
    with pytest.raises(ValueError, match="engine.measure_from"):
        CompareConfig(pilots=("rongcheng",), params={"measure_from": 10})
    with pytest.raises(ValueError, match="not before the run's last day"):
        measured(simulate("rongcheng", population=200, steps=5, seed=1, params=EngineParams(measure_from=9)))


def test_cli_refuses_a_bad_warm_start():
    from typer.testing import CliRunner

    from scslab.cli import app

    r = CliRunner().invoke(app, ["compare", "rongcheng", "--warm-start", "rongcheng=1999-01-01", "-n", "200"])
    assert r.exit_code == 2 and "before the rulebook's first day" in r.output
    r = CliRunner().invoke(app, ["compare", "rongcheng", "--warm-start", "sesame=10", "-n", "200"])
    assert r.exit_code == 2 and "not among the pilots compared" in r.output
