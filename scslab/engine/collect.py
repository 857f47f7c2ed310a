"""Phase 9, collect: per-step aggregates as sums and counts, so shards add up.

Every value here is additive across shards (no means or ratios): metrics divide later.
Column meanings are documented in docs/tables.md.
"""

from __future__ import annotations

import numpy as np

from . import kernels
from .listing import EXIT_REASONS
from .purchases import COLUMNS as PURCHASE_COLUMNS


def collect(shard, t, acts, rec, lev, aev, flows, dropped) -> dict:
    """One row of additive aggregates. Stocks come from the fused kernels' chunk sums
    (`flows`); flows are summed over this step's acts and records (sparse)."""
    crb, tb = shard.crb, shard.tb
    # The day's counts and sums over acts and records in one compiled call (a shard's fixed
    # cost per step was two dozen numpy calls here); each sum has np.sum's bits.
    counts = np.zeros(6, np.int64)
    sums = np.zeros(6, np.float64)
    kernels.day_sums(acts.behaviour, acts.excused, rec.behaviour, rec.false, rec.excused, crb.social_value,
                     crb.seen, crb.points, tb.lawful, tb.performative, counts, sums)
    n_harm, n_good, n_excusable, n_false, n_excused, n_offences = counts.tolist()
    harm_sum, unseen_sum, lost, lost_lawful, gained, gained_perf = sums.tolist()
    # The daily penalty for withholding one's data (lawful conduct), paid by every non-discloser.
    pen = float(crb.disclosure_penalty * (shard.st.n - flows["disclosed"])) if shard.p.levers.code else 0.0
    ties_gain = flows.get("points_gained_ties", 0.0)
    disclosure_gain = flows.get("points_gained_disclosure", 0.0)
    row = {
        "step": t,
        "municipality": shard.st.municipality,
        "population": shard.st.n,
        "acts_harm": n_harm,
        "acts_good": n_good,
        "harm": -harm_sum,
        "unobserved_harm": -unseen_sum,
        "excusable_acts": n_excusable,
        "records": len(rec),
        "false_records": n_false,
        "excused_records": n_excused,
        "offences": n_offences,
        "points_lost": -lost + flows.get("assoc_points_lost", 0.0) + pen,
        "points_lost_records": -lost,
        "points_lost_lawful": -lost_lawful + pen,
        "points_lost_nondisclosure": pen,
        # Granted: for records, through ties (peer pull) and for disclosing one's data; the
        # last two for no act of social value, so performative too.
        "points_gained": gained + ties_gain + disclosure_gain,
        "points_gained_records": gained,
        "points_gained_performative": gained_perf + ties_gain + disclosure_gain,
        "points_gained_ties": ties_gain,
        "points_gained_disclosure": disclosure_gain,
        # Lost through ties: association penalty and the peer pull's downward part.
        "assoc_points_lost": flows.get("assoc_points_lost", 0.0),
        "assoc_points_lost_innocent": flows.get("assoc_points_lost_innocent", 0.0),
        "peer_points_lost": flows.get("peer_points_lost", 0.0),
        "entries_black": 0,
        "entries_wrongful": 0,
        "entries_lawful": 0,
        "entries_red": 0,
        "renewals": lev.renewed,
    }
    for k in ("listed_black", "listed_black_wrongful", "listed_red", "sanctioned", "sector_restrictions",
              "sanction_cost", "privilege_benefit"):
        row[k] = flows[k]
    row.update({
        "appeals_lodged": int(aev.lodged.size),
        "appeals_decided": int(aev.decided.size),
        "appeals_won": int(aev.won.sum()),
        "appeals_won_wrongful": int((aev.won & aev.wrongful).sum()),
        "appeals_decided_wrongful": int(aev.wrongful.sum()),
        "ties_dropped": int(dropped),
        "ties_active": int(shard.ties_active),
        "cheated": flows["cheated"],
        "trust_sum": flows["trust_sum"],
        "score_sum": flows["score_sum"],
        "score_sq_sum": flows["score_sq_sum"],
        "wealth_sum": flows["wealth_sum"],
        "disclosed": flows["disclosed"],
    })
    for k in PURCHASE_COLUMNS:  # attempts_<sector>, blocked_<sector>
        row[k] = int(flows.get(k, 0))
    for reason in EXIT_REASONS:
        row[f"exits_{reason}"] = 0
    for l, who, wrongful, lawful in lev.entered:
        if crb.list_black[l]:
            row["entries_black"] += int(who.size)
            row["entries_wrongful"] += int(wrongful.sum())
            row["entries_lawful"] += int(lawful.sum())
        else:
            row["entries_red"] += int(who.size)
    for l, who, reason in lev.exited:
        if crb.list_black[l]:
            row[f"exits_{EXIT_REASONS[reason]}"] += int(who.size)
    return row


