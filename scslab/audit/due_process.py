"""Due process (EU Charter Art. 47): notice, reasons, a timely and independent appeal, a way out."""

from __future__ import annotations

from .context import BARRIER_DAYS, fee_burden, fee_message, names
from .findings import Finding
from .registry import NEXT_VERSION, rule

FCRA_REINVESTIGATION_DAYS = 30  # FCRA s.611(a)(1)(A)
MIN_APPEAL_WINDOW_DAYS = 30


def _has_detriment(rb, ctx) -> bool:
    return bool(ctx.blacklists) or any(m.applies_to.grades for m in rb.sanctions)


@rule(
    code="SCS231", name="no-appeal", severity="high", principle="due-process",
    legal_reference="EU Charter Art. 47 (effective remedy); GDPR Art. 22(3) (right to contest); FCRA s.611",
    summary="People who are listed or sanctioned cannot appeal.",
    what="Flags `appeals.available: false` when the rulebook has blacklists or grade sanctions.",
    why="""Records are wrong sometimes (false records, mixed-up identities, excusable
    context). Without an appeal every error stands, and the person bears its consequences
    with no way to be heard.""",
    use_instead="Provide an appeal (`appeals.available: true`) with a deadline and an independent reviewer.",
    bad="""
    appeals: {available: false}
    """,
    good="""
    appeals: {available: true, deadline_days: 30, latency_days: 30, independent_reviewer: true}
    """,
)
def no_appeal(rb, ctx):
    if not rb.appeals.available and _has_detriment(rb, ctx):
        yield Finding.at(("appeals", "available"), "listed or sanctioned people cannot appeal: every wrong record stands",
                         "provide an appeal (`appeals.available: true`) with a deadline and an independent reviewer")


@rule(
    code="SCS232", name="slow-appeal", severity="medium", principle="due-process",
    legal_reference="FCRA s.611(a)(1) (reinvestigation within 30 days); EU Charter Art. 47 (hearing within a reasonable time)",
    summary=f"An appeal takes more than {FCRA_REINVESTIGATION_DAYS} days to decide.",
    what=f"Flags `appeals.latency_days` above {FCRA_REINVESTIGATION_DAYS}.",
    why="""US credit reporting law gives a disputed item 30 days to be reinvestigated, and
    deletes what cannot be verified. While an appeal waits, a wrongly listed person keeps
    paying for the error.""",
    use_instead="Decide appeals within 30 days (`appeals.latency_days: 30` or less), and lift unverified listings meanwhile.",
    bad="""
    appeals: {available: true, deadline_days: 30, latency_days: 90, independent_reviewer: true}
    """,
    good="""
    appeals: {available: true, deadline_days: 30, latency_days: 30, independent_reviewer: true}
    """,
)
def slow_appeal(rb, ctx):
    a = rb.appeals
    if a.available and a.latency_days > FCRA_REINVESTIGATION_DAYS:
        yield Finding.at(("appeals", "latency_days"),
                         f"an appeal takes {a.latency_days} days to decide; a credit dispute under FCRA s.611 takes {FCRA_REINVESTIGATION_DAYS}",
                         f"decide appeals within {FCRA_REINVESTIGATION_DAYS} days, and lift the listing meanwhile if unverified")


@rule(
    code="SCS233", name="short-appeal-window", severity="low", principle="due-process",
    legal_reference="EU Charter Art. 47 (effective remedy); by analogy Regulation B s.1002.9 (30-day periods)",
    summary=f"People have less than {MIN_APPEAL_WINDOW_DAYS} days to lodge an appeal.",
    what=f"""Flags `appeals.deadline_days` from 1 to {MIN_APPEAL_WINDOW_DAYS - 1} when appeals exist. `0`
    means no deadline (an appeal may be lodged at any time while listed), as the engine reads
    it, and passes.""",
    why="""A short window turns the right to appeal into a race: people who are ill, away,
    or simply learn of the listing late lose it.""",
    use_instead="Allow at least 30 days from notice (`appeals.deadline_days: 30` or more), or set no deadline (`0`).",
    bad="""
    appeals: {available: true, deadline_days: 7, latency_days: 30, independent_reviewer: true}
    """,
    good="""
    appeals: {available: true, deadline_days: 30, latency_days: 30, independent_reviewer: true}
    """,
)
def short_appeal_window(rb, ctx):
    a = rb.appeals
    if a.available and 0 < a.deadline_days < MIN_APPEAL_WINDOW_DAYS:  # 0: no deadline
        yield Finding.at(("appeals", "deadline_days"),
                         f"people have {a.deadline_days} days to lodge an appeal",
                         f"allow at least {MIN_APPEAL_WINDOW_DAYS} days from notice")


