"""Possibility of compliance (Fuller 6): people can avoid penalties by their own conduct."""

from __future__ import annotations

from .context import BARRIER_DAYS, fee_burden, fee_message
from .findings import Finding
from .registry import NEXT_VERSION, rule


@rule(
    code="SCS151", name="family-liability", severity="high", principle="possibility-of-compliance",
    legal_reference="Fuller (1964) ch. 2 (possibility of compliance); EU Charter Art. 49(3) (proportionality)",
    summary="Relatives' listings count against a citizen.",
    what="Flags `network.family_liability: true`.",
    why="""Nobody chooses their relatives or controls what they do. A penalty for a relative's
    listing cannot be avoided by any conduct of one's own, so the rule cannot be obeyed; it
    also punishes people who did nothing.""",
    use_instead="Count only a person's own conduct (`network.family_liability: false`).",
    bad="""
    network: {family_liability: true}
    """,
    good="""
    network: {family_liability: false}
    """,
)
def family_liability(rb, ctx):
    if rb.network.family_liability:
        yield Finding.at(("network", "family_liability"),
                         "relatives' listings count against a citizen, who cannot avoid this by any conduct of their own",
                         "set `network.family_liability: false`")


@rule(
    code="SCS152", name="score-cannot-recover", severity="high", principle="possibility-of-compliance",
    legal_reference="Fuller (1964) ch. 2 (possibility of compliance); Guo Ban Fa [2020] No. 49 (credit repair)",
    summary="Once below a blacklist threshold, nothing can raise the score again.",
    what="""Flags blacklists entered below a score when no behaviour earns points, no disclosure
    reward exists, lost points never fade (`decay.negative_half_life_days` unset) and no peer
    effect lifts scores: the score can only fall.""",
    why="""An exit that depends on the score climbing back is no exit when nothing makes it
    climb. The listed person can comply perfectly from then on and still never leave.""",
    use_instead="Give the score a way back: let lost points fade (`decay.negative_half_life_days`) or reward repair.",
    bad="""
    lists:
      - {id: low_scorers, kind: blacklist, trigger: {score_below: 40}, duration_days: 365,
         renewal: {extend_days: 365, max_renewals: 5, when: still_triggered},
         legal_basis: Road Traffic Act s. 35}
    decay: {negative_half_life_days: null}
    """,
    good="""
    lists:
      - {id: low_scorers, kind: blacklist, trigger: {score_below: 40}, duration_days: 365,
         renewal: {extend_days: 365, max_renewals: 5, when: still_triggered},
         legal_basis: Road Traffic Act s. 35}
    decay: {negative_half_life_days: 365}
    """,
)
def score_cannot_recover(rb, ctx):
    can_climb = (
        any(b.points > 0 and b.observable for b in rb.behaviours)
        or rb.disclosure.reward > 0
        or rb.decay.negative_half_life_days is not None
        or rb.network.peer_weight > 0
    )
    if can_climb:
        return
    for i, x in enumerate(rb.lists):
        if x.kind == "blacklist" and x.trigger.score_below is not None:
            yield Finding.at(("lists", i, "trigger", "score_below"),
                             f"blacklist '{x.id}' is entered below {x.trigger.score_below:g}, and nothing can raise a score again: "
                             "no behaviour earns points and lost points never fade",
                             "let lost points fade (`decay.negative_half_life_days`) or reward repair")


@rule(
    code="SCS153", name="repair-unreachable", severity="medium", principle="possibility-of-compliance",
    legal_reference="Fuller (1964) ch. 2 (possibility of compliance); NDRC Order No. 58 (2023, credit repair)",
    summary="Credit repair is offered only after every listing has already ended.",
    what="""Flags `decay.repair` that is available but whose `min_days` is no shorter than the
    longest possible listing on every blacklist.""",
    why="""A repair path that opens only when the listing is over anyway exists on paper only:
    the listed person cannot use it to leave early, whatever they do.""",
    use_instead="Open credit repair well before the longest listing ends (`decay.repair.min_days`).",
    bad="""
    decay:
      repair: {available: true, min_days: 400}
    """,
    good="""
    decay:
      repair: {available: true, min_days: 90}
    """,
)
def repair_unreachable(rb, ctx):
    rep = rb.decay.repair
    blacks = ctx.blacklists
    if not rep.available or not blacks or any(x.duration_days is None for x in blacks):
        return
    longest = max(max_listing_days(x) for x in blacks)
    if rep.min_days >= longest:
        yield Finding.at(("decay", "repair", "min_days"),
                         f"repair opens after {rep.min_days} days, but no listing lasts longer than {longest} days: nobody can use it",
                         "let listed people apply for repair well before the listing ends")


