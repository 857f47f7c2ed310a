"""What a shard knows at the start of a step: its compiled rulebook, the engine's
parameters, tables precomputed once, and the public view of last step's state."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..rulebook.compiled import CompiledRulebook
from ..rulebook.schema import LEGAL_STATUSES, SECTORS
from .params import EngineParams

# Sectors where private firms set the terms: measures there act only when the market lever
# is on (prices follow the score); the rest are state measures that code enforces alone.
MARKET_SECTORS = frozenset({"loans", "mortgages", "hotels", "insurance", "rentals", "travel", "online"})
LAW_SEVERITY = np.array([1.0, 0.5, 0.3, 0.0])  # criminal, administrative, contractual, lawful
CONTRACTUAL = LEGAL_STATUSES.index("contractual")
LAWFUL = LEGAL_STATUSES.index("lawful")
PERFORMATIVE_VALUE = 0.1  # rewarded acts at or below this social value are "performative"


@dataclass(frozen=True)
class Tables:
    """Per-shard constants derived once from (rulebook, params)."""

    logit0: np.ndarray  # (B,) logit of the base rate, with law/market lever offsets
    know: float
    h: float  # threshold bandwidth in points
    thresholds: np.ndarray  # sorted scores where something changes
    trig_any: np.ndarray  # (B,) bool behaviour triggers some blacklist directly
    pobs: np.ndarray  # (B, G, 2) probability an act is recorded (by disclosed flag)
    cov_eff: np.ndarray  # (S, G, 2) coverage with disclosure boost
    sanction_on: np.ndarray  # (M,) bool measures in force under the levers
    privilege_on: np.ndarray
    sector_bit: np.ndarray  # (M,) uint32 for sanctions
    performative: np.ndarray  # (B,) bool
    lawful: np.ndarray  # (B,) bool
    disclose_incentive: float


def make_tables(crb: CompiledRulebook, p: EngineParams) -> Tables:
    lv = p.levers
    with np.errstate(divide="ignore"):
        rate = np.clip(crb.base_rate, 1e-12, 1 - 1e-9)
        logit0 = np.log(rate) - np.log1p(-rate)
    logit0 = np.where(crb.base_rate > 0, logit0, -np.inf)
    # base_rate is calibrated to a world with law and market acting: switching them off
    # removes their deterrence.
    if not lv.law:
        logit0 = logit0 + p.w_law * LAW_SEVERITY[crb.legal_status] * (crb.social_value < 0)
    if not lv.market:
        logit0 = logit0 + p.w_market * ((crb.legal_status == CONTRACTUAL) & (crb.social_value < 0))
    know = (1.0 if crb.rules_published else p.unpublished_knowledge) * (1.0 if crb.thresholds_published else 0.6)
    h = max(p.bandwidth * (crb.max - crb.min), 1e-9)
    G = len(crb.groups)
    cov = np.empty((crb.coverage.shape[0], G, 2))
    cov[:, :, 0] = crb.coverage
    cov[:, :, 1] = np.minimum(1.0, crb.coverage + crb.disclosure_boost)
    # P(recorded) = 1 - prod over covering sources of (1 - coverage)
    miss = np.ones((crb.n_behaviours, G, 2))
    for s in range(cov.shape[0]):
        miss *= np.where(crb.records[:, s][:, None, None], 1.0 - cov[s][None, :, :], 1.0)
    pobs = np.where(crb.observable[:, None, None], 1.0 - miss, 0.0)
    trig_any = (crb.list_trigger & crb.list_black[:, None]).any(axis=0) if crb.n_lists else np.zeros(crb.n_behaviours, bool)

    def in_force(t) -> np.ndarray:
        if not lv.code:
            return np.zeros(len(t), dtype=bool)
        market = np.array([SECTORS[k] in MARKET_SECTORS for k in t.sector], dtype=bool)
        return ~market | lv.market

    incentive = min(1.0, (crb.disclosure_reward + 30.0 * crb.disclosure_penalty) / h) if lv.code else 0.0
    return Tables(
        logit0=logit0,
        know=know,
        h=h,
        thresholds=crb.scoring_thresholds,
        trig_any=trig_any,
        pobs=pobs,
        cov_eff=cov,
        sanction_on=in_force(crb.sanctions),
        privilege_on=in_force(crb.privileges),
        sector_bit=(np.uint32(1) << crb.sanctions.sector.astype(np.uint32)).astype(np.uint32),
        performative=(crb.points > 0) & (crb.social_value <= PERFORMATIVE_VALUE),
        lawful=crb.legal_status == LAWFUL,
        disclose_incentive=incentive,
    )


@dataclass
class View:
    """The public face of every citizen after a step: all that crosses shard borders."""

    score: np.ndarray  # float32
    black: np.ndarray  # uint8 on any blacklist
    published: np.ndarray  # uint8 on a blacklist whose names are published
    harm: np.ndarray  # float32 recent-harm level


@dataclass
class Neighbourhood:
    """Per local citizen, computed from the view at the start of a step."""

    degree: np.ndarray
    n_black: np.ndarray
    mean_score: np.ndarray
    harm_share: np.ndarray
    norm: np.ndarray  # conformity pressure in [-1, 3]: tie harm relative to the shard mean
