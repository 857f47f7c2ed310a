"""`scslab run` and `scslab explain`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from ..limits import (
    DEFAULT_POPULATION,
    DEFAULT_SEED,
    DEFAULT_STEPS,
    LEVER_NAMES,
    MAX_POPULATION,
    MAX_SEED,
    MAX_STEPS,
)
from . import app
from .common import console, fail, plain, safe

LEVERS = LEVER_NAMES


def _levers(off: list[str]) -> dict[str, bool]:
    bad = [x for x in off if x not in LEVERS]
    if bad:
        fail(f"--off takes {', '.join(LEVERS)}; got {', '.join(bad)}")
    return {k: k not in off for k in LEVERS}


# Flags are checked here against scslab.limits (the limits RunConfig uses), before numpy and
# numba load (tests/test_cli_refusals.py checks MAX_POPULATION equals scslab.society.spec.MAX_N).
# What `run --resume DIR` takes from the folder, not from flags.
_RUN_SETTINGS = ("population", "steps", "seed", "out", "municipalities", "national", "ledger", "off", "overwrite",
                 "checkpoint_every", "set_", "params_file")


def _given(ctx: typer.Context, names) -> list[str]:
    """The options among ``names`` the user gave (not left at their defaults)."""
    out = []
    for n in names:
        source = ctx.get_parameter_source(n)
        if source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP"):
            out.append({"set_": "--set", "params_file": "--params"}.get(n, "--" + n.replace("_", "-")))
    return out


def _check_flags(population: int, steps: int, seed: int, ledger: float, municipalities: int,
                 checkpoint_every: int | None, off: list[str]) -> dict[str, bool]:
    """Every flag's range, before anything heavy is imported (exit 2 on the first bad one)."""
    if not 1 <= population <= MAX_POPULATION:
        fail(f"--population must be in 1..{MAX_POPULATION:,}, got {population:,}")
    if not 1 <= steps <= MAX_STEPS:
        fail(f"--steps must be in 1..{MAX_STEPS:,}, got {steps}")
    if not 0 <= seed <= MAX_SEED:
        fail(f"--seed must be in 0..2^63-1, got {seed}")
    if not 0.0 <= ledger <= 1.0:
        fail(f"--ledger must be in 0..1, got {ledger}")
    if not 1 <= municipalities <= 1000:
        fail(f"--municipalities must be in 1..1000, got {municipalities}")
    if municipalities > population:
        fail(f"--municipalities: more municipalities ({municipalities}) than citizens (--population {population})")
    if checkpoint_every is not None and not 1 <= checkpoint_every <= MAX_STEPS:
        fail(f"--checkpoint-every must be in 1..{MAX_STEPS:,}, got {checkpoint_every}")
    return _levers(off)


