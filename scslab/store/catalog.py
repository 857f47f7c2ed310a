"""A DuckDB catalog over many run folders: SQL across runs.

``Catalog(root)`` finds the complete run folders under ``root`` (incomplete ones are
skipped and listed in ``catalog.skipped``) and defines:

- ``runs``: one row per run: ``run_id``, ``path``, and the manifest's fields flattened
  (nested objects joined with ``_``: ``{"rulebook": {"name": ..}}`` -> ``rulebook_name``;
  lists are stored as JSON text);
- one view per table name found in any run (``steps``, ``citizens``, ...), the union of
  that table over all runs that have it, by column name, with a leading ``run_id`` column.

The views read the Parquet files in place; nothing is copied but the small ``runs`` table.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import RunFolderError
from .run_folder import (
    COMPLETE,
    INCOMPLETE,
    RESERVED_NAMES,
    RunFolder,
    open_run,
)

__all__ = ["Catalog", "find_run_folders"]

_MAX_DEPTH = 4  # how deep under a root to look for run folders (sweeps nest a level or two)
_FILES_TABLE = "_run_files"  # (run_id, table_name, file): how views map files to runs


def _is_run_folder(p: Path) -> bool:
    return (p / COMPLETE).is_file() or (p / INCOMPLETE).is_file()


def find_run_folders(root: str | os.PathLike, max_depth: int = _MAX_DEPTH) -> list[Path]:
    """Run folders (complete or not) at or under ``root``, sorted; hidden folders skipped."""
    root = Path(root)
    if not root.is_dir():
        raise RunFolderError(f"{root}: no such folder")
    if _is_run_folder(root):
        return [root]
    found: list[Path] = []

    def walk(d: Path, depth: int) -> None:
        try:
            children = sorted(c for c in d.iterdir() if c.is_dir() and not c.name.startswith("."))
        except PermissionError:
            return
        for c in children:
            if _is_run_folder(c):
                found.append(c)  # a run folder's subfolders are its own business
            elif depth < max_depth:
                walk(c, depth + 1)

    walk(root, 1)
    return found


def _flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}_"))
        elif isinstance(value, list):
            out[name] = json.dumps(value, sort_keys=True)
        else:
            out[name] = value
    return out


def _column(values: list[Any]):
    """An Arrow column for one manifest field; mixed types across runs fall back to text."""
    import pyarrow as pa

    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return pa.array([v if v is None or isinstance(v, str) else json.dumps(v) for v in values])


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class Catalog:
    """SQL over run folders. ``root_or_paths`` is a folder to search (see
    :func:`find_run_folders`) or an iterable of run folders.

    ``run_id`` is the folder's path relative to the root (its name, for a run directly
    under the root); for an explicit list of folders it is the folder name, which must
    then be unique. ``database`` persists the catalog to a ``.duckdb`` file (views keep
    absolute paths to the Parquet files); by default it lives in memory.
    """

    def __init__(
        self,
        root_or_paths: str | os.PathLike | Iterable[str | os.PathLike],
        database: str | os.PathLike | None = None,
    ) -> None:
        import duckdb

        self.runs: list[RunFolder] = []
        self.run_ids: list[str] = []
        self.skipped: list[Path] = []  # incomplete run folders, left out
        for run_id, folder in self._locate(root_or_paths):
            try:
                run = open_run(folder)
            except RunFolderError:
                self.skipped.append(folder)
                continue
            self.runs.append(run)
            self.run_ids.append(run_id)
        self.con = duckdb.connect(str(database) if database is not None else ":memory:")
        self._build()

    @staticmethod
    def _locate(root_or_paths) -> list[tuple[str, Path]]:
        if isinstance(root_or_paths, str | os.PathLike):
            root = Path(root_or_paths)
            folders = find_run_folders(root)
            return [
                (f.name if f == root else f.relative_to(root).as_posix(), f) for f in folders
            ]
        out: list[tuple[str, Path]] = []
        seen: dict[str, Path] = {}
        for item in root_or_paths:
            f = Path(item)
            if f.name in seen:
                raise RunFolderError(
                    f"two run folders named {f.name!r} ({seen[f.name]}, {f}); "
                    "run ids must be unique: pass a common root instead"
                )
            seen[f.name] = f
            out.append((f.name, f))
        return out

    # -- building the views ------------------------------------------------------------
    def _build(self) -> None:
        import pyarrow as pa

        con = self.con
        # Drop what a previous build of a persisted catalog made, and nothing else.
        old_tables: list[str] = []
        # fetchall, not fetchone: DuckDB refuses new work while a result is unfinished.
        if con.execute(
            "select count(*) from information_schema.tables where table_name = ?", [_FILES_TABLE]
        ).fetchall()[0][0]:
            old_tables = [r[0] for r in con.execute(f"select distinct table_name from {_FILES_TABLE}").fetchall()]
        for name in old_tables:
            con.execute(f"drop view if exists {_quote(name)}")

        rows = []
        for run_id, run in zip(self.run_ids, self.runs, strict=True):
            fields = _flatten(run.manifest or {})
            for reserved in ("run_id", "path"):
                if reserved in fields:
                    fields[f"manifest_{reserved}"] = fields.pop(reserved)
            rows.append({"run_id": run_id, "path": str(run.path.resolve()), **fields})
        names: list[str] = ["run_id", "path"]
        for r in rows:
            names.extend(k for k in r if k not in names)
        runs_tbl = pa.table(
            {n: _column([r.get(n) for r in rows]) if rows else pa.array([], pa.string()) for n in names}
        )
        con.register("__runs_arrow", runs_tbl)
        con.execute("create or replace table runs as select * from __runs_arrow order by run_id")
        con.unregister("__runs_arrow")

        files: list[tuple[str, str, str]] = []
        for run_id, run in zip(self.run_ids, self.runs, strict=True):
            for name in run.tables():  # only valid, unreserved names
                files.append((run_id, name, str((run.path / f"{name}.parquet").resolve())))
        files_tbl = pa.table(
            {
                "run_id": pa.array([f[0] for f in files], pa.string()),
                "table_name": pa.array([f[1] for f in files], pa.string()),
                "file": pa.array([f[2] for f in files], pa.string()),
            }
        )
        con.register("__files_arrow", files_tbl)
        con.execute(f"create or replace table {_FILES_TABLE} as select * from __files_arrow")
        con.unregister("__files_arrow")

        self.tables: list[str] = sorted({f[1] for f in files} - RESERVED_NAMES)
        for name in self.tables:
            paths = ", ".join(_literal(f[2]) for f in files if f[1] == name)
            # filename= names the column DuckDB adds, so it cannot clash with a real one.
            con.execute(
                f"create or replace view {_quote(name)} as "
                f"select m.run_id, t.* exclude (__scslab_file) "
                f"from read_parquet([{paths}], filename = '__scslab_file', union_by_name = true) t "
                f"join {_FILES_TABLE} m on m.file = t.__scslab_file and m.table_name = {_literal(name)}"
            )

    # -- querying ----------------------------------------------------------------------
    def sql(self, query: str, params: list | dict | None = None):
        """Run ``query`` and return the result as a pandas DataFrame."""
        return self.con.execute(query, params).df() if params is not None else self.con.execute(query).df()

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Catalog({len(self.runs)} runs, tables={self.tables}, skipped={len(self.skipped)})"
