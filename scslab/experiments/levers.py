"""Claim C11: which of Lessig's four levers does the regulating.

One pilot is run with each of the 16 on/off combinations of law, market, norms and code,
over the same seeds (the same society and random streams for every combination of a seed).
Per seed, the Shapley value of each lever splits the harm reduction between all levers off
and all on; shares and their differences are then summarised over seeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product

from ..metrics.claims import LEVERS, c11
from ..metrics.stats import Interval, t_interval
from .runner import RunOutcome, RunSpec

COMBINATIONS: tuple[tuple[bool, bool, bool, bool], ...] = tuple(product((False, True), repeat=4))


def label(combo: Sequence[bool]) -> str:
    on = [k for k, v in zip(LEVERS, combo, strict=True) if v]
    return "+".join(on) or "none"


def lever_specs(pilot: str, seeds: Sequence[int], population: int, steps: int,
                params: dict | None = None, warmup: int = 0) -> list[RunSpec]:
    """The 16 x len(seeds) runs of one pilot (seed-major, combinations in a fixed order)."""
    return [RunSpec(pilot, s, population, steps, levers=combo, role="levers", params=params, warmup=warmup)
            for s in seeds for combo in COMBINATIONS]


def harm_table(outcomes: Sequence[RunOutcome]) -> dict[int, dict[frozenset[str], float]]:
    """seed -> {levers on -> harm per 1,000 citizens per day}."""
    out: dict[int, dict[frozenset[str], float]] = {}
    for o in outcomes:
        on = frozenset(k for k, v in zip(LEVERS, o.spec.levers, strict=True) if v)
        out.setdefault(o.spec.seed, {})[on] = o.metrics["harm_per_1000"]
    return out


def summarise(outcomes: Sequence[RunOutcome], confidence: float = 0.95) -> dict:
    """Per-seed Shapley decompositions and their intervals over seeds."""
    table = harm_table(outcomes)
    per_seed = {s: c11(h) for s, h in sorted(table.items()) if len(h) == len(COMBINATIONS)}
    keys = next(iter(per_seed.values())).keys() if per_seed else ()
    summary: dict[str, Interval] = {k: t_interval([v[k] for v in per_seed.values()], confidence) for k in keys}
    harm = {label(c): t_interval([table[s][frozenset(k for k, v in zip(LEVERS, c, strict=True) if v)]
                                  for s in sorted(table)], confidence) for c in COMBINATIONS}
    return {"per_seed": per_seed, "summary": summary, "harm": harm}
