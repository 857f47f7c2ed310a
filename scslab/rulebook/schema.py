"""The rulebook schema: one social credit system, declared (pydantic v2).

Every field carries a description; ``docs/rulebook-reference.md`` is generated from them
(``scslab.rulebook.reference``), so the reference cannot drift from the code.

Conventions
- One step is one day. Rates are per citizen per step; durations are in days.
- Field values are strict: a quoted ``"10"`` is text, not a number. Integers are accepted
  where a number is expected.
- Every object that carries numbers may carry ``source`` (the id of an entry in
  ``metadata.references``, or ``illustrative``) and ``note``. Bundled pilots fill both.
Cross-references (a behaviour's data source exists, a sanction's list or grade exists,
grade bands tile the scale) are checked in ``scslab.rulebook.checks``.
"""

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Signed = Annotated[float, Field(ge=-1.0, le=1.0)]
Identifier = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[a-z][a-z0-9_\-]*$",
        description="lower-case letters, digits, '_' or '-', starting with a letter",
    ),
]
Days = Annotated[int, Field(ge=0, le=36500)]

LEGAL_STATUSES = ("criminal", "administrative", "contractual", "lawful")
EVIDENCE = ("final_decision", "record", "report", "suspicion")
SECTORS = (
    "rail", "air", "hotels", "loans", "mortgages", "housing", "schools", "visas",
    "public_jobs", "business_licences", "insurance", "rentals", "travel", "welfare",
    "utilities", "driving_licences", "online", "honours", "other",
)
DOMAINS = (
    "finance", "traffic", "civic", "family", "consumption", "online", "commerce",
    "public_services", "environment", "health", "political", "labour", "other",
)

# Sectors where a restriction stops a purchase the citizen tries to make (a ticket, a room,
# a property, school fees): a sanction there may declare `purchases`, and every run counts
# the attempts and blocks per sector (steps table: attempts_<sector>, blocked_<sector>).
PURCHASE_SECTORS = ("air", "rail", "hotels", "travel", "housing", "schools")

Sector = Literal[SECTORS]  # type: ignore[valid-type]
Domain = Literal[DOMAINS]  # type: ignore[valid-type]


