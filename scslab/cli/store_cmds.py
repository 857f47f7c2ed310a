"""`scslab runs`: list the run folders under a root, or query them with SQL."""

from __future__ import annotations

import math
import sys

import typer
from rich.table import Table

from . import app
from .common import console, fail, note, plain, safe

# Manifest fields worth a column in the listing, when the runs have them.
_PREFERRED = ["rulebook", "rulebook_name", "rulebook_hash", "levers", "seed", "population", "steps", "created"]
_MAX_ROWS = 200  # a rich table longer than this is unreadable; --csv prints everything


def _cell(value) -> str:
    import pandas as pd  # already loaded by then; kept out of CLI start-up

    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    return str(value)  # made safe (control characters escaped, cut) where it is shown


def _print_frame(df, title: str | None = None) -> None:
    t = Table(title=plain(title) if title else None, show_lines=False)
    for col in df.columns:
        t.add_column(
            plain(col), justify="right" if df[col].dtype.kind in "iuf" else "left", overflow="fold"
        )
    for row in df.head(_MAX_ROWS).itertuples(index=False):
        t.add_row(*(plain(_cell(v)) for v in row))
    console.print(t)
    if len(df) > _MAX_ROWS:
        console.print(f"[dim]{len(df)} rows; first {_MAX_ROWS} shown (use --csv for all)[/dim]")


def _echo_csv(df) -> None:
    """CSV on stdout: as it is for a pipe or a file; control characters escaped for a terminal."""
    text = df.to_csv(index=False)
    if sys.stdout.isatty():
        text = safe(text, limit=None, lines=True)
    typer.echo(text, nl=False)


@app.command()
def runs(
    root: str = typer.Argument("runs", help="a folder holding run folders (searched a few levels deep), or one run folder"),
    sql: str = typer.Option(None, "--sql", help="a SQL query over the views `runs`, `steps`, `citizens`, ..."),
    csv: bool = typer.Option(False, "--csv", help="print CSV instead of a table"),
    database: str = typer.Option(None, "--database", help="also save the catalog to this .duckdb file"),
) -> None:
    """List the runs under ROOT, or run a SQL query across them (incomplete runs are skipped).

    Queries are read-only: one SELECT over the catalog, with no access to files, the network
    or extensions. --database writes a new file, or replaces a catalog scslab wrote.
    """
    import duckdb

    from ..store import Catalog, RunFolderError
    from ..store.catalog import QueryRefused

    try:
        catalog = Catalog(root, database=database)
    except (RunFolderError, duckdb.Error) as e:
        fail(str(e))
    except OSError as e:
        fail(f"cannot write {database}: {e.strerror or e}")
    with catalog:
        for path in catalog.skipped:
            note(f"skipped {catalog.reasons.get(path, path)}")
        if sql is not None:
            try:
                df = catalog.sql(sql)
            except (duckdb.Error, QueryRefused) as e:
                fail(f"SQL: {e}")
            if csv:
                _echo_csv(df)
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
            _echo_csv(listing)
            return
        _print_frame(listing, title=f"Runs under {safe(root)}")
        console.print(
            f"{len(catalog.runs)} complete run{'s' if len(catalog.runs) != 1 else ''}"
            + (f", {len(catalog.incomplete)} incomplete skipped" if catalog.incomplete else "")
            + (f", {damaged} damaged skipped" if (damaged := len(catalog.skipped) - len(catalog.incomplete)) else "")
            + (f"; views: runs, {', '.join(catalog.tables)}" if catalog.tables else "")
        )