@rule(
    code="SCS155", name="costly-repair", severity="medium", principle="possibility-of-compliance",
    legal_reference="Fuller (1964) ch. 2 (possibility of compliance); Guo Ban Fa [2020] No. 49 (credit repair); "
                    "EU Charter Art. 49(3); R (UNISON) v Lord Chancellor [2017] UKSC 51",
    summary="Credit repair costs more than the poorest can pay.",
    what=f"""Flags `decay.repair.cost` above {BARRIER_DAYS:g} days of income of the poorest tenth of the
    population (the 10th percentile of the society the rulebook runs on, in the same wealth
    units as the rulebook's costs) when repair is the way off a blacklist. The message gives
    the fee in days of income at the 10th percentile and at the median.""",
    why="""Repair is how a listed person who has put things right leaves early. Priced beyond
    what the poor can pay, it opens the way out to those who can afford it and keeps the rest
    listed for the full term, for the same conduct: the exit depends on money, not on
    conduct, and those listed for debts are the least able to pay.""",
    use_instead="Make repair free (`decay.repair.cost: 0`), or waive the fee for people on low incomes.",
    bad="""
    decay:
      repair: {available: true, min_days: 90, cost: 2000}
    """,
    good="""
    decay:
      repair: {available: true, min_days: 90, cost: 0}
    """,
    since=NEXT_VERSION, status="preview",
)
def costly_repair(rb, ctx):
    rep = rb.decay.repair
    if not (rep.available and rep.cost > 0 and ctx.blacklists):
        return
    poor, mid = fee_burden(ctx, rep.cost)
    if poor > BARRIER_DAYS:
        yield Finding.at(("decay", "repair", "cost"),
                         fee_message("credit repair", rep.cost, poor, mid) + ": those who cannot pay stay listed",
                         "make repair free, or waive the fee for people on low incomes")


def max_listing_days(x) -> int:
    """Longest a listing can last with every renewal (None duration: caller's concern)."""
    days = x.duration_days or 0
    if x.renewal is not None:
        days += x.renewal.extend_days * x.renewal.max_renewals
    return days


@rule(
    code="SCS154", name="excusable-conduct-without-appeal", severity="medium",
    principle="possibility-of-compliance",
    legal_reference="Fuller (1964) ch. 2 (possibility of compliance); GDPR Art. 22(3) (right to contest)",
    summary="Conduct that is often excusable is penalised, and there is no appeal to show the excuse.",
    what="""Flags penalised behaviours whose `excusable` share is 10% or more (illness, error,
    a context the data cannot see) when `appeals.available` is false.""",
    why="""A missed payment during a hospital stay reads the same in the data as a deliberate
    one. Where many acts have an excuse, a person can only avoid the penalty if they can
    show it; without an appeal they cannot.""",
    use_instead="Provide an appeal where excuses can be shown (`appeals.available: true`).",
    bad="""
    behaviours:
      - {id: speeding, label: "driving above the speed limit, as found by a court", domain: traffic,
         legal_status: administrative, points: -10, social_value: -0.3, utility: 0.2,
         base_rate: 0.001, sources: [traffic_court], evidence: final_decision, excusable: 0.2}
    appeals: {available: false}
    """,
    good="""
    behaviours:
      - {id: speeding, label: "driving above the speed limit, as found by a court", domain: traffic,
         legal_status: administrative, points: -10, social_value: -0.3, utility: 0.2,
         base_rate: 0.001, sources: [traffic_court], evidence: final_decision, excusable: 0.2}
    appeals: {available: true}
    """,
)
def excusable_conduct_without_appeal(rb, ctx):
    if rb.appeals.available:
        return
    for i in ctx.penalised:
        b = rb.behaviours[i]
        if b.excusable >= 0.1:
            yield Finding.at(("behaviours", i, "excusable"),
                             f"behaviour '{b.id}' is excusable in {b.excusable:.0%} of cases, but there is no appeal to show the excuse",
                             "provide an appeal (`appeals.available: true`) where excuses can be shown")
