"""Clarity (Fuller 4): conduct in measurable terms, fixed points, sanctions of known length."""

from __future__ import annotations

import re

from .findings import Finding
from .registry import rule

# Words that name a judgement, not an act: whoever keeps the record decides what they cover.
VAGUE_TERMS = (
    "uncivil", "rumour", "rumor", "defam", "improper", "inappropriate", "immoral", "untrustworth",
    "negative", "harmful", "disruptive", "misconduct", "bad behaviour", "bad behavior",
    "social order", "trouble", "provocat", "quarrel", "vulgar", "disrespect", "unfilial",
    "unpatriotic", "undesirable", "antisocial", "anti-social", "suspicious",
)
_VAGUE = re.compile("|".join(re.escape(t) for t in VAGUE_TERMS), re.I)


@rule(
    code="SCS131", name="vague-behaviour", severity="medium", principle="clarity",
    legal_reference="Fuller (1964) ch. 2 (clarity); EU Charter Art. 49(1); ECHR Art. 7 (foreseeability)",
    summary="A behaviour is named by a judgement ('uncivilised', 'spreading rumours'), not an act.",
    what=f"""Flags behaviours that cost or earn points and whose label uses a term outside a
    measurable vocabulary: {', '.join(repr(t) for t in VAGUE_TERMS[:8])} and similar.""",
    why="""What counts as 'uncivilised' or a 'rumour' is decided case by case by whoever keeps
    the record, so the rule neither tells people what to avoid nor binds the scorer. Vague
    offences are also the easiest to turn against speech and dissent.""",
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
    for i, b in enumerate(rb.behaviours):
        text = b.label or b.id.replace("_", " ")
        m = _VAGUE.search(text)
        # a court's finding ("found liable for defamation") names a decided act, not a judgement call
        if m and b.points != 0 and b.evidence != "final_decision":
            yield Finding.at(
                ("behaviours", i, "label" if b.label else "id"),
                f"behaviour '{b.id}' ({text}) is named by a judgement ('{m.group(0)}...'), not by a measurable act",
                "describe the act in observable terms, or rest it on a decision that defines it (evidence: final_decision)",
            )


@rule(
    code="SCS132", name="points-range", severity="medium", principle="clarity",
    legal_reference="Fuller (1964) ch. 2 (clarity); EU Charter Art. 49(1)",
    summary="A behaviour's cost is a range ('-5 to -50'), not a value.",
    what="Flags behaviours with a `points_range` whose ends differ.",
    why="""A range leaves the actual deduction to the scorer's discretion: two people who did
    the same thing can lose 5 or 50 points, and neither can tell in advance which.""",
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
