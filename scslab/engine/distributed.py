"""Shards in blocks, stepping in supersteps: in this process, or on Ray actors.

A run's municipalities are cut into contiguous blocks of about equal population; each
block is stepped by one worker (a Ray actor, about one per core). Every step is a
superstep: each block reads last step's public view, steps its shards, and sends every
other block the entries of its own citizens that the other block's shards read (the
remote ends of their ties: scores, list flags, harm levels and cheat probabilities). That
is all that crosses blocks: a national listing shows in the flags of the listed citizen's
entry, so the national list's changes travel with the view of the ties that read them.
Nothing else is shared; random streams are keyed by (seed, municipality, step, phase), so
the tables are byte-identical whatever the number of blocks and wherever they run.

A block holds full-size view buffers (16 bytes a citizen, the same as one process) but
writes into them only its own citizens and the entries it is sent; nothing reads the rest.
Shards are built in the driver and shipped to the workers (Ray's object store), and come
back at the end, where the tables are made as in one process. Checkpoints gather the shard
states from the workers. A worker that dies (its process killed) is noticed at the next
superstep: the run recovers from its newest checkpoint (a fresh set of workers continues
from it, as `resume` would) or, without one, fails with a message saying so; it never
writes tables it did not compute.
"""

from __future__ import annotations

import os
import time
from types import SimpleNamespace

import numpy as np

from . import reach
from .context import View

FIELDS = ("harm", "cheat", "black", "published")


class ShardExecutorError(RuntimeError):
    """The shard executor cannot run or continue the run (Ray missing, a worker lost)."""


class WorkerLost(ShardExecutorError):
    """A worker died during the run; `step` is the first step not known to be complete."""

    def __init__(self, message: str, step: int):
        super().__init__(message)
        self.step = step


# A shard's fixed work per step (its phases' calls, whatever its size) is worth about this
# many citizens' (measured on pilots-43 at 1e6 on 2 workers: the block of 32 small shards
# took 35% more processor time than the block of 11 large ones with as many citizens).
SHARD_COST_CITIZENS = 5_000


def partition(sizes, k: int, shard_cost: int = SHARD_COST_CITIZENS) -> list[list[int]]:
    """Contiguous blocks of municipalities (indices) of about equal work, at most k: each
    municipality counts its citizens plus `shard_cost` for its fixed work per step."""
    sizes = [int(s) + int(shard_cost) for s in sizes]
    k = max(1, min(int(k), len(sizes)))
    total = sum(sizes)
    cum = np.cumsum(sizes)
    cuts, start = [], 0
    for j in range(1, k):
        # the first municipality past the j-th k-quantile of the population, leaving at
        # least one municipality for each block still to come
        target = total * j / k
        i = int(np.searchsorted(cum, target, side="left"))
        if i + 1 < len(sizes) and abs(cum[i] - target) > abs((cum[i - 1] if i else 0) - target) and i > start:
            i -= 1
        i = max(i, start)
        i = min(i, len(sizes) - (k - j) - 1)
        cuts.append(i + 1)
        start = i + 1
    bounds = [0, *cuts, len(sizes)]
    return [list(range(bounds[b], bounds[b + 1])) for b in range(k) if bounds[b] < bounds[b + 1]]


def exchange_plan(shards, blocks: list[list[int]]) -> dict[tuple[int, int], np.ndarray]:
    """(from block, to block) -> sorted global ids of the first's citizens the second reads."""
    ranges = [(shards[b[0]].st.offset, shards[b[-1]].st.offset + shards[b[-1]].st.n) for b in blocks]
    lows = np.array([r[0] for r in ranges], np.int64)
    plan = {}
    for dst, b in enumerate(blocks):
        lo, hi = ranges[dst]
        parts = [shards[m].remote_ids() for m in b]
        ids = np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
        ids = ids[(ids < lo) | (ids >= hi)].astype(np.int64)
        owner = np.searchsorted(lows, ids, side="right") - 1
        for src in range(len(blocks)):
            if src != dst:
                plan[(src, dst)] = ids[owner == src]
    return plan


