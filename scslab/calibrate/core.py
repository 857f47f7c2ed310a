"""Simulation-based calibration of a pilot to dated public figures.

Method (docs/calibration.md says why):

1. **Search.** The loss is the weighted mean of squared log-ratios, model over target, of
   the per-capita figures, each scaled by the figure's relative error; the model's figure
   is the mean over a fixed set of seeds. The seeds are the same at every point (common
   random numbers: the engine keys its draws by seed, day and phase), so the loss is a
   smooth-ish function of the parameters rather than a noisy one. Optuna's CMA-ES sampler
   (or TPE) searches the box, on a log scale for ranges over a decade, starting from the
   rulebook's own values, in batches that run in parallel on the executor.
2. **Polish.** From the best point, Gauss-Newton iterations: each parameter is nudged in
   turn (finite differences on the same seeds), which gives the Jacobian of every target's
   log figure, and the step that minimises the linearised loss is taken (or half, or a
   quarter of it) if it lowers the loss; it stops when no step does.
3. **Uncertainty: a bootstrap over seeds.** At the final point, on more seeds, the
   figures and the Jacobian again; the seeds are resampled with replacement and each
   target redrawn within its relative error, and each replicate is refitted on the
   linearised model, giving the spread of the fitted parameters (centred on the point
   reported), and of every target's model figure and of the model's series over time
   (seed noise and parameter uncertainty together).

Held-out targets (`holdout`) are left out of the loss and reported with their error.

Rare figures. A figure the runs count as a person or two (the court list's first months at
20,000 citizens) is noise, not signal: its log-ratio jumps with every person. So (a) each
figure's misfit is scaled by its stated error and the runs' own sampling error at its count
(`mc_noise`: a count of c people is off by about 1/sqrt(c)), fixed from the target's value, not
from the model's, so that the fit cannot lower the loss by making a figure rarer; and (b) with
`min_count`, a figure expected below that many people over the seeds is counted on a run of
more citizens that stops at its date (`population_tiers`).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..rulebook.paths import ENGINE, ParamPathError, get_value, parse_assignment, set_values, split
from .targets import FitParam, Target, TargetsFile

SERIES_EVERY = 7  # days between points of the series kept for the plots


@dataclass(frozen=True)
class Param:
    path: str
    low: float
    high: float
    log: bool
    start: float | None = None  # where the search starts (None: the rulebook's value)

    @classmethod
    def parse(cls, text: str) -> Param:
        """'PATH=LOW..HIGH' (log scale when LOW > 0 and HIGH >= 10 LOW)."""
        path, rng, vals = parse_assignment(text)
        if rng is None:
            raise ParamPathError(path, "calibration needs a range PATH=LOW..HIGH")
        return cls.make(path, rng[0], rng[1])

    @classmethod
    def make(cls, path: str, low: float, high: float, log: bool | None = None) -> Param:
        split(path)
        if split(path)[0] == ENGINE:
            raise ParamPathError(path, "engine weights cannot be written into a calibrated rulebook; "
                                       "calibrate rulebook numbers (fix engine weights with --set elsewhere)")
        if not low < high:
            raise ParamPathError(path, f"range {low:g}..{high:g} has no width")
        if log is None:
            log = low > 0 and high >= 10 * low
        if log and low <= 0:
            raise ParamPathError(path, "a log-scale range must be positive")
        return cls(path, float(low), float(high), bool(log))

    def value(self, u: float) -> float:
        u = min(1.0, max(0.0, float(u)))
        if self.log:  # clamped: exp(log(high)) can land a rounding error above high
            v = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            v = self.low + u * (self.high - self.low)
        return float(min(self.high, max(self.low, v)))

    def unit(self, v: float) -> float:
        v = min(self.high, max(self.low, float(v)))
        if self.log:
            return (math.log(v) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (v - self.low) / (self.high - self.low)

    def describe(self) -> str:
        return f"{self.path} in [{self.low:g}, {self.high:g}]{' (log)' if self.log else ''}"


@dataclass(frozen=True)
class Screen:
    """A global first look before a local search: a scrambled Sobol design of `points` over the
    box of `params` (paths; empty: every parameter the search frees), the others at their start,
    each point run on `seeds` seeds (the first of the fitting seeds) and scored on the figures
    the search fits; the search starts from the best point (or the start, if that is better).
    With `shape`, a point's score leaves out each measure's level (the weighted mean of its
    figures' log-ratios), so that a parameter not screened which scales a whole measure (a rate)
    does not decide which shape wins; the Gauss-Newton polish then fits the level. `trials`:
    CMA-ES points after the screen, before Gauss-Newton (0: straight to Gauss-Newton)."""
    params: tuple[str, ...] = ()
    points: int = 32
    seeds: int = 1
    shape: bool = False
    trials: int = 0

    @classmethod
    def from_file(cls, sc, stage_params: Sequence[str]) -> Screen:
        return cls(tuple(sc.params or stage_params), sc.points, sc.seeds, sc.shape, sc.trials)


def stages_from_file(tf: TargetsFile, screens: bool = True, points: int | None = None) -> tuple:
    """The targets file's `stages:` as CalibrationConfig.stages ((params, measures, screen), ...);
    without `screens`, no screen; `points` overrides each screen's number of points."""
    import dataclasses

    out = []
    for st in tf.stages:
        sc = Screen.from_file(st.screen, st.params) if (screens and st.screen is not None) else None
        if sc is not None and points is not None:
            sc = dataclasses.replace(sc, points=points)
        out.append((tuple(st.params), tuple(st.measures), sc))
    return tuple(out)


def params_from_file(fit: Sequence[FitParam]) -> list[Param]:
    """The targets file's `fit:` list as parameters (with their `start:` priors)."""
    import dataclasses

    return [dataclasses.replace(Param.make(p.path, p.low, p.high, p.log), start=p.start) for p in fit]


@dataclass
class CalibrationConfig:
    pilot: str  # bundled pilot name or rulebook path
    targets: TargetsFile
    params: list[Param]
    holdout: tuple[str, ...] = ()
    population: int = 20_000
    seeds: int = 2  # seeds averaged at every search point
    trials: int = 18  # search points
    uq_seeds: int = 4  # seeds at the final point (bootstrap, intervals)
    method: str = "cmaes"  # or "tpe"
    first_seed: int = 1
    bootstrap: int = 400
    step: float = 0.05  # finite-difference step, as a share of each parameter's (log) range
    polish: int = 4  # Gauss-Newton iterations after the search (each k + 1 to k + 3 points)
    targets_name: str = "targets"  # how the report and the calibrated rulebook name the file
    # Figures too rare to count at `population` (the courts' first months: 1 or 2 people in
    # 20,000) are run on more citizens, over only the days they need: each target whose
    # expected count over the seeds (its per-capita value x population x seeds) is below
    # `min_count` gets a population `population x 2^j` (the smallest that reaches it, at most
    # `max_population`), run up to the last date among the targets of that population.
    # 0: every target on `population`.
    min_count: float = 0.0
    max_population: int = 160_000
    # The loss divides each figure's log-ratio by its relative error and, with `mc_noise`, by the
    # model's own sampling error at the target (a count of c people has a relative error of about
    # 1/sqrt(c)): a figure the runs count as two people does not outweigh one they count as 500.
    mc_noise: bool = True
    # Gauss-Newton iterations of the last, joint polish of every parameter after the stages
    # (None: `polish`).
    joint_polish: int | None = None
    # Fit in stages: ((parameter paths, measures[, Screen]), ...): each stage searches and polishes
    # its parameters on the fitted figures of its measures, the others held; then every parameter
    # is polished on every figure. Empty: one search of everything (the targets file's `stages:`).
    # A stage's Screen (or None) looks over its box globally first (see Screen).
    stages: tuple[tuple, ...] = ()
    # The screen of the one search when there are no stages (None: none).
    screen: Screen | None = None

    def stage_plan(self, targets, fitted_idx: list[int]) -> list[tuple[list[int], list[int]]]:
        """The stages as (indices of their parameters, indices of their fitted targets)."""
        where = {p.path: i for i, p in enumerate(self.params)}
        out = []
        for paths, measures, *_ in self.stages:
            idx = [j for j in fitted_idx if measure_key(targets[j]) in measures or targets[j].measure in measures]
            out.append(([where[p] for p in paths], idx))
        return out

    def check(self, rb) -> None:
        names = {t.name for t in self.targets.targets}
        for h in self.holdout:
            if h not in names:
                raise ValueError(f"--holdout {h}: no such target (targets: {', '.join(sorted(names))})")
        if not self.params:
            raise ValueError("nothing to fit: give --params PATH=LOW..HIGH or a `fit:` list in the targets file")
        if len({p.path for p in self.params}) != len(self.params):
            raise ValueError("a parameter is named twice")
        if not [t for t in self.targets.targets if t.name not in self.holdout and t.weight > 0]:
            raise ValueError("every target is held out: nothing to fit to")
        if self.method not in ("cmaes", "tpe"):
            raise ValueError(f"method must be cmaes or tpe, got {self.method!r}")
        if not 1 <= self.seeds <= 64 or not 2 <= self.uq_seeds <= 256:
            raise ValueError("seeds must be in 1..64 and uncertainty seeds in 2..256")
        if not 1 <= self.trials <= 10_000:
            raise ValueError("trials must be in 1..10,000")
        if not 100 <= self.population <= 10_000_000:
            raise ValueError("population must be in 100..10,000,000")
        if not 0 <= self.min_count <= 1e6:
            raise ValueError(f"min_count must be in 0..1,000,000, got {self.min_count:g}")
        if not self.population <= self.max_population <= 10_000_000:
            raise ValueError(f"max_population must be in {self.population:,}..10,000,000 (at least the population), "
                             f"got {self.max_population:,}")
        if self.joint_polish is not None and not 0 <= self.joint_polish <= 20:
            raise ValueError(f"joint_polish must be in 0..20, got {self.joint_polish}")
        for p in self.params:
            v = get_value(rb, None, p.path)  # raises ParamPathError for a bad path
            if isinstance(v, bool) or v is None:
                raise ParamPathError(p.path, "is a switch or unset, not a number to fit")
        paths = {p.path for p in self.params}
        measures = {t.measure for t in self.targets.targets} | {measure_key(t) for t in self.targets.targets}
        fitted = [t for t in self.targets.targets if t.name not in self.holdout and t.weight > 0]
        screens = [(f"stage {n}: ", st[0], st[2]) for n, st in enumerate(self.stages, 1) if len(st) > 2 and st[2]]
        if self.screen is not None and not self.stages:
            screens.append(("", tuple(paths), self.screen))
        for where_, ps, sc in screens:
            if not 4 <= sc.points <= 1024 or not 1 <= sc.seeds <= 16 or not 0 <= sc.trials <= 10_000:
                raise ValueError(f"{where_}screen: points must be in 4..1024, seeds in 1..16, trials in 0..10,000")
            for q in sc.params:
                if q not in ps:
                    raise ValueError(f"{where_}screen: {q} is not among the parameters it searches")
        for n, (ps, ms, *_) in enumerate(self.stages, 1):
            if not ps or not ms:
                raise ValueError(f"stage {n}: name its parameters and the measures of its figures")
            for q in ps:
                if q not in paths:
                    raise ValueError(f"stage {n}: {q} is not among the parameters fitted")
            for m in ms:
                if m not in measures:
                    raise ValueError(f"stage {n}: no target measures {m!r}")
            if not [t for t in fitted if t.measure in ms or measure_key(t) in ms]:
                raise ValueError(f"stage {n}: every figure of its measures is held out: nothing to fit to")
        start = calendar_start(rb)
        cols = set(_step_columns())
        grades = set(rb_grade_names(rb))
        for t in self.targets.targets:
            if t.measure == "grades":
                bad = [g for g in t.grades or () if g not in grades]
                if bad:
                    raise ValueError(f"target {t.name}: no grade {bad[0]!r} in {rb.metadata.name} "
                                     f"(grades: {', '.join(sorted(grades))})")
            elif t.measure not in cols:
                raise ValueError(f"target {t.name}: no steps column {t.measure!r} (docs/tables.md)")
            if day_of(start, t.date) < 0:
                raise ValueError(f"target {t.name}: {t.date} is before the run's first day {start}")


def rb_grade_names(rb) -> list[str]:
    return [g.name for g in rb.grades]


def _step_columns() -> list[str]:
    from ..engine.purchases import COLUMNS

    base = ["population", "acts_harm", "acts_good", "harm", "records", "false_records", "offences", "points_lost",
            "points_gained", "entries_black", "entries_wrongful", "entries_lawful", "entries_red", "renewals",
            "listed_black", "listed_black_wrongful", "listed_red", "sanctioned", "sector_restrictions",
            "sanction_cost", "privilege_benefit", "appeals_lodged", "appeals_decided", "appeals_won",
            "exits_expired", "exits_performed", "exits_repaired", "exits_appeal", "disclosed", "cheated"]
    return base + list(COLUMNS)


def calendar_start(rb) -> dt.date:
    """The date of step 0: the rulebook's calendar, else its effective date."""
    return rb.calendar.start if rb.calendar is not None else rb.metadata.effective


def day_of(start: dt.date, date: dt.date) -> int:
    return (date - start).days


def horizon(cfg: CalibrationConfig, start: dt.date) -> int:
    return max(day_of(start, t.date) for t in cfg.targets.targets) + 1


def population_tiers(cfg: CalibrationConfig, start: dt.date, steps: int, seeds: int
                     ) -> tuple[list[tuple[int, int]], list[int]]:
    """The runs each point needs per seed, as (population, days), and each target's run.

    Tier 0 is `cfg.population` over every day (it also gives the series). A target whose
    expected count over `seeds` seeds is below `cfg.min_count` is counted on a run of
    `population x 2^j` citizens (the smallest reaching it, capped at `max_population`), which
    lasts until the last date among the targets it serves."""
    tf = cfg.targets
    pop_of = []
    for t in tf.targets:
        count = tf.per_capita(t) * cfg.population * seeds
        p = cfg.population
        if cfg.min_count > 0 and count < cfg.min_count:
            while p * 2 <= cfg.max_population and count * p / cfg.population < cfg.min_count:
                p *= 2
        pop_of.append(p)
    days = [min(day_of(start, t.date) + 1, steps) for t in tf.targets]
    groups = {p: max(d for d, q in zip(days, pop_of, strict=True) if q == p) for p in set(pop_of)}
    groups[cfg.population] = steps
    # Merge two runs into one (the larger population, the later day) while that is cheaper,
    # reckoning a run's cost as citizens x (days + SOCIETY_DAYS): the society is built once.
    while len(groups) > 2:
        extra = sorted(p for p in groups if p != cfg.population)
        best = None
        for a, b in zip(extra, extra[1:], strict=False):
            saving = _run_cost(a, groups[a]) + _run_cost(b, groups[b]) - _run_cost(b, max(groups[a], groups[b]))
            if saving > 0 and (best is None or saving > best[0]):
                best = (saving, a, b)
        if best is None:
            break
        _, a, b = best
        groups[b] = max(groups[a], groups[b])
        del groups[a]
        pop_of = [b if q == a else q for q in pop_of]
    tiers = [(cfg.population, steps)] + sorted((p, d) for p, d in groups.items() if p != cfg.population)
    where = {p: i for i, (p, _) in enumerate(tiers)}
    return tiers, [where[p] for p in pop_of]


SOCIETY_DAYS = 100  # building a society costs about as much as this many days of its runs


def _run_cost(population: int, days: int) -> float:
    return population * (days + SOCIETY_DAYS)


# --- one run --------------------------------------------------------------------------

@dataclass(frozen=True)
class Task:
    rulebook: object  # a Rulebook (pickled to the worker)
    values: tuple[tuple[str, float], ...]
    seed: int
    population: int
    steps: int
    columns: tuple[str, ...]
    grade_sets: tuple[tuple[str, ...], ...]


def run_task(task: Task) -> dict:
    """One run, reduced to the daily totals of the columns the targets need (in a worker)."""
    from ..engine import simulate

    rb, _ = set_values(task.rulebook, None, dict(task.values)) if task.values else (task.rulebook, None)
    r = simulate(rb, population=task.population, steps=task.steps, seed=task.seed, save_ties=False)
    s = r.steps.groupby("step").sum(numeric_only=True).sort_index()
    out = {"population": float(s["population"].iloc[0]),
           "columns": {c: s[c].to_numpy(np.float64) for c in task.columns}}
    g = r.grades
    for gs in task.grade_sets:
        sub = g[g["grade"].isin(gs)].groupby("step")["citizens"].sum()
        out["columns"]["grades:" + "+".join(gs)] = sub.reindex(range(task.steps), fill_value=0).to_numpy(np.float64)
    return out


def measure_key(t: Target) -> str:
    return "grades:" + "+".join(t.grades or ()) if t.measure == "grades" else t.measure


def target_value(run: dict, t: Target, start: dt.date) -> float:
    """The run's per-capita figure for a target."""
    x = run["columns"][measure_key(t)]
    d = min(day_of(start, t.date), x.size - 1)
    if t.kind == "stock":
        v = x[d]
    elif t.kind == "cumulative":
        v = x[: d + 1].sum()
    else:
        f = day_of(start, t.from_)
        v = x[max(f + 1, 0): d + 1].sum()
    return float(v) / run["population"]


def series(run: dict, t: Target, start: dt.date) -> np.ndarray:
    """The per-capita series of a target's measure, every SERIES_EVERY days (as the target counts it)."""
    x = run["columns"][measure_key(t)] / run["population"]
    if t.kind == "cumulative":
        x = np.cumsum(x)
    elif t.kind == "flow":
        span = max(1, day_of(t.from_, t.date))
        c = np.concatenate([[0.0], np.cumsum(x)])
        idx = np.arange(x.size)
        x = c[idx + 1] - c[np.maximum(idx + 1 - span, 0)]  # trailing sums over the flow's span
    return x[::SERIES_EVERY]


# --- the fit --------------------------------------------------------------------------

@dataclass
class CalibrationResult:
    config: CalibrationConfig
    start: dt.date
    steps: int
    initial: dict[str, float]
    fitted: dict[str, float]
    intervals: dict[str, tuple[float, float]]  # 90% bootstrap intervals
    targets: list[dict]  # one row per target (see _target_rows)
    series: dict[str, dict]  # per series key: days, median, lo, hi, and the targets on it
    history: list[dict]  # the search: per trial, values and loss
    loss: float
    loss_initial: float
    polished: bool
    runs: int
    seconds: float
    jacobian: dict = field(default_factory=dict)
    identified: dict[str, bool] = field(default_factory=dict)  # does any fitted figure move the parameter
    rulebook_yaml: str = ""
    command: str = ""
    loss_target_errors: float | None = None  # the final loss scaled by the figures' own errors alone
    tiers: list[dict] = field(default_factory=list)  # the runs per point and seed: population, days, targets

    def summary(self) -> dict:
        fit = [t for t in self.targets if not t["held_out"]]
        held = [t for t in self.targets if t["held_out"]]
        return {
            "loss": self.loss, "loss_initial": self.loss_initial,
            "within_10pct": sum(abs(t["rel_error"]) <= 0.10 for t in fit), "fitted_targets": len(fit),
            "heldout_mean_abs_log_error": float(np.mean([abs(t["log_error"]) for t in held])) if held else None,
        }

    def to_json(self) -> dict:
        c = self.config
        return {
            "pilot": c.pilot, "targets_file": c.targets_name, "targets_name": c.targets.name,
            "population_per_run": c.population, "seeds": c.seeds, "uq_seeds": c.uq_seeds, "trials": c.trials,
            "method": c.method, "first_seed": c.first_seed, "bootstrap": c.bootstrap,
            "stages": [{"params": list(st[0]), "measures": list(st[1]),
                        **({"screen": _screen_json(st[2])} if len(st) > 2 and st[2] else {})} for st in c.stages],
            **({"screen": _screen_json(c.screen)} if c.screen is not None and not c.stages else {}),
            "adults": c.targets.population.value, "population_what": c.targets.population.what,
            "start": self.start.isoformat(), "steps": self.steps,
            "params": [{"path": p.path, "low": p.low, "high": p.high, "log": p.log, "start": p.start,
                        "initial": self.initial[p.path], "fitted": self.fitted[p.path],
                        "interval90": list(self.intervals[p.path]),
                        "identified": self.identified.get(p.path, True)} for p in c.params],
            "targets": self.targets, "history": self.history, "loss": self.loss,
            "loss_initial": self.loss_initial, "loss_target_errors": self.loss_target_errors,
            "min_count": c.min_count, "max_population": c.max_population, "mc_noise": c.mc_noise,
            "tiers": self.tiers, "polished": self.polished, "runs": self.runs,
            "seconds": round(self.seconds, 1), "summary": self.summary(), "command": self.command,
        }


def _screen_json(sc: Screen) -> dict:
    return {"params": list(sc.params), "points": sc.points, "seeds": sc.seeds, "shape": sc.shape, "trials": sc.trials}


class _Pool:
    """Runs tasks on an executor and counts them."""

    def __init__(self, executor, progress: Callable[[int], None] | None):
        self.ex = executor
        self.n = 0
        self.progress = progress

    def map(self, tasks: list[Task]) -> list[dict]:
        futs = [self.ex.submit(run_task, t) for t in tasks]
        out = []
        for f in futs:
            out.append(f.result())
            self.n += 1
            if self.progress:
                self.progress(self.n)
        return out


def _values(params: list[Param], u: np.ndarray) -> tuple[tuple[str, float], ...]:
    return tuple((p.path, p.value(x)) for p, x in zip(params, u, strict=True))


def calibrate(cfg: CalibrationConfig, executor=None, progress: Callable[[int, int], None] | None = None,
              log: Callable[[str], None] | None = None) -> CalibrationResult:
    """Fit `cfg.params` of the pilot to the targets; see the module's docstring for the method."""
    import optuna

    from ..experiments.executors import make_executor
    from ..pilots import resolve_rulebook

    t0 = time.perf_counter()
    rb = resolve_rulebook(cfg.pilot)
    cfg.check(rb)
    start = calendar_start(rb)
    steps = horizon(cfg, start)
    from ..limits import MAX_STEPS

    if steps > MAX_STEPS:
        raise ValueError(f"the last target is {steps} days after {start}; runs have at most {MAX_STEPS} days")
    tf = cfg.targets
    targets = tf.targets
    fitted_idx = [i for i, t in enumerate(targets) if t.name not in cfg.holdout and t.weight > 0]
    y = np.log(np.array([max(tf.per_capita(t), 1e-300) for t in targets]))
    s = np.array([t.relative_error for t in targets])
    w = np.array([t.weight for t in targets])
    columns = tuple(sorted({t.measure for t in targets if t.measure != "grades"}))
    grade_sets = tuple(sorted({tuple(t.grades) for t in targets if t.measure == "grades"}))
    k = len(cfg.params)
    say = log or (lambda m: None)

    budget = cfg.trials * cfg.seeds + cfg.polish * (k + 2) * cfg.seeds + (k + 1) * cfg.uq_seeds
    for paths, _, *rest in cfg.stages:  # each stage's search and polish, then the whole point twice
        sc = rest[0] if rest else None
        budget += ((sc.points * sc.seeds + sc.trials * cfg.seeds) if sc else cfg.trials * cfg.seeds) \
            + cfg.polish * (len(paths) + 2) * cfg.seeds
    if cfg.stages:
        budget += 2 * cfg.seeds - cfg.trials * cfg.seeds
    elif cfg.screen is not None:
        budget += cfg.screen.points * cfg.screen.seeds + (cfg.screen.trials - cfg.trials) * cfg.seeds
    own = executor is None
    ex = make_executor("local", 2) if own else executor
    pool = _Pool(ex, (lambda n: progress(n, budget)) if progress else None)

    tiers, tier_of = population_tiers(cfg, start, steps, cfg.seeds)
    if len(tiers) > 1:
        say("rare figures on more citizens: " + "; ".join(
            f"{p:,} citizens over {d} days for {', '.join(t.name for t, q in zip(targets, tier_of, strict=True) if q == i)}"
            for i, (p, d) in enumerate(tiers) if i))
    pop_t = np.array([tiers[q][0] for q in tier_of], float)
    # the loss's scale per figure: its own relative error and, with mc_noise, the runs' sampling
    # error at the target's count (on the fitting seeds)
    s_fit = np.sqrt(s ** 2 + 1.0 / np.maximum(np.exp(y) * pop_t * cfg.seeds, 1e-12)) if cfg.mc_noise else s
    floors = 0.5 / pop_t  # half a citizen of each target's run

    def needed(idx) -> list[int]:  # the tiers the targets `idx` need (tier 0 always: the series)
        return sorted({0} | {tier_of[j] for j in (fitted_idx if idx is None else idx)})

    def tasks(u, seeds, idx=None) -> list[Task]:
        """Per seed, one run per tier the targets `idx` need (None: the fitted ones; "all": every target)."""
        vals = _values(cfg.params, u)
        use = list(range(len(tiers))) if idx == "all" else needed(idx)
        return [Task(rb, vals, sd, tiers[q][0], tiers[q][1], columns, grade_sets) for sd in seeds for q in use]

    def logs(runs, idx=None) -> np.ndarray:
        """(seeds, targets) log per-capita figures from the runs of one point (as `tasks` made them);
        a target whose run was not made is nan."""
        use = list(range(len(tiers))) if idx == "all" else needed(idx)
        m = len(use)
        out = np.full((len(runs) // m, len(targets)), np.nan)
        for i in range(len(runs) // m):
            by_tier = dict(zip(use, runs[i * m:(i + 1) * m], strict=True))
            for j, t in enumerate(targets):
                if tier_of[j] in by_tier:
                    out[i, j] = math.log(max(target_value(by_tier[tier_of[j]], t, start), floors[j]))
        return out

    def tier0(runs, idx=None) -> list[dict]:
        use = list(range(len(tiers))) if idx == "all" else needed(idx)
        return runs[::len(use)]

    def loss_of(mean_log: np.ndarray, idx: list[int] | None = None, scale: np.ndarray | None = None) -> float:
        idx = fitted_idx if idx is None else idx
        r = (mean_log - y)[idx] / (s_fit if scale is None else scale)[idx]
        return float(np.sum(w[idx] * r ** 2) / np.sum(w[idx]))

    def mean_log(per_seed_log: np.ndarray) -> np.ndarray:
        return np.log(np.maximum(np.exp(per_seed_log).mean(axis=0), floors))

    fit_seeds = [cfg.first_seed + i for i in range(cfg.seeds)]
    uq_seeds = [cfg.first_seed + i for i in range(cfg.uq_seeds)]
    u0 = np.array([p.unit(get_value(rb, None, p.path) if p.start is None else p.start) for p in cfg.params])
    initial = {p.path: float(get_value(rb, None, p.path)) for p in cfg.params}
    try:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        history: list[dict] = []

        def search(free: list[int], idx: list[int], u_start: np.ndarray, n_trials: int, stage: str):
            """Optuna over the `free` parameters (the others stay at u_start), the loss on the
            targets `idx`, starting from u_start: (best point, its loss, the loss at u_start)."""
            kf = len(free)
            if cfg.method == "cmaes" and kf >= 2:
                import warnings

                with warnings.catch_warnings():  # x0 and sigma0 are deprecated from optuna 4.9 (kept until 6)
                    warnings.simplefilter("ignore", FutureWarning)
                    x0 = {f"u{i}": float(np.clip(u_start[f], 0.05, 0.95)) for i, f in enumerate(free)}
                    sampler = optuna.samplers.CmaEsSampler(x0=x0, sigma0=0.2, seed=cfg.first_seed)
                batch = 4 + int(3 * math.log(kf))
            else:
                sampler = optuna.samplers.TPESampler(seed=cfg.first_seed, multivariate=True,
                                                     n_startup_trials=min(8, n_trials))
                batch = 4
            study = optuna.create_study(sampler=sampler, direction="minimize")
            dist = {f"u{i}": optuna.distributions.FloatDistribution(0.0, 1.0) for i in range(kf)}
            study.enqueue_trial({f"u{i}": float(u_start[f]) for i, f in enumerate(free)})  # the start first
            done, best, first = 0, None, None
            while done < n_trials:
                n = min(batch, n_trials - done)
                trials = [study.ask(dist) for _ in range(n)]
                us = []
                for tr in trials:
                    u = u_start.copy()
                    u[free] = [tr.params[f"u{i}"] for i in range(kf)]
                    us.append(u)
                runs = pool.map([t for u in us for t in tasks(u, fit_seeds, idx)])
                m = len(runs) // len(us)
                for j, (tr, u) in enumerate(zip(trials, us, strict=True)):
                    L = loss_of(mean_log(logs(runs[j * m:(j + 1) * m], idx)), idx)
                    study.tell(tr, L)
                    history.append({"trial": len(history), "loss": L, "values": dict(_values(cfg.params, u)),
                                    **({"stage": stage} if stage else {})})
                    first = L if first is None else first
                    if best is None or L < best[1]:
                        best = (u, L)
                done += n
                say(f"{stage + ': ' if stage else ''}search: {done}/{n_trials} points, best loss {best[1]:.4g}")
            return best[0], best[1], first

        where = {p.path: i for i, p in enumerate(cfg.params)}

        def screen(sc: Screen, free: list[int], idx: list[int], u_start: np.ndarray, stage: str):
            """The global screen: a scrambled Sobol design over the box of the screened parameters
            (the others at u_start), each point on sc.seeds seeds, scored on the targets `idx`
            (with sc.shape, each measure's level left out): the best point, the start included."""
            import warnings

            from scipy.stats import qmc

            dims = [where[q] for q in sc.params] if sc.params else list(free)
            with warnings.catch_warnings():  # a design of a number of points not a power of 2 is fine here
                warnings.simplefilter("ignore", UserWarning)
                design = qmc.Sobol(len(dims), scramble=True, seed=cfg.first_seed).random(sc.points)
            us = [u_start.copy()]
            for row in design:
                u = u_start.copy()
                u[dims] = row
                us.append(u)
            seeds = [cfg.first_seed + i for i in range(sc.seeds)]
            # the loss's scale at the screen's seeds (the runs' sampling error grows as seeds fall)
            scale = (np.sqrt(s ** 2 + 1.0 / np.maximum(np.exp(y) * pop_t * sc.seeds, 1e-12)) if cfg.mc_noise else s)
            groups = {}
            for j in idx:
                groups.setdefault(measure_key(targets[j]), []).append(j)
            runs = pool.map([t for u in us for t in tasks(u, seeds, idx)])
            m = len(runs) // len(us)
            scores = []
            for n, u in enumerate(us):
                r = (mean_log(logs(runs[n * m:(n + 1) * m], idx)) - y)
                if sc.shape:  # each measure's level (the weighted mean of its log-ratios) left out
                    r = r.copy()
                    for js in groups.values():
                        wj = w[js] / scale[js] ** 2
                        r[js] -= float(np.sum(wj * r[js]) / max(np.sum(wj), 1e-300))
                L = float(np.sum(w[idx] * (r[idx] / scale[idx]) ** 2) / np.sum(w[idx]))
                scores.append(L)
                history.append({"trial": len(history), "loss": L, "values": dict(_values(cfg.params, u)),
                                "screen": True, **({"stage": stage} if stage else {})})
            best = int(np.argmin(scores))
            say(f"{stage + ': ' if stage else ''}screen: {sc.points} points of "
                f"{', '.join(cfg.params[i].path for i in dims)} on {sc.seeds} seed{'s' * (sc.seeds > 1)}"
                f"{' (each measure' + chr(39) + 's level left out)' if sc.shape else ''}: best score {scores[best]:.4g} "
                f"(the start {scores[0]:.4g}) at " + ", ".join(f"{cfg.params[i].path}={cfg.params[i].value(us[best][i]):.4g}"
                                                              for i in dims))
            return us[best], dims

        def local(free: list[int], idx: list[int], u_start: np.ndarray, sc: Screen | None, stage: str):
            """A stage's (or the one) search: the screen if any, then CMA-ES/TPE, then Gauss-Newton."""
            if sc is None:
                u_cur, loss_cur, first = search(free, idx, u_start, cfg.trials, stage)
            else:
                u_cur, dims = screen(sc, free, idx, u_start, stage)
                loss_cur, first = None, None
                level = [i for i in free if i not in dims]
                if sc.shape and level:
                    # The screen chose a shape with the level left out: the parameters not screened
                    # are fitted first with the shape held (a joint Gauss-Newton step from a level
                    # far off moves the shape's parameters along with it), then all together.
                    u_cur, loss_cur, _ = polish(level, idx, u_cur, None, stage + " level" if stage else "level",
                                                iterations=max(1, min(2, cfg.polish)))
                if sc.trials > 0:
                    u_cur, loss_cur, _ = search(free, idx, u_cur, sc.trials, stage)
            u_cur, loss_cur, polished = polish(free, idx, u_cur, loss_cur, stage)
            return u_cur, loss_cur, polished, first

        # Gauss-Newton: Jacobians by finite differences on the same seeds
        def jacobian(u, seeds, free=None, idx=None):
            """Runs at u and at u nudged along each free parameter (all by default), for the
            targets `idx` (as `tasks`): (log figures at u per seed, per-seed Jacobians (S, T, k)
            with zero columns for the fixed ones, the series of every run, the steps)."""
            free = list(range(k)) if free is None else free
            h = np.where(u + cfg.step <= 1.0, cfg.step, -cfg.step)
            points = [u] + [u + h[i] * np.eye(k)[i] for i in free]
            runs = pool.map([t for pt in points for t in tasks(pt, seeds, idx)])
            n = len(runs) // len(points)
            per = [logs(runs[j * n:(j + 1) * n], idx) for j in range(len(points))]  # each (S, T)
            ser = [[[series(r, t, start) for t in targets] for r in tier0(runs[j * n:(j + 1) * n], idx)]
                   for j in range(len(points))]
            J = np.zeros(per[0].shape + (k,))
            for j, i in enumerate(free):
                J[..., i] = (per[j + 1] - per[0]) / h[i]
            return per[0], J, ser, h

        def polish(free: list[int], idx: list[int], u_cur: np.ndarray, loss_cur: float | None, stage: str,
                   iterations: int | None = None):
            """Up to cfg.polish Gauss-Newton iterations on the `free` parameters, the loss on `idx`
            (loss_cur None: not known yet, taken from the first Jacobian's runs)."""
            improved = False
            n_it = cfg.polish if iterations is None else iterations
            if loss_cur is None and n_it == 0:
                loss_cur = loss_of(mean_log(logs(pool.map(tasks(u_cur, fit_seeds, idx)), idx)), idx)
            for it in range(n_it):
                base_log, J_seed, _, _ = jacobian(u_cur, fit_seeds, free, idx)
                if loss_cur is None:
                    loss_cur = loss_of(mean_log(base_log), idx)
                    history.append({"trial": len(history), "loss": loss_cur,
                                    "values": dict(_values(cfg.params, u_cur)), **({"stage": stage} if stage else {})})
                J = J_seed.mean(axis=0)
                delta = np.zeros(k)
                delta[free] = _gauss_newton(mean_log(base_log) - y, J[:, free], s_fit, w, idx, u_cur[free])
                better = False
                for frac in (1.0, 0.5, 0.25, 0.125):  # the full step, or part of it if it overshoots
                    u_try = np.clip(u_cur + frac * delta, 0.0, 1.0)
                    if np.max(np.abs(u_try - u_cur)) <= 1e-6:
                        break
                    L = loss_of(mean_log(logs(pool.map(tasks(u_try, fit_seeds, idx)), idx)), idx)
                    history.append({"trial": len(history), "loss": L, "values": dict(_values(cfg.params, u_try)),
                                    "gauss_newton": it + 1, **({"stage": stage} if stage else {})})
                    say(f"{stage + ': ' if stage else ''}Gauss-Newton {it + 1} (step x{frac:g}): "
                        f"loss {loss_cur:.4g} -> {L:.4g}")
                    if L < loss_cur:
                        u_cur, loss_cur, better, improved = u_try, L, True, True
                        break
                if not better:
                    break
            return u_cur, loss_cur, improved

        everything = list(range(k))
        stages = cfg.stage_plan(targets, fitted_idx)
        if not stages:
            # 1. search, 2. polish: every parameter on every fitted figure
            u_cur, loss_cur, polished, loss_initial = local(everything, fitted_idx, u0, cfg.screen, "")
            if loss_initial is None:
                loss_initial = loss_of(mean_log(logs(pool.map(tasks(u0, fit_seeds)))))  # for the report
        else:
            # In stages: each stage's parameters on its own figures (the others held where the
            # earlier stages left them), then every parameter on every figure.
            u_cur = u0.copy()
            for n_stage, (free, idx) in enumerate(stages, 1):
                label = f"stage {n_stage}/{len(stages)}"
                st = cfg.stages[n_stage - 1]
                say(f"{label}: {', '.join(cfg.params[i].path for i in free)} on "
                    f"{', '.join(targets[j].name for j in idx)}")
                u_cur, loss_cur, _, _ = local(free, idx, u_cur, st[2] if len(st) > 2 else None, label)
            loss_cur = loss_of(mean_log(logs(pool.map(tasks(u_cur, fit_seeds)))))
            history.append({"trial": len(history), "loss": loss_cur, "values": dict(_values(cfg.params, u_cur)),
                            "stage": "all"})
            say(f"all figures after the stages: loss {loss_cur:.4g}")
            u_cur, loss_cur, polished = polish(everything, fitted_idx, u_cur, loss_cur, "joint", cfg.joint_polish)
            loss_initial = loss_of(mean_log(logs(pool.map(tasks(u0, fit_seeds)))))  # for the report
        u_final = u_cur
        say("fitted: " + ", ".join(f"{k}={v:.4g}" for k, v in _values(cfg.params, u_final)))

        # the final point on the uncertainty seeds: figures, series, Jacobian
        final_log, J_seed, ser, h = jacobian(u_final, uq_seeds, idx="all")
        final_series = ser[0]
        S = len(uq_seeds)
        J = J_seed.mean(axis=0)
        loss_final = loss_of(mean_log(final_log))
        loss_targets_only = loss_of(mean_log(final_log), scale=s)
        say(f"final point on {S} seeds: loss {loss_final:.4g} (on the figures' own errors alone {loss_targets_only:.4g})")

        # 3. bootstrap over seeds (and over the targets' own errors)
        rng = np.random.default_rng(cfg.first_seed)
        B = cfg.bootstrap
        us_b = np.empty((B, k))
        pred_b = np.empty((B, len(targets)))
        # Each replicate's linearised optimum, less the full sample's (d0): the spread of the
        # estimator, centred on the point reported (which the runs have checked).
        d0 = _gauss_newton(mean_log(final_log) - y, J, s_fit, w, fitted_idx, u_final)
        for b in range(B):
            pick = rng.integers(0, S, S)
            ml_b = mean_log(final_log[pick])
            J_b = J_seed[pick].mean(axis=0)
            y_b = y + rng.normal(0.0, s)
            d_b = _gauss_newton(ml_b - y_b, J_b, s_fit, w, fitted_idx, u_final)
            us_b[b] = np.clip(u_final + d_b - d0, 0.0, 1.0)
            pred_b[b] = ml_b + J_b @ (us_b[b] - u_final)
        # A parameter none of the fitted figures moves is not pinned by them (the ridge keeps
        # it where it is, so its bootstrap spread is nil): its interval is the whole range.
        sw = np.sqrt(w[fitted_idx]) / s[fitted_idx]
        col = np.linalg.norm(J[fitted_idx] * sw[:, None], axis=0)
        identified = {p.path: bool(col[i] > 1e-3 * max(col.max(), 1e-12) and col[i] > 1e-6)
                      for i, p in enumerate(cfg.params)}
        intervals = {}
        for i, p in enumerate(cfg.params):
            vals = np.array([p.value(x) for x in us_b[:, i]])
            intervals[p.path] = ((float(np.quantile(vals, 0.05)), float(np.quantile(vals, 0.95)))
                                 if identified[p.path] else (p.low, p.high))
        ml_final = mean_log(final_log)
        rows = _target_rows(tf, targets, cfg.holdout, y, s, ml_final, pred_b, final_log)
        # series band: seeds' mean plus the linearised effect of the parameter draws
        series_out = _series_band(targets, rows, final_series, ser, h, us_b, u_final, rng, start, steps)
    finally:
        if own:
            ex.shutdown()
    fitted = dict(_values(cfg.params, u_final))
    return CalibrationResult(
        config=cfg, start=start, steps=steps, initial=initial, fitted=fitted, intervals=intervals,
        targets=rows, series=series_out, history=history, loss=loss_final, loss_initial=loss_initial,
        polished=polished, runs=pool.n, seconds=time.perf_counter() - t0, identified=identified,
        loss_target_errors=loss_targets_only,
        tiers=[{"population": p, "days": d, "targets": [t.name for t, q in zip(targets, tier_of, strict=True) if q == i]}
               for i, (p, d) in enumerate(tiers)],
        jacobian={"targets": [t.name for t in targets], "params": [p.path for p in cfg.params],
                  "d_log_figure_d_unit": J.tolist()},
    )


def _gauss_newton(r: np.ndarray, J: np.ndarray, s: np.ndarray, w: np.ndarray, idx: list[int],
                  u: np.ndarray) -> np.ndarray:
    """The step that minimises the linearised loss, kept inside the unit box (a few projected
    passes), with a small ridge so that a parameter the targets do not pin stays put."""
    sw = np.sqrt(w[idx]) / s[idx]
    A = J[idx] * sw[:, None]
    b = -r[idx] * sw
    k = J.shape[1]
    free = np.ones(k, bool)
    d = np.zeros(k)
    for _ in range(k + 1):
        if not free.any():
            break
        Af = A[:, free]
        lam = 1e-6 * max(1.0, float(np.trace(Af.T @ Af)) / max(free.sum(), 1))
        df = np.linalg.solve(Af.T @ Af + lam * np.eye(int(free.sum())), Af.T @ (b - A[:, ~free] @ d[~free]))
        d[free] = df
        out = (u + d < 0.0) | (u + d > 1.0)
        if not (out & free).any():
            break
        d[out] = np.clip(u[out] + d[out], 0.0, 1.0) - u[out]
        free &= ~out
    return d


def _target_rows(tf: TargetsFile, targets, holdout, y, s, ml_final, pred_b, final_log) -> list[dict]:
    rows = []
    for j, t in enumerate(targets):
        lo, hi = np.quantile(pred_b[:, j], [0.05, 0.95])
        seed_lo, seed_hi = np.exp(final_log[:, j].min()), np.exp(final_log[:, j].max())
        target = math.exp(y[j])
        model = math.exp(ml_final[j])
        rows.append({
            "name": t.name, "measure": measure_key(t), "kind": t.kind, "date": t.date.isoformat(),
            "from": t.from_.isoformat() if t.from_ else None,
            "value": t.value, "target": target, "target_interval": [target * math.exp(-1.645 * s[j]),
                                                                    target * math.exp(1.645 * s[j])],
            "model": model, "model_interval": [float(np.exp(lo)), float(np.exp(hi))],
            "seed_range": [float(seed_lo), float(seed_hi)],
            "model_count": model * tf.population.value if not t.share else None,
            "rel_error": model / target - 1.0 if target > 0 else float("nan"),
            "log_error": float(ml_final[j] - y[j]),
            "held_out": t.name in holdout, "weight": t.weight, "relative_error": t.relative_error,
            "source": t.source, "note": t.note,
        })
    return rows


def _series_band(targets, rows, final_series, fd_series, h, us_b, u_final, rng, start, steps) -> dict:
    """Per (measure, kind, span) series: the model's median and 90% band over time, with its targets."""
    out: dict[str, dict] = {}
    k = len(h)
    for j, t in enumerate(targets):
        key = f"{measure_key(t)}|{t.kind}|{t.from_ and day_of(t.from_, t.date)}"
        entry = out.get(key)
        if entry is None:
            per_seed = np.array([fs[j] for fs in final_series])  # (S, P)
            base = np.array([fs[j] for fs in fd_series[0]])
            Jt = np.stack([(np.array([fs[j] for fs in fd_series[i + 1]]) - base).mean(axis=0) / h[i]
                           for i in range(k)], axis=-1)  # (P, k) per capita per unit
            draws = []
            for b in range(us_b.shape[0]):
                pick = rng.integers(0, per_seed.shape[0])
                draws.append(per_seed[pick] + Jt @ (us_b[b] - u_final))
            draws = np.maximum(np.array(draws), 0.0)
            days = np.arange(0, steps, SERIES_EVERY)[: per_seed.shape[1]]
            entry = out[key] = {
                "measure": measure_key(t), "kind": t.kind, "span_days": t.from_ and day_of(t.from_, t.date),
                "days": days.tolist(), "dates": [(start + dt.timedelta(days=int(d))).isoformat() for d in days],
                "mean": per_seed.mean(axis=0).tolist(), "lo": np.quantile(draws, 0.05, axis=0).tolist(),
                "hi": np.quantile(draws, 0.95, axis=0).tolist(), "targets": []}
        entry["targets"].append(rows[j]["name"])
    return out


# --- the calibrated rulebook -------------------------------------------------------------

def calibrated_rulebook(rb, res: CalibrationResult):
    """The rulebook with the fitted values, each marked `source: calibrated` with a note naming
    the targets it was fitted to; a `calibrated` reference describes the fit."""
    from ..rulebook.loader import rulebook_from_dict

    cfg = res.config
    rb2, _ = set_values(rb, None, res.fitted)
    data = rb2.model_dump(mode="python")
    fitted_names = [t["name"] for t in res.targets if not t["held_out"]]
    held = [t["name"] for t in res.targets if t["held_out"]]
    today = dt.date.today().isoformat()
    for p in cfg.params:
        parts = split(p.path)
        key = parts[-1]
        owner = _owner(data, parts, p.path)
        lo, hi = res.intervals[p.path]
        before = owner.get("source")
        old = owner.get("note")
        text = (f"{key} calibrated to {res.fitted[p.path]:.4g} (90% interval {lo:.4g}..{hi:.4g}; was "
                f"{res.initial[p.path]:.4g}, source {before}) against the targets {', '.join(fitted_names)} "
                f"of {cfg.targets_name}.")
        if old and "calibrated to" in old:  # a field calibrated before: keep only the older, uncalibrated note
            old = old.split(" Before: ", 1)[1] if " Before: " in old else None
        owner["note"] = text + (f" Before: {old}" if old else "")
        owner["source"] = "calibrated"
    refs = [r for r in data["metadata"]["references"] if r["id"] != "calibrated"]
    refs.append({"id": "calibrated", "citation": (
        f"scslab calibrate {cfg.pilot} --targets {cfg.targets_name} ({today}): {', '.join(p.path for p in cfg.params)} "
        f"fitted to {len(fitted_names)} dated figures ({', '.join(fitted_names)})"
        + (f"; held out: {', '.join(held)}" if held else "")
        + f"; {cfg.population:,} citizens per run, per-capita figures over {cfg.targets.population.value:.4g} "
          f"{cfg.targets.population.what}. Sources of the figures: see the targets file"), "url": None})
    data["metadata"]["references"] = refs
    return rulebook_from_dict(data, f"{rb.metadata.name} (calibrated)")


def _owner(data: dict, parts: tuple[str, ...], path: str) -> dict:
    """The innermost object holding the value at `parts` that carries a `source` field (a
    coverage map's is its data source)."""
    from ..rulebook.paths import _walk

    for i in range(len(parts), 1, -1):
        try:
            node, _ = _walk(data, parts[:i], path)
        except ParamPathError:
            break
        if isinstance(node, dict) and "source" in node:
            return node
    raise ParamPathError(path, "no object on the path can carry `source: calibrated`")


def write_outputs(res: CalibrationResult, rb, out: str | Path) -> dict[str, Path]:
    """calibration.json, the calibrated rulebook (rulebook.yaml) and report.html in `out`."""
    import json

    from ..rulebook.loader import dump_rulebook
    from ..store.atomic import atomic_write_text

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    rb2 = calibrated_rulebook(rb, res)
    head = (f"# Calibrated by scslab calibrate ({res.command or 'Python API'}).\n"
            f"# Fitted: {', '.join(f'{k} = {v:.4g}' for k, v in res.fitted.items())}.\n"
            "# Every calibrated number is marked `source: calibrated`; see docs/calibration.md.\n")
    res.rulebook_yaml = head + dump_rulebook(rb2)
    paths = {"rulebook": folder / "rulebook.yaml", "json": folder / "calibration.json",
             "report": folder / "report.html"}
    # the numbers first: a run of half an hour is not lost if the report cannot be made
    atomic_write_text(paths["json"], json.dumps(res.to_json(), indent=1, default=float))
    atomic_write_text(paths["rulebook"], res.rulebook_yaml)
    from .report import render

    atomic_write_text(paths["report"], render(res))
    return paths


__all__ = ["CalibrationConfig", "CalibrationResult", "Param", "Screen", "calibrate", "calibrated_rulebook",
           "params_from_file", "stages_from_file", "write_outputs"]
