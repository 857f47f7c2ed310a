"""RunConfig (issue 17, item 1): the run's parameters, ranges and docs in one place; the
API, the CLI and the limits module agree on them."""

from __future__ import annotations

import numpy as np
import pytest

from scslab import limits
from scslab.engine.config import ParameterError, RunConfig
from scslab.engine.params import EngineParams, Levers
from scslab.engine.simulation import Simulation


@pytest.mark.parametrize("values,param,message", [
    ({"population": 0}, "population", f"population must be in 1..{limits.MAX_POPULATION:,}, got 0"),
    ({"population": 2.5}, "population", "population must be a whole number in 1.."),
    ({"steps": limits.MAX_STEPS + 1}, "steps", "steps must be in 1..36,500, got 36,501"),
    ({"steps": "10"}, "steps", "steps must be a whole number in 1..36,500, got '10'"),
    ({"seed": -3}, "seed", "seed must be in 0..9,223,372,036,854,775,807, got -3"),
    ({"seed": None}, "seed", "or a numpy SeedSequence or Generator), got None"),
    ({"ledger": 2}, "ledger", "ledger must be True, False or a fraction in 0..1, got 2"),
    ({"levers": {"nrms": False}}, "levers", "did you mean 'norms'?"),
    ({"params": {"w_virtue": 2}}, "params", "params must be an EngineParams"),
    ({"save_ties": 1}, "save_ties", "save_ties must be True, False or None, got 1"),
    ({"step": 10}, "step", "step is not a run parameter (they are: population, steps, seed"),
])
def test_out_of_range_values_are_refused_in_one_line(values, param, message):
    with pytest.raises(ParameterError) as ei:
        RunConfig(**values)
    assert ei.value.param == param and message in str(ei.value), str(ei.value)
    assert "\n" not in str(ei.value) and "pydantic" not in str(ei.value)


def test_values_are_normalised():
    c = RunConfig(population=np.int64(300), steps=np.int32(5), seed=np.random.SeedSequence(4), ledger=True,
                  levers={"code": False})
    assert (type(c.population), c.population, c.steps, c.seed, c.ledger) == (int, 300, 5, 4, 1.0)
    assert c.engine_params.levers == Levers(code=False) and c.params == EngineParams()
    with pytest.raises(ValueError):  # frozen
        c.steps = 3  # type: ignore[misc]


def test_the_limits_are_defined_once():
    assert RunConfig.limits("population") == (1, limits.MAX_POPULATION)
    assert RunConfig.limits("steps") == (1, limits.MAX_STEPS)
    assert RunConfig.limits("seed") == (0, limits.MAX_SEED)
    assert RunConfig.limits("ledger") == (0.0, 1.0)
    assert tuple(Levers.model_fields) == limits.LEVER_NAMES
    defaults = RunConfig()
    assert (defaults.population, defaults.steps, defaults.seed) == (
        limits.DEFAULT_POPULATION, limits.DEFAULT_STEPS, limits.DEFAULT_SEED)
    from scslab.cli import run_cmds
    from scslab.engine import run, validate
    from scslab.metrics.claims import LEVERS

    assert run_cmds.MAX_STEPS is run.MAX_STEPS is validate.MAX_STEPS is limits.MAX_STEPS
    assert run_cmds.LEVERS is LEVERS is limits.LEVER_NAMES
    # the field docs carry the ranges (the API reference shows them)
    assert "1..36,500" in RunConfig.model_fields["steps"].description


def test_a_simulation_from_a_config_and_keywords_over_it():
    config = RunConfig(population=300, steps=4, seed=2)
    sim = Simulation("rongcheng", config, steps=3)
    assert (sim.config.population, sim.config.steps, sim.config.seed) == (300, 3, 2)
    sim.run()
    r = sim.result()
    assert r.manifest["steps"] == 3 and r.manifest["population"] == 300
    with pytest.raises(ParameterError, match="config must be a RunConfig"):
        Simulation("rongcheng", {"steps": 3})  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="populaton is not a run parameter.*did you mean 'population'"):
        Simulation("rongcheng", populaton=300)


def test_population_and_a_given_society_must_agree():
    from scslab.society import SocietySpec

    spec = SocietySpec(n=250)
    sim = Simulation("rongcheng", society=spec, steps=2)  # population left out: the society's
    assert sim.config.population == 250 and sim.population == 250
    with pytest.raises(ParameterError, match="population is 1,000 but the society given has 250 citizens"):
        Simulation("rongcheng", society=spec, population=1_000, steps=2)


def test_simulation_and_run_config_are_top_level_names():
    import scslab
    from scslab.engine import Simulation as EngineSimulation

    assert scslab.Simulation is EngineSimulation is Simulation and scslab.RunConfig is RunConfig
    assert {"Simulation", "RunConfig"} <= set(scslab.__all__)
