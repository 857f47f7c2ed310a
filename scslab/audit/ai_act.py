"""EU AI Act Art. 5(1)(c): social scoring that leads to detriment in unrelated contexts (i)
or to detriment unjustified or disproportionate to the behaviour or its gravity (ii)."""

from __future__ import annotations

import re

from .context import names
from .findings import Finding
from .registry import rule

# Domains whose scoring evaluates "social behaviour" beyond a single specific purpose.
SOCIAL_DOMAINS = frozenset({"civic", "family", "consumption", "online", "political", "health", "other"})
# Annex III point 5: public assistance, creditworthiness, life and health insurance. The
# schema's `insurance` sector covers every kind; only life and health insurance is listed,
# so an insurance measure counts when its id, label or note says so.
ANNEX_III_5_SECTORS = {"loans": "creditworthiness", "mortgages": "creditworthiness",
                       "insurance": "life and health insurance pricing", "welfare": "public assistance"}
_LIFE_OR_HEALTH = re.compile(r"\b(life|health|medical|sickness|illness|hospital\w*|care)\b", re.I)
TRIVIAL_HARM = -0.1  # social_value above this: conduct of negligible harm to others


def annex_iii_use(m) -> str | None:
    """The Annex III point 5 use a sanction or privilege bears on, or None."""
    if m.sector not in ANNEX_III_5_SECTORS:
        return None
    if m.sector == "insurance":
        words = " ".join(x for x in (m.id.replace("_", " "), m.label, m.note) if x)
        if not _LIFE_OR_HEALTH.search(words):
            return None
    return ANNEX_III_5_SECTORS[m.sector]


def classifications(rb) -> list[tuple[str, list[str]]]:
    """Each evaluation that has consequences, with the domains of the conduct it draws on.

    The score counts when grades carry measures or lists are entered by score; each list
    entered by recorded conduct counts on its own. With no consequence anywhere, a score
    that is kept at all still counts (as "the score").
    """
    scored = sorted({b.domain for b in rb.behaviours if b.points != 0})
    score_used = any(m.applies_to.grades for m in list(rb.sanctions) + list(rb.privileges)) or any(
        x.trigger.score_below is not None or x.trigger.score_at_least is not None for x in rb.lists
    )
    out = []
    if scored and score_used:
        out.append(("the score", scored))
    by_id = {b.id: b for b in rb.behaviours}
    for x in rb.lists:
        doms = sorted({by_id[b].domain for b in x.trigger.behaviours if b in by_id})
        if doms:
            out.append((f"list '{x.id}'", doms))
    if not out and scored:
        out.append(("the score", scored))
    return out


def score_feeds_detriment(rb) -> bool:
    return any(m.applies_to.grades for m in rb.sanctions) or any(
        x.kind == "blacklist" and x.trigger.score_below is not None for x in rb.lists
    )


def unrelated_feeders(rb, ctx, si: int) -> dict[str, list[str]]:
    """For sanction si: domain -> behaviour ids feeding it from contexts unrelated to its sector."""
    m = rb.sanctions[si]
    out: dict[str, list[str]] = {}
    for bi in ctx.sanction_feeders[si]:
        b = rb.behaviours[bi]
        if not ctx.related(b.domain, m.sector):
            out.setdefault(b.domain, []).append(b.id)
    return out


