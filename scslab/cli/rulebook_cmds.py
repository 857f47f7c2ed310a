"""`scslab pilots` and `scslab validate`."""

from __future__ import annotations

from collections import Counter

import typer
from rich.table import Table
from rich.text import Text

from . import app
from .common import console, plain, safe


@app.command()
def pilots(
    export: str = typer.Option(None, "--export", help="print this pilot as YAML, to copy and edit"),
    names: bool = typer.Option(False, "--names", help="print the names only, one per line"),
) -> None:
    """List the bundled pilots, or export one as YAML."""
    from ..pilots import PILOTS, all_pilots, is_pilot, load_pilot, pilot_text

    if export is not None:
        if not is_pilot(export):
            from .common import fail

            fail(f"no bundled pilot '{export}'; choose one of: {', '.join(all_pilots())}")
        typer.echo(pilot_text(export), nl=False)
        return
    if names:
        typer.echo("\n".join(PILOTS))
        return
    table = Table(title="Bundled pilots", show_lines=False)
    table.add_column("name", style="bold", no_wrap=True, overflow="fold")
    table.add_column("jurisdiction")
    table.add_column("behaviours", justify="right")
    table.add_column("lists", justify="right")
    table.add_column("what it is")
    for name in PILOTS:
        rb = load_pilot(name)
        table.add_row(
            name,
            plain(rb.metadata.jurisdiction),
            str(len(rb.behaviours)),
            str(len(rb.lists)),
            plain(rb.metadata.title),
        )
    console.print(table)


@app.command()
def validate(
    rulebook: str = typer.Argument(..., help="a rulebook file, or the name of a bundled pilot"),
) -> None:
    """Check a rulebook; print every problem (file:line:col: field: message) or a summary."""
    from ..pilots import resolve_rulebook

    rb = resolve_rulebook(rulebook)  # RulebookError -> located messages, exit 2 (see main)
    # Everything shown comes from the user's file: escaped (no raw control characters
    # reach the terminal), never read as markup, and cut when very long.
    md = rb.metadata
    console.print(Text.assemble(("ok", "green"), f" {safe(rulebook)}: {safe(md.title)} "
                                f"({safe(md.jurisdiction)}, version {safe(md.version)})"))
    t = Table(show_header=False, box=None, pad_edge=False)
    t.add_column(style="bold")
    t.add_column()
    status = Counter(b.legal_status for b in rb.behaviours)

    def row(label: str, text: str) -> None:
        t.add_row(label, plain(text, limit=2_000))

    row("scale", f"{rb.scale.min:g}..{rb.scale.max:g}, base {rb.scale.base:g}")
    row("grades", ", ".join(f"{safe(g.name)} [{g.min:g},{g.max:g})" for g in rb.grades))
    row(
        "behaviours",
        f"{len(rb.behaviours)}: " + ", ".join(f"{k} {v}" for k, v in sorted(status.items())) if rb.behaviours else "none",
    )
    row("data sources", ", ".join(safe(d.id) for d in rb.data_sources) or "none")
    row(
        "lists",
        ", ".join(f"{safe(x.id)} ({x.kind}, {x.scope}, {x.duration_days or 'indefinite'} days)" for x in rb.lists) or "none",
    )
    sectors = sorted({m.sector for m in rb.sanctions})
    row("sanctioned sectors", f"{len(sectors)}: {', '.join(map(safe, sectors))}" if sectors else "none")
    psectors = sorted({m.sector for m in rb.privileges})
    row("privileged sectors", f"{len(psectors)}: {', '.join(map(safe, psectors))}" if psectors else "none")
    row("appeals", "available" if rb.appeals.available else "none")
    console.print(t)
