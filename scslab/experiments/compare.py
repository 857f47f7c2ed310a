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

from ..metrics.claims import (
    MIN_EVENTS,
    NA,
    NOT_TESTED,
    TOO_FEW,
    Evidence,
    c4_licence_did,
    too_few_events,
    verdict,
)
from ..metrics.mechanisms import MECHANISMS, Presence, inventory
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
    """What to compare: pilots (bundled names or rulebook files), society size, days, seeds,
    whether to add the references, which pilots to decompose by lever (C11), the confidence,
    the minimum of pooled events for a verdict to stand, worker processes and engine
    parameter overrides."""

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
    # Warm starts, ((pilot, days), ...): the pilot runs `days` before its `steps` measured days
    # (every run of it: seeds, switched-off twins, levers); see `warm_start_days`.
    warm_start: tuple[tuple[str, int], ...] = ()
    # Fewer pooled events than this under a claim counted in events, and a supported or not
    # supported reads "too few events" (scslab.metrics.claims.too_few_events; 0: off).
    min_events: int = MIN_EVENTS

    def __post_init__(self):
        if not self.pilots:
            raise ValueError("name at least one pilot")
        if self.seeds < 1 or self.population < 1 or self.steps < 1:
            raise ValueError("seeds, population and steps must be positive")
        if not 0.5 <= self.confidence < 1.0:
            raise ValueError("confidence must be in [0.5, 1)")
        if not isinstance(self.min_events, int) or isinstance(self.min_events, bool) or self.min_events < 0:
            raise ValueError(f"min_events must be a whole number >= 0 (0: no minimum), got {self.min_events!r}")
        if self.params and self.params.get("measure_from"):
            raise ValueError("engine.measure_from is not set for a whole comparison: give a pilot a warm start "
                             "(warm_start / --warm-start PILOT=DATE)")
        seen = set()
        for pilot, days in self.warm_start:
            if pilot not in self.columns:
                raise ValueError(f"warm start for {pilot!r}: not among the pilots compared ({', '.join(self.columns)})")
            if pilot in seen:
                raise ValueError(f"warm start for {pilot!r} given twice")
            seen.add(pilot)
            if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= MAX_DAYS - self.steps:
                raise ValueError(f"warm start for {pilot!r}: {days!r} days; a warm start is a whole number of days "
                                 f"in 0..{MAX_DAYS - self.steps:,} (with {self.steps} measured days)")

    def warmup(self, column: str) -> int:
        """Days `column` runs before its measured days (0: no warm start)."""
        return dict(self.warm_start).get(column, 0)

    @property
    def seed_list(self) -> list[int]:
        """The seeds every column runs on: first_seed, first_seed + 1, ..., seeds of them."""
        return list(range(self.first_seed, self.first_seed + self.seeds))

    @property
    def columns(self) -> list[str]:
        """The report's columns: the pilots in the order given, then the references not among them."""
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
        if self.min_events != MIN_EVENTS:
            parts += ["--min-events", str(self.min_events)]
        for path, value in engine_changes(self.params):
            parts += ["--set", f"{path}={str(value).lower() if isinstance(value, bool) else value}"]
        for pilot, days in self.warm_start:
            parts += ["--warm-start", f"{pilot}={days}"]
        return " ".join(shlex.quote(p) for p in parts)


MAX_DAYS = 36_500  # the engine's longest run


def warm_start_days(pilot: str, when: str, steps: int = 365) -> int:
    """The days of a warm start given as a date ('2018-07-09': measure from that date; day 0
    is the rulebook's `calendar.start`, else its effective date) or as a number of days.

    Raises ValueError saying what is wrong (a date before the rulebook's first day, a date
    so late that the run would exceed the engine's longest, not a date or a number)."""
    import datetime as dt

    from ..pilots import resolve_rulebook

    text = str(when).strip()
    if text.lstrip("-").isdigit():
        days = int(text)
        if days < 0:
            raise ValueError(f"warm start {pilot}={text}: a negative number of days")
    else:
        try:
            date = dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"warm start {pilot}={text}: expected a date (YYYY-MM-DD) or a number of days") from None
        rb = resolve_rulebook(pilot)
        start = rb.calendar.start if rb.calendar is not None else rb.metadata.effective
        what = "calendar.start" if rb.calendar is not None else "metadata.effective: it has no calendar"
        days = (date - start).days
        if days < 0:
            raise ValueError(f"warm start {pilot}={text}: before the rulebook's first day, {start} ({what})")
    if days + steps > MAX_DAYS:
        raise ValueError(f"warm start {pilot}={text}: {days:,} days before {steps} measured ones exceed the "
                         f"engine's longest run ({MAX_DAYS:,} days)")
    return days