@rule(
    code="SCS301", name="cross-context-detriment", severity="critical", principle="ai-act",
    legal_reference="AI Act Art. 5(1)(c)(i); Commission guidelines on prohibited practices (2025)",
    summary="A sanction hits a context unrelated to the one where the conduct was recorded.",
    what="""For each sanction, finds the conduct that can lead to it (through a list's
    trigger, or through the score for grade sanctions and score-triggered lists) and flags
    the sanction when any of that conduct comes from a domain the relatedness map does not
    link to the sanction's sector.""",
    why="""Detriment "in social contexts that are unrelated to the contexts in which the data
    was originally generated or collected" is the first alternative condition of the ban. Credit
    history used for credit is one context; unpaid bills that bar someone from trains,
    schools or public jobs are not.""",
    use_instead="Restrict a sector only for conduct recorded in that context, or drop the sanction.",
    bad="""
    sanctions:
      - {id: school_bar, sector: schools, applies_to: {list: disqualified_drivers},
         magnitude: 1.0, legal_basis: Education Act s. 9}
    """,
    good="""
    sanctions:
      - {id: licence_suspension, sector: driving_licences, applies_to: {list: disqualified_drivers},
         magnitude: 1.0, legal_basis: Road Traffic Act s. 35}
    """,
)
def cross_context_detriment(rb, ctx):
    for si, m in enumerate(rb.sanctions):
        bad = unrelated_feeders(rb, ctx, si)
        if bad:
            detail = "; ".join(f"{d}: {names(ids, 3)}" for d, ids in sorted(bad.items()))
            yield Finding.at(("sanctions", si, "sector"),
                             f"sanction '{m.id}' restricts {m.sector} for conduct recorded in unrelated contexts ({detail})",
                             f"restrict {m.sector} only for conduct recorded in that context, or drop the sanction")


@rule(
    code="SCS302", name="disproportionate-detriment", severity="critical", principle="ai-act",
    legal_reference="AI Act Art. 5(1)(c)(ii); EU Charter Art. 49(3)",
    summary="A sanction can follow from lawful conduct or conduct of negligible harm.",
    what=f"""For each sanction, flags the conduct that can lead to it while being lawful, or
    of negligible harm to others (`social_value` above {TRIVIAL_HARM}).""",
    why="""Detriment that is "unjustified or disproportionate to their social behaviour or its
    gravity" is the second alternative condition of the ban. Losing access to loans
    or welfare because of late fees or lawful conduct is out of all proportion to it.""",
    use_instead="Let only conduct of matching gravity lead to the sanction: keep lawful and trivial conduct out of its triggers.",
    bad="""
    behaviours:
      - {id: parking_fee_unpaid, label: "not paying a parking fee", domain: traffic,
         legal_status: contractual, points: -5, social_value: -0.05, utility: 0.1,
         base_rate: 0.002, sources: [traffic_court], evidence: final_decision}
    lists:
      - id: disqualified_drivers
        kind: blacklist
        trigger: {behaviours: [speeding, parking_fee_unpaid], min_records: 4, window_days: 1095}
        duration_days: 365
        legal_basis: Road Traffic Act s. 35
    """,
    good="""
    behaviours:
      - {id: parking_fee_unpaid, label: "not paying a parking fee", domain: traffic,
         legal_status: contractual, points: -5, social_value: -0.05, utility: 0.1,
         base_rate: 0.002, sources: [traffic_court], evidence: final_decision}
    lists:
      - id: disqualified_drivers
        kind: blacklist
        trigger: {behaviours: [speeding], min_records: 4, window_days: 1095}
        duration_days: 365
        legal_basis: Road Traffic Act s. 35
    """,
)
def disproportionate_detriment(rb, ctx):
    for si, m in enumerate(rb.sanctions):
        lawful, trivial = [], []
        for bi in ctx.sanction_feeders[si]:
            b = rb.behaviours[bi]
            if b.legal_status == "lawful":
                lawful.append(b.id)
            elif b.social_value > TRIVIAL_HARM:
                trivial.append(b.id)
        parts = []
        if lawful:
            parts.append(f"lawful conduct ({names(lawful, 3)})")
        if trivial:
            parts.append(f"conduct of negligible harm ({names(trivial, 3)})")
        if parts:
            yield Finding.at(("sanctions", si, "applies_to"),
                             f"sanction '{m.id}' ({m.sector}) can follow from {' and '.join(parts)}",
                             "let only conduct of matching gravity lead to this sanction")


