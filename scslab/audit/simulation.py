"""Run a rulebook on a modest synthetic society and attach what it measured to the findings.

    >>> from scslab.audit import audit_file
    >>> from scslab.audit.simulation import simulate_report
    >>> report = audit_file("tests/data/harsh.yaml")
    >>> run = simulate_report(report, population=2_000, steps=60)  # doctest: +SKIP
    >>> report.findings[0].evidence  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .evidence import attach_evidence

# Large enough that listings happen under most pilots, small enough for a CI job.
DEFAULT_POPULATION = 20_000
DEFAULT_STEPS = 365
DEFAULT_SEED = 0
# The ledger (for listing durations, per-behaviour and per-list figures) follows a fixed
# fifth of the citizens: enough for medians, a fifth of the memory of a full ledger.
LEDGER_FRACTION = 0.2
MIN_POPULATION = 100


@dataclass(frozen=True)
class SimulationSettings:
    population: int = DEFAULT_POPULATION
    steps: int = DEFAULT_STEPS
    seed: int = DEFAULT_SEED
    ledger: float = LEDGER_FRACTION

    def problem(self) -> str | None:
        """Why these settings cannot run, in the CLI's words, or None."""
        from ..engine.memory import memory_problem
        from ..limits import MAX_STEPS

        if self.population < MIN_POPULATION:
            return f"--population must be at least {MIN_POPULATION}, not {self.population}"
        if not 1 <= self.steps <= MAX_STEPS:
            return f"--steps must be in 1..{MAX_STEPS}, not {self.steps}"
        if self.seed < 0:
            return f"--seed must be 0 or more, not {self.seed}"
        return memory_problem(self.population, 12.0, 4, self.ledger)

    def describe(self) -> str:
        return f"{self.population:,} citizens x {self.steps:,} days, seed {self.seed}"


def run_for_audit(rulebook, settings: SimulationSettings = SimulationSettings(),
                  progress: Callable[[int, int], None] | None = None):
    """Simulate the audited rulebook with the event ledger the evidence needs."""
    from ..engine import simulate

    return simulate(rulebook, population=settings.population, steps=settings.steps, seed=settings.seed,
                    ledger=settings.ledger, save_ties=False, progress=progress)


def simulate_report(report, population: int = DEFAULT_POPULATION, steps: int = DEFAULT_STEPS,
                    seed: int = DEFAULT_SEED, progress: Callable[[int, int], None] | None = None):
    """Run the report's rulebook and attach evidence to its findings (in place); returns the run."""
    settings = SimulationSettings(population, steps, seed)
    why = settings.problem()
    if why:
        raise ValueError(why)
    result = run_for_audit(report.rulebook, settings, progress)
    attach_evidence(report.findings, result, report.rulebook)
    return result
