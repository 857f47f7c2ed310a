"""`scslab runs`: list the run folders under a root, or query them with SQL."""

from __future__ import annotations

import math

import typer
from rich.table import Table

from . import app
from .common import console, err_console, fail

# Manifest fields worth a column in the listing, when the runs have them.
_PREFERRED = ["rulebook", "rulebook_name", "rulebook_hash", "levers", "seed", "population", "steps", "created"]
_MAX_ROWS = 200  # a rich table longer than this is unreadable; --csv prints everything


def _cell(value) -> str:
    import pandas as pd  # already loaded by then; kept out of CLI start-up

    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    return str(value)


def _print_frame(df, title: str | None = None) -> None:
    t = Table(title=title, show_lines=False)
    for col in df.columns:
        t.add_column(
            str(col), justify="right" if df[col].dtype.kind in "iuf" else "left", overflow="fold"
        )
    for row in df.head(_MAX_ROWS).itertuples(index=False):
        t.add_row(*(_cell(v) for v in row))
    console.print(t)
    if len(df) > _MAX_ROWS:
        console.print(f"[dim]{len(df)} rows; first {_MAX_ROWS} shown (use --csv for all)[/dim]")


@app.command()
def runs(
    root: str = typer.Argument("runs", help="a folder holding run folders (searched a few levels deep), or one run folder"),
    sql: str = typer.Option(None, "--sql", help="a SQL query over the views `runs`, `steps`, `citizens`, ..."),
    csv: bool = typer.Option(False, "--csv", help="print CSV instead of a table"),
    database: str = typer.Option(None, "--database", help="also save the catalog to this .duckdb file"),
) -> None:
    """List the runs under ROOT, or run a SQL query across them (incomplete runs are skipped)."""
    import duckdb

    from ..store import Catalog, RunFolderError

    try:
        catalog = Catalog(root, database=database)
    except (RunFolderError, duckdb.Error) as e:
        fail(str(e))
    with catalog:
        for path in catalog.skipped:
            err_console.print(f"[yellow]skipped[/yellow] {path}: incomplete run", markup=True)
        if sql is not None:
            try:
                df = catalog.sql(sql)
            except duckdb.Error as e:
                fail(f"SQL: {e}")
            if csv:
                typer.echo(df.to_csv(index=False), nl=False)
            else:
                _print_frame(df)
            return
        df = catalog.sql("select * from runs order by run_id")
        shown = [c for c in _PREFERRED if c in df.columns]
        if not shown:
            shown = [c for c in df.columns if c not in ("run_id", "path")][:6]
        listing = df[["run_id", *shown]].copy()
        if "rulebook_hash" in listing:
            listing["rulebook_hash"] = listing["rulebook_hash"].map(lambda h: h[:8] if isinstance(h, str) else h)
        listing = listing.rename(columns={"rulebook_hash": "hash"})
        if "rulebook" not in listing:
            listing = listing.rename(columns={"rulebook_name": "rulebook"})
        if csv:
            typer.echo(listing.to_csv(index=False), nl=False)
            return
        _print_frame(listing, title=f"Runs under {root}")
        console.print(
            f"{len(catalog.runs)} complete run{'s' if len(catalog.runs) != 1 else ''}"
            + (f", {len(catalog.skipped)} incomplete skipped" if catalog.skipped else "")
            + (f"; views: runs, {', '.join(catalog.tables)}" if catalog.tables else "")
        )
