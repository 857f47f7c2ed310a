"""A DuckDB catalog over many run folders: SQL across runs.

``Catalog(root)`` finds the complete run folders under ``root`` (incomplete or damaged ones
are skipped and listed in ``catalog.skipped``, with the reason in ``catalog.reasons``) and
defines:

- ``runs``: one row per run: ``run_id``, ``path``, and the manifest's fields flattened
  (nested objects joined with ``_``: ``{"rulebook": {"name": ..}}`` -> ``rulebook_name``;
  lists are stored as JSON text);
- one view per table name found in any run (``steps``, ``citizens``, ...), the union of
  that table over all runs that have it, by column name, with a leading ``run_id`` column.

Queries are read-only and reach nothing but the catalog: the tables are handed to DuckDB
as Arrow datasets, then the connection's file system, network and extensions are switched
off (``enable_external_access = false``, no extension autoloading, no scans of Python
variables, no spilling to disk) and its configuration locked; :meth:`Catalog.sql` accepts a
single SELECT (or EXPLAIN) statement. ``database=`` also writes the catalog to a new
``.duckdb`` file (or replaces one scslab wrote, never a database holding anything else).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import IncompleteRunError, RunFolderError
from .run_folder import (
    COMPLETE,
    INCOMPLETE,
    RESERVED_NAMES,
    RunFolder,
    open_run,
)

__all__ = ["Catalog", "QueryRefused", "find_run_folders"]

_MAX_DEPTH = 4  # how deep under a root to look for run folders (sweeps nest a level or two)
_FILES_TABLE = "_run_files"  # (run_id, table_name, file): how views map files to runs
_MARKER_TABLE = "_scslab_catalog"  # marks a .duckdb file as a catalog scslab wrote
_CATALOG_FORMAT = "scslab-catalog/1"
MAX_FIELDS = 2_000  # manifest fields per run (a real manifest has about 140)
_FLATTEN_DEPTH = 8  # objects nested deeper are kept as JSON text
_ALLOWED_STATEMENTS = ("SELECT", "EXPLAIN")
_LOCKDOWN = (
    "SET temp_directory = ''",  # never spill into the working directory (set while it may be)
    "SET enable_external_access = false",  # no files (read_text, COPY, ATTACH, EXPORT), no network
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    "SET python_enable_replacements = false",  # no scans of the caller's Python variables
    "SET lock_configuration = true",  # none of the above can be SET back by a query
)


class QueryRefused(ValueError):
    """A query the read-only catalog does not run (not a single SELECT)."""


def _is_run_folder(p: Path) -> bool:
    return (p / COMPLETE).is_file() or (p / INCOMPLETE).is_file()


def _folders(root: Path, match, max_depth: int) -> list[Path]:
    """Folders at or under ``root`` for which ``match`` holds, sorted; hidden folders and the
    insides of a matched folder or of a run folder are not searched."""
    if match(root):
        return [root]
    found: list[Path] = []

    def walk(d: Path, depth: int) -> None:
        try:
            children = sorted(c for c in d.iterdir() if c.is_dir() and not c.name.startswith("."))
        except OSError:
            return
        for c in children:
            if match(c):
                found.append(c)
            elif depth < max_depth and not _is_run_folder(c):  # a run folder's subfolders are its own
                walk(c, depth + 1)

    walk(root, 1)
    return found


def find_run_folders(root: str | os.PathLike, max_depth: int = _MAX_DEPTH) -> list[Path]:
    """Run folders (complete or not) at or under ``root``, sorted; hidden folders skipped."""
    root = Path(root)
    if not root.is_dir():
        raise RunFolderError(f"{root}: no such folder")
    return _folders(root, _is_run_folder, max_depth)


def _is_sweep_folder(d: Path) -> bool:
    return all((d / f).is_file() for f in ("sweep.json", "runs.parquet", "points.parquet"))


def find_sweep_folders(root: str | os.PathLike, max_depth: int = _MAX_DEPTH) -> list[Path]:
    """Finished sweep folders (sweep.json with runs.parquet and points.parquet) at or under
    ``root``, sorted; run folders and hidden folders are not searched."""
    root = Path(root)
    return _folders(root, _is_sweep_folder, max_depth) if root.is_dir() else []


# Sweep tables in the catalog: table name -> the file of each sweep folder it unites.
SWEEP_TABLES = {"sweep_runs": "runs.parquet", "sweep_points": "points.parquet"}


class _TooMany(Exception):
    pass


def _flatten(obj: dict, limit: int = MAX_FIELDS) -> dict[str, Any]:
    """Manifest fields flattened with ``_``; lists and objects nested too deep as JSON text."""
    out: dict[str, Any] = {}
    stack: list[tuple[dict, str, int]] = [(obj, "", 1)]
    while stack:
        o, prefix, depth = stack.pop()
        for key, value in o.items():
            name = f"{prefix}{key}"
            if isinstance(value, dict) and depth < _FLATTEN_DEPTH:
                stack.append((value, f"{name}_", depth + 1))
                continue
            if isinstance(value, dict | list):
                value = json.dumps(value, sort_keys=True)
            out[name] = value
            if len(out) > limit:
                raise _TooMany
    return dict(sorted(out.items()))


def _column(values: list[Any]):
    """An Arrow column for one manifest field; mixed types across runs fall back to text."""
    import pyarrow as pa

    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
        return pa.array([v if v is None or isinstance(v, str) else json.dumps(v) for v in values])


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _unified(schemas: list):
    """One schema for a table across runs: columns by name, types promoted; a column whose
    types cannot be unified is read as text."""
    import pyarrow as pa

    try:
        return pa.unify_schemas(schemas, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        fields: dict[str, list] = {}
        for s in schemas:
            for f in s:
                fields.setdefault(f.name, []).append(f)
        out = []
        for name, fs in fields.items():
            try:
                out.append(pa.unify_schemas([pa.schema([f]) for f in fs], promote_options="permissive").field(0))
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                out.append(pa.field(name, pa.string()))
        return pa.schema(out)


class Catalog:
    """SQL over run folders. ``root_or_paths`` is a folder to search (see
    :func:`find_run_folders`) or an iterable of run folders.

    ``run_id`` is the folder's path relative to the root (its name, for a run directly
    under the root); for an explicit list of folders it is the folder name, which must
    then be unique. ``database`` also writes the catalog to a ``.duckdb`` file (its views
    keep absolute paths to the Parquet files) that the ``duckdb`` command line can open; a
    file that exists must be a catalog scslab wrote (it is then replaced whole).
    """

    def __init__(
        self,
        root_or_paths: str | os.PathLike | Iterable[str | os.PathLike],
        database: str | os.PathLike | None = None,
    ) -> None:
        import duckdb

        self.runs: list[RunFolder] = []
        self.run_ids: list[str] = []
        self.skipped: list[Path] = []  # incomplete or damaged run folders, left out
        self.reasons: dict[Path, str] = {}  # why each was left out
        self.incomplete: list[Path] = []  # of those, the runs not finished (the others are damaged)
        self._fields: list[dict[str, Any]] = []
        self._schemas: list[dict[str, Any]] = []
        for run_id, folder in self._locate(root_or_paths):
            problem = self._add(run_id, folder)
            if problem:
                self.skipped.append(folder)
                self.reasons[folder] = problem
        # Sweeps under the root: every run of each, with its parameters (sweep_runs), each
        # point's verdicts (sweep_points), and the sweeps themselves (sweeps).
        self.sweep_tables: dict[str, Any] = {}
        if isinstance(root_or_paths, str | os.PathLike):
            self._add_sweeps(Path(root_or_paths))
        if database is not None:
            self._check_database(Path(database))
        self.con = duckdb.connect(":memory:")
        try:
            self._build()
            for statement in _LOCKDOWN:
                self.con.execute(statement)
            if database is not None:
                self._persist(Path(database))
        except BaseException:
            self.con.close()
            raise

    def _add(self, run_id: str, folder: Path) -> str | None:
        """Open one run folder; the reason it is left out, or None."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            run = open_run(folder)
            fields = _flatten(run.manifest or {})
        except IncompleteRunError as e:
            self.incomplete.append(folder)
            return str(e)
        except RunFolderError as e:
            return str(e)
        except _TooMany:
            return f"{folder}: its manifest has more than {MAX_FIELDS:,} fields; not a manifest scslab wrote"
        schemas = {}
        for name in run.tables():
            path = run.path / f"{name}.parquet"
            try:
                schemas[name] = pq.read_schema(path)
            except (pa.ArrowException, OSError, ValueError) as e:
                return f"{path}: not a readable Parquet table ({str(e)[:200]})"
            clash = [c for c in schemas[name].names if c == "run_id"]
            if clash:
                return f"{path}: has a run_id column, which the catalog adds; not a table scslab wrote"
        for reserved in ("run_id", "path"):
            if reserved in fields:
                fields[f"manifest_{reserved}"] = fields.pop(reserved)
        self.runs.append(run)
        self.run_ids.append(run_id)
        self._fields.append(fields)
        self._schemas.append(schemas)
        return None

    def _add_sweeps(self, root: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        parts: dict[str, list] = {name: [] for name in SWEEP_TABLES}
        meta = []
        for folder in find_sweep_folders(root):
            sweep_id = folder.name if folder == root else folder.relative_to(root).as_posix()
            try:
                info = json.loads((folder / "sweep.json").read_text(encoding="utf-8"))
                cfg = info["config"] if isinstance(info, dict) and isinstance(info.get("config"), dict) else None
                if cfg is None:
                    raise ValueError("no config in sweep.json")
                tables = {name: pq.read_table(folder / f) for name, f in SWEEP_TABLES.items()}
            except (OSError, ValueError, KeyError, pa.ArrowException) as e:
                self.skipped.append(folder)
                self.reasons[folder] = f"{folder}: not a sweep folder scslab can read ({str(e)[:200]})"
                continue
            for name, t in tables.items():
                parts[name].append(t.add_column(0, "sweep_id", pa.array([sweep_id] * t.num_rows, pa.string())))
            meta.append({"sweep_id": sweep_id, "path": str(folder.resolve()),
                         **{k: (json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v)
                            for k, v in cfg.items()}})
        for name, ts in parts.items():
            if ts:
                self.sweep_tables[name] = pa.concat_tables(ts, promote_options="permissive")
        if meta:
            names = list(dict.fromkeys(k for m in meta for k in m))
            self.sweep_tables["sweeps"] = pa.table({n: _column([m.get(n) for m in meta]) for n in names})

    def _create_sweep_tables(self, con) -> None:
        for name, table in self.sweep_tables.items():
            con.register("__sweep_arrow", table)
            con.execute(f"create table {_quote(name)} as select * from __sweep_arrow")
            con.unregister("__sweep_arrow")

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

    # -- building ------------------------------------------------------------------------
    def _runs_arrow(self):
        import pyarrow as pa

        rows = [
            {"run_id": run_id, "path": str(run.path.resolve()), **fields}
            for run_id, run, fields in zip(self.run_ids, self.runs, self._fields, strict=True)
        ]
        if not rows:
            return pa.table({"run_id": pa.array([], pa.string()), "path": pa.array([], pa.string())})
        names: dict[str, None] = {"run_id": None, "path": None}  # an ordered set: O(1) per field
        for r in rows:
            names.update(dict.fromkeys(r))
        return pa.table({n: _column([r.get(n) for r in rows]) for n in names}).sort_by("run_id")

    def _files(self) -> list[tuple[str, str, str]]:
        files = []
        for run_id, run in zip(self.run_ids, self.runs, strict=True):
            for name in run.tables():  # only valid, unreserved names
                files.append((run_id, name, str((run.path / f"{name}.parquet").resolve())))
        return files

    @staticmethod
    def _files_arrow(files):
        import pyarrow as pa

        return pa.table(
            {
                "run_id": pa.array([f[0] for f in files], pa.string()),
                "table_name": pa.array([f[1] for f in files], pa.string()),
                "file": pa.array([f[2] for f in files], pa.string()),
            }
        )

    def _build(self) -> None:
        import pyarrow as pa
        import pyarrow.dataset as ds
        import pyarrow.fs as pafs

        con = self.con
        con.register("__runs_arrow", self._runs_arrow())
        con.execute("create table runs as select * from __runs_arrow")
        con.unregister("__runs_arrow")
        files = self._files()
        con.register("__files_arrow", self._files_arrow(files))
        con.execute(f"create table {_FILES_TABLE} as select * from __files_arrow")
        con.unregister("__files_arrow")
        self._create_sweep_tables(con)

        self.tables: list[str] = sorted({f[1] for f in files} - RESERVED_NAMES - set(self.sweep_tables))
        schema_of = {
            (run_id, name): schema
            for run_id, schemas in zip(self.run_ids, self._schemas, strict=True)
            for name, schema in schemas.items()
        }
        for name in self.tables:
            mine = [f for f in files if f[1] == name]
            schema = _unified([schema_of[(f[0], name)] for f in mine])
            schema = pa.schema([pa.field("run_id", pa.string()), *schema])
            # Each file is one "partition" whose run_id is known: DuckDB reads the files
            # through Arrow (so the connection itself needs no file access), filters on
            # run_id skip whole files, and a column a run lacks reads as NULL.
            dataset = ds.FileSystemDataset.from_paths(
                [f[2] for f in mine], schema=schema, format=ds.ParquetFileFormat(),
                filesystem=pafs.LocalFileSystem(), partitions=[ds.field("run_id") == f[0] for f in mine],
            )
            con.register(name, dataset)

    # -- the optional .duckdb file -----------------------------------------------------
    @staticmethod
    def _check_database(target: Path) -> None:
        """Refuse a database file that is not a catalog scslab wrote (before any work)."""
        import duckdb

        if target.exists() and not target.is_file():
            raise RunFolderError(f"{target}: exists and is not a file")
        if not target.exists() or target.stat().st_size == 0:
            return
        try:
            con = duckdb.connect(str(target), read_only=True)
        except duckdb.Error as e:
            raise RunFolderError(f"{target}: not a DuckDB database scslab can open ({str(e)[:200]}); "
                                 "--database writes a new file or replaces a catalog scslab wrote") from None
        try:
            objects = {r[0]: r[1] for r in con.execute(
                "select table_name, table_type from information_schema.tables").fetchall()}
            ours = {"runs", _FILES_TABLE, _MARKER_TABLE}
            if _FILES_TABLE in objects:
                ours |= {r[0] for r in con.execute(f"select distinct table_name from {_FILES_TABLE}").fetchall()}
            others = [f"sequence {r[0]}" for r in con.execute("select sequence_name from duckdb_sequences()").fetchall()]
            others += [f"macro {r[0]}" for r in con.execute(
                "select distinct function_name from duckdb_functions() where not internal").fetchall()]
        finally:
            con.close()
        if _MARKER_TABLE not in objects and _FILES_TABLE not in objects:
            shown = ", ".join(sorted(objects)[:5]) or "nothing scslab made"
            raise RunFolderError(f"{target}: a DuckDB database scslab did not write (it holds {shown}); "
                                 "--database writes a new file or replaces a catalog scslab wrote: "
                                 "choose another file")
        foreign = sorted(set(objects) - ours) + others
        if foreign:
            raise RunFolderError(f"{target}: holds {', '.join(foreign[:5])}, which scslab did not make; it "
                                 "replaces a catalog file only when it holds nothing else: choose another file")

    def _persist(self, target: Path) -> None:
        """Write the catalog to ``target``: built under a temporary name, then renamed over it."""
        import duckdb

        from .atomic import fsync_dir

        tmp = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
        try:
            con = duckdb.connect(str(tmp))
            try:
                con.execute(f"create table {_MARKER_TABLE} as select {_literal(_CATALOG_FORMAT)} as format")
                con.register("__runs_arrow", self._runs_arrow())
                con.execute("create table runs as select * from __runs_arrow")
                con.unregister("__runs_arrow")
                files = self._files()
                con.register("__files_arrow", self._files_arrow(files))
                con.execute(f"create table {_FILES_TABLE} as select * from __files_arrow")
                con.unregister("__files_arrow")
                self._create_sweep_tables(con)
                for name in self.tables:
                    paths = ", ".join(_literal(f[2]) for f in files if f[1] == name)
                    # filename= names the column DuckDB adds, so it cannot clash with a real one.
                    con.execute(
                        f"create view {_quote(name)} as "
                        f"select m.run_id, t.* exclude (__scslab_file) "
                        f"from read_parquet([{paths}], filename = '__scslab_file', union_by_name = true) t "
                        f"join {_FILES_TABLE} m on m.file = t.__scslab_file and m.table_name = {_literal(name)}"
                    )
                con.execute("checkpoint")
            finally:
                con.close()
            os.replace(tmp, target)
            fsync_dir(target.parent)
        finally:
            for leftover in (tmp, Path(f"{tmp}.wal")):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(leftover)

    # -- querying ----------------------------------------------------------------------
    def sql(self, query: str, params: list | dict | None = None):
        """Run one read-only query (a SELECT, or EXPLAIN) and return a pandas DataFrame.

        Anything else (CREATE, COPY, ATTACH, INSTALL, SET, PRAGMA, several statements) raises
        :class:`QueryRefused`; file and network access fail inside DuckDB with its
        permission error.
        """
        statements = self.con.extract_statements(query)
        if len(statements) != 1:
            raise QueryRefused(f"give one SQL statement, not {len(statements)}")
        kind = statements[0].type.name
        if kind not in _ALLOWED_STATEMENTS:
            raise QueryRefused(f"the catalog is read-only: only SELECT queries run here, not {kind}")
        cur = self.con.execute(query, params) if params is not None else self.con.execute(query)
        return cur.df()

    def close(self) -> None:
        """Close the DuckDB connection (leaving a ``with`` block does it)."""
        self.con.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Catalog({len(self.runs)} runs, tables={self.tables}, skipped={len(self.skipped)})"
