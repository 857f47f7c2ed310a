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
from . import kernels
from .context import Neighbourhood, Tables
from .params import EngineParams
from .sorting import insert_sorted, sort_keys
from .state import ShardState

STRATEGIC_CLIP = (-8.0, 4.0)
PARALLEL_CANDIDATES = 20_000  # from here on the day's decisions are split over threads
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
              idx: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Log-odds that citizen idx[k] does behaviour b[k] today (vectorised over candidates).

    The plain definition, in float64: behave decides with kernels.act_accept on the same
    logit (kernels.act_logits computes it alone), and the tests hold the three together."""
    sv = crb.social_value[b]
    x = tb.logit0[b] + p.w_virtue * (2.0 * st.virtue[idx].astype(np.float64) - 1.0) * sv
    pts = crb.points[b]
    scored = (pts != 0) | tb.trig_any[b]
    if p.levers.code and scored.any():
        d = st.disclosed[idx].astype(np.intp)
        pobs = tb.pobs[b, st.group[idx], d]
        m_down, m_up = marginal_value(st.score[idx].astype(np.float64), tb.thresholds, tb.h)
        stake = (pts / tb.h) * np.where(pts < 0, m_down, m_up) - p.list_stake * tb.trig_any[b]
        term = p.w_strategic * st.strategic[idx].astype(np.float64) * tb.know * pobs * stake
        x += np.where(scored, np.clip(term, *STRATEGIC_CLIP), 0.0)
    if p.levers.norms:
        x += p.w_norm * nb.norm(idx) * (-sv)
    return x


def upper_logit(crb: CompiledRulebook, p: EngineParams, tb: Tables, b: int) -> float:
    """A bound on act_logit over all citizens, for thinning."""
    sv = crb.social_value[b]
    up = tb.logit0[b] + p.w_virtue * abs(sv)
    if p.levers.code and crb.points[b] > 0:
        up += min(STRATEGIC_CLIP[1], p.w_strategic * tb.know * tb.pobs[b].max() * crb.points[b] / tb.h)
    if p.levers.norms:
        up += p.w_norm * max(NORM_MAX * -sv, 1.0 * sv)
    return float(up)


def _kernel_args(st: ShardState, crb: CompiledRulebook, p: EngineParams, tb: Tables, nb: Neighbourhood) -> tuple:
    return (tb.logit0, crb.social_value, crb.points, tb.trig_any, tb.pobs, np.asarray(tb.thresholds, np.float64),
            float(tb.h), float(tb.know), float(p.w_virtue), float(p.w_strategic), float(p.list_stake),
            float(p.w_norm), bool(p.levers.code), bool(p.levers.norms), STRATEGIC_CLIP[0], STRATEGIC_CLIP[1],
            st.virtue, st.strategic, st.disclosed, st.group, st.score,
            nb.indptr, nb.indices, nb.view.harm, float(nb.mean_harm))


def candidates(n: int, p_max: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """For each behaviour b, a uniform random subset of the n citizens of Binomial(n, p_max[b])
    size: every citizen a candidate with probability p_max[b], independently. Returned
    sorted by (citizen, behaviour), so that what the day's acts read and write about
    their citizens is visited in memory order.

    All behaviours are drawn together: positions with replacement, then the rare repeats
    within a behaviour are drawn again until none is left (each redraw is uniform over
    the citizens not yet taken, so the subset stays uniform). Behaviours that take a large
    share of the citizens are drawn by permutation instead, where redrawing would be slow."""
    B = p_max.size
    k = rng.binomial(n, p_max)
    dense = k > n // 8
    b = np.repeat(np.arange(B, dtype=np.int64), np.where(dense, 0, k))
    keys = sort_keys(rng.integers(0, n, size=b.size) * B + b, n * B)  # citizen-major
    while keys.size > 1:
        dup = np.flatnonzero(keys[1:] == keys[:-1]) + 1
        if dup.size == 0:
            break
        again = keys[dup] % B
        keys = np.delete(keys, dup)
        keys = insert_sorted(keys, rng.integers(0, n, size=again.size) * B + again)
    parts = [keys]
    for bd in np.flatnonzero(dense):
        idx = rng.permutation(n)[: k[bd]] if k[bd] < n else np.arange(n)
        parts.append(idx * B + bd)
    if len(parts) > 1:
        keys = np.sort(np.concatenate(parts))
    return (keys // B).astype(np.int32), (keys % B).astype(np.int16)


def behave(st: ShardState, crb: CompiledRulebook, p: EngineParams, tb: Tables, nb: Neighbourhood,
           rng: np.random.Generator) -> Acts:
    """Thinning: candidates per behaviour at p_max (exact Binomial count, uniform subset),
    then one fused acceptance step over all candidates."""
    idx, beh = candidates(st.n, tb.p_max, rng)
    if idx.size == 0:
        return Acts(idx, beh, np.empty(0, bool))
    bar = rng.random(idx.size) * tb.p_max[beh]  # act when bar < sigmoid(act_logit)
    keep = np.empty(idx.size, bool)
    if idx.size >= PARALLEL_CANDIDATES:
        kernels.act_accept_parallel(idx, beh, bar, *_kernel_args(st, crb, p, tb, nb), keep)
    else:  # lo and hi given: a call that leaves out arguments takes numba's slow dispatch path
        kernels.act_accept(idx, beh, bar, *_kernel_args(st, crb, p, tb, nb), keep, 0, idx.size)
    idx, beh = idx[keep], beh[keep]
    excused = rng.random(idx.size) < crb.excusable[beh]
    return Acts(idx, beh, excused)


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