class Strict(BaseModel):
    """Base: unknown fields are errors; values are not coerced from text."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=False)


class Sourced(Strict):
    source: str | None = Field(
        None,
        description="id of an entry in metadata.references backing the numbers here, "
        "or 'illustrative' when no source gives them",
    )
    note: str | None = Field(None, description="free text: where the numbers come from, caveats")


class Reference(Strict):
    id: Identifier = Field(description="short id that other objects cite in `source`")
    citation: str = Field(min_length=1, description="author, title, date as a reader would cite it")
    url: str | None = Field(None, description="where the source can be read")


class Amendment(Strict):
    version: str = Field(min_length=1, description="version label of the amendment")
    date: dt.date = Field(description="date the amendment was published")
    note: str | None = Field(None, description="what changed")


class Metadata(Strict):
    name: Identifier = Field(description="short machine name, e.g. 'rongcheng'")
    title: str = Field(min_length=1, description="human-readable title")
    jurisdiction: str = Field(min_length=1, description="where the system applies")
    version: str = Field(min_length=1, description="version label of this rulebook")
    published: dt.date | None = Field(None, description="date the rules were made public; none if never")
    effective: dt.date = Field(description="date the rules took effect")
    purpose: str | None = Field(None, description="the declared purpose (used by the congruence check)")
    description: str | None = Field(None, description="a few lines on what the system is")
    counterfactual: bool = Field(False, description="true when the rulebook is a constructed what-if, not a real system")
    amendments: list[Amendment] = Field(default_factory=list, description="published amendments, oldest first")
    references: list[Reference] = Field(default_factory=list, description="sources cited by `source` fields")
    note: str | None = Field(None, description="free text")


class Scale(Sourced):
    base: float = Field(description="score every citizen starts with")
    min: float = Field(description="lowest possible score")
    max: float = Field(description="highest possible score")


class Grade(Sourced):
    name: str = Field(min_length=1, max_length=16, description="grade label, e.g. 'AAA'")
    min: float = Field(description="lowest score in the band (inclusive)")
    max: float = Field(description="upper end of the band (exclusive, except for the top band)")


class Behaviour(Sourced):
    id: Identifier = Field(description="unique id")
    label: str | None = Field(None, description="the conduct in the rulebook's own words")
    act: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        None,
        description="the act this behaviour records, in a few words; behaviours naming the same act "
        "(compared ignoring case, spaces and punctuation) are one act recorded by several sources, "
        "e.g. the unpaid bill and the judgment on it",
    )
    domain: Domain = Field(description="area of life the conduct belongs to")
    legal_status: Literal[LEGAL_STATUSES] = Field(  # type: ignore[valid-type]
        description="what the law says of the conduct: criminal, administrative, contractual or lawful"
    )
    points: float = Field(ge=-10000, le=10000, description="points per recorded act (signed)")
    points_range: Annotated[list[float], Field(min_length=2, max_length=2)] | None = Field(
        None, description="when the published rule gives a range, its [low, high]; `points` is the value simulated"
    )
    social_value: Signed = Field(description="what the act really does to others, -1 (harm) .. 1 (good)")
    utility: Signed = Field(description="private gain the actor draws from the act, -1 .. 1")
    base_rate: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        description="acts per citizen per day with no scoring system"
    )
    sources: list[Identifier] = Field(default_factory=list, description="data sources that can record the act")
    excusable: Probability = Field(0.0, description="share of acts with a context the data cannot see (illness, error)")
    observable: bool = Field(True, description="false for acts no data source can see (e.g. lying to peers)")
    evidence: Literal[EVIDENCE] = Field(  # type: ignore[valid-type]
        "record",
        description="what a record of the act rests on: final_decision (a court or authority decided), "
        "record (a data trail), report (someone's report), suspicion (investigation, inference)",
    )
    catch_all: bool = Field(False, description="true for open-ended 'other ...' conduct")
    dimension: str | None = Field(None, description="score dimension the act feeds (e.g. Sesame's five)")
    applies_to: list[str] | None = Field(None, description="groups the rule targets; none means everyone")
    effective: dt.date | None = Field(None, description="date this rule took effect if not the rulebook's")
    lookback_days: Days = Field(0, description="how far back before `effective` past conduct is counted")


class Ramp(Sourced):
    start_share: Probability = Field(
        description="share of the source's full coverage on the run's first day (courts or agencies not yet "
        "connected); it rises to 1 over `days` (see `power`)"
    )
    days: Days = Field(description="days from the run's first day until the source reaches full coverage")
    power: Annotated[float, Field(ge=0.1, le=10.0)] = Field(
        1.0, description="shape of the rise: the share is start_share + (1 - start_share) x (t / days) ** power "
        "(1: linear; above 1: slow at first, then fast)"
    )
    perceived: bool = Field(
        True, description="citizens reckon with the day's coverage (true), or with the full coverage throughout "
        "(false: the rule is known everywhere before every source records it)"
    )


class DataSource(Sourced):
    id: Identifier = Field(description="unique id")
    kind: Literal[
        "court", "government", "bank", "platform", "camera", "employer", "neighbourhood", "self_report"
    ] = Field(description="who keeps the records")
    adjudicated: bool = Field(False, description="true when a record is a decided case (court judgment)")
    coverage: dict[str, Probability] = Field(
        description="probability the source sees an act, per population group; key 'default' for the rest"
    )
    false_record_rate: Annotated[float, Field(ge=0.0, le=0.5)] = Field(
        0.0, description="share of this source's records that are false (no act happened)"
    )
    files_excusable: Probability | None = Field(
        None,
        description="share of the excusable acts it sees (done in a context such as inability to pay, "
        "illness or error) that the source still files, as plain offences; none means 1 for a source "
        "that is not adjudicated (it cannot see the context) and 0 for an adjudicated one (it hears it)",
    )
    ramp: Ramp | None = Field(
        None, description="coverage entering over time (e.g. courts joining a national list); none means full "
        "coverage from the first day"
    )


class Trigger(Sourced):
    behaviours: list[Identifier] = Field(default_factory=list, description="recorded acts that count toward entry")
    min_records: Annotated[int, Field(ge=1, le=1000)] = Field(1, description="records needed within the window")
    window_days: Annotated[int, Field(ge=1, le=36500)] = Field(365, description="window over which records are counted")
    score_below: float | None = Field(None, description="entry when the score falls below this (blacklists)")
    score_at_least: float | None = Field(None, description="entry when the score reaches this (redlists)")


class Renewal(Sourced):
    extend_days: Annotated[int, Field(ge=1, le=36500)] = Field(description="days added per renewal")
    max_renewals: Annotated[int, Field(ge=0, le=100)] = Field(description="renewals allowed")
    when: Literal["still_triggered", "reoffended"] = Field(
        "still_triggered", description="renew if the trigger still holds at expiry, or if the citizen offended again"
    )


class ExitRule(Sourced):
    on_performance: bool = Field(False, description="listed citizens leave early when they perform (pay, comply)")
    performance_rate: Probability = Field(0.0, description="daily probability that a listed citizen performs")
    removal_delay_days: Days = Field(0, description="days between performance and removal")


class ListRule(Sourced):
    id: Identifier = Field(description="unique id")
    kind: Literal["blacklist", "redlist"] = Field(description="blacklist (punitive) or redlist (reward)")
    scope: Literal["national", "local"] = Field("local", description="national lists act in every municipality")
    trigger: Trigger = Field(description="what puts a citizen on the list")
    duration_days: Annotated[int, Field(ge=1, le=36500)] | None = Field(
        description="days a listing lasts; none means indefinitely"
    )
    renewal: Renewal | None = Field(None, description="how a listing is extended at expiry")
    exit: ExitRule = Field(default_factory=ExitRule, description="early exit on performance (credit repair)")
    notice: bool = Field(True, description="the citizen is told they were listed")
    reasons_given: bool = Field(True, description="the notice gives the reasons")
    published: bool = Field(False, description="names on the list are made public")
    legal_basis: str | None = Field(None, description="the law or regulation that creates the list")


class Target(Strict):
    # `grades` comes first: once `list` is a field name, the builtin is shadowed in this class.
    grades: list[str] | None = Field(None, description="citizens in these grades")
    list: Identifier | None = Field(None, description="citizens on this list")


class Purchases(Sourced):
    rate: Annotated[float, Field(ge=0.0, le=10.0)] = Field(
        description="purchases a restricted citizen attempts per day in the sector, at the reference income"
    )
    reference_income: Annotated[float, Field(gt=0.0, le=1e7)] = Field(
        4000.0, description="monthly income at which `rate` applies (the synthetic society's median is 4000)"
    )
    income_elasticity: Annotated[float, Field(ge=0.0, le=3.0)] = Field(
        1.0, description="attempts scale as (income / reference_income) ** income_elasticity"
    )
    annual_growth: Annotated[float, Field(ge=-0.5, le=2.0)] = Field(
        0.0, description="yearly growth of the attempt rate (e.g. air travel growing): rate x (1 + growth) ** years"
    )
    enforced_from_day: Days = Field(
        0, description="day of the run from which attempts are checked against the list (before it, they go through)"
    )
    block_share: Probability = Field(
        1.0, description="share of attempts the check stops once enforced (identity checks that miss some)"
    )


class Measure(Sourced):
    id: Identifier = Field(description="unique id")
    sector: Sector = Field(description="part of life the measure acts in")
    applies_to: Target = Field(description="who it hits: a list or a set of grades")
    magnitude: Annotated[float, Field(ge=0.0, le=1000.0)] = Field(
        description="cost (sanction) or benefit (privilege) per day, in wealth units"
    )
    scope: Literal["national", "local"] = Field("local", description="national measures act in every municipality")
    legal_basis: str | None = Field(None, description="the law that authorises the measure; none if there is none")
    label: str | None = Field(None, description="the measure in the rulebook's own words")
    purchases: Purchases | None = Field(
        None, description="sanctions in a purchase sector (air, rail, hotels, travel, housing, schools): how often "
        "restricted citizens try to buy what the measure bars, so blocked purchases are counted"
    )


class Network(Sourced):
    association_penalty: Annotated[float, Field(ge=0.0, le=1000.0)] = Field(
        0.0, description="points lost per day for each blacklisted tie"
    )
    peer_weight: Probability = Field(
        0.0, description="share of the gap to the mean score of one's ties closed per day (Sesame-style uplift)"
    )
    tie_drop_rate: Probability = Field(
        0.0, description="daily probability of dropping a tie to a blacklisted citizen when ties are costly"
    )
    family_liability: bool = Field(False, description="relatives' listings count against a citizen")


class Appeals(Sourced):
    available: bool = Field(False, description="listed citizens may appeal")
    cost: Annotated[float, Field(ge=0.0, le=1e6)] = Field(0.0, description="cost of lodging an appeal, wealth units")
    deadline_days: Days = Field(
        0, description="days after notice within which an appeal may be lodged; 0 means no deadline "
        "(an appeal may be lodged at any time while listed)"
    )
    latency_days: Days = Field(0, description="days until an appeal is decided")
    review_accuracy: Probability = Field(0.5, description="probability the review reaches the right outcome")
    independent_reviewer: bool = Field(False, description="decided by someone other than the list keeper")


class Disclosure(Sourced):
    reward: Annotated[float, Field(ge=0.0, le=10000.0)] = Field(0.0, description="points granted once for disclosing data")
    penalty: Annotated[float, Field(ge=0.0, le=100.0)] = Field(
        0.0, description="points lost per day for not disclosing"
    )
    coverage_boost: Probability = Field(0.0, description="added coverage of every source for disclosers")


class Repair(Sourced):
    available: bool = Field(False, description="listed citizens may apply for early removal")
    min_days: Days = Field(0, description="days on the list before repair is possible")
    cost: Annotated[float, Field(ge=0.0, le=1e6)] = Field(0.0, description="cost of repair, wealth units")


class Decay(Sourced):
    negative_half_life_days: Annotated[float, Field(gt=0, le=36500)] | None = Field(
        None, description="half-life of lost points (records fading); none means they never fade"
    )
    positive_half_life_days: Annotated[float, Field(gt=0, le=36500)] | None = Field(
        None, description="half-life of earned points; none means they never fade"
    )
    record_retention_days: Days | None = Field(
        None, description="days a record is kept and shown; none means forever"
    )
    repair: Repair = Field(default_factory=Repair, description="credit repair")


class Publicity(Sourced):
    rules_published: bool = Field(True, description="behaviours and points are public")
    thresholds_published: bool = Field(True, description="grade and list thresholds are public")
    own_record_visible: bool = Field(True, description="citizens can see their own record")


class Calendar(Sourced):
    start: dt.date = Field(description="the date of a run's first day (step 0); step t is start + t days")


class PlausibleRange(Sourced):
    path: str = Field(min_length=1, max_length=300, description="a parameter path (docs/sweeps.md): a number of "
                      "this rulebook, e.g. 'network.association_penalty', or an engine weight, e.g. 'engine.w_virtue'")
    low: float = Field(description="lowest plausible value")
    high: float = Field(description="highest plausible value")


class Rulebook(Strict):
    """One social credit system as a declarative, auditable document."""

    metadata: Metadata = Field(description="what system this is, where, since when, on what sources")
    scale: Scale = Field(description="score range and starting score")
    grades: list[Grade] = Field(min_length=1, description="bands of the scale, from lowest to highest")
    behaviours: list[Behaviour] = Field(default_factory=list, description="conduct the system scores")
    data_sources: list[DataSource] = Field(default_factory=list, description="who records the conduct")
    lists: list[ListRule] = Field(default_factory=list, description="blacklists and redlists")
    sanctions: list[Measure] = Field(default_factory=list, description="restrictions on listed or low-graded citizens")
    privileges: list[Measure] = Field(default_factory=list, description="benefits for redlisted or high-graded citizens")
    network: Network = Field(default_factory=Network, description="effects through social ties")
    appeals: Appeals = Field(default_factory=Appeals, description="how a listing is contested")
    disclosure: Disclosure = Field(default_factory=Disclosure, description="rewards and penalties for sharing data")
    decay: Decay = Field(default_factory=Decay, description="how records fade and are repaired")
    publicity: Publicity = Field(default_factory=Publicity, description="what citizens know of the rules")
    calendar: Calendar | None = Field(
        None, description="anchors runs to dates: dated figures (the court list since October 2013) can be "
        "compared with the run day by day; none means steps are just days"
    )
    plausible: list[PlausibleRange] = Field(
        default_factory=list,
        description="the plausible range of each illustrative number (the box sweeps explore): what a "
        "verdict's robustness is measured over",
    )

    def behaviour(self, bid: str) -> Behaviour:
        """The behaviour whose id is `bid` (StopIteration if there is none)."""
        return next(b for b in self.behaviours if b.id == bid)
