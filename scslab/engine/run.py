"""The run loop: build shards from a society, step them in lockstep, gather the results.

Each step every shard reads the view published at the end of the previous step and
writes its part of the next view; the two buffers are swapped between steps. So shards
can run in any order or in parallel, in one process or many, with identical results.
"""

from __future__ import annotations

import datetime
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..rulebook.checks import check_rulebook
from ..rulebook.compiled import compile_rulebook
from ..rulebook.errors import Problem, RulebookError
from ..rulebook.loader import dump_rulebook
from ..rulebook.schema import Rulebook
from . import checkpoint, kernels, reach
from .context import View
from .ledger import Ledger
from .nation import merge_national
from .params import EngineParams, Levers
from .result import RunResult, build_result, give_back_free_memory
from .shard import Shard
from .state import FOREVER
from .validate import check_run_args

MAX_STEPS = 36500
assert MAX_STEPS < int(FOREVER), "step numbers are stored as uint16 (engine.state.STEP)"


def _as_rulebook(x) -> Rulebook:
    if isinstance(x, Rulebook):
        return x
    from ..pilots import resolve_rulebook

    return resolve_rulebook(x)


# What the memory estimate is made of, measured with /usr/bin/time -v on `scslab run rongcheng
# -n N --out DIR` (2 lists, mean degree 12): the interpreter with numba, pandas and pyarrow
# loaded, 362 MB at 2,000 citizens (maximum resident set); then 220 bytes per citizen at 1e6
# (20 days) and 183 at 1e7 (10 days): the estimate's 200 puts it 4% under the first peak
# and 8% over the second (docs/benchmarks.md, "The memory estimate"). An event of
# the ledger at the peak: its row in object columns, then the Arrow table and the DataFrame
# made from it (measured: 391 and 394 bytes per event, rongcheng 1e5 x 120 and x 240 days,
# full ledger).
BASE_BYTES = 362_000_000
LEDGER_BYTES_PER_EVENT = 400
# Ledger events per citizen and day, per unit of the behaviours' summed base rates: acts,
# their records, listings, sector changes, appeals (rongcheng: 0.0235 events a citizen-day
# for base rates summing to 0.0131, 1.8).
EVENTS_PER_BASE_RATE = 1.9
DEFAULT_EVENT_RATE = 0.03  # events a citizen-day when the rulebooks are not known (pilots: 0.019 to 0.056)


def event_rate(rulebooks) -> float:
    """Ledger events per citizen and day to expect of these rulebooks (the largest)."""
    rates = [sum(b.base_rate for b in r.behaviours) for r in rulebooks if isinstance(r, Rulebook)]
    return EVENTS_PER_BASE_RATE * max(rates) if rates else DEFAULT_EVENT_RATE


def estimate_bytes(population: int, mean_degree: float, n_lists: int, ledger: float = 0.0, steps: int = 365,
                   events_per_day: float = DEFAULT_EVENT_RATE) -> int:
    """Peak memory of a run that writes its folder: the interpreter, the state, the tie
    graph (and its construction), the result tables and, with a ledger, its events.

    `n_lists` is the lists one municipality's rulebook keeps (a nation's shards each keep
    their own). The ledger grows with the days: `ledger` x citizens x `steps` x
    `events_per_day` events of LEDGER_BYTES_PER_EVENT each.
    """
    per_citizen = (19  # traits and the municipality column
                   + 95 + 7 * n_lists  # the shard's state: scores, counters, list state per list, row pointers
                   + 16  # the two public views
                   + 10)  # the end of the run: the table's widened columns, the Parquet writer's buffers
    per_tie = 2 * 4  # two stored ends (int32, a dropped one as its complement)
    ledger_bytes = float(ledger) * population * steps * events_per_day * LEDGER_BYTES_PER_EVENT
    return int(BASE_BYTES + population * per_citizen + population * mean_degree / 2 * per_tie + ledger_bytes)


