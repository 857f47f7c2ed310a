"""A run one day at a time: `Simulation`, which `simulate` and `run_nation` drive to the end.

    sim = Simulation("rongcheng", population=2_000, steps=30, seed=1)   # or Simulation(rb, RunConfig(...))
    while not sim.done:
        rows = sim.step()                # the day's rows of the steps table, one per municipality
        view = sim.public_view()         # scores, grades, list flags of every citizen (read-only)
    result = sim.result()                # the RunResult `simulate` would have returned

Each day every shard reads the view published at the end of the previous day and writes
its part of the next view; the two buffers are swapped between days. So shards can step
in any order or in parallel, in one process or many, with identical results: stepping a
Simulation day by day gives the tables of `simulate` byte for byte.

The run's parameters are a `RunConfig` (engine/config.py) or its fields as keywords. Seeds:
an int in 0..2**63-1, or a `numpy.random.SeedSequence` or `numpy.random.Generator` (SPEC 7),
turned into an int by `config.seed_from` (the manifest records that int, so the run can be
repeated with it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..limits import SAVE_TIES_UP_TO
from . import build, checkpoint, reach
from .config import ParameterError, RunConfig, seed_from  # noqa: F401 (seed_from: documented here)
from .ledger import Ledger
from .manifest import build_manifest
from .params import EngineParams
from .result import RunResult, build_result, give_back_free_memory

if TYPE_CHECKING:
    from ..rulebook.schema import Rulebook
    from ..society import Society, SocietySpec

# Citizens in the largest shard from which a run uses all of numba's threads (below: one).
# SCSLAB_PARALLEL_FROM overrides it, e.g. 0 for the tests that check results at 2 threads.
PARALLEL_FROM = 200_000
MAX_RECOVERIES = 3

Seed = int | np.integer | np.random.SeedSequence | np.random.Generator


@dataclass(frozen=True)
class PublicView:
    """What the system shows of every citizen after `step` days (read-only arrays, copies).

    Citizens are in id order (municipality by municipality). `grade` indexes the grade
    names of the citizen's municipality: `grade_names[m]` (one rulebook: `grade_names[0]`).
    """

    step: int  # days done
    score: np.ndarray  # float32 score
    grade: np.ndarray  # int8 index into the municipality's grade names
    blacklisted: np.ndarray  # bool: on a blacklist
    published: np.ndarray  # bool: on a blacklist whose names are published
    municipality_starts: np.ndarray  # int64: the first citizen id of each municipality
    grade_names: tuple[tuple[str, ...], ...]  # per municipality


@dataclass(frozen=True)
class Ties:
    """The tie graph now, as compressed rows (read-only copies): the ties of citizen
    `first + i` are `partner[indptr[i]:indptr[i + 1]]` (global ids); `active` is False for a
    tie that was dropped (ostracism, a listing). Each tie appears at both ends."""

    first: int
    indptr: np.ndarray  # int64, one more than the citizens
    partner: np.ndarray  # int64 global ids
    active: np.ndarray  # bool


def _read_only(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def _size_thread_pool(largest_shard: int) -> None:
    """Use a second thread only where there is enough work per step to pay for it.

    Small runs (tests, replications run two at a time) lose more to thread start-up and to
    contention than they gain. Results do not depend on the thread count.
    """
    import os

    import numba

    threshold = int(os.environ.get("SCSLAB_PARALLEL_FROM", PARALLEL_FROM))
    available = int(getattr(numba.config, "NUMBA_NUM_THREADS"))  # noqa: B009 (set when numba loads)
    want = available if largest_shard >= threshold else 1
    numba.set_num_threads(max(1, min(want, available)))


@contextmanager
def _thread_pool(largest_shard: int) -> Iterator[None]:
    """Size numba's threads for this run, and give back the count it had before (on error too)."""
    import numba

    before = numba.get_num_threads()
    try:
        _size_thread_pool(largest_shard)
        yield
    finally:
        numba.set_num_threads(before)


