"""The engine: shard state, the nine phases of a step, the run loop.

    from scslab.engine import RunConfig, Simulation, simulate
    result = simulate("rongcheng", population=10_000, steps=365, seed=1)
    result.steps, result.citizens, result.manifest

    sim = Simulation("rongcheng", RunConfig(population=2_000, steps=30, seed=1))
    rows = sim.step()                 # one day: its rows of the steps table
    view = sim.public_view()          # every citizen's score, grade and list flags now
    sim.run()                         # the other days
    result = sim.result()             # the same tables as simulate, byte for byte

`EngineParams`, `Levers` and `RunConfig` load with pydantic alone; the run loop (numpy,
numba) loads when `Simulation`, `simulate`, `run_nation`, `resume` or `RunResult` is first
used, so that reading a rulebook (whose plausible ranges may name engine weights) does not pay for loading numba.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .params import EngineParams, Levers

if TYPE_CHECKING:
    from .config import ParameterError, RunConfig, seed_from
    from .result import RunResult
    from .run import resume, run_nation, simulate
    from .simulation import PublicView, Simulation, Ties

_LAZY = {"RunResult": ".result", "resume": ".run", "run_nation": ".run", "simulate": ".run",
         "RunConfig": ".config", "ParameterError": ".config", "seed_from": ".config",
         "Simulation": ".simulation", "PublicView": ".simulation", "Ties": ".simulation"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'scslab.engine' has no attribute {name!r}")


__all__ = ["EngineParams", "Levers", "ParameterError", "PublicView", "RunConfig", "RunResult", "Simulation", "Ties",
           "resume", "run_nation", "seed_from", "simulate"]
