"""Experiments over many runs: compare pilots on the claims; decompose harm by lever (C11).

Runs are independent and keyed by their own seed; they run on a pool of worker processes
and are gathered in a fixed order, so results do not depend on the number of workers.
"""

from .compare import BASELINE, REFERENCES, CompareConfig, Comparison, compare, plan
from .runner import RunOutcome, RunSpec, execute, run_all

__all__ = ["BASELINE", "REFERENCES", "CompareConfig", "Comparison", "RunOutcome", "RunSpec", "compare", "execute",
           "plan", "run_all"]
