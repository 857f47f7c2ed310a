"""Phase 1, behave: who does what today.

Acts are rare (1e-5..1e-2 per citizen per day), so instead of drawing every citizen x
behaviour pair we thin a Bernoulli process: draw candidates at an upper-bound probability
p_max (exact Binomial count, uniform subset), then keep each with probability p_i / p_max.
This is exact and costs O(candidates), not O(citizens x behaviours).

Credit as a licence is not coded: the strategic term weighs points by the citizen's
marginal value of a point, which is high only near a threshold. A citizen with a large
buffer above every threshold feels little deterrence from a deduction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..rulebook.compiled import CompiledRulebook
from .context import Neighbourhood, Tables
from .params import EngineParams
from .state import ShardState

STRATEGIC_CLIP = (-8.0, 4.0)
NORM_MAX = 1.0  # conformity saturates when ties harm at twice the shard's mean rate


@dataclass
class Acts:
    citizen: np.ndarray  # int32 local index
    behaviour: np.ndarray  # int16
    excused: np.ndarray  # bool: context the data cannot see

    def __len__(self) -> int:
        return int(self.citizen.shape[0])


def marginal_value(score: np.ndarray, thresholds: np.ndarray, h: float) -> tuple[np.ndarray, np.ndarray]:
    """Pull of the nearest threshold below (what a loss risks) and above (what a gain wins)."""
    if thresholds.size == 0:
        z = np.zeros(score.shape, dtype=np.float64)
        return z, z
    k = np.searchsorted(thresholds, score, side="right")
    below = np.where(k > 0, thresholds[np.maximum(k - 1, 0)], -np.inf)
    above = np.where(k < thresholds.size, thresholds[np.minimum(k, thresholds.size - 1)], np.inf)
    m_down = np.exp(-(score - below) / h)
    m_up = np.exp(-(above - score) / h)
    return m_down, m_up


def act_logit(st: ShardState, crb: CompiledRulebook, p: EngineParams, tb: Tables, nb: Neighbourhood,
              idx: np.ndarray, b: int) -> np.ndarray:
    """Log-odds that citizens `idx` do behaviour b today."""
    sv = crb.social_value[b]
    x = np.full(idx.shape[0], tb.logit0[b])
    x += p.w_virtue * (2.0 * st.virtue[idx] - 1.0) * sv
    if p.levers.code and (crb.points[b] != 0 or tb.trig_any[b]):
        d = st.disclosed[idx].astype(np.intp)
        pobs = tb.pobs[b, st.group[idx], d]
        m_down, m_up = marginal_value(st.score[idx].astype(np.float64), tb.thresholds, tb.h)
        stake = (crb.points[b] / tb.h) * (m_down if crb.points[b] < 0 else m_up)
        if tb.trig_any[b]:
            stake = stake - p.list_stake
        term = p.w_strategic * st.strategic[idx] * tb.know * pobs * stake
        x += np.clip(term, *STRATEGIC_CLIP)
    if p.levers.norms and sv != 0:
        x += p.w_norm * nb.norm(idx) * (-sv)
    return x


def upper_logit(crb: CompiledRulebook, p: EngineParams, tb: Tables, b: int) -> float:
    sv = crb.social_value[b]
    up = tb.logit0[b] + p.w_virtue * abs(sv)
    if p.levers.code and crb.points[b] > 0:
        up += min(STRATEGIC_CLIP[1], p.w_strategic * tb.know * tb.pobs[b].max() * crb.points[b] / tb.h)
    if p.levers.norms:
        up += p.w_norm * max(NORM_MAX * -sv, 1.0 * sv)
    return float(up)


def behave(st: ShardState, crb: CompiledRulebook, p: EngineParams, tb: Tables, nb: Neighbourhood,
           rng: np.random.Generator) -> Acts:
    n = st.n
    cit, beh, exc = [], [], []
    for b in range(crb.n_behaviours):
        if not np.isfinite(tb.logit0[b]):
            continue
        p_max = 1.0 / (1.0 + np.exp(-upper_logit(crb, p, tb, b)))
        k = rng.binomial(n, p_max)
        if k == 0:
            continue
        idx = rng.choice(n, size=k, replace=False) if k < n else np.arange(n)
        idx.sort()  # order-independent of the sampler's internals
        prob = 1.0 / (1.0 + np.exp(-act_logit(st, crb, p, tb, nb, idx, b)))
        keep = rng.random(k) * p_max < prob
        idx = idx[keep]
        if idx.size == 0:
            continue
        cit.append(idx.astype(np.int32))
        beh.append(np.full(idx.size, b, dtype=np.int16))
        exc.append(rng.random(idx.size) < crb.excusable[b])
    if not cit:
        return Acts(np.empty(0, np.int32), np.empty(0, np.int16), np.empty(0, bool))
    return Acts(np.concatenate(cit), np.concatenate(beh), np.concatenate(exc))


def disclose(st: ShardState, p: EngineParams, tb: Tables, rng: np.random.Generator) -> np.ndarray:
    """Non-disclosers who start sharing their data today (a one-way choice). Returns their indices.

    Thinned like behave: candidates at the highest possible hazard, accepted in proportion.
    """
    h_max = p.disclose_hazard * tb.disclose_incentive
    if h_max <= 0:
        return np.empty(0, np.int64)
    k = rng.binomial(st.n, h_max)
    idx = np.sort(rng.choice(st.n, size=k, replace=False)) if k else np.empty(0, np.int64)
    idx = idx[~st.disclosed[idx]]
    hazard = h_max * st.strategic[idx] * (1.0 - st.privacy[idx])
    new = idx[rng.random(idx.size) * h_max < hazard]
    st.disclosed[new] = True
    return new