class Block:
    """A block of shards stepping together in one process (the body of a Ray actor).

    `exports[b]` are the ids of this block's citizens block b reads; `imports[a]` those of
    block a this block reads, in the order block a sends them.
    """

    def __init__(self, index: int, shards, n: int, need_score: bool, exports: dict, imports: dict,
                 track: bool, threads: int | None = None):
        self.index = index
        self.shards = shards
        self.exports, self.imports = exports, imports
        self.track = track
        # processor seconds this block spent in its supersteps: its own thread's (the engine,
        # with one numba thread) and its process's (Ray's threads too: transfers, messages)
        self.cpu = 0.0
        self.cpu_process = 0.0
        self.views = [_view(n, need_score), _view(n, need_score)]
        view = self.views[0]
        for sh in shards:  # recent harm lives in the view: the state's copy goes back in
            lo, hi = sh.id_range
            view.harm[lo:hi] = sh.st.harm_level
            sh.st.harm_level = view.harm[lo:hi]
        for sh in shards:
            sh.publish(view)
        from .simulation import _size_thread_pool

        # One thread for small shards, as in one process; in a worker at most its share of
        # the cores (`threads`). Results do not depend on the thread count.
        _size_thread_pool(max(sh.st.n for sh in shards))
        if threads is not None:
            import numba

            numba.set_num_threads(max(1, min(numba.get_num_threads(), int(threads))))

    def outbox(self) -> dict[int, tuple]:
        """This block's entries every other block reads, from the view it last wrote."""
        v = self.views[0]
        out = {}
        for b, ids in self.exports.items():
            parts = [v.harm[ids], v.cheat[ids], v.black[ids], v.published[ids]]
            if v.score.size:
                parts.append(v.score[ids])
            out[b] = tuple(parts)
        return out

    def take_in(self, inbox: dict[int, tuple]) -> None:
        v = self.views[0]
        for a, parts in inbox.items():
            ids = self.imports[a]
            v.harm[ids], v.cheat[ids], v.black[ids], v.published[ids] = parts[:4]
            if v.score.size:
                v.score[ids] = parts[4]
        v.changed()

    def step(self, t: int, steps: int, inbox: dict[int, tuple]) -> tuple[list, list, dict[int, tuple]]:
        """One superstep: take in the others' entries, step every shard, send ours."""
        c0, p0 = time.thread_time(), time.process_time()
        self.take_in(inbox)
        view, nxt = self.views
        rows, grades = [], []
        for sh in self.shards:
            rows.append(sh.step(t, view, nxt, steps))
            grades.append((t, sh.st.municipality, sh.crb.grade_names, sh.grade_counts))
            if self.track:
                reach.update(sh)
        self.views = [nxt, view]
        nxt.changed()
        box = self.outbox()
        self.cpu += time.thread_time() - c0
        self.cpu_process += time.process_time() - p0
        return rows, grades, box

    def states(self) -> dict[int, dict[str, np.ndarray]]:
        """Every shard's state arrays (for a checkpoint)."""
        return {sh.m: sh.st.arrays() for sh in self.shards}

    def finish(self):
        self.cpu_total = self.cpu
        shards, self.shards = self.shards, []
        self.views = None
        return shards


def _view(n: int, need_score: bool) -> View:
    return View(score=np.zeros(n if need_score else 0, np.float32), black=np.zeros(n, np.uint8),
                published=np.zeros(n, np.uint8), harm=np.zeros(n, np.float32), cheat=np.zeros(n, np.uint16))


def _nbytes(box: dict[int, tuple]) -> int:
    return sum(a.nbytes for parts in box.values() for a in parts)


class _Saved:
    """What checkpoint.save reads of a shard: its number and its state's arrays."""

    def __init__(self, m: int, arrays: dict):
        self.m = m
        self.st = SimpleNamespace(arrays=lambda: arrays)