def start_measuring(st) -> None:
    """The first measured day of a warm start (EngineParams.measure_from): the citizens'
    tallies (acts, records, points, listings, days listed...) and the C4 table start again
    from zero, and the sectors a citizen was ever barred from start from today's. The state
    itself (scores, lists, ties, trust, wealth) carries on."""
    for v in st.counters.values():
        v[:] = 0
    st.sectors_ever[:] = st.sectors
    st.c4_days[:] = 0
    st.c4_harm[:] = 0


def buffer(score: np.ndarray, thresholds: np.ndarray, lo: float) -> np.ndarray:
    """Points to spare: score minus the highest threshold at or below it (or the scale min)."""
    if thresholds.size == 0:
        return score - lo
    k = np.searchsorted(thresholds, score, side="right")
    below = np.where(k > 0, thresholds[np.maximum(k - 1, 0)], lo)
    return score - below


def virtue_decile(virtue: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Decile 0..9 of each virtue given the nine cut points (as kernels._decile)."""
    return np.searchsorted(cuts, virtue, side="right")


def c4_cells(shard) -> np.ndarray | None:
    """Open a C4 sample day: count citizen-days by (virtue decile, buffer quartile) from the
    scores citizens have when they decide, and return the quartile cut points (or None).

    One fused pass (kernels.c4_histogram) instead of materialising cells for everyone; the
    cut points come from a systematic sample of at most ~250,000 citizens."""
    st, crb = shard.st, shard.crb
    if st.n < 40:
        return None
    stride = max(1, st.n // 250_000)
    # The sample's buffers in one array, partitioned in place: temporaries the size of the
    # sample would add 8 bytes per citizen to the peak memory at 1e6 citizens.
    b = np.empty((st.n + stride - 1) // stride, np.float64)
    kernels.sample_buffers(st.score, stride, shard.tb.thresholds, float(crb.min), b)
    cuts = np.quantile(b, [0.25, 0.5, 0.75], overwrite_input=True)
    days = np.zeros(40, np.int64)
    kernels.c4_histogram(st.score, shard.tb.thresholds, float(crb.min), cuts, st.virtue, shard.virtue_cuts, days)
    st.c4_days += days.reshape(10, 4)
    return cuts


def sample_c4(shard, acts, cuts: np.ndarray) -> None:
    """Close a C4 sample day: harmful acts by the actor's cell (call before scores change).

    Ties at a cut point go to the lower quartile, so citizens at exactly the base (many)
    are not put in the top quartile."""
    st, crb = shard.st, shard.crb
    who = acts.citizen[crb.social_value[acts.behaviour] < 0]
    if who.size == 0:
        return
    b = buffer(st.score[who].astype(np.float64), shard.tb.thresholds, crb.min)
    q = np.searchsorted(cuts, b, side="left")
    q = np.where(b > cuts[2], 3, np.minimum(q, 2))
    st.c4_harm += np.bincount(virtue_decile(st.virtue[who], shard.virtue_cuts) * 4 + q, minlength=40).reshape(10, 4)