class Simulation:
    """A run of one or more rulebooks on a synthetic society, stepped a day at a time.

    `Simulation(rulebooks, config)` or `Simulation(rulebooks, population=..., steps=...,
    seed=..., ...)`: one rulebook, a pilot name or a list of them (one per municipality), and
    a `RunConfig` or its fields as keywords (keywords win over the config's). `seed` (or
    `rng`) may be an int, a `numpy.random.SeedSequence` or a `numpy.random.Generator`
    (`seed_from`). `society` is a SocietySpec, a dict of its fields or a built Society (its
    size is the population); `national` a rulebook whose national lists apply everywhere.
    Where the run goes is apart from the model: `out` (a run folder; `overwrite`,
    `checkpoint_every`), `progress(done, total)` after every day. The society is built and
    the first day's view published when the Simulation is made.

    - `step()` runs one day and returns its rows of the steps table (one per municipality);
    - `run(n)` runs n days (all that are left by default);
    - `t` is the days done, `done` says whether all `steps` are;
    - `public_view()` the scores, grades and list flags of every citizen now;
    - `result()` the RunResult once every day is done (and, with `out`, the run folder).

    With `out` the run folder is claimed (locked) when the Simulation is made and written by
    `result()`; `close()` (or a `with` block) lets an unfinished one go. With an `executor`
    (`engine.ray_blocks.RayShards`) the days run elsewhere, all at once: call `run()`.
    """

    config: RunConfig  # the run's parameters (population: the society's size)
    t: int  # days done
    steps: int  # days in the run
    seed: int  # the int seed (what the manifest records)
    # The run's state while it steps (None once the result is made): the shards, the rows of
    # the steps and grades tables so far, and the two view buffers (today's, tomorrow's).
    _nation: Any
    _rows: Any
    _grades: Any
    _view: Any
    _nxt: Any
    _result: RunResult | None
    _writer: Any

    def __init__(self, rulebooks: Rulebook | str | Sequence[Rulebook | str], config: RunConfig | None = None, *,
                 society: Society | SocietySpec | dict | None = None, national: Rulebook | str | None = None,
                 rng: Seed | None = None, out: str | Path | None = None, overwrite: bool = False,
                 checkpoint_every: int | None = None, progress: Callable[[int, int], None] | None = None,
                 executor: Any = None, nation: dict | None = None, **fields: Any) -> None:
        from ..rulebook.schema import Rulebook
        from .validate import check_rulebooks, check_run

        self._writer = None
        if rng is not None:
            if "seed" in fields:
                raise ParameterError("rng", "and seed name the same thing: give one of them")
            fields["seed"] = rng
        rbs_in = [rulebooks] if isinstance(rulebooks, str | Rulebook) else rulebooks
        check_rulebooks(rbs_in, national)
        if config is not None and not isinstance(config, RunConfig):
            raise ParameterError("config", f"must be a RunConfig (RunConfig(population=..., steps=...)), got "
                                           f"{type(config).__name__}")
        if fields or config is None:
            # keywords over the config's own settings (what it was made with, not its defaults)
            base = {} if config is None else {k: getattr(config, k) for k in config.model_fields_set}
            config = RunConfig(**{**base, **fields})
        config = check_run(rbs_in, config, society=society, national=national, progress=progress, out=out,
                           checkpoint_every=checkpoint_every)
        self.config = config
        from .build import as_rulebook

        loaded: dict = {}  # a pilot named in many municipalities is read once (the same object)
        rbs = []
        for r in rbs_in:
            if isinstance(r, str) and r not in loaded:
                loaded[r] = as_rulebook(r)
            rbs.append(loaded[r] if isinstance(r, str) else r)
        nat = as_rulebook(national) if national is not None else None
        params = config.engine_params
        if out is not None:
            from ..store import RunWriter

            # Claims the folder (or refuses it: a finished run, a user's files, another process
            # writing it) before any work, marks it INCOMPLETE, and holds its lock until the run
            # is written: the tables are written under the same lock.
            self._writer = RunWriter(out, overwrite=overwrite)
        try:
            saved = self._saved_config(rbs, nat, config, society, checkpoint_every, nation)
            if out is not None and checkpoint_every:
                # Before the society is built (which takes a while for large ones): a run killed
                # from here on can be resumed (from day 0 until the first checkpoint).
                checkpoint.write_config(Path(out), saved)
            t0 = time.perf_counter()
            soc = build.make_run_society(society, config.population, len(rbs) if len(rbs) > 1 else 1, config.seed)
            owned = soc is not society  # made here: the run may use its arrays in place
            self._prepare(saved, rbs, nat, soc, params, time.perf_counter() - t0, progress, out, owned=owned,
                          executor=executor)
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _saved_config(rbs, nat, config: RunConfig, society, checkpoint_every, nation) -> dict:
        """What a checkpoint needs to rebuild the run (checkpoint/config.json)."""
        from ..rulebook.loader import dump_rulebook
        from .validate import society_spec

        spec = society_spec(society, config.population, len(rbs) if len(rbs) > 1 else 1)
        save_ties = config.save_ties if config.save_ties is not None else spec.n <= SAVE_TIES_UP_TO
        params, seed, steps, fraction = config.engine_params, config.seed, config.steps, config.ledger
        dumped: dict = {}
        saved = {
            # YAML text (dates stay dates), needed only to resume from a checkpoint.
            "rulebooks": [dumped[id(r)] if id(r) in dumped else dumped.setdefault(id(r), dump_rulebook(r))
                          for r in rbs] if checkpoint_every else None,
            "national": dump_rulebook(nat) if nat and checkpoint_every else None,
            # JSON text, not a mapping: the config file sorts keys, and the order of groups matters.
            "society": spec.model_dump_json(),
            "seed": int(seed), "steps": int(steps), "params": params.model_dump_json(),
            "ledger": fraction, "save_ties": bool(save_ties), "checkpoint_every": checkpoint_every,
        }
        if nation is not None:  # only then: the config of other runs stays as it was
            saved["nation"] = dict(nation)
        return saved

    # --- made from a checkpoint ---------------------------------------------------------
    @classmethod
    def resume(cls, out: str | Path, progress: Callable[[int, int], None] | None = None,
               executor: Any = None) -> Simulation:
        """The unfinished run in `out` at its newest checkpoint (the folder stays locked until
        `result()` or `close()`). Stepped to the end, its tables are byte-identical to those of
        an uninterrupted run. A finished run is not resumed: use `scslab.engine.resume`."""
        from ..store import RunWriter

        folder = Path(out)
        # Locks the folder (a second process is refused), refuses one that is not an incomplete
        # run of scslab's, and removes the temporary files a kill left.
        writer = RunWriter(folder, resume=True)
        try:
            saved = checkpoint.read_config(folder)  # checked against its sha256
            if saved is None:
                raise FileNotFoundError(f"{folder}: no checkpoint to resume from (was the run started with "
                                        "--checkpoint-every?)")
            sim = cls._from_checkpoint(folder, saved, progress, executor)
        except BaseException:
            writer.close()
            raise
        sim._writer = writer
        return sim

    @classmethod
    def _from_checkpoint(cls, folder: Path, saved: dict, progress, executor) -> Simulation:
        from ..rulebook import parse_rulebook
        from ..society import SocietySpec, make_society

        where = f"{folder}/checkpoint/config.json"
        parsed: dict = {}
        rbs = [parsed[text] if text in parsed else parsed.setdefault(text, parse_rulebook(text, where))
               for text in saved["rulebooks"]]
        nat = parse_rulebook(saved["national"], where) if saved["national"] else None
        params = EngineParams.model_validate_json(saved["params"])
        t0 = time.perf_counter()
        soc = make_society(SocietySpec.model_validate_json(saved["society"]), seed=saved["seed"])
        sim = cls.__new__(cls)
        sim._writer = None
        sim._prepare(saved, rbs, nat, soc, params, time.perf_counter() - t0, progress, folder, resuming=True,
                     owned=True, executor=executor)
        return sim

    def _prepare(self, saved: dict, rbs, nat, soc, params: EngineParams, t_soc: float, progress, out,
                 resuming: bool = False, owned: bool = False, executor: Any = None) -> None:
        """Build the shards over the society (and load a checkpoint): the run at day t_start."""
        self._saved, self._rbs, self._nat, self._soc, self._params = saved, rbs, nat, soc, params
        self._progress, self._out, self._owned, self._executor = progress, out, owned, executor
        self._resuming, self._result = resuming, None
        self.seed, self.steps = int(saved["seed"]), int(saved["steps"])
        self._every = saved["checkpoint_every"]
        self._led = Ledger(saved["ledger"]) if saved["ledger"] else None
        if executor is not None and self._led is not None:
            raise ValueError("the event ledger is kept only when shards step in this process (no executor)")
        self._t_soc, self._t_run, self._executed = t_soc, 0.0, None
        # Making the society and the nation frees many temporaries: their pages go back to the
        # system now instead of staying in the heap below the run's arrays (measured: 15-20
        # bytes per citizen off the peak at 1e6; docs/benchmarks.md).
        give_back_free_memory()
        self._nation = build.build_nation(rbs, soc, params, self.seed, nat, self._led, own_society=owned)
        self._meta = saved.get("nation")
        self._track = self._meta is not None and nat is not None
        if self._track:
            reach.track(self._nation)  # before a checkpoint is loaded: its flags are part of the state
        give_back_free_memory()
        self._t_start, self._rows, self._grades = 0, [], []
        if resuming:
            self._t_start, self._rows, self._grades = checkpoint.load(Path(out), self._nation, self._led)
        self.t = self._t_start
        self._view = self._nxt = None
        if executor is None:
            self._view, self._nxt = self._nation.views
            self._nation.views = None  # the run loop swaps them from here on
            for sh in self._nation.shards:
                sh.publish(self._view)
        self._largest = max(sh.st.n for sh in self._nation.shards)
        if progress is not None and self._t_start:
            progress(self._t_start, self.steps)

    # --- stepping ---------------------------------------------------------------------
    @property
    def done(self) -> bool:
        """Have all `steps` days run?"""
        return self.t >= self.steps

    @property
    def population(self) -> int:
        """Citizens in the run's society."""
        return int(self._soc.n)

    @property
    def municipalities(self) -> list[str]:
        """The municipalities' names, in id order."""
        return list(self._soc.population.municipality_names)

    def _check_can_step(self, days: int) -> None:
        if self._result is not None or self._nation is None:
            raise RuntimeError("this simulation is finished: its result() has been made")
        if self.t + days > self.steps:
            raise ValueError(f"the run has {self.steps} days and {self.t} are done: it cannot run {days} more "
                             f"(at most {self.steps - self.t})")

    def step(self) -> list[dict[str, float]]:
        """Run one day; return its rows of the steps table (one per municipality)."""
        if self._executor is not None:
            raise RuntimeError("a run on an executor steps all its days at once: call run() (not step() or "
                               "run(n))")
        self._check_can_step(1)
        with _thread_pool(self._largest):
            return self._day()

    def run(self, days: int | None = None) -> None:
        """Run `days` days (default: all that are left)."""
        n = self.steps - self.t if days is None else int(days)
        if n < 0:
            raise ValueError(f"days must be 0 or more, got {days}")
        if self._executor is not None:
            if n != self.steps - self.t:
                raise RuntimeError("a run on an executor steps all its days at once: call run() without a "
                                   "number of days")
            self._check_can_step(n)
            with _thread_pool(self._largest):
                self._run_on_executor()
            return
        self._check_can_step(n)
        with _thread_pool(self._largest):
            for _ in range(n):
                self._day()

    def _day(self) -> list[dict[str, float]]:
        t0 = time.perf_counter()
        t, steps, nation, view, nxt = self.t, self.steps, self._nation, self._view, self._nxt
        rows, grades, track = self._rows, self._grades, self._track
        first = len(rows)
        for sh in nation.shards:
            rows.append(sh.step(t, view, nxt, steps))  # writes its part of nxt
            grades.append((t, sh.st.municipality, sh.crb.grade_names, sh.grade_counts))
            if track:
                reach.update(sh)
        view, nxt = nxt, view
        view.changed()  # written this step: tomorrow reads it afresh
        self._view, self._nxt = view, nxt
        self.t = t + 1
        every = self._every
        if every and (t + 1) % every == 0 and t + 1 < steps:
            checkpoint.save(Path(self._out), t + 1, nation, rows, grades, self._led)
        self._t_run += time.perf_counter() - t0
        if self._progress is not None:
            self._progress(t + 1, steps)
        return rows[first:]

    def _run_on_executor(self) -> None:
        from .distributed import WorkerLost

        out, led = self._out, self._led

        def save(t_done, saved, rows, grades):
            checkpoint.save(Path(out), t_done, saved, rows, grades, led)

        t1 = time.perf_counter()
        lost = None
        try:
            self._executed = self._executor.run(self._nation, self.t, self.steps, self._rows, self._grades,
                                                self._track, self._every, save, self._progress)
        except WorkerLost as e:
            lost = e
        if lost is not None:  # outside the handler: this run's state can go before the next is built
            self._nation = self._rows = self._grades = None
            self._result = _recover(lost, self._saved, out, self._progress, self._executor)
            self.t = self.steps
            return
        self._t_run += time.perf_counter() - t1
        self.t = self.steps

    # --- looking at it ----------------------------------------------------------------
    def public_view(self) -> PublicView:
        """Every citizen's score, grade and list flags now (copies, marked read-only)."""
        if self._nation is None or self._result is not None:
            raise RuntimeError("this simulation is finished: read its result() instead")
        if self._view is None:
            raise RuntimeError("a run on an executor keeps its view on the workers: read its result() instead")
        shards = self._nation.shards
        cat = (lambda xs: xs[0].copy()) if len(shards) == 1 else np.concatenate
        return PublicView(
            step=self.t,
            score=_read_only(cat([sh.st.score for sh in shards])),
            grade=_read_only(cat([sh.st.grade for sh in shards])),
            blacklisted=_read_only(self._view.black.astype(bool)),
            published=_read_only(self._view.published.astype(bool)),
            municipality_starts=_read_only(np.array([sh.st.offset for sh in shards], np.int64)),
            grade_names=tuple(tuple(sh.crb.grade_names) for sh in shards),
        )

    def traits(self) -> dict[str, np.ndarray]:
        """The citizens' hidden traits (group index, virtue, strategic, privacy), which the
        system never sees: read-only copies in id order."""
        if self._nation is None or self._result is not None or self._view is None:
            raise RuntimeError("traits are read while the run steps in this process")
        shards = self._nation.shards
        return {k: _read_only(np.concatenate([getattr(sh.st, k) for sh in shards]))
                for k in ("group", "virtue", "strategic", "privacy")}

    def ties(self, municipality: int | None = None) -> Ties:
        """The tie graph now: of one municipality's citizens (by index), or of everyone."""
        if self._nation is None or self._result is not None or self._view is None:
            raise RuntimeError("ties are read while the run steps in this process")
        shards = self._nation.shards if municipality is None else [self._nation.shards[int(municipality)]]
        indptr, partner = [np.zeros(1, np.int64)], []
        base = 0
        for sh in shards:
            ip = np.asarray(sh.st.indptr, np.int64)
            idx = np.asarray(sh.st.indices[ip[0]: ip[-1]], np.int64)
            indptr.append(ip[1:] - ip[0] + base)
            base += int(ip[-1] - ip[0])
            partner.append(idx)
        x = np.concatenate(partner) if partner else np.zeros(0, np.int64)
        active = x >= 0
        return Ties(first=int(shards[0].st.offset) if shards else 0, indptr=_read_only(np.concatenate(indptr)),
                    partner=_read_only(np.where(active, x, ~x)), active=_read_only(active))

    # --- the end ----------------------------------------------------------------------
    def result(self) -> RunResult:
        """The run's tables once every day is done; with `out`, the run folder is written."""
        if self._result is not None:
            return self._result
        if self._nation is None:
            raise RuntimeError("this simulation was closed before its result was made")
        if not self.done:
            raise RuntimeError(f"the run has {self.steps} days and {self.t} are done: run() the rest first")
        try:
            self._result = self._finish()
        finally:
            self.close()
        return self._result

    def _finish(self) -> RunResult:
        nation, soc, steps, t_start = self._nation, self._soc, self.steps, self._t_start
        manifest = build_manifest(nation, soc, self._rbs, self._nat, self._params, self._saved, self._led)
        more = reach.nation_tables(nation, self._rows, self._meta) if self._meta is not None else {}
        t_run = self._t_run
        # How the run went, apart from what it is: the manifest holds only what the inputs fix,
        # so two runs of the same inputs have the same manifest (and COMPLETE); this goes to
        # timing.json, which COMPLETE lists by name only.
        import datetime

        timing: dict[str, Any] = {
            "society_seconds": round(self._t_soc, 3), "run_seconds": round(t_run, 3),
            "citizen_steps_per_second": round(soc.n * (steps - t_start) / max(t_run, 1e-9)),
            "resumed_from_step": t_start if self._resuming else None,
            "finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        }
        executed = self._executed
        if executed is not None:
            timing["executor"] = executed
            # The engine's throughput over the supersteps, as over the step loop in one process;
            # run_seconds keeps the whole (the workers' start and the shards' way back included).
            timing["citizen_steps_per_second_loop"] = round(soc.n * (steps - t_start)
                                                            / max(executed["loop_seconds"], 1e-9))
        # The views are not part of the result: their memory goes before the tables are made.
        self._view = self._nxt = None
        rows, grades = self._rows, self._grades
        self._nation = self._rows = self._grades = None
        result = build_result(nation, soc, manifest, rows, grades, self._led, self._saved["save_ties"],
                              release_society=self._owned)
        del nation, rows, grades
        result.timing = timing
        result.more = more
        if self._out is not None:
            result.write(self._out, overwrite=False, resume=True)
            checkpoint.remove(Path(self._out))
        return result

    def close(self) -> None:
        """Let the run folder go (its lock), finished or not. Idempotent."""
        writer, self._writer = getattr(self, "_writer", None), None
        if writer is not None:
            writer.close()

    def __enter__(self) -> Simulation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        names = sorted({r.metadata.name for r in getattr(self, "_rbs", [])})
        return (f"Simulation({', '.join(names)}: {getattr(self, 't', 0)} of {getattr(self, 'steps', 0)} days, "
                f"seed {getattr(self, 'seed', None)})")


def _recover(lost, saved: dict, out, progress, executor) -> RunResult:
    """A worker died: continue from the newest checkpoint on fresh workers, or fail saying why."""
    from .distributed import ShardExecutorError

    if out is None or not saved.get("checkpoint_every"):
        raise ShardExecutorError(f"{lost}; the run kept no checkpoints, so it cannot continue: no tables were "
                                 "written. Run it again; with a checkpoint interval (checkpoint_every, "
                                 "--checkpoint-every K) a run continues from its newest checkpoint") from None
    tries = getattr(executor, "recoveries", 0) + 1
    if tries > MAX_RECOVERIES:
        raise ShardExecutorError(f"{lost}; workers were lost {tries} times in this run, so it stops here. "
                                 f"{out} keeps its newest checkpoint: continue it with `scslab run --resume {out}`") \
            from None
    executor.recoveries = tries
    folder = Path(out)
    latest = checkpoint.read_config(folder)  # the configuration, checked against its sha256
    if latest is None:
        raise ShardExecutorError(f"{lost}; {folder} holds no checkpoint to continue from") from None
    sim = Simulation._from_checkpoint(folder, latest, progress, executor)
    sim.run()
    result = sim.result()
    result.timing.setdefault("recovered", []).insert(0, {"worker_lost_at_step": lost.step})
    return result