def engine_changes(params: dict | None) -> list[tuple[str, object]]:
    """The engine parameters that differ from the defaults, as (path, value), in a fixed order."""
    if not params:
        return []
    from ..engine import EngineParams

    default = EngineParams().model_dump(mode="json")
    out = []

    def walk(got, ref, prefix):
        for k in sorted(got):
            if isinstance(got[k], dict):
                walk(got[k], ref.get(k, {}), f"{prefix}.{k}")
            elif got[k] != ref.get(k):
                out.append((f"{prefix}.{k}", got[k]))

    walk(EngineParams.model_validate(params).model_dump(mode="json"), default, "engine")
    return out


@dataclass
class Comparison:
    """The outcome of :func:`compare`: per column (pilot or reference) every metric's values
    and interval over seeds, each claim's tested quantity, verdict and reason, the events
    each verdict rests on, the mechanism inventory, the lever decomposition, the series the
    report draws, and the manifest."""

    config: CompareConfig
    columns: list[str]
    roles: dict[str, str]  # column -> "pilot" | "reference"
    titles: dict[str, str]
    hashes: dict[str, str]
    values: dict[str, dict[str, list[float]]]  # column -> metric -> one value per seed
    summary: dict[str, dict[str, Interval]]  # column -> metric -> interval over seeds
    tested: dict[str, dict[str, Interval]]  # column -> claim -> interval of the tested quantity
    verdicts: dict[str, dict[str, str]]  # column -> claim -> verdict
    reasons: dict[str, dict[str, str]]  # column -> claim -> why "not tested" (only where it applies)
    against: dict[str, dict[str, str]]  # column -> claim -> what the tested quantity is compared against
    mechanisms: dict[str, dict[str, Presence]]  # column -> mechanism inventory of its rulebook
    levers: dict[str, dict]  # pilot -> C11 summary (see levers.summarise)
    series: dict[str, dict[str, np.ndarray]]  # column -> per-step series, mean over seeds
    detail: dict[str, dict]  # column -> report data from the first seed
    manifest: dict = field(default_factory=dict)
    command: str = ""
    # column -> claim -> the verdicts over the column's plausible box (sweep.robustness entries)
    robustness: dict[str, dict[str, dict]] = field(default_factory=dict)
    # column -> claim -> the events its tested quantity rests on, pooled over seeds (claims
    # counted in events only: C2, C3, C5, C9; see `Claim.count`)
    evidence: dict[str, dict[str, Evidence]] = field(default_factory=dict)

    def interval_verdict(self, column: str, claim: str) -> str:
        """What the tested interval alone reads (a "too few events" cell's supported or not
        supported; otherwise the verdict itself)."""
        iv = self.tested.get(column, {}).get(claim)
        v = self.verdicts.get(column, {}).get(claim, NA)
        return verdict(iv, CLAIMS[claim].test) if v == TOO_FEW and iv is not None else v

    def value(self, column: str, metric: str) -> Interval:
        """The interval over seeds of `metric` in `column` (n = 0 and NaN when it has none)."""
        return self.summary.get(column, {}).get(metric, Interval(float("nan"), float("nan"), float("nan"), 0))

    def claims_table(self) -> list[dict]:
        """One row per claim: the claim, its tested metric, interval and verdict per column."""
        rows = []
        for cid, cl in CLAIMS.items():
            row = {"id": cid, "claim": cl.short, "metric": cl.metric(cl.test.metric).label,
                   "test": cl.test.describe(), "cells": {}}
            for col in self.columns:
                row["cells"][col] = {"interval": self.tested.get(col, {}).get(cid),
                                     "verdict": self.verdicts.get(col, {}).get(cid, NA),
                                     "against": self.against.get(col, {}).get(cid, ""),
                                     "reason": self.reasons.get(col, {}).get(cid, ""),
                                     "robustness": self.robustness.get(col, {}).get(cid),
                                     "evidence": self.evidence.get(col, {}).get(cid),
                                     "interval_verdict": self.interval_verdict(col, cid),
                                     "min_events": self.config.min_events}
            rows.append(row)
        return rows

    def to_json(self) -> dict:
        """Everything as plain JSON-able data (what `claims.json` holds)."""
        def iv(x: Interval | None):
            return None if x is None else strict_json(x.as_dict())

        return {
            "config": asdict(self.config),
            "command": self.command,
            "columns": self.columns,
            "roles": self.roles,
            "titles": self.titles,
            "rulebook_hashes": self.hashes,
            "seeds": self.config.seed_list,
            "values": {c: {k: strict_json(v) for k, v in m.items()} for c, m in self.values.items()},
            "summary": {c: {k: iv(v) for k, v in m.items()} for c, m in self.summary.items()},
            "claims": [{"id": r["id"], "claim": r["claim"], "metric": r["metric"], "test": r["test"],
                        "evidence": _count_json(r["id"]),
                        "cells": {c: {"interval": iv(x["interval"]), "verdict": x["verdict"],
                                      "interval_verdict": x["interval_verdict"],
                                      "evidence": (None if x["evidence"] is None else
                                                   strict_json(x["evidence"].as_dict(self.config.confidence))),
                                      "against": x["against"], "reason": x["reason"],
                                      "robustness": strict_json(x["robustness"]),
                                      # the evidence in words, as the report and the CLI say it
                                      "evidence_note": evidence_note(x, self.config.confidence)}
                                  for c, x in r["cells"].items()}} for r in self.claims_table()],
            "mechanisms": {c: {k: {"present": v.present, "detail": v.detail} for k, v in inv.items()}
                           for c, inv in self.mechanisms.items()},
            "levers": {p: {"summary": {k: iv(v) for k, v in d["summary"].items()},
                           "harm": {k: iv(v) for k, v in d["harm"].items()}} for p, d in self.levers.items()},
            "manifest": self.manifest,
        }


