"""The rulebook as plain Python values, the way a Mesa user would hold it.

Reads a compiled rulebook (parsing YAML is not the simulation) and the engine's behavioural
parameters, and derives in plain Python what the agents need: act log-odds at base rate
with the law/market offsets, the chance an act is recorded, list and measure rules.
Derived independently of scslab.engine.context so the equivalence check also covers it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from scslab.engine.context import LAW_SEVERITY, MARKET_SECTORS
from scslab.engine.params import EngineParams
from scslab.rulebook.compiled import CompiledRulebook
from scslab.rulebook.schema import LEGAL_STATUSES, SECTORS

CONTRACTUAL = LEGAL_STATUSES.index("contractual")
LAWFUL = LEGAL_STATUSES.index("lawful")


@dataclass
class ListRule:
    black: bool
    trigger: frozenset[int]  # behaviours whose records count toward entry
    min_records: int
    window: int
    below: float | None
    at_least: float | None
    duration: int | None  # None: indefinite
    renew_days: int
    max_renewals: int
    renew_on_reoffence: bool
    exit_rate: float
    exit_delay: int
    notice: bool
    published: bool


@dataclass
class Measure:
    on_list: int | None  # list index, or None when it applies to grades
    grades: frozenset[int]
    magnitude: float


@dataclass
class Rules:
    base: float
    lo: float
    hi: float
    grade_min: list[float]
    logit0: list[float | None]  # None: the behaviour never happens
    social_value: list[float]
    points: list[float]
    excusable: list[float]
    sources_of: list[list[int]]  # covering sources in rulebook order ([] if unobservable)
    cov: list[list[list[float]]]  # [source][group][disclosed]
    files_excusable: list[float]  # [source]: share of the excusable acts seen that it files (0 for a court, by default)
    pobs: list[list[list[float]]]  # [behaviour][group][disclosed]
    false_specs: list[tuple[int, int, int, float]]  # (behaviour, source, group, f / (1 - f)): false records per true one
    thresholds: list[float]
    h: float
    know: float
    trig_any: list[bool]
    lists: list[ListRule]
    sanctions: list[Measure]
    privileges: list[Measure]
    association_penalty: float
    peer_weight: float
    tie_drop_rate: float
    appeals_available: bool
    appeal_cost: float
    appeal_deadline: int
    appeal_latency: int
    appeal_accuracy: float
    disclosure_reward: float
    disclosure_penalty: float
    disclose_incentive: float
    neg_decay: float
    pos_decay: float
    repair_available: bool
    repair_min_days: int
    repair_cost: float
    extra: dict = field(default_factory=dict)

    def grade_of(self, score: float) -> int:
        k = 0
        for i, m in enumerate(self.grade_min):
            if score >= m:
                k = i
        return k


def _nan_to_none(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def make_rules(crb: CompiledRulebook, p: EngineParams) -> Rules:
    lv = p.levers
    B, S, G = crb.n_behaviours, len(crb.source_ids), len(crb.groups)
    logit0: list[float | None] = []
    for b in range(B):
        r = float(crb.base_rate[b])
        if r <= 0:
            logit0.append(None)
            continue
        r = min(max(r, 1e-12), 1 - 1e-9)
        x = math.log(r) - math.log1p(-r)
        harmful = crb.social_value[b] < 0
        if not lv.law and harmful:
            x += p.w_law * float(LAW_SEVERITY[crb.legal_status[b]])
        if not lv.market and harmful and crb.legal_status[b] == CONTRACTUAL:
            x += p.w_market
        logit0.append(x)
    cov = [[[float(crb.coverage[s, g]), min(1.0, float(crb.coverage[s, g]) + crb.disclosure_boost)]
            for g in range(G)] for s in range(S)]
    sources_of = [[s for s in range(S) if crb.records[b, s]] if crb.observable[b] else [] for b in range(B)]
    pobs = []
    for b in range(B):
        rows = []
        for g in range(G):
            pair = []
            for d in (0, 1):
                miss = 1.0
                for s in sources_of[b]:
                    miss *= 1.0 - cov[s][g][d]
                pair.append(1.0 - miss)
            rows.append(pair)
        pobs.append(rows)
    false_specs = []
    for s in range(S):
        f = float(crb.false_rate[s])
        if f <= 0:
            continue
        for b in range(B):
            if crb.records[b, s] and crb.observable[b] and crb.base_rate[b] > 0:
                false_specs.extend((b, s, g, f / (1 - f)) for g in range(G))
    L = crb.n_lists
    lists = [ListRule(
        black=bool(crb.list_black[l]),
        trigger=frozenset(int(b) for b in range(B) if crb.list_trigger[l, b]),
        min_records=int(crb.list_min_records[l]),
        window=int(crb.list_window[l]),
        below=_nan_to_none(crb.list_score_below[l]),
        at_least=_nan_to_none(crb.list_score_at_least[l]),
        duration=None if crb.list_duration[l] < 0 else int(crb.list_duration[l]),
        renew_days=int(crb.list_renew_days[l]),
        max_renewals=int(crb.list_max_renewals[l]),
        renew_on_reoffence=bool(crb.list_renew_on_reoffence[l]),
        exit_rate=float(crb.list_exit_rate[l]),
        exit_delay=int(crb.list_exit_delay[l]),
        notice=bool(crb.list_notice[l]),
        published=bool(crb.list_published[l]),
    ) for l in range(L)]
    black_triggers = set().union(*(x.trigger for x in lists if x.black)) if lists else set()

    def measures(t) -> list[Measure]:
        out = []
        for i in range(len(t)):
            if not lv.code:
                continue
            if SECTORS[t.sector[i]] in MARKET_SECTORS and not lv.market:
                continue
            on_list = int(t.target_list[i]) if t.target_list[i] >= 0 else None
            grades = frozenset(int(k) for k in range(t.target_grades.shape[1]) if t.target_grades[i, k])
            out.append(Measure(on_list, grades, float(t.magnitude[i])))
        return out

    h = max(p.bandwidth * (crb.max - crb.min), 1e-9)
    know = (1.0 if crb.rules_published else p.unpublished_knowledge) * (1.0 if crb.thresholds_published else 0.6)
    incentive = min(1.0, (crb.disclosure_reward + 30.0 * crb.disclosure_penalty) / h) if lv.code else 0.0
    return Rules(
        base=crb.base, lo=crb.min, hi=crb.max,
        grade_min=[float(x) for x in crb.grade_min],
        logit0=logit0,
        social_value=[float(x) for x in crb.social_value],
        points=[float(x) for x in crb.points],
        excusable=[float(x) for x in crb.excusable],
        sources_of=sources_of, cov=cov, pobs=pobs, false_specs=false_specs,
        files_excusable=[float(x) for x in crb.files_excusable],
        thresholds=sorted(float(x) for x in crb.scoring_thresholds),
        h=h, know=know,
        trig_any=[b in black_triggers for b in range(B)],
        lists=lists,
        sanctions=measures(crb.sanctions),
        privileges=measures(crb.privileges),
        association_penalty=crb.association_penalty,
        peer_weight=crb.peer_weight,
        tie_drop_rate=crb.tie_drop_rate,
        appeals_available=crb.appeals_available,
        appeal_cost=crb.appeal_cost,
        appeal_deadline=crb.appeal_deadline,
        appeal_latency=crb.appeal_latency,
        appeal_accuracy=crb.appeal_accuracy,
        disclosure_reward=crb.disclosure_reward,
        disclosure_penalty=crb.disclosure_penalty,
        disclose_incentive=incentive,
        neg_decay=crb.neg_decay,
        pos_decay=crb.pos_decay,
        repair_available=crb.repair_available,
        repair_min_days=crb.repair_min_days,
        repair_cost=crb.repair_cost,
    )
