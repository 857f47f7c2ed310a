"""Sweeps: how each claim's verdict moves over the plausible range of the numbers behind it.

    from scslab.experiments.sweep import Factor, SweepConfig, run_sweep
    cfg = SweepConfig("guilt-by-association", factors=(Factor.parse("network.association_penalty=0.1..5"),),
                      design="lhs", samples=16, seeds=2, population=5_000, steps=365)
    res = run_sweep(cfg, "sweeps/gba")            # resumable: finished runs are not redone
    res.robustness["C5"]                          # {"nominal": "supported", "share": 0.87, ...}

A design point sets each factor (a parameter path, `scslab.rulebook.paths`) to a value;
every point runs on `seeds` seeds, with the paired counterfactual runs its claims need
(the same point with one mechanism switched off), so each claim's verdict is read at each
point exactly as `compare` reads it. Point 0 is always the rulebook's own values (the
nominal point): a verdict's robustness is the share of the box's points where it is the
same as there. Designs: a grid, a Latin hypercube, Saltelli's scheme for Sobol indices,
Morris trajectories (SALib for the last two).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..metrics.claims import MIN_EVENTS, NOT_TESTED
from ..metrics.mechanisms import inventory
from ..metrics.registry import CLAIMS, RUN_CLAIMS
from ..metrics.stats import t_interval
from ..rulebook.paths import ParamPathError, get_value, parse_assignment, set_values
from .compare import (
    counterfactuals,
    evidence_of,
    judge,
    paired_differences,
    strict_json,
    tested_key,
)
from .runner import RunOutcome, RunSpec, run_all

DESIGNS = ("grid", "lhs", "sobol", "morris")
# Fewer points than this and a one-factor split that "explains" a flip is likely chance.
FLIP_MIN_POINTS = 8
FORMAT = "scslab-sweep/1"


@dataclass(frozen=True)
class Factor:
    """One swept parameter: a continuous range [low, high] or a list of levels."""

    path: str
    low: float | None = None
    high: float | None = None
    values: tuple | None = None

    @classmethod
    def parse(cls, text: str) -> Factor:
        path, rng, vals = parse_assignment(text)
        return cls(path, rng[0], rng[1], None) if rng else cls(path, None, None, tuple(vals))

    @property
    def discrete(self) -> bool:
        return self.values is not None

    def at(self, u: float):
        """The factor's value at u in [0, 1] (continuous: linear; discrete: one of the levels)."""
        if self.discrete:
            return self.values[min(int(u * len(self.values)), len(self.values) - 1)]
        return float(self.low + u * (self.high - self.low))

    def describe(self) -> str:
        if self.discrete:
            return f"{self.path} in {{{', '.join(str(v) for v in self.values)}}}"
        return f"{self.path} in [{self.low:g}, {self.high:g}]"


@dataclass(frozen=True)
class SweepConfig:
    pilot: str
    factors: tuple[Factor, ...] = ()  # empty: the rulebook's plausible box (and the engine's)
    design: str = "lhs"
    samples: int = 16  # grid: levels per factor; lhs: points; sobol: base samples N; morris: trajectories
    seeds: int = 2
    first_seed: int = 1
    population: int = 5_000
    steps: int = 365
    confidence: float = 0.95
    params: dict | None = None  # engine parameter overrides for every run
    design_seed: int = 0
    engine_box: bool = True  # with no factors: also sweep the engine's illustrative weights
    warmup: int = 0  # a warm start: days run before the `steps` measured ones (RunSpec.warmup)
    min_events: int = MIN_EVENTS  # as CompareConfig.min_events, at every point

    def __post_init__(self):
        if self.design not in DESIGNS:
            raise ValueError(f"design must be one of {', '.join(DESIGNS)}, got {self.design!r}")
        if self.samples < 1 or self.seeds < 1 or self.population < 1 or self.steps < 1:
            raise ValueError("samples, seeds, population and steps must be positive")
        if self.warmup < 0 or self.warmup + self.steps > 36_500:
            raise ValueError(f"a warm start of {self.warmup} days before {self.steps} measured ones: the warm start "
                             "must be 0 or more and the run at most 36,500 days")
        if self.design in ("sobol", "morris") and any(f.discrete for f in self.factors):
            raise ValueError(f"the {self.design} design needs continuous ranges (LOW..HIGH), not lists of values")

    @property
    def seed_list(self) -> list[int]:
        return list(range(self.first_seed, self.first_seed + self.seeds))


