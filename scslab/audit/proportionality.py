"""Proportionality (EU Charter Art. 49(3)): severity rises with gravity, sanctions are bounded."""

from __future__ import annotations

from .compliance import max_listing_days
from .context import GRAVITY, HARM_TIERS, SEVEN_YEARS, graver, harm_tier, names
from .findings import Finding
from .registry import NEXT_VERSION, rule


@rule(
    code="SCS241", name="listing-beyond-seven-years", severity="medium", principle="proportionality",
    legal_reference="FCRA s.605(a) (adverse items reported for at most 7 years); EU Charter Art. 49(3)",
    summary="A listing can last more than 7 years with its renewals.",
    what="""Flags blacklists whose `duration_days` plus every allowed renewal exceeds 7 years
    (2,555 days). Indefinite listings are left to SCS133 and SCS236.""",
    why="""US credit reporting drops most adverse items after 7 years: past that, an old
    failure says little about a person and weighs heavily on them. A listing that outlasts
    it punishes who the person was, not who they are.""",
    use_instead="Cap the listing, renewals included, at 7 years (2,555 days).",
    bad="""
    lists:
      - id: disqualified_drivers
        kind: blacklist
        trigger: {behaviours: [speeding], min_records: 4, window_days: 1095}
        duration_days: 1095
        renewal: {extend_days: 1095, max_renewals: 3}
        legal_basis: Road Traffic Act s. 35
    """,
    good="""
    lists:
      - id: disqualified_drivers
        kind: blacklist
        trigger: {behaviours: [speeding], min_records: 4, window_days: 1095}
        duration_days: 1095
        renewal: {extend_days: 365, max_renewals: 1}
        legal_basis: Road Traffic Act s. 35
    """,
)
def listing_beyond_seven_years(rb, ctx):
    for i, x in enumerate(rb.lists):
        if x.kind == "blacklist" and x.duration_days is not None:
            days = max_listing_days(x)
            if days > SEVEN_YEARS:
                yield Finding.at(("lists", i, "renewal" if x.renewal else "duration_days"),
                                 f"blacklist '{x.id}' can last {days} days ({days / 365:.1f} years) with renewals, beyond the 7 years of FCRA s.605",
                                 "cap the listing, renewals included, at 7 years")


@rule(
    code="SCS242", name="records-kept-beyond-seven-years", severity="medium", principle="proportionality",
    legal_reference="FCRA s.605(a); GDPR Art. 5(1)(e) (storage limitation)",
    summary="Adverse records are kept for more than 7 years, or forever.",
    what="""Flags `decay.record_retention_days` unset (forever) or above 2,555 days when any
    behaviour is penalised.""",
    why="""A record that never expires makes one bad year a life sentence in every decision
    that reads it. Storage limitation and credit-reporting law both put an end date on old
    adverse data.""",
    use_instead="Delete adverse records after at most 7 years (`decay.record_retention_days: 2555` or less).",
    bad="""
    decay: {record_retention_days: null}
    """,
    good="""
    decay: {record_retention_days: 1095}
    """,
)
def records_kept_beyond_seven_years(rb, ctx):
    if not ctx.penalised:
        return
    r = rb.decay.record_retention_days
    if r is None:
        yield Finding.at(("decay", "record_retention_days"), "adverse records are kept forever",
                         "delete adverse records after at most 7 years (`decay.record_retention_days: 2555` or less)")
    elif r > SEVEN_YEARS:
        yield Finding.at(("decay", "record_retention_days"),
                         f"adverse records are kept {r} days ({r / 365:.1f} years), beyond the 7 years of FCRA s.605",
                         "delete adverse records after at most 7 years")