def _count_json(cid: str) -> dict:
    """What a claim's verdict is counted in, for claims.json: the count keys, or why none."""
    cl = CLAIMS[cid]
    if cl.count is None:
        return {"counted": False, "why": cl.uncounted}
    k = cl.count
    return {"counted": True, "events": k.events, "of": k.of, "label": k.label, "of_label": k.of_label,
            "share": k.share}


def evidence_of(values: dict[str, list[float]]) -> dict[str, Evidence]:
    """Per claim counted in events (`Claim.count`), its events pooled over the seeds of one
    column's per-seed values (seeds whose count is not finite are left out)."""
    out: dict[str, Evidence] = {}
    for cid, cl in CLAIMS.items():
        k = cl.count
        if k is None or k.events not in values or k.of not in values:
            continue
        pairs = [(e, o) for e, o in zip(values[k.events], values[k.of], strict=True)
                 if np.isfinite(e) and np.isfinite(o)]
        out[cid] = Evidence(int(round(sum(e for e, _ in pairs))), int(round(sum(o for _, o in pairs))),
                            k.label, k.of_label, len(pairs), k.share)
    return out


def evidence_note(cell: dict, confidence: float = 0.95) -> str:
    """The events a claims-table cell's verdict rests on, pooled over seeds, in words: "on 7
    wrongful listings of 88 listings over 5 seeds (pooled 8.0% [3.9%, 15.5%])", and for a
    "too few events" cell what the interval alone reads; "" for a claim not counted in events."""
    ev = cell.get("evidence")
    if ev is None:
        return ""
    text = f"on {ev.describe()} over {ev.seeds} seed{'s' if ev.seeds != 1 else ''}"
    if ev.share and ev.of:
        p = ev.pooled(confidence)
        text += f" (pooled {p.mean:.1%} [{p.lo:.1%}, {p.hi:.1%}])"
    if cell["verdict"] == TOO_FEW:
        text += (f"; fewer than {cell.get('min_events', MIN_EVENTS)} events: the interval alone reads "
                 f"{cell.get('interval_verdict', '')}")
    return text