def plausible_box(rb, include_engine: bool = True) -> tuple[Factor, ...]:
    """The rulebook's plausible ranges (and, by default, the engine's illustrative weights)."""
    from ..engine.params import ENGINE_PLAUSIBLE

    out = {r.path: Factor(r.path, r.low, r.high) for r in rb.plausible}
    if include_engine:
        for path, (lo, hi, _) in ENGINE_PLAUSIBLE.items():
            out.setdefault(path, Factor(path, lo, hi))
    return tuple(out.values())


def _problem(factors: Sequence[Factor]) -> dict:
    return {"num_vars": len(factors), "names": [f.path for f in factors],
            "bounds": [[f.low, f.high] if f.high > f.low else [f.low, f.low + 1e-12] for f in factors]}


def design_points(cfg: SweepConfig, factors: Sequence[Factor]) -> np.ndarray:
    """The design's points as an array (points x factors) of values (object dtype for levels)."""
    k = len(factors)
    if k == 0:
        return np.empty((0, 0), dtype=object)
    if cfg.design == "grid":
        axes = [list(f.values) if f.discrete else list(np.linspace(f.low, f.high, cfg.samples)) for f in factors]
        pts = list(itertools.product(*axes))
        return np.array(pts, dtype=object)
    if cfg.design == "lhs":
        from scipy.stats import qmc

        u = qmc.LatinHypercube(d=k, seed=cfg.design_seed).random(cfg.samples)
        return np.array([[f.at(x) for f, x in zip(factors, row, strict=True)] for row in u], dtype=object)
    if cfg.design == "sobol":
        from SALib.sample import sobol

        x = sobol.sample(_problem(factors), cfg.samples, calc_second_order=False, seed=cfg.design_seed)
        return x.astype(object)
    from SALib.sample import morris

    x = morris.sample(_problem(factors), cfg.samples, num_levels=4, seed=cfg.design_seed)
    return x.astype(object)


@dataclass
class SweepPlan:
    factors: tuple[Factor, ...]
    nominal: dict  # path -> the rulebook's own value
    points: list[dict]  # point index -> {path: value}; point 0 is nominal
    inventories: list[dict]  # point index -> mechanism inventory
    specs: list[RunSpec]
    point_of: list[int]  # spec index -> point index


def plan_sweep(cfg: SweepConfig) -> SweepPlan:
    """Every run of the sweep: each point on each seed, with its paired counterfactuals."""
    from ..engine import EngineParams
    from ..pilots import resolve_rulebook

    rb = resolve_rulebook(cfg.pilot)
    params = EngineParams.model_validate(cfg.params) if cfg.params else EngineParams()
    factors = tuple(cfg.factors) or plausible_box(rb, cfg.engine_box)
    if not factors:
        raise ValueError(f"{cfg.pilot}: nothing to sweep (name --param PATH=LOW..HIGH, or give the rulebook "
                         "plausible ranges)")
    nominal = {f.path: get_value(rb, params, f.path) for f in factors}
    x = design_points(cfg, factors)
    points = [dict(nominal)] + [{f.path: _plain(v) for f, v in zip(factors, row, strict=True)} for row in x]
    invs, specs, point_of = [], [], []
    for i, pt in enumerate(points):
        try:
            rb_i, p_i = set_values(rb, params, pt)
        except ParamPathError as e:
            raise ParamPathError(e.path, f"at design point {i}: {e.detail}") from None
        inv = inventory(rb_i, p_i)
        invs.append(inv)
        over = tuple(sorted(pt.items()))
        for s in cfg.seed_list:
            specs.append(RunSpec(cfg.pilot, s, cfg.population, cfg.steps, role="sweep", params=cfg.params,
                                 overrides=over, warmup=cfg.warmup))
            point_of.append(i)
        for mech in counterfactuals(inv):
            for s in cfg.seed_list:
                specs.append(RunSpec(cfg.pilot, s, cfg.population, cfg.steps, role="counterfactual",
                                     params=cfg.params, overrides=over, off=(mech,), warmup=cfg.warmup))
                point_of.append(i)
    return SweepPlan(factors, nominal, points, invs, specs, point_of)


