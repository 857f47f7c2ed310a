"""Shards in blocks, stepping in supersteps: in this process, in worker processes, or on Ray actors.

A run's municipalities are cut into blocks of about equal modelled work (`shard_cost`;
contiguous for Ray, `partition`; any for ProcessBlocks, `balance`); each block is stepped by one worker (a Ray actor or, with ProcessBlocks, a
process on this machine, about one per core). ProcessBlocks keeps the view in shared
memory, so its workers exchange nothing (see its docstring); what follows is Ray's way.

Every step is a superstep: each block reads last step's public view, steps its shards, and sends every
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

# The cost model the executors partition by: a shard's processor time per step, in ns, is
# a fixed part plus its citizens times a rate that depends on its rulebook. Fitted to each
# municipality's `Shard.step` thread time in 2 ProcessBlocks workers, pilots-43 at 1e6
# (four runs of 20 steps on a quiet machine, one numba thread; docs/scaling.md): a fixed
# 0.58 ms; per citizen 52.5 ns (none), 61.2 (suining), 62.3 (rule-of-law), 63.2
# (rongcheng), 107.2 (guilt-by-association, whose association penalty reads every tie's
# list flag each day); the model gives 53.2, 59.6, 62.1, 64.3 and 107.2. Only the speed
# depends on it: the tables do not depend on the blocks.
SHARD_FIXED_NS = 580_000
CITIZEN_NS = 50.0  # every citizen's share of the phases
LIST_NS = 2.8  # per list the shard keeps (the scans, the sanctions)
SOURCE_NS = 0.3  # per behaviour a source of the rulebook records
NEIGHBOURS_NS = 47.6  # the neighbour statistics: association penalties, peer effects


def shard_cost(sh) -> float:
    """A shard's modelled processor time per step (ns): what `partition` balances."""
    crb = sh.crb
    per = CITIZEN_NS + LIST_NS * crb.n_lists + SOURCE_NS * int(np.count_nonzero(crb.seen))
    if (crb.association_penalty > 0 or crb.peer_weight > 0) and sh.p.levers.code:
        per += NEIGHBOURS_NS
    return SHARD_FIXED_NS + per * sh.st.n


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


def balance(costs, k: int) -> list[list[int]]:
    """Blocks of municipalities (indices, ascending in each) of about equal total cost, at
    most k, not necessarily contiguous: the largest first, each to the least loaded block
    (ties to the lower block), then single moves and swaps between the most and the least
    loaded block while they narrow the gap. For executors that exchange nothing (ProcessBlocks), where
    contiguity buys nothing and the shard at a contiguous cut can leave blocks a few
    percent apart."""
    k = max(1, min(int(k), len(costs)))
    cost = [float(c) for c in costs]
    load = [0.0] * k
    blocks: list[list[int]] = [[] for _ in range(k)]
    for m in sorted(range(len(cost)), key=lambda i: (-cost[i], i)):
        b = min(range(k), key=lambda j: (load[j], j))
        blocks[b].append(m)
        load[b] += cost[m]
    # then moves and swaps between the most and the least loaded block while they narrow
    # the gap between the two (a few rounds: greedy alone can leave a small shard's worth)
    for _ in range(10 * len(cost)):
        hi = max(range(k), key=lambda j: (load[j], -j))
        lo = min(range(k), key=lambda j: (load[j], j))
        gap = load[hi] - load[lo]
        best, best_gap = None, gap
        for x in blocks[hi]:
            for y in [None, *blocks[lo]]:
                d = cost[x] - (cost[y] if y is not None else 0.0)
                if 0 < d < gap and abs(gap - 2 * d) < best_gap:
                    best, best_gap = (x, y), abs(gap - 2 * d)
        if best is None:
            break
        x, y = best
        blocks[hi].remove(x)
        blocks[lo].append(x)
        load[hi] -= cost[x]
        load[lo] += cost[x]
        if y is not None:
            blocks[lo].remove(y)
            blocks[hi].append(y)
            load[lo] -= cost[y]
            load[hi] += cost[y]
    return [sorted(b) for b in blocks if b]


