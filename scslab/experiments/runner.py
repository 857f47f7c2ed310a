"""Many independent runs on both cores, each keyed by its own seed.

A run is described by a `RunSpec` and executed by `execute` in a worker process; the
worker returns a compact `RunOutcome` (metrics, per-step series, and for the first seed of
a pilot the data the report draws), never the full tables. Outcomes are put back in the
order of the specs, so results do not depend on how many workers ran them or which
finished first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

LEDGER_CITIZENS = 20_000  # ledger kept for all citizens up to this size, for a sample above
DETAIL_POINTS = 2_000  # citizens kept for the score-vs-virtue plot
NEIGHBOURHOOD_NODES = 80


@dataclass(frozen=True)
class RunSpec:
    """One run of a comparison or a sweep: pilot, seed, size, levers, role, mechanisms
    switched off and parameter overrides. Everything a worker needs to run it."""

    pilot: str  # bundled pilot name or rulebook path
    seed: int
    population: int
    steps: int
    levers: tuple[bool, bool, bool, bool] | None = None  # (law, market, norms, code); None = all on
    role: str = "pilot"  # "pilot", "reference" or "levers"
    detail: bool = False  # keep what the report draws (first seed of each pilot)
    params: dict | None = None  # EngineParams overrides (JSON-able)
    # Mechanisms switched off (scslab.metrics.mechanisms): a paired counterfactual of `pilot`.
    off: tuple[str, ...] = ()
    # Parameter paths set before the run ((path, value), ...; scslab.rulebook.paths): a sweep's point.
    overrides: tuple[tuple[str, float | bool], ...] = ()
    # A warm start: days run before the `steps` measured ones (engine.measure_from; the run
    # lasts warmup + steps days and every metric reads the last `steps`).
    warmup: int = 0


@dataclass
class RunOutcome:
    """What one run of a plan gives back: its metrics, per-step series, manifest and, for
    the first seed of a pilot, the detail the report draws."""

    spec: RunSpec
    metrics: dict[str, float]
    series: dict[str, np.ndarray]
    manifest: dict
    detail: dict | None = None
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)


def series_of(result, ctx) -> dict[str, np.ndarray]:
    """Per-step aggregates over municipalities, as the report's trajectories."""
    s = result.steps.groupby("step").sum(numeric_only=True).sort_index()
    n = s["population"].to_numpy(np.float64)
    mean = s["score_sum"].to_numpy() / n
    rng = ctx.scale_range if np.isfinite(ctx.scale_range) and ctx.scale_range > 0 else np.nan
    return {
        "step": s.index.to_numpy(),
        "mean_score": mean,
        "mean_score_scaled": (mean - ctx.base) / rng * 100.0 if np.isfinite(rng) else np.full(mean.shape, np.nan),
        "share_listed": s["listed_black"].to_numpy() / n,
        "harm_per_1000": s["harm"].to_numpy() / n * 1000.0,
        "trust": s["trust_sum"].to_numpy() / n,
        "sectors_per_listed": np.divide(s["sector_restrictions"].to_numpy(), s["listed_black"].to_numpy(),
                                        out=np.full(len(s), np.nan), where=s["listed_black"].to_numpy() > 0),
    }


def detail_of(result, ctx, seed: int) -> dict:
    """What the report draws from one run: scores, score vs virtue, sectors per offence, a neighbourhood."""
    from ..metrics import network, punishments

    c = result.citizens
    rng = np.random.default_rng(seed)
    n = len(c)
    pick = np.sort(rng.choice(n, size=min(n, DETAIL_POINTS), replace=False))
    out = {
        "score": c["score"].to_numpy(np.float32),
        "sample_score": c["score"].to_numpy(np.float32)[pick],
        "sample_virtue": c["virtue"].to_numpy(np.float32)[pick],
        "sample_listed": (c["blacklisted"].to_numpy(bool))[pick],
        "scale": (ctx.scale_min, ctx.scale_max, ctx.base),
        "new_sectors": np.empty(0, np.int32),
        "unrelated_sectors": np.empty(0, np.int32),
        "graph": None,
    }
    if result.events is not None:
        deg = dict(zip(c["citizen"].to_numpy(), c["degree_initial"].to_numpy(), strict=True))
        rel = ctx.related
        per = punishments.offence_punishments(result.events, int(result.manifest["steps"]), ctx.blacklists,
                                              ctx.association_penalty > 0, lambda i: deg.get(i, 0) > 0,
                                              related=(lambda b: rel.get(b, frozenset())) if rel else None)
        out["new_sectors"] = per["new_sectors"].to_numpy(np.int32)
        out["unrelated_sectors"] = per["unrelated_sectors"].to_numpy(np.int32)
    if result.ties is not None and len(result.ties):
        src, dst = result.ties["src"].to_numpy(), result.ties["dst"].to_numpy()
        # Centre on someone blacklisted (the interesting case) if anyone is, else a typical citizen.
        listed = np.flatnonzero(c["blacklisted"].to_numpy(bool) & (c["degree_final"].to_numpy() > 0))
        centre = int(c["citizen"].iloc[listed[0]]) if listed.size else int(c["citizen"].iloc[int(np.argmax(c["degree_final"].to_numpy() > 0))])
        nodes = network.neighbourhood(src, dst, centre, radius=2, max_nodes=NEIGHBOURHOOD_NODES)
        keep = np.isin(src, nodes) & np.isin(dst, nodes)
        row = {int(g): i for i, g in enumerate(c["citizen"].to_numpy())}
        idx = np.array([row[int(v)] for v in nodes])
        out["graph"] = {
            "nodes": nodes, "centre": centre,
            "src": src[keep], "dst": dst[keep],
            "grade": c["grade"].to_numpy()[idx].astype(str),
            "listed": c["blacklisted"].to_numpy(bool)[idx],
            # grades from lowest to highest, as the grades table lists them
            "grade_order": list(dict.fromkeys(result.grades.loc[result.grades["step"] == 0, "grade"].astype(str))),
        }
    return out


