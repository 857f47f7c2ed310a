"""Up-front checks of a run's arguments: a clear ValueError naming the parameter and its range.

`run_nation` (and so `simulate`) calls `check_run_args` before any work, so that n=0,
steps=1.5, seed=-1, ledger=1.5 or levers={'cod': False} fail at once with a message
such as "population must be a whole number in 1..50,000,000, got 0" instead of a
pydantic dump, an OverflowError deep in numpy, or a silently truncated value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from numbers import Integral, Real

MAX_STEPS = 36_500
MAX_SEED = 2**63 - 1
LEVER_NAMES = ("law", "market", "norms", "code")


class ParameterError(ValueError):
    """An argument of a run is out of range; `param` names it (for the CLI's flag)."""

    def __init__(self, param: str, message: str):
        super().__init__(f"{param} {message}")
        self.param = param
        self.detail = message


def _int(param: str, value, lo: int, hi: int, python_int: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ParameterError(param, f"must be a whole number in {lo:,}..{hi:,}, got {value!r}")
    if python_int and type(value) is not int:  # the society spec is strict: numpy ints are refused there
        raise ParameterError(param, f"must be a Python int (use int(...)), got {type(value).__name__}")
    if not lo <= int(value) <= hi:
        raise ParameterError(param, f"must be in {lo:,}..{hi:,}, got {int(value):,}")


def check_ledger(ledger) -> None:
    if isinstance(ledger, bool):
        return
    if not isinstance(ledger, Real) or not math.isfinite(float(ledger)) or not 0.0 <= float(ledger) <= 1.0:
        raise ParameterError("ledger", f"must be True, False or a fraction in 0..1, got {ledger!r}")


def check_levers(levers) -> None:
    from .params import Levers

    if levers is None or isinstance(levers, Levers):
        return
    if not isinstance(levers, Mapping):
        raise ParameterError("levers", f"must be a Levers or a mapping of {', '.join(LEVER_NAMES)} to "
                                       f"True/False, got {type(levers).__name__}")
    for k, v in levers.items():
        if k not in LEVER_NAMES:
            import difflib

            guess = difflib.get_close_matches(str(k), LEVER_NAMES, n=1)
            hint = f"; did you mean '{guess[0]}'?" if guess else ""
            raise ParameterError("levers", f"has no lever {k!r} (levers: {', '.join(LEVER_NAMES)}){hint}")
        if not isinstance(v, bool):
            raise ParameterError("levers", f"[{k!r}] must be True or False, got {v!r}")


def _spec(society, population: int, municipalities: int):
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


def check_rulebook_list(rulebooks) -> None:
    """run_nation takes a list: one rulebook alone is refused, saying to use simulate."""
    from ..rulebook.schema import Rulebook

    if isinstance(rulebooks, str | bytes | Rulebook) or not isinstance(rulebooks, Sequence):
        raise ParameterError("rulebooks", "must be a list of rulebooks or pilot names "
                                          "(for one rulebook use simulate)")


def check_run_args(rulebooks, *, population, steps, seed, society=None, national=None, params=None,
                   levers=None, ledger=False, save_ties=None, progress=None, out=None,
                   checkpoint_every=None) -> None:
    """Raise ParameterError (a ValueError) for the first argument of run_nation out of range."""
    from ..rulebook.schema import Rulebook
    from ..society.spec import MAX_N
    from .params import EngineParams

    check_rulebook_list(rulebooks)
    if not rulebooks:
        raise ParameterError("rulebooks", "must name at least one rulebook")
    for i, r in enumerate(rulebooks):
        if not isinstance(r, Rulebook | str):
            raise ParameterError("rulebooks", f"[{i}] must be a Rulebook or a pilot name or file, "
                                              f"got {type(r).__name__}")
    if national is not None and not isinstance(national, Rulebook | str):
        raise ParameterError("national", f"must be a Rulebook, a pilot name or file, or None, got {type(national).__name__}")
    _int("population", population, 1, MAX_N, python_int=society is None or isinstance(society, Mapping))
    _int("steps", steps, 1, MAX_STEPS)
    _int("seed", seed, 0, MAX_SEED)
    check_ledger(ledger)
    check_levers(levers)
    if params is not None and not isinstance(params, EngineParams):
        raise ParameterError("params", f"must be an EngineParams (EngineParams(**values)), got {type(params).__name__}")
    if save_ties is not None and not isinstance(save_ties, bool):
        raise ParameterError("save_ties", f"must be True, False or None, got {save_ties!r}")
    if progress is not None and not isinstance(progress, Callable):
        raise ParameterError("progress", "must be a function progress(done, total) or None")
    if checkpoint_every is not None:
        _int("checkpoint_every", checkpoint_every, 1, MAX_STEPS)
        if out is None:
            raise ParameterError("checkpoint_every", "needs an output folder (out=...)")

    if isinstance(national, Rulebook):  # what merge_national would refuse after the folder is made
        ids = {x.id for x in national.lists if x.scope == "national"}
        if not ids:
            raise ParameterError("national", f"rulebook '{national.metadata.name}' has no list with "
                                             f"scope: national to apply nationwide")
        for r in rulebooks:
            clash = ids & {x.id for x in r.lists} if isinstance(r, Rulebook) else set()
            if clash:
                raise ParameterError("national", f"list ids {sorted(clash)} exist in both "
                                                 f"'{r.metadata.name}' and the national rulebook")

    n_rb = len(rulebooks)
    spec = _spec(society, population, n_rb if n_rb > 1 else 1)
    m = spec.municipality_count
    if n_rb not in (1, m):
        raise ParameterError("rulebooks", f"has {n_rb} entries for {m} municipalities "
                                          f"(give one for all, or one per municipality)")

    from .run import event_rate, memory_problem

    # A shard keeps its own rulebook's lists and the national ones (not every municipality's).
    n_lists = (max((len(r.lists) for r in rulebooks if isinstance(r, Rulebook)), default=2)
               + (len(national.lists) if isinstance(national, Rulebook) else 0))
    fraction = (1.0 if ledger is True else float(ledger)) if ledger else 0.0
    problem = memory_problem(spec.n, spec.network.mean_degree, n_lists, fraction, int(steps),
                             event_rate([*rulebooks, national]))
    if problem:
        raise ParameterError("population", f"is too large for this machine: {problem}")
