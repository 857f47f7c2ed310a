"""Phase 3, score: recorded points, network terms, disclosure terms, decay, clipping.

The score is base + pos - neg, where pos and neg accumulate earned and lost points and
fade with their half-lives. A shadow clean score (cpos, cneg) takes only true, unexcused
records and the citizen's own choices; it leaves out false records, excusable context and
what ties did. Listing wrongfulness is judged against it.
"""

from __future__ import annotations

import numpy as np

from ..rulebook.compiled import CompiledRulebook
from .context import Neighbourhood, Tables
from .observe import Records
from .params import EngineParams
from .state import ShardState


def _clip(base: float, lo: float, hi: float, pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    s = base + pos - neg
    # Keep components consistent with the clipped score so recovery starts from the bound.
    under = s < lo
    neg[under] = (base + pos[under] - lo)
    over = s > hi
    pos[over] = (hi - base + neg[over])
    return np.clip(s, lo, hi).astype(np.float32)


def score(st: ShardState, crb: CompiledRulebook, p: EngineParams, tb: Tables, nb: Neighbourhood,
          rec: Records, new_disclosers: np.ndarray) -> dict[str, float]:
    """Update scores in place; returns this step's point flows for the aggregates."""
    n = st.n
    c = st.counters
    out = {"assoc_points_lost": 0.0, "assoc_points_lost_innocent": 0.0}
    if not p.levers.code:
        return out
    pts = crb.points[rec.behaviour]
    gain = pts > 0
    loss = pts < 0
    w_gain = np.bincount(rec.citizen[gain], weights=pts[gain], minlength=n)
    w_loss = np.bincount(rec.citizen[loss], weights=-pts[loss], minlength=n)
    clean = rec.clean
    cg = gain & clean
    cl = loss & clean
    st.pos += w_gain.astype(np.float32)
    st.neg += w_loss.astype(np.float32)
    st.cpos += np.bincount(rec.citizen[cg], weights=pts[cg], minlength=n).astype(np.float32)
    st.cneg += np.bincount(rec.citizen[cl], weights=-pts[cl], minlength=n).astype(np.float32)

    np.add.at(c["records"], rec.citizen, 1)
    np.add.at(c["false_records"], rec.citizen[rec.false], 1)
    np.add.at(c["excused_records"], rec.citizen[rec.excused], 1)
    np.add.at(c["offences"], rec.citizen[loss], 1)
    c["points_lost"] += w_loss.astype(np.float32)
    c["points_gained"] += w_gain.astype(np.float32)
    lawful_loss = loss & tb.lawful[rec.behaviour]
    c["points_lost_lawful"] += np.bincount(rec.citizen[lawful_loss], weights=-pts[lawful_loss], minlength=n).astype(np.float32)
    perf = gain & tb.performative[rec.behaviour]
    c["points_gained_performative"] += np.bincount(rec.citizen[perf], weights=pts[perf], minlength=n).astype(np.float32)

    # Guilt by association: points lost per blacklisted tie (ties as of last step).
    if crb.association_penalty > 0 and nb.n_black is not None:
        assoc = (crb.association_penalty * nb.n_black).astype(np.float32)
        st.neg += assoc
        c["points_lost"] += assoc
        c["points_lost_assoc"] += assoc
        out["assoc_points_lost"] = float(assoc.sum(dtype=np.float64))
        out["assoc_points_lost_innocent"] = float(assoc[c["offences"] == 0].sum(dtype=np.float64))
    # Sesame-style uplift: close a share of the gap to the mean score of one's ties.
    if crb.peer_weight > 0 and nb.mean_score is not None:
        gap = np.where(nb.degree > 0, nb.mean_score - st.score, 0.0).astype(np.float32)
        delta = crb.peer_weight * gap
        st.pos += np.maximum(delta, 0)
        st.neg += np.maximum(-delta, 0)
    # Disclosure: a one-off reward for sharing data, a daily penalty for withholding it.
    if crb.disclosure_reward > 0 and new_disclosers.size:
        st.pos[new_disclosers] += crb.disclosure_reward
        st.cpos[new_disclosers] += crb.disclosure_reward
    if crb.disclosure_penalty > 0:
        pen = (~st.disclosed).astype(np.float32) * crb.disclosure_penalty
        st.neg += pen
        st.cneg += pen
        c["points_lost"] += pen
        c["points_lost_lawful"] += pen  # withholding one's data is lawful
    # Decay: records fade toward base.
    if crb.neg_decay > 0:
        f = np.float32(1.0 - crb.neg_decay)
        st.neg *= f
        st.cneg *= f
    if crb.pos_decay > 0:
        f = np.float32(1.0 - crb.pos_decay)
        st.pos *= f
        st.cpos *= f
    st.score[:] = _clip(crb.base, crb.min, crb.max, st.pos, st.neg)
    _clip(crb.base, crb.min, crb.max, st.cpos, st.cneg)
    return out


def clean_score(st: ShardState, crb: CompiledRulebook) -> np.ndarray:
    return np.clip(crb.base + st.cpos - st.cneg, crb.min, crb.max)
