"""Compare pilots side by side on the claims, over seeds, against the references.

    from scslab.experiments import CompareConfig, compare
    cmp = compare(CompareConfig(pilots=("rongcheng", "sesame"), population=5_000, steps=365, seeds=5))
    cmp.verdicts["rongcheng"]["C4"], cmp.summary["sesame"]["licence_gap_relative"]

Every pilot runs on the same seeds, and a seed fixes the society, so pilot and baseline are
compared seed by seed (paired differences). Each metric is reported as its mean over seeds
with a t-interval; each claim's verdict is read from the interval of its tested quantity
(see `scslab.metrics.claims.Test` and docs/metrics.md).
"""

from __future__ import annotations

import platform
import shlex
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from ..metrics.claims import NA, verdict
from ..metrics.registry import CLAIMS, RUN_CLAIMS
from ..metrics.stats import Interval, t_interval
from . import levers as lev
from .runner import RunOutcome, RunSpec, run_all

BASELINE = "none"
REFERENCES = ("rule-of-law", "none")
BASELINE_LEVERS = (True, True, True, False)  # the no-SCS baseline: the empty rulebook with code off
NOT_RUN = "not run"
BASE = "baseline"


@dataclass(frozen=True)
class CompareConfig:
    pilots: tuple[str, ...]
    population: int = 5_000
    steps: int = 365
    seeds: int = 5
    first_seed: int = 1
    references: bool = True
    levers: tuple[str, ...] = ()  # pilots decomposed by lever for C11 (16 runs per seed each)
    confidence: float = 0.95
    workers: int = 2
    params: dict | None = None  # EngineParams overrides

    def __post_init__(self):
        if not self.pilots:
            raise ValueError("name at least one pilot")
        if self.seeds < 1 or self.population < 1 or self.steps < 1:
            raise ValueError("seeds, population and steps must be positive")
        if not 0.5 <= self.confidence < 1.0:
            raise ValueError("confidence must be in [0.5, 1)")

    @property
    def seed_list(self) -> list[int]:
        return list(range(self.first_seed, self.first_seed + self.seeds))

    @property
    def columns(self) -> list[str]:
        cols = list(dict.fromkeys(self.pilots))
        if self.references:
            cols += [r for r in REFERENCES if r not in cols]
        return cols

    def command(self) -> str:
        """The CLI command that reproduces every number of this comparison."""
        parts = ["scslab", "compare", *self.pilots, "--population", str(self.population), "--steps",
                 str(self.steps), "--seeds", str(self.seeds), "--seed", str(self.first_seed)]
        if not self.references:
            parts.append("--no-references")
        for p in self.levers:
            parts += ["--levers", p]
        if not self.levers:
            parts.append("--no-levers")
        if self.confidence != 0.95:
            parts += ["--confidence", f"{self.confidence:g}"]
        return " ".join(shlex.quote(p) for p in parts)


@dataclass
class Comparison:
    config: CompareConfig
    columns: list[str]
    roles: dict[str, str]  # column -> "pilot" | "reference"
    titles: dict[str, str]
    hashes: dict[str, str]
    values: dict[str, dict[str, list[float]]]  # column -> metric -> one value per seed
    summary: dict[str, dict[str, Interval]]  # column -> metric -> interval over seeds
    tested: dict[str, dict[str, Interval]]  # column -> claim -> interval of the tested quantity
    verdicts: dict[str, dict[str, str]]  # column -> claim -> verdict
    levers: dict[str, dict]  # pilot -> C11 summary (see levers.summarise)
    series: dict[str, dict[str, np.ndarray]]  # column -> per-step series, mean over seeds
    detail: dict[str, dict]  # column -> report data from the first seed
    manifest: dict = field(default_factory=dict)
    command: str = ""

    def value(self, column: str, metric: str) -> Interval:
        return self.summary.get(column, {}).get(metric, Interval(float("nan"), float("nan"), float("nan"), 0))

    def claims_table(self) -> list[dict]:
        """One row per claim: the claim, its tested metric, interval and verdict per column."""
        rows = []
        for cid, cl in CLAIMS.items():
            row = {"id": cid, "claim": cl.short, "metric": cl.metric(cl.test.metric).label,
                   "test": cl.test.describe(), "cells": {}}
            for col in self.columns:
                row["cells"][col] = {"interval": self.tested.get(col, {}).get(cid),
                                     "verdict": self.verdicts.get(col, {}).get(cid, NA)}
            rows.append(row)
        return rows

    def to_json(self) -> dict:
        """Everything as plain JSON-able data (what `claims.json` holds)."""
        def iv(x: Interval | None):
            return None if x is None else _clean(x.as_dict())

        return {
            "config": asdict(self.config),
            "command": self.command,
            "columns": self.columns,
            "roles": self.roles,
            "titles": self.titles,
            "rulebook_hashes": self.hashes,
            "seeds": self.config.seed_list,
            "values": {c: {k: _clean(v) for k, v in m.items()} for c, m in self.values.items()},
            "summary": {c: {k: iv(v) for k, v in m.items()} for c, m in self.summary.items()},
            "claims": [{"id": r["id"], "claim": r["claim"], "metric": r["metric"], "test": r["test"],
                        "cells": {c: {"interval": iv(x["interval"]), "verdict": x["verdict"]}
                                  for c, x in r["cells"].items()}} for r in self.claims_table()],
            "levers": {p: {"summary": {k: iv(v) for k, v in d["summary"].items()},
                           "harm": {k: iv(v) for k, v in d["harm"].items()}} for p, d in self.levers.items()},
            "manifest": self.manifest,
        }


