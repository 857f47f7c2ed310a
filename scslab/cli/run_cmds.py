"""`scslab run` and `scslab explain`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from . import app
from .common import console, fail

LEVERS = ("law", "market", "norms", "code")


def _levers(off: list[str]) -> dict[str, bool]:
    bad = [x for x in off if x not in LEVERS]
    if bad:
        fail(f"--off takes {', '.join(LEVERS)}; got {', '.join(bad)}")
    return {k: k not in off for k in LEVERS}


@app.command()
def run(
    rulebook: str = typer.Argument(None, help="a bundled pilot or a rulebook file (not with --resume)"),
    population: int = typer.Option(10_000, "--population", "-n", help="citizens (1..50,000,000)"),
    steps: int = typer.Option(365, "--steps", "-t", help="days to simulate (1..36,500)"),
    seed: int = typer.Option(0, "--seed", "-s", help="random seed (>= 0)"),
    out: Path = typer.Option(None, "--out", "-o", help="run folder to write (default runs/<pilot>-s<seed>)"),
    municipalities: int = typer.Option(1, "--municipalities", "-m", help="municipalities, all with this rulebook"),
    national: str = typer.Option(None, "--national", help="a rulebook whose national lists apply everywhere"),
    ledger: float = typer.Option(0.0, "--ledger", help="share of citizens whose every event is kept (0..1)"),
    off: list[str] = typer.Option([], "--off", help="switch a lever off: law, market, norms, code (repeatable)"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace an existing complete run folder"),
    checkpoint_every: int = typer.Option(None, "--checkpoint-every", help="save resumable state every K days"),
    resume: Path = typer.Option(None, "--resume", help="continue a killed run from its run folder"),
) -> None:
    """Apply a rulebook day by day to a synthetic society and write a run folder.

    With --checkpoint-every K the state is saved every K days; `scslab run --resume DIR`
    continues a killed run and writes tables byte-identical to an uninterrupted run.
    """
    if resume is not None:
        _resume(resume)
        return
    if rulebook is None:
        fail("give a rulebook (a bundled pilot or a file), or --resume RUN_FOLDER")
    if checkpoint_every is not None and not 1 <= checkpoint_every <= 36_500:
        fail(f"--checkpoint-every must be in 1..36,500, got {checkpoint_every}")

    from ..engine import run_nation
    from ..pilots import resolve_rulebook
    from ..society import SocietySpec

    if not 0 <= seed < 2**63:
        fail(f"--seed must be in 0..2^63-1, got {seed}")
    if not 0.0 <= ledger <= 1.0:
        fail(f"--ledger must be in 0..1, got {ledger}")
    if not 1 <= municipalities <= 1000:
        fail(f"--municipalities must be in 1..1000, got {municipalities}")
    if not 1 <= steps <= 36_500:
        fail(f"--steps must be in 1..36,500, got {steps}")
    from ..society.spec import MAX_N

    if not 1 <= population <= MAX_N:
        fail(f"--population must be in 1..{MAX_N:,}, got {population:,}")
    levers = _levers(off)  # before the progress bar, so a bad --off prints only its message
    try:
        spec = SocietySpec(n=population, municipalities=municipalities)
    except ValueError as e:
        fail(f"--population: {e.errors()[0]['msg'] if hasattr(e, 'errors') else e}")
    rb = resolve_rulebook(rulebook)
    nat = resolve_rulebook(national) if national else None
    out = out or Path("runs") / f"{rb.metadata.name}-s{seed}"
    from ..engine.run import memory_problem

    problem = memory_problem(population, spec.network.mean_degree, len(rb.lists) + (len(nat.lists) if nat else 0), ledger)
    if problem:
        fail(problem)
    from ..engine.nation import NationError
    from ..engine.validate import ParameterError
    from ..store import RunFolderError

    with _progress_bar() as bar:
        task = bar.add_task(f"{rb.metadata.name} x {population:,}", total=steps, rate="")
        import time

        t0 = time.perf_counter()

        def tick(done: int, total: int) -> None:
            el = time.perf_counter() - t0
            bar.update(task, completed=done, rate=f"{done / el:.1f} steps/s" if el > 0 else "")

        try:
            res = run_nation([rb], population=population, steps=steps, seed=seed, society=spec, national=nat,
                             levers=levers, ledger=ledger if ledger > 0 else False, progress=tick,
                             out=out, checkpoint_every=checkpoint_every, overwrite=overwrite)
        except RunFolderError as e:
            fail(f"{e} (use --overwrite, another --out, or --resume for a killed run)")
        except ParameterError as e:  # the API's range checks (scslab.engine.validate)
            fail(f"--{e.param.replace('_', '-')} {e.detail}")
        except NationError as e:  # a national layer that cannot be merged
            fail(f"--national: {e}")
        except OSError as e:  # the run folder cannot be made or written
            fail(f"cannot write the run folder {out}: {e.strerror or e}")
    _summary(res, f"{rb.metadata.name}: {population:,} citizens x {steps} days, seed {seed}")
    console.print(f"run folder: [bold]{out}[/bold]")


def _progress_bar():
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), console=console, transient=False,
    )


def _resume(folder: Path) -> None:
    import time
    import zipfile

    from ..engine import resume as resume_run

    if not folder.is_dir():
        fail(f"{folder}: no such run folder")
    with _progress_bar() as bar:
        task = bar.add_task(f"resuming {folder.name}", total=None, rate="")
        t0 = time.perf_counter()

        def tick(done: int, total: int) -> None:
            el = time.perf_counter() - t0
            bar.update(task, completed=done, total=total, rate=f"{done / el:.1f} steps/s" if el > 0 else "")

        try:
            res = resume_run(folder, progress=tick)
        except FileNotFoundError as e:
            fail(str(e))
        except (ValueError, KeyError, OSError, zipfile.BadZipFile) as e:  # a damaged checkpoint
            fail(f"{folder}: the checkpoint cannot be read ({type(e).__name__}: {e}); start the run again")
    m = res.manifest
    _summary(res, f"{m.get('rulebook')}: {m.get('population'):,} citizens x {m.get('steps')} days, seed {m.get('seed')}")
    console.print(f"run folder: [bold]{folder}[/bold]")


def _summary(res, title: str) -> None:
    s = res.summary()
    t = Table(title=title)
    t.add_column("measure")
    t.add_column("value", justify="right")
    grades = res.citizens.grade.value_counts()
    for g in reversed(res.grades.grade.unique().tolist() if len(res.grades) else []):
        if g in grades:
            t.add_row(f"citizens in grade {g}", f"{grades[g]:,}")
    t.add_row("share blacklisted now", f"{s['share_blacklisted']:.2%}")
    t.add_row("share ever blacklisted", f"{s['share_ever_blacklisted']:.2%}")
    t.add_row("of listings, wrongful", f"{s['wrongful_share_of_listings']:.1%}")
    t.add_row("sectors restricted per listed citizen", f"{s['sectors_per_listed']:.2f}")
    t.add_row("harm per 1,000 citizens per day", f"{s['harm_per_1000_per_day']:.3f}")
    t.add_row("mean trust", f"{s['mean_trust']:.3f}")
    timing = res.manifest.get("timing", {})
    if "citizen_steps_per_second" in timing:
        t.add_row("citizen-steps per second", f"{timing['citizen_steps_per_second']:,}")
    console.print(t)


@app.command()
def explain(
    run_folder: Path = typer.Argument(..., help="a run folder written by `scslab run`"),
    citizen: int = typer.Argument(..., help="the citizen's id"),
) -> None:
    """Print one citizen's history as an adverse-action notice."""
    from ..explain import explain as build
    from ..store import RunFolderError

    try:
        notice = build(run_folder, citizen)
    except (RunFolderError, FileNotFoundError) as e:
        fail(str(e))
    except KeyError as e:
        fail(str(e.args[0]))
    console.print(notice.text(), markup=False)
    if notice.has_ledger and len(notice.records):
        t = Table(title="Recorded acts")
        for col in ("day", "behaviour", "source", "points", "truth"):
            t.add_column(col)
        for _, r in notice.records.iterrows():
            t.add_row(str(r.step), str(r.behaviour), str(r.source), f"{r.points:g}", str(r.truth))
        console.print(t)
    if notice.has_ledger and len(notice.listings):
        t = Table(title="Listings")
        for col in ("day", "list", "event", "wrongful", "detail"):
            t.add_column(col)
        for _, r in notice.listings.iterrows():
            t.add_row(str(r.step), str(r["list"]), str(r.kind), "yes" if r.wrongful else "", str(r.detail or ""))
        console.print(t)
    if notice.has_ledger and len(notice.sectors):
        t = Table(title="Sanctions by sector")
        t.add_column("from day")
        t.add_column("sectors restricted")
        for _, r in notice.sectors.iterrows():
            t.add_row(str(r.step), str(r.sectors or "none"))
        console.print(t)
    if notice.has_ledger and len(notice.appeals):
        t = Table(title="Appeals")
        for col in ("day", "event", "list", "outcome"):
            t.add_column(col)
        for _, r in notice.appeals.iterrows():
            t.add_row(str(r.step), str(r.kind), str(r["list"] or ""), str(r.detail or ""))
        console.print(t)
