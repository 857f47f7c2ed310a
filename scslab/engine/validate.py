"""Up-front checks of a run's arguments: a clear ValueError naming the parameter and its range.

`Simulation` (and so `simulate` and `run_nation`) calls `check_run_args` before any work,
so that n=0, steps=1.5, seed=-1, ledger=1.5 or levers={'cod': False} fail at once with a
message such as "population must be in 1..2,000,000,000, got 0" instead of a pydantic dump,
an OverflowError deep in numpy, or a silently truncated value. The model's parameters are
checked by `RunConfig` (engine/config.py, their one definition); this adds what RunConfig
cannot know alone: the rulebooks, the national layer, the society, the output and whether
the run fits in this machine's memory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..limits import DEFAULT_SEED, DEFAULT_STEPS, LEVER_NAMES, MAX_SEED, MAX_STEPS
from .config import ParameterError, RunConfig

# LEVER_NAMES, MAX_SEED and MAX_STEPS are defined in scslab.limits (imported here for old callers).
__all__ = ["LEVER_NAMES", "MAX_SEED", "MAX_STEPS", "ParameterError", "check_output", "check_run", "check_run_args",
           "check_rulebook_list", "society_spec"]


def check_rulebook_list(rulebooks) -> None:
    """run_nation takes a list: one rulebook alone is refused, saying to use simulate."""
    from ..rulebook.schema import Rulebook

    if isinstance(rulebooks, str | bytes | Rulebook) or not isinstance(rulebooks, Sequence):
        raise ParameterError("rulebooks", "must be a list of rulebooks or pilot names "
                                          "(for one rulebook use simulate)")


def check_rulebooks(rulebooks, national) -> None:
    from ..rulebook.schema import Rulebook

    check_rulebook_list(rulebooks)
    if not rulebooks:
        raise ParameterError("rulebooks", "must name at least one rulebook")
    for i, r in enumerate(rulebooks):
        if not isinstance(r, Rulebook | str):
            raise ParameterError("rulebooks", f"[{i}] must be a Rulebook or a pilot name or file, "
                                              f"got {type(r).__name__}")
    if national is not None and not isinstance(national, Rulebook | str):
        raise ParameterError("national", f"must be a Rulebook, a pilot name or file, or None, got {type(national).__name__}")


def check_output(out, checkpoint_every, progress) -> None:
    """Where the run goes: a checkpoint interval needs a folder; progress is a function."""
    if progress is not None and not callable(progress):
        raise ParameterError("progress", "must be a function progress(done, total) or None")
    if checkpoint_every is not None:
        try:  # the interval's range is the steps' range
            RunConfig(steps=checkpoint_every)
        except ParameterError as e:
            raise ParameterError("checkpoint_every", e.detail) from None
        if out is None:
            raise ParameterError("checkpoint_every", "needs an output folder (out=...)")


def _check_national(rulebooks, national) -> None:
    """What merge_national would refuse after the folder is made."""
    from ..rulebook.schema import Rulebook

    if not isinstance(national, Rulebook):
        return
    ids = {x.id for x in national.lists if x.scope == "national"}
    if not ids:
        raise ParameterError("national", f"rulebook '{national.metadata.name}' has no list with "
                                         f"scope: national to apply nationwide")
    for r in rulebooks:
        clash = ids & {x.id for x in r.lists} if isinstance(r, Rulebook) else set()
        if clash:
            raise ParameterError("national", f"list ids {sorted(clash)} exist in both "
                                             f"'{r.metadata.name}' and the national rulebook")


def society_spec(society, population: int, municipalities: int):
    """The SocietySpec the run will build, with pydantic's errors turned into one line."""
    from pydantic import ValidationError

    from ..society import Society, SocietySpec

    if isinstance(society, Society):
        return society.spec
    if isinstance(society, SocietySpec):
        return society
    if society is not None and not isinstance(society, Mapping):
        raise ParameterError("society", f"must be a Society, a SocietySpec, a dict or None, got {type(society).__name__}")
    try:
        return SocietySpec.model_validate({"n": population, "municipalities": municipalities, **(society or {})})
    except ValidationError as e:
        err = e.errors(include_url=False)[0]
        where = ".".join(str(x) for x in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        raise ParameterError("society", f"is invalid: {where + ': ' if where else ''}{msg}") from None


def _check_fits(rulebooks, national, spec, config: RunConfig) -> None:
    """The memory estimate against this machine's free memory."""
    from ..rulebook.schema import Rulebook
    from .memory import event_rate, memory_problem

    # A shard keeps its own rulebook's lists and the national ones (not every municipality's).
    n_lists = (max((len(r.lists) for r in rulebooks if isinstance(r, Rulebook)), default=2)
               + (len(national.lists) if isinstance(national, Rulebook) else 0))
    problem = memory_problem(spec.n, spec.network.mean_degree, n_lists, config.ledger, config.steps,
                             event_rate([*rulebooks, national]), spec.municipality_count,
                             spec.network.cross_municipality_share)
    if problem:
        raise ParameterError("population", f"is too large for this machine: {problem}")


def check_run_args(rulebooks, *, population: Any, steps: Any = DEFAULT_STEPS, seed: Any = DEFAULT_SEED,
                   society=None, national=None, params=None, levers=None, ledger: Any = False, save_ties=None,
                   progress=None, out=None, checkpoint_every=None) -> RunConfig:
    """Raise ParameterError (a ValueError) for the first argument of run_nation out of
    range; return the run's RunConfig (`check_run` with the config these keywords make)."""
    check_rulebooks(rulebooks, national)
    config = RunConfig(population=population, steps=steps, seed=seed, params=params, levers=levers, ledger=ledger,
                       save_ties=save_ties)
    return check_run(rulebooks, config, society=society, national=national, progress=progress,
                     out=out, checkpoint_every=checkpoint_every)


def check_run(rulebooks, config: RunConfig, *, society=None, national=None, progress=None, out=None,
              checkpoint_every=None) -> RunConfig:
    """What RunConfig cannot check alone: the rulebooks against the society, the output, the
    memory. Returns the config with the population of the society the run will build."""
    check_rulebooks(rulebooks, national)
    sized = _society_size(society)
    if sized is not None and sized != config.population:
        if "population" in config.model_fields_set:
            raise ParameterError("population", f"is {config.population:,} but the society given has {sized:,} "
                                               "citizens: leave population out, or make them agree")
        config = config.model_copy(update={"population": sized})
    check_output(out, checkpoint_every, progress)
    _check_national(rulebooks, national)
    n_rb = len(rulebooks)
    spec = society_spec(society, config.population, n_rb if n_rb > 1 else 1)
    m = spec.municipality_count
    if n_rb not in (1, m):
        raise ParameterError("rulebooks", f"has {n_rb} entries for {m} municipalities "
                                          f"(give one for all, or one per municipality)")
    _check_fits(rulebooks, national, spec, config)
    if spec.n != config.population:  # a society dict naming n: its size is the run's
        config = config.model_copy(update={"population": spec.n})
    return config


def _society_size(society) -> int | None:
    """The citizens of a built Society or a SocietySpec given to the run (None otherwise)."""
    if society is None or isinstance(society, Mapping):
        return None
    from ..society import Society, SocietySpec

    if isinstance(society, Society | SocietySpec):
        return int(society.spec.n if isinstance(society, Society) else society.n)
    return None