def _clean(x):
    """NaN and infinities to None, numpy scalars to Python (strict JSON)."""
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not np.isfinite(x):
        return None
    return x


def plan(config: CompareConfig) -> list[RunSpec]:
    """Every run of a comparison, in a fixed order (pilots and references first, then levers)."""
    specs = []
    first = config.seed_list[0]
    for col in config.columns:
        role = "pilot" if col in config.pilots else "reference"
        lv = BASELINE_LEVERS if col == BASELINE else None
        for s in config.seed_list:
            specs.append(RunSpec(col, s, config.population, config.steps, levers=lv, role=role,
                                 detail=(s == first), params=config.params))
    for p in dict.fromkeys(config.levers):
        specs += lev.lever_specs(p, config.seed_list, config.population, config.steps, config.params)
    return specs


def _mean_series(outs: Sequence[RunOutcome]) -> dict[str, np.ndarray]:
    import warnings

    keys = outs[0].series.keys()
    with warnings.catch_warnings():  # a step where no seed had anyone listed is NaN, not a warning
        warnings.simplefilter("ignore", RuntimeWarning)
        return {k: np.nanmean(np.stack([o.series[k] for o in outs]), axis=0) if k != "step" else outs[0].series[k]
                for k in keys}


def compare(config: CompareConfig, progress: Callable[[RunSpec, RunOutcome], None] | None = None,
            outcomes: Sequence[RunOutcome] | None = None) -> Comparison:
    """Run (or take already run `outcomes` of `plan(config)`) and summarise the comparison."""
    t0 = time.perf_counter()
    specs = plan(config)
    if outcomes is None:
        outcomes = run_all(specs, workers=config.workers,
                           on_done=(lambda i, o: progress(specs[i], o)) if progress else None)
    by_col: dict[str, list[RunOutcome]] = {}
    lever_runs: dict[str, list[RunOutcome]] = {}
    for o in outcomes:
        if o.spec.role == "levers":
            lever_runs.setdefault(o.spec.pilot, []).append(o)
        else:
            by_col.setdefault(o.spec.pilot, []).append(o)
    cols = config.columns
    conf = config.confidence
    values = {c: _collect(by_col[c]) for c in cols}
    base = values.get(BASELINE) if BASELINE in cols else None
    # Seed-paired differences against the baseline, for metrics that are read that way.
    for c in cols:
        if base is None:
            break
        for cl in CLAIMS.values():
            for m in cl.metrics:
                if m.vs_baseline and m.key in values[c]:
                    values[c][f"{m.key}_vs_none"] = [a - b for a, b in zip(values[c][m.key], base[m.key], strict=True)]
    summary = {c: {k: t_interval(v, conf) for k, v in values[c].items()} for c in cols}
    lever_summary = {p: lev.summarise(runs, conf) for p, runs in lever_runs.items()}
    tested: dict[str, dict[str, Interval]] = {}
    verdicts: dict[str, dict[str, str]] = {}
    for c in cols:
        tested[c], verdicts[c] = {}, {}
        for cid, cl in CLAIMS.items():
            t = cl.test
            if cid not in RUN_CLAIMS:
                if c in lever_summary and t.metric in lever_summary[c]["summary"]:
                    tested[c][cid] = lever_summary[c]["summary"][t.metric]
                    verdicts[c][cid] = verdict(tested[c][cid], t)
                else:
                    verdicts[c][cid] = NOT_RUN
                continue
            if t.against == "baseline":
                if c == BASELINE:
                    verdicts[c][cid] = BASE
                    continue
                key = f"{t.metric}_vs_none"
            else:
                key = t.metric
            if key not in summary[c]:  # not measured (e.g. no baseline to compare with)
                verdicts[c][cid] = NA
                continue
            tested[c][cid] = summary[c][key]
            verdicts[c][cid] = verdict(summary[c][key], t)
    first = {c: by_col[c][0] for c in cols}
    manifest = {
        "created_by": "scslab compare",
        "scslab_version": first[cols[0]].manifest.get("scslab_version"),
        "versions": first[cols[0]].manifest.get("versions", {"python": platform.python_version()}),
        "params": first[cols[0]].manifest.get("params"),
        "runs": len(outcomes),
        "run_seconds_total": round(sum(o.seconds for o in outcomes), 2),
        "wall_seconds": round(time.perf_counter() - t0, 2),
        "groups_by_coverage": {c: list(first[c].extra.get("groups_by_coverage", ())) for c in cols},
    }
    return Comparison(
        config=config, columns=cols,
        roles={c: ("pilot" if c in config.pilots else "reference") for c in cols},
        titles={c: first[c].extra.get("title", c) for c in cols},
        hashes={c: first[c].manifest["rulebook_hash"] for c in cols},
        values=values, summary=summary, tested=tested, verdicts=verdicts, levers=lever_summary,
        series={c: _mean_series(by_col[c]) for c in cols},
        detail={c: first[c].detail for c in cols if first[c].detail is not None},
        manifest=manifest, command=config.command(),
    )


def _collect(outs: Sequence[RunOutcome]) -> dict[str, list[float]]:
    outs = sorted(outs, key=lambda o: o.spec.seed)
    keys = list(outs[0].metrics)
    return {k: [float(o.metrics.get(k, float("nan"))) for o in outs] for k in keys}
