"""The run loop: build shards from a society, step them in lockstep, gather the results.

Each step every shard reads the view published at the end of the previous step and
writes its part of the next view; the two buffers are swapped between steps. So shards
can run in any order or in parallel, in one process or many, with identical results.
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..limits import MAX_STEPS
from ..rulebook.checks import check_rulebook
from ..rulebook.compiled import compile_rulebook
from ..rulebook.errors import Problem, RulebookError
from ..rulebook.schema import Rulebook
from . import kernels
from .context import View
from .ledger import Ledger
from .nation import merge_national
from .params import EngineParams, Levers
from .result import RunResult
from .shard import Shard
from .simulation import PARALLEL_FROM, Seed, Simulation, _size_thread_pool  # noqa: F401 (distributed.py)
from .state import FOREVER
from .validate import check_rulebook_list

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
    from .validate import society_spec

    return society_spec(society, population, municipalities)


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
        object.__setattr__(pop, "municipality", None)  # shards know their ranges (2 bytes a citizen)
    return Nation(shards, pop.n, views)


def run_nation(rulebooks: Sequence[Rulebook | str], *, population: int | None = None, steps: int = 365,
               seed: Seed = 0, society=None, national: Rulebook | str | None = None,
               params: EngineParams | None = None, levers: Levers | dict | None = None,
               ledger: bool | float = False, save_ties: bool | None = None,
               progress: Callable[[int, int], None] | None = None,
               out: str | Path | None = None, checkpoint_every: int | None = None,
               overwrite: bool = False, nation: dict | None = None, executor=None) -> RunResult:
    """Simulate one or more municipalities, each with its own rulebook.

    With one rulebook and several municipalities in the society spec, every municipality
    runs that rulebook. `population` defaults to 10,000 (or the size of the `society`
    given). `seed` is an int, a `numpy.random.SeedSequence` or a `Generator`
    (`engine.simulation.seed_from`). `ledger` is False, True (all citizens) or a sample
    fraction. With `out`, the run folder is written there; with `checkpoint_every` too, the
    state is saved every so many steps and `resume(out)` continues a killed run.
    `nation` (from `scslab.nation.run_config`) names the nation a run of several
    municipalities is: the run then tracks its national blacklists and adds the tables
    `municipalities`, `national` and `reach` (engine/reach.py). `executor` steps the shards
    in blocks elsewhere (`engine.distributed.RayShards`, one Ray actor per block); the tables
    are byte-identical to those of a run in this process.

    A thin wrapper: `Simulation(...)` stepped to the end (engine/simulation.py).
    """
    check_rulebook_list(rulebooks)
    fields = {"steps": steps, "seed": seed, "params": params, "levers": levers, "ledger": ledger,
              "save_ties": save_ties}
    if population is not None:
        fields["population"] = population
    with Simulation(rulebooks, society=society, national=national, progress=progress, out=out,
                    checkpoint_every=checkpoint_every, overwrite=overwrite, nation=nation, executor=executor,
                    **fields) as sim:
        sim.run()
        return sim.result()


def resume(out: str | Path, progress: Callable[[int, int], None] | None = None, executor=None) -> RunResult:
    """Continue a run killed before it finished, from its newest checkpoint.

    The tables written at the end are byte-identical to those of an uninterrupted run. A
    finished run is checked (every file against its sha256) and read back, not run again.
    """
    from ..store import open_run
    from ..store.run_folder import tidy_finished

    folder = Path(out)
    if (folder / "COMPLETE").is_file():
        run = open_run(folder, verify=True)  # every file against its sha256 before it is read back
        tidy_finished(folder)  # what a kill at the very end of the write left behind
        return _result_from_folder(run)
    with Simulation.resume(folder, progress=progress, executor=executor) as sim:
        sim.run()
        return sim.result()


def _result_from_folder(run) -> RunResult:
    t = {name: run.table(name) for name in run.tables()}
    from .result import TABLES

    return RunResult(manifest=run.manifest, steps=t["steps"], citizens=t["citizens"], grades=t["grades"],
                     c4=t["c4"], network=t["network"], events=t.get("events"), ties=t.get("ties"),
                     timing=run.timing or {}, more={k: v for k, v in t.items() if k not in TABLES})


def _manifest(nation, soc, rbs, nat, params, saved: dict, led) -> dict:
    """What the inputs of a run fix (manifest.json): two runs of the same inputs, the same manifest."""
    meta = saved.get("nation")
    manifest = {
        "scslab_version": _version(),
        "kind": "nation" if len(nation.shards) > 1 else "municipality",
        "rulebooks": [{"municipality": sh.name, "name": sh.crb.name, "hash": sh.crb.hash} for sh in nation.shards],
        "rulebook_documents": {r.metadata.name: r.model_dump(mode="json") for r in rbs + ([nat] if nat else [])},
        "scale": [nation.shards[0].crb.min, nation.shards[0].crb.max],
        "rulebook": rbs[0].metadata.name if len(set(r.metadata.name for r in rbs)) == 1 else "mixed",
        "rulebook_hash": nation.shards[0].crb.hash,
        "national": None if nat is None else {"name": nat.metadata.name},
        "seed": int(saved["seed"]),
        "population": int(soc.n),
        "steps": int(saved["steps"]),
        "municipalities": list(soc.population.municipality_names),
        "groups": list(soc.population.group_names),
        "society": soc.spec.model_dump(mode="json"),
        # The spec as JSON text too: manifest keys are sorted, but the order of groups matters.
        "society_json": soc.spec.model_dump_json(),
        "params": params.model_dump(mode="json"),
        "levers": params.levers.label(),
        "ledger": None if led is None else {"fraction": led.fraction},
        "checkpoint_every": saved["checkpoint_every"],
        "versions": _versions(),
    }
    if meta is not None:
        manifest["nation"] = {k: meta[k] for k in ("name", "title", "pilots", "shares", "config") if k in meta}
        manifest["kind"] = "nation"
    return manifest


def simulate(rulebook: Rulebook | str, *, population: int | None = None, steps: int = 365, seed: Seed = 0,
             society=None, params: EngineParams | None = None, levers: Levers | dict | None = None,
             ledger: bool | float = False, save_ties: bool | None = None,
             progress: Callable[[int, int], None] | None = None, out: str | Path | None = None,
             checkpoint_every: int | None = None, overwrite: bool = False) -> RunResult:
    """Apply one rulebook day by day to a synthetic society of `population` citizens
    (10,000 by default). A thin wrapper over `Simulation`, stepped to the end.

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
