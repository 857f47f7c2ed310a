"""`scslab pilots` and `scslab validate`."""

from __future__ import annotations

from collections import Counter

import typer
from rich.table import Table

from . import app
from .common import console


@app.command()
def pilots(
    export: str = typer.Option(None, "--export", help="print this pilot as YAML, to copy and edit"),
    names: bool = typer.Option(False, "--names", help="print the names only, one per line"),
) -> None:
    """List the bundled pilots, or export one as YAML."""
    from ..pilots import PILOTS, load_pilot, pilot_text

    if export is not None:
        if export not in PILOTS:
            from .common import fail

            fail(f"no bundled pilot '{export}'; choose one of: {', '.join(PILOTS)}")
        typer.echo(pilot_text(export), nl=False)
        return
    if names:
        typer.echo("\n".join(PILOTS))
        return
    table = Table(title="Bundled pilots", show_lines=False)
    table.add_column("name", style="bold")
    table.add_column("jurisdiction")
    table.add_column("behaviours", justify="right")
    table.add_column("lists", justify="right")
    table.add_column("what it is")
    for name in PILOTS:
        rb = load_pilot(name)
        table.add_row(
            name,
            rb.metadata.jurisdiction,
            str(len(rb.behaviours)),
            str(len(rb.lists)),
            rb.metadata.title,
        )
    console.print(table)


@app.command()
def validate(
    rulebook: str = typer.Argument(..., help="a rulebook file, or the name of a bundled pilot"),
) -> None:
    """Check a rulebook; print every problem (file:line:col: field: message) or a summary."""
    from ..pilots import resolve_rulebook

    rb = resolve_rulebook(rulebook)  # RulebookError -> located messages, exit 2 (see main)
    console.print(f"[green]ok[/green] {rulebook}: {rb.metadata.title} ({rb.metadata.jurisdiction}, version {rb.metadata.version})")
    t = Table(show_header=False, box=None, pad_edge=False)
    t.add_column(style="bold")
    t.add_column()
    status = Counter(b.legal_status for b in rb.behaviours)
    t.add_row("scale", f"{rb.scale.min:g}..{rb.scale.max:g}, base {rb.scale.base:g}")
    t.add_row("grades", ", ".join(f"{g.name} [{g.min:g},{g.max:g})" for g in rb.grades))
    t.add_row(
        "behaviours",
        f"{len(rb.behaviours)}: " + ", ".join(f"{k} {v}" for k, v in sorted(status.items())) if rb.behaviours else "none",
    )
    t.add_row("data sources", ", ".join(d.id for d in rb.data_sources) or "none")
    t.add_row(
        "lists",
        ", ".join(f"{x.id} ({x.kind}, {x.scope}, {x.duration_days or 'indefinite'} days)" for x in rb.lists) or "none",
    )
    sectors = sorted({m.sector for m in rb.sanctions})
    t.add_row("sanctioned sectors", f"{len(sectors)}: {', '.join(sectors)}" if sectors else "none")
    psectors = sorted({m.sector for m in rb.privileges})
    t.add_row("privileged sectors", f"{len(psectors)}: {', '.join(psectors)}" if psectors else "none")
    t.add_row("appeals", "available" if rb.appeals.available else "none")
    console.print(t)
