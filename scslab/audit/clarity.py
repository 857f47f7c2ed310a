"""Clarity (Fuller 4): conduct in measurable terms, fixed points, sanctions of known length."""

from __future__ import annotations

import re

from .findings import Finding
from .registry import rule

# Words that name a judgement, not an act: whoever keeps the record decides what they cover,
# and a court applying them decides it case by case too ("picking quarrels and provoking
# trouble", "fabricating and spreading false information" are the classic pocket offences).
VAGUE_TERMS = (
    # speech judged by its content
    "rumour", "rumor", "false information", "false news", "false content", "false statements online",
    "falsehood", "fake news", "disinformation", "misinformation", "misleading information",
    "untrue information", "harmful information", "negative information", "negative energy",
    "inappropriate content", "harmful content", "inappropriate remarks", "improper remarks",
    # order and stability
    "picking quarrels", "quarrel", "provoking trouble", "provok", "provocat", "trouble", "stirring up",
    "social order", "public order", "disturbing order", "disrupting order", "social stability",
    "disturbing the peace", "disturbance", "nuisance", "disruptive", "hooligan", "extremis", "subversi",
    # morality and attitude
    "uncivil", "immoral", "social morality", "public morals", "indecorous", "vulgar", "disrespect",
    "unfilial", "unpatriotic", "disloyal", "ungrateful", "untrustworth", "discredit", "disgrace",
    "unethical", "moral", "impolite", "rude", "offensive", "insult", "bad attitude",
    # catch-words
    "improper", "inappropriate", "negative", "harmful", "misconduct", "misbehav", "bad behaviour",
    "bad behavior", "bad conduct", "undesirable", "antisocial", "anti-social", "suspicious",
)
# Phrasings of the same judgements that a word list would miss ("false or misleading
# statements", "spreading made-up stories").
VAGUE_PATTERNS = (
    r"\bfalse\b(?:\W+\w+){0,3}?\W+(?:information|news|content|statements?|stories|posts?|messages?|remarks?|speech)\b",
    r"\b(?:unverified|fabricated|made[\s-]+up|untrue)\W+(?:\w+\W+){0,2}?(?:information|news|content|statements?|stories|posts?|facts?)\b",
    r"\bcaus\w*\s+(?:a\s+)?disturbance",
    r"\bunhealthy\s+(?:content|information|trends?|culture)",
    # speech about those in power is judged by those in power, whoever decides the case
    r"\b(?:defam\w*|slander\w*|libel\w*|smear\w*|disparag\w*|critici[sz]\w*|mock\w*)\b.{0,40}?"
    r"\b(?:officials?|government|state|party|leaders?|authorities|police|heroes|martyrs|nation|country)\b",
)
# Terms of art: vague when a scorer applies them, but defined by law when a court does.
TERMS_OF_ART = ("defam", "libel", "slander")
_VAGUE = re.compile("|".join([r"\b" + re.escape(t).replace(r"\ ", r"\s+") for t in VAGUE_TERMS] + list(VAGUE_PATTERNS)),
                    re.I)
_TERM_OF_ART = re.compile("|".join(r"\b" + re.escape(t) for t in TERMS_OF_ART), re.I)


def vague_term(text: str, decided: bool) -> str | None:
    """The first term in `text` that names a judgement, not an act (see VAGUE_TERMS)."""
    m = _VAGUE.search(text)
    if m:
        shown = " ".join(m.group(0).replace('"', "").split())
        return shown if len(shown) <= 40 else shown[:37] + "..."
    m = _TERM_OF_ART.search(text)
    return m.group(0) if m and not decided else None


