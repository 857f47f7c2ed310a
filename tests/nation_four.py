"""The small four-municipality nation the executor tests share (tests/test_nation_ray.py,
tests/test_nation_processes.py): its config, run size, and table digests (the
one-process run of it is conftest's `local_run`)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from scslab.nation import parse_nation

NATION = parse_nation("""\
nation: four
national: court-blacklist
ties: {cross_municipality_share: 0.2}
municipalities:
  - {name: a, pilot: rongcheng, share: 0.4}
  - {name: b, pilot: guilt-by-association, share: 0.3}
  - {name: c, pilot: sesame, share: 0.2}
  - {name: d, pilot: none, share: 0.1}
""", "four.yaml")
N, STEPS, SEED = 3_000, 16, 7


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
            if p.is_file() and p.name != "timing.json"}
