"""Due process (EU Charter Art. 47): notice, reasons, a timely and independent appeal, a way out."""

from __future__ import annotations

from .findings import Finding
from .registry import rule

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
    legal_reference="FCRA s.615(a) (adverse-action notice); Regulation B s.1002.9 (principal reasons); GDPR Art. 22; AI Act Art. 86",
    summary="People are listed without being told, or without being told why.",
    what="Flags blacklists with `notice: false` or `reasons_given: false`.",
    why="""One cannot contest what one does not know about. Credit law requires a notice
    naming the specific principal reasons; 'failed to reach a qualifying score' is not a
    reason, and complex algorithms are no excuse (CFPB Circular 2022-03).""",
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