@rule(
    code="SCS303", name="general-social-score", severity="high", principle="ai-act",
    legal_reference="AI Act Art. 5(1)(c) (evaluation over time of social behaviour); Commission guidelines (2025)",
    summary="One score aggregates conduct from several areas of life and leads to sanctions.",
    what="""Flags a rulebook whose score (or lists) evaluate conduct from two or more domains,
    or from private and civic life, when the score itself leads to sanctions (grade sanctions
    or score-triggered blacklists).""",
    why="""Evaluating people over time on their social behaviour, drawn from several sources, is
    what makes a score a social score in the Act's sense. Once such a score decides
    sanctions, detriment in unrelated contexts follows almost by construction.""",
    use_instead="Keep separate, purpose-bound evaluations per context, each with its own consequences.",
    bad="""
    behaviours:
      - {id: volunteering, label: "volunteering at a registered charity", domain: civic,
         legal_status: lawful, points: 5, social_value: 0.4, utility: -0.2, base_rate: 0.004,
         sources: [traffic_court], evidence: final_decision}
    sanctions:
      - {id: insurance_surcharge, sector: insurance, applies_to: {grades: [restricted]},
         magnitude: 0.5, legal_basis: Motor Insurance Act s. 4}
    """,
    good="""
    sanctions:
      - {id: insurance_surcharge, sector: insurance, applies_to: {grades: [restricted]},
         magnitude: 0.5, legal_basis: Motor Insurance Act s. 4}
    """,
)
def general_social_score(rb, ctx):
    if not score_feeds_detriment(rb):
        return
    doms = sorted({b.domain for b in rb.behaviours if b.points != 0})
    social = sorted(set(doms) & SOCIAL_DOMAINS)
    if len(doms) >= 2 or social:
        yield Finding.at(("behaviours",),
                         f"one score evaluates conduct from {len(doms)} domain(s) ({', '.join(doms)}) and decides sanctions",
                         "keep separate, purpose-bound evaluations per context, each with its own consequences")


@rule(
    code="SCS304", name="high-risk-use", severity="low", principle="ai-act",
    legal_reference="AI Act Annex III point 5; AI Act Arts. 10, 14, 27, 86",
    summary="A measure bears on credit, life and health insurance or public assistance: a high-risk use.",
    what="""Flags sanctions and privileges in the sectors loans and mortgages
    (creditworthiness), welfare (public assistance) and insurance when the measure's id,
    label or note names life or health insurance (Annex III point 5 lists life and health
    insurance only; motor or property insurance is not in it). Informational: such uses are
    allowed, under obligations.""",
    why="""Creditworthiness, life and health insurance pricing and eligibility for public
    assistance are high-risk uses: they need representative, checked data (Art. 10), human
    oversight able to override (Art. 14), a fundamental-rights impact assessment (Art. 27)
    and a clear explanation to the person affected (Art. 86).""",
    use_instead="Document data governance, human oversight, a fundamental-rights impact assessment and explanations (Arts. 10, 14, 27, 86), or keep the measure out of these decisions.",
    bad="""
    sanctions:
      - {id: health_insurance_surcharge, sector: insurance, applies_to: {list: disqualified_drivers},
         magnitude: 0.5, label: "higher health insurance premiums", legal_basis: Health Insurance Act s. 4}
    """,
    good="""
    sanctions:
      - {id: insurance_surcharge, sector: insurance, applies_to: {list: disqualified_drivers},
         magnitude: 0.5, label: "higher motor insurance premiums", legal_basis: Motor Insurance Act s. 4}
    """,
)
def high_risk_use(rb, ctx):
    for kind in ("sanctions", "privileges"):
        for i, m in enumerate(getattr(rb, kind)):
            use = annex_iii_use(m)
            if use:
                yield Finding.at((kind, i, "sector"),
                                 f"{kind[:-1]} '{m.id}' bears on {use} ({m.sector}): a high-risk use under Annex III point 5",
                                 "document data governance, human oversight, an impact assessment and explanations (Arts. 10, 14, 27, 86)")