def cross_reads(shards, blocks: list[list[int]]) -> int:
    """How many distinct citizens of other blocks each block's ties read, summed over blocks."""
    offsets = np.array([sh.st.offset for sh in shards], np.int64)
    block_of = np.empty(len(shards), np.int64)
    for b, ms in enumerate(blocks):
        block_of[ms] = b
    total = 0
    for b, ms in enumerate(blocks):
        ids = np.unique(np.concatenate([shards[m].remote_ids() for m in ms]))
        owner = block_of[np.searchsorted(offsets, ids, side="right") - 1]
        total += int(np.count_nonzero(owner != b))
    return total


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
                 track: bool, threads: int | None = None, views: list[View] | None = None):
        self.index = index
        self.shards = shards
        self.exports, self.imports = exports, imports
        self.track = track
        # processor seconds this block spent in its supersteps: its own thread's (the engine,
        # with one numba thread) and its process's (Ray's threads too: transfers, messages)
        self.cpu = 0.0
        self.cpu_process = 0.0
        self.shard_cpu: dict[int, float] = {}  # each shard's steps (its thread's processor seconds)
        # `views`: buffers every block shares (ProcessBlocks: shared memory), which hold
        # every citizen's entry; then nothing is exchanged (no exports, no imports)
        self.views = list(views) if views is not None else [_view(n, need_score), _view(n, need_score)]
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

    def warm_up(self, t: int, steps: int) -> None:
        """Load the engine's kernels (numba's cache, once per process) and step a copy of the
        smallest shard of each rulebook two days on views of its own (thrown away), so that
        the supersteps do not pay for first uses: a kernel that only runs once someone is
        listed would otherwise load (tens of ms) in the middle of some step."""
        import copy

        if t >= steps:
            return
        _load_kernels()
        n = self.views[0].harm.shape[0]
        need_score = self.views[0].score.size > 0
        smallest: dict = {}
        for sh in self.shards:
            if id(sh.crb) not in smallest or sh.st.n < smallest[id(sh.crb)].st.n:
                smallest[id(sh.crb)] = sh
        for sh in smallest.values():
            c = copy.deepcopy(sh)
            view, nxt = _view(n, need_score), _view(n, need_score)
            lo, hi = c.id_range
            view.harm[lo:hi] = c.st.harm_level
            c.publish(view)
            for day in range(t, min(t + 2, steps)):
                c.step(day, view, nxt, steps)
                view, nxt = nxt, view
                view.changed()

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
        spent = self.shard_cpu
        for sh in self.shards:
            c1 = time.thread_time()
            rows.append(sh.step(t, view, nxt, steps))
            spent[sh.m] = spent.get(sh.m, 0.0) + time.thread_time() - c1
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