@app.command()
def run(
    ctx: typer.Context,
    rulebook: str = typer.Argument(None, help="a bundled pilot or a rulebook file (not with --resume)"),
    population: int = typer.Option(DEFAULT_POPULATION, "--population", "-n", help=f"citizens (1..{MAX_POPULATION:,})"),
    steps: int = typer.Option(DEFAULT_STEPS, "--steps", "-t", help=f"days to simulate (1..{MAX_STEPS:,})"),
    seed: int = typer.Option(DEFAULT_SEED, "--seed", "-s", help="random seed (>= 0)"),
    out: Path = typer.Option(None, "--out", "-o", help="run folder to write (default runs/<pilot>-s<seed>)"),
    municipalities: int = typer.Option(1, "--municipalities", "-m", help="municipalities, all with this rulebook"),
    national: str = typer.Option(None, "--national", help="a rulebook whose national lists apply everywhere"),
    ledger: float = typer.Option(0.0, "--ledger", help="share of citizens whose every event is kept (0..1)"),
    off: list[str] = typer.Option([], "--off", help=f"switch a lever off: {', '.join(LEVER_NAMES)} (repeatable)"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace a complete run folder scslab wrote "
                                   "(only its own files; a folder holding other files is refused)"),
    checkpoint_every: int = typer.Option(None, "--checkpoint-every", help="save resumable state every K days"),
    resume: Path = typer.Option(None, "--resume", help="continue a killed run from its run folder"),
    set_: list[str] = typer.Option(None, "--set", help="PATH=VALUE: a rulebook number or an engine weight for "
                                   "this run, e.g. network.association_penalty=2 or engine.w_virtue=2 (repeatable; "
                                   "docs/sweeps.md)"),
    params_file: Path = typer.Option(None, "--params", help="YAML file of PATH: VALUE settings for this run"),
) -> None:
    """Apply a rulebook day by day to a synthetic society and write a run folder.

    With --checkpoint-every K the state is saved every K days; `scslab run --resume DIR`
    continues a killed run and writes tables byte-identical to an uninterrupted run.
    """
    if resume is not None:
        extra = ([f"the rulebook '{rulebook}'"] if rulebook is not None else []) + _given(ctx, _RUN_SETTINGS)
        if extra:
            fail(f"--resume continues the run in {resume} with the rulebook and settings it was started with; "
                 f"leave out {', '.join(extra)} (to start a new run, leave out --resume)")
        _resume(resume)
        return
    if rulebook is None:
        fail("give a rulebook (a bundled pilot or a file), or --resume RUN_FOLDER")
    levers = _check_flags(population, steps, seed, ledger, municipalities, checkpoint_every, off)

    from ..store import RunFolderError, check_writable

    def check_out(folder: Path) -> None:  # a folder that cannot be written is refused before any work
        try:
            check_writable(folder, overwrite=overwrite)
        except RunFolderError as e:
            fail(_folder_message(e, folder))
        except OSError as e:
            fail(f"cannot write the run folder {folder}: {e.strerror or e}")

    if out is not None:
        check_out(out)
    from ..pilots import resolve_rulebook

    rb = resolve_rulebook(rulebook)  # RulebookError -> located messages, exit 2 (see main)
    nat = resolve_rulebook(national) if national else None
    params = None
    if set_ or params_file:
        rb, params = _settings(rb, set_, params_file)
        if not off:  # levers set with --set engine.levers.x stay as set; --off adds to them
            levers = None
        else:
            levers = {k: v and params.levers.model_dump()[k] for k, v in levers.items()}
    if out is None:
        out = Path("runs") / f"{rb.metadata.name}-s{seed}"
        check_out(out)

    from ..engine import run_nation
    from ..engine.memory import event_rate, memory_problem
    from ..engine.nation import NationError
    from ..engine.validate import ParameterError
    from ..society import SocietySpec

    try:
        spec = SocietySpec(n=population, municipalities=municipalities)
    except ValueError as e:
        fail(f"--population: {e.errors()[0]['msg'] if hasattr(e, 'errors') else e}")
    problem = memory_problem(population, spec.network.mean_degree, len(rb.lists) + (len(nat.lists) if nat else 0), ledger,
                             steps, event_rate([rb, nat] if nat else [rb]), spec.municipality_count,
                             spec.network.cross_municipality_share)
    if problem:
        fail(problem)

    try:
        with _Bar(f"{safe(rb.metadata.name)} x {population:,}") as tick:
            res = run_nation([rb], population=population, steps=steps, seed=seed, society=spec, national=nat,
                             params=params, levers=levers, ledger=ledger if ledger > 0 else False, progress=tick,
                             out=out, checkpoint_every=checkpoint_every, overwrite=overwrite)
    except KeyboardInterrupt:
        _interrupted(out, checkpoint_every is not None)
    except RunFolderError as e:
        fail(_folder_message(e, out))
    except ParameterError as e:  # the API's range checks (scslab.engine.validate)
        fail(f"--{e.param.replace('_', '-')} {e.detail}")
    except NationError as e:  # a national layer that cannot be merged
        fail(f"--national: {e}")
    except OSError as e:  # the run folder cannot be made or written (a full disk...)
        fail(_write_message(e, out, checkpoint_every is not None))
    _summary(res, f"{rb.metadata.name}: {population:,} citizens x {steps} days, seed {seed}")
    console.print(Text.assemble("run folder: ", (safe(out), "bold")))


def _settings(rb, sets, params_file):
    """The rulebook and engine parameters with --set / --params applied (located errors, exit 2)."""
    from ..rulebook.errors import RulebookError
    from ..rulebook.params_file import load_params_file, parse_sets
    from ..rulebook.paths import ParamPathError, set_values
    from .common import fail_with_problems

    try:
        values = {**(load_params_file(params_file) if params_file else {}), **parse_sets(sets)}
        return set_values(rb, None, values, name=rb.metadata.name)
    except RulebookError as e:
        fail_with_problems(e.problems)
    except ParamPathError as e:
        fail(f"--set/--params {e}")


def _folder_message(e: Exception, out: Path) -> str:
    from ..store import RunExistsError, RunLockedError

    msg = str(e)
    if isinstance(e, RunExistsError) and not isinstance(e, RunLockedError) and "already holds a complete run" in msg:
        return f"{out}: already holds a complete run; choose another --out, or add --overwrite to replace it"
    return msg  # says why and what to do (a user's files, another process writing, a damaged marker)


def _write_message(e: OSError, out: Path, resumable: bool) -> str:
    msg = f"cannot write the run folder {out}: {e.strerror or e}"
    if resumable and (out / "checkpoint" / "LATEST").exists():
        msg += f"; the newest checkpoint is kept: make room, then continue with `scslab run --resume {out}`"
    return msg


def _interrupted(out: Path, resumable: bool) -> None:
    """Ctrl-C during a run: say what was left and how to continue, exit 130."""
    from .common import EXIT_INTERRUPTED

    if not out.is_dir():
        fail("interrupted before the run folder was made; nothing was written", EXIT_INTERRUPTED)
    if (out / "COMPLETE").exists():
        fail(f"interrupted after the run was written; {out} is complete", EXIT_INTERRUPTED)
    if resumable and (out / "checkpoint" / "config.json").exists():
        latest = out / "checkpoint" / "LATEST"
        where = "from its newest checkpoint" if latest.exists() else "from day 0 (no checkpoint was reached)"
        fail(f"interrupted: {out} is incomplete; continue it {where} with `scslab run --resume {out}`",
             EXIT_INTERRUPTED)
    fail(f"interrupted: {out} is incomplete and cannot be resumed (it was started without --checkpoint-every); "
         "run the same command again to start afresh", EXIT_INTERRUPTED)


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


