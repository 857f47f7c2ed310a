"""Phase 4, list: entries, renewals and exits of blacklists and redlists.

Records that trigger a list count within a tumbling window (the count restarts when the
window since its first record has passed). A listing is wrongful when the clean record
(true, unexcused acts only, no association effects) would not have triggered it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..rulebook.compiled import CompiledRulebook
from . import kernels
from .context import Tables
from .observe import Records
from .params import EngineParams
from .state import FOREVER, NOT_LISTED, ShardState, bump, day, trigger_cap

EXIT_EXPIRED, EXIT_PERFORMED, EXIT_REPAIRED, EXIT_APPEAL = 0, 1, 2, 3
EXIT_REASONS = ("expired", "performed", "repaired", "appeal")


@dataclass
class ListEvents:
    """Entries and exits this step (local indices), for aggregates and the ledger."""

    entered: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)  # (list, who, wrongful, lawful cause)
    exited: list[tuple[int, np.ndarray, int]] = field(default_factory=list)  # (list, who, reason)
    renewals: list[tuple[int, np.ndarray]] = field(default_factory=list)  # (list, who)
    on: dict[int, np.ndarray] = field(default_factory=dict)  # list -> who is on it after today's changes

    @property
    def renewed(self) -> int:
        return sum(int(who.size) for _, who in self.renewals)


def _remove(st: ShardState, l: int, who: np.ndarray) -> None:
    st.until[l, who] = NOT_LISTED
    st.exit_at[l, who] = NOT_LISTED
    st.trig_count[l, who] = 0
    st.trig_clean[l, who] = 0


def _triggered(crb: CompiledRulebook, l: int, score_arr: np.ndarray, count_arr: np.ndarray) -> np.ndarray:
    """Who meets list l's entry condition: enough trigger records, or the score threshold."""
    if crb.list_trigger[l].any():
        hit = count_arr >= crb.list_min_records[l]
    else:
        hit = np.zeros(score_arr.shape[0], bool)
    if not np.isnan(crb.list_score_below[l]):
        hit |= score_arr < crb.list_score_below[l]
    if not np.isnan(crb.list_score_at_least[l]):
        hit |= score_arr >= crb.list_score_at_least[l]
    return hit


