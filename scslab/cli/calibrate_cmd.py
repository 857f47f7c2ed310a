"""`scslab calibrate`: fit a pilot's numbers to dated public figures (docs/calibration.md)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import typer

from . import app
from .common import console, fail, fail_with_problems


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived while the runs were going."""

    def __init__(self, signum: int):
        import signal

        super().__init__(signum)
        self.signum = signum
        self.name = signal.Signals(signum).name


class interrupts_raise:  # noqa: N801 - used as a context manager
    """While inside, SIGINT and SIGTERM raise :class:`Interrupted` in the main thread (so the
    caller can stop its worker processes and exit with 128 + the signal's number, without a
    traceback); the previous handlers come back on exit."""

    def __enter__(self):
        import signal

        self._armed = True

        def handler(signum, frame):
            if self._armed:
                raise Interrupted(signum)
        self._previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
        return self

    def disarm(self) -> None:
        self._armed = False

    def __exit__(self, *exc):
        import signal

        for s, h in self._previous.items():
            signal.signal(s, h)
        return False


@app.command("calibrate")
def calibrate_cmd(
    pilot: str = typer.Argument(..., help="bundled pilot or rulebook file"),
    targets: str = typer.Option(..., "--targets", "-T",
                                help="targets file (YAML), or a bundled one by its pilot's name (court-blacklist)"),
    params: list[str] = typer.Option(None, "--params", "-p",
                                     help="PATH=LOW..HIGH to fit (repeatable; default: the targets file's `fit:`)"),
    holdout: list[str] = typer.Option(None, "--holdout",
                                      help="target left out of the fit and reported as out-of-sample "
                                           "(repeatable; default: the targets file's `holdout:`)"),
    no_holdout: bool = typer.Option(False, "--no-holdout", help="fit every target"),
    no_stages: bool = typer.Option(False, "--no-stages",
                                   help="search every parameter at once, not in the targets file's `stages:`"),
    no_screen: bool = typer.Option(False, "--no-screen",
                                   help="skip the global screens of the targets file's stages (`screen:`)"),
    screen_points: int = typer.Option(None, "--screen-points",
                                      help="points of each stage's screen (default: the targets file's)"),
    population: int = typer.Option(20_000, "--population", "-n", help="citizens per run"),
    seeds: int = typer.Option(3, "--seeds", "-k", help="seeds averaged at every search point (the same at each)"),
    trials: int = typer.Option(18, "--trials", help="search points (then up to --polish Gauss-Newton iterations)"),
    polish: int = typer.Option(4, "--polish", help="Gauss-Newton iterations after the search (0: none)"),
    min_count: float = typer.Option(40, "--min-count",
                                    help="count a figure expected below this many people over the seeds on more "
                                         "citizens (population x 2^j, up to --max-population), over only the days "
                                         "it needs (0: every figure at --population)"),
    max_population: int = typer.Option(None, "--max-population",
                                       help="the most citizens a run for rare figures gets (with --min-count; "
                                            "default 4 x --population)"),
    no_mc_noise: bool = typer.Option(False, "--no-mc-noise",
                                     help="scale each figure's misfit by its relative error alone, not also by the "
                                          "runs' sampling error at its count"),
    joint_polish: int = typer.Option(0, "--joint-polish",
                                     help="Gauss-Newton iterations of the last polish of every parameter after the "
                                          "stages"),
    uq_seeds: int = typer.Option(4, "--uq-seeds", help="seeds at the fitted point (Jacobian, bootstrap, bands)"),
    method: str = typer.Option("cmaes", "--method", help="cmaes or tpe (optuna samplers)"),
    seed: int = typer.Option(1, "--seed", "-s", help="first seed"),
    executor: str = typer.Option("local", "--executor", "-e", help="local (process pool), serial or ray"),
    address: str = typer.Option(None, "--address", help="Ray cluster address (with --executor ray)"),
    workers: int = typer.Option(2, "--workers", "-w", help="worker processes (results do not depend on it)"),
    out: Path = typer.Option(None, "--out", "-o", help="output folder (default calibrations/PILOT)"),
) -> None:
    """Fit parameters of a pilot to dated figures; write the calibrated rulebook and a report.

    Writes OUT/rulebook.yaml (every fitted number marked `source: calibrated`),
    OUT/report.html (targets against the model's band over time) and OUT/calibration.json.
    """
    from ..calibrate import CalibrationConfig, Param, load_targets, params_from_file
    from ..experiments.executors import EXECUTORS, make_executor, terminate
    from ..rulebook.errors import RulebookError
    from ..rulebook.paths import ParamPathError

    if executor not in EXECUTORS:
        fail(f"--executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    if method not in ("cmaes", "tpe"):
        fail(f"--method must be cmaes or tpe, got {method!r}")
    if not 1 <= workers <= 256:
        fail(f"--workers must be in 1..256, got {workers}")
    if not 100 <= population <= 10_000_000:
        fail(f"--population must be in 100..10,000,000, got {population}")
    if not 1 <= seeds <= 64:
        fail(f"--seeds must be in 1..64, got {seeds}")
    if not 2 <= uq_seeds <= 256:
        fail(f"--uq-seeds must be in 2..256, got {uq_seeds}")
    if not 1 <= trials <= 10_000:
        fail(f"--trials must be in 1..10,000, got {trials}")
    if not 0 <= polish <= 20:
        fail(f"--polish must be in 0..20, got {polish}")
    if joint_polish is not None and not 0 <= joint_polish <= 20:
        fail(f"--joint-polish must be in 0..20, got {joint_polish}")
    if screen_points is not None and not 4 <= screen_points <= 1024:
        fail(f"--screen-points must be in 4..1024, got {screen_points}")
    if not 0 <= min_count <= 1e6:
        fail(f"--min-count must be in 0..1,000,000, got {min_count:g}")
    if max_population is None:
        max_population = min(4 * population, 10_000_000)
    if not population <= max_population <= 10_000_000:
        fail(f"--max-population must be in {population:,}..10,000,000 (at least --population), got {max_population:,}")
    try:
        tf = load_targets(targets)
    except RulebookError as e:
        fail_with_problems(e.problems)
    try:
        fit = [Param.parse(p) for p in params] if params else params_from_file(tf.fit)
    except ParamPathError as e:
        fail(f"--params {e}" if params else f"{targets}: fit: {e}")
    from .compare_cmds import resolve_pilots

    name = resolve_pilots([pilot])[0]
    held = () if no_holdout else tuple(holdout) if holdout else tuple(tf.holdout)
    from ..calibrate import stages_from_file

    stages = () if (no_stages or params) else stages_from_file(tf, screens=not no_screen, points=screen_points)
    cfg = CalibrationConfig(name, tf, fit, holdout=held, population=population, seeds=seeds, trials=trials,
                            uq_seeds=uq_seeds, method=method, first_seed=seed, targets_name=targets, polish=polish,
                            stages=stages, min_count=min_count, max_population=max_population,
                            mc_noise=not no_mc_noise, joint_polish=joint_polish)
    from ..pilots import resolve_rulebook

    rb = resolve_rulebook(name)
    try:
        cfg.check(rb)
    except (ParamPathError, ValueError) as e:
        fail(str(e))
    folder = out or Path("calibrations") / Path(name).stem
    if folder.exists() and not folder.is_dir():
        fail(f"--out {folder}: exists and is not a folder")
    from ..calibrate import calibrate, write_outputs

    console.print(f"[bold]calibrate[/bold] {name} to {len(tf.targets)} figures of {targets} "
                  f"({len(held)} held out); {len(fit)} parameters: " + "; ".join(p.describe() for p in fit)
                  + (f"; in {len(stages)} stages, then together" if stages else ""))
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    try:
        ex = make_executor(executor, workers, address, parent_stops=True)
    except RuntimeError as e:
        fail(str(e))
    with interrupts_raise() as stop:
        try:
            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=console) as bar:
                task = bar.add_task("runs", total=None)
                res = calibrate(cfg, executor=ex, progress=lambda d, n: bar.update(task, completed=d, total=n),
                                log=lambda m: bar.console.print(m, markup=False))
        except Interrupted as e:
            stop.disarm()  # a second signal while the workers are stopped changes nothing
            terminate(ex)
            console.print(f"calibrate: interrupted by {e.name}; the worker processes were stopped and nothing "
                          f"was written to {folder}", markup=False)
            raise typer.Exit(128 + e.signum) from None
        except BaseException:
            terminate(ex)
            raise
        ex.shutdown()
    res.command = "scslab calibrate " + " ".join(shlex.quote(a) for a in sys.argv[2:] if a is not None)
    paths = write_outputs(res, rb, folder)
    from rich.table import Table

    t = Table(title="Fitted parameters (90% bootstrap interval)")
    for c in ("parameter", "before", "fitted", "interval"):
        t.add_column(c)
    for p in fit:
        lo, hi = res.intervals[p.path]
        pinned = res.identified.get(p.path, True)
        t.add_row(p.path, f"{res.initial[p.path]:.4g}", f"{res.fitted[p.path]:.4g}",
                  f"{lo:.4g} .. {hi:.4g}" + ("" if pinned else " (not pinned by the figures)"))
    console.print(t)
    t = Table(title="Targets (per capita)")
    for c in ("target", "date", "figure", "model", "model 90%", "error", "role"):
        t.add_column(c)
    for r in res.targets:
        lo, hi = r["model_interval"]
        t.add_row(r["name"], r["date"], f"{r['target']:.3g}", f"{r['model']:.3g}", f"{lo:.3g} .. {hi:.3g}",
                  f"{r['rel_error']:+.1%}", "held out" if r["held_out"] else "fitted")
    console.print(t)
    s = res.summary()
    console.print(f"{s['within_10pct']} of {s['fitted_targets']} fitted figures within 10%; loss {res.loss:.4g} "
                  f"(before {res.loss_initial:.4g}; on the figures' own errors alone {res.loss_target_errors:.4g}); "
                  f"{res.runs} runs in {res.seconds / 60:.1f} min")
    console.print(f"rulebook: [bold]{paths['rulebook']}[/bold]  report: [bold]{paths['report']}[/bold]  "
                  f"numbers: {paths['json']}")
