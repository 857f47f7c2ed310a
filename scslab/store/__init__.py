"""Run folders: atomic, deterministic outputs of a run, and SQL across many runs.

- :mod:`.atomic`: atomic writes of bytes, text, canonical JSON and deterministic Parquet.
- :mod:`.run_folder`: ``RunWriter`` writes a run folder, ``open_run`` reads one.
- :mod:`.catalog`: ``Catalog`` puts DuckDB views over many run folders.

See docs/run-folders.md.
"""

from .atomic import (
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_parquet,
    atomic_write_text,
)
from .errors import IncompleteRunError, RunExistsError, RunFolderError, RunLockedError
from .run_folder import RunFolder, RunWriter, check_writable, open_run, validate_table_name


def __getattr__(name: str):
    # The catalog imports duckdb; load it only when asked for.
    if name == "Catalog":
        from .catalog import Catalog

        return Catalog
    raise AttributeError(name)


__all__ = [
    "Catalog",
    "IncompleteRunError",
    "RunExistsError",
    "RunFolder",
    "RunFolderError",
    "RunLockedError",
    "RunWriter",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_parquet",
    "atomic_write_text",
    "check_writable",
    "open_run",
    "validate_table_name",
]
