"""A validated rulebook compiled once into the arrays the engine and metrics use.

Indexing conventions: behaviours ``b`` in rulebook order, data sources ``s``, population
groups ``g`` (names given at compile time), lists ``l``, sanctions/privileges ``m``,
grades ``k`` from lowest to highest, sectors by position in ``schema.SECTORS``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from dataclasses import dataclass

import numpy as np

from .schema import DOMAINS, EVIDENCE, LEGAL_STATUSES, PURCHASE_SECTORS, SECTORS, Rulebook

DEFAULT_GROUPS = ("urban", "rural", "migrant")
NO_THRESHOLD = np.nan


@dataclass(frozen=True)
class MeasureTable:
    """Sanctions or privileges: one row per measure."""

    ids: tuple[str, ...]
    sector: np.ndarray  # int16 index into SECTORS
    magnitude: np.ndarray  # float64 per day
    national: np.ndarray  # bool
    has_legal_basis: np.ndarray  # bool
    target_list: np.ndarray  # int16 list index, -1 when by grade
    target_grades: np.ndarray  # bool (M, K): grades hit, all False when by list

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class CompiledRulebook:
    """A rulebook as the engine reads it: scale, grades, behaviours, lists and sanctions as
    numpy arrays indexed by position (see :func:`compile_rulebook`)."""

    name: str
    hash: str  # sha256 of the canonical JSON of the rulebook
    groups: tuple[str, ...]
    # scale and grades
    base: float
    min: float
    max: float
    grade_names: tuple[str, ...]
    grade_min: np.ndarray  # float64 (K,), ascending; grade = searchsorted(grade_min, score, 'right') - 1
    # behaviours (B,)
    behaviour_ids: tuple[str, ...]
    points: np.ndarray
    social_value: np.ndarray
    utility: np.ndarray
    base_rate: np.ndarray
    excusable: np.ndarray
    observable: np.ndarray  # bool
    legal_status: np.ndarray  # int8 index into LEGAL_STATUSES
    domain: np.ndarray  # int16 index into DOMAINS
    evidence: np.ndarray  # int8 index into EVIDENCE
    # data sources
    source_ids: tuple[str, ...]
    records: np.ndarray  # bool (B, S): source s can record behaviour b
    coverage: np.ndarray  # float64 (S, G)
    false_rate: np.ndarray  # float64 (S,) share of records that are false
    adjudicated: np.ndarray  # bool (S,)
    files_excusable: np.ndarray  # float64 (S,) share of the excusable acts seen that the source files
    # lists (L,)
    list_ids: tuple[str, ...]
    list_black: np.ndarray  # bool: blacklist (else redlist)
    list_national: np.ndarray  # bool
    list_trigger: np.ndarray  # bool (L, B)
    list_min_records: np.ndarray  # int32
    list_window: np.ndarray  # int32 days
    list_score_below: np.ndarray  # float64, nan if unused
    list_score_at_least: np.ndarray  # float64, nan if unused
    list_duration: np.ndarray  # int32 days, -1 = indefinite
    list_renew_days: np.ndarray  # int32, 0 = no renewal
    list_max_renewals: np.ndarray  # int32
    list_renew_on_reoffence: np.ndarray  # bool
    list_exit_rate: np.ndarray  # float64 daily performance probability (0 = none)
    list_exit_delay: np.ndarray  # int32 days
    list_notice: np.ndarray  # bool
    list_published: np.ndarray  # bool
    sanctions: MeasureTable
    privileges: MeasureTable
    # network, appeals, disclosure, decay, publicity (scalars)
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
    disclosure_boost: float
    neg_decay: float  # fraction of lost points recovered per day (0 = never)
    pos_decay: float  # fraction of earned points lost per day
    repair_available: bool
    repair_min_days: int
    repair_cost: float
    rules_published: bool
    thresholds_published: bool
    own_record_visible: bool
    # coverage entering over time (DataSource.ramp): share of full coverage on day 0, rising
    # to 1 over ramp_days as (t / days) ** power (1.0 and 0 for a source without a ramp)
    ramp_start: np.ndarray = dataclasses.field(default_factory=lambda: np.ones(0))  # float64 (S,)
    ramp_days: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int32))  # int32 (S,)
    ramp_perceived: np.ndarray = dataclasses.field(default_factory=lambda: np.ones(0, bool))  # bool (S,)
    ramp_power: np.ndarray = dataclasses.field(default_factory=lambda: np.ones(0))  # float64 (S,)
    # purchases per sector of schema.PURCHASE_SECTORS (P,): the declaring sanction's numbers
    # (rate 0 where none is declared) and which sanctions restrict the sector (P, M)
    purchase_rate: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(len(PURCHASE_SECTORS)))
    purchase_ref_income: np.ndarray = dataclasses.field(default_factory=lambda: np.ones(len(PURCHASE_SECTORS)))
    purchase_elasticity: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(len(PURCHASE_SECTORS)))
    purchase_growth: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(len(PURCHASE_SECTORS)))
    purchase_from: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(len(PURCHASE_SECTORS), np.int32))
    purchase_block: np.ndarray = dataclasses.field(default_factory=lambda: np.ones(len(PURCHASE_SECTORS)))
    calendar_start: str | None = None  # ISO date of step 0 (Rulebook.calendar), or None

    def coverage_share(self, t: int) -> np.ndarray | None:
        """Share of each source's full coverage on day t (its ramp), or None when all are full."""
        if self.ramp_days.size == 0 or int(self.ramp_days.max(initial=0)) <= t:
            return None
        frac = np.minimum(1.0, t / np.maximum(self.ramp_days, 1)) ** self.ramp_power
        return np.where(self.ramp_days > t, self.ramp_start + (1.0 - self.ramp_start) * frac, 1.0)

    @property
    def n_behaviours(self) -> int:
        """How many behaviours the rulebook scores or records."""
        return len(self.behaviour_ids)

    @property
    def n_lists(self) -> int:
        """How many lists (black and red) the rulebook keeps."""
        return len(self.list_ids)

    def grade_of(self, score: np.ndarray) -> np.ndarray:
        """Grade index (0 = lowest) of each score."""
        k = np.searchsorted(self.grade_min, score, side="right") - 1
        return np.clip(k, 0, len(self.grade_names) - 1).astype(np.int8)

    @functools.cached_property  # read every step by collect and the ground truth: made once
    def seen(self) -> np.ndarray:
        """Behaviours some data source can record (observable and with a source).

        Harm from the rest is harm the system is blind to, whatever it scores.
        """
        return self.observable & self.records.any(axis=1)

    @property
    def scoring_thresholds(self) -> np.ndarray:
        """Every score at which a sanction or privilege starts or stops (sorted, unique).

        Used for a citizen's marginal value of a point and for the buffer in claim C4.
        """
        t = [self.grade_min[1:]]
        t.append(self.list_score_below[~np.isnan(self.list_score_below)])
        t.append(self.list_score_at_least[~np.isnan(self.list_score_at_least)])
        return np.unique(np.concatenate(t)) if t else np.empty(0)