@lru_cache(maxsize=32)
def _rulebook(pilot: str, mtime: float):
    """A worker parses each rulebook once (mtime keys a file that changed in between)."""
    from ..pilots import resolve_rulebook

    return resolve_rulebook(pilot)


def load_rulebook_cached(pilot: str):
    p = Path(pilot)
    return _rulebook(pilot, p.stat().st_mtime if p.is_file() else 0.0)


def execute(spec: RunSpec) -> RunOutcome:
    """Run one spec and reduce it to what the comparison needs (runs in a worker)."""
    import time

    from ..engine import EngineParams, Levers, simulate
    from ..metrics import context_from_rulebook, run_metrics
    from ..metrics.claims import LEVERS
    t0 = time.perf_counter()
    rb = load_rulebook_cached(spec.pilot)
    params = EngineParams.model_validate(spec.params) if spec.params else None
    levers = Levers(**dict(zip(LEVERS, spec.levers, strict=True))) if spec.levers is not None else None
    if spec.overrides:
        from ..rulebook.paths import set_values

        rb, params = set_values(rb, params, dict(spec.overrides))
    if spec.off:
        from ..metrics.mechanisms import switch_off

        rb, params = switch_off(rb, params, spec.off)
        if levers is None:
            levers = params.levers
    if spec.warmup:
        from ..metrics.window import measured

        params = (params or EngineParams()).model_copy(update={"measure_from": int(spec.warmup)})
    full = spec.role != "levers"
    ledger = (1.0 if spec.population <= LEDGER_CITIZENS else LEDGER_CITIZENS / spec.population) if full else False
    r = simulate(rb, population=spec.population, steps=spec.warmup + spec.steps, seed=spec.seed, params=params,
                 levers=levers, ledger=ledger, save_ties=spec.detail)
    if spec.warmup:
        r = measured(r)  # the daily tables cut to the measured days, numbered from 0
    ctx = context_from_rulebook(rb, tuple(r.manifest.get("groups") or ()) or None)
    if full:
        metrics = run_metrics(r, ctx)
    else:
        from ..metrics import harm_per_1000

        metrics = {"harm_per_1000": harm_per_1000(r)}
    return RunOutcome(
        spec=spec, metrics=metrics, series=series_of(r, ctx) if full else {},
        manifest={k: r.manifest.get(k) for k in ("rulebook", "rulebook_hash", "seed", "population", "steps",
                                                 "levers", "params", "versions", "scslab_version", "measure_from")}
                 | {"timing": getattr(r, "timing", None)},
        detail=detail_of(r, ctx, spec.seed) if spec.detail else None,
        seconds=time.perf_counter() - t0,
        extra={"title": rb.metadata.title, "groups_by_coverage": ctx.groups_by_coverage},
    )


def run_all(specs: Sequence[RunSpec], workers: int = 2,
            on_done: Callable[[int, RunOutcome], None] | None = None,
            executor: Executor | None = None) -> list[RunOutcome]:
    """Execute every spec and return the outcomes in the order of `specs`.

    `executor` is any `concurrent.futures.Executor` (see `executors.make_executor`; it is
    left running for the caller to reuse); without one, a local pool of `workers`
    processes is made for these specs (workers <= 1: this process).
    """
    from .executors import make_executor, terminate

    out: list[RunOutcome | None] = [None] * len(specs)
    own = executor is None
    # Workers of a pool made here leave Ctrl-C to this process, which stops them at once.
    ex = make_executor("local", workers if len(specs) > 1 else 1, parent_stops=True) if own else executor
    try:
        futs = {ex.submit(execute, s): i for i, s in enumerate(specs)}
        for f in as_completed(futs):
            i = futs[f]
            out[i] = f.result()
            if on_done:
                on_done(i, out[i])
    except KeyboardInterrupt:
        if own:
            own = False
            terminate(ex)
        raise
    finally:
        if own:
            ex.shutdown(cancel_futures=True)
    return out  # type: ignore[return-value]
