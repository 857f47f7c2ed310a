"""The engine: shard state, the nine phases of a step, the run loop.

    from scslab.engine import simulate
    result = simulate("rongcheng", population=10_000, steps=365, seed=1)
    result.steps, result.citizens, result.manifest

`EngineParams` and `Levers` load with pydantic alone; the run loop (numpy, numba) loads
when `simulate`, `run_nation`, `resume` or `RunResult` is first used, so that reading a
rulebook (whose plausible ranges may name engine weights) does not pay for loading numba.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .params import EngineParams, Levers

if TYPE_CHECKING:
    from .result import RunResult
    from .run import resume, run_nation, simulate

_LAZY = {"RunResult": ".result", "resume": ".run", "run_nation": ".run", "simulate": ".run"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'scslab.engine' has no attribute {name!r}")


__all__ = ["EngineParams", "Levers", "RunResult", "resume", "run_nation", "simulate"]