class BlockExecutor:
    """Steps a run's shards in blocks. `InProcessBlocks` and `RayShards` say where."""

    workers: int = 1
    name = "blocks"

    def run(self, nation, t_start: int, steps: int, rows: list, grades: list, track: bool, every: int | None,
            save, progress) -> dict:
        """Step shards from t_start to steps; gather the final shards into `nation.shards`.

        `save(t_done, saved_nation, rows, grades)` writes a checkpoint. Returns what the
        run's timing records (blocks, exchange bytes per step, seconds per superstep).
        """
        shards = nation.shards
        blocks = partition([sh.st.n for sh in shards], self.workers)
        plan = exchange_plan(shards, blocks)
        need_score = nation.views[0].score.size > 0
        nation.views = None
        exports = [{d: plan[(b, d)] for d in range(len(blocks)) if d != b} for b in range(len(blocks))]
        imports = [{a: plan[(a, b)] for a in range(len(blocks)) if a != b} for b in range(len(blocks))]
        t0 = time.perf_counter()
        self._start(blocks, [[shards[m] for m in b] for b in blocks], nation.n, need_score, exports, imports, track)
        nation.shards = shards = None  # the workers hold them now
        started = time.perf_counter() - t0
        shipped = sum(len(b) for b in blocks)
        sent, seconds = [], []
        t_loop = time.perf_counter()
        try:
            for t in range(t_start, steps):
                t0 = time.perf_counter()
                out_rows, out_grades, nbytes = self._step(t, steps)
                seconds.append(time.perf_counter() - t0)
                sent.append(nbytes)
                rows.extend(out_rows)
                grades.extend(out_grades)
                if every and (t + 1) % every == 0 and t + 1 < steps:
                    states = self._states()
                    save(t + 1, SimpleNamespace(shards=[_Saved(m, states[m]) for m in sorted(states)]), rows, grades)
                if progress is not None:
                    progress(t + 1, steps)
            t_loop = time.perf_counter() - t_loop
            t0 = time.perf_counter()
            nation.shards = self._finish()
            finished = time.perf_counter() - t0
        finally:
            self._stop()
        assert len(nation.shards) == shipped
        ids = sum(int(v.size) for v in plan.values())
        return {
            "executor": self.name, "workers": len(blocks),
            "blocks": [[int(b[0]), int(b[-1])] for b in blocks],
            "exchange_ids_per_step": ids,
            "exchange_bytes_per_step": round(float(np.mean(sent))) if sent else 0,
            "superstep_seconds_median": round(float(np.median(seconds)), 5) if seconds else None,
            # shipping the shards to the workers (and their start), the steps, and bringing them back
            "start_seconds": round(started, 3), "loop_seconds": round(t_loop, 3),
            "finish_seconds": round(finished, 3),
            # processor seconds each worker spent in its supersteps: on a busy machine the
            # loop's wall time says more about the others' load than about the engine
            "worker_cpu_seconds": [round(c, 3) for c in getattr(self, "cpu", [])],
            "worker_process_cpu_seconds": [round(c, 3) for c in getattr(self, "cpu_process", [])],
        }

    # the backend: where the blocks live
    def _start(self, blocks, shards, n, need_score, exports, imports, track): ...
    def _step(self, t, steps): ...
    def _states(self): ...
    def _finish(self): ...
    def _stop(self): ...


class InProcessBlocks(BlockExecutor):
    """Blocks in this process, one after the other: the exchange without Ray (tests, debugging)."""

    name = "in-process"

    def __init__(self, workers: int = 2):
        self.workers = int(workers)

    def _start(self, blocks, shards, n, need_score, exports, imports, track):
        self.blocks = [Block(i, s, n, need_score, exports[i], imports[i], track) for i, s in enumerate(shards)]
        self.boxes = {i: b.outbox() for i, b in enumerate(self.blocks)}

    def _step(self, t, steps):
        rows, grades, boxes, nbytes = [], [], {}, 0
        for i, b in enumerate(self.blocks):
            r, g, box = b.step(t, steps, {a: self.boxes[a][i] for a in self.boxes if a != i})
            rows += r
            grades += g
            boxes[i] = box
            nbytes += _nbytes(box)
        self.boxes = boxes
        return rows, grades, nbytes

    def _states(self):
        out = {}
        for b in self.blocks:
            out.update({m: {k: v.copy() for k, v in a.items()} for m, a in b.states().items()})
        return out

    def _finish(self):
        self.cpu = [b.cpu for b in self.blocks]
        self.cpu_process = [b.cpu_process for b in self.blocks]
        out = [sh for b in self.blocks for sh in b.finish()]
        return out

    def _stop(self):
        self.blocks, self.boxes = [], {}


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

        cpu = (self.block.cpu, self.block.cpu_process)
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
        return [sh for blob, _ in done for sh in pickle.loads(blob)]

    def _stop(self):
        for a in self.actors:
            try:
                self.ray.kill(a)
            except Exception:  # noqa: BLE001 - already gone
                pass
        self.actors, self.boxes = [], []


__all__ = ["Block", "BlockExecutor", "InProcessBlocks", "RayShards", "ShardExecutorError", "WorkerLost",
           "exchange_plan", "partition"]