def _measures(items, list_index: dict[str, int], grade_index: dict[str, int], k: int) -> MeasureTable:
    m = len(items)
    tg = np.zeros((m, k), dtype=bool)
    tl = np.full(m, -1, dtype=np.int16)
    for i, x in enumerate(items):
        if x.applies_to.list is not None:
            tl[i] = list_index[x.applies_to.list]
        for g in x.applies_to.grades or []:
            tg[i, grade_index[g]] = True
    return MeasureTable(
        ids=tuple(x.id for x in items),
        sector=np.array([SECTORS.index(x.sector) for x in items], dtype=np.int16),
        magnitude=np.array([x.magnitude for x in items], dtype=np.float64),
        national=np.array([x.scope == "national" for x in items], dtype=bool),
        has_legal_basis=np.array([bool(x.legal_basis) for x in items], dtype=bool),
        target_list=tl,
        target_grades=tg,
    )


def _half_life_to_rate(h: float | None) -> float:
    return 0.0 if h is None else float(1.0 - 0.5 ** (1.0 / h))


def files_excusable(source) -> float:
    """A data source's share of excusable acts filed: as given, else 0 for an adjudicated
    source (a court hears the context) and 1 for the rest (the context is not in the data)."""
    if source.files_excusable is not None:
        return float(source.files_excusable)
    return 0.0 if source.adjudicated else 1.0


