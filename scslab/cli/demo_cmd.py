"""`scslab demo`: the main job in one command. Compare every bundled pilot on the claims."""

from __future__ import annotations

from pathlib import Path

import typer

from . import app
from .common import console, on_interrupt

# A modest size: a few minutes on two cores, large enough that listings happen.
DEMO_POPULATION = 5_000
DEMO_STEPS = 365
DEMO_SEEDS = 5
DEMO_BOX_SAMPLES = 8  # Latin-hypercube points per pilot's plausible box, 2 seeds each, smaller runs
DEMO_BOX_POPULATION = 2_000
DEMO_LEVERS = ("rongcheng",)  # the lever decomposition (16 runs per seed) for the flagship municipal pilot
# Calibrated pilots whose calendar starts before the system was full-grown, measured later: the
# court list from October 2013, when few courts listed anyone, measured over the year to its
# last calibrated figure (9 July 2019). docs/calibration.md, "The claims on the calibrated pilots".
DEMO_WARM_START = {"court-blacklist-calibrated": "2018-07-09"}


def demo_pilots() -> tuple[str, ...]:
    """The real pilots the demo compares: each one's calibrated version where one ships."""
    from ..experiments import REFERENCES
    from ..pilots import CALIBRATED, PILOTS

    calibrated = {base: name for name, base in CALIBRATED.items()}
    return tuple(calibrated.get(p, p) for p in PILOTS if p not in REFERENCES)


@app.command()
def demo(
    population: int = typer.Option(DEMO_POPULATION, "--population", "-n", help="citizens per run"),
    steps: int = typer.Option(DEMO_STEPS, "--steps", "-t", help="days per run"),
    seeds: int = typer.Option(DEMO_SEEDS, "--seeds", "-k", help="runs per pilot"),
    workers: int = typer.Option(2, "--workers", "-w", help="worker processes"),
    out: Path = typer.Option(Path("reports/demo.html"), "--out", "-o", help="the report to write"),
    box_samples: int = typer.Option(DEMO_BOX_SAMPLES, "--box-samples",
                                    help="points of each pilot's plausible box to sweep for robustness (0: none)"),
    warm_start: list[str] = typer.Option(None, "--warm-start",
                                         help="PILOT=DATE: run PILOT from its calendar's start, measure from DATE "
                                              "(repeatable; default: " + ", ".join(
                                                  f"{k}={v}" for k, v in DEMO_WARM_START.items()) + ")"),
    no_warm_start: bool = typer.Option(False, "--no-warm-start",
                                       help="measure every pilot from its first day"),
) -> None:
    """Compare the bundled pilots against the references on every claim; write reports/demo.html."""
    import time

    from ..experiments import CompareConfig
    from ..report import write_report
    from .compare_cmds import check_sizes, print_claims, run_with_progress, warm_starts

    check_sizes(population, steps, seeds)
    t0 = time.perf_counter()
    pilots = demo_pilots()
    levers = tuple(p for p in DEMO_LEVERS if p in pilots) or pilots[:1]
    given = [] if no_warm_start else (warm_start or [f"{k}={v}" for k, v in DEMO_WARM_START.items() if k in pilots])
    config = CompareConfig(pilots=pilots, population=population, steps=steps, seeds=seeds, levers=levers,
                           workers=max(1, workers),
                           warm_start=warm_starts(given, list(pilots) + ["rule-of-law", "none"], steps))
    cmp = run_with_progress(config, "demo")
    cmp.manifest["reproduce"] = (f"scslab demo --population {population} --steps {steps} --seeds {seeds}"
                                 f" --box-samples {box_samples} --out {out}"
                                 + ("".join(f" --warm-start {p}={d}" for p, d in config.warm_start)
                                    or " --no-warm-start"))
    if box_samples > 0:
        cmp.robustness = box_with_progress(config, box_samples, min(population, DEMO_BOX_POPULATION), steps, workers)
    print_claims(cmp)
    from ..audit import report_sections  # each pilot's audit verdict, after the claims

    path = write_report(cmp, out, title="scslab demo: the bundled pilots and the critics' claims",
                        extra_sections=[calibration_section(config), *report_sections(config.pilots)])
    console.print(f"demo finished in {time.perf_counter() - t0:.0f} s")
    console.print(f"report: [bold]{path}[/bold]")


@on_interrupt(lambda *a, **k: "the demo keeps no runs until it finishes, so nothing was written; run the same "
              "command again to start afresh (--box-samples 0 skips this last part)")
def calibration_section(config) -> tuple[str, str]:
    """The report's note on the calibrated pilots: what each was fitted to and which days are
    measured (the verdicts calibration changed, and why, are in docs/calibration.md)."""
    import datetime as dt
    from html import escape

    from ..pilots import CALIBRATED, resolve_rulebook

    items = []
    for name in config.pilots:
        if name not in CALIBRATED:
            continue
        rb = resolve_rulebook(name)
        ref = next((r.citation for r in rb.metadata.references if r.id == "calibrated"), "")
        start = rb.calendar.start if rb.calendar is not None else rb.metadata.effective
        w = config.warmup(name)
        first = start + dt.timedelta(days=w)
        last = first + dt.timedelta(days=config.steps - 1)
        when = (f"run from {start} and measured from {first} to {last} (a warm start of {w:,} days)" if w
                else f"measured from its first day, {start}, to {last}")
        items.append(f"<li><b>{escape(name)}</b> (uncalibrated: {escape(CALIBRATED[name])}): {escape(when)}. "
                     f"Fitted: {escape(ref)}</li>")
    html = ("<p>The real pilots run calibrated where a calibrated version ships. Which verdicts calibration "
            "changed, and which number caused each change, is in docs/calibration.md (\"The claims on the "
            "calibrated pilots\").</p><ul>" + "".join(items) + "</ul>")
    return "Calibrated pilots", html


def box_with_progress(config, samples: int, population: int, steps: int, workers: int) -> dict:
    """Each pilot's verdicts over its plausible box: a small sweep, with a progress bar."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn

    from ..experiments.sweep import box_robustness
    from .common import LazyProgress

    with LazyProgress(TextColumn("{task.description:<26}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn()) as bars:
        task = bars.add("plausible boxes", total=None)
        res = box_robustness(config.columns[:-1] if config.columns[-1] == "none" else config.columns,
                             samples=samples, population=population, steps=steps, workers=max(1, workers),
                             progress=lambda d, n: bars.update(task, completed=d, total=n),
                             warm_start=dict(config.warm_start))
    return {p: r.robustness for p, r in res.items()}