@rule(
    code="SCS234", name="no-independent-reviewer", severity="medium", principle="due-process",
    legal_reference="EU Charter Art. 47 (independent and impartial tribunal); AI Act Art. 14 (human oversight)",
    summary="Appeals are decided by the body that keeps the list.",
    what="Flags `appeals.independent_reviewer: false` when appeals exist.",
    why="""A body reviewing its own listing has every reason to confirm it. An appeal is a
    remedy only when someone else, able to override the record, decides it.""",
    use_instead="Have appeals decided by someone independent of the list keeper (`appeals.independent_reviewer: true`).",
    bad="""
    appeals: {available: true, deadline_days: 30, latency_days: 30, independent_reviewer: false}
    """,
    good="""
    appeals: {available: true, deadline_days: 30, latency_days: 30, independent_reviewer: true}
    """,
)
def no_independent_reviewer(rb, ctx):
    a = rb.appeals
    if a.available and not a.independent_reviewer:
        yield Finding.at(("appeals", "independent_reviewer"), "appeals are decided by the body that keeps the record",
                         "have appeals decided by someone independent of the list keeper")


@rule(
    code="SCS235", name="no-notice-or-reasons", severity="high", principle="due-process",
    legal_reference="FCRA s.615(a) (adverse-action notice); Regulation B s.1002.9 (principal reasons); CFPB Circular 2022-03; GDPR Art. 22; AI Act Art. 86",
    summary="People are listed without being told, or without being told why.",
    what="Flags blacklists with `notice: false` or `reasons_given: false`.",
    why="""One cannot contest what one does not know about. Credit law requires a notice
    naming the specific principal reasons; 'failed to reach a qualifying score' is not a
    reason, and complex algorithms are no excuse (CFPB Circular 2022-03).""",
    use_instead="Notify every listed person with the specific reasons (`notice: true`, `reasons_given: true`).",
    bad="""
    lists:
      - id: disqualified_drivers
        kind: blacklist
        trigger: {behaviours: [speeding], min_records: 4, window_days: 1095}
        duration_days: 365
        notice: true
        reasons_given: false
        legal_basis: Road Traffic Act s. 35
    """,
    good="""
    lists:
      - id: disqualified_drivers
        kind: blacklist
        trigger: {behaviours: [speeding], min_records: 4, window_days: 1095}
        duration_days: 365
        notice: true
        reasons_given: true
        legal_basis: Road Traffic Act s. 35
    """,
)
def no_notice_or_reasons(rb, ctx):
    for i, x in enumerate(rb.lists):
        if x.kind != "blacklist":
            continue
        if not x.notice:
            yield Finding.at(("lists", i, "notice"), f"people are put on blacklist '{x.id}' without being told",
                             "notify every listed person (`notice: true`) with the reasons")
        elif not x.reasons_given:
            yield Finding.at(("lists", i, "reasons_given"), f"the notice for blacklist '{x.id}' gives no reasons",
                             "state the specific records that caused the listing (`reasons_given: true`)")


