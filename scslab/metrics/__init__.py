"""Claim metrics: what the runs say about each critic's claim (C1..C11).

    from scslab.metrics import CLAIMS, run_metrics
    values = run_metrics(result)          # every per-run metric of C1..C10
    CLAIMS["C4"].test                     # how the verdict is read across seeds
"""

from .claims import (
           LEVERS,
           Claim,
           Metric,
           Test,
           c11,
           harm_per_1000,
           lever_key,
           verdict,
)
from .context import RunContext, context_from_rulebook, context_of
from .registry import CLAIMS, run_metrics
from .stats import Interval, t_interval
from .window import measured

__all__ = ["CLAIMS", "LEVERS", "Claim", "Interval", "Metric", "RunContext", "Test", "c11", "context_from_rulebook",
           "context_of", "harm_per_1000", "lever_key", "measured", "run_metrics", "t_interval", "verdict"]
