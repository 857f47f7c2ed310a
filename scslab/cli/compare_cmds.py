"""`scslab compare`: pilots side by side on the claims, over seeds, with an HTML report."""

from __future__ import annotations

from pathlib import Path

import typer

from ..limits import MAX_STEPS, MIN_EVENTS
from . import app
from .common import console, fail, on_interrupt

MAX_POPULATION = 1_000_000  # compare runs many simulations; larger societies belong in `scslab run`
MAX_SEEDS = 200


def check_sizes(population: int, steps: int, seeds: int) -> None:
    if not 100 <= population <= MAX_POPULATION:
        fail(f"--population must be in 100..{MAX_POPULATION:,}, got {population}")
    if not 1 <= steps <= MAX_STEPS:
        fail(f"--steps must be in 1..{MAX_STEPS:,}, got {steps}")
    if seeds == 1:
        fail("--seeds 1 gives no verdicts: a verdict needs a confidence interval over at least 2 seeds, "
             "so every claim would read n/a; use --seeds 2 or more")
    if not 2 <= seeds <= MAX_SEEDS:
        fail(f"--seeds must be in 2..{MAX_SEEDS}, got {seeds}")


def engine_settings(sets, params_file) -> dict | None:
    """`--set` and `--params` as validated engine parameters (located errors, exit 2)."""
    from ..rulebook.errors import RulebookError
    from ..rulebook.params_file import engine_overrides, load_params_file, parse_sets
    from .common import fail_with_problems

    try:
        fixed = {**(load_params_file(params_file) if params_file else {}), **parse_sets(sets)}
        return engine_overrides(fixed, "--set/--params")
    except RulebookError as e:
        fail_with_problems(e.problems)


def warm_starts(values, columns, steps: int) -> tuple[tuple[str, int], ...]:
    """`--warm-start PILOT=DATE|DAYS` as (pilot, days), checked (exit 2 with the reason)."""
    from ..experiments.compare import warm_start_days

    out = []
    for v in values or ():
        pilot, eq, when = str(v).rpartition("=")
        if not eq or not pilot or not when:
            fail(f"--warm-start {v}: expected PILOT=DATE (YYYY-MM-DD, measured from that date) or PILOT=DAYS")
        if pilot not in columns:
            fail(f"--warm-start {v}: {pilot} is not among the pilots compared ({', '.join(columns)})")
        try:
            out.append((pilot, warm_start_days(pilot, when, steps)))
        except ValueError as e:
            fail(f"--{e}")
    if len({p for p, _ in out}) < len(out):
        fail("--warm-start: a pilot is given two warm starts")
    return tuple(out)


def resolve_pilots(names) -> list[str]:
    """Check every pilot or rulebook file up front, so a typo fails before hours of runs."""
    from ..pilots import resolve_rulebook
    from ..rulebook.errors import RulebookError
    from .common import fail_with_problems

    for n in names:
        try:
            resolve_rulebook(n)
        except RulebookError as e:  # located problems, exit 2, no traceback
            fail_with_problems(e.problems)
    return list(names)


def _group(spec) -> str:
    """The progress bar a run belongs to."""
    return {"levers": f"{spec.pilot} levers", "counterfactual": f"{spec.pilot} switched off"}.get(spec.role, spec.pilot)


def _nothing_kept(config, title: str) -> str:
    return (f"{title} keeps no runs until it finishes, so nothing was written; run the same command again to "
            "start afresh (fewer --seeds or a smaller --population finish sooner)")