@rule(
    code="SCS243", name="penalties-never-fade", severity="low", principle="proportionality",
    legal_reference="EU Charter Art. 49(3); Guo Ban Fa [2020] No. 49 (credit repair)",
    summary="Lost points never fade.",
    what="Flags `decay.negative_half_life_days` unset when behaviours cost points.",
    why="""When a deduction weighs as much after ten years as on the first day, the score
    measures the past, not the person, and leaves no reward for changed conduct.""",
    use_instead="Give lost points a half-life (`decay.negative_half_life_days`).",
    bad="""
    decay: {negative_half_life_days: null}
    """,
    good="""
    decay: {negative_half_life_days: 365}
    """,
)
def penalties_never_fade(rb, ctx):
    if ctx.score_feeders and rb.decay.negative_half_life_days is None:
        yield Finding.at(("decay", "negative_half_life_days"), "lost points never fade: a deduction weighs the same forever",
                         "give lost points a half-life (`decay.negative_half_life_days`)")


@rule(
    code="SCS244", name="gravity-inversion", severity="medium", principle="proportionality",
    legal_reference="EU Charter Art. 49(3) (severity not disproportionate to the offence)",
    summary="A less grave act costs more points than a graver one.",
    what="""Flags a behaviour that costs more points than another that is unambiguously
    graver: no milder in law (lawful < contractual < administrative < criminal) and no less
    harmful to others (`social_value`), and either graver in law or clearly more harmful (by
    0.2 or more). Acts that are graver by one measure and milder by the other (a crime of
    little harm, a costly contractual default) are not ranked against each other.""",
    why="""When a late fee costs more than a fraud, the scale no longer tracks how wrong the
    conduct is. Severity that does not rise with gravity is the plainest sign of
    disproportion. Gravity has two sides, what the law makes of an act and the harm it does,
    and an act ranks above another only when both agree.""",
    use_instead="Order deductions by gravity: conduct that is graver in law and in harm costs more points.",
    bad="""
    behaviours:
      - {id: parking_fee_unpaid, label: "not paying a parking fee", domain: traffic,
         legal_status: contractual, points: -30, social_value: -0.05, utility: 0.1,
         base_rate: 0.002, sources: [traffic_court], evidence: final_decision}
    """,
    good="""
    behaviours:
      - {id: parking_fee_unpaid, label: "not paying a parking fee", domain: traffic,
         legal_status: contractual, points: -3, social_value: -0.05, utility: 0.1,
         base_rate: 0.002, sources: [traffic_court], evidence: final_decision}
      - {id: littering, label: "fined for littering", domain: environment,
         legal_status: administrative, points: -2, social_value: -0.02, utility: 0.05,
         base_rate: 0.002, sources: [traffic_court], evidence: final_decision}
    """,
)
def gravity_inversion(rb, ctx):
    costly = [(i, b) for i, b in enumerate(rb.behaviours) if b.points < 0]
    if len(costly) > 2000:  # pairwise; huge rulebooks are left to a closer review
        costly = costly[:2000]
    for i, b in costly:
        cheaper = [(o.points, j) for j, o in costly if j != i and o.points > b.points and graver(o, b)]
        if cheaper:
            _, j = max(cheaper)  # the graver act that costs least
            o = rb.behaviours[j]
            yield Finding.at(("behaviours", i, "points"),
                             f"behaviour '{b.id}' ({b.legal_status}, harm {b.social_value:g}) costs {-b.points:g} points, "
                             f"more than the graver '{o.id}' ({o.legal_status}, harm {o.social_value:g}, {-o.points:g})",
                             "order deductions by the gravity of the conduct")


