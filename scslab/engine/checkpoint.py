"""Checkpoints inside an incomplete run folder, so a killed run can resume.

Layout while a run is in progress::

    RUN/INCOMPLETE
    RUN/checkpoint/config.json     everything needed to rebuild the run (rulebooks, spec, seed...)
    RUN/checkpoint/LATEST          {"step": t, "dir": "ckpt-000120"}: the newest complete checkpoint
    RUN/checkpoint/ckpt-000120/    shard states (npz), aggregates so far (JSON), ledger so far

A checkpoint directory is written under a temporary name and renamed when whole; LATEST is
replaced atomically afterwards. A kill at any moment leaves LATEST pointing at a whole
checkpoint (or absent: the run restarts from day 0). Random numbers are keyed by
(seed, municipality, step), so a resumed run draws exactly what the uninterrupted run drew.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from ..store.atomic import atomic_write_json, atomic_write_parquet, fsync_dir
from . import kernels

DIR = "checkpoint"
LATEST = "LATEST"
CONFIG = "config.json"


class CheckpointError(ValueError):
    """A checkpoint that cannot be read back (damaged, truncated, from another run)."""


def checkpoint_dir(run: Path) -> Path:
    return Path(run) / DIR


def write_config(run: Path, config: dict) -> None:
    d = checkpoint_dir(run)
    d.mkdir(parents=True, exist_ok=True)
    atomic_write_json(d / CONFIG, config)


def read_config(run: Path) -> dict | None:
    f = checkpoint_dir(run) / CONFIG
    if not f.is_file():
        return None
    try:
        config = json.loads(f.read_text(encoding="utf-8"))
    except (ValueError, OSError) as e:
        raise CheckpointError(f"{f}: cannot be read ({e}); start the run again") from None
    if not isinstance(config, dict) or not config.get("rulebooks"):
        raise CheckpointError(f"{f}: not a checkpoint configuration; start the run again")
    return config


def save(run: Path, t_done: int, nation, rows: list[dict], grades: list, ledger) -> None:
    """Save the state after `t_done` steps (steps 0..t_done-1 are done)."""
    base = checkpoint_dir(run)
    name = f"ckpt-{t_done:06d}"
    tmp = base / (name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    for sh in nation.shards:
        arrays = sh.st.arrays()
        with open(tmp / f"state-{sh.m}.npz", "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
    progress = {
        "step": t_done,
        "rows": rows,
        "grades": [[t, m, list(names), [int(x) for x in counts]] for t, m, names, counts in grades],
    }
    with open(tmp / "progress.json", "w", encoding="utf-8") as f:
        json.dump(progress, f)
        f.flush()
        os.fsync(f.fileno())
    if ledger is not None:
        atomic_write_parquet(tmp / "events.parquet", ledger.table())
        np.savez(tmp / "ledger.npz", **{f"prev_{m}": v for m, v in ledger._prev_sectors.items()})
    fsync_dir(tmp)
    final = base / name
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    fsync_dir(base)
    atomic_write_json(base / LATEST, {"step": t_done, "dir": name})
    for old in base.iterdir():  # keep only the newest whole checkpoint
        if old.is_dir() and old.name != name:
            shutil.rmtree(old, ignore_errors=True)


def load(run: Path, nation, ledger) -> tuple[int, list[dict], list]:
    """Restore shard states from the newest checkpoint; returns (next step, rows, grades)."""
    import zipfile

    try:
        return _load(run, nation, ledger)
    except (ValueError, KeyError, OSError, zipfile.BadZipFile) as e:
        raise CheckpointError(f"{checkpoint_dir(run)}: the checkpoint cannot be read ({type(e).__name__}: {e}); "
                              "start the run again") from None


def _load(run: Path, nation, ledger) -> tuple[int, list[dict], list]:
    base = checkpoint_dir(run)
    f = base / LATEST
    if not f.is_file():
        return 0, [], []
    latest = json.loads(f.read_text(encoding="utf-8"))
    d = base / latest["dir"]
    for sh in nation.shards:
        with np.load(d / f"state-{sh.m}.npz") as z:
            for key, target in sh.st.arrays().items():
                src = z[key]
                if src.dtype != target.dtype or src.shape != target.shape:  # another version's state
                    raise ValueError(f"{key} is {src.dtype}{src.shape}, expected {target.dtype}{target.shape}")
                target[...] = src
        sh.ties_active = int(kernels.count_active(sh.st.indices))
    with open(d / "progress.json", encoding="utf-8") as fh:
        progress = json.load(fh)
    grades = [(t, m, tuple(names), np.array(counts, dtype=np.int64)) for t, m, names, counts in progress["grades"]]
    if ledger is not None and (d / "events.parquet").exists():
        ledger.restore(pq.read_table(d / "events.parquet"))
        with np.load(d / "ledger.npz") as z:
            for key in z.files:
                ledger._prev_sectors[int(key.split("_")[1])] = z[key].copy()
    return int(progress["step"]), progress["rows"], grades


def remove(run: Path) -> None:
    shutil.rmtree(checkpoint_dir(run), ignore_errors=True)


__all__ = ["CheckpointError", "load", "read_config", "remove", "save", "write_config"]
