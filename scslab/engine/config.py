"""`RunConfig`: the model's run parameters, their ranges and their meaning, in one place.

    from scslab.engine import RunConfig, Simulation
    config = RunConfig(population=2_000, steps=90, seed=1, ledger=0.1)
    sim = Simulation("rongcheng", config)

`simulate`, `run_nation` and `Simulation` validate their keyword arguments with it (a
`ParameterError` naming the parameter and its range, e.g. "steps must be in 1..36,500,
got 0"); the CLI's `run`, `nation`, `compare` and `sweep` take their limits from
`scslab.limits`, which these fields use. Where a run's output goes (`out`, `overwrite`,
`checkpoint_every`, `progress`) is not part of the model and not part of RunConfig: those
are keyword arguments of `Simulation`, `simulate` and `run_nation`. The rulebooks, the
national layer and the society (a `SocietySpec`, its overrides or a built `Society`) are
arguments of their own too.

This module loads with pydantic alone (numpy only when a seed is a SeedSequence or a
Generator).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from numbers import Integral, Real
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from ..limits import (
    DEFAULT_POPULATION,
    DEFAULT_SEED,
    DEFAULT_STEPS,
    LEVER_NAMES,
    MAX_POPULATION,
    MAX_SEED,
    MAX_STEPS,
    SAVE_TIES_UP_TO,
)
from .params import EngineParams, Levers


class ParameterError(ValueError):
    """An argument of a run is out of range; `param` names it (for the CLI's flag)."""

    def __init__(self, param: str, message: str):
        super().__init__(f"{param} {message}")
        self.param = param
        self.detail = message


def seed_from(seed: Any) -> Any:
    """The int seed of a run given an int, a `numpy.random.SeedSequence` or a `Generator`.

    - an int (Python or numpy) is the seed itself;
    - a SeedSequence made from one int in 0..2**63-1 and not spawned is that int (so
      `SeedSequence(7)` names the same run as `seed=7`); any other SeedSequence (a spawned
      child, one made from several words or from fresh entropy) gives the first 63 bits of
      its `generate_state(1, uint64)`, so `SeedSequence(7).spawn(10)` names ten runs;
    - a Generator gives `rng.integers(0, 2**63 - 1, endpoint=True)`: the same Generator
      state gives the same run, and the Generator moves on (as any draw moves it).

    The manifest records the int, so the run can be repeated with `seed=<int>`. Anything
    else is returned as it is, for the range check to refuse with a message.
    """
    kind = type(seed).__name__
    if kind not in ("SeedSequence", "Generator"):
        return seed
    import numpy as np

    if isinstance(seed, np.random.SeedSequence):
        entropy = seed.entropy
        if isinstance(entropy, int) and not seed.spawn_key and 0 <= entropy <= MAX_SEED:
            return int(entropy)
        return int(seed.generate_state(1, np.uint64)[0] >> np.uint64(1))
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, MAX_SEED, endpoint=True))
    return seed


def _whole(lo: int, hi: int, also: str = ""):
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, Integral):
            raise ValueError(f"must be a whole number in {lo:,}..{hi:,}{also}, got {value!r}")
        if not lo <= int(value) <= hi:
            raise ValueError(f"must be in {lo:,}..{hi:,}, got {int(value):,}")
        return int(value)  # numpy ints become Python ints (the society spec is strict)

    return check


def _seed(value: Any) -> int:
    return _whole(0, MAX_SEED, " (or a numpy SeedSequence or Generator)")(seed_from(value))


def _ledger(value: Any) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if not isinstance(value, Real) or not math.isfinite(float(value)) or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"must be True, False or a fraction in 0..1, got {value!r}")
    return float(value)


def _levers(value: Any) -> Levers | None:
    if value is None or isinstance(value, Levers):
        return value
    if not isinstance(value, Mapping):
        raise ValueError(f"must be a Levers or a mapping of {', '.join(LEVER_NAMES)} to True/False, "
                         f"got {type(value).__name__}")
    for k, v in value.items():
        if k not in LEVER_NAMES:
            guess = difflib.get_close_matches(str(k), LEVER_NAMES, n=1)
            hint = f"; did you mean '{guess[0]}'?" if guess else ""
            raise ValueError(f"has no lever {k!r} (levers: {', '.join(LEVER_NAMES)}){hint}")
        if not isinstance(v, bool):
            raise ValueError(f"[{k!r}] must be True or False, got {v!r}")
    return Levers(**value)