@rule(
    code="SCS245", name="same-list-minor-and-serious", severity="medium", principle="proportionality",
    legal_reference="EU Charter Art. 49(3)",
    summary="Minor and serious conduct put people on the same list, with the same sanctions.",
    what="""Flags blacklists whose trigger behaviours differ by two or more steps of gravity
    (e.g. a contractual default and a crime).""",
    why="""If a missed payment and a fraud lead to the same listing and the same restrictions,
    one of them is punished out of proportion.""",
    use_instead="Keep separate lists, or separate durations, for conduct of different gravity.",
    bad="""
    behaviours:
      - {id: parking_fee_unpaid, label: "not paying a parking fee", domain: traffic,
         legal_status: contractual, points: -1, social_value: -0.05, utility: 0.1,
         base_rate: 0.002, sources: [traffic_court], evidence: final_decision}
      - {id: drink_driving, label: "convicted of drink driving", domain: traffic,
         legal_status: criminal, points: -40, social_value: -0.6, utility: 0.3,
         base_rate: 0.0001, sources: [traffic_court], evidence: final_decision}
    lists:
      - id: disqualified_drivers
        kind: blacklist
        trigger: {behaviours: [parking_fee_unpaid, drink_driving], min_records: 1}
        duration_days: 365
        legal_basis: Road Traffic Act s. 35
    """,
    good="""
    behaviours:
      - {id: drink_driving, label: "convicted of drink driving", domain: traffic,
         legal_status: criminal, points: -40, social_value: -0.6, utility: 0.3,
         base_rate: 0.0001, sources: [traffic_court], evidence: final_decision}
    lists:
      - id: disqualified_drivers
        kind: blacklist
        trigger: {behaviours: [speeding, drink_driving], min_records: 1}
        duration_days: 365
        legal_basis: Road Traffic Act s. 35
    """,
)
def same_list_minor_and_serious(rb, ctx):
    for i, x in enumerate(ctx.rb.lists):
        if x.kind != "blacklist":
            continue
        bs = [ctx.behaviour(b) for b in x.trigger.behaviours if b in ctx.behaviour_index]
        if len(bs) < 2:
            continue
        lo = min(bs, key=lambda b: GRAVITY[b.legal_status])
        hi = max(bs, key=lambda b: GRAVITY[b.legal_status])
        if GRAVITY[hi.legal_status] - GRAVITY[lo.legal_status] >= 2:
            yield Finding.at(("lists", i, "trigger", "behaviours"),
                             f"blacklist '{x.id}' is entered alike for '{lo.id}' ({lo.legal_status}) and '{hi.id}' ({hi.legal_status})",
                             "keep separate lists, or durations, for conduct of different gravity")


@rule(
    code="SCS246", name="names-published", severity="medium", principle="proportionality",
    legal_reference="EU Charter Arts. 7, 8, 49(3); GDPR Art. 5(1)(c) (data minimisation)",
    summary="Names on a blacklist are made public.",
    what="Flags blacklists with `published: true`.",
    why="""Publishing names adds public shaming to whatever sanction the list carries: a
    penalty no rule measures, that reaches family and work, and that outlives the listing
    in search results and screenshots.""",
    use_instead="Tell the listed person, not the public (`published: false`).",
    bad="""
    lists:
      - id: disqualified_drivers
        kind: blacklist
        trigger: {behaviours: [speeding], min_records: 4, window_days: 1095}
        duration_days: 365
        published: true
        legal_basis: Road Traffic Act s. 35
    """,
    good="""
    lists:
      - id: disqualified_drivers
        kind: blacklist
        trigger: {behaviours: [speeding], min_records: 4, window_days: 1095}
        duration_days: 365
        published: false
        legal_basis: Road Traffic Act s. 35
    """,
)
def names_published(rb, ctx):
    for i, x in enumerate(rb.lists):
        if x.kind == "blacklist" and x.published:
            yield Finding.at(("lists", i, "published"), f"names on blacklist '{x.id}' are made public (shaming)",
                             "tell the listed person, not the public (`published: false`)")


# The longest listing each degree of harm can bear: negligible, minor, moderate (serious
# conduct is left to SCS241's 7 years). Regulators' own tiers are stricter: minor records
# published for at most 3 months, general ones for 1 year, serious ones for 3 years.
MAX_DAYS_BY_HARM = (90, 365, 1095)


def days_per_act(x) -> int | None:
    """How long one act can keep a person on a list: the listing and the renewals it earns
    by itself (a renewal for offending again answers a new act). None: indefinitely."""
    if x.duration_days is None:
        return None
    days = x.duration_days
    if x.renewal is not None:
        if x.renewal.when == "reoffended":
            days = max(days, x.renewal.extend_days)
        else:
            days += x.renewal.extend_days * x.renewal.max_renewals
    return days


