"""Whole runs: determinism, nations, run folders, explanations, the CLI."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scslab.engine import run_nation, simulate
from scslab.explain import explain
from scslab.pilots import PILOTS, load_pilot
from scslab.rulebook import load_rulebook
from scslab.store import open_run

HARSH = Path(__file__).parent / "data" / "harsh.yaml"


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.parquet"))}


def test_seeded_runs_write_byte_identical_tables(tmp_path):
    rb = load_rulebook(HARSH)
    a = simulate(rb, population=800, steps=25, seed=7, ledger=True).write(tmp_path / "a")
    b = simulate(rb, population=800, steps=25, seed=7, ledger=True).write(tmp_path / "b")
    c = simulate(rb, population=800, steps=25, seed=8, ledger=True).write(tmp_path / "c")
    assert _digest(a) == _digest(b)
    assert _digest(a)["steps.parquet"] != _digest(c)["steps.parquet"]


def test_results_do_not_depend_on_thread_count(tmp_path):
    # SCSLAB_PARALLEL_FROM=0 lowers the one-thread threshold (200,000 citizens) so that this
    # small run really steps on 2 threads; the run reports the count it stepped with and the
    # count numba has again after the run (set to 1 before it, to see that it is given back).
    code = (
        "import sys, hashlib, numba; from scslab.engine import simulate; from scslab.rulebook import load_rulebook;"
        "numba.set_num_threads(1); seen = set();"
        f"r = simulate(load_rulebook({str(HARSH)!r}), population=600, steps=15, seed=2, ledger=True,"
        " progress=lambda d, t: seen.add(numba.get_num_threads()));"
        "print(sorted(seen), numba.get_num_threads(),"
        " hashlib.sha256(r.citizens.to_csv().encode() + r.events.to_csv().encode()).hexdigest())"
    )
    outs = {}
    for threads in ("1", "2"):
        env = {**os.environ, "NUMBA_NUM_THREADS": threads, "SCSLAB_PARALLEL_FROM": "0"}
        outs[threads] = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                                       check=True).stdout.split()
    assert outs["1"][0] == "[1]" and outs["2"][0] == "[2]"  # stepped on 1 and on 2 threads
    assert outs["1"][1] == outs["2"][1] == "1"  # the caller's count given back after the run
    assert outs["1"][2] == outs["2"][2]  # the same results


def test_a_small_run_steps_on_one_thread_and_gives_the_count_back(monkeypatch):
    import numba

    monkeypatch.delenv("SCSLAB_PARALLEL_FROM", raising=False)
    before = numba.get_num_threads()
    seen = set()
    simulate(load_rulebook(HARSH), population=300, steps=3, seed=1,
             progress=lambda d, t: seen.add(numba.get_num_threads()))
    assert seen == {1}
    assert numba.get_num_threads() == before


def test_a_nation_of_three_municipalities_with_different_pilots_runs():
    pilots = [load_rulebook(HARSH), load_pilot("rongcheng"), load_pilot(PILOTS[2] if len(PILOTS) > 2 else "rongcheng")]
    r = run_nation(pilots, population=1_500, steps=20, seed=1, national=load_pilot("court-blacklist"))
    assert sorted(r.steps.municipality.unique()) == [0, 1, 2]
    assert len(r.citizens) == 1_500
    # Aggregates add up across shards: per-step sums equal the per-citizen counters.
    assert r.steps.records.sum() == r.citizens.records.sum()
    assert r.steps.groupby("step").population.sum().eq(1_500).all()
    names = {x["name"] for x in r.manifest["rulebooks"]}
    assert names == {p.metadata.name for p in pilots}


def test_a_nation_does_not_depend_on_the_order_shards_step_in(monkeypatch):
    import scslab.engine.build as runmod

    rb = load_rulebook(HARSH)
    a = run_nation([rb, rb, rb], population=900, steps=15, seed=4)
    real = runmod.build_nation

    def reversed_nation(*args, **kw):
        n = real(*args, **kw)
        n.shards.reverse()
        return n

    monkeypatch.setattr(runmod, "build_nation", reversed_nation)
    b = run_nation([rb, rb, rb], population=900, steps=15, seed=4)
    sa = a.steps.sort_values(["step", "municipality"]).reset_index(drop=True)
    sb = b.steps.sort_values(["step", "municipality"]).reset_index(drop=True)
    assert sa.equals(sb)
    assert a.citizens.sort_values("citizen").reset_index(drop=True).equals(
        b.citizens.sort_values("citizen").reset_index(drop=True))


def test_run_folder_round_trip(tmp_path):
    r = simulate(load_rulebook(HARSH), population=500, steps=10, seed=1, ledger=0.5)
    folder = r.write(tmp_path / "run")
    run = open_run(folder)
    assert set(run.tables()) >= {"steps", "citizens", "grades", "c4", "network", "events", "ties"}
    assert run.manifest["seed"] == 1 and run.manifest["rulebook"] == "harsh"
    assert run.verify() == []
    assert np.allclose(run.table("citizens").score.to_numpy(), r.citizens.score.to_numpy())


def test_explain_says_a_wrongfully_listed_citizen_was_wronged(tmp_path):
    r = simulate(load_rulebook(HARSH), population=1_500, steps=60, seed=3, ledger=True)
    folder = r.write(tmp_path / "run")
    ev = r.events
    wrong = ev[(ev.kind == "listed") & ev.wrongful]
    assert len(wrong) > 0
    cid = int(wrong.citizen.iloc[0])
    notice = explain(folder, cid)
    text = notice.text()
    assert "wrongful" in text.lower()
    assert 1 <= len(notice.reasons) <= 4
    assert len(notice.records) > 0 and set(notice.records.truth) <= {"true", "false", "excusable"}
    # The CLI prints the same notice, with tables, and no traceback.
    out = subprocess.run([sys.executable, "-m", "scslab.cli", "explain", str(folder), str(cid)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "wrongful" in out.stdout.lower() and "Recorded acts" in out.stdout


@pytest.mark.parametrize("args,needle", [
    (["run", "rongcheng", "--population", "0"], "population"),
    (["run", "rongcheng", "--steps", "0"], "steps"),
    (["run", "rongcheng", "--ledger", "2"], "ledger"),
    (["run", "no-such-pilot"], "no such file"),
    (["explain", "/nonexistent/run", "3"], ""),
])
def test_cli_refuses_bad_parameters_without_a_traceback(args, needle, tmp_path):
    out = subprocess.run([sys.executable, "-m", "scslab.cli", *args], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr + out.stdout
    assert needle in (out.stderr + out.stdout).lower()


def test_cli_run_writes_a_folder_and_prints_a_summary(tmp_path):
    out = subprocess.run([sys.executable, "-m", "scslab.cli", "run", str(HARSH), "-n", "400", "-t", "10",
                          "--out", str(tmp_path / "r"), "--ledger", "1"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "share blacklisted" in out.stdout
    assert (tmp_path / "r" / "COMPLETE").exists()
