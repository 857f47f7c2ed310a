"""Run folders: one self-describing folder per simulation run.

Layout::

    RUN/
      manifest.json      what produced the run (a dict given by the engine)
      steps.parquet      per-step aggregates
      citizens.parquet   final per-citizen snapshot
      <name>.parquet     any other named table (events, ...)
      COMPLETE           written last: the size and sha256 of every file of the run
      INCOMPLETE         present while the run is being written; removed by finish()

A folder without COMPLETE is incomplete (interrupted or still running): readers refuse it
and the catalog skips it. Every file is written atomically (see :mod:`.atomic`).

Ownership: scslab writes, replaces and deletes only files it wrote itself, in folders it
owns. A folder is scslab's when it holds a valid ``INCOMPLETE`` (while a run is written) or
``COMPLETE`` (after). ``INCOMPLETE`` is also a journal: every name is added to its
``files`` list *before* the file is first written, so after a kill at any moment the
files scslab may have made are known; ``COMPLETE`` lists the files of a finished run.
Anything else in the folder is the user's and is never touched: a folder holding such
files is refused, with ``overwrite`` too.

Lock: a writer holds an exclusive ``flock`` on the folder itself (no lock file) from the
moment it claims the folder until :meth:`RunWriter.finish` or :meth:`RunWriter.close`;
a second process is refused at once (:class:`RunLockedError`). The kernel drops the lock
when the process dies, so a killed run never leaves a stale lock behind.

Reading: :func:`open_run` checks that every file listed in COMPLETE is there with its
recorded size, and the manifest against its sha256 (it reads the whole manifest anyway);
:meth:`RunFolder.verify` checks every file's sha256.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import hashlib
import json
import os
import re
import shutil
import stat
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .atomic import (
    atomic_write_json,
    atomic_write_parquet,
    fsync_dir,
    sha256_file,
    temp_target,
    to_arrow,
)
from .errors import IncompleteRunError, RunExistsError, RunFolderError, RunLockedError

__all__ = [
    "CHECKPOINT_DIR",
    "COMPLETE",
    "FORMAT",
    "INCOMPLETE",
    "MANIFEST",
    "MAX_MANIFEST_BYTES",
    "RESERVED_COLUMNS",
    "RESERVED_NAMES",
    "RunFolder",
    "RunWriter",
    "TIMING",
    "UNSEALED",
    "check_writable",
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
# How the run went rather than what it is: wall-clock seconds, the date it finished, whether
# it was resumed. It differs between two runs of the same inputs, so COMPLETE lists it by
# name only (under "unsealed"), without its size or sha256: two such runs have
# byte-identical COMPLETE files, and verify() does not report the file as added.
TIMING = "timing.json"
UNSEALED = frozenset({TIMING})

# Limits on what a reader accepts from a folder (a damaged or hostile folder must not
# exhaust memory or the stack): a real manifest is 15-100 KB and nests 6 levels.
MAX_MANIFEST_BYTES = 64 * 2**20
MAX_MANIFEST_DEPTH = 64
_MAX_RECORD_BYTES = 16 * 2**20  # COMPLETE / INCOMPLETE

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


_sha256 = sha256_file


def _run_files(folder: Path) -> list[str]:
    """Every file under ``folder`` except the markers and the checkpoint, as sorted relative
    POSIX paths."""
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


def _read_limited(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (RunFolderError otherwise).

    A device, FIFO or socket is refused without being opened (opening a FIFO blocks)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise RunFolderError(f"{path}: not a regular file")
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise RunFolderError(f"{path}: cannot be read ({e.strerror or e})") from None
    if len(data) > limit:
        raise RunFolderError(f"{path}: larger than {limit:,} bytes; not a file scslab wrote")
    return data


def _depth(obj: Any) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(obj, 1)]
    while stack:
        o, d = stack.pop()
        deepest = max(deepest, d)
        if isinstance(o, dict):
            stack.extend((v, d + 1) for v in o.values() if isinstance(v, dict | list))
        elif isinstance(o, list):
            stack.extend((v, d + 1) for v in o if isinstance(v, dict | list))
    return deepest


def _parse_json(data: bytes, path: Path) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except RecursionError:
        raise RunFolderError(f"{path}: nested too deeply to be a file scslab wrote") from None
    except (UnicodeDecodeError, ValueError) as e:
        raise RunFolderError(f"{path}: not valid JSON ({str(e)[:200]})") from None


def _read_manifest(path: Path, sha256: str | None = None) -> dict:
    data = _read_limited(path, MAX_MANIFEST_BYTES)
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise RunFolderError(f"{path}: modified since the run finished (sha256 differs from {COMPLETE})")
    obj = _parse_json(data, path)
    if not isinstance(obj, dict):
        raise RunFolderError(f"{path}: expected a JSON object, found a {type(obj).__name__}")
    if _depth(obj) > MAX_MANIFEST_DEPTH:
        raise RunFolderError(f"{path}: nested deeper than {MAX_MANIFEST_DEPTH} levels; not a manifest scslab wrote")
    return obj


def _read_record(path: Path, kind: str) -> dict | None:
    """COMPLETE or INCOMPLETE as a dict if it is one scslab wrote, else None."""
    try:
        obj = _parse_json(_read_limited(path, _MAX_RECORD_BYTES), path)
    except RunFolderError:
        return None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        return None
    files = obj.get("files")
    if kind == COMPLETE:
        unsealed = obj.get("unsealed", [])
        ok = isinstance(files, dict) and all(
            isinstance(k, str) and isinstance(v, dict) and isinstance(v.get("bytes"), int)
            and isinstance(v.get("sha256"), str) for k, v in files.items()
        ) and isinstance(unsealed, list) and all(f in UNSEALED for f in unsealed)
    else:
        ok = isinstance(files, list) and all(isinstance(f, str) for f in files)
    return obj if ok else None


def _older_incomplete(path: Path) -> bool:
    try:
        obj = _parse_json(_read_limited(path, _MAX_RECORD_BYTES), path)
    except RunFolderError:
        return False
    return isinstance(obj, dict) and obj.get("format") == FORMAT and "files" not in obj


def _shown(names: list[str], n: int = 5) -> str:
    return ", ".join(names[:n]) + (f", ... ({len(names)} in all)" if len(names) > n else "")


# -- the lock --------------------------------------------------------------------------
try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock (documented)
    fcntl = None

_HELD: dict[tuple[int, int], list] = {}  # (st_dev, st_ino) -> [fd, count, pid]
_HELD_GUARD = threading.Lock()


def _lock_key(p: Path) -> tuple[int, int]:
    st = os.stat(p)
    return st.st_dev, st.st_ino


def _holder(p: Path) -> str:
    rec = _read_record(p / INCOMPLETE, INCOMPLETE)
    pid = rec.get("pid") if rec else None
    return f"another scslab process (pid {pid})" if isinstance(pid, int) else "another scslab process"


def _locked_error(p: Path) -> RunLockedError:
    return RunLockedError(
        f"{p}: {_holder(p)} is writing this run folder; wait for it to finish, or choose another --out"
    )


def _acquire(p: Path) -> tuple[tuple[int, int], bool]:
    """Lock folder ``p`` for this process; returns (key, newly locked).

    Writers in one process share the lock (the engine claims a folder, then writes its
    tables with a second writer); another process is refused at once.
    """
    key = _lock_key(p)
    with _HELD_GUARD:
        held = _HELD.get(key)
        if held is not None and held[2] == os.getpid():
            held[1] += 1
            return key, False
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise _locked_error(p) from None
            except OSError as e:  # a file system without flock: write unlocked
                if e.errno not in (errno.ENOLCK, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
                    os.close(fd)
                    raise
        _HELD[key] = [fd, 1, os.getpid()]
        return key, True


def _release(key: tuple[int, int]) -> None:
    with _HELD_GUARD:
        held = _HELD.get(key)
        if held is None or held[2] != os.getpid():
            return
        held[1] -= 1
        if held[1] == 0:
            del _HELD[key]
            os.close(held[0])  # drops the flock


def _probe_lock(p: Path) -> None:
    """Raise RunLockedError if another process holds the folder's lock (takes nothing)."""
    if fcntl is None:
        return
    with _HELD_GUARD:
        held = _HELD.get(_lock_key(p))
        if held is not None and held[2] == os.getpid():
            return
    fd = os.open(p, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise _locked_error(p) from None
    except OSError:
        pass
    finally:
        os.close(fd)  # also drops the probe's lock


# -- ownership -------------------------------------------------------------------------
class _Survey:
    """What a folder holds: scslab's records, the names it owns, and everything else."""

    def __init__(self, p: Path) -> None:
        self.path = p
        names = sorted(os.listdir(p))
        self.names = names
        self.complete = _read_record(p / COMPLETE, COMPLETE) if COMPLETE in names else None
        self.incomplete = _read_record(p / INCOMPLETE, INCOMPLETE) if INCOMPLETE in names else None
        self.damaged_marker = (COMPLETE in names and self.complete is None) or (
            INCOMPLETE in names and self.incomplete is None
        )
        journal: set[str] = set()
        if self.complete:
            journal |= {f for f in self.complete["files"] if "/" not in f}
            journal |= set(self.complete.get("unsealed", []))
            journal.add(COMPLETE)
        if self.incomplete:
            journal |= set(self.incomplete["files"])
            journal.add(INCOMPLETE)
        self.journal = journal
        owned = []
        for n in names:
            full = p / n
            if n in journal and n != CHECKPOINT_DIR and full.is_file() and not full.is_symlink():
                owned.append(n)
            elif n == CHECKPOINT_DIR and n in journal and full.is_dir() and not full.is_symlink():
                owned.append(n)
            elif temp_target(n) in journal | set(_MARKERS) and full.is_file() and (self.complete or self.incomplete):
                owned.append(n)
        if not (self.complete or self.incomplete or self.damaged_marker):
            # A writer killed while writing the first INCOMPLETE leaves only its temporary
            # file: the folder was being claimed by scslab and holds nothing else.
            first = [n for n in names if temp_target(n) == INCOMPLETE and (p / n).is_file()]
            if first and len(first) == len(names):
                owned = first
        self.owned = owned
        self.foreign = [n for n in names if n not in owned]
        self.ours = (bool(self.complete or self.incomplete) and not self.damaged_marker) or (
            bool(owned) and not self.foreign)
        self.killed_at_start = self.ours and not (self.complete or self.incomplete)

    @property
    def temps(self) -> list[str]:
        return [n for n in self.owned if temp_target(n) is not None]

    def refusal(self) -> str | None:
        """Why a writer may not touch this folder, or None."""
        p = self.path
        if not self.names:
            return None
        if self.damaged_marker:
            bad = COMPLETE if COMPLETE in self.names and self.complete is None else INCOMPLETE
            if bad == INCOMPLETE and _older_incomplete(self.path / INCOMPLETE):
                return (f"{p}: an incomplete run left by an older scslab, which kept no list of the "
                        "files it wrote; scslab touches nothing here: remove the folder yourself, or "
                        "choose another one")
            return (f"{p}: its {bad} file is not one scslab wrote (or is damaged), so scslab cannot tell "
                    "which files are its own; it touches nothing here: choose another folder, or remove "
                    "this one yourself")
        if not self.ours:
            return (f"{p}: holds files scslab did not write ({_shown(self.foreign)}); scslab writes only "
                    "into a new or empty folder, or one of its own run folders: choose another folder")
        if self.foreign:
            return (f"{p}: holds files scslab did not write ({_shown(self.foreign)}); scslab never "
                    "removes or replaces them: move them out of the run folder, or choose another folder")
        return None


def check_writable(folder: str | os.PathLike, overwrite: bool = False) -> None:
    """Raise what :class:`RunWriter` would raise for ``folder``, without writing anything.

    For callers that want to refuse a bad folder before starting long work; the writer
    checks again (under the lock) when it claims the folder.
    """
    p = Path(folder)
    if p.exists() and not p.is_dir():
        raise RunExistsError(f"{p}: exists and is not a folder")
    if not p.is_dir():
        return
    _probe_lock(p)
    survey = _Survey(p)
    why = survey.refusal()
    if why:
        raise RunExistsError(why)
    if survey.complete and not overwrite:
        raise RunExistsError(f"{p}: already holds a complete run; choose another folder or overwrite it")


class RunWriter:
    """Writes one run folder: tables and the manifest, then :meth:`finish`.

    ``RunWriter(folder)`` creates the folder (and parents) or claims an empty one, locks it,
    and marks it INCOMPLETE at once. It refuses a folder that already holds a complete run
    unless ``overwrite=True``, any folder holding files scslab did not write (with
    ``overwrite`` too: it never deletes or replaces them), and a folder another process is
    writing (:class:`RunLockedError`). A leftover incomplete run of scslab's in ``folder``
    is cleared and written afresh. ``resume=True`` continues the incomplete run the folder
    holds instead, keeping what it wrote (and removing temporary files a kill left).

    Use as a context manager to call :meth:`finish` on success and leave the folder
    marked incomplete (and unlocked) if the body raises::

        with RunWriter("runs/rongcheng-s1") as w:
            w.write_manifest({"rulebook": {...}, "seed": 1})
            w.write_table("steps", steps_df)
    """

    def __init__(self, folder: str | os.PathLike, overwrite: bool = False, resume: bool = False) -> None:
        self.path = Path(folder)
        self._finished = False
        self._key: tuple[int, int] | None = None
        p = self.path
        if p.exists() and not p.is_dir():
            raise RunExistsError(f"{p}: exists and is not a folder")
        if resume:
            if not p.is_dir():
                raise RunFolderError(f"{p}: no such run folder")
        else:
            p.mkdir(parents=True, exist_ok=True)
        self._key, fresh = _acquire(p)
        try:
            if resume:
                self._continue(fresh)
            else:
                self._prepare(overwrite)
        except BaseException:
            self.close()
            raise

    # -- claiming the folder -------------------------------------------------------------
    def _continue(self, fresh: bool) -> None:
        p = self.path
        survey = _Survey(p)
        if survey.complete:
            raise RunExistsError(f"{p}: already holds a complete run")
        if not survey.incomplete:
            if survey.damaged_marker:
                raise RunFolderError(survey.refusal())
            if survey.killed_at_start:
                raise RunFolderError(f"{p}: the run was killed as it started, before it saved anything; "
                                     "start it again (the same command)")
            raise RunFolderError(f"{p}: not an incomplete run scslab started (no {INCOMPLETE} marker); "
                                 "there is nothing to resume")
        if fresh:  # nobody else is writing: temporary files are a kill's leftovers
            for n in survey.temps:
                os.unlink(p / n)
            if survey.temps:
                fsync_dir(p)

    def _prepare(self, overwrite: bool) -> None:
        p = self.path
        survey = _Survey(p)
        why = survey.refusal()
        if why:
            raise RunExistsError(why)
        if survey.complete and not overwrite:
            raise RunExistsError(f"{p}: already holds a complete run; choose another folder or overwrite it")
        if survey.owned:
            # Journal everything being removed first, so a crash while clearing leaves an
            # incomplete folder whose every file is still known to be scslab's.
            self._write_incomplete(sorted(survey.journal - set(_MARKERS)))
            # COMPLETE goes first, so a crash while clearing leaves an incomplete folder.
            for n in sorted(survey.owned, key=lambda n: n != COMPLETE):
                if n == INCOMPLETE:
                    continue
                if n == CHECKPOINT_DIR:
                    shutil.rmtree(p / n)
                else:
                    os.unlink(p / n)
        self._write_incomplete([CHECKPOINT_DIR])

    def _write_incomplete(self, files: list[str]) -> None:
        atomic_write_json(
            self.path / INCOMPLETE,
            {
                "format": FORMAT,
                "note": "run started but not finished; readers refuse this folder",
                "pid": os.getpid(),
                "started": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
                "files": sorted(set(files)),
            },
        )

    def _journal(self) -> dict:
        rec = _read_record(self.path / INCOMPLETE, INCOMPLETE)
        if rec is None:
            raise RunFolderError(f"{self.path}: its {INCOMPLETE} marker is gone or damaged; the run cannot be written")
        return rec

    def claim(self, name: str) -> None:
        """Add ``name`` (a file or folder directly in the run folder) to the journal of what
        scslab writes there; call before creating it."""
        self._check_open()
        if "/" in name or name in ("", ".", "..") or name in _MARKERS:
            raise ValueError(f"cannot claim {name!r}: a plain name in the run folder")
        rec = self._journal()
        if name not in rec["files"]:
            rec["files"] = sorted({*rec["files"], name})
            atomic_write_json(self.path / INCOMPLETE, rec)

    # -- writing -------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._finished:
            raise RunFolderError(f"{self.path}: run already finished; nothing more can be written")
        if self._key is None:
            raise RunFolderError(f"{self.path}: writer closed; nothing more can be written")

    def table_path(self, name: str) -> Path:
        """Where table ``name`` is written (``<folder>/<name>.parquet``); ValueError for a bad name."""
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
        self.claim(path.name)
        atomic_write_parquet(path, arrow)
        return path

    def write_json(self, name: str, obj: Any) -> Path:
        """Write ``obj`` as canonical JSON to ``name`` in the run folder (listed in COMPLETE;
        ``timing.json`` by name only, unsealed: see TIMING)."""
        self._check_open()
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_.-]{0,62}\.json", name):
            raise ValueError(f"invalid file name {name!r}: lower-case letters, digits, '_', '-', '.', ending .json")
        self.claim(name)
        path = self.path / name
        atomic_write_json(path, obj)
        return path

    def write_manifest(self, manifest: Mapping[str, Any]) -> Path:
        """Write ``manifest.json`` (canonical JSON: sorted keys, so same dict, same bytes)."""
        self._check_open()
        if not isinstance(manifest, Mapping):
            raise TypeError(f"manifest must be a mapping, not {type(manifest).__name__}")
        self.claim(MANIFEST)
        path = self.path / MANIFEST
        atomic_write_json(path, dict(manifest))
        return path

    def finish(self) -> RunFolder:
        """Seal the run: write COMPLETE (sha256 and size of every file scslab wrote), remove the
        checkpoint and INCOMPLETE, and release the folder."""
        self._check_open()
        p = self.path
        if not (p / MANIFEST).is_file():
            raise RunFolderError(f"{p}: no manifest written; call write_manifest() before finish()")
        rec = self._journal()
        stray = [n for n in os.listdir(p) if temp_target(n) in {*rec["files"], *_MARKERS}]
        if stray:
            raise RunFolderError(f"{p}: temporary files left by a failed write: {', '.join(sorted(stray))}")
        files = sorted(n for n in rec["files"] if n != CHECKPOINT_DIR and (p / n).is_file())
        record = {
            "format": FORMAT,
            "files": {f: {"bytes": (p / f).stat().st_size, "sha256": _sha256(p / f)}
                      for f in files if f not in UNSEALED},
        }
        unsealed = [f for f in files if f in UNSEALED]
        if unsealed:  # listed by name: their contents differ between runs of the same inputs
            record["unsealed"] = unsealed
        atomic_write_json(p / COMPLETE, record)
        # COMPLETE is authoritative from here; what follows only tidies up, and INCOMPLETE
        # (the journal naming the checkpoint as scslab's) goes last.
        if (p / CHECKPOINT_DIR).is_dir() and not (p / CHECKPOINT_DIR).is_symlink():
            shutil.rmtree(p / CHECKPOINT_DIR)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(p / INCOMPLETE)
        fsync_dir(p)
        self._finished = True
        self.close()
        return open_run(p)

    def close(self) -> None:
        """Release the folder's lock without finishing (the run stays incomplete)."""
        key, self._key = self._key, None
        if key is not None:
            _release(key)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None and not self._finished:
            self.finish()
        else:
            self.close()