def strict_json(x):
    """NaN and infinities to None, numpy scalars to Python, keys to text (strict JSON)."""
    if isinstance(x, dict):
        return {str(k): strict_json(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [strict_json(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not np.isfinite(x):
        return None
    return x


def _params(config: CompareConfig):
    from ..engine import EngineParams

    return EngineParams.model_validate(config.params) if config.params else EngineParams()


def inventories(config: CompareConfig) -> dict[str, dict[str, Presence]]:
    """The mechanism inventory of every column's rulebook (under the comparison's engine params)."""
    from ..pilots import resolve_rulebook

    p = _params(config)
    return {c: inventory(resolve_rulebook(c), p) for c in config.columns}


def counterfactuals(inv: dict[str, Presence]) -> tuple[str, ...]:
    """The mechanisms to switch off, one paired run each, for a rulebook with this inventory.

    Only mechanisms the rulebook has: switching off what is absent would change nothing.
    """
    wanted = {cl.counterfactual for cl in CLAIMS.values()} | {
        m.vs_off for cl in CLAIMS.values() for m in cl.metrics}
    return tuple(k for k in MECHANISMS if k in wanted and inv[k].present)


def plan(config: CompareConfig, inv: dict[str, dict[str, Presence]] | None = None) -> list[RunSpec]:
    """Every run of a comparison, in a fixed order: pilots and references, then each one's
    paired counterfactuals (the same seeds with one mechanism switched off), then levers."""
    specs = []
    first = config.seed_list[0]
    inv = inv if inv is not None else inventories(config)
    for col in config.columns:
        role = "pilot" if col in config.pilots else "reference"
        lv = BASELINE_LEVERS if col == BASELINE else None
        for s in config.seed_list:
            specs.append(RunSpec(col, s, config.population, config.steps, levers=lv, role=role,
                                 detail=(s == first), params=config.params, warmup=config.warmup(col)))
    for col in config.columns:
        if col == BASELINE:
            continue
        for mech in counterfactuals(inv[col]):
            for s in config.seed_list:
                specs.append(RunSpec(col, s, config.population, config.steps, role="counterfactual",
                                     params=config.params, off=(mech,), warmup=config.warmup(col)))
    for p in dict.fromkeys(config.levers):
        specs += lev.lever_specs(p, config.seed_list, config.population, config.steps, config.params,
                                 warmup=config.warmup(p))
    return specs


def _mean_series(outs: Sequence[RunOutcome]) -> dict[str, np.ndarray]:
    import warnings

    keys = outs[0].series.keys()
    with warnings.catch_warnings():  # a step where no seed had anyone listed is NaN, not a warning
        warnings.simplefilter("ignore", RuntimeWarning)
        return {k: np.nanmean(np.stack([o.series[k] for o in outs]), axis=0) if k != "step" else outs[0].series[k]
                for k in keys}


def compare(config: CompareConfig, progress: Callable[[RunSpec, RunOutcome], None] | None = None,
            outcomes: Sequence[RunOutcome] | None = None,
            mechanisms: dict[str, dict[str, Presence]] | None = None) -> Comparison:
    """Run (or take already run `outcomes` of `plan(config, mechanisms)`) and summarise the comparison.

    `mechanisms` is each column's inventory (default: read from its rulebook).
    """
    t0 = time.perf_counter()
    inv = mechanisms if mechanisms is not None else inventories(config)
    specs = plan(config, inv)
    if outcomes is None:
        outcomes = run_all(specs, workers=config.workers,
                           on_done=(lambda i, o: progress(specs[i], o)) if progress else None)
    by_col: dict[str, list[RunOutcome]] = {}
    lever_runs: dict[str, list[RunOutcome]] = {}
    cf_runs: dict[tuple[str, str], list[RunOutcome]] = {}
    for o in outcomes:
        if o.spec.role == "levers":
            lever_runs.setdefault(o.spec.pilot, []).append(o)
        elif o.spec.role == "counterfactual":
            cf_runs.setdefault((o.spec.pilot, o.spec.off[0]), []).append(o)
        else:
            by_col.setdefault(o.spec.pilot, []).append(o)
    cols = config.columns
    conf = config.confidence
    values = {c: _collect(by_col[c]) for c in cols}
    base = values.get(BASELINE) if BASELINE in cols else None
    for c in cols:
        paired_differences(values[c], base, {m: _collect(r) for (col, m), r in cf_runs.items() if col == c})
    summary = {c: {k: t_interval(v, conf) for k, v in values[c].items()} for c in cols}
    lever_summary = {p: lev.summarise(runs, conf) for p, runs in lever_runs.items()}
    tested: dict[str, dict[str, Interval]] = {}
    verdicts: dict[str, dict[str, str]] = {}
    reasons: dict[str, dict[str, str]] = {}
    against = {c: {cid: _against(cl) for cid, cl in CLAIMS.items()} for c in cols}
    evidence = {c: evidence_of(values[c]) for c in cols}
    for c in cols:
        tested[c], verdicts[c], reasons[c] = judge(summary[c], inv[c], lever_summary.get(c), baseline=(c == BASELINE),
                                                   evidence=evidence[c], min_events=config.min_events,
                                                   confidence=conf)
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
        values=values, summary=summary, tested=tested, verdicts=verdicts, reasons=reasons, against=against,
        mechanisms=inv, levers=lever_summary,
        series={c: _mean_series(by_col[c]) for c in cols},
        detail={c: first[c].detail for c in cols if first[c].detail is not None},
        manifest=manifest, command=config.command(), evidence=evidence,
    )


def judge(summary: dict[str, Interval], inv: dict[str, Presence], levers: dict | None = None,
          baseline: bool = False, evidence: dict[str, Evidence] | None = None,
          min_events: int = 0, confidence: float = 0.95) -> tuple[dict[str, Interval], dict[str, str], dict[str, str]]:
    """Every claim's tested interval, verdict and (where not tested) reason, for one rulebook.

    `summary` maps metric keys (with their `_vs_off` / `_vs_none` paired differences) to
    intervals over seeds; `inv` is the rulebook's mechanism inventory; `levers` the C11
    summary if the lever decomposition ran. `evidence` gives the pooled events of the claims
    counted in events (`evidence_of`): a supported or not supported resting on fewer than
    `min_events` of them reads "too few events" (`too_few_events`, at `confidence`; 0, or
    no evidence: no minimum). Used by `compare` per column and by sweeps per design point.
    """
    tested: dict[str, Interval] = {}
    verdicts: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for cid, cl in CLAIMS.items():
        if cid == "C10" and baseline:
            verdicts[cid] = BASE
            continue
        missing = [r for r in cl.requires if not inv[r].present]
        if missing:
            verdicts[cid] = NOT_TESTED
            reasons[cid] = inv[missing[0]].detail
            continue
        t = cl.test
        if cid not in RUN_CLAIMS:
            if levers is not None and t.metric in levers["summary"]:
                iv = levers["summary"][t.metric]
            else:
                verdicts[cid] = NOT_RUN
                continue
        else:
            iv = summary.get(tested_key(cl))
        if iv is None or iv.n < 2 or not np.isfinite(iv.mean):
            verdicts[cid] = NOT_TESTED
            reasons[cid] = cl.undefined
            if iv is not None:
                tested[cid] = iv
            continue
        tested[cid] = iv
        v = verdict(iv, t)
        if too_few_events((evidence or {}).get(cid), t, v, min_events, confidence):
            v = TOO_FEW
        verdicts[cid] = v
    return tested, verdicts, reasons


def tested_key(cl) -> str:
    """The key of a claim's tested quantity among a comparison's values."""
    paired = any(m.paired and m.key == cl.test.metric for m in cl.metrics)
    return cl.test.key(paired)


def _against(cl) -> str:
    """What a claim's tested quantity is compared against, in words, for one column."""
    t = cl.test
    if t.against == "counterfactual":
        return f"the same rulebook with {MECHANISMS[cl.counterfactual].off}, paired by seed"
    if t.against == "baseline":
        return "the no-SCS baseline (none), paired by seed"
    return cl.against


def paired_differences(values: dict[str, list[float]], base: dict[str, list[float]] | None,
                        off: dict[str, dict[str, list[float]]]) -> None:
    """Add seed-paired differences to one column's values, in place: `<key>_vs_off` against the
    metric's counterfactual run, `<key>_vs_none` against the baseline, and paired quantities
    (C4's difference in differences)."""
    for cl in CLAIMS.values():
        for m in cl.metrics:
            if m.vs_baseline and base is not None and m.key in values:
                values[f"{m.key}_vs_none"] = [a - b for a, b in zip(values[m.key], base[m.key], strict=True)]
            if m.vs_off and m.vs_off in off and m.key in values and m.key in off[m.vs_off]:
                values[f"{m.key}_vs_off"] = [a - b for a, b in zip(values[m.key], off[m.vs_off][m.key], strict=True)]
    if "strategic_response" in off:
        o = off["strategic_response"]
        keys = ("licence_gap", "harm_rate_deciles")
        n = len(next(iter(values.values()), []))
        on_ = {k: values.get(k, [float("nan")] * n) for k in keys}
        off_ = {k: o.get(k, [float("nan")] * n) for k in keys}
        values["licence_did_relative"] = [c4_licence_did({k: on_[k][i] for k in keys}, {k: off_[k][i] for k in keys})
                                          for i in range(n)]


def _collect(outs: Sequence[RunOutcome]) -> dict[str, list[float]]:
    outs = sorted(outs, key=lambda o: o.spec.seed)
    keys = list(outs[0].metrics)
    return {k: [float(o.metrics.get(k, float("nan"))) for o in outs] for k in keys}
