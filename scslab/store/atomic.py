"""Atomic, deterministic file writes.

Every output goes to a temporary file in the target's directory, is flushed and fsynced,
then renamed over the target with ``os.replace`` (atomic on POSIX and Windows), and the
directory is fsynced so the rename itself survives a crash. A reader therefore sees either
the old file or the new one, never half of one; a failure leaves the old file untouched
and no temporary file behind.

Parquet and JSON are written so that the same data gives the same bytes (for a given
pyarrow version, whose name the Parquet footer records), which is what lets two runs with
the same seed be compared byte for byte.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

__all__ = [
    "PARQUET_OPTIONS",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_file",
    "atomic_write_json",
    "atomic_write_parquet",
    "atomic_write_text",
    "is_temp_name",
    "json_bytes",
    "sha256_file",
    "temp_target",
    "to_arrow",
]

_TMP_SUFFIX = ".tmp"

# Fixed writer settings: a change of pyarrow's defaults must not change our bytes.
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_version": "1.0",
    "row_group_size": 1 << 20,
    "store_schema": True,
    "write_page_index": False,
}


def is_temp_name(name: str) -> bool:
    """True for the names of our temporary files (``.<target>.<random>.tmp``)."""
    return name.startswith(".") and name.endswith(_TMP_SUFFIX)


_TMP_NAME = re.compile(r"\.(.+)\.[0-9a-f]{12}\.tmp")


def temp_target(name: str) -> str | None:
    """The target a temporary file of ours was for (``.steps.parquet.0a1b2c3d4e5f.tmp`` ->
    ``steps.parquet``), or None for any other name."""
    m = _TMP_NAME.fullmatch(name)
    return m.group(1) if m else None


def sha256_file(path: str | os.PathLike) -> str:
    """The sha256 of a file's bytes, read in 1 MiB pieces."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fsync_dir(directory: str | os.PathLike) -> None:
    """Make a rename or unlink in ``directory`` durable (a no-op where unsupported)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path`` atomically.

    For writers that want a file name rather than a file object (pyarrow, numpy). If the
    body raises, the temporary file is removed and ``path`` is left as it was.
    """
    target = Path(path)
    directory = target.parent
    tmp = directory / f".{target.name}.{secrets.token_hex(6)}{_TMP_SUFFIX}"
    # O_EXCL: never clobber anything; mode 0o666 lets the umask decide, unlike mkstemp's 0600.
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield tmp
        _fsync_file(str(tmp))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(directory)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(data)
        f.flush()


def atomic_write_file(path: str | os.PathLike, write: Callable[[BinaryIO], Any]) -> None:
    """Call ``write(f)`` on a binary file that replaces ``path`` atomically when it returns
    (for writers that want a file object: ``numpy.savez``, ``json.dump`` on bytes...)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        write(f)
        f.flush()


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically (no newline translation: same text, same bytes)."""
    atomic_write_bytes(path, text.encode(encoding))


def _json_default(obj: Any) -> Any:
    # Values the engine naturally has at hand: numpy scalars and arrays, paths, dates, sets.
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "shape", None) == ():
        return obj.item()
    if hasattr(obj, "tolist") and callable(obj.tolist):
        return obj.tolist()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, _dt.datetime | _dt.date | _dt.time):
        return obj.isoformat()
    if isinstance(obj, set | frozenset):
        return sorted(obj)
    if isinstance(obj, Mapping):
        return dict(obj)
    raise TypeError(f"cannot write a {type(obj).__name__} as JSON: {obj!r}")


def json_bytes(obj: Any) -> bytes:
    """Canonical JSON: sorted keys, indent 2, UTF-8, trailing newline; NaN/inf refused."""
    text = json.dumps(
        obj, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False, default=_json_default
    )
    return (text + "\n").encode("utf-8")


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as canonical JSON (see :func:`json_bytes`) atomically."""
    atomic_write_bytes(path, json_bytes(obj))


def to_arrow(data: Any):
    """An Arrow table from a pyarrow Table, a pandas DataFrame or a mapping of columns.

    A DataFrame's default RangeIndex is dropped; any other index becomes ordinary columns
    (so nothing is lost silently). The ``pandas`` schema metadata is dropped from every
    table because it embeds the pandas version: same data, same bytes.
    """
    return _without_pandas_metadata(_as_arrow(data))


def _without_pandas_metadata(table):
    meta = table.schema.metadata
    if not meta or b"pandas" not in meta:
        return table
    rest = {k: v for k, v in meta.items() if k != b"pandas"}
    return table.replace_schema_metadata(rest or None)


def _as_arrow(data: Any):
    import pyarrow as pa

    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(data, pd.DataFrame):
        df = data
        idx = df.index
        default_index = (
            isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1 and idx.name is None
        )
        if not default_index:
            df = df.reset_index()
        return pa.Table.from_pandas(df, preserve_index=False)
    if isinstance(data, Mapping):
        return pa.table(dict(data))
    raise TypeError(
        f"expected a pyarrow Table, a pandas DataFrame or a mapping of columns, not {type(data).__name__}"
    )


def atomic_write_parquet(path: str | os.PathLike, data: Any) -> None:
    """Write a table (Arrow, pandas or a mapping of columns) to Parquet, atomically and
    deterministically (fixed writer options, see :data:`PARQUET_OPTIONS`)."""
    import pyarrow.parquet as pq

    table = to_arrow(data)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, **PARQUET_OPTIONS)