def _plain(v):
    if isinstance(v, np.generic):
        return v.item()
    return v


def spec_key(spec: RunSpec) -> str:
    """A stable key of one run (what resuming matches finished runs by)."""
    d = asdict(spec)
    return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:24]


@dataclass
class SweepResult:
    config: SweepConfig
    factors: tuple[Factor, ...]
    nominal: dict
    points: list[dict]
    tested: list[dict]  # point -> claim -> Interval
    verdicts: list[dict]  # point -> claim -> verdict
    reasons: list[dict]  # point -> claim -> reason (not tested)
    robustness: dict  # claim -> summary over the box
    sensitivity: dict  # claim -> {"method": ..., per factor indices}
    runs: int = 0
    path: Path | None = None
    extra: dict = field(default_factory=dict)
    evidence: list[dict] = field(default_factory=list)  # point -> claim -> Evidence (claims counted in events)


# --- running, resumably -----------------------------------------------------------------

def journal_runs(path: str | Path) -> dict[str, dict]:
    """The finished runs a sweep folder's journal (runs.jsonl) holds, by key: what a rerun
    reuses. A torn last line is ignored; no file, no runs."""
    path = Path(path)
    done: dict[str, dict] = {}
    if path.exists():
        with path.open("r", encoding="utf-8") as fh:
            for line in fh:
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue  # the line a kill tore
                if isinstance(rec, dict) and isinstance(rec.get("key"), str):
                    done[rec["key"]] = rec
    return done


