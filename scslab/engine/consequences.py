"""Phases 5 and 6: sanctions and privileges by sector, and appeals against listings."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..rulebook.compiled import CompiledRulebook
from .context import Tables
from .listing import EXIT_APPEAL, ListEvents, _remove
from .params import EngineParams
from .state import NOT_LISTED, ShardState


def sanction(st: ShardState, crb: CompiledRulebook, tb: Tables) -> dict[str, float]:
    """Apply every measure in force; wealth pays costs and collects income and benefits.

    Measures are folded once into per-grade and per-list tables (Tables.by_grade /
    by_list), so a step costs a few gathers instead of one pass per measure.
    """
    st.grade[:] = crb.grade_of(st.score)
    g = tb.by_grade
    cost = g.cost[st.grade]
    gain = g.gain[st.grade]
    sectors = g.sectors[st.grade]
    priv_any = g.privileged[st.grade]
    lt = tb.by_list
    for l in lt.active_lists:
        on = st.until[l] != NOT_LISTED
        if lt.cost[l]:
            cost = cost + on * np.float32(lt.cost[l])
        if lt.gain[l]:
            gain = gain + on * np.float32(lt.gain[l])
        if lt.sectors[l]:
            sectors = sectors | (on.astype(np.uint32) * lt.sectors[l])
        if lt.privileged[l]:
            priv_any = priv_any | on
    st.sectors[:] = sectors
    st.sectors_ever |= sectors
    hit_any = sectors != 0
    st.counters["sanction_days"] += hit_any
    st.counters["privilege_days"] += priv_any
    st.wealth += st.income - cost + gain
    return {
        "sanction_cost": float(cost.sum(dtype=np.float64)),
        "privilege_benefit": float(gain.sum(dtype=np.float64)),
    }


def _sectors_of(st: ShardState, tb: Tables, idx: np.ndarray) -> np.ndarray:
    """Sectors restricted for citizens idx given their grade and lists now."""
    sec = tb.by_grade.sectors[st.grade[idx]]
    for l in tb.by_list.active_lists:
        on = st.until[l, idx] != NOT_LISTED
        sec = sec | (on.astype(np.uint32) * tb.by_list.sectors[l])
    return sec


@dataclass
class AppealEvents:
    lodged: np.ndarray  # local indices
    decided: np.ndarray
    won: np.ndarray  # bool aligned with decided
    wrongful: np.ndarray  # bool aligned with decided: was the listing wrongful


def appeal(st: ShardState, crb: CompiledRulebook, p: EngineParams, tb: Tables, t: int,
           rng: np.random.Generator, ev: ListEvents) -> AppealEvents:
    """Decide appeals that are due, then let listed citizens lodge new ones.

    Only citizens who were told of their listing can appeal. The wronged appeal readily,
    the rightly listed rarely (and only the strategic). A review reaches the right outcome
    with the rulebook's accuracy; a won appeal ends the listing, and a wrongful one also
    has its false and excused records struck out.
    """
    empty = np.empty(0, np.int64)
    if not (p.levers.code and crb.appeals_available and crb.n_lists):
        return AppealEvents(empty, empty, empty.astype(bool), empty.astype(bool))
    due = np.flatnonzero(st.appeal_due == t)
    won = np.zeros(due.size, bool)
    was_wrong = np.zeros(due.size, bool)
    if due.size:
        lst = st.appeal_list[due].astype(np.intp)
        still = st.until[lst, due] != NOT_LISTED
        was_wrong = st.wrongful[lst, due]
        correct = rng.random(due.size) < crb.appeal_accuracy
        won = still & np.where(was_wrong, correct, ~correct)
        for l in np.unique(lst[won]):
            who = due[won & (lst == l)]
            _remove(st, int(l), who)
            ev.exited.append((int(l), who, EXIT_APPEAL))
        fix = due[won & was_wrong]
        st.neg[fix] = np.minimum(st.neg[fix], st.cneg[fix])
        st.score[fix] = np.clip(crb.base + st.pos[fix] - st.neg[fix], crb.min, crb.max)
        st.grade[fix] = crb.grade_of(st.score[fix])
        freed = due[won]
        st.sectors[freed] = _sectors_of(st, tb, freed)  # a won appeal lifts today's restrictions
        st.counters["appeals_won"][due[won]] += 1
        st.appeal_due[due] = NOT_LISTED
    lodged = []
    for l in np.flatnonzero(crb.list_black):
        if not crb.list_notice[l]:
            continue  # nobody appeals a listing they were never told of
        on = np.flatnonzero(st.until[l] != NOT_LISTED)
        on = on[~st.appealed[l, on] & (st.appeal_due[on] == NOT_LISTED)]
        if crb.appeal_deadline > 0:
            on = on[(t - st.listed_at[l, on]) <= crb.appeal_deadline]
        on = on[st.wealth[on] >= crb.appeal_cost]
        prob = np.where(st.wrongful[l, on], p.appeal_if_wronged, p.appeal_if_rightful * st.strategic[on])
        go = on[rng.random(on.size) < prob]
        if go.size:
            st.appealed[l, go] = True
            st.appeal_due[go] = t + max(1, crb.appeal_latency)
            st.appeal_list[go] = l
            st.wealth[go] -= crb.appeal_cost
            st.counters["appeals"][go] += 1
            lodged.append(go)
    lodged_all = np.concatenate(lodged) if lodged else empty
    return AppealEvents(lodged_all, due, won, was_wrong)
