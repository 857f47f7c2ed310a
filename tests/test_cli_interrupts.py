"""Ctrl-C in `compare`, `demo` and `sweep` says what was kept and how to go on, exits 130
without a traceback, and leaves no worker process behind (typer alone exits 130 silently)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

psutil = pytest.importorskip("psutil")


def _interrupt_when(cmd: list[str], ready, tmp_path) -> tuple[subprocess.CompletedProcess, list]:
    """Start `cmd`, wait until `ready()` and two pool workers run, send SIGINT; the result and the workers."""
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        me = psutil.Process(proc.pid)
        workers: list = []
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            workers = [c for c in me.children(recursive=True) if "resource_tracker" not in " ".join(c.cmdline())]
            if len(workers) >= 2 and ready():
                break
            time.sleep(0.2)
        assert proc.poll() is None and len(workers) >= 2, "the runs never started"
        os.kill(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    time.sleep(0.5)
    alive = [w.pid for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr), alive


@pytest.mark.slow
def test_sweep_interrupted_says_what_is_kept_and_continues(tmp_path):
    out = tmp_path / "sw"
    cmd = [sys.executable, "-m", "scslab", "sweep", "guilt-by-association", "-n", "1000", "-t", "120",
           "--samples", "4", "--out", str(out)]
    journal = out / "runs.jsonl"
    res, alive = _interrupt_when(cmd, lambda: journal.exists() and journal.stat().st_size > 0, tmp_path)
    assert res.returncode == 130, res.stderr
    assert "interrupted:" in res.stderr and "runs are kept in" in res.stderr and "run the same command again" in res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    assert not alive, f"workers left running: {alive}"
    kept = len(journal.read_text().splitlines())
    assert f"{kept} of 50 runs are kept" in res.stderr


@pytest.mark.slow
def test_compare_interrupted_says_nothing_was_kept(tmp_path):
    out = tmp_path / "rep"
    cmd = [sys.executable, "-m", "scslab", "compare", "rongcheng", "-n", "2000", "-t", "200", "--seeds", "3",
           "--no-levers", "--out", str(out)]
    started = time.monotonic()
    res, alive = _interrupt_when(cmd, lambda: time.monotonic() - started > 4, tmp_path)
    assert res.returncode == 130, res.stderr
    assert "interrupted: compare keeps no runs until it finishes, so nothing was written" in res.stderr
    assert "run the same command again" in res.stderr and "Traceback" not in res.stdout + res.stderr
    assert not alive, f"workers left running: {alive}"
    assert not (out / "report.html").exists()
