"""Runs killed with SIGKILL at several points resume to byte-identical tables."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scslab.store import IncompleteRunError, open_run

HARSH = Path(__file__).parent / "data" / "harsh.yaml"
ARGS = [str(HARSH), "-n", "2500", "-t", "60", "--seed", "11", "--ledger", "0.5"]


def _cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "scslab.cli", *args], capture_output=True, text=True, **kw)


def _tables(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.parquet"))}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ref") / "run"
    out = _cli("run", *ARGS, "--out", str(folder))
    assert out.returncode == 0, out.stderr
    return _tables(folder)


def _kill_when(folder: Path, min_step: int, timeout: float = 120.0) -> int:
    """Start a checkpointed run, SIGKILL it once a checkpoint of at least min_step exists."""
    proc = subprocess.Popen([sys.executable, "-m", "scslab.cli", "run", *ARGS, "--out", str(folder),
                             "--checkpoint-every", "5"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    latest = folder / "checkpoint" / "LATEST"
    deadline = time.monotonic() + timeout
    step = -1
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if latest.exists():
                try:
                    step = json.loads(latest.read_text())["payload"]["step"]
                except (ValueError, OSError):
                    step = -1
                if step >= min_step:
                    break
            time.sleep(0.01)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    return step


@pytest.mark.parametrize("kill_at", [5, 25, 50])
def test_killed_run_resumes_to_identical_tables(tmp_path, reference, kill_at):
    folder = tmp_path / "run"
    step = _kill_when(folder, kill_at)
    if (folder / "COMPLETE").exists():
        pytest.skip("the run finished before it could be killed (machine too fast for this kill point)")
    assert step >= kill_at
    # A killed run is marked incomplete: no reader takes it for complete.
    assert (folder / "INCOMPLETE").exists()
    with pytest.raises(IncompleteRunError):
        open_run(folder)
    out = _cli("run", "--resume", str(folder))
    assert out.returncode == 0, out.stderr
    assert _tables(folder) == reference
    run = open_run(folder)
    assert run.verify() == []
    assert run.timing["resumed_from_step"] >= kill_at
    assert not (folder / "checkpoint").exists()


def test_kill_during_the_first_steps_leaves_an_incomplete_folder(tmp_path):
    folder = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "scslab.cli", "run", *ARGS, "--out", str(folder),
                             "--checkpoint-every", "5"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not (folder / "INCOMPLETE").exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    if (folder / "COMPLETE").exists():
        pytest.skip("finished before the kill")
    with pytest.raises(IncompleteRunError):
        open_run(folder)
    # Resuming works whether or not a checkpoint was reached.
    out = _cli("run", "--resume", str(folder))
    if "no checkpoint" in out.stderr:
        assert out.returncode == 2 and "Traceback" not in out.stderr
    else:
        assert out.returncode == 0, out.stderr


def test_resume_of_a_finished_run_changes_nothing(tmp_path):
    folder = tmp_path / "run"
    assert _cli("run", *ARGS[:1], "-n", "300", "-t", "5", "--out", str(folder)).returncode == 0
    before = _tables(folder)
    out = _cli("run", "--resume", str(folder))
    assert out.returncode == 0, out.stderr
    assert _tables(folder) == before
