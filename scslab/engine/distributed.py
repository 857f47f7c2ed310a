"""Shards in blocks, stepping in supersteps: what every executor shares.

A run's municipalities are cut into blocks of about equal modelled work (`shard_cost`;
contiguous for Ray, `partition`; any for worker processes, `balance`); each block
(`Block`) is stepped by one worker, about one per core: in this process
(`InProcessBlocks`, for tests), in worker processes on this machine
(engine/process_blocks.py `ProcessBlocks`: the view in shared memory, nothing exchanged)
or on Ray actors (engine/ray_blocks.py `RayShards`). Both are also found here by name.

Every step is a superstep: each block reads last step's public view, steps its shards, and
(on Ray) sends every other block the entries of its own citizens that the other block's
shards read (the remote ends of their ties: scores, list flags, harm levels and cheat
probabilities). That is all that crosses blocks: a national listing shows in the flags of
the listed citizen's entry, so the national list's changes travel with the view of the
ties that read them. Nothing else is shared; random streams are keyed by (seed,
municipality, step, phase), so the tables are byte-identical whatever the number of blocks
and wherever they run.

A block holds full-size view buffers (16 bytes a citizen, the same as one process) but
writes into them only its own citizens and the entries it is sent; nothing reads the rest.
Shards are built in the driver and shipped to the workers, and come back at the end, where
the tables are made as in one process. Checkpoints gather the shard states from the
workers. A worker that dies (its process killed) is noticed at the next superstep: the run
recovers from its newest checkpoint (a fresh set of workers continues from it, as `resume`
would) or, without one, fails with a message saying so; it never writes tables it did not
compute.
"""

from __future__ import annotations

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
# Association penalties also spread listings along ties: over a year of pilots-43 at 1e6
# (three runs of 365 steps, 2 workers, quiet machine, 7 December 2026) the guilt-by-
# association municipalities took 1.40 times what the terms above give, the others 1.02 to
# 1.10, as three of them came to list nearly everyone (the ties of the listed looked at
# every day, their lists' bookkeeping): 44.5 ns a citizen more, a year's mean. Runs of a
# few weeks, before the cascade, are then balanced a little towards those municipalities'
# worker; a year's runs, the common case, are balanced (49.8 against 47.4 ms a step before).
CASCADE_NS = 44.5


def shard_cost(sh) -> float:
    """A shard's modelled processor time per step (ns): what `partition` balances."""
    crb = sh.crb
    per = CITIZEN_NS + LIST_NS * crb.n_lists + SOURCE_NS * int(np.count_nonzero(crb.seen))
    if (crb.association_penalty > 0 or crb.peer_weight > 0) and sh.p.levers.code:
        per += NEIGHBOURS_NS
    if crb.association_penalty > 0 and sh.p.levers.code:
        per += CASCADE_NS
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


_KERNELS_LOADED = False


def _load_kernels() -> None:
    """Load every compiled version numba's cache holds of the engine's kernels (a worker's
    warm-up: about 0.5 s, against tens of ms in some superstep for each kernel first used
    there), once per process: a worker process loads them before its shards arrive, and
    `Block.warm_up` then finds them loaded. Uses numba's cache index, which is not public
    API: on any surprise, skips."""
    global _KERNELS_LOADED
    if _KERNELS_LOADED:
        return
    _KERNELS_LOADED = True
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
    """Steps a run's shards in blocks. `InProcessBlocks`, `ProcessBlocks` and `RayShards` say where."""

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


def __getattr__(name: str):
    """The executors in their own modules, found here too (`engine.distributed.RayShards`)."""
    if name == "RayShards":
        from .ray_blocks import RayShards

        return RayShards
    if name == "ProcessBlocks":
        from .process_blocks import ProcessBlocks

        return ProcessBlocks
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Block", "BlockExecutor", "InProcessBlocks", "ShardExecutorError", "WorkerLost", "balance", "cross_reads", "exchange_plan", "partition", "shard_cost"]
