"""ProcessBlocks (issue 15): the same bytes in one process and on 1 or 2 worker processes
(and on Ray: tests/test_nation_ray.py); a killed worker recovers from the newest checkpoint
or fails saying so; an error in a worker is raised in the driver; blocks balance modelled
work."""

from __future__ import annotations

import os
import signal

import pytest
from nation_four import NATION, SEED, STEPS, N, digests
from typer.testing import CliRunner

from scslab.engine.distributed import ShardExecutorError, balance, partition, shard_cost
from scslab.engine.process_blocks import ProcessBlocks
from scslab.nation.run import run_config


def test_one_and_two_worker_processes_give_the_same_bytes(local_run, tmp_path):
    for workers in (1, 2):
        out = tmp_path / f"p{workers}"
        r = run_config(NATION, population=N, steps=STEPS, seed=SEED, out=out, executor=ProcessBlocks(workers))
        assert digests(out) == local_run, workers
        ex = r.timing["executor"]
        assert ex["executor"] == "processes" and ex["workers"] == workers
        assert ex["exchange_bytes_per_step"] == 0  # the views are shared: nothing is sent
        if workers == 2:  # blocks by cost, not contiguous: rows and shards come back in order all the same
            assert ex["blocks"] == [[1, 3], [0, 2]] and ex["exchange_ids_per_step"] > 0
        assert len(ex["shard_cpu_ms_per_step"]) == 4 and all(c > 0 for c in ex["shard_cpu_ms_per_step"])


@pytest.mark.slow
def test_a_resumed_run_on_worker_processes_gives_the_same_bytes(local_run, tmp_path):
    from scslab.engine import Simulation

    out = tmp_path / "r"
    with pytest.raises(_Stop):
        run_config(NATION, population=N, steps=STEPS, seed=SEED, out=out, checkpoint_every=5,
                   executor=ProcessBlocks(2), progress=_StopAt(11, _Stop))
    with Simulation.resume(out, executor=ProcessBlocks(2)) as sim:
        assert sim.t == 10
        sim.run()
        sim.result()
    a, b = local_run, digests(out)
    assert {k for k in a if a[k] != b[k]} == {"manifest.json", "COMPLETE"}  # checkpoint_every is recorded


class _Stop(Exception):
    pass


class _StopAt:
    """A progress callback that interrupts the run (as Ctrl-C would) after step `at`."""

    def __init__(self, at: int, exc=KeyboardInterrupt):
        self.at, self.exc = at, exc

    def __call__(self, done, total):
        if done == self.at:
            raise self.exc


def test_an_interrupted_run_leaves_no_worker_behind(tmp_path):
    ex = ProcessBlocks(2)
    with pytest.raises(KeyboardInterrupt):
        run_config(NATION, population=N, steps=STEPS, seed=SEED, executor=ex, progress=_StopAt(3))
    assert ex.pids and ex.procs == []
    for pid in ex.pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


class KillAt:
    """A progress callback that kills one worker process once, after step `at`."""

    def __init__(self, executor, at: int):
        self.executor, self.at, self.killed = executor, at, None

    def __call__(self, done, total):
        if done == self.at and self.killed is None:
            self.killed = self.executor.pids[-1]
            os.kill(self.killed, signal.SIGKILL)


@pytest.mark.slow
def test_a_killed_worker_process_recovers_from_the_newest_checkpoint(local_run, tmp_path):
    ex = ProcessBlocks(2)
    kill = KillAt(ex, 11)
    out = tmp_path / "killed"
    r = run_config(NATION, population=N, steps=STEPS, seed=SEED, out=out, executor=ex, checkpoint_every=5,
                   progress=kill)
    assert kill.killed is not None
    assert r.timing["recovered"] == [{"worker_lost_at_step": 11}]
    assert r.timing["resumed_from_step"] == 10
    a, b = local_run, digests(out)
    assert {k for k in a if a[k] != b[k]} == {"manifest.json", "COMPLETE"}


@pytest.mark.slow
def test_a_killed_worker_process_without_checkpoints_fails_the_run_and_writes_no_tables(tmp_path):
    ex = ProcessBlocks(2)
    out = tmp_path / "lost"
    with pytest.raises(ShardExecutorError, match=r"died at step 6 \(killed by signal 9\).*no checkpoints.*no tables"):
        run_config(NATION, population=N, steps=STEPS, seed=SEED, out=out, executor=ex, progress=KillAt(ex, 6))
    assert not (out / "COMPLETE").exists() and not list(out.glob("*.parquet"))


def test_an_error_in_a_worker_is_raised_in_the_driver():
    ex = ProcessBlocks(2)
    # a block whose "shard" is not one: the worker's Block fails, and says so through its pipe
    with pytest.raises(AttributeError, match="st") as e:
        ex._start([[0], [1]], [[object()], [object()]], 10, False, [{}, {}], [{}, {}], False)
    assert any("in the worker process stepping block" in note for note in e.value.__notes__)
    assert ex.procs == [] and ex.conns == []
    for pid in ex.pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_the_partition_balances_modelled_work_and_the_model_weighs_rulebooks():
    from scslab.engine.build import build_nation
    from scslab.engine.params import EngineParams
    from scslab.society import make_society

    nation = build_nation(NATION.rulebooks(), make_society(NATION.config.society_spec(40_000), seed=1),
                          EngineParams(), 1, NATION.national)
    costs = {sh.name if hasattr(sh, "name") else sh.m: shard_cost(sh) / sh.st.n for sh in nation.shards}
    rate = list(costs.values())  # ns a citizen (fixed part included) of a, b, c, d
    assert rate[1] > 1.5 * rate[0]  # guilt-by-association reads its ties' list flags every day
    assert rate[2] > 1.5 * rate[0]  # sesame's peers read scores
    assert partition([10.0, 30.0, 10.0, 10.0], 2, shard_cost=0) == [[0, 1], [2, 3]]  # contiguous (Ray)
    assert balance([10.0, 30.0, 10.0, 10.0], 2) == [[1], [0, 2, 3]]  # any blocks (worker processes)
    assert balance([5, 4, 3, 3, 2, 1], 2) == [[0, 3, 5], [1, 2, 4]]
    assert balance([1, 1, 1], 5) == [[0], [1], [2]]


def test_the_cli_runs_a_nation_on_worker_processes_and_refuses_bad_flags(tmp_path):
    from scslab.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["nation", "pilots-43", "-n", "4300", "-t", "3", "--executor", "processes",
                            "--workers", "2", "--out", str(tmp_path / "n")])
    assert r.exit_code == 0, r.output
    assert "2 worker processes" in r.output and (tmp_path / "n" / "COMPLETE").exists()
    for args, msg in ((["--executor", "threads"], "--executor takes local, processes or ray"),
                      (["--workers", "2"], "--workers needs --executor processes or ray"),
                      (["--executor", "processes", "--address", "auto"], "--address needs --executor ray"),
                      (["--executor", "processes", "--workers", "0"], "--workers must be in 1..4,096"),
                      (["--executor", "processes", "--ledger", "0.1"], "--ledger is kept only with --executor local")):
        r = runner.invoke(app, ["nation", "pilots-43", "-n", "4300", "-t", "3", *args, "--out", str(tmp_path / "x")])
        assert r.exit_code != 0 and msg in r.output, (args, r.output)
        assert "Traceback" not in r.output
