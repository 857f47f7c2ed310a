"""Issue 19: a run killed inside any file write, at any byte, resumes to the same bytes.

fuzz/killpoint.py kills the CLI with SIGKILL from inside a chosen write (the temporary file
cut to a chosen fraction of its bytes, or just after its rename). Here: the kill points the
issue names (the final table write, which left a temporary file no resume could get past),
COMPLETE, a checkpoint's state and LATEST; then fuzz/kill_loop.py itself at a small budget.
The full loop (50 kills) is in docs/reliability.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scslab.store import open_run

ROOT = Path(__file__).resolve().parents[1]
KILLPOINT = ROOT / "fuzz" / "killpoint.py"
HARSH = ROOT / "tests" / "data" / "harsh.yaml"
ARGS = ["run", str(HARSH), "-n", "300", "-t", "12", "--seed", "3", "--ledger", "0.5", "--checkpoint-every", "3"]


def _killpoint(args: list[str], plan: dict) -> subprocess.CompletedProcess:
    env = {**os.environ, "SCSLAB_KILLPOINT": json.dumps(plan)}
    return subprocess.run([sys.executable, str(KILLPOINT), *args], capture_output=True, text=True, env=env)


def _digests(folder: Path) -> dict[str, str]:
    names = sorted(p.name for p in folder.glob("*.parquet")) + ["manifest.json", "COMPLETE"]
    return {n: hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in names}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """An uninterrupted checkpointed run: its digests and the list of its writes."""
    base = tmp_path_factory.mktemp("kills")
    log = base / "writes.txt"
    out = _killpoint([*ARGS, "--out", str(base / "ref")], {"write": 0, "log": str(log)})
    assert out.returncode == 0, out.stderr
    writes = [Path(line.split("\t")[1]).relative_to(base / "ref").as_posix() for line in log.read_text().splitlines()]
    return _digests(base / "ref"), writes


def _index(writes: list[str], name: str, nth: int = 1) -> int:
    hits = [i for i, w in enumerate(writes, 1) if w == name or w.endswith("/" + name)]
    return hits[nth - 1]


KILLS = [
    ("citizens.parquet", 1, 0.5, "before"),  # the issue: a kill inside the final table write
    ("steps.parquet", 1, 0.0, "after"),  # renamed, the folder not yet fsynced
    ("COMPLETE", 1, 0.3, "before"),
    ("COMPLETE", 1, 1.0, "after"),  # COMPLETE written; the checkpoint and INCOMPLETE still there
    ("state-0.npz", 2, 0.4, "before"),  # a checkpoint's state, half written
    ("LATEST", 2, 0.5, "before"),
    ("INCOMPLETE", 3, 0.6, "before"),  # the journal, updated before a table is written
]


@pytest.mark.parametrize("name,nth,fraction,phase", KILLS, ids=[f"{k[0]}-{k[1]}-{k[3]}" for k in KILLS])
def test_a_kill_inside_a_write_resumes_to_the_same_bytes(recorded, tmp_path, name, nth, fraction, phase):
    digests, writes = recorded
    folder = tmp_path / "run"
    k = _index(writes, name, nth)
    out = _killpoint([*ARGS, "--out", str(folder)], {"write": k, "fraction": fraction, "phase": phase})
    assert out.returncode == -9, out.stderr
    res = subprocess.run([sys.executable, "-m", "scslab.cli", "run", "--resume", str(folder)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert _digests(folder) == digests
    open_run(folder, verify=True)
    assert sorted(os.listdir(folder)) == sorted(
        [*digests, "timing.json"]), "temporary files, INCOMPLETE or the checkpoint left behind"


def test_kill_loop_at_a_small_budget(tmp_path):
    """fuzz/kill_loop.py end to end (random kills of all kinds), a few trials."""
    if shutil.which("true") is None:  # pragma: no cover
        pytest.skip("no shell tools")
    out = subprocess.run([sys.executable, str(ROOT / "fuzz" / "kill_loop.py"), "--kills", "3", "--population",
                          "300", "--steps", "12", "--every", "3", "--seed", "4"], capture_output=True, text=True,
                         timeout=900)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 different or failed; 0 tracebacks" in out.stdout, out.stdout