def _scan(st: ShardState, crb: CompiledRulebook, l: int, score_rule: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Who is on list l, and who meets its score condition (one pass over the shard)."""
    below, above = float(crb.list_score_below[l]), float(crb.list_score_at_least[l])
    if not score_rule:
        below = above = float("nan")
    # Outputs sized from the last scan of this list (counts change little from day to day),
    # not for every citizen: a scan that finds more is run again with room for all.
    want = st.scan_room.get(l, (1024, 1024))
    score_hits = not (np.isnan(below) and np.isnan(above))
    while True:
        on = np.empty(want[0], np.int64)
        hits = np.empty(want[1] if score_hits else 0, np.int64)
        n_on, n_hit = kernels.list_scan(st.until[l], NOT_LISTED, st.score, below, above, on, hits)
        if n_on <= on.size and n_hit <= hits.size:
            break
        want = (max(want[0], n_on), max(want[1], n_hit))
    st.scan_room[l] = (max(1024, 2 * n_on), max(1024, 2 * n_hit))
    return on[:n_on], hits[:n_hit]


def on_list(st: ShardState, crb: CompiledRulebook, l: int) -> np.ndarray:
    """Local indices of the citizens on list l, ascending."""
    return _scan(st, crb, l, score_rule=False)[0]


def listing(st: ShardState, crb: CompiledRulebook, p: EngineParams, tb: Tables, rec: Records, t: int,
            rng: np.random.Generator) -> ListEvents:
    """Entries, renewals and exits. Work is proportional to records and listed citizens,
    plus one comparison over all citizens for score-triggered lists."""
    ev = ListEvents()
    if not p.levers.code or crb.n_lists == 0:
        return ev
    for l in range(crb.n_lists):
        until = st.until[l]
        black = bool(crb.list_black[l])
        below = crb.list_score_below[l]
        by_records = bool(crb.list_trigger[l].any())
        # Trigger records this step, counted within a tumbling window.
        trig = crb.list_trigger[l, rec.behaviour]
        fresh = np.empty(0, np.int64)
        if trig.any():
            who_all = rec.citizen[trig]
            fresh, cnt = np.unique(who_all, return_counts=True)
            cln_who = rec.citizen[trig & rec.clean]
            cln = np.zeros(fresh.size, np.int64)
            if cln_who.size:
                u, c = np.unique(cln_who, return_counts=True)
                cln[np.searchsorted(fresh, u)] = c
            expired = (t - st.trig_start[l, fresh]) >= crb.list_window[l]
            st.trig_count[l, fresh[expired]] = 0
            st.trig_clean[l, fresh[expired]] = 0
            st.trig_start[l, fresh[expired]] = t
            cap = trigger_cap(st.trig_count.dtype)
            st.trig_count[l, fresh] = np.minimum(st.trig_count[l, fresh] + cnt, cap)
            st.trig_clean[l, fresh] = np.minimum(st.trig_clean[l, fresh] + cln, cap)
            if st.reoffended.has(l):
                st.reoffended[l, fresh[until[fresh] != NOT_LISTED]] = True

        def holds(idx: np.ndarray, l=l) -> np.ndarray:
            return _triggered(crb, l, st.score[idx], st.trig_count[l, idx])

        on, hits = _scan(st, crb, l)
        # Expiry and renewal.
        ending = on[until[on] <= t]
        if ending.size:
            ok = (st.renewals[l, ending] < crb.list_max_renewals[l]) & (crb.list_renew_days[l] > 0)
            ok &= st.reoffended[l, ending] if crb.list_renew_on_reoffence[l] else holds(ending)
            renew = ending[ok]
            st.until[l, renew] = day(t + crb.list_renew_days[l])
            st.renewals[l, renew] += 1
            st.reoffended[l, renew] = False
            if renew.size:
                ev.renewals.append((l, renew))
            gone = ending[~ok]
            if gone.size:
                _remove(st, l, gone)
                ev.exited.append((l, gone, EXIT_EXPIRED))
                on = on[until[on] != NOT_LISTED]
        # Exit on performance (e.g. paying the judgment debt), after the removal delay.
        if crb.list_exit_rate[l] > 0 and on.size:
            waiting = on[st.exit_at[l, on] == NOT_LISTED]
            start = waiting[rng.random(waiting.size) < crb.list_exit_rate[l]]
            st.exit_at[l, start] = day(t + crb.list_exit_delay[l])
            sched = st.exit_at[l, on]
            due = on[(sched != NOT_LISTED) & (sched <= t)]
            if due.size:
                # Performing settles the matter: what was owed is paid.
                if not np.isnan(below):
                    ceiling = np.maximum(crb.base + st.pos[due] - below, 0)
                    st.neg[due] = np.minimum(st.neg[due], ceiling)
                    st.cneg[due] = np.minimum(st.cneg[due], ceiling)
                    st.score[due] = np.maximum(st.score[due], below)
                _remove(st, l, due)
                ev.exited.append((l, due, EXIT_PERFORMED))
                on = on[until[on] != NOT_LISTED]
        # Credit repair: pay, wait, leave.
        if black and crb.repair_available and on.size:
            ok = ((t - st.listed_at[l, on]) >= crb.repair_min_days) & (st.wealth[on] >= crb.repair_cost)
            ok &= rng.random(on.size) < p.repair_hazard * st.strategic[on]
            go = on[ok]
            if go.size:
                st.wealth[go] -= crb.repair_cost
                _remove(st, l, go)
                ev.exited.append((l, go, EXIT_REPAIRED))
                on = on[until[on] != NOT_LISTED]
        # Entry: citizens with fresh trigger records, or past a score threshold.
        # `hits` met the score condition at the scan; scores only rose since (performing
        # settles the debt), and `holds` checks again with today's values.
        cand = kernels.union_sorted(fresh.astype(np.int64, copy=False), hits) if hits.size else fresh
        cand = cand[until[cand] == NOT_LISTED]
        who = cand[holds(cand)] if cand.size else cand
        if who.size:
            if black:
                cscore = np.clip(crb.base + st.cpos[who] - st.cneg[who], crb.min, crb.max)
                wrongful = ~_triggered(crb, l, cscore, st.trig_clean[l, who])
                trig_lawful = (crb.list_trigger[l] & tb.lawful).any() and not (crb.list_trigger[l] & ~tb.lawful).any()
                c = st.counters
                by_score = c["points_lost_lawful"][who] > 0.5 * np.maximum(c["points_lost"][who], 1e-9)
                lawful_cause = np.full(who.size, trig_lawful) if by_records else by_score
                bump(c["listings"], who)
                bump(c["wrongful_listings"], who[wrongful])
            else:
                wrongful = np.zeros(who.size, bool)
                lawful_cause = np.zeros(who.size, bool)
                bump(st.counters["redlistings"], who)
            dur = crb.list_duration[l]
            st.until[l, who] = FOREVER if dur < 0 else day(t + dur)
            if st.listed_at.has(l):
                st.listed_at[l, who] = t
            st.renewals[l, who] = 0
            st.wrongful[l, who] = wrongful
            st.exit_at[l, who] = NOT_LISTED
            st.appealed[l, who] = False
            st.reoffended[l, who] = False
            st.trig_count[l, who] = 0
            st.trig_clean[l, who] = 0
            ev.entered.append((l, who, wrongful, lawful_cause))
            on = kernels.union_sorted(on, who)  # both ascending
        ev.on[l] = on
    return ev


def count_listed_days(st: ShardState, crb: CompiledRulebook, ev: ListEvents) -> None:
    """Days on blacklists, and wrongfully so (each citizen counted once a day), once the
    day's listings are settled: after the listing phase and the appeals. A listing counts
    on the day it starts and not on the day it ends, whatever ends it (expiry, performance,
    repair or a won appeal), so it counts (end step - entry step) days."""
    black_days: list[np.ndarray] = []
    wrong_days: list[np.ndarray] = []
    for l, on in ev.on.items():
        if not crb.list_black[l]:
            continue
        on = on[st.until[l, on] != NOT_LISTED]  # less the listings a won appeal ended today
        black_days.append(on)
        wrong_days.append(on[st.wrongful[l, on]])
    if black_days:
        st.counters["days_blacklisted"][union_all(black_days)] += 1
        st.counters["days_wrongfully_listed"][union_all(wrong_days)] += 1


def union_all(parts: list[np.ndarray]) -> np.ndarray:
    """The union of ascending arrays of distinct ids, ascending (merged, not sorted)."""
    out = parts[0]
    for p in parts[1:]:
        out = kernels.union_sorted(out, p)
    return out