def available_bytes() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def memory_problem(population: int, mean_degree: float, n_lists: int, ledger: float = 0.0, steps: int = 365,
                   events_per_day: float = DEFAULT_EVENT_RATE) -> str | None:
    """A message if the run would not fit in this machine's free memory, else None."""
    need = estimate_bytes(population, mean_degree, n_lists, ledger, steps, events_per_day)
    have = available_bytes()
    if have is not None and need > 0.9 * have:
        hint = "a smaller --population" + (", a smaller --ledger share or fewer --steps" if ledger else "")
        return (f"a run of {population:,} citizens{' with its ledger' if ledger else ''} needs about "
                f"{need / 2**30:.1f} GiB, but only {have / 2**30:.1f} GiB is free; use {hint}")
    return None


def _society_spec(society, population: int, municipalities: int):
    """The spec of the society a run will use, without building it."""
    from ..society import Society, SocietySpec

    if isinstance(society, Society):
        return society.spec
    if society is None:
        return SocietySpec(n=population, municipalities=municipalities)
    if isinstance(society, SocietySpec):
        return society
    if isinstance(society, dict):
        return SocietySpec.model_validate({"n": population, "municipalities": municipalities, **society})
    raise TypeError("society must be a Society, a SocietySpec, a dict or None")


def _society(society, population: int, municipalities: int, seed: int):
    from ..society import Society, make_society

    if isinstance(society, Society):
        return society
    return make_society(_society_spec(society, population, municipalities), seed=seed)


@dataclass
class Nation:
    """Shards stepping together over one society."""

    shards: list[Shard]
    n: int
    # The two view buffers the run swaps; the shards' recent-harm levels start in views[0].
    views: tuple[View, View] | None = None

    def new_view(self) -> View:
        return _new_view(self.n, [sh.crb for sh in self.shards], self.shards[0].p if self.shards else None)


def _new_view(n: int, crbs, params: EngineParams | None) -> View:
    # Scores of others are read only for peer effects: without them the view holds none.
    need_score = params is not None and params.levers.code and any(c.peer_weight > 0 for c in crbs)
    return View(
        score=np.zeros(n if need_score else 0, np.float32),
        black=np.zeros(n, np.uint8),
        published=np.zeros(n, np.uint8),
        harm=np.zeros(n, np.float32),
        cheat=np.zeros(n, np.uint16),
    )


def build_nation(rulebooks: Sequence[Rulebook], society, params: EngineParams, seed: int,
                 national: Rulebook | None = None, ledger: Ledger | None = None,
                 own_society: bool = False) -> Nation:
    """Shards over `society`. With `own_society` the run may change the society's arrays
    (tie indices, which take the flags; incomes, turned daily) in place instead of copying
    them, and frees its row pointers and flags: only for a society made for this run, which
    is not usable afterwards."""
    pop, net = society.population, society.network
    M = len(pop.municipality_names)
    if len(rulebooks) == 1 and M > 1:
        rulebooks = list(rulebooks) * M
    if len(rulebooks) != M:
        raise ValueError(f"{len(rulebooks)} rulebooks for {M} municipalities")
    if own_society:
        # The engine keeps a dropped tie end j as ~j: the flags go into the indices.
        kernels.fold_inactive(net.indices, net.active, net.indices)
        net.active = None
    crbs, compiled = [], {}
    for rb in rulebooks:
        # The same rulebook object in many municipalities is merged and compiled once (a
        # nation of 43 municipalities has a handful of pilots); the shards share it, read-only.
        crb = compiled.get(id(rb))
        if crb is None:
            merged = rb
            if national is not None:
                merged = merge_national(rb, national)
                issues = check_rulebook(merged)
                if issues:
                    raise RulebookError([Problem(merged.metadata.name, 0, 0, path, msg) for path, msg in issues])
            crb = compiled[id(rb)] = compile_rulebook(merged, groups=tuple(pop.group_names))
        crbs.append(crb)
    views = (_new_view(pop.n, crbs, params), _new_view(pop.n, crbs, params))
    shards = []
    for m, crb in enumerate(crbs):
        sl = pop.municipality_slice(m)
        traits = {k: getattr(pop, k)[sl] for k in ("group", "virtue", "strategic", "privacy")}
        monthly = pop.income[sl]
        # The state keeps daily incomes (float32, as monthly / 30.0 always was).
        traits["income"] = (np.divide(monthly, 30.0, out=monthly) if own_society and monthly.dtype == np.float32
                            else (monthly / 30.0).astype(np.float32))
        ip = net.indptr[sl.start: sl.stop + 1]
        rows = slice(int(ip[0]), int(ip[-1]))
        if own_society:
            indices = net.indices[rows]
        else:  # the user's society stays as it was
            indices = np.empty(rows.stop - rows.start, np.int32)
            kernels.fold_inactive(net.indices[rows], net.active[rows], indices)
        shards.append(Shard(m, pop.municipality_names[m], crb, params, seed, traits, sl.start,
                            ip, indices, ledger, harm=views[0].harm[sl]))
    if own_society:
        net.indptr = None  # the shards hold their own (int32) row pointers
    return Nation(shards, pop.n, views)


