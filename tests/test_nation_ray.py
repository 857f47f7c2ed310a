"""Shards in blocks (issue 15): the same bytes in one process, in blocks, and on 1 or 2 Ray
workers; a worker killed mid-run recovers from the newest checkpoint or fails saying so."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest
from nation_four import NATION, SEED, STEPS, N, digests

from scslab.engine.distributed import InProcessBlocks, ShardExecutorError, exchange_plan, partition
from scslab.nation.run import run_config


def test_partition_makes_contiguous_blocks_of_about_equal_work():
    assert partition([10, 10, 10, 10], 2, shard_cost=0) == [[0, 1], [2, 3]]
    assert partition([50, 10, 10, 10, 10, 10], 2, shard_cost=0) == [[0], [1, 2, 3, 4, 5]]
    assert partition([1, 1, 1], 5) == [[0], [1], [2]]
    # a shard's fixed work counts: many small shards weigh more than their citizens
    assert partition([50_000, 10_000, 10_000, 10_000, 10_000, 10_000], 2) == [[0, 1], [2, 3, 4, 5]]
    blocks = partition(list(range(1, 44)), 3, shard_cost=0)
    assert [m for b in blocks for m in b] == list(range(43)) and len(blocks) == 3
    sizes = [sum(range(b[0] + 1, b[-1] + 2)) for b in blocks]
    assert max(sizes) < 1.6 * min(sizes)


def test_the_exchange_plan_covers_every_remote_tie_and_nothing_else():
    from scslab.engine.build import build_nation
    from scslab.engine.params import EngineParams

    soc = NATION.config.society_spec(2_000)
    from scslab.society import make_society

    nation = build_nation(NATION.rulebooks(), make_society(soc, seed=1), EngineParams(), 1, NATION.national)
    blocks = [[0, 1], [2, 3]]
    plan = exchange_plan(nation.shards, blocks)
    for dst, b in enumerate(blocks):
        lo, hi = nation.shards[b[0]].id_range[0], nation.shards[b[-1]].id_range[1]
        read = np.unique(np.concatenate([nation.shards[m].remote_ids() for m in b]))
        read = read[(read < lo) | (read >= hi)]
        sent = np.concatenate([plan[(src, dst)] for src in range(2) if src != dst])
        assert np.array_equal(np.sort(sent), read)


@pytest.mark.parametrize("blocks", [1, 2, 3])
def test_blocks_in_this_process_give_the_same_bytes(local_run, tmp_path, blocks):
    r = run_config(NATION, population=N, steps=STEPS, seed=SEED, out=tmp_path / "b", executor=InProcessBlocks(blocks))
    assert digests(tmp_path / "b") == local_run
    ex = r.timing["executor"]
    assert ex["workers"] == blocks and (ex["exchange_bytes_per_step"] > 0) == (blocks > 1)


def test_one_and_two_ray_workers_give_the_same_bytes(ray_session, local_run, tmp_path):
    from scslab.engine.ray_blocks import RayShards

    for workers in (1, 2):
        out = tmp_path / f"ray{workers}"
        r = run_config(NATION, population=N, steps=STEPS, seed=SEED, out=out, executor=RayShards(workers))
        assert digests(out) == local_run, workers
        assert r.timing["executor"]["workers"] == workers
    # the exchange: 8 bytes (harm, cheat, two flags) and 4 more for the score sesame's peers read
    assert r.timing["executor"]["exchange_bytes_per_step"] == 12 * r.timing["executor"]["exchange_ids_per_step"]


class KillAt:
    """A progress callback that kills one Ray worker's process once, after step `at`."""

    def __init__(self, executor, at: int):
        self.executor, self.at, self.killed = executor, at, None

    def __call__(self, done, total):
        if done == self.at and self.killed is None:
            self.killed = self.executor.pids[-1]
            os.kill(self.killed, signal.SIGKILL)


@pytest.mark.slow
def test_a_killed_ray_worker_recovers_from_the_newest_checkpoint(ray_session, local_run, tmp_path):
    from scslab.engine.ray_blocks import RayShards

    ex = RayShards(2)
    kill = KillAt(ex, 11)
    out = tmp_path / "killed"
    r = run_config(NATION, population=N, steps=STEPS, seed=SEED, out=out, executor=ex, checkpoint_every=5,
                   progress=kill)
    assert kill.killed is not None
    assert r.timing["recovered"] == [{"worker_lost_at_step": r.timing["recovered"][0]["worker_lost_at_step"]}]
    assert r.timing["resumed_from_step"] == 10
    a, b = local_run, digests(out)
    assert a.keys() == b.keys()
    # everything but the manifest (which records checkpoint_every) and COMPLETE (its hash)
    assert {k for k in a if a[k] != b[k]} == {"manifest.json", "COMPLETE"}


@pytest.mark.slow
def test_a_killed_ray_worker_without_checkpoints_fails_the_run_and_writes_no_tables(ray_session, tmp_path):
    from scslab.engine.ray_blocks import RayShards

    ex = RayShards(2)
    out = tmp_path / "lost"
    with pytest.raises(ShardExecutorError, match="died at step .*no checkpoints.*no tables were written"):
        run_config(NATION, population=N, steps=STEPS, seed=SEED, out=out, executor=ex, progress=KillAt(ex, 6))
    assert not (out / "COMPLETE").exists() and not list(out.glob("*.parquet"))