class _Bar:
    """A progress bar shown from the first step on, so that a refusal before any work
    prints its message alone. Used as ``with _Bar(title) as tick: ... progress=tick``."""

    def __init__(self, title: str) -> None:
        self.title, self.bar, self.task = title, None, None

    def __call__(self, done: int, total: int) -> None:
        import time

        if self.bar is None:
            self.bar = _progress_bar()
            self.bar.start()
            self.task = self.bar.add_task(self.title, total=total, rate="")
            self.t0, self.first = time.perf_counter(), done
        el = time.perf_counter() - self.t0
        rate = f"{(done - self.first) / el:.1f} steps/s" if el > 0 and done > self.first else ""
        self.bar.update(self.task, completed=done, total=total, rate=rate)

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


def _resume(folder: Path) -> None:
    if not folder.is_dir():
        fail(f"{folder}: no such run folder")
    from ..engine import resume as resume_run
    from ..engine.checkpoint import CheckpointError
    from ..rulebook.errors import RulebookError
    from ..store import RunFolderError

    finished = (folder / "COMPLETE").is_file()
    try:
        with _Bar(f"resuming {safe(folder.name)}") as tick:
            res = resume_run(folder, progress=tick)  # a finished run: verified, read back, left as it is
    except KeyboardInterrupt:
        _interrupted(folder, True)
    except CheckpointError as e:  # says what is damaged and what to do, once
        fail(str(e))
    except RunFolderError as e:  # not a run of scslab's, another process writing it, a damaged finished run
        fail(str(e))
    except FileNotFoundError as e:  # no checkpoint
        fail(f"{e}; start the run again (the same command with --overwrite)")
    except RulebookError as e:  # a rulebook in the checkpoint that no longer loads (another version)
        fail(f"{folder}: the checkpoint's rulebook does not load in this version of scslab "
             f"({e.problems[0] if e.problems else e}); start the run again")
    except OSError as e:  # reading is checked above: this is writing (a full disk, a read-only folder)
        fail(_write_message(e, folder, True))
    m = res.manifest
    what = f"{m.get('rulebook')}: {m.get('population'):,} citizens x {m.get('steps')} days, seed {m.get('seed')}"
    if finished:
        console.print(Text.assemble(
            "nothing to resume: ", (safe(folder), "bold"), f" already holds a complete run ({safe(what)}); its files "
            "were checked and left as they are. To run it again, start it afresh with the same settings and "
            "--overwrite."))
    _summary(res, what)
    console.print(Text.assemble("run folder: ", (safe(folder), "bold")))


def _summary(res, title: str) -> None:
    s = res.summary()
    t = Table(title=plain(title))
    t.add_column("measure")
    t.add_column("value", justify="right")
    grades = res.citizens.grade.value_counts()
    for g in reversed(res.grades.grade.unique().tolist() if len(res.grades) else []):
        if g in grades:
            t.add_row(plain(f"citizens in grade {g}"), f"{grades[g]:,}")
    t.add_row("share blacklisted now", f"{s['share_blacklisted']:.2%}")
    t.add_row("share ever blacklisted", f"{s['share_ever_blacklisted']:.2%}")
    t.add_row("of listings, wrongful", f"{s['wrongful_share_of_listings']:.1%}")
    t.add_row("sectors restricted per listed citizen", f"{s['sectors_per_listed']:.2f}")
    t.add_row("harm per 1,000 citizens per day", f"{s['harm_per_1000_per_day']:.3f}")
    t.add_row("mean trust", f"{s['mean_trust']:.3f}")
    timing = res.timing
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
    console.print(safe(notice.text(), limit=None, lines=True), markup=False)

    def table(title: str, cols: tuple[str, ...], rows) -> None:
        t = Table(title=title)
        for col in cols:
            t.add_column(col)
        for row in rows:
            t.add_row(*(plain(v) for v in row))
        console.print(t)

    if notice.has_ledger and len(notice.records):
        table("Recorded acts", ("day", "behaviour", "source", "points", "truth"),
              ((r.step, r.behaviour, r.source, f"{r.points:g}", r.truth) for _, r in notice.records.iterrows()))
    if notice.has_ledger and len(notice.listings):
        table("Listings", ("day", "list", "event", "wrongful", "detail"),
              ((r.step, r["list"], r.kind, "yes" if r.wrongful else "", r.detail or "")
               for _, r in notice.listings.iterrows()))
    if notice.has_ledger and len(notice.sectors):
        table("Sanctions by sector", ("from day", "sectors restricted", "why"),
              ((r.step, r.sectors or "none", r.get("why", "")) for _, r in notice.sectors.iterrows()))
    if notice.has_ledger and len(notice.appeals):
        table("Appeals", ("day", "event", "list", "outcome"),
              ((r.step, r.kind, r["list"] or "", r.detail or "") for _, r in notice.appeals.iterrows()))
