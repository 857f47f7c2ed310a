"""`scslab audit`: lint a rulebook against rule-of-law principles and AI Act Art. 5(1)(c)."""

from __future__ import annotations

import sys

import typer

from . import app
from .common import console, fail


def _codes(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for v in values or []:
        out += [c.strip() for c in v.split(",") if c.strip()]
    return out


@app.command()
def audit(
    rulebook: str = typer.Argument(..., help="a rulebook file, or the name of a bundled pilot"),
    format: str = typer.Option("text", "--format", "-f", help="text, json or sarif"),
    select: list[str] = typer.Option(None, "--select", help="rule codes, prefixes (SCS2), names or principles to run, or ALL; comma-separated"),
    ignore: list[str] = typer.Option(None, "--ignore", help="rule codes, prefixes, names or principles to skip; comma-separated"),
    fail_on: str = typer.Option("high", "--fail-on", help="exit 1 when a finding is at or above: low, medium, high, critical, or never (any case)"),
    relatedness: str = typer.Option(None, "--relatedness", help="YAML file mapping behaviour domains to related sectors"),
    simulate: bool = typer.Option(False, "--simulate", help="attach evidence measured in a simulation run"),
    population: int = typer.Option(20_000, "--population", "-n", help="with --simulate: citizens simulated"),
    steps: int = typer.Option(365, "--steps", "-t", help="with --simulate: days simulated"),
    seed: int = typer.Option(0, "--seed", help="with --simulate: random seed"),
    output: str = typer.Option(None, "--output", "-o", help="write the report to this file instead of the terminal"),
) -> None:
    """Audit a rulebook: located findings, the AI Act verdict and a scorecard per principle.

    Exit status: 0 no finding at or above --fail-on, 1 some, 2 bad input.
    """
    from ..audit import audit_file, load_relatedness
    from ..audit.findings import SEVERITIES, at_least

    fmt = format.strip().lower()
    if fmt not in ("text", "json", "sarif"):
        fail(f"--format must be text, json or sarif, not '{format}'")
    severity = fail_on.strip().lower()
    if severity not in (*SEVERITIES, "never"):
        fail(f"--fail-on must be one of {', '.join(SEVERITIES)} or never, not '{fail_on}'")
    if output:  # before any work: a long --simulate must not end in an unwritable path
        from ..audit.output import output_problem

        why = output_problem(output)
        if why:
            _output_error(output, why)
    if simulate:
        from ..audit.evidence import available
        from ..audit.simulation import SimulationSettings

        ok, why = available()
        if not ok:
            fail(why)
        settings = SimulationSettings(population, steps, seed)
        why = settings.problem()
        if why:
            fail(why)
    rel = load_relatedness(relatedness)  # RulebookError -> located messages, exit 2 (see main)
    try:
        report = audit_file(rulebook, select=_codes(select), ignore=_codes(ignore), relatedness=rel)
    except ValueError as e:  # unknown rule code
        fail(str(e))
    if simulate:
        try:
            _attach_simulated_evidence(report, settings)
        except ValueError as e:  # the engine's checks of run parameters (e.g. memory): one line, exit 2
            fail(str(e))

    if fmt == "text":
        if output:
            from ..audit.text_report import text_report

            _write(output, text_report(report))
        else:
            from ..audit.text_report import render_text

            render_text(report, console)
    else:
        if fmt == "json":
            from ..audit.json_report import json_report as render
        else:
            from ..audit.sarif import sarif_report as render
        text = render(report) + "\n"
        if output:
            _write(output, text)
        else:
            sys.stdout.write(text)
    if severity != "never" and at_least(report.findings, severity):
        raise typer.Exit(1)


def _attach_simulated_evidence(report, settings) -> None:
    """Run the rulebook with a progress bar on stderr (stdout stays clean for JSON and SARIF)."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn

    from ..audit.evidence import attach_evidence, evidence_counts
    from ..audit.simulation import run_for_audit
    from .common import LazyProgress, err_console

    with LazyProgress(TextColumn("[bold]simulating[/bold] {task.description}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("days"), TimeRemainingColumn(), console=err_console, transient=True) as bars:
        task = bars.add(f"{report.rulebook.metadata.name} ({settings.describe()})", total=settings.steps)
        result = run_for_audit(report.rulebook, settings,
                               progress=lambda done, total: bars.update(task, completed=done))
    attach_evidence(report.findings, result, report.rulebook)
    c = evidence_counts(report.findings)
    err_console.print(f"simulated {settings.describe()}: evidence for {c['observed'] + c['not_observed']} of "
                      f"{c['findings']} findings: {c['observed']} observed in the run, {c['not_observed']} not "
                      f"observed at this size, {c['no_evidence']} with nothing a run can measure", style="dim")


def _output_error(path: str, why: str) -> None:
    """A located error about --output (the path, then what is wrong with it), exit status 2."""
    from ..rulebook.errors import Problem
    from .common import fail_with_problems

    fail_with_problems([Problem(path, 0, 0, (), f"--output: {why}")])


def _write(path: str, text: str) -> None:
    """Write atomically (a reader never sees half a report), with the user's umask."""
    from ..audit.output import write_text_atomic

    try:
        write_text_atomic(path, text)
    except OSError as e:  # e.g. the directory went away, or the disk is full
        _output_error(path, f"cannot write: {e.strerror or e}")
