"""Checkpoints inside an incomplete run folder, so a killed run can resume.

Layout while a run is in progress::

    RUN/INCOMPLETE
    RUN/checkpoint/config.json     everything needed to rebuild the run (rulebooks, spec, seed...)
    RUN/checkpoint/LATEST          the newest complete checkpoint: its step, folder and the
                                   sha256 of its CONTENTS.json
    RUN/checkpoint/ckpt-000120/    shard states (npz), aggregates so far (JSON), ledger so far,
                                   and CONTENTS.json: the size and sha256 of each of them

Every file is written atomically. A checkpoint directory is written under a temporary name
(``.partial``) and renamed when whole; LATEST is replaced atomically afterwards. A kill at
any moment leaves LATEST pointing at a whole checkpoint (or absent: the run restarts from
day 0). Random numbers are keyed by (seed, municipality, step), so a resumed run draws
exactly what the uninterrupted run drew.

Everything read back is checked against a hash written with it: config.json and LATEST
carry the sha256 of their own payload, LATEST the sha256 of CONTENTS.json, CONTENTS.json
(sealed the same way) the size and sha256 of every file of the checkpoint and the sha256
of the configuration it belongs to. A file changed by one bit, truncated, emptied, or taken
from another run is refused with :class:`CheckpointError`, never resumed from.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from ..store.atomic import (
    atomic_write_bytes,
    atomic_write_file,
    atomic_write_json,
    atomic_write_parquet,
    fsync_dir,
    json_bytes,
    sha256_file,
)
from . import kernels

DIR = "checkpoint"
LATEST = "LATEST"
CONFIG = "config.json"
CONTENTS = "CONTENTS.json"
PROGRESS = "progress.json"
_FMT_CONFIG = "scslab-checkpoint-config/1"
_FMT_LATEST = "scslab-checkpoint-latest/1"
_FMT_CONTENTS = "scslab-checkpoint/1"
_MAX_META_BYTES = 256 * 2**20  # config (rulebook texts), progress (per-step rows), contents
_CKPT_NAME = re.compile(r"ckpt-\d{6,}")
AGAIN = "start the run again (the same command with --overwrite)"


class CheckpointError(ValueError):
    """A checkpoint that cannot be read back (damaged, truncated, from another run)."""


def checkpoint_dir(run: Path) -> Path:
    return Path(run) / DIR


def _digest(payload) -> str:
    return hashlib.sha256(json_bytes(payload)).hexdigest()


def _seal(fmt: str, payload: dict) -> dict:
    """A payload wrapped with its format and the sha256 of its canonical JSON."""
    return {"format": fmt, "payload": payload, "sha256": _digest(payload)}


def _read_bytes(path: Path, limit: int = _MAX_META_BYTES) -> bytes:
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise CheckpointError(f"{path}: not a regular file; {AGAIN}")
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: missing; the checkpoint is damaged: {AGAIN}") from None
    except OSError as e:
        raise CheckpointError(f"{path}: cannot be read ({e.strerror or e}); {AGAIN}") from None
    if len(data) > limit:
        raise CheckpointError(f"{path}: larger than {limit:,} bytes; not a checkpoint file: {AGAIN}")
    return data


def _parse(data: bytes, path: Path):
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        why = "empty" if not data else "not valid JSON"
        raise CheckpointError(f"{path}: damaged ({why}); {AGAIN}") from None


def _unseal(path: Path, fmt: str, data: bytes | None = None) -> dict:
    obj = _parse(_read_bytes(path) if data is None else data, path)
    if not isinstance(obj, dict) or obj.get("format") != fmt or not isinstance(obj.get("payload"), dict):
        older = isinstance(obj, dict) and "format" not in obj
        why = "written by an older scslab, without checksums" if older else "not a checkpoint file"
        raise CheckpointError(f"{path}: {why}; {AGAIN}")
    if obj.get("sha256") != _digest(obj["payload"]):
        raise CheckpointError(f"{path}: damaged (its sha256 differs from the one written with it); {AGAIN}")
    return obj["payload"]


def write_config(run: Path, config: dict) -> None:
    d = checkpoint_dir(run)
    d.mkdir(parents=True, exist_ok=True)
    atomic_write_json(d / CONFIG, _seal(_FMT_CONFIG, config))


def read_config(run: Path) -> dict | None:
    """The run's configuration, checked against its sha256; None if it was never written."""
    f = checkpoint_dir(run) / CONFIG
    if not os.path.lexists(f):
        return None
    config = _unseal(f, _FMT_CONFIG)
    if not config.get("rulebooks"):
        raise CheckpointError(f"{f}: not a checkpoint configuration; {AGAIN}")
    return config