def _load_kernels() -> None:
    """Load every compiled version numba's cache holds of the engine's kernels (a worker's
    warm-up: about 0.5 s, against tens of ms in some superstep for each kernel first used
    there). Uses numba's cache index, which is not public API: on any surprise, skips."""
    import sys

    try:
        from numba.core.registry import CPUDispatcher
    except ImportError:
        return
    seen: set[int] = set()
    for name, mod in list(sys.modules.items()):
        if not name.startswith("scslab.engine") or mod is None:
            continue
        for d in list(vars(mod).values()):
            if not isinstance(d, CPUDispatcher) or id(d) in seen:
                continue
            seen.add(id(d))
            try:
                for key in d._cache._cache_file._load_index():
                    d.compile(key[0])
            except Exception:  # noqa: BLE001, S112 - a warm-up only: the kernel loads when first called
                continue


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
    # Contiguous blocks, for executors that send each other the entries their ties read
    # (exchange_plan); an executor whose workers share the view can take any blocks.
    contiguous = True

    def run(self, nation, t_start: int, steps: int, rows: list, grades: list, track: bool, every: int | None,
            save, progress) -> dict:
        """Step shards from t_start to steps; gather the final shards into `nation.shards`.

        `save(t_done, saved_nation, rows, grades)` writes a checkpoint. Returns what the
        run's timing records (blocks, exchange bytes per step, seconds per superstep).
        """
        shards = nation.shards
        # blocks of about equal modelled work (citizens weighted by their rulebook's cost,
        # plus each shard's fixed part)
        costs = [shard_cost(sh) for sh in shards]
        if self.contiguous:
            blocks = partition(costs, self.workers, shard_cost=0)
            plan = exchange_plan(shards, blocks)
            ids = sum(int(v.size) for v in plan.values())
            exports = [{d: plan[(b, d)] for d in range(len(blocks)) if d != b} for b in range(len(blocks))]
            imports = [{a: plan[(a, b)] for a in range(len(blocks)) if a != b} for b in range(len(blocks))]
        else:
            blocks = balance(costs, self.workers)
            ids = cross_reads(shards, blocks)
            exports = imports = [{} for _ in blocks]
        # a superstep's rows come block after block: back to municipality order
        order = [m for b in blocks for m in b]
        perm = None if order == sorted(order) else [int(i) for i in np.argsort(order)]
        need_score = nation.views[0].score.size > 0
        nation.views = None
        t0 = time.perf_counter()
        # the workers hold the shards from now on: an executor may free each block once sent
        per_block = [[shards[m] for m in b] for b in blocks]
        nation.shards = shards = None
        self._start(blocks, per_block, nation.n, need_score, exports, imports, track)
        del per_block
        started = time.perf_counter() - t0
        shipped = sum(len(b) for b in blocks)
        sent, seconds = [], []
        t_loop = time.perf_counter()
        try:
            for t in range(t_start, steps):
                t0 = time.perf_counter()
                out_rows, out_grades, nbytes = self._step(t, steps)
                if perm is not None:
                    out_rows = [out_rows[i] for i in perm]
                    out_grades = [out_grades[i] for i in perm]
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
            nation.shards = sorted(self._finish(), key=lambda sh: sh.m)
            finished = time.perf_counter() - t0
        finally:
            self._stop()
        assert len(nation.shards) == shipped
        return {
            "executor": self.name, "workers": len(blocks),
            # first and last municipality of each block (contiguous), or all of them
            "blocks": [[int(b[0]), int(b[-1])] if self.contiguous else [int(m) for m in b] for b in blocks],
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
            # each municipality's steps, processor ms a step (what the cost model estimates)
            "shard_cpu_ms_per_step": [round(1000 * getattr(self, "shard_cpu", {}).get(m, 0.0)
                                            / max(1, steps - t_start), 3) for m in range(shipped)],
            "shard_cost_model_ms": [round(c / 1e6, 3) for c in costs],
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
        self.shard_cpu = {m: c for b in self.blocks for m, c in b.shard_cpu.items()}
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


class ProcessBlocks(BlockExecutor):
    """Blocks in worker processes on this machine, one per core: Ray's supersteps without Ray.

    Each worker is a fresh process (multiprocessing's forkserver, or spawn: numba's OpenMP
    threads do not survive a fork) that is sent its block's shards once, pickled over a
    pipe, and steps them with one numba thread. The two view buffers live in shared memory
    that every worker maps: a worker writes its own citizens' entries into tomorrow's buffer
    and reads anyone's from today's, so nothing is exchanged but the buffers themselves.
    Each superstep the driver sends every worker the step over its pipe and waits for all
    of them (their rows of the steps and grades tables): that wait is the barrier between
    one day's writes and the next day's reads.

    A worker that dies (its process killed) is noticed at once (its pipe closes, its process
    ends): the run recovers from its newest checkpoint or fails saying so, as with Ray. An
    error in the engine's code in a worker is raised in the driver with the worker's
    traceback as a note. Workers ignore Ctrl-C (the driver stops them) and do not outlive
    the driver.
    """

    name = "processes"
    contiguous = False  # the workers share the view: any blocks will do (`balance`)

    def __init__(self, workers: int | None = None, threads: int = 1):
        if os.name != "posix":
            raise ShardExecutorError("the processes executor runs on Linux and macOS: use the local executor or "
                                     "Ray here")
        if workers is not None and not 1 <= int(workers) <= 4096:
            raise ShardExecutorError(f"workers must be in 1..4,096, got {workers}")
        self.workers = int(workers or os.cpu_count() or 1)
        self.threads = int(threads)
        self.procs, self.conns, self.pids = [], [], []
        self._path = None
        self._t0 = self._steps = 0

    def run(self, nation, t_start, steps, *args, **kw):
        self._t0, self._steps = int(t_start), int(steps)
        return super().run(nation, t_start, steps, *args, **kw)

    def _start(self, blocks, shards, n, need_score, exports, imports, track):
        import pickle
        import socket
        import subprocess
        import sys
        from multiprocessing.connection import Connection

        self.k = len(blocks)
        self.procs, self.conns, self.pids = [], [], []
        # A fresh interpreter per worker (not a fork: numba's OpenMP threads do not survive
        # one; not multiprocessing's spawn: it would import the user's __main__ again).
        env = dict(os.environ, NUMBA_NUM_THREADS=str(max(1, self.threads)))
        # the same scslab as this process's, installed or not
        home = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env["PYTHONPATH"] = os.pathsep.join([home, *filter(None, [os.environ.get("PYTHONPATH")])])
        try:
            self._path = _shared_file(2 * _view_bytes(n, need_score))
            for _ in range(self.k):
                mine, theirs = socket.socketpair()
                proc = subprocess.Popen([sys.executable, "-c", f"from scslab.engine.distributed import "
                                         f"_process_worker; _process_worker({theirs.fileno()})"],
                                        pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, env=env,
                                        start_new_session=False)
                theirs.close()
                self.procs.append(proc)
                self.conns.append(Connection(mine.detach()))
            self.pids = [p.pid for p in self.procs]
            for i, s in enumerate(shards):  # the others start up while one unpickles
                spec = (i, n, need_score, track, self.threads, self._path, self._t0, self._steps)
                blob = pickle.dumps((spec, s), protocol=pickle.HIGHEST_PROTOCOL)
                try:
                    self.conns[i].send_bytes(blob)
                except OSError:
                    raise self._lost(i, self._t0) from None
                del blob
                s.clear()  # the block's shards live in its worker now: their memory goes here
            self._gather(self._t0)  # every block has published its citizens into today's view
        except BaseException:
            self._stop()
            raise
        finally:
            self._unlink()  # mapped by every worker now (or never will be)

    def _unlink(self):
        if self._path is not None:
            try:
                os.unlink(self._path)
            except OSError:
                pass
            self._path = None

    def _lost(self, i: int, t: int) -> WorkerLost:
        import subprocess

        p = self.procs[i]
        try:
            code = p.wait(0.5)
        except subprocess.TimeoutExpired:
            code = None
        how = (f"killed by signal {-code}" if code is not None and code < 0
               else f"exit code {code}" if code is not None else "its pipe closed")
        return WorkerLost(f"a worker process stepping the run's shards (pid {p.pid}, block {i}) died at step {t} "
                          f"({how})", t)

    def _send(self, msg, t: int) -> None:
        for i, c in enumerate(self.conns):
            try:
                c.send(msg)
            except OSError:  # a broken pipe: the worker is gone
                raise self._lost(i, t) from None

    def _gather(self, t: int) -> list:
        """Every worker's reply (in block order); a dead worker raises WorkerLost."""
        from multiprocessing.connection import wait

        out: list = [None] * self.k
        pending = set(range(self.k))
        error = None
        while pending:
            whose = {self.conns[i]: i for i in pending}
            for r in wait(list(whose)):  # a dead worker's end reads as closed: EOFError
                i = whose[r]
                conn = self.conns[i]
                try:
                    kind, payload = conn.recv()
                except (EOFError, OSError):
                    raise self._lost(i, t) from None
                pending.discard(i)
                if kind == "error":
                    error = error or (i, payload)
                else:
                    out[i] = payload
        if error is not None:
            i, (exc, text) = error
            if exc is None:
                raise ShardExecutorError(f"worker {i} failed: {text.strip().splitlines()[-1]}")
            exc.add_note(f"(in the worker process stepping block {i})\n{text}")
            raise exc
        return out

    def _step(self, t, steps):
        self._send(("step", t, steps), t)
        rows, grades = [], []
        for r, g in self._gather(t):
            rows += r
            grades += g
        self._t0 = t + 1  # steps done: where a worker lost from here on is reported
        return rows, grades, 0

    def _states(self):
        self._send(("states",), self._t0)
        out = {}
        for part in self._gather(self._t0):
            out.update(part)
        return out

    def _finish(self):
        self._send(("finish",), self._t0)
        done = self._gather(self._t0)
        self.cpu = [cpu[0] for _, cpu in done]
        self.cpu_process = [cpu[1] for _, cpu in done]
        self.shard_cpu = {m: c for _, cpu in done for m, c in cpu[2].items()}
        return [sh for shards, _ in done for sh in shards]

    def _stop(self):
        for c in self.conns:
            try:
                c.send(("stop",))
            except OSError:
                pass
        import subprocess

        for p in self.procs:
            try:
                p.wait(1.0)
            except subprocess.TimeoutExpired:  # busy (the driver was interrupted mid-step) or stuck
                p.kill()
                p.wait()
        for c in self.conns:
            c.close()
        self.procs, self.conns = [], []
        self._unlink()


_ALIGN = 64


def _view_bytes(n: int, need_score: bool) -> int:
    size = (4 if need_score else 0) * n + 4 * n + 2 * n + 2 * n
    return -(-max(size, 1) // _ALIGN) * _ALIGN


def _shared_file(size: int) -> str:
    """A file of `size` zero bytes for the workers to map: in /dev/shm where there is one
    (memory), else in the temporary folder. Its space is reserved now (a /dev/shm too small,
    as containers often have, would otherwise kill a worker with SIGBUS mid-run)."""
    import tempfile

    tried = []
    for where in ("/dev/shm", None):
        if where is not None and not os.path.isdir(where):
            continue
        fd, path = tempfile.mkstemp(prefix="scslab-views-", dir=where)
        try:
            if hasattr(os, "posix_fallocate"):
                os.posix_fallocate(fd, 0, size)
            else:
                os.ftruncate(fd, size)
            return path
        except OSError as e:
            tried.append(f"{os.path.dirname(path)}: {e.strerror or e}")
            os.unlink(path)
        finally:
            os.close(fd)
    raise ShardExecutorError(f"cannot make {size / 2**20:,.0f} MiB of shared memory for the workers' view ("
                             f"{'; '.join(tried)})")


def _map_views(path: str, n: int, need_score: bool) -> list[View]:
    """The two views in the shared file (each: score, harm, cheat, black, published)."""
    import mmap

    with open(path, "r+b") as f:
        mm = mmap.mmap(f.fileno(), 0)
    views, at = [], 0
    for _ in range(2):
        parts = {}
        for name, dt, count in (("score", np.float32, n if need_score else 0), ("harm", np.float32, n),
                                ("cheat", np.uint16, n), ("black", np.uint8, n), ("published", np.uint8, n)):
            parts[name] = np.frombuffer(mm, dt, count=count, offset=at)
            at += count * np.dtype(dt).itemsize
        views.append(View(**parts))
        at = -(-at // _ALIGN) * _ALIGN
    return views


def _die_with_parent() -> None:
    """Linux: this process gets SIGKILL when the driver dies (a worker never outlives it)."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - not Linux: the closed pipe still stops the worker
        pass


def _process_worker(fd: int) -> None:
    """A ProcessBlocks worker (`python -c`, its end of a socket pair as `fd`): takes its
    shards, maps the views, then answers the driver's commands until told to stop."""
    import pickle
    import signal
    import traceback
    from multiprocessing.connection import Connection

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the driver, which stops us
    _die_with_parent()
    conn = Connection(fd)

    def error(e: BaseException):
        text = traceback.format_exc()
        try:
            pickle.dumps(e)
            conn.send(("error", (e, text)))
        except Exception:  # noqa: BLE001 - an exception that does not pickle: its text
            conn.send(("error", (None, text)))

    try:
        import scslab.engine.simulation  # noqa: F401 - the engine's modules, then their kernels,
        _load_kernels()  # while the driver pickles the shards
        spec, shards = pickle.loads(conn.recv_bytes())
        index, n, need_score, track, threads, path, t0, steps = spec
        block = Block(index, shards, n, need_score, {}, {}, track, threads, _map_views(path, n, need_score))
        del shards
        block.warm_up(t0, steps)
    except (EOFError, OSError):
        return  # the driver is gone
    except BaseException as e:  # noqa: BLE001 - reported to the driver
        error(e)
        return
    conn.send(("ok", None))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return  # the driver is gone
        try:
            cmd = msg[0]
            if cmd == "step":
                rows, grades, _ = block.step(msg[1], msg[2], {})
                reply = (rows, grades)
            elif cmd == "states":
                reply = block.states()
            elif cmd == "finish":
                cpu = (block.cpu, block.cpu_process, block.shard_cpu)
                reply = (block.finish(), cpu)
            else:  # stop
                return
        except BaseException as e:  # noqa: BLE001 - reported to the driver
            error(e)
            continue
        conn.send(("ok", reply))


__all__ = ["Block", "BlockExecutor", "InProcessBlocks", "ProcessBlocks", "RayShards", "ShardExecutorError",
           "WorkerLost", "balance", "cross_reads", "exchange_plan", "partition", "shard_cost"]
