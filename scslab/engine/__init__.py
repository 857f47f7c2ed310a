"""The engine: shard state, the nine phases of a step, the run loop.

    from scslab.engine import simulate
    result = simulate("rongcheng", population=10_000, steps=365, seed=1)
    result.steps, result.citizens, result.manifest
"""

from .params import EngineParams, Levers
from .result import RunResult
from .run import resume, run_nation, simulate

__all__ = ["EngineParams", "Levers", "RunResult", "resume", "run_nation", "simulate"]