def _config_sha256(run: Path) -> str:
    obj = _parse(_read_bytes(checkpoint_dir(run) / CONFIG), checkpoint_dir(run) / CONFIG)
    return obj.get("sha256", "") if isinstance(obj, dict) else ""


def save(run: Path, t_done: int, nation, rows: list[dict], grades: list, ledger) -> None:
    """Save the state after `t_done` steps (steps 0..t_done-1 are done)."""
    base = checkpoint_dir(run)
    name = f"ckpt-{t_done:06d}"
    tmp = base / (name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        for sh in nation.shards:
            arrays = sh.st.arrays()
            atomic_write_file(tmp / f"state-{sh.m}.npz", lambda f, a=arrays: np.savez(f, **a))
        progress = {
            "step": t_done,
            "rows": rows,
            "grades": [[t, m, list(names), [int(x) for x in counts]] for t, m, names, counts in grades],
        }
        # Python's own JSON (not canonical JSON): the rows may hold NaN, and floats round-trip.
        atomic_write_bytes(tmp / PROGRESS, json.dumps(progress).encode("utf-8"))
        if ledger is not None:
            atomic_write_parquet(tmp / "events.parquet", ledger.table())
            prev = {f"prev_{m}": v for m, v in ledger._prev_sectors.items()}
            atomic_write_file(tmp / "ledger.npz", lambda f: np.savez(f, **prev))
        files = {n: {"bytes": (tmp / n).stat().st_size, "sha256": sha256_file(tmp / n)}
                 for n in sorted(os.listdir(tmp))}
        contents = _seal(_FMT_CONTENTS, {"step": t_done, "config_sha256": _config_sha256(run), "files": files})
        atomic_write_json(tmp / CONTENTS, contents)
        fsync_dir(tmp)
        final = base / name
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # a full disk must not leave half a checkpoint behind
        raise
    fsync_dir(base)
    latest = {"step": t_done, "dir": name, "contents_sha256": hashlib.sha256(json_bytes(contents)).hexdigest()}
    atomic_write_json(base / LATEST, _seal(_FMT_LATEST, latest))
    for old in base.iterdir():  # keep only the newest whole checkpoint
        if old.is_dir() and old.name != name:
            shutil.rmtree(old, ignore_errors=True)


def load(run: Path, nation, ledger) -> tuple[int, list[dict], list]:
    """Restore shard states from the newest checkpoint; returns (next step, rows, grades).

    Every file is checked against the sha256 written with it before it is read.
    """
    import zipfile

    try:
        return _load(run, nation, ledger)
    except CheckpointError:
        raise
    except (ValueError, KeyError, TypeError, IndexError, OSError, EOFError, zipfile.BadZipFile) as e:
        raise CheckpointError(f"{checkpoint_dir(run)}: the checkpoint cannot be read ({type(e).__name__}: {e}); "
                              f"{AGAIN}") from None


def _verified(d: Path, name: str, want: dict) -> Path:
    f = d / name
    try:
        size = os.stat(f).st_size
    except FileNotFoundError:
        raise CheckpointError(f"{f}: missing; the checkpoint is damaged: {AGAIN}") from None
    if size != want.get("bytes") or sha256_file(f) != want.get("sha256"):
        raise CheckpointError(f"{f}: damaged ({size:,} bytes; its sha256 differs from the one written with it); "
                              f"{AGAIN}")
    return f


def _load(run: Path, nation, ledger) -> tuple[int, list[dict], list]:
    base = checkpoint_dir(run)
    for stale in base.glob("*.partial"):  # a save killed half-way (the run holds the folder's lock)
        shutil.rmtree(stale, ignore_errors=True)
    f = base / LATEST
    if not os.path.lexists(f):
        return 0, [], []
    latest = _unseal(f, _FMT_LATEST)
    step, name = latest.get("step"), latest.get("dir")
    if not isinstance(step, int) or not isinstance(name, str) or not _CKPT_NAME.fullmatch(name):
        raise CheckpointError(f"{f}: not a checkpoint pointer; {AGAIN}")
    d = base / name
    data = _read_bytes(d / CONTENTS)
    if hashlib.sha256(data).hexdigest() != latest.get("contents_sha256"):
        raise CheckpointError(f"{d / CONTENTS}: damaged, or not the one {f} names (sha256 differs); {AGAIN}")
    contents = _unseal(d / CONTENTS, _FMT_CONTENTS, data)
    if contents.get("step") != step:
        raise CheckpointError(f"{d / CONTENTS}: for step {contents.get('step')}, but {f} says {step}; {AGAIN}")
    if contents.get("config_sha256") != _config_sha256(run):
        raise CheckpointError(f"{d}: belongs to another run configuration than {base / CONFIG}; {AGAIN}")
    listed = contents.get("files")
    if not isinstance(listed, dict):
        raise CheckpointError(f"{d / CONTENTS}: lists no files; {AGAIN}")
    need = [f"state-{sh.m}.npz" for sh in nation.shards] + [PROGRESS]
    if ledger is not None:
        need += ["events.parquet", "ledger.npz"]
    missing = [n for n in need if n not in listed]
    if missing:
        raise CheckpointError(f"{d}: has no {', '.join(missing)} for this run; {AGAIN}")
    for sh in nation.shards:
        with np.load(_verified(d, f"state-{sh.m}.npz", listed[f"state-{sh.m}.npz"])) as z:
            for key, target in sh.st.arrays().items():
                src = z[key]
                if src.dtype != target.dtype or src.shape != target.shape:  # another version's state
                    raise ValueError(f"{key} is {src.dtype}{src.shape}, expected {target.dtype}{target.shape}")
                target[...] = src
        sh.ties_active = int(kernels.count_active(sh.st.indices))
    data = _read_bytes(d / PROGRESS)
    want = listed[PROGRESS]
    if len(data) != want.get("bytes") or hashlib.sha256(data).hexdigest() != want.get("sha256"):
        raise CheckpointError(f"{d / PROGRESS}: damaged (its sha256 differs from the one written with it); {AGAIN}")
    progress = _parse(data, d / PROGRESS)
    if progress.get("step") != step:
        raise CheckpointError(f"{d / PROGRESS}: for step {progress.get('step')}, but {f} says {step}; {AGAIN}")
    grades = [(t, m, tuple(names), np.array(counts, dtype=np.int64)) for t, m, names, counts in progress["grades"]]
    if ledger is not None:
        ledger.restore(pq.read_table(_verified(d, "events.parquet", listed["events.parquet"])))
        with np.load(_verified(d, "ledger.npz", listed["ledger.npz"])) as z:
            for key in z.files:
                ledger._prev_sectors[int(key.split("_")[1])] = z[key].copy()
    return int(step), progress["rows"], grades


def remove(run: Path) -> None:
    shutil.rmtree(checkpoint_dir(run), ignore_errors=True)


__all__ = ["CheckpointError", "load", "read_config", "remove", "save", "write_config"]
