"""Blocked purchases: restricted citizens try to buy what a sanction bars, and are stopped.

A sanction in a purchase sector (`schema.PURCHASE_SECTORS`: air, rail, hotels, travel,
housing, schools) may declare `purchases`: how often a citizen it restricts tries to buy
a ticket, a room, a property or school places. Each day every citizen restricted in such a
sector (on a list or in a grade that a sanction in force there targets) makes a Poisson
number of attempts with mean

    rate x (1 + annual_growth) ** (t / 365.25) x (monthly income / reference_income) ** income_elasticity

and, from `enforced_from_day` on, the check stops each attempt with `block_share`. The
steps table counts the day's attempts and blocks per sector (`attempts_<sector>`,
`blocked_<sector>`), so "flights blocked" can be set beside the court's figures.

The work is proportional to the restricted citizens: the listed come from the listing
phase (`ListEvents.on`); only a sanction that targets grades needs a pass over the grades
(one byte per citizen). The draws come from the day's own stream ("purchase"), so adding
purchases to a rulebook changes no other phase's draws (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..rulebook.compiled import CompiledRulebook
from ..rulebook.schema import PURCHASE_SECTORS, SECTORS
from .context import Tables
from .listing import ListEvents, on_list, union_all
from .state import NOT_LISTED, ShardState

COLUMNS = tuple(f"{kind}_{s}" for s in PURCHASE_SECTORS for kind in ("attempts", "blocked"))
DAYS_PER_YEAR = 365.25
MONTH = 30.0  # the state keeps daily incomes (monthly / 30)


@dataclass(frozen=True)
class SectorPlan:
    k: int  # index into PURCHASE_SECTORS
    lists: np.ndarray  # lists whose sanctions in force restrict the sector
    grades: np.ndarray  # grades whose sanctions in force restrict it


def purchase_plan(crb: CompiledRulebook, tb: Tables) -> tuple[SectorPlan, ...]:
    """The sectors where restricted citizens try to buy, and who is restricted there.

    Read from the folded measures in force (Tables.by_list / by_grade), so the levers
    apply: with code off nobody is restricted, with the market lever off neither are hotel
    or travel bookings."""
    plans = []
    bits = [int(b) for b in tb.sector_bits]
    for k, name in enumerate(PURCHASE_SECTORS):
        g = SECTORS.index(name)
        if crb.purchase_rate[k] <= 0 or g not in bits:
            continue
        j = bits.index(g)
        lists = np.flatnonzero((tb.by_list.sectors.astype(np.int64) >> j) & 1)
        grades = np.flatnonzero((tb.by_grade.sectors.astype(np.int64) >> j) & 1)
        if lists.size or grades.size:
            plans.append(SectorPlan(k, lists, grades.astype(np.int8)))
    return tuple(plans)


def empty_row() -> dict[str, int]:
    return dict.fromkeys(COLUMNS, 0)


def restricted(st: ShardState, crb: CompiledRulebook, plan: SectorPlan, ev: ListEvents) -> np.ndarray:
    """Local indices (ascending, unique) of the citizens restricted in the plan's sector today."""
    parts = []
    for l in plan.lists:
        on = ev.on.get(int(l))
        on = on_list(st, crb, int(l)) if on is None else on[st.until[l, on] != NOT_LISTED]  # less won appeals
        parts.append(on)
    if plan.grades.size:
        parts.append(np.flatnonzero(np.isin(st.grade, plan.grades)))
    if not parts:
        return np.empty(0, np.int64)
    return union_all(parts)


def purchases(st: ShardState, crb: CompiledRulebook, plans: tuple[SectorPlan, ...], ev: ListEvents, t: int,
              rng: np.random.Generator) -> dict[str, int]:
    """The day's purchase attempts and blocks per purchase sector (call after the sanction phase)."""
    row = empty_row()
    # Sectors barred by the same measures restrict the same citizens (the court list bars
    # flights, trains and hotels alike): who they are, and their incomes, are found once.
    found: dict[tuple, np.ndarray] = {}
    incomes: dict[tuple, np.ndarray] = {}
    for plan in plans:
        key = (plan.lists.tobytes(), plan.grades.tobytes())
        if key not in found:
            found[key] = restricted(st, crb, plan, ev)
        who = found[key]
        if who.size == 0:
            continue
        k = plan.k
        base = crb.purchase_rate[k] * (1.0 + crb.purchase_growth[k]) ** (t / DAYS_PER_YEAR)
        e = crb.purchase_elasticity[k]
        if e == 0:
            lam = np.full(who.size, base)
        else:
            if key not in incomes:
                incomes[key] = st.income[who].astype(np.float64)
            lam = base * (incomes[key] * (MONTH / crb.purchase_ref_income[k])) ** e
        attempts = int(rng.poisson(lam).sum())
        blocked = 0
        if t >= crb.purchase_from[k] and attempts:
            share = crb.purchase_block[k]
            blocked = attempts if share >= 1.0 else int(rng.binomial(attempts, share))
        name = PURCHASE_SECTORS[k]
        row[f"attempts_{name}"] = attempts
        row[f"blocked_{name}"] = blocked
    return row