def _params(value: Any) -> EngineParams:
    if value is None:
        return EngineParams()
    if not isinstance(value, EngineParams):
        raise ValueError(f"must be an EngineParams (EngineParams(**values)), got {type(value).__name__}")
    return value


def _save_ties(value: Any) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise ValueError(f"must be True, False or None, got {value!r}")
    return value


class RunConfig(BaseModel):
    """The model's parameters of one run: how many citizens, how many days, the seed, the
    behavioural parameters and levers, and what the run keeps (ledger, ties).

    Made with out-of-range values it raises `ParameterError` (a ValueError) naming the first
    bad parameter and its range. Frozen: `config.model_copy(update={...})` for a variant.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    population: Annotated[int, BeforeValidator(_whole(1, MAX_POPULATION)), Field(ge=1, le=MAX_POPULATION)] = Field(
        DEFAULT_POPULATION, description=f"citizens in the synthetic society, 1..{MAX_POPULATION:,} (a society "
                                        "given to the run sets it)")
    steps: Annotated[int, BeforeValidator(_whole(1, MAX_STEPS)), Field(ge=1, le=MAX_STEPS)] = Field(
        DEFAULT_STEPS, description=f"days to simulate, 1..{MAX_STEPS:,}")
    seed: Annotated[int, BeforeValidator(_seed), Field(ge=0, le=MAX_SEED)] = Field(
        DEFAULT_SEED, description="the run's seed, 0..2**63-1 (or a numpy SeedSequence or Generator, turned into "
                                  "an int by seed_from): the same inputs and seed give the same tables, byte for byte")
    params: Annotated[EngineParams, BeforeValidator(_params)] = Field(
        default_factory=EngineParams, description="behavioural and institutional parameters (docs/model.md)")
    levers: Annotated[Levers | None, BeforeValidator(_levers)] = Field(
        None, description=f"the four regulators ({', '.join(LEVER_NAMES)}) on or off, as a Levers or a mapping; "
                          "replaces params.levers when given")
    ledger: Annotated[float, BeforeValidator(_ledger), Field(ge=0.0, le=1.0)] = Field(
        0.0, description="share of citizens whose every event is kept in the events table, 0..1 (True is 1, "
                         "False 0)")
    save_ties: Annotated[bool | None, BeforeValidator(_save_ties)] = Field(
        None, description=f"keep the final tie list (the ties table); None: for runs of up to "
                          f"{SAVE_TIES_UP_TO:,} citizens")

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as e:
            raise parameter_error(e) from None

    @property
    def engine_params(self) -> EngineParams:
        """`params` with `levers` applied (what the engine runs with)."""
        if self.levers is None:
            return self.params
        return self.params.model_copy(update={"levers": self.levers})

    @classmethod
    def limits(cls, name: str) -> tuple[float | None, float | None]:
        """(lowest, highest) allowed value of a field (None: no bound)."""
        lo = hi = None
        for m in cls.model_fields[name].metadata:
            lo = getattr(m, "ge", lo) if getattr(m, "ge", None) is not None else lo
            hi = getattr(m, "le", hi) if getattr(m, "le", None) is not None else hi
        return lo, hi


def parameter_error(e: ValidationError) -> ParameterError:
    """The first error of a RunConfig's validation as one line naming the parameter."""
    err = e.errors(include_url=False)[0]
    name = str(err["loc"][0]) if err["loc"] else "config"
    if err["type"] == "extra_forbidden":
        known = tuple(RunConfig.model_fields)
        guess = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean '{guess[0]}'?" if guess else ""
        return ParameterError(name, f"is not a run parameter (they are: {', '.join(known)}){hint}")
    return ParameterError(name, str(err["msg"]).removeprefix("Value error, "))
