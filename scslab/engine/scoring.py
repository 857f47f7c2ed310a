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
from .context import Neighbourhood, Tables
from .observe import Records
from .params import EngineParams
from .state import ShardState


def score(st: ShardState, crb: CompiledRulebook, p: EngineParams, tb: Tables, nb: Neighbourhood,
          rec: Records, new_disclosers: np.ndarray, harm_memory: float,
          harm_prev: np.ndarray | None = None) -> dict[str, float]:
    """Update scores in place; returns this step's point flows for the aggregates.

    Records touch few citizens and are added sparsely; the dense part (decay, clipping)
    is one fused pass (kernels.score_update).
    """
    c = st.counters
    out = {"assoc_points_lost": 0.0, "assoc_points_lost_innocent": 0.0}
    if harm_prev is None:
        harm_prev = st.harm_level  # decay in place
    if not p.levers.code:
        np.multiply(harm_prev, np.float32(harm_memory), out=st.harm_level)
        return out
    kernels.apply_records(rec.citizen, rec.behaviour, rec.false, rec.excused, tb.points32, tb.lawful,
                          tb.performative, st.pos, st.neg, st.cpos, st.cneg, c["records"], c["false_records"],
                          c["excused_records"], c["offences"], c["points_lost"], c["points_gained"],
                          c["points_lost_lawful"], c["points_gained_performative"])

    # Guilt by association: points lost per blacklisted tie (ties as of last step).
    if crb.association_penalty > 0 and nb.n_black is not None:
        hit = np.flatnonzero(nb.n_black)
        assoc = (crb.association_penalty * nb.n_black[hit]).astype(np.float32)
        st.neg[hit] += assoc
        c["points_lost"][hit] += assoc
        c["points_lost_assoc"][hit] += assoc
        out["assoc_points_lost"] = float(assoc.sum(dtype=np.float64))
        out["assoc_points_lost_innocent"] = float(assoc[c["offences"][hit] == 0].sum(dtype=np.float64))
    # Sesame-style uplift: close a share of the gap to the mean score of one's ties.
    if crb.peer_weight > 0 and nb.mean_score is not None:
        gap = np.where(nb.degree > 0, nb.mean_score - st.score, 0.0).astype(np.float32)
        delta = np.float32(crb.peer_weight) * gap
        st.pos += np.maximum(delta, 0)
        st.neg += np.maximum(-delta, 0)
    # Disclosure: a one-off reward for sharing data (the daily penalty is in the kernel).
    if crb.disclosure_reward > 0 and new_disclosers.size:
        st.pos[new_disclosers] += crb.disclosure_reward
        st.cpos[new_disclosers] += crb.disclosure_reward
    kernels.score_update(st.pos, st.neg, st.cpos, st.cneg, st.score, st.disclosed, harm_prev, st.harm_level,
                         crb.base, crb.min, crb.max, np.float32(1.0 - crb.neg_decay),
                         np.float32(1.0 - crb.pos_decay), np.float32(crb.disclosure_penalty),
                         np.float32(harm_memory), c["points_lost"], c["points_lost_lawful"])
    return out


def clean_score(st: ShardState, crb: CompiledRulebook) -> np.ndarray:
    return np.clip(crb.base + st.cpos - st.cneg, crb.min, crb.max)