class _Journal:
    """Finished runs, one JSON line each, appended and flushed as they finish, so that an
    interrupted sweep restarts where it stopped. A torn last line is ignored."""

    def __init__(self, path: Path):
        self.path = path
        self.done: dict[str, dict] = journal_runs(path)
        self._fh = path.open("a", encoding="utf-8")

    def add(self, key: str, outcome: RunOutcome) -> None:
        rec = {"key": key, "metrics": {k: (v if np.isfinite(v) else None) for k, v in outcome.metrics.items()},
               "seconds": round(outcome.seconds, 3)}
        self._fh.write(json.dumps(rec, sort_keys=True) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self.done[key] = rec

    def close(self) -> None:
        self._fh.close()


def _config_json(cfg: SweepConfig, plan: SweepPlan) -> dict:
    # min_events reads the runs and changes none of them: a folder resumes under another.
    config = {k: v for k, v in asdict(cfg).items() if k != "min_events"}
    return {"format": FORMAT, "config": {**config, "factors": [asdict(f) for f in plan.factors]},
            "points": plan.points, "runs": len(plan.specs)}


def run_sweep(cfg: SweepConfig, out: str | Path | None = None, executor=None, workers: int = 2,
              progress: Callable[[int, int], None] | None = None) -> SweepResult:
    """Run (or resume) a sweep; with `out`, write the sweep folder (see docs/sweeps.md)."""
    from ..store import atomic_write_json

    plan = plan_sweep(cfg)
    keys = [spec_key(s) for s in plan.specs]
    journal = None
    if out is not None:
        out = Path(out)
        if out.exists() and not out.is_dir():
            raise FileExistsError(f"{out} is a file, not a sweep folder; choose another --out")
        if out.is_dir() and not (out / "sweep.json").exists() and any(out.iterdir()):
            raise FileExistsError(f"{out} holds files a sweep did not write; choose a new or empty folder")
        out.mkdir(parents=True, exist_ok=True)
        meta = _config_json(cfg, plan)
        cfg_path = out / "sweep.json"
        if cfg_path.exists():
            try:
                old = json.loads(cfg_path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                old = None
            if old != json.loads(json.dumps(meta, default=str)):
                raise FileExistsError(f"{out} holds a different sweep (sweep.json differs); choose another folder")
        else:
            atomic_write_json(cfg_path, json.loads(json.dumps(meta, default=str)))
        journal = _Journal(out / "runs.jsonl")
    done = dict(journal.done) if journal else {}
    todo = [i for i, k in enumerate(keys) if k not in done]
    n_done = len(plan.specs) - len(todo)
    if progress:
        progress(n_done, len(plan.specs))
    metrics: dict[str, dict] = {k: {m: (float("nan") if v is None else v) for m, v in r["metrics"].items()}
                                for k, r in done.items()}

    def on_done(j: int, o: RunOutcome) -> None:
        nonlocal n_done
        k = keys[todo[j]]
        metrics[k] = o.metrics
        if journal:
            journal.add(k, o)
        n_done += 1
        if progress:
            progress(n_done, len(plan.specs))

    try:
        if todo:
            run_all([plan.specs[i] for i in todo], workers=workers, on_done=on_done, executor=executor)
    finally:
        if journal:
            journal.close()
    res = analyse(cfg, plan, [metrics[k] for k in keys])
    if out is not None:
        res.path = out
        write_sweep(res, plan, [metrics[k] for k in keys], out)
    return res


def box_robustness(pilots: Sequence[str], samples: int = 6, seeds: int = 2, population: int = 2_000,
                   steps: int = 365, params: dict | None = None, executor=None, workers: int = 2,
                   progress: Callable[[int, int], None] | None = None,
                   warm_start: dict[str, int] | None = None,
                   populations: dict[str, int] | None = None) -> dict[str, SweepResult]:
    """A small Latin-hypercube sweep of each pilot's plausible box (and the engine's), all
    runs in one pool: how each verdict fares over the box, for a comparison's report.
    `warm_start`: days before the measured ones, per pilot; `populations`: a pilot's own size."""
    plans = {}
    for pilot in pilots:
        cfg = SweepConfig(pilot, (), design="lhs", samples=samples, seeds=seeds,
                          population=(populations or {}).get(pilot, population),
                          steps=steps, params=params, warmup=(warm_start or {}).get(pilot, 0))
        plans[pilot] = (cfg, plan_sweep(cfg))
    specs = [s for _, pl in plans.values() for s in pl.specs]
    done = [0]

    def tick(i, o):
        done[0] += 1
        if progress:
            progress(done[0], len(specs))

    outs = run_all(specs, workers=workers, on_done=tick, executor=executor)
    res, i = {}, 0
    for pilot, (cfg, pl) in plans.items():
        n = len(pl.specs)
        res[pilot] = analyse(cfg, pl, [o.metrics for o in outs[i:i + n]])
        i += n
    return res


def robustness_note(entry: dict) -> str:
    """One line for a report cell: the verdicts over the box and where the nominal one flips."""
    counts = entry.get("counts") or {}
    if not counts:
        return ""
    parts = ", ".join(f"{v} {n}" for v, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    flip = (entry.get("flip") or {}).get("text")
    return f"over the plausible box ({entry.get('points', 0)} points): {parts}" + (f"; {flip}" if flip else "")


# --- analysis -------------------------------------------------------------------------

def analyse(cfg: SweepConfig, plan: SweepPlan, run_metrics: Sequence[dict]) -> SweepResult:
    """Verdicts at every point, their robustness over the box, and each factor's influence."""
    per_point: list[dict] = [{"on": [], "off": {}} for _ in plan.points]
    for spec, p, m in zip(plan.specs, plan.point_of, run_metrics, strict=True):
        if spec.role == "counterfactual":
            per_point[p]["off"].setdefault(spec.off[0], []).append((spec.seed, m))
        else:
            per_point[p]["on"].append((spec.seed, m))
    tested, verdicts, reasons = [], [], []
    evidence: list[dict] = []
    for p, d in enumerate(per_point):
        values = _by_seed(d["on"])
        off = {mech: _by_seed(v) for mech, v in d["off"].items()}
        paired_differences(values, None, off)
        summary = {k: t_interval(v, cfg.confidence) for k, v in values.items()}
        ev = evidence_of(values)
        t, v, r = judge(summary, plan.inventories[p], evidence=ev, min_events=cfg.min_events,
                        confidence=cfg.confidence)
        evidence.append(ev)
        tested.append(t)
        verdicts.append(v)
        reasons.append(r)
    res = SweepResult(cfg, plan.factors, plan.nominal, plan.points, tested, verdicts, reasons,
                      robustness=robustness(plan, verdicts, reasons),
                      sensitivity=sensitivity(cfg, plan, tested), runs=len(plan.specs), evidence=evidence)
    return res


def _by_seed(rows) -> dict[str, list[float]]:
    rows = sorted(rows, key=lambda r: r[0])
    keys = list(dict.fromkeys(k for _, m in rows for k in m))
    return {k: [float(m.get(k, float("nan"))) for _, m in rows] for k in keys}


def robustness(plan: SweepPlan, verdicts: list[dict], reasons: list[dict]) -> dict:
    """Per claim: the nominal verdict, the share of the box's points that give it, the
    verdicts' counts, and the single split of one factor that best separates the points
    that keep the nominal verdict from those that do not."""
    out = {}
    box = list(range(1, len(plan.points)))
    for cid in RUN_CLAIMS:
        nominal = verdicts[0].get(cid)
        vs = [verdicts[p].get(cid) for p in box]
        counts: dict[str, int] = {}
        for v in vs:
            counts[v] = counts.get(v, 0) + 1
        same = np.array([v == nominal for v in vs], bool)
        entry = {"nominal": nominal, "share": float(same.mean()) if same.size else float("nan"),
                 "counts": counts, "points": len(vs)}
        if nominal == NOT_TESTED:
            entry["reason"] = reasons[0].get(cid, "")
        if same.size >= FLIP_MIN_POINTS and not same.all() and same.any():
            entry["flip"] = _best_split(plan, box, same)
        out[cid] = entry
    return out


def _best_split(plan: SweepPlan, box: list[int], same: np.ndarray) -> dict | None:
    """The one-factor threshold that best predicts where the nominal verdict holds (a stump)."""
    best = None
    base = max(same.mean(), 1 - same.mean())
    for f in plan.factors:
        x = np.array([plan.points[p][f.path] for p in box], dtype=float)
        for t in np.unique(x):
            for side in ("<", ">="):
                pred = (x < t) if side == "<" else (x >= t)
                acc = float(((~pred) == same).mean())  # inside the region the verdict flips
                if best is None or acc > best["accuracy"] + 1e-12:
                    best = {"path": f.path, "side": side, "threshold": float(t), "accuracy": acc}
    if best is None or best["accuracy"] <= base + 1e-9:
        return None
    best["text"] = f"flips when {best['path']} {best['side']} {best['threshold']:.3g}"
    return best


def sensitivity(cfg: SweepConfig, plan: SweepPlan, tested: list[dict]) -> dict:
    """Each claim's tested quantity against each factor: Sobol first and total-order indices
    (Sobol design), Morris mu* and sigma (Morris design), or rank correlations (other designs)."""
    out = {}
    box = list(range(1, len(plan.points)))
    x = np.array([[plan.points[p][f.path] for f in plan.factors] for p in box], dtype=float)
    for cid in RUN_CLAIMS:
        y = np.array([tested[p][cid].mean if cid in tested[p] else np.nan for p in box], dtype=float)
        finite = np.isfinite(y)
        entry: dict = {"undefined_points": int((~finite).sum())}
        if finite.sum() < 3 or np.nanstd(y) == 0:
            entry["method"] = "none"
            entry["why"] = "fewer than 3 points gave a value" if finite.sum() < 3 else "the quantity did not vary"
            out[cid] = entry
            continue
        if cfg.design == "sobol" and finite.all():
            from SALib.analyze import sobol

            si = sobol.analyze(_problem(plan.factors), y, calc_second_order=False, seed=cfg.design_seed)
            entry.update(method="sobol", S1=_floats(si["S1"]), S1_conf=_floats(si["S1_conf"]),
                         ST=_floats(si["ST"]), ST_conf=_floats(si["ST_conf"]))
        elif cfg.design == "morris" and finite.all():
            from SALib.analyze import morris

            si = morris.analyze(_problem(plan.factors), x, y, num_levels=4, seed=cfg.design_seed)
            entry.update(method="morris", mu_star=_floats(si["mu_star"]), sigma=_floats(si["sigma"]),
                         mu_star_conf=_floats(si["mu_star_conf"]))
        else:
            from scipy.stats import spearmanr

            rho = []
            for j in range(x.shape[1]):
                xj = x[finite, j]
                rho.append(float(spearmanr(xj, y[finite]).statistic) if np.ptp(xj) > 0 else float("nan"))
            entry.update(method="spearman", rho=rho)
            if cfg.design == "sobol":
                entry["why"] = "Sobol indices need a value at every point; rank correlations instead"
        out[cid] = entry
    return out


def _floats(a) -> list[float]:
    return [float(v) for v in np.asarray(a, dtype=float)]


# --- writing --------------------------------------------------------------------------

def write_sweep(res: SweepResult, plan: SweepPlan, run_metrics: Sequence[dict], out: Path) -> None:
    """runs.parquet (one row per run), points.parquet (one row per point and claim),
    analysis.json and report.html, each written atomically; same inputs, same bytes."""
    import pandas as pd

    from ..store import atomic_write_json, atomic_write_parquet, atomic_write_text

    rows = []
    for i, (spec, p, m) in enumerate(zip(plan.specs, plan.point_of, run_metrics, strict=True)):
        row = {"run": i, "point": p, "seed": spec.seed, "role": spec.role, "off": ",".join(spec.off)}
        row.update({f"param:{k}": float(v) for k, v in plan.points[p].items()})
        row.update({k: float(v) if v is not None else float("nan") for k, v in sorted(m.items())})
        rows.append(row)
    atomic_write_parquet(out / "runs.parquet", pd.DataFrame(rows))
    prow = []
    for p, pt in enumerate(plan.points):
        for cid in RUN_CLAIMS:
            iv = res.tested[p].get(cid)
            r = {"point": p, "nominal": p == 0, "claim": cid, "verdict": res.verdicts[p].get(cid),
                 "reason": res.reasons[p].get(cid, ""), "key": tested_key(CLAIMS[cid]),
                 "mean": iv.mean if iv else float("nan"), "lo": iv.lo if iv else float("nan"),
                 "hi": iv.hi if iv else float("nan"), "n": iv.n if iv else 0}
            ev = res.evidence[p].get(cid) if p < len(res.evidence) else None
            r.update({"events": ev.events if ev else -1, "of": ev.of if ev else -1})  # -1: not counted in events
            r.update({f"param:{k}": float(v) for k, v in pt.items()})
            prow.append(r)
    atomic_write_parquet(out / "points.parquet", pd.DataFrame(prow))
    atomic_write_json(out / "analysis.json", strict_json({"robustness": res.robustness, "sensitivity": res.sensitivity,
                                                      "factors": [asdict(f) for f in res.factors],
                                                      "nominal": res.nominal}))
    from ..report.sweep_report import render_sweep

    atomic_write_text(out / "report.html", render_sweep(res))


__all__ = ["DESIGNS", "Factor", "SweepConfig", "SweepResult", "analyse", "box_robustness", "design_points",
           "plan_sweep", "plausible_box", "robustness_note", "run_sweep"]