def run_nation(rulebooks: Sequence[Rulebook | str], *, population: int = 10_000, steps: int = 365,
               seed: int = 0, society=None, national: Rulebook | str | None = None,
               params: EngineParams | None = None, levers: Levers | dict | None = None,
               ledger: bool | float = False, save_ties: bool | None = None,
               progress: Callable[[int, int], None] | None = None,
               out: str | Path | None = None, checkpoint_every: int | None = None,
               overwrite: bool = False, nation: dict | None = None, executor=None) -> RunResult:
    """Simulate one or more municipalities, each with its own rulebook.

    With one rulebook and several municipalities in the society spec, every municipality
    runs that rulebook. `ledger` is False, True (all citizens) or a sample fraction.
    With `out`, the run folder is written there; with `checkpoint_every` too, the state is
    saved every so many steps and `resume(out)` continues a killed run.
    `nation` (from `scslab.nation.run_config`) names the nation a run of several
    municipalities is: the run then tracks its national blacklists and adds the tables
    `municipalities`, `national` and `reach` (engine/reach.py). `executor` steps the shards
    in blocks elsewhere (`engine.distributed.RayShards`, one Ray actor per block); the tables
    are byte-identical to those of a run in this process.
    """
    check_run_args(rulebooks, population=population, steps=steps, seed=seed, society=society, national=national,
                   params=params, levers=levers, ledger=ledger, save_ties=save_ties, progress=progress,
                   out=out, checkpoint_every=checkpoint_every)
    if not 1 <= int(steps) <= MAX_STEPS:
        raise ValueError(f"steps must be in 1..{MAX_STEPS}, got {steps}")
    if checkpoint_every is not None and (out is None or not 1 <= int(checkpoint_every) <= MAX_STEPS):
        raise ValueError("checkpoint_every needs an output folder and a value in 1..36500")
    loaded: dict = {}  # a pilot named in many municipalities is read once (the same object)
    rbs = []
    for r in rulebooks:
        if isinstance(r, str) and r not in loaded:
            loaded[r] = _as_rulebook(r)
        rbs.append(loaded[r] if isinstance(r, str) else r)
    nat = _as_rulebook(national) if national is not None else None
    params = params or EngineParams()
    if levers is not None:
        lv = levers if isinstance(levers, Levers) else Levers(**levers)
        params = params.model_copy(update={"levers": lv})
    writer = None
    if out is not None:
        from ..store import RunWriter

        # Claims the folder (or refuses it: a finished run, a user's files, another process
        # writing it) before any work, marks it INCOMPLETE, and holds its lock until the run
        # is written: the tables are written under the same lock.
        writer = RunWriter(out, overwrite=overwrite)
    try:
        return _claimed_run(rbs, nat, params, society, population, seed, steps, ledger, save_ties, progress,
                            out, checkpoint_every, nation, executor)
    finally:
        if writer is not None:
            writer.close()


