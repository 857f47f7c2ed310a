"""Phase 4, list: entries, renewals and exits of blacklists and redlists.

Records that trigger a list count within a tumbling window (the count restarts when the
window since its first record has passed). A listing is wrongful when the clean record
(true, unexcused acts only, no association effects) would not have triggered it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..rulebook.compiled import CompiledRulebook
from .context import Tables
from .observe import Records
from .params import EngineParams
from .scoring import clean_score
from .state import FOREVER, NOT_LISTED, ShardState

EXIT_EXPIRED, EXIT_PERFORMED, EXIT_REPAIRED, EXIT_APPEAL = 0, 1, 2, 3
EXIT_REASONS = ("expired", "performed", "repaired", "appeal")


@dataclass
class ListEvents:
    """Entries and exits this step (local indices), for aggregates and the ledger."""

    entered: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)  # (list, who, wrongful, lawful cause)
    exited: list[tuple[int, np.ndarray, int]] = field(default_factory=list)  # (list, who, reason)
    renewed: int = 0


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


def listing(st: ShardState, crb: CompiledRulebook, p: EngineParams, tb: Tables, rec: Records, t: int,
            rng: np.random.Generator) -> ListEvents:
    ev = ListEvents()
    if not p.levers.code or crb.n_lists == 0:
        return ev
    n = st.n
    cscore = clean_score(st, crb)
    for l in range(crb.n_lists):
        until = st.until[l]
        black = bool(crb.list_black[l])
        below = crb.list_score_below[l]
        # Trigger records this step, counted within the window.
        trig = crb.list_trigger[l, rec.behaviour]
        if trig.any():
            who_all = rec.citizen[trig]
            expired = (t - st.trig_start[l]) >= crb.list_window[l]
            st.trig_count[l, expired] = 0
            st.trig_clean[l, expired] = 0
            st.trig_start[l, expired] = t
            cnt = np.bincount(who_all, minlength=n)
            cln = np.bincount(rec.citizen[trig & rec.clean], minlength=n)
            st.trig_count[l] = np.minimum(st.trig_count[l] + cnt, 30000).astype(np.int16)
            st.trig_clean[l] = np.minimum(st.trig_clean[l] + cln, 30000).astype(np.int16)
            st.reoffended[l] |= (cnt > 0) & (until != NOT_LISTED)

        def triggered(score_arr, count_arr, l=l):
            return _triggered(crb, l, score_arr, count_arr)

        # Expiry and renewal.
        ending = (until != NOT_LISTED) & (until <= t)
        if ending.any():
            renew = ending & (st.renewals[l] < crb.list_max_renewals[l]) & (crb.list_renew_days[l] > 0)
            if crb.list_renew_on_reoffence[l]:
                renew &= st.reoffended[l]
            else:
                renew &= triggered(st.score, st.trig_count[l])
            st.until[l, renew] = t + crb.list_renew_days[l]
            st.renewals[l, renew] += 1
            st.reoffended[l, renew] = False
            ev.renewed += int(renew.sum())
            gone = np.flatnonzero(ending & ~renew)
            _remove(st, l, gone)
            if gone.size:
                ev.exited.append((l, gone, EXIT_EXPIRED))
        on = until != NOT_LISTED
        # Exit on performance (e.g. paying the judgment debt), after the removal delay.
        if crb.list_exit_rate[l] > 0:
            start = on & (st.exit_at[l] == NOT_LISTED) & (rng.random(n, dtype=np.float32) < crb.list_exit_rate[l])
            st.exit_at[l, start] = t + crb.list_exit_delay[l]
            due = np.flatnonzero(on & (st.exit_at[l] != NOT_LISTED) & (st.exit_at[l] <= t))
            if due.size:
                # Performing settles the matter: what was owed is paid.
                if not np.isnan(below):
                    ceiling = np.maximum(crb.base + st.pos[due] - below, 0)
                    st.neg[due] = np.minimum(st.neg[due], ceiling)
                    st.cneg[due] = np.minimum(st.cneg[due], ceiling)
                    st.score[due] = np.maximum(st.score[due], below)
                _remove(st, l, due)
                ev.exited.append((l, due, EXIT_PERFORMED))
        # Credit repair: pay, wait, leave.
        if black and crb.repair_available:
            on = until != NOT_LISTED
            ok = on & ((t - st.listed_at[l]) >= crb.repair_min_days) & (st.wealth >= crb.repair_cost)
            go = np.flatnonzero(ok & (rng.random(n, dtype=np.float32) < p.repair_hazard * st.strategic))
            if go.size:
                st.wealth[go] -= crb.repair_cost
                _remove(st, l, go)
                ev.exited.append((l, go, EXIT_REPAIRED))
        # Entry.
        on = until != NOT_LISTED
        enter = ~on & triggered(st.score, st.trig_count[l])
        who = np.flatnonzero(enter)
        if who.size == 0:
            continue
        if black:
            rightful = triggered(cscore, st.trig_clean[l])[who]
            wrongful = ~rightful
            trig_lawful = (crb.list_trigger[l] & tb.lawful).any() and not (crb.list_trigger[l] & ~tb.lawful).any()
            c = st.counters
            by_score = c["points_lost_lawful"][who] > 0.5 * np.maximum(c["points_lost"][who], 1e-9)
            lawful_cause = by_score if not crb.list_trigger[l].any() else np.full(who.size, trig_lawful)
            c["listings"][who] += 1
            c["wrongful_listings"][who] += wrongful.astype(np.int16)
        else:
            wrongful = np.zeros(who.size, bool)
            lawful_cause = np.zeros(who.size, bool)
            st.counters["redlistings"][who] += 1
        dur = crb.list_duration[l]
        st.until[l, who] = FOREVER if dur < 0 else t + dur
        st.listed_at[l, who] = t
        st.renewals[l, who] = 0
        st.wrongful[l, who] = wrongful
        st.exit_at[l, who] = NOT_LISTED
        st.appealed[l, who] = False
        st.reoffended[l, who] = False
        st.trig_count[l, who] = 0
        st.trig_clean[l, who] = 0
        ev.entered.append((l, who, wrongful, lawful_cause))
    # Days on blacklists, and wrongfully so.
    if crb.list_black.any():
        onb = (st.until != NOT_LISTED) & crb.list_black[:, None]
        anyb = onb.any(axis=0)
        st.counters["days_blacklisted"] += anyb
        st.counters["days_wrongfully_listed"] += (onb & st.wrongful).any(axis=0)
    return ev