def tidy_finished(folder: str | os.PathLike) -> None:
    """Remove what a kill between COMPLETE and the end of :meth:`RunWriter.finish` left in a
    complete run folder (the checkpoint, temporary files, INCOMPLETE), if INCOMPLETE's journal
    says they are scslab's. Does nothing when another process holds the folder."""
    p = Path(folder)
    try:
        key, _ = _acquire(p)
    except (RunLockedError, OSError):
        return
    try:
        s = _Survey(p)
        if not (s.complete and s.incomplete):
            return
        listed = set(s.complete["files"]) | set(s.complete.get("unsealed", []))
        for n in s.owned:
            if n in listed or n in _MARKERS:
                continue
            if n == CHECKPOINT_DIR:
                shutil.rmtree(p / n, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(p / n)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(p / INCOMPLETE)
        fsync_dir(p)
    finally:
        _release(key)


class RunFolder:
    """A run folder opened for reading (see :func:`open_run`)."""

    def __init__(self, path: Path, complete: bool, manifest: dict | None, record: dict | None = None) -> None:
        self.path = path
        self.complete = complete
        self.manifest = manifest
        self.record = record  # COMPLETE's {"files": {name: {"bytes", "sha256"}}}; None when incomplete

    @property
    def run_id(self) -> str:
        """The folder's name (the catalog's ``run_id`` is its path relative to the root)."""
        return self.path.name

    def __repr__(self) -> str:
        state = "complete" if self.complete else "incomplete"
        return f"RunFolder({str(self.path)!r}, {state}, tables={self.tables()})"

    def tables(self) -> list[str]:
        """Names of the tables in the run, sorted (for a complete run: those COMPLETE lists)."""
        if self.record is not None:
            names = [f[: -len(".parquet")] for f in self.record["files"] if f.endswith(".parquet")]
        else:
            names = [f.stem for f in self.path.glob("*.parquet")]
        return sorted(n for n in names if _TABLE_NAME.fullmatch(n) and n not in RESERVED_NAMES)

    def table_path(self, name: str) -> Path:
        """The file of table ``name``; KeyError naming the run's tables if it has none such."""
        path = self.path / f"{validate_table_name(name)}.parquet"
        if name not in self.tables() or not path.is_file():
            raise KeyError(
                f"{self.path}: no table {name!r}; tables: {', '.join(self.tables()) or 'none'}"
            )
        return path

    def arrow(self, name: str, columns: list[str] | None = None):
        """Table ``name`` as a pyarrow Table (optionally only some columns).

        A file that is not readable Parquet raises :class:`RunFolderError` (the folder is
        damaged), never pyarrow's own error.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = self.table_path(name)
        try:
            return pq.read_table(path, columns=columns)
        except (pa.ArrowException, OSError, ValueError) as e:
            if columns is not None and "No match for" in str(e):
                raise KeyError(f"{path}: no column(s) {', '.join(map(str, columns))}") from None
            raise RunFolderError(
                f"{path}: not a readable Parquet table ({str(e)[:200]}); the run folder is damaged"
            ) from None

    def table(self, name: str, columns: list[str] | None = None):
        """Table ``name`` as a pandas DataFrame (optionally only some columns)."""
        return self.arrow(name, columns=columns).to_pandas()

    @property
    def timing(self) -> dict | None:
        """What ``timing.json`` says of how the run went (seconds, the date it finished,
        whether it was resumed), or None. Not sealed by COMPLETE: not evidence of anything."""
        if self.record is None or TIMING not in self.record.get("unsealed", []):
            return None
        try:
            obj = _parse_json(_read_limited(self.path / TIMING, _MAX_RECORD_BYTES), self.path / TIMING)
        except RunFolderError:
            return None
        return obj if isinstance(obj, dict) else None

    def check(self, names: list[str]) -> None:
        """Check the named files (``citizens.parquet``...) against the sha256 COMPLETE records
        for them; :class:`RunFolderError` if one differs. For readers that read a few files
        whole anyway (hashing costs about what reading does)."""
        if self.record is None:
            return
        for name in names:
            want = self.record["files"].get(name)
            if want is None:
                continue
            fp = self.path / name
            try:
                same = _sha256(fp) == want["sha256"]
            except OSError as e:
                raise RunFolderError(f"{fp}: cannot be read ({e.strerror or e})") from None
            if not same:
                raise RunFolderError(f"{self.path}: damaged: {name} was modified since the run finished "
                                     f"(sha256 differs from {COMPLETE})")

    def verify(self) -> list[str]:
        """Check every file against COMPLETE; return the problems found (empty: intact)."""
        p = self.path
        if not (p / COMPLETE).is_file():
            return [f"{p}: no {COMPLETE} marker: the run is incomplete"]
        record = _read_record(p / COMPLETE, COMPLETE)
        if record is None:
            return [f"{p / COMPLETE}: unreadable or not written by scslab"]
        listed = record["files"]
        problems = []
        present = set(_run_files(p))
        for name in sorted(listed):
            fp = p / name
            if name not in present:
                problems.append(f"{fp}: missing")
                continue
            want = listed[name]
            try:
                same = fp.stat().st_size == want["bytes"] and _sha256(fp) == want["sha256"]
            except OSError as e:
                problems.append(f"{fp}: cannot be read ({e.strerror or e})")
                continue
            if not same:
                problems.append(f"{fp}: modified since the run finished (sha256 differs)")
        for name in sorted(present - set(listed) - set(record.get("unsealed", []))):
            problems.append(f"{p / name}: added after the run finished (not listed in {COMPLETE})")
        return problems


def open_run(folder: str | os.PathLike, allow_incomplete: bool = False, verify: bool = False) -> RunFolder:
    """Open a run folder for reading.

    Raises :class:`IncompleteRunError` if the folder has no COMPLETE marker, unless
    ``allow_incomplete`` (then ``manifest`` is None if it was never written). For a complete
    run, every file COMPLETE lists must be present with its recorded size and the manifest
    must match its sha256 (:class:`RunFolderError` otherwise: the folder was damaged after
    the run finished); with ``verify`` every file's sha256 is checked too.
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
    record = None
    if complete:
        record = _read_record(p / COMPLETE, COMPLETE)
        if record is None:
            raise RunFolderError(f"{p / COMPLETE}: damaged or not written by scslab")
        for name, want in sorted(record["files"].items()):
            fp = p / name
            try:
                size = fp.stat().st_size if fp.is_file() else None
            except OSError:
                size = None
            if size is None:
                raise RunFolderError(f"{p}: damaged: {name} is missing (listed in {COMPLETE})")
            if size != want["bytes"]:
                raise RunFolderError(
                    f"{p}: damaged: {name} has {size:,} bytes, {COMPLETE} says {want['bytes']:,}"
                )
        if verify:
            problems = RunFolder(p, True, None, record).verify()
            if problems:
                raise RunFolderError(f"{p}: damaged: {problems[0]}" + (
                    f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    manifest = None
    if (p / MANIFEST).is_file():
        want = record["files"].get(MANIFEST) if record else None
        manifest = _read_manifest(p / MANIFEST, want["sha256"] if want else None)
    elif complete:
        raise RunFolderError(f"{p}: marked complete but has no {MANIFEST}")
    return RunFolder(p, complete, manifest, record)
