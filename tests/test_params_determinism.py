"""Same inputs and seed, byte-identical Parquet tables: across processes and thread counts.

tests/test_engine_runs.py checks one municipality in one process (Parquet) and across
thread counts (CSV). This adds the case with the most moving parts: a nation of three
municipalities with different rulebooks, a national list and the full event ledger,
written by two separate processes, one with NUMBA_NUM_THREADS=1 and one with 2 (with
SCSLAB_PARALLEL_FROM=0, so that the small run really steps on 2 threads).
The manifest and COMPLETE are compared too; only timing.json (wall-clock seconds) may differ.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

HARSH = Path(__file__).parent / "data" / "harsh.yaml"

CODE = """
import sys
from scslab.engine import run_nation
from scslab.pilots import load_pilot
from scslab.rulebook import load_rulebook
harsh = load_rulebook(sys.argv[1])
run_nation([harsh, load_pilot("rongcheng"), harsh], population=1_200, steps=20, seed=5,
           society={"municipalities": 3}, national=load_pilot("court-blacklist"), ledger=True,
           out=sys.argv[2])
"""


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
            if p.is_file() and p.name != "timing.json"}


def test_a_nation_with_the_ledger_is_byte_identical_across_processes_and_threads(tmp_path):
    runs = {}
    for threads in ("1", "2"):
        out = tmp_path / f"t{threads}"
        env = {**os.environ, "NUMBA_NUM_THREADS": threads, "SCSLAB_PARALLEL_FROM": "0"}
        proc = subprocess.run([sys.executable, "-c", CODE, str(HARSH), str(out)], env=env,
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert (out / "COMPLETE").exists()
        runs[threads] = _digests(out)
    assert {"steps.parquet", "citizens.parquet", "events.parquet", "grades.parquet", "manifest.json",
            "COMPLETE"} <= set(runs["1"])
    assert runs["1"] == runs["2"]
