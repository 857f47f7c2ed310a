"""Property tests of a run's arguments, with ranges read from RunConfig (not repeated here).

Whatever RunConfig accepts, `simulate` runs; whatever it refuses, `simulate` refuses with the
same one-line ParameterError before any work; the society's spec agrees on the population.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scslab.engine import ParameterError, RunConfig, simulate
from scslab.society.spec import MAX_N

WHOLE = ("population", "steps", "seed")


def _bounds(name: str) -> tuple[int, int]:
    lo, hi = RunConfig.limits(name)
    assert lo is not None and hi is not None, name
    return int(lo), int(hi)


def test_every_whole_field_has_bounds_and_the_society_agrees():
    for name in WHOLE:
        lo, hi = _bounds(name)
        assert lo < hi
    assert _bounds("population")[1] == MAX_N


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(WHOLE), st.data())
def test_inside_accepted_outside_refused_naming_the_field(name, data):
    lo, hi = _bounds(name)
    inside = data.draw(st.integers(lo, hi))
    assert getattr(RunConfig(**{name: inside}), name) == inside
    outside = data.draw(st.integers(hi + 1, hi + 10**12) | st.integers(lo - 10**12, lo - 1))
    with pytest.raises(ParameterError) as e:
        RunConfig(**{name: outside})
    assert e.value.param == name and f"{lo:,}" in str(e.value) and "\n" not in str(e.value)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(WHOLE), st.one_of(st.floats(allow_nan=True), st.text(max_size=4), st.booleans(),
                                         st.none(), st.lists(st.integers(), max_size=2)))
def test_not_a_whole_number_refused(name, value):
    with pytest.raises(ParameterError) as e:
        RunConfig(**{name: value})
    assert e.value.param == name


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(*_bounds("population")).map(lambda n: 20 + n % 200),
       st.integers(*_bounds("steps")).map(lambda t: 1 + t % 5),
       st.integers(*_bounds("seed")),
       st.one_of(st.booleans(), st.floats(0, 1)))
def test_simulate_runs_what_the_config_accepts(population, steps, seed, ledger):
    config = RunConfig(population=population, steps=steps, seed=seed, ledger=ledger)
    r = simulate("rongcheng", population=config.population, steps=config.steps, seed=config.seed,
                 ledger=config.ledger)
    assert r.steps.shape[0] == steps and r.manifest["seed"] == seed and r.manifest["population"] == population


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(WHOLE), st.data())
def test_simulate_refuses_what_the_config_refuses(name, data):
    lo, hi = _bounds(name)
    bad = data.draw(st.sampled_from([lo - 1, hi + 1]))
    with pytest.raises(ParameterError) as e:
        simulate("rongcheng", **{name: bad})
    assert e.value.param == name