@rule(
    code="SCS131", name="vague-behaviour", severity="medium", principle="clarity",
    legal_reference="Fuller (1964) ch. 2 (clarity); EU Charter Art. 49(1); ECHR Art. 7 (foreseeability)",
    summary="A behaviour is named by a judgement ('uncivilised', 'spreading rumours'), not an act.",
    what=f"""Flags behaviours that cost or earn points, or trigger a list, whose label (or id,
    when there is no label) uses a term outside a measurable vocabulary:
    {', '.join(repr(t) for t in VAGUE_TERMS[:6])}, 'picking quarrels', 'provoking trouble',
    'social order', 'uncivil', 'improper' and similar. The finding stands whatever the
    evidence: a vague offence does not become clear because a court applies it. Only terms
    of art with a legal definition ({', '.join(repr(t) for t in TERMS_OF_ART)}) pass when a
    court decided them (`evidence: final_decision`).""",
    why="""What counts as 'uncivilised', a 'rumour' or 'false information' is decided case by
    case by whoever keeps the record, so the rule neither tells people what to avoid nor
    binds the scorer. Vague offences are also the easiest to turn against speech and dissent,
    and a court does not cure them: 'picking quarrels and provoking trouble' is applied by
    courts, and is the standard example of an offence nobody can foresee.""",
    use_instead="""Name the act in observable terms (what was done, and what record shows it),
    or leave it out of the score. A court applying a vague offence does not make it clear.""",
    bad="""
    data_sources:
      - {id: platform, kind: platform, coverage: {default: 0.6}}
    behaviours:
      - {id: rumours, label: "spreading rumours online", domain: online, legal_status: administrative,
         points: -20, social_value: 0.0, utility: 0.1, base_rate: 0.001, sources: [platform],
         evidence: report}
    """,
    good="""
    behaviours:
      - {id: defamation_judged, label: "found liable for defamation by a court", domain: online,
         legal_status: contractual, points: -20, social_value: -0.3, utility: 0.1,
         base_rate: 0.0001, sources: [traffic_court], evidence: final_decision}
    """,
)
def vague_behaviour(rb, ctx):
    listed = {bid for x in rb.lists for bid in x.trigger.behaviours}
    for i, b in enumerate(rb.behaviours):
        if b.points == 0 and b.id not in listed:
            continue
        text = b.label or b.id.replace("_", " ")
        term = vague_term(text if b.act is None else f"{text} / {b.act}", b.evidence == "final_decision")
        if term:
            yield Finding.at(
                ("behaviours", i, "label" if b.label else "id"),
                f"behaviour '{b.id}' ({text}) is named by a judgement ('{term}'), not by a measurable act",
                "describe the act in observable terms; a court applying a vague term does not make it clear",
            )


@rule(
    code="SCS132", name="points-range", severity="medium", principle="clarity",
    legal_reference="Fuller (1964) ch. 2 (clarity); EU Charter Art. 49(1)",
    summary="A behaviour's cost is a range ('-5 to -50'), not a value.",
    what="Flags behaviours with a `points_range` whose ends differ.",
    why="""A range leaves the actual deduction to the scorer's discretion: two people who did
    the same thing can lose 5 or 50 points, and neither can tell in advance which.""",
    use_instead="Give one value per behaviour; if the conduct varies, split it into graded behaviours, each with its own value.",
    bad="""
    behaviours:
      - {id: speeding, label: "driving above the speed limit, as found by a court", domain: traffic,
         legal_status: administrative, points: -10, points_range: [-30, -5], social_value: -0.3,
         utility: 0.2, base_rate: 0.001, sources: [traffic_court], evidence: final_decision}
    """,
    good="""
    behaviours:
      - {id: speeding, label: "driving above the speed limit, as found by a court", domain: traffic,
         legal_status: administrative, points: -10, social_value: -0.3, utility: 0.2,
         base_rate: 0.001, sources: [traffic_court], evidence: final_decision}
    """,
)
def points_range(rb, ctx):
    for i, b in enumerate(rb.behaviours):
        if b.points_range is not None and b.points_range[0] != b.points_range[1]:
            lo, hi = b.points_range
            yield Finding.at(
                ("behaviours", i, "points_range"),
                f"behaviour '{b.id}' costs anywhere from {lo:g} to {hi:g} points: the scorer, not the rule, decides",
                "give one value per behaviour (split it into graded behaviours if the conduct varies)",
            )


@rule(
    code="SCS133", name="listing-without-duration", severity="medium", principle="clarity",
    legal_reference="Fuller (1964) ch. 2 (clarity); EU Charter Art. 49(3) (proportionate penalties)",
    summary="A blacklist does not say how long a listing lasts.",
    what="Flags blacklists with no `duration_days` (listed indefinitely).",
    why="""A sanction whose length is not stated cannot be foreseen or checked: the listed
    person does not know when it ends, and nothing in the rules obliges anyone to end it.""",
    use_instead="State how long a listing lasts (`duration_days`), with a bounded renewal if any.",
    bad="""
    lists:
      - id: disqualified_drivers
        kind: blacklist
        trigger: {behaviours: [speeding], min_records: 4, window_days: 1095}
        duration_days: null
        legal_basis: Road Traffic Act s. 35
    """,
    good="""
    lists:
      - id: disqualified_drivers
        kind: blacklist
        trigger: {behaviours: [speeding], min_records: 4, window_days: 1095}
        duration_days: 365
        legal_basis: Road Traffic Act s. 35
    """,
)
def listing_without_duration(rb, ctx):
    for i, x in enumerate(rb.lists):
        if x.kind == "blacklist" and x.duration_days is None:
            yield Finding.at(
                ("lists", i, "duration_days"),
                f"blacklist '{x.id}' lists people for no stated length of time",
                "give `duration_days` (and a bounded renewal, if any)",
            )
