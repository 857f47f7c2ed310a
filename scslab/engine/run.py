"""Running a simulation to the end: `simulate` (one rulebook), `run_nation` (several
municipalities, a national layer) and `resume` (a killed run from its newest checkpoint).

All three are thin wrappers over `Simulation` (engine/simulation.py), which steps the
shards day by day. The rest of a run lives beside it: `RunConfig` and the argument checks
(config.py, validate.py), the memory estimate (memory.py), building the society and the
shards (build.py), the manifest (manifest.py) and the tables (result.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ..limits import MAX_STEPS
from ..rulebook.schema import Rulebook
from .params import EngineParams, Levers
from .result import RunResult
from .simulation import Seed, Simulation
from .state import FOREVER
from .validate import check_rulebook_list

assert MAX_STEPS < int(FOREVER), "step numbers are stored as uint16 (engine.state.STEP)"
__all__ = ["MAX_STEPS", "resume", "run_nation", "simulate"]


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
    in blocks elsewhere (`engine.process_blocks.ProcessBlocks`, one worker process per block on
    this machine, or `RayShards`, one Ray actor per block); the tables are byte-identical to
    those of a run in this process.

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


