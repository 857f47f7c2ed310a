"""Phases 5 and 6: sanctions and privileges by sector, and appeals against listings."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..rulebook.compiled import CompiledRulebook
from . import kernels
from .context import Tables, View
from .listing import EXIT_APPEAL, ListEvents, _remove, on_list
from .params import EngineParams
from .state import NOT_LISTED, ShardState, bump, day


def sanction(st: ShardState, crb: CompiledRulebook, tb: Tables, nxt: View) -> dict[str, float]:
    """Grade, every measure in force, wealth, and this shard's part of the next view.

    Measures are folded once into per-grade and per-list tables (Tables.by_grade /
    by_list), and the day's update is one fused pass (kernels.consequences) that also
    returns the stock sums for the aggregates.
    """
    g, lt = tb.by_grade, tb.by_list
    K = len(crb.grade_names)
    partial = np.zeros((kernels.n_chunks(st.n), 12 + K), np.float64)
    kernels.consequences(
        st.score, crb.grade_min, st.until, NOT_LISTED, st.wrongful.data, st.wrongful.row, crb.list_black, crb.list_published,
        g.cost, g.gain, g.sectors, g.privileged, lt.cost, lt.gain, lt.sectors, lt.privileged,
        st.income, st.disclosed, st.harm_level, np.float32(tb.cheat_scale),
        st.grade, st.wealth, st.sectors, st.sectors_ever, st.counters["sanction_days"],
        st.counters["privilege_days"], st.offset, nxt.score, nxt.black, nxt.published, nxt.harm,
        nxt.cheat, partial)
    tot = partial.sum(axis=0)
    return {
        "score_sum": float(tot[0]), "score_sq_sum": float(tot[1]), "wealth_sum": float(tot[2]),
        "sanctioned": int(tot[3]), "sector_restrictions": int(tot[4]), "listed_black": int(tot[5]),
        "listed_black_wrongful": int(tot[6]), "listed_red": int(tot[7]),
        "sanction_cost": float(tot[8]), "privilege_benefit": float(tot[9]), "disclosed": int(tot[10]),
        "harm_sum": ordered_sum(partial[:, 11]),
        "grade_counts": tot[12:].astype(np.int64),
    }


def ordered_sum(x: np.ndarray) -> float:
    """Chunk sums added left to right: the same total wherever the chunks were summed."""
    return float(sum(x.tolist()))


def appealable_lists(crb: CompiledRulebook) -> np.ndarray:
    """Lists a citizen can appeal against: blacklists whose listed are told of it."""
    if not crb.appeals_available or not crb.n_lists:
        return np.zeros(0, np.int64)
    return np.flatnonzero(crb.list_black & crb.list_notice)


def appeal_list_of(st: ShardState, crb: CompiledRulebook, who: np.ndarray) -> np.ndarray:
    """The list each citizen's pending appeal is against (state keeps it only when it varies)."""
    if st.appeal_list.size:
        return st.appeal_list[who].astype(np.intp)
    lists = appealable_lists(crb)
    return np.full(who.shape, lists[0] if lists.size else 0, np.intp)


@dataclass
class AppealEvents:
    lodged: np.ndarray  # local indices
    decided: np.ndarray
    won: np.ndarray  # bool aligned with decided
    wrongful: np.ndarray  # bool aligned with decided: was the listing wrongful


def appeal(st: ShardState, crb: CompiledRulebook, p: EngineParams, t: int,
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
        lst = appeal_list_of(st, crb, due)
        still = st.until[lst, due] != NOT_LISTED
        was_wrong = st.wrongful.take(lst, due)
        correct = rng.random(due.size) < crb.appeal_accuracy
        won = still & np.where(was_wrong, correct, ~correct)
        for l in np.unique(lst[won]):
            who = due[won & (lst == l)]
            _remove(st, int(l), who)
            ev.exited.append((int(l), who, EXIT_APPEAL))
        fix = due[won & was_wrong]
        st.neg[fix] = np.minimum(st.neg[fix], st.cneg[fix])
        st.score[fix] = np.clip(crb.base + st.pos[fix] - st.neg[fix], crb.min, crb.max)
        bump(st.counters["appeals_won"], due[won])
        st.appeal_due[due] = NOT_LISTED
    lodged = []
    for l in appealable_lists(crb):  # nobody appeals a listing they were never told of
        on = ev.on.get(int(l))  # as the listing phase left it, less the appeals won just now
        on = on_list(st, crb, int(l)) if on is None else on[st.until[l, on] != NOT_LISTED]
        on = on[~st.appealed[l, on] & (st.appeal_due[on] == NOT_LISTED)]
        if crb.appeal_deadline > 0:
            on = on[(t - st.listed_at[l, on]) <= crb.appeal_deadline]
        on = on[st.wealth[on] >= crb.appeal_cost]
        if on.size == 0:  # nobody to draw for: the day's appeal stream is not even made
            continue
        prob = np.where(st.wrongful[l, on], p.appeal_if_wronged, p.appeal_if_rightful * st.strategic[on])
        go = on[rng.random(on.size) < prob]
        if go.size:
            st.appealed[l, go] = True
            st.appeal_due[go] = day(t + max(1, crb.appeal_latency))
            if st.appeal_list.size:
                st.appeal_list[go] = l
            st.wealth[go] -= crb.appeal_cost
            bump(st.counters["appeals"], go)
            lodged.append(go)
    lodged_all = np.concatenate(lodged) if lodged else empty
    return AppealEvents(lodged_all, due, won, was_wrong)
