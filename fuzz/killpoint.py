"""Run the scslab CLI and SIGKILL it inside one chosen file write, at a chosen byte.

    SCSLAB_KILLPOINT='{"write": 17, "fraction": 0.4}' python fuzz/killpoint.py run ... --out R
    SCSLAB_KILLPOINT='{"write": 0, "log": "writes.txt"}' python fuzz/killpoint.py run ...

Every file scslab writes goes through ``scslab.store.atomic.atomic_path`` (tables, manifest,
markers, checkpoint files, LATEST). This launcher counts those writes; on the one numbered
``write`` (1-based; 0 never kills) it lets the writer fill its temporary file, then:

- ``"phase": "before"`` (default): cuts the temporary file to ``fraction`` of its bytes and
  kills the process with SIGKILL: what a kill at that byte of the write leaves on disk;
- ``"phase": "after"``: renames the file into place and kills the process before the
  folder is fsynced or anything else happens.

With ``"log": PATH`` each write's number and target path are appended to PATH first, so a
caller can count the writes of an uninterrupted run and choose one. Used by
``fuzz/kill_loop.py`` and ``tests/test_reliability_kills.py``; nothing in scslab itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import sys
from pathlib import Path

ENV = "SCSLAB_KILLPOINT"


def install(plan: dict) -> None:
    import scslab.store.atomic as atomic

    original = atomic.atomic_path
    write_at = int(plan.get("write", 0))
    fraction = float(plan.get("fraction", 0.5))
    phase = plan.get("phase", "before")
    log = plan.get("log")
    count = 0

    @contextlib.contextmanager
    def atomic_path(path):
        nonlocal count
        count += 1
        target = Path(path)
        if log:
            with open(log, "a", encoding="utf-8") as f:
                f.write(f"{count}\t{target}\n")
        if count != write_at:
            with original(path) as tmp:
                yield tmp
            return
        tmp = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        yield tmp
        if phase == "after":
            os.replace(tmp, target)
        else:
            os.truncate(tmp, int(tmp.stat().st_size * fraction))
        os.kill(os.getpid(), signal.SIGKILL)

    atomic.atomic_path = atomic_path


def main() -> None:
    plan = json.loads(os.environ.get(ENV) or "{}")
    install(plan)
    from scslab.cli import main as cli_main

    sys.argv = ["scslab", *sys.argv[1:]]
    cli_main()


if __name__ == "__main__":
    main()
