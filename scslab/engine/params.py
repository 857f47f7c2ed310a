"""Behavioural and institutional parameters of the engine (not part of any rulebook).

A rulebook says what a system scores; these say how synthetic people respond to it. The
defaults are documented in docs/model.md; every run records them in its manifest.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ..limits import LEVER_NAMES

Unit = Annotated[float, Field(ge=0.0, le=1.0)]
Weight = Annotated[float, Field(ge=0.0, le=20.0)]


class Levers(BaseModel):
    """Lessig's four regulators, as switches. The no-SCS baseline is code off."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    law: bool = Field(True, description="courts deter and punish unlawful acts whatever the score")
    market: bool = Field(True, description="prices and credit terms respond to conduct (and to the score when code is on)")
    norms: bool = Field(True, description="conformity with ties' conduct and ostracism of the listed")
    code: bool = Field(True, description="the automated scoring, listing and enforcement")

    def label(self) -> str:
        on = [k for k in LEVER_NAMES if getattr(self, k)]
        return "+".join(on) or "none"


class EngineParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    levers: Levers = Field(default_factory=Levers, description="which regulators act")
    # behave: logit = logit(base_rate) + w_virtue*(2v-1)*social_value + strategic term
    #         + w_norm*(tie harm share)*(-social_value) - law - market
    w_virtue: Weight = Field(1.5, description="weight of virtue x social value in the act logit")
    w_strategic: Weight = Field(3.0, description="weight of the points incentive for strategic citizens")
    w_norm: Weight = Field(1.5, description="weight of ties' recent harmful conduct (conformity)")
    w_law: Weight = Field(1.0, description="deterrence of criminal acts by courts (administrative 0.5x, contractual 0.3x)")
    w_market: Weight = Field(0.5, description="deterrence of contractual defaults by counterparties")
    list_stake: Weight = Field(1.5, description="extra salience of acts that trigger a blacklist directly")
    bandwidth: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.04, description="reach of a threshold's pull, as a share of the score range"
    )
    unpublished_knowledge: Unit = Field(0.3, description="how much citizens know of unpublished rules")
    # disclosure
    disclose_initial: Unit = Field(0.3, description="share of privacy-indifferent citizens who disclose anyway")
    disclose_hazard: Unit = Field(0.02, description="daily disclosure hazard at full incentive and no privacy concern")
    # trust
    exchanges_with_ties: Annotated[int, Field(ge=0, le=10)] = Field(2, description="exchanges per day with ties")
    exchanges_with_strangers: Annotated[int, Field(ge=0, le=10)] = Field(1, description="exchanges per day with strangers")
    trust_forgetting: Annotated[float, Field(gt=0.0, lt=1.0)] = Field(0.98, description="daily decay of remembered exchanges")
    harm_memory: Annotated[float, Field(gt=0.0, lt=1.0)] = Field(0.97, description="daily decay of a citizen's recent-harm level")
    cheat_scale: Annotated[float, Field(gt=0.0, le=1000.0)] = Field(
        0.5, description="cheat probability = 1 - exp(-cheat_scale * recent harm level)"
    )
    # appeals and ostracism
    appeal_if_wronged: Unit = Field(0.3, description="daily probability that a wrongly listed citizen who knows appeals")
    appeal_if_rightful: Unit = Field(0.01, description="daily probability that a rightly listed strategic citizen appeals")
    ostracism: Unit = Field(0.002, description="daily chance of dropping a tie to a publicly listed citizen (norms on)")
    repair_hazard: Unit = Field(0.01, description="daily chance a listed strategic citizen seeks credit repair when allowed")
    # trust of code: when code is on, citizens refuse exchanges with blacklisted partners
    refuse_listed: bool = Field(True, description="with code on, citizens decline exchanges with blacklisted partners")
    # bookkeeping
    c4_every: Annotated[int, Field(ge=1, le=365)] = Field(7, description="days between samples of the buffer x virtue table (C4)")
    # A warm start: the days before are run but not counted (docs/model.md, "Warm starts").
    measure_from: Annotated[int, Field(ge=0, le=36_500)] = Field(
        0, description="the first day counted in the citizens' tallies, the C4 table and the mid-run score "
                       "(0: the whole run); scslab.metrics.measured() cuts the daily tables to match")


# The plausible range of each illustrative behavioural weight: the box a sweep explores when
# a rulebook names no range of its own for it (a rulebook's `plausible: [{path: engine.x}]`
# overrides). None of these weights is measured; the ranges bracket the defaults by about
# a factor of two either way, so that a verdict that holds over them does not rest on one
# guess. Path -> (low, high, why).
ENGINE_PLAUSIBLE: dict[str, tuple[float, float, str]] = {
    "engine.w_virtue": (0.75, 3.0, "how much conscience weighs against gain; illustrative"),
    "engine.w_strategic": (1.5, 6.0, "how strongly strategic citizens respond to points; illustrative"),
    "engine.w_norm": (0.75, 3.0, "conformity with ties' conduct; illustrative"),
    "engine.w_law": (0.5, 2.0, "deterrence by courts; illustrative"),
    "engine.w_market": (0.25, 1.0, "deterrence by counterparties; illustrative"),
    "engine.unpublished_knowledge": (0.1, 0.6, "what citizens know of unpublished rules; illustrative"),
    "engine.appeal_if_wronged": (0.1, 0.6, "daily chance a wrongly listed citizen appeals; illustrative"),
    "engine.cheat_scale": (0.25, 1.0, "how recent harm turns into cheating partners; illustrative"),
}
