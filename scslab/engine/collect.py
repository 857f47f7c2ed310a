"""Phase 9, collect: per-step aggregates as sums and counts, so shards add up.

Every value here is additive across shards (no means or ratios): metrics divide later.
Column meanings are documented in docs/tables.md.
"""

from __future__ import annotations

import numpy as np

from .listing import EXIT_REASONS
from .state import NOT_LISTED


def _popcount32(x: np.ndarray) -> np.ndarray:
    return np.bitwise_count(x) if hasattr(np, "bitwise_count") else np.array([bin(v).count("1") for v in x])


def collect(shard, t, acts, rec, lev, aev, flows, dropped, cheated) -> dict:
    st, crb, tb = shard.st, shard.crb, shard.tb
    sv = crb.social_value[acts.behaviour]
    harm = sv < 0
    pts = crb.points[rec.behaviour]
    loss, gain = pts < 0, pts > 0
    if crb.n_lists:
        on = st.until != NOT_LISTED
        black_on = on & crb.list_black[:, None]
        any_black = black_on.any(axis=0)
        listed_wrong = (black_on & st.wrongful).any(axis=0)
        any_red = (on & ~crb.list_black[:, None]).any(axis=0)
    else:
        any_black = listed_wrong = any_red = np.zeros(st.n, bool)
    trust = shard.trust
    sec = _popcount32(st.sectors)
    row = {
        "step": t,
        "municipality": st.municipality,
        "population": st.n,
        "acts_harm": int(harm.sum()),
        "acts_good": int((sv > 0).sum()),
        "harm": float(-sv[harm].sum()),
        "unobserved_harm": float(-sv[harm & ~crb.observable[acts.behaviour]].sum()),
        "excusable_acts": int(acts.excused.sum()),
        "records": len(rec),
        "false_records": int(rec.false.sum()),
        "excused_records": int(rec.excused.sum()),
        "offences": int(loss.sum()),
        "points_lost": float(-pts[loss].sum()) + flows.get("assoc_points_lost", 0.0),
        "points_lost_records": float(-pts[loss].sum()),
        "points_lost_lawful": float(-pts[loss & tb.lawful[rec.behaviour]].sum()),
        "points_gained": float(pts[gain].sum()),
        "points_gained_performative": float(pts[gain & tb.performative[rec.behaviour]].sum()),
        "assoc_points_lost": flows.get("assoc_points_lost", 0.0),
        "assoc_points_lost_innocent": flows.get("assoc_points_lost_innocent", 0.0),
        "entries_black": 0,
        "entries_wrongful": 0,
        "entries_lawful": 0,
        "entries_red": 0,
        "renewals": lev.renewed,
        "listed_black": int(any_black.sum()),
        "listed_black_wrongful": int(listed_wrong.sum()),
        "listed_red": int(any_red.sum()),
        "sanctioned": int((st.sectors != 0).sum()),
        "sector_restrictions": int(sec.sum()),
        "sanction_cost": flows.get("sanction_cost", 0.0),
        "privilege_benefit": flows.get("privilege_benefit", 0.0),
        "appeals_lodged": int(aev.lodged.size),
        "appeals_decided": int(aev.decided.size),
        "appeals_won": int(aev.won.sum()),
        "appeals_won_wrongful": int((aev.won & aev.wrongful).sum()),
        "appeals_decided_wrongful": int(aev.wrongful.sum()),
        "ties_dropped": int(dropped),
        "ties_active": int(np.count_nonzero(st.active)),
        "cheated": int(cheated.sum()),
        "trust_sum": float(trust.sum(dtype=np.float64)),
        "score_sum": float(st.score.sum(dtype=np.float64)),
        "score_sq_sum": float(np.square(st.score, dtype=np.float64).sum()),
        "wealth_sum": float(st.wealth.sum(dtype=np.float64)),
        "disclosed": int(st.disclosed.sum()),
    }
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
    # C4 needs the buffer a citizen had when deciding, not after today's acts were scored
    # (that would push today's offenders into low quartiles). So the cells are fixed from
    # the end-of-step state the day before a sample day, and used on the sample day.
    every = shard.p.c4_every
    cells = getattr(shard, "_c4_cells", None)
    if t % every == 0 and cells is not None:
        sample_c4(shard, acts, cells)
    shard._c4_cells = c4_cells(shard) if (t + 1) % every == 0 else None
    return row


def buffer(score: np.ndarray, thresholds: np.ndarray, lo: float) -> np.ndarray:
    """Points to spare: score minus the highest threshold at or below it (or the scale min)."""
    if thresholds.size == 0:
        return score - lo
    k = np.searchsorted(thresholds, score, side="right")
    below = np.where(k > 0, thresholds[np.maximum(k - 1, 0)], lo)
    return score - below


def c4_cells(shard) -> np.ndarray | None:
    """Each citizen's C4 cell, virtue decile * 4 + buffer quartile, from the current scores."""
    st, crb = shard.st, shard.crb
    if st.n < 40:
        return None
    b = buffer(st.score.astype(np.float64), shard.tb.thresholds, crb.min)
    vq = np.quantile(st.virtue, np.linspace(0.1, 0.9, 9))
    vdec = np.searchsorted(vq, st.virtue, side="right")
    bq = np.quantile(b, [0.25, 0.5, 0.75])
    # Ties at a quantile (many citizens at exactly the base) go to the lower quartile,
    # except that the top quartile is only those strictly above the third quartile.
    bquart = np.searchsorted(bq, b, side="left")
    bquart = np.where(b > bq[2], 3, np.minimum(bquart, 2))
    return vdec * 4 + bquart


def sample_c4(shard, acts, cell: np.ndarray) -> None:
    """Accumulate citizen-days and harmful acts by (virtue decile, buffer quartile) for claim C4."""
    st, crb = shard.st, shard.crb
    st.c4_days += np.bincount(cell, minlength=40).reshape(10, 4)
    harm = crb.social_value[acts.behaviour] < 0
    st.c4_harm += np.bincount(cell[acts.citizen[harm]], minlength=40).reshape(10, 4)