def _claimed_run(rbs, nat, params, society, population, seed, steps, ledger, save_ties, progress, out,
                 checkpoint_every, nation=None, executor=None) -> RunResult:
    municipalities = len(rbs) if len(rbs) > 1 else 1
    spec = _society_spec(society, population, municipalities)
    fraction = (1.0 if ledger is True else float(ledger)) if ledger else 0.0
    if save_ties is None:
        save_ties = spec.n <= 50_000
    dumped: dict = {}
    config = {
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
        config["nation"] = dict(nation)
    if out is not None and checkpoint_every:
        # Before the society is built (which takes a while for large ones): a run killed
        # from here on can be resumed (from day 0 until the first checkpoint).
        checkpoint.write_config(Path(out), config)
    t0 = time.perf_counter()
    soc = _society(society, population, municipalities, seed)
    owned = soc is not society  # made here: the run may use its arrays in place
    t_soc = time.perf_counter() - t0
    return _execute(config, rbs, nat, soc, params, t_soc, progress, out, owned=owned, executor=executor)


def resume(out: str | Path, progress: Callable[[int, int], None] | None = None, executor=None) -> RunResult:
    """Continue a run killed before it finished, from its newest checkpoint.

    The tables written at the end are byte-identical to those of an uninterrupted run.
    """
    from ..rulebook import parse_rulebook
    from ..society import SocietySpec, make_society
    from ..store import RunWriter, open_run
    from ..store.run_folder import tidy_finished

    folder = Path(out)
    if (folder / "COMPLETE").is_file():
        run = open_run(folder, verify=True)  # every file against its sha256 before it is read back
        tidy_finished(folder)  # what a kill at the very end of the write left behind
        return _result_from_folder(run)
    # Locks the folder (a second process is refused), refuses one that is not an incomplete
    # run of scslab's, and removes the temporary files a kill left.
    writer = RunWriter(folder, resume=True)
    try:
        config = checkpoint.read_config(folder)  # checked against its sha256
        if config is None:
            raise FileNotFoundError(f"{folder}: no checkpoint to resume from (was the run started with "
                                    "--checkpoint-every?)")
        where = f"{folder}/checkpoint/config.json"
        parsed: dict = {}
        rbs = [parsed[text] if text in parsed else parsed.setdefault(text, parse_rulebook(text, where))
               for text in config["rulebooks"]]
        nat = parse_rulebook(config["national"], where) if config["national"] else None
        params = EngineParams.model_validate_json(config["params"])
        t0 = time.perf_counter()
        soc = make_society(SocietySpec.model_validate_json(config["society"]), seed=config["seed"])
        return _execute(config, rbs, nat, soc, params, time.perf_counter() - t0, progress, folder,
                        resuming=True, owned=True, executor=executor)
    finally:
        writer.close()


MAX_RECOVERIES = 3


def _recover(lost, config, out, progress, executor) -> RunResult:
    """A worker died: continue from the newest checkpoint on fresh workers, or fail saying why."""
    from ..society import SocietySpec, make_society
    from .distributed import ShardExecutorError

    if out is None or not config.get("checkpoint_every"):
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
    from ..rulebook import parse_rulebook

    where = f"{folder}/checkpoint/config.json"
    parsed: dict = {}
    rbs = [parsed[text] if text in parsed else parsed.setdefault(text, parse_rulebook(text, where))
           for text in latest["rulebooks"]]
    nat = parse_rulebook(latest["national"], where) if latest["national"] else None
    params = EngineParams.model_validate_json(latest["params"])
    t0 = time.perf_counter()
    soc = make_society(SocietySpec.model_validate_json(latest["society"]), seed=latest["seed"])
    result = _execute(latest, rbs, nat, soc, params, time.perf_counter() - t0, progress, folder, resuming=True,
                      owned=True, executor=executor)
    result.timing.setdefault("recovered", []).insert(0, {"worker_lost_at_step": lost.step})
    return result


def _result_from_folder(run) -> RunResult:
    t = {name: run.table(name) for name in run.tables()}
    from .result import TABLES

    return RunResult(manifest=run.manifest, steps=t["steps"], citizens=t["citizens"], grades=t["grades"],
                     c4=t["c4"], network=t["network"], events=t.get("events"), ties=t.get("ties"),
                     timing=run.timing or {}, more={k: v for k, v in t.items() if k not in TABLES})


def _keeping_thread_count(fn):
    """Run ``fn`` and give numba back the thread count it had before (on error too)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        import numba

        before = numba.get_num_threads()
        try:
            return fn(*args, **kwargs)
        finally:
            numba.set_num_threads(before)

    return wrapper


@_keeping_thread_count
def _execute(config, rbs, nat, soc, params, t_soc, progress, out, resuming: bool = False,
             owned: bool = False, executor=None) -> RunResult:
    seed, steps, every = config["seed"], config["steps"], config["checkpoint_every"]
    led = Ledger(config["ledger"]) if config["ledger"] else None
    if executor is not None and led is not None:
        raise ValueError("the event ledger is kept only when shards step in this process (no executor)")
    # Making the society and the nation frees many temporaries: their pages go back to the
    # system now instead of staying in the heap below the run's arrays (measured: 15-20
    # bytes per citizen off the peak at 1e6; docs/benchmarks.md).
    give_back_free_memory()
    nation = build_nation(rbs, soc, params, seed, nat, led, own_society=owned)
    meta = config.get("nation")
    track = meta is not None and nat is not None
    if track:
        reach.track(nation)  # before a checkpoint is loaded: its flags are part of the state
    give_back_free_memory()
    t_start, rows, grades = 0, [], []
    if resuming:
        t_start, rows, grades = checkpoint.load(Path(out), nation, led)
    if progress is not None and t_start:
        progress(t_start, steps)
    executed = None
    if executor is not None:  # shards step in blocks elsewhere (engine/distributed.py)
        from .distributed import WorkerLost

        def save(t_done, saved, rows, grades):
            checkpoint.save(Path(out), t_done, saved, rows, grades, led)

        t1 = time.perf_counter()
        lost = None
        try:
            executed = executor.run(nation, t_start, steps, rows, grades, track, every, save, progress)
        except WorkerLost as e:
            lost = e
        if lost is not None:  # outside the handler: this run's state can go before the next is built
            del nation, rows, grades
            return _recover(lost, config, out, progress, executor)
        view = nxt = None
    else:
        view, nxt = nation.views
        nation.views = None  # the run loop swaps them from here on
        for sh in nation.shards:
            sh.publish(view)
        _size_thread_pool(max(sh.st.n for sh in nation.shards))
        t1 = time.perf_counter()
        for t in range(t_start, steps):
            for sh in nation.shards:
                rows.append(sh.step(t, view, nxt, steps))  # writes its part of nxt
                grades.append((t, sh.st.municipality, sh.crb.grade_names, sh.grade_counts))
                if track:
                    reach.update(sh)
            view, nxt = nxt, view
            view.changed()  # written this step: tomorrow reads it afresh
            if every and (t + 1) % every == 0 and t + 1 < steps:
                checkpoint.save(Path(out), t + 1, nation, rows, grades, led)
            if progress is not None:
                progress(t + 1, steps)
    t_run = time.perf_counter() - t1
    manifest = {
        "scslab_version": _version(),
        "kind": "nation" if len(nation.shards) > 1 else "municipality",
        "rulebooks": [{"municipality": sh.name, "name": sh.crb.name, "hash": sh.crb.hash} for sh in nation.shards],
        "rulebook_documents": {r.metadata.name: r.model_dump(mode="json") for r in rbs + ([nat] if nat else [])},
        "scale": [nation.shards[0].crb.min, nation.shards[0].crb.max],
        "rulebook": rbs[0].metadata.name if len(set(r.metadata.name for r in rbs)) == 1 else "mixed",
        "rulebook_hash": nation.shards[0].crb.hash,
        "national": None if nat is None else {"name": nat.metadata.name},
        "seed": int(seed),
        "population": int(soc.n),
        "steps": int(steps),
        "municipalities": list(soc.population.municipality_names),
        "groups": list(soc.population.group_names),
        "society": soc.spec.model_dump(mode="json"),
        # The spec as JSON text too: manifest keys are sorted, but the order of groups matters.
        "society_json": soc.spec.model_dump_json(),
        "params": params.model_dump(mode="json"),
        "levers": params.levers.label(),
        "ledger": None if led is None else {"fraction": led.fraction},
        "checkpoint_every": every,
        "versions": _versions(),
    }
    if meta is not None:
        manifest["nation"] = {k: meta[k] for k in ("name", "title", "pilots", "shares", "config") if k in meta}
        manifest["kind"] = "nation"
    more = reach.nation_tables(nation, rows, meta) if meta is not None else {}
    # How the run went, apart from what it is: the manifest holds only what the inputs fix,
    # so two runs of the same inputs have the same manifest (and COMPLETE); this goes to
    # timing.json, which COMPLETE lists by name only.
    timing = {
        "society_seconds": round(t_soc, 3), "run_seconds": round(t_run, 3),
        "citizen_steps_per_second": round(soc.n * (steps - t_start) / max(t_run, 1e-9)),
        "resumed_from_step": t_start if resuming else None,
        "finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    if executed is not None:
        timing["executor"] = executed
        # The engine's throughput over the supersteps, as over the step loop in one process;
        # run_seconds keeps the whole (the workers' start and the shards' way back included).
        timing["citizen_steps_per_second_loop"] = round(soc.n * (steps - t_start) / max(executed["loop_seconds"], 1e-9))
    del view, nxt  # the views are not part of the result: their memory goes before the tables are made
    result = build_result(nation, soc, manifest, rows, grades, led, config["save_ties"], release_society=owned)
    result.timing = timing
    result.more = more
    if out is not None:
        result.write(out, overwrite=False, resume=True)
        checkpoint.remove(Path(out))
    return result


# Citizens in the largest shard from which a run uses all of numba's threads (below: one).
# SCSLAB_PARALLEL_FROM overrides it, e.g. 0 for the tests that check results at 2 threads.
PARALLEL_FROM = 200_000


def _size_thread_pool(largest_shard: int) -> None:
    """Use a second thread only where there is enough work per step to pay for it.

    Small runs (tests, replications run two at a time) lose more to thread start-up and to
    contention than they gain. Results do not depend on the thread count.
    """
    import os

    import numba

    threshold = int(os.environ.get("SCSLAB_PARALLEL_FROM", PARALLEL_FROM))
    want = numba.config.NUMBA_NUM_THREADS if largest_shard >= threshold else 1
    numba.set_num_threads(max(1, min(want, numba.config.NUMBA_NUM_THREADS)))


def simulate(rulebook: Rulebook | str, *, population: int = 10_000, steps: int = 365, seed: int = 0,
             society=None, params: EngineParams | None = None, levers: Levers | dict | None = None,
             ledger: bool | float = False, save_ties: bool | None = None,
             progress: Callable[[int, int], None] | None = None, out: str | Path | None = None,
             checkpoint_every: int | None = None, overwrite: bool = False) -> RunResult:
    """Apply one rulebook day by day to a synthetic society of `population` citizens.

    >>> r = simulate("rongcheng", population=2_000, steps=30, seed=1)
    >>> r.steps.shape[0]
    30
    """
    return run_nation([rulebook], population=population, steps=steps, seed=seed, society=society,
                      params=params, levers=levers, ledger=ledger, save_ties=save_ties, progress=progress,
                      out=out, checkpoint_every=checkpoint_every, overwrite=overwrite)


def _version() -> str:
    from .. import __version__

    return __version__


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for pkg in ("numpy", "numba", "pyarrow", "pydantic", "scipy"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return out
