"""The run loop: build shards from a society, step them in lockstep, gather the results.

Each step every shard reads the view published at the end of the previous step and
writes its part of the next view; the two buffers are swapped between steps. So shards
can run in any order or in parallel, in one process or many, with identical results.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..rulebook.checks import check_rulebook
from ..rulebook.compiled import compile_rulebook
from ..rulebook.errors import Problem, RulebookError
from ..rulebook.schema import Rulebook
from .context import View
from .ledger import Ledger
from .nation import merge_national
from .params import EngineParams, Levers
from .result import RunResult, build_result
from .shard import Shard

MAX_STEPS = 36500


def _as_rulebook(x) -> Rulebook:
    if isinstance(x, Rulebook):
        return x
    from ..pilots import resolve_rulebook

    return resolve_rulebook(x)


def _society(society, population: int, municipalities: int, seed: int):
    from ..society import Society, SocietySpec, make_society

    if isinstance(society, Society):
        return society
    if society is None:
        spec = SocietySpec(n=population, municipalities=municipalities)
    elif isinstance(society, SocietySpec):
        spec = society
    elif isinstance(society, dict):
        spec = SocietySpec.model_validate({"n": population, "municipalities": municipalities, **society})
    else:
        raise TypeError("society must be a Society, a SocietySpec, a dict or None")
    return make_society(spec, seed=seed)


@dataclass
class Nation:
    """Shards stepping together over one society."""

    shards: list[Shard]
    n: int

    def new_view(self) -> View:
        return View(
            score=np.zeros(self.n, np.float32),
            black=np.zeros(self.n, np.uint8),
            published=np.zeros(self.n, np.uint8),
            harm=np.zeros(self.n, np.float32),
            cheat=np.zeros(self.n, np.float32),
        )


def build_nation(rulebooks: Sequence[Rulebook], society, params: EngineParams, seed: int,
                 national: Rulebook | None = None, ledger: Ledger | None = None) -> Nation:
    pop, net = society.population, society.network
    M = len(pop.municipality_names)
    if len(rulebooks) == 1 and M > 1:
        rulebooks = list(rulebooks) * M
    if len(rulebooks) != M:
        raise ValueError(f"{len(rulebooks)} rulebooks for {M} municipalities")
    shards = []
    for m, rb in enumerate(rulebooks):
        if national is not None:
            rb = merge_national(rb, national)
            issues = check_rulebook(rb)
            if issues:
                raise RulebookError([Problem(rb.metadata.name, 0, 0, path, msg) for path, msg in issues])
        crb = compile_rulebook(rb, groups=tuple(pop.group_names))
        sl = pop.municipality_slice(m)
        traits = {k: getattr(pop, k)[sl] for k in ("group", "virtue", "strategic", "privacy", "income")}
        ip = net.indptr[sl.start: sl.stop + 1]
        rows = slice(int(ip[0]), int(ip[-1]))
        shards.append(Shard(m, pop.municipality_names[m], crb, params, seed, traits, sl.start,
                            ip, net.indices[rows], net.active[rows], ledger))
    return Nation(shards, pop.n)


def run_nation(rulebooks: Sequence[Rulebook | str], *, population: int = 10_000, steps: int = 365,
               seed: int = 0, society=None, national: Rulebook | str | None = None,
               params: EngineParams | None = None, levers: Levers | dict | None = None,
               ledger: bool | float = False, save_ties: bool | None = None,
               progress: Callable[[int, int], None] | None = None) -> RunResult:
    """Simulate one or more municipalities, each with its own rulebook.

    With one rulebook and several municipalities in the society spec, every municipality
    runs that rulebook. `ledger` is False, True (all citizens) or a sample fraction.
    """
    if not 1 <= int(steps) <= MAX_STEPS:
        raise ValueError(f"steps must be in 1..{MAX_STEPS}, got {steps}")
    rbs = [_as_rulebook(r) for r in rulebooks]
    nat = _as_rulebook(national) if national is not None else None
    params = params or EngineParams()
    if levers is not None:
        lv = levers if isinstance(levers, Levers) else Levers(**levers)
        params = params.model_copy(update={"levers": lv})
    t0 = time.perf_counter()
    soc = _society(society, population, len(rbs) if len(rbs) > 1 else 1, seed)
    t_soc = time.perf_counter() - t0
    led = Ledger(1.0 if ledger is True else float(ledger)) if ledger else None
    nation = build_nation(rbs, soc, params, seed, nat, led)
    view, nxt = nation.new_view(), nation.new_view()
    for sh in nation.shards:
        sh.publish(view)
    rows, grades = [], []
    t1 = time.perf_counter()
    for t in range(int(steps)):
        for sh in nation.shards:
            rows.append(sh.step(t, view, int(steps)))
            sh.publish(nxt)
            grades.append((t, sh.st.municipality, sh.crb.grade_names,
                           np.bincount(sh.st.grade, minlength=len(sh.crb.grade_names))))
        view, nxt = nxt, view
        if progress is not None:
            progress(t + 1, int(steps))
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
        "params": params.model_dump(mode="json"),
        "levers": params.levers.label(),
        "ledger": None if led is None else {"fraction": led.fraction},
        "versions": _versions(),
        "timing": {"society_seconds": round(t_soc, 3), "run_seconds": round(t_run, 3),
                   "citizen_steps_per_second": round(soc.n * int(steps) / max(t_run, 1e-9))},
    }
    if save_ties is None:
        save_ties = soc.n <= 50_000
    return build_result(nation, soc, manifest, rows, grades, led, save_ties)


def simulate(rulebook: Rulebook | str, *, population: int = 10_000, steps: int = 365, seed: int = 0,
             society=None, params: EngineParams | None = None, levers: Levers | dict | None = None,
             ledger: bool | float = False, save_ties: bool | None = None,
             progress: Callable[[int, int], None] | None = None) -> RunResult:
    """Apply one rulebook day by day to a synthetic society of `population` citizens.

    >>> r = simulate("rongcheng", population=2_000, steps=30, seed=1)
    >>> r.steps.shape[0]
    30
    """
    return run_nation([rulebook], population=population, steps=steps, seed=seed, society=society,
                      params=params, levers=levers, ledger=ledger, save_ties=save_ties, progress=progress)


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