@rule(
    code="SCS247", name="listing-out-of-proportion", severity="medium", principle="proportionality",
    legal_reference="EU Charter Art. 49(3) (severity of penalties not disproportionate to the offence); "
                    "NDRC credit repair measures (2025); SPC provisions 2017 Art. 2",
    summary="A listing lasts far longer than the gravity of the conduct that triggers it.",
    what=f"""Reads the harm of each blacklist's trigger behaviours (`social_value`: negligible
    above -0.1, minor above -0.3, moderate above -0.6, serious below; a crime is at least
    moderate) and flags a list whose listing, with the renewals one act can earn, lasts
    longer than the mildest of them can bear: {MAX_DAYS_BY_HARM[0]} days for negligible
    harm, {MAX_DAYS_BY_HARM[1]} for minor, {MAX_DAYS_BY_HARM[2]} (3 years) for moderate; an
    indefinite listing for any of these. A list entered by the score counts every act that
    lowers the score. Serious conduct is left to SCS241 (7 years), lawful conduct to
    SCS201.""",
    why="""How long a sanction lasts is part of how severe it is. A two-year listing for
    littering or a late fee punishes a trivial act as if it were a fraud. Credit regulators
    grade publication periods by gravity (at most 3 months for minor records, a year for
    general ones, 3 years for serious ones), and even the Chinese court list of judgment
    defaulters, entered for refusing to pay what a court ordered, runs two years.""",
    use_instead="""Grade listing durations by the gravity of the conduct: keep trivial and
    minor conduct off long lists, or give it its own short list.""",
    bad="""
    behaviours:
      - {id: littering, label: "fined for littering from a car", domain: traffic,
         legal_status: administrative, points: -2, social_value: -0.05, utility: 0.05,
         base_rate: 0.002, sources: [traffic_court], evidence: final_decision}
    lists:
      - id: disqualified_drivers
        kind: blacklist
        trigger: {behaviours: [speeding, littering], min_records: 4, window_days: 1095}
        duration_days: 730
        legal_basis: Road Traffic Act s. 35
    """,
    good="""
    behaviours:
      - {id: littering, label: "fined for littering from a car", domain: traffic,
         legal_status: administrative, points: -2, social_value: -0.05, utility: 0.05,
         base_rate: 0.002, sources: [traffic_court], evidence: final_decision}
    lists:
      - id: disqualified_drivers
        kind: blacklist
        trigger: {behaviours: [speeding], min_records: 4, window_days: 1095}
        duration_days: 730
        legal_basis: Road Traffic Act s. 35
    """,
    since=NEXT_VERSION, status="preview",
)
def listing_out_of_proportion(rb, ctx):
    for i, x in enumerate(rb.lists):
        if x.kind != "blacklist":
            continue
        bs = [rb.behaviours[j] for j in ctx.list_feeders(x)]  # its trigger, and the score's feeders
        bs = [b for b in bs if b.legal_status != "lawful"]
        if not bs:
            continue
        tier = min(harm_tier(b) for b in bs)
        if tier >= len(MAX_DAYS_BY_HARM):
            continue
        cap = MAX_DAYS_BY_HARM[tier]
        days = days_per_act(x)
        if days is not None and days <= cap:
            continue
        mild = [b.id for b in bs if harm_tier(b) == tier]
        direct = set(x.trigger.behaviours)
        via = "" if all(b in direct for b in mild) else ", through the score"
        length = "indefinitely" if days is None else f"{days:,} days ({days / 365:.1f} years)"
        field = "duration_days" if x.renewal is None or days is None else "renewal"
        yield Finding.at(("lists", i, field),
                         f"blacklist '{x.id}' lasts {length} and is entered for conduct of {HARM_TIERS[tier]} harm "
                         f"({names(mild, 3)}{via}); {cap:,} days at most would match its gravity",
                         f"grade the listing by gravity: keep {HARM_TIERS[tier]} conduct off this list, or list it "
                         f"for at most {cap:,} days")