def rulebook_hash(rb: Rulebook) -> str:
    """The sha256 of the rulebook's canonical JSON: equal for rulebooks that mean the same."""
    return hashlib.sha256(rb.model_dump_json().encode()).hexdigest()


def compile_rulebook(rb: Rulebook, groups: tuple[str, ...] = DEFAULT_GROUPS) -> CompiledRulebook:
    """Compile a validated rulebook. Coverage keys name groups; 'default' covers the rest."""
    b_index = {b.id: i for i, b in enumerate(rb.behaviours)}
    s_index = {s.id: i for i, s in enumerate(rb.data_sources)}
    l_index = {x.id: i for i, x in enumerate(rb.lists)}
    g_index = {g.name: i for i, g in enumerate(rb.grades)}
    B, S, L, G = len(rb.behaviours), len(rb.data_sources), len(rb.lists), len(groups)

    records = np.zeros((B, S), dtype=bool)
    for i, b in enumerate(rb.behaviours):
        for s in b.sources:
            records[i, s_index[s]] = True
    coverage = np.zeros((S, G))
    for j, s in enumerate(rb.data_sources):
        for gi, g in enumerate(groups):
            if g in s.coverage:
                coverage[j, gi] = s.coverage[g]
            elif "default" in s.coverage:
                coverage[j, gi] = s.coverage["default"]
            else:
                raise ValueError(f"data source '{s.id}' gives no coverage for group '{g}' and no 'default'")

    trig = np.zeros((L, B), dtype=bool)
    for i, x in enumerate(rb.lists):
        for bid in x.trigger.behaviours:
            trig[i, b_index[bid]] = True

    def nz(v):
        return NO_THRESHOLD if v is None else float(v)

    lists = rb.lists
    P = len(PURCHASE_SECTORS)
    pur = {k: np.zeros(P) for k in ("rate", "elasticity", "growth")}
    pur["ref"] = np.ones(P)
    pur["block"] = np.ones(P)
    pur["from"] = np.zeros(P, np.int32)
    for m in rb.sanctions:
        if m.purchases is not None and m.sector in PURCHASE_SECTORS:
            k = PURCHASE_SECTORS.index(m.sector)
            x = m.purchases
            pur["rate"][k], pur["ref"][k], pur["elasticity"][k] = x.rate, x.reference_income, x.income_elasticity
            pur["growth"][k], pur["from"][k], pur["block"][k] = x.annual_growth, x.enforced_from_day, x.block_share
    ramps = [s.ramp for s in rb.data_sources]
    return CompiledRulebook(
        name=rb.metadata.name,
        hash=rulebook_hash(rb),
        groups=tuple(groups),
        base=float(rb.scale.base),
        min=float(rb.scale.min),
        max=float(rb.scale.max),
        grade_names=tuple(g.name for g in rb.grades),
        grade_min=np.array([g.min for g in rb.grades], dtype=np.float64),
        behaviour_ids=tuple(b.id for b in rb.behaviours),
        points=np.array([b.points for b in rb.behaviours], dtype=np.float64),
        social_value=np.array([b.social_value for b in rb.behaviours], dtype=np.float64),
        utility=np.array([b.utility for b in rb.behaviours], dtype=np.float64),
        base_rate=np.array([b.base_rate for b in rb.behaviours], dtype=np.float64),
        excusable=np.array([b.excusable for b in rb.behaviours], dtype=np.float64),
        observable=np.array([b.observable for b in rb.behaviours], dtype=bool),
        legal_status=np.array([LEGAL_STATUSES.index(b.legal_status) for b in rb.behaviours], dtype=np.int8),
        domain=np.array([DOMAINS.index(b.domain) for b in rb.behaviours], dtype=np.int16),
        evidence=np.array([EVIDENCE.index(b.evidence) for b in rb.behaviours], dtype=np.int8),
        source_ids=tuple(s.id for s in rb.data_sources),
        records=records,
        coverage=coverage,
        false_rate=np.array([s.false_record_rate for s in rb.data_sources], dtype=np.float64),
        adjudicated=np.array([s.adjudicated for s in rb.data_sources], dtype=bool),
        files_excusable=np.array([files_excusable(s) for s in rb.data_sources], dtype=np.float64),
        list_ids=tuple(x.id for x in lists),
        list_black=np.array([x.kind == "blacklist" for x in lists], dtype=bool),
        list_national=np.array([x.scope == "national" for x in lists], dtype=bool),
        list_trigger=trig,
        list_min_records=np.array([x.trigger.min_records for x in lists], dtype=np.int32),
        list_window=np.array([x.trigger.window_days for x in lists], dtype=np.int32),
        list_score_below=np.array([nz(x.trigger.score_below) for x in lists], dtype=np.float64),
        list_score_at_least=np.array([nz(x.trigger.score_at_least) for x in lists], dtype=np.float64),
        list_duration=np.array([-1 if x.duration_days is None else x.duration_days for x in lists], dtype=np.int32),
        list_renew_days=np.array([x.renewal.extend_days if x.renewal else 0 for x in lists], dtype=np.int32),
        list_max_renewals=np.array([x.renewal.max_renewals if x.renewal else 0 for x in lists], dtype=np.int32),
        list_renew_on_reoffence=np.array([bool(x.renewal and x.renewal.when == "reoffended") for x in lists], dtype=bool),
        list_exit_rate=np.array([x.exit.performance_rate if x.exit.on_performance else 0.0 for x in lists]),
        list_exit_delay=np.array([x.exit.removal_delay_days for x in lists], dtype=np.int32),
        list_notice=np.array([x.notice for x in lists], dtype=bool),
        list_published=np.array([x.published for x in lists], dtype=bool),
        sanctions=_measures(rb.sanctions, l_index, g_index, len(rb.grades)),
        privileges=_measures(rb.privileges, l_index, g_index, len(rb.grades)),
        association_penalty=float(rb.network.association_penalty),
        peer_weight=float(rb.network.peer_weight),
        tie_drop_rate=float(rb.network.tie_drop_rate),
        appeals_available=rb.appeals.available,
        appeal_cost=float(rb.appeals.cost),
        appeal_deadline=int(rb.appeals.deadline_days),
        appeal_latency=int(rb.appeals.latency_days),
        appeal_accuracy=float(rb.appeals.review_accuracy),
        disclosure_reward=float(rb.disclosure.reward),
        disclosure_penalty=float(rb.disclosure.penalty),
        disclosure_boost=float(rb.disclosure.coverage_boost),
        neg_decay=_half_life_to_rate(rb.decay.negative_half_life_days),
        pos_decay=_half_life_to_rate(rb.decay.positive_half_life_days),
        repair_available=rb.decay.repair.available,
        repair_min_days=int(rb.decay.repair.min_days),
        repair_cost=float(rb.decay.repair.cost),
        rules_published=rb.publicity.rules_published,
        thresholds_published=rb.publicity.thresholds_published,
        own_record_visible=rb.publicity.own_record_visible,
        ramp_start=np.array([1.0 if r is None else r.start_share for r in ramps], dtype=np.float64),
        ramp_days=np.array([0 if r is None else r.days for r in ramps], dtype=np.int32),
        ramp_perceived=np.array([True if r is None else r.perceived for r in ramps], dtype=bool),
        ramp_power=np.array([1.0 if r is None else r.power for r in ramps], dtype=np.float64),
        purchase_rate=pur["rate"], purchase_ref_income=pur["ref"], purchase_elasticity=pur["elasticity"],
        purchase_growth=pur["growth"], purchase_from=pur["from"], purchase_block=pur["block"],
        calendar_start=None if rb.calendar is None else rb.calendar.start.isoformat(),
    )
