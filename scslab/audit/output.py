"""Writing the audit's reports and docs: atomically, with the modes a plain write would give."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0o022)  # the only portable way to read it is to set it and put it back
    os.umask(mask)
    return mask


def output_problem(path: str | os.PathLike) -> str | None:
    """Why a report cannot be written at `path`, in words, or None (checked before any work)."""
    p = Path(path)
    if str(path).endswith(("/", os.sep)) or p.is_dir():
        return "is a directory; give a file name (e.g. audit.sarif)"
    parent = p.parent
    if not parent.exists():
        return f"no such directory: {parent}"
    if not parent.is_dir():
        return f"not a directory: {parent}"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot write in {parent}: permission denied"
    return None


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write `text` so that a reader never sees half a file.

    The file gets the mode an ordinary `open(path, "w")` would give it: the mode of the
    file it replaces, or 0o666 less the user's umask for a new one (mkstemp alone would
    leave it 0o600).
    """
    p = Path(path)
    try:
        mode = stat.S_IMODE(p.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
