"""`scslab sweep`: how robust each claim's verdict is over the plausible range of its numbers."""

from __future__ import annotations

from pathlib import Path

import typer

from . import app
from .common import console, fail


@app.command("sweep")
def sweep_cmd(
    pilot: str = typer.Argument(..., help="bundled pilot or rulebook file"),
    param: list[str] = typer.Option(None, "--param", "-p",
                                    help="PATH=LOW..HIGH or PATH=v1,v2,... (repeatable; default: the rulebook's "
                                         "plausible box and the engine's illustrative weights)"),
    design: str = typer.Option("lhs", "--design", "-d", help="grid, lhs, sobol or morris"),
    samples: int = typer.Option(16, "--samples", "-N",
                                help="lhs: points; sobol: base samples (N(k+2) points); morris: trajectories "
                                     "(N(k+1) points); grid: levels per factor"),
    seeds: int = typer.Option(2, "--seeds", "-k", help="replications per point (seeds seed..seed+K-1)"),
    seed: int = typer.Option(1, "--seed", "-s", help="first seed"),
    population: int = typer.Option(5_000, "--population", "-n", help="citizens per run"),
    steps: int = typer.Option(365, "--steps", "-t", help="days per run"),
    no_engine: bool = typer.Option(False, "--no-engine",
                                   help="without --param: sweep only the rulebook's plausible ranges"),
    set_: list[str] = typer.Option(None, "--set", help="PATH=VALUE fixed for every run (repeatable)"),
    params_file: Path = typer.Option(None, "--params", help="YAML file of PATH: VALUE fixed for every run"),
    executor: str = typer.Option("local", "--executor", "-e", help="local (process pool), serial or ray"),
    address: str = typer.Option(None, "--address", help="Ray cluster address (with --executor ray), e.g. auto"),
    workers: int = typer.Option(2, "--workers", "-w", help="worker processes (results do not depend on it)"),
    out: Path = typer.Option(Path("sweeps/sweep"), "--out", "-o",
                             help="sweep folder; run again with the same arguments to resume"),
    warm_start: str = typer.Option(None, "--warm-start",
                                   help="DATE or DAYS (or PILOT=DATE|DAYS, as scslab compare takes it): run every "
                                        "point from the calendar's start and measure it from DATE for --steps days "
                                        "(or after DAYS run first)"),
) -> None:
    """Sweep parameters of a pilot and report, per claim, where its verdict holds.

    Each design point runs on K seeds with the paired counterfactual runs its claims need;
    the report gives each verdict's share of the box, where it flips, and each factor's
    influence (Sobol indices, Morris mu*, or rank correlations).
    """
    from ..experiments.executors import EXECUTORS, make_executor, terminate
    from ..experiments.sweep import DESIGNS, Factor, SweepConfig, plan_sweep, run_sweep
    from ..rulebook.params_file import engine_overrides, load_params_file, parse_sets
    from ..rulebook.paths import ParamPathError
    from .compare_cmds import check_sizes, resolve_pilots

    if design not in DESIGNS:
        fail(f"--design must be one of {', '.join(DESIGNS)}, got {design!r}")
    if executor not in EXECUTORS:
        fail(f"--executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    if not 1 <= samples <= 100_000:
        fail(f"--samples must be in 1..100,000, got {samples}")
    if not 1 <= workers <= 256:
        fail(f"--workers must be in 1..256, got {workers}")
    check_sizes(population, steps, seeds)
    try:
        factors = tuple(Factor.parse(p) for p in param or ())
    except ParamPathError as e:
        fail(f"--param {e}")
    from ..rulebook.errors import RulebookError
    from .common import fail_with_problems

    try:
        fixed = {**(load_params_file(params_file) if params_file else {}), **parse_sets(set_)}
        params = engine_overrides(fixed, "--set/--params")
    except RulebookError as e:  # located, exit 2
        fail_with_problems(e.problems)
    name = resolve_pilots([pilot])[0]
    if params and params.get("measure_from"):
        fail("--set engine.measure_from: give the sweep a warm start instead (--warm-start DATE)")
    warmup = 0
    if warm_start is not None:
        from .compare_cmds import warm_starts

        text = str(warm_start)
        if "=" not in text:
            text = f"{name}={text}"
        elif text.rpartition("=")[0] != name:
            fail(f"--warm-start {warm_start}: {text.rpartition('=')[0]} is not the pilot swept ({name}); "
                 "give DATE or DAYS")
        warmup = warm_starts([text], [name], steps)[0][1]
    try:
        cfg = SweepConfig(name, factors, design=design, samples=samples, seeds=seeds, first_seed=seed,
                          population=population, steps=steps, params=params, engine_box=not no_engine,
                          warmup=warmup)
        plan = plan_sweep(cfg)
    except (ParamPathError, ValueError) as e:
        fail(str(e))
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from .common import LazyProgress

    console.print(f"[bold]sweep[/bold] of {name}: {len(plan.points) - 1} points ({design}) + the rulebook's own, "
                  f"{len(plan.specs)} runs of {population:,} citizens x {steps} days"
                  + (f" (measured after a warm start of {warmup:,} days)" if warmup else "") + "; factors: "
                  + "; ".join(f.describe() for f in plan.factors))
    try:
        # Local workers leave Ctrl-C to this process, which stops them at once (terminate).
        ex = make_executor(executor, workers, address, parent_stops=True)
    except RuntimeError as e:
        fail(str(e))
    done = [0]

    def progress(d: int, n: int) -> None:
        done[0] = d
        bars.update("runs", completed=d)

    try:
        with ex, LazyProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                              TimeElapsedColumn(), TimeRemainingColumn()) as bars:
            bars.add("runs", total=len(plan.specs))
            try:
                res = run_sweep(cfg, out, executor=ex, progress=progress)
            except KeyboardInterrupt:
                terminate(ex)
                raise
    except FileExistsError as e:  # reported after the bar is gone (and never below an empty one)
        fail(str(e))
    except KeyboardInterrupt:
        from ..experiments.sweep import journal_runs
        from .common import EXIT_INTERRUPTED

        # Counted from the journal itself: a run journaled as Ctrl-C came may not have
        # reached the progress bar yet.
        kept = len(journal_runs(out / "runs.jsonl"))
        fail(f"interrupted: {kept} of {len(plan.specs)} runs are kept in {out / 'runs.jsonl'}; run the same "
             "command again to continue (finished runs are reused, not run again)", EXIT_INTERRUPTED)
    from rich.table import Table

    t = Table(title="Verdicts over the box")
    for c in ("claim", "at the rulebook's values", "same over the box", "flips"):
        t.add_column(c)
    for cid, r in res.robustness.items():
        share = r.get("share", float("nan"))
        t.add_row(cid, r["nominal"], "—" if share != share else f"{share:.0%}", (r.get("flip") or {}).get("text", ""))
    console.print(t)
    console.print(f"report: [bold]{out / 'report.html'}[/bold]  (numbers: runs.parquet, points.parquet, analysis.json)")
