"""Blocks of shards on Ray actors: a run's supersteps across machines (`RayShards`).

Each actor hosts one block (engine/distributed.py `Block`) and sends every other block
the entries of its citizens that the other's ties read, as separate objects through Ray's
object store; nothing else crosses. Ray is an optional extra: `pip install 'scslab[ray]'`.
"""

from __future__ import annotations

import os

from .distributed import Block, BlockExecutor, ShardExecutorError, WorkerLost, _nbytes


class _BlockActor:
    """The Ray actor around a Block: outboxes go out as separate objects, one per block."""

    def __init__(self, index, shards, n, need_score, exports, imports, track, threads):
        import pickle

        # Shards come pickled in one bytes object: arrays Ray hands over directly are
        # read-only views of its object store, and a shard writes its state in place.
        self.block = Block(index, pickle.loads(shards), n, need_score, exports, imports, track, threads)
        self.k = len(exports) + 1

    def pid(self) -> int:
        return os.getpid()

    def _boxes(self, box):
        parts = [box[b] for b in sorted(box)]
        return parts

    def start(self):
        parts = self._boxes(self.block.outbox())
        return parts[0] if len(parts) == 1 else tuple(parts)

    def step(self, t, steps, *inbox):
        others = [a for a in range(self.k) if a != self.block.index]
        rows, grades, box = self.block.step(t, steps, dict(zip(others, inbox, strict=True)))
        head = (rows, grades, _nbytes(box))
        return (head, *self._boxes(box)) if box else head

    def states(self):
        return self.block.states()

    def finish(self):
        import pickle

        cpu = (self.block.cpu, self.block.cpu_process, self.block.shard_cpu)
        return pickle.dumps(self.block.finish(), protocol=pickle.HIGHEST_PROTOCOL), cpu


class RayShards(BlockExecutor):
    """Blocks on Ray actors, one CPU each (about one per core). Needs `pip install 'scslab[ray]'`.

    `address` is a running cluster ("auto" finds one); None starts Ray on this machine with
    as many CPUs as workers (or uses the Ray this process already started).
    """

    name = "ray"

    def __init__(self, workers: int | None = None, address: str | None = None, threads: int = 1):
        try:
            import ray
        except ImportError as e:
            raise ShardExecutorError("the Ray executor needs Ray: pip install 'scslab[ray]'") from e
        self.ray = ray
        if not ray.is_initialized():
            kw = {"address": address} if address else {"num_cpus": workers or os.cpu_count() or 1}
            ray.init(include_dashboard=False, log_to_driver=False, **kw)
        self.workers = int(workers or max(1, int(ray.cluster_resources().get("CPU", 1))))
        self.threads = threads
        self.actors = []
        self._cls = ray.remote(num_cpus=1, max_restarts=0)(_BlockActor)

    def _lost(self, e: Exception, t: int) -> WorkerLost:
        return WorkerLost(f"a Ray worker stepping the run's shards died at step {t} ({type(e).__name__}: "
                          f"{str(e).splitlines()[0] if str(e) else ''})", t)

    def _get(self, refs, t: int):
        ray = self.ray
        try:
            return ray.get(refs)
        except ray.exceptions.RayTaskError:
            raise  # an error in the engine's code: not a lost worker
        except (ray.exceptions.RayActorError, ray.exceptions.ObjectLostError,
                ray.exceptions.WorkerCrashedError) as e:
            raise self._lost(e, t) from None

    def _start(self, blocks, shards, n, need_score, exports, imports, track):
        ray = self.ray
        self.k = len(blocks)
        import pickle

        self.actors = []
        for i, s in enumerate(shards):
            blob = pickle.dumps(s, protocol=pickle.HIGHEST_PROTOCOL)
            self.actors.append(self._cls.remote(i, blob, n, need_score, exports[i], imports[i], track, self.threads))
            del blob
        self.pids = self._get([a.pid.remote() for a in self.actors], -1)
        if self.k > 1:
            outs = [a.start.options(num_returns=self.k - 1).remote() for a in self.actors]
            outs = [[o] if self.k == 2 else list(o) for o in outs]
        else:
            outs = [[]]
        self.boxes = outs  # boxes[a][j]: block a's outbox to the j-th other block (in order)
        del ray

    def _inbox(self, b: int) -> list:
        refs = []
        for a in range(self.k):
            if a != b:
                j = b if b < a else b - 1  # b's position among a's other blocks
                refs.append(self.boxes[a][j])
        return refs

    def _step(self, t, steps):
        calls = [a.step.options(num_returns=self.k).remote(t, steps, *self._inbox(b))
                 for b, a in enumerate(self.actors)]
        calls = [[c] if self.k == 1 else list(c) for c in calls]
        heads = self._get([c[0] for c in calls], t)
        self.boxes = [c[1:] for c in calls]
        rows, grades, nbytes = [], [], 0
        for r, g, nb in heads:
            rows += r
            grades += g
            nbytes += nb
        return rows, grades, nbytes

    def _states(self):
        out = {}
        for part in self._get([a.states.remote() for a in self.actors], -1):
            out.update(part)
        return out

    def _finish(self):
        import pickle

        done = self._get([a.finish.remote() for a in self.actors], -1)
        self.cpu = [cpu[0] for _, cpu in done]
        self.cpu_process = [cpu[1] for _, cpu in done]
        self.shard_cpu = {m: c for _, cpu in done for m, c in cpu[2].items()}
        return [sh for blob, _ in done for sh in pickle.loads(blob)]

    def _stop(self):
        for a in self.actors:
            try:
                self.ray.kill(a)
            except Exception:  # noqa: BLE001 - already gone
                pass
        self.actors, self.boxes = [], []