@rule(
    code="SCS236", name="listing-without-exit", severity="high", principle="due-process",
    legal_reference="EU Charter Arts. 47, 49(3); Guo Ban Fa [2020] No. 49 (credit repair); SPC provisions 2017 Art. 2",
    summary="An indefinite listing with no way out by performance or repair.",
    what="""Flags blacklists with no `duration_days`, no exit on performance (`exit.on_performance`)
    and no credit repair (`decay.repair.available`).""",
    why="""A listing that never ends and cannot be left by paying, complying or applying for
    repair is a permanent status, not a sanction for an act. Even the Chinese court list is
    lifted within days once the debtor performs.""",
    use_instead="Bound the listing (`duration_days`), and lift it on performance (`exit.on_performance: true`) or after repair.",
    bad="""
    lists:
      - id: disqualified_drivers
        kind: blacklist
        trigger: {behaviours: [speeding], min_records: 4, window_days: 1095}
        duration_days: null
        legal_basis: Road Traffic Act s. 35
    decay:
      repair: {available: false}
    """,
    good="""
    lists:
      - id: disqualified_drivers
        kind: blacklist
        trigger: {behaviours: [speeding], min_records: 4, window_days: 1095}
        duration_days: null
        exit: {on_performance: true, performance_rate: 0.01, removal_delay_days: 3}
        legal_basis: Road Traffic Act s. 35
    decay:
      repair: {available: false}
    """,
)
def listing_without_exit(rb, ctx):
    for i, x in enumerate(rb.lists):
        if x.kind == "blacklist" and x.duration_days is None and not x.exit.on_performance and not rb.decay.repair.available:
            yield Finding.at(("lists", i, "duration_days"),
                             f"blacklist '{x.id}' never ends and cannot be left by performing or by repair",
                             "bound the listing, and lift it on performance or after repair")


@rule(
    code="SCS237", name="costly-appeal", severity="medium", principle="due-process",
    legal_reference="EU Charter Art. 47 (effective remedy, and legal aid where needed for access to justice); "
                    "FCRA s.611(a)(1)(A) (reinvestigation free of charge); GDPR Art. 12(5) (actions free of charge); "
                    "Kreuz v Poland (ECtHR 2001); R (UNISON) v Lord Chancellor [2017] UKSC 51",
    summary="An appeal costs more than the poorest can pay.",
    what=f"""Flags `appeals.cost` above {BARRIER_DAYS:g} days of income of the poorest tenth of the
    population (the 10th percentile of the society the rulebook runs on; the default society's
    incomes, in the same wealth units as the rulebook's costs). The message gives the fee in
    days of income at the 10th percentile and at the median.""",
    why="""A remedy priced beyond what people can spare is a remedy for the well-off only. A
    credit dispute under FCRA s.611 is reinvestigated free of charge, GDPR rights are exercised
    free of charge, and courts have struck down fees that price people out of a hearing (a court
    fee of a year's salary in Kreuz v Poland; employment tribunal fees in UNISON). Those on a
    list are often those with the least money, and the wrongly listed pay the fee to undo a
    mistake that was not theirs.""",
    use_instead="Make the appeal free (`appeals.cost: 0`), or waive the fee for people on low incomes.",
    bad="""
    appeals: {available: true, cost: 1000, deadline_days: 30, latency_days: 30,
              independent_reviewer: true}
    """,
    good="""
    appeals: {available: true, cost: 0, deadline_days: 30, latency_days: 30,
              independent_reviewer: true}
    """,
    since=NEXT_VERSION, status="preview",
)
def costly_appeal(rb, ctx):
    a = rb.appeals
    if not (a.available and a.cost > 0 and _has_detriment(rb, ctx)):
        return
    poor, mid = fee_burden(ctx, a.cost)
    if poor > BARRIER_DAYS:
        yield Finding.at(("appeals", "cost"), fee_message("an appeal", a.cost, poor, mid),
                         "make appeals free, or waive the fee for people on low incomes")


# Once a listed person has performed (paid, complied), the listing's reason is gone: the
# court list deletes within three working days, which is at most five calendar days.
REMOVAL_DAYS = 5
_PERFORMABLE_OBJECTS = {"debt", "charge", "rent", "contract", "tax", "fare"}


