"""Building a run: the rulebooks resolved, the society made, and the shards (a `Nation`)
built over it with the two view buffers the run swaps.

A rulebook used by many municipalities is merged with the national layer and compiled
once; the shards share it, read-only. With `own_society` (a society made for this run)
the shards take the society's arrays in place instead of copying them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..rulebook.checks import check_rulebook
from ..rulebook.compiled import compile_rulebook
from ..rulebook.errors import Problem, RulebookError
from ..rulebook.schema import Rulebook
from . import kernels
from .context import View
from .ledger import Ledger
from .nation import merge_national
from .params import EngineParams
from .shard import Shard


def as_rulebook(x) -> Rulebook:
    """A Rulebook as it is, or the pilot or file a name gives."""
    if isinstance(x, Rulebook):
        return x
    from ..pilots import resolve_rulebook

    return resolve_rulebook(x)


def make_run_society(society, population: int, municipalities: int, seed: int):
    """The society a run steps over: a built Society as it is, else made from its spec
    (`validate.society_spec`: a SocietySpec, a dict of its fields, or None) and the seed."""
    from ..society import Society, make_society
    from .validate import society_spec

    if isinstance(society, Society):
        return society
    return make_society(society_spec(society, population, municipalities), seed=seed)


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
    crbs: list = []
    compiled: dict = {}
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
