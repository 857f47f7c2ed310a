"""Run folders: one self-describing folder per simulation run.

Layout::

    RUN/
      manifest.json      what produced the run (a dict given by the engine)
      steps.parquet      per-step aggregates
      citizens.parquet   final per-citizen snapshot
      <name>.parquet     any other named table (events, ...)
      COMPLETE           written last: the sha256 of every other file
      INCOMPLETE         present while the run is being written; removed by finish()

A folder without COMPLETE is incomplete (interrupted or still running): readers refuse it
and the catalog skips it. Every file is written atomically (see :mod:`.atomic`), and
COMPLETE lists each file's size and sha256 so :meth:`RunFolder.verify` can detect a file
changed, removed or added after the run finished.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .atomic import atomic_write_json, atomic_write_parquet, fsync_dir, is_temp_name, to_arrow
from .errors import IncompleteRunError, RunExistsError, RunFolderError

__all__ = [
    "COMPLETE",
    "FORMAT",
    "INCOMPLETE",
    "MANIFEST",
    "RESERVED_COLUMNS",
    "RESERVED_NAMES",
    "RunFolder",
    "RunWriter",
    "open_run",
    "validate_table_name",
]

FORMAT = "scslab-run-folder/1"
MANIFEST = "manifest.json"
COMPLETE = "COMPLETE"
INCOMPLETE = "INCOMPLETE"
_MARKERS = (COMPLETE, INCOMPLETE)
# The engine keeps resumable state here while a run is in progress (scslab.engine.checkpoint);
# it is not part of a finished run and is never listed in COMPLETE.
CHECKPOINT_DIR = "checkpoint"

# A table name becomes a file name and a DuckDB view name: keep it a plain identifier.
_TABLE_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
# `runs` is the catalog's view of run folders; `run_id` is the column the catalog adds.
RESERVED_NAMES = frozenset({"runs"})
RESERVED_COLUMNS = frozenset({"run_id"})


def validate_table_name(name: Any) -> str:
    """Return ``name`` if it is a safe table name, else raise ValueError saying why.

    Safe: lower-case letters, digits and underscores, starting with a letter, at most 63
    characters, not reserved. This rules out path traversal ("../x"), separators, dots and
    anything that would need quoting as a file or view name on some platform.
    """
    if not isinstance(name, str) or not _TABLE_NAME.fullmatch(name):
        raise ValueError(
            f"invalid table name {name!r}: use lower-case letters, digits and underscores, "
            "starting with a letter (at most 63 characters)"
        )
    if name in RESERVED_NAMES:
        raise ValueError(f"invalid table name {name!r}: reserved ({', '.join(sorted(RESERVED_NAMES))})")
    return name


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _run_files(folder: Path) -> list[str]:
    """Every file under ``folder`` except the markers, as sorted relative POSIX paths."""
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        if Path(dirpath) == Path(folder) and CHECKPOINT_DIR in dirnames:
            dirnames.remove(CHECKPOINT_DIR)
        dirnames.sort()
        rel_dir = Path(dirpath).relative_to(folder)
        for fn in filenames:
            rel = (rel_dir / fn).as_posix()
            if rel not in _MARKERS:
                out.append(rel)
    return sorted(out)


def _read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class RunWriter:
    """Writes one run folder: tables and the manifest, then :meth:`finish`.

    ``RunWriter(folder)`` creates the folder (and parents) and an INCOMPLETE marker at once.
    It refuses a folder that already holds a complete run unless ``overwrite=True``, and
    any folder holding files that are not a run's (it never deletes files it did not
    write). A leftover incomplete run in ``folder`` is cleared and written afresh.

    Use as a context manager to call :meth:`finish` on success and leave the folder
    marked incomplete if the body raises::

        with RunWriter("runs/rongcheng-s1") as w:
            w.write_manifest({"rulebook": {...}, "seed": 1})
            w.write_table("steps", steps_df)
    """

    def __init__(self, folder: str | os.PathLike, overwrite: bool = False, resume: bool = False) -> None:
        self.path = Path(folder)
        self._finished = False
        if resume and (self.path / INCOMPLETE).is_file() and not (self.path / COMPLETE).exists():
            return  # continue the incomplete run this folder holds, keeping what it wrote
        self._prepare(overwrite)

    def _prepare(self, overwrite: bool) -> None:
        p = self.path
        if p.exists() and not p.is_dir():
            raise RunExistsError(f"{p}: exists and is not a folder")
        if p.is_dir():
            names = sorted(os.listdir(p))
            complete = COMPLETE in names
            if complete and not overwrite:
                raise RunExistsError(
                    f"{p}: already holds a complete run; choose another folder or overwrite it"
                )
            listed: set[str] = set()
            if complete:
                try:
                    listed = set(_read_json(p / COMPLETE).get("files", {}))
                except (OSError, ValueError, AttributeError):
                    listed = set()
            ours = [n for n in names if (self._is_run_file(n, listed) and (p / n).is_file())
                    or (n == CHECKPOINT_DIR and (p / n).is_dir())]
            foreign = [n for n in names if n not in ours]
            if foreign:
                shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
                raise RunExistsError(
                    f"{p}: holds files that are not part of a run ({shown}); "
                    "choose an empty or new folder"
                )
            # COMPLETE goes first, so a crash while clearing leaves an incomplete folder.
            for n in sorted(ours, key=lambda n: n != COMPLETE):
                if n == CHECKPOINT_DIR:
                    shutil.rmtree(p / n)
                elif n != INCOMPLETE:
                    os.unlink(p / n)
        p.mkdir(parents=True, exist_ok=True)
        atomic_write_json(
            p / INCOMPLETE,
            {
                "format": FORMAT,
                "note": "run started but not finished; readers refuse this folder",
                "pid": os.getpid(),
                "started": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            },
        )

    @staticmethod
    def _is_run_file(name: str, listed: set[str]) -> bool:
        return (
            name in _MARKERS
            or name == MANIFEST
            or name in listed
            or is_temp_name(name)
            or (name.endswith(".parquet") and bool(_TABLE_NAME.fullmatch(name[: -len(".parquet")])))
        )

    def _check_open(self) -> None:
        if self._finished:
            raise RunFolderError(f"{self.path}: run already finished; nothing more can be written")

    def table_path(self, name: str) -> Path:
        return self.path / f"{validate_table_name(name)}.parquet"

    def write_table(self, name: str, table: Any) -> Path:
        """Write ``table`` (Arrow table, DataFrame or mapping of columns) as ``<name>.parquet``.

        Writing the same name again replaces the table (atomically).
        """
        self._check_open()
        path = self.table_path(name)
        arrow = to_arrow(table)
        clash = RESERVED_COLUMNS.intersection(arrow.column_names)
        if clash:
            raise ValueError(
                f"table {name!r}: column(s) {', '.join(sorted(clash))} are reserved "
                "(the catalog adds run_id); rename them"
            )
        atomic_write_parquet(path, arrow)
        return path

    def write_manifest(self, manifest: Mapping[str, Any]) -> Path:
        """Write ``manifest.json`` (canonical JSON: sorted keys, so same dict, same bytes)."""
        self._check_open()
        if not isinstance(manifest, Mapping):
            raise TypeError(f"manifest must be a mapping, not {type(manifest).__name__}")
        path = self.path / MANIFEST
        atomic_write_json(path, dict(manifest))
        return path

    def finish(self) -> RunFolder:
        """Seal the run: write COMPLETE (sha256 and size of every file), remove INCOMPLETE."""
        self._check_open()
        p = self.path
        if not (p / MANIFEST).is_file():
            raise RunFolderError(f"{p}: no manifest written; call write_manifest() before finish()")
        files = _run_files(p)
        stray = [f for f in files if is_temp_name(Path(f).name)]
        if stray:
            raise RunFolderError(f"{p}: temporary files left by a failed write: {', '.join(stray)}")
        record = {
            "format": FORMAT,
            "files": {f: {"bytes": (p / f).stat().st_size, "sha256": _sha256(p / f)} for f in files},
        }
        atomic_write_json(p / COMPLETE, record)
        # COMPLETE is authoritative; removing INCOMPLETE afterwards only tidies up.
        try:
            os.unlink(p / INCOMPLETE)
        except FileNotFoundError:
            pass
        fsync_dir(p)
        self._finished = True
        return open_run(p)

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None and not self._finished:
            self.finish()


class RunFolder:
    """A run folder opened for reading (see :func:`open_run`)."""

    def __init__(self, path: Path, complete: bool, manifest: dict | None) -> None:
        self.path = path
        self.complete = complete
        self.manifest = manifest

    @property
    def run_id(self) -> str:
        return self.path.name

    def __repr__(self) -> str:
        state = "complete" if self.complete else "incomplete"
        return f"RunFolder({str(self.path)!r}, {state}, tables={self.tables()})"

    def tables(self) -> list[str]:
        """Names of the tables in the run, sorted."""
        return sorted(
            f.stem
            for f in self.path.glob("*.parquet")
            if _TABLE_NAME.fullmatch(f.stem) and f.stem not in RESERVED_NAMES
        )

    def table_path(self, name: str) -> Path:
        path = self.path / f"{validate_table_name(name)}.parquet"
        if not path.is_file():
            raise KeyError(
                f"{self.path}: no table {name!r}; tables: {', '.join(self.tables()) or 'none'}"
            )
        return path

    def arrow(self, name: str, columns: list[str] | None = None):
        """Table ``name`` as a pyarrow Table (optionally only some columns)."""
        import pyarrow.parquet as pq

        return pq.read_table(self.table_path(name), columns=columns)

    def table(self, name: str, columns: list[str] | None = None):
        """Table ``name`` as a pandas DataFrame (optionally only some columns)."""
        return self.arrow(name, columns=columns).to_pandas()

    def verify(self) -> list[str]:
        """Check every file against COMPLETE; return the problems found (empty: intact)."""
        p = self.path
        if not (p / COMPLETE).is_file():
            return [f"{p}: no {COMPLETE} marker: the run is incomplete"]
        try:
            record = _read_json(p / COMPLETE)
            listed = record["files"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            return [f"{p / COMPLETE}: unreadable ({e})"]
        problems = []
        present = set(_run_files(p))
        for name in sorted(listed):
            fp = p / name
            if name not in present:
                problems.append(f"{fp}: missing")
                continue
            want = listed[name]
            if fp.stat().st_size != want.get("bytes") or _sha256(fp) != want.get("sha256"):
                problems.append(f"{fp}: modified since the run finished (sha256 differs)")
        for name in sorted(present - set(listed)):
            problems.append(f"{p / name}: added after the run finished (not listed in {COMPLETE})")
        return problems


def open_run(folder: str | os.PathLike, allow_incomplete: bool = False) -> RunFolder:
    """Open a run folder for reading.

    Raises :class:`IncompleteRunError` if the folder has no COMPLETE marker, unless
    ``allow_incomplete`` (then ``manifest`` is None if it was never written).
    """
    p = Path(folder)
    if not p.is_dir():
        raise RunFolderError(f"{p}: no such run folder")
    complete = (p / COMPLETE).is_file()
    if not complete and not allow_incomplete:
        if (p / INCOMPLETE).is_file():
            why = "the run was started but not finished (interrupted, or still running)"
        else:
            why = "not a run folder (no COMPLETE marker)"
        raise IncompleteRunError(f"{p}: incomplete: {why}")
    manifest = None
    if (p / MANIFEST).is_file():
        try:
            manifest = _read_json(p / MANIFEST)
        except ValueError as e:
            raise RunFolderError(f"{p / MANIFEST}: not valid JSON ({e})") from e
    elif complete:
        raise RunFolderError(f"{p}: marked complete but has no {MANIFEST}")
    return RunFolder(p, complete, manifest)