def performable(b) -> bool:
    """Conduct a person can make good by performing: a debt, fee or obligation left unmet."""
    from .ne_bis_in_idem import content_words

    if b.legal_status not in ("contractual", "administrative"):
        return False
    words = content_words(b.label or b.id)
    return "nonpay" in words or (b.legal_status == "contractual" and bool(words & _PERFORMABLE_OBJECTS))


@rule(
    code="SCS238", name="slow-removal-after-performance", severity="medium", principle="due-process",
    legal_reference="SPC provisions 2017 Art. 10 (deletion within three working days of performance); "
                    "GDPR Arts. 5(1)(e), 17(1)(a) (erasure without undue delay); EU Charter Art. 49(3)",
    summary="A listing stays long after the person has performed.",
    what=f"""Flags blacklists that lift a listing on performance only after more than
    {REMOVAL_DAYS} days (`exit.removal_delay_days`; three working days and a weekend), and
    blacklists entered for conduct a person can make good by performing (an unpaid debt, fee
    or other obligation: contractual or administrative conduct whose label names non-payment
    or a debt) that are not lifted on performance at all (`exit.on_performance: false`), so
    that a person who pays stays listed until the listing expires.""",
    why="""A listing for an unmet obligation exists to make people perform. Once they have,
    every further day on the list is a penalty with no reason left: the Chinese court list
    must delete the entry within three working days of performance, and data that are no
    longer needed must be erased without undue delay.""",
    use_instead=f"""Lift the listing on performance (`exit.on_performance: true`) within
    {REMOVAL_DAYS} days (`exit.removal_delay_days: 3`).""",
    bad="""
    behaviours:
      - {id: fine_unpaid, label: "traffic fine left unpaid after a court order", domain: traffic,
         legal_status: administrative, points: -10, social_value: -0.2, utility: 0.2,
         base_rate: 0.001, sources: [traffic_court], evidence: final_decision}
    lists:
      - id: disqualified_drivers
        kind: blacklist
        trigger: {behaviours: [speeding, fine_unpaid], min_records: 4, window_days: 1095}
        duration_days: 365
        exit: {on_performance: true, performance_rate: 0.01, removal_delay_days: 60}
        legal_basis: Road Traffic Act s. 35
    """,
    good="""
    behaviours:
      - {id: fine_unpaid, label: "traffic fine left unpaid after a court order", domain: traffic,
         legal_status: administrative, points: -10, social_value: -0.2, utility: 0.2,
         base_rate: 0.001, sources: [traffic_court], evidence: final_decision}
    lists:
      - id: disqualified_drivers
        kind: blacklist
        trigger: {behaviours: [speeding, fine_unpaid], min_records: 4, window_days: 1095}
        duration_days: 365
        exit: {on_performance: true, performance_rate: 0.01, removal_delay_days: 3}
        legal_basis: Road Traffic Act s. 35
    """,
    since=NEXT_VERSION, status="preview",
)
def slow_removal_after_performance(rb, ctx):
    for i, x in enumerate(rb.lists):
        if x.kind != "blacklist":
            continue
        if x.exit.on_performance:
            d = x.exit.removal_delay_days
            if d > REMOVAL_DAYS:
                yield Finding.at(("lists", i, "exit", "removal_delay_days"),
                                 f"people who perform stay on blacklist '{x.id}' for {d} more days; the court list "
                                 "deletes within three working days",
                                 f"remove the listing within {REMOVAL_DAYS} days of performance (`removal_delay_days: 3`)")
            continue
        owed = [ctx.behaviour(b).id for b in x.trigger.behaviours if b in ctx.behaviour_index and performable(ctx.behaviour(b))]
        if owed:
            end = (f"until the listing ends ({x.duration_days} days)" if x.duration_days is not None
                   else "with no end (the listing is indefinite)")
            yield Finding.at(("lists", i, "exit"),
                             f"blacklist '{x.id}' is entered for obligations a person can meet ({names(owed, 3)}), "
                             f"but performing does not lift it: people who pay stay listed {end}",
                             f"lift the listing on performance (`exit.on_performance: true`) within {REMOVAL_DAYS} days")