@on_interrupt(_nothing_kept)
def run_with_progress(config, title: str):
    """Run a comparison with one progress bar per pilot (and per lever decomposition)."""
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn

    from ..experiments import compare, plan
    from .common import LazyProgress

    specs = plan(config)
    groups: dict[str, int] = {}
    for s in specs:
        key = _group(s)
        groups[key] = groups.get(key, 0) + 1
    warm = "".join(f"; {p} measured after {d:,} days of warm start" for p, d in config.warm_start if d)
    console.print(f"[bold]{title}[/bold]: {len(specs)} runs of {config.population:,} citizens x {config.steps} days "
                  f"on {config.workers} worker{'s' if config.workers != 1 else ''}{warm}")
    t0 = time.perf_counter()
    with LazyProgress(TextColumn("{task.description:<26}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn()) as bars:
        for k, n in groups.items():
            bars.add(k, total=n)

        def tick(spec, outcome) -> None:
            bars.advance(_group(spec))

        cmp = compare(config, progress=tick)
    cmp.manifest["wall_seconds"] = round(time.perf_counter() - t0, 2)
    return cmp


SYMBOLS = {"supported": ("✓", "green"), "not supported": ("✗", "red"), "mixed": ("~", "yellow"),
           "too few events": ("?", "magenta"),
           "n/a": ("·", "dim"), "not tested": ("–", "dim"), "not run": ("", "dim"), "baseline": ("base", "dim")}


def print_claims(cmp) -> None:
    """Verdicts as a pilots x claims grid that fits a terminal; numbers are in the report."""
    from rich.table import Table

    t = Table(title=f"Verdicts at {cmp.config.confidence:.0%} over {cmp.config.seeds} seed"
                    f"{'s' if cmp.config.seeds != 1 else ''}", show_lines=False)
    t.add_column("pilot")
    ids = list(cmp.verdicts[cmp.columns[0]])
    for cid in ids:
        t.add_column(cid, justify="center")
    for c in cmp.columns:
        cells = []
        for cid in ids:
            sym, col = SYMBOLS.get(cmp.verdicts[c][cid], ("?", "dim"))
            cells.append(f"[{col}]{sym}[/{col}]")
        label = Path(c).stem if c.endswith((".yaml", ".yml")) else c  # a file: its name, not its path
        t.add_row(label + ("*" if cmp.roles[c] == "reference" else ""), *cells)
    console.print(t)
    console.print("[green]✓[/green] supported  [red]✗[/red] not supported  [yellow]~[/yellow] mixed  "
                  f"[magenta]?[/magenta] too few events (fewer than {cmp.config.min_events} pooled)  "
                  "– not tested (the rulebook lacks the mechanism, or nothing to compare; reasons in the "
                  "report)  blank: not run  * reference")
    console.print("[dim]" + "; ".join(f"{r['id']} {r['claim']}" for r in cmp.claims_table()) + "[/dim]")
    print_evidence(cmp)


def evidence_lines(cmp) -> list[str]:
    """One line per column and claim counted in events (C2, C3, C5, C9) whose verdict was
    read: the verdict, the events it rests on pooled over seeds, and what a "too few events"
    cell's interval alone reads."""
    from ..experiments.compare import evidence_note

    lines = []
    for r in cmp.claims_table():
        for c, x in r["cells"].items():
            if x.get("evidence") is None or x["verdict"] in ("not tested", "not run", "baseline"):
                continue
            label = Path(c).stem if c.endswith((".yaml", ".yml")) else c
            lines.append(f"{r['id']} {label}: {x['verdict']}, {evidence_note(x, cmp.config.confidence)}")
    return lines


def print_evidence(cmp) -> None:
    lines = evidence_lines(cmp)
    if lines:
        console.print("[bold]Evidence[/bold] (events pooled over seeds, for the claims counted in events):")
        for line in lines:
            console.print("  " + line, highlight=False)


@app.command("compare")
def compare_cmd(
    pilots: list[str] = typer.Argument(..., help="bundled pilots or rulebook files"),
    population: int = typer.Option(5_000, "--population", "-n", help="citizens per run"),
    steps: int = typer.Option(365, "--steps", "-t", help="days per run"),
    seeds: int = typer.Option(5, "--seeds", "-k", help="runs per pilot, seeds seed..seed+K-1"),
    seed: int = typer.Option(1, "--seed", "-s", help="first seed"),
    no_references: bool = typer.Option(False, "--no-references",
                                       help="leave out the references (rule-of-law, and none: the no-SCS baseline)"),
    levers: list[str] = typer.Option(None, "--levers",
                                     help="pilot to decompose by lever for C11, 16 runs per seed (repeatable; "
                                          "default: the first pilot)"),
    no_levers: bool = typer.Option(False, "--no-levers", help="skip the lever decomposition (C11)"),
    confidence: float = typer.Option(0.95, "--confidence", help="interval and verdict confidence"),
    min_events: int = typer.Option(MIN_EVENTS, "--min-events",
                                   help="fewest pooled events (wrongful listings for C3, ...) under which a "
                                        "supported or not supported reads 'too few events' (0: no minimum; "
                                        "docs/metrics.md)"),
    workers: int = typer.Option(2, "--workers", "-w", help="worker processes (results do not depend on it)"),
    set_: list[str] = typer.Option(None, "--set", help="engine weight for every run, PATH=VALUE, e.g. "
                                   "engine.w_virtue=2 (repeatable; docs/sweeps.md)"),
    params_file: Path = typer.Option(None, "--params", help="YAML file of engine.* PATH: VALUE for every run"),
    out: Path = typer.Option(Path("reports/compare"), "--out", "-o",
                             help="folder for report.html and report.json (the numbers)"),
    warm_start: list[str] = typer.Option(None, "--warm-start",
                                         help="PILOT=DATE: run PILOT from its calendar's start and measure it "
                                              "from DATE for --steps days (or PILOT=DAYS run first; repeatable)"),
) -> None:
    """Compare pilots on the critics' claims C1..C11 and write an HTML report.

    Each pilot runs over K seeds (and the references unless --no-references); every metric
    is reported as its mean with a t-interval over seeds, and each claim gets a verdict.
    """
    from ..experiments import CompareConfig
    from ..report import write_report

    check_sizes(population, steps, seeds)
    if not 0.5 <= confidence < 1.0:
        fail(f"--confidence must be in [0.5, 1), got {confidence}")
    if not 1 <= workers <= 64:
        fail(f"--workers must be in 1..64, got {workers}")
    if min_events < 0:
        fail(f"--min-events must be 0 or more (0: no minimum), got {min_events}")
    params = engine_settings(set_, params_file)
    names = resolve_pilots(pilots)
    lever_pilots = [] if no_levers else (resolve_pilots(levers) if levers else names[:1])
    if params and params.get("measure_from"):
        fail("--set engine.measure_from: give the pilot a warm start instead (--warm-start PILOT=DATE)")
    columns = list(dict.fromkeys(names)) + ([] if no_references else ["rule-of-law", "none"])
    config = CompareConfig(pilots=tuple(names), population=population, steps=steps, seeds=seeds, first_seed=seed,
                           references=not no_references, levers=tuple(lever_pilots), confidence=confidence,
                           min_events=min_events, workers=workers, params=params, warm_start=warm_starts(warm_start, columns, steps))
    cmp = run_with_progress(config, "compare")
    print_claims(cmp)
    from ..audit import report_sections  # each pilot's audit verdict, after the claims

    path = write_report(cmp, out / "report.html", extra_sections=report_sections(config.pilots))
    console.print(f"numbers: {path.with_suffix('.json')}")
    console.print(f"report: [bold]{path}[/bold]")
