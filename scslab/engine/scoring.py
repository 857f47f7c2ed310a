"""Phase 3, score: recorded points, network terms, disclosure terms, decay, clipping.

The score is base + pos - neg, where pos and neg accumulate earned and lost points and
fade with their half-lives. A shadow clean score (cpos, cneg) takes only true, unexcused
records and the citizen's own choices; it leaves out false records, excusable context and
what ties did. Listing wrongfulness is judged against it.
"""

from __future__ import annotations

import numpy as np

from ..rulebook.compiled import CompiledRulebook
from . import kernels
from .consequences import ordered_sum
from .context import Neighbourhood, Tables
from .observe import Records
from .params import EngineParams
from .state import ShardState


def score(st: ShardState, crb: CompiledRulebook, p: EngineParams, tb: Tables, nb: Neighbourhood,
          rec: Records, new_disclosers: np.ndarray, harm_memory: float,
          harm_prev: np.ndarray | None = None) -> dict[str, float]:
    """Update scores in place; returns this step's point flows for the aggregates (beyond
    the records' points, which collect sums from the records): points lost through ties
    (association penalty and the peer pull's downward part; by citizens with no offence so
    far), the peer pull's part of them, and points granted through ties (the peer pull's
    upward part) and for disclosing one's data.

    Records touch few citizens and are added sparsely; the dense part (decay, clipping)
    is one fused pass (kernels.score_update).
    """
    c = st.counters
    out = {"assoc_points_lost": 0.0, "assoc_points_lost_innocent": 0.0, "peer_points_lost": 0.0,
           "points_gained_ties": 0.0, "points_gained_disclosure": 0.0}
    if harm_prev is None:
        harm_prev = st.harm_level  # decay in place
    if not p.levers.code:
        np.multiply(harm_prev, np.float32(harm_memory), out=st.harm_level)
        return out
    kernels.apply_records(rec.citizen, rec.behaviour, rec.false, rec.excused, tb.points32, tb.lawful,
                          tb.performative, st.pos, st.neg, st.cpos, st.cneg, c["records"], c["false_records"],
                          c["excused_records"], c["offences"], c["points_lost"], c["points_gained"],
                          c["points_lost_lawful"], c["points_gained_performative"])

    # Points that come through ties, not through any act of one's own (ties as of last
    # step): all are counted in points_lost_assoc / the assoc_points_lost aggregates.
    # Guilt by association: points lost per blacklisted tie.
    if crb.association_penalty > 0 and nb.n_black is not None:
        hit = np.flatnonzero(nb.n_black)
        assoc = (crb.association_penalty * nb.n_black[hit]).astype(np.float32)
        st.neg[hit] += assoc
        c["points_lost"][hit] += assoc
        c["points_lost_assoc"][hit] += assoc
        out["assoc_points_lost"] = float(assoc.sum(dtype=np.float64))
        out["assoc_points_lost_innocent"] = float(assoc[c["offences"][hit] == 0].sum(dtype=np.float64))
    # Sesame-style pull: close a share of the gap to the mean score of one's ties, up or down.
    if crb.peer_weight > 0 and nb.mean_score is not None:
        partial = np.zeros((kernels.n_chunks(st.n), 3), np.float64)
        kernels.peer_pull(np.float32(crb.peer_weight), nb.degree, nb.mean_score, st.score, c["offences"],
                          st.pos, st.neg, c["points_gained"], c["points_gained_ties"],
                          c["points_gained_performative"], c["points_lost"], c["points_lost_assoc"], partial)
        out["points_gained_ties"] = ordered_sum(partial[:, 0])
        out["peer_points_lost"] = ordered_sum(partial[:, 1])
        out["assoc_points_lost"] += out["peer_points_lost"]
        out["assoc_points_lost_innocent"] += ordered_sum(partial[:, 2])
    # Disclosure: a one-off reward for sharing data (the daily penalty is in the kernel).
    # Points granted for no act of social value: counted as performative.
    if crb.disclosure_reward > 0 and new_disclosers.size:
        st.pos[new_disclosers] += crb.disclosure_reward
        st.cpos[new_disclosers] += crb.disclosure_reward
        c["points_gained"][new_disclosers] += crb.disclosure_reward
        c["points_gained_performative"][new_disclosers] += crb.disclosure_reward
        out["points_gained_disclosure"] = float(np.float32(crb.disclosure_reward)) * new_disclosers.size
    kernels.score_update(st.pos, st.neg, st.cpos, st.cneg, st.score, st.disclosed, harm_prev, st.harm_level,
                         crb.base, crb.min, crb.max, np.float32(1.0 - crb.neg_decay),
                         np.float32(1.0 - crb.pos_decay), np.float32(crb.disclosure_penalty),
                         np.float32(harm_memory), c["points_lost"], c["points_lost_lawful"])
    return out


def clean_score(st: ShardState, crb: CompiledRulebook) -> np.ndarray:
    return np.clip(crb.base + st.cpos - st.cneg, crb.min, crb.max)
