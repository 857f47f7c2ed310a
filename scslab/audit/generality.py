"""Generality (Fuller 1): rules bind everyone alike and name the conduct they cover."""

from __future__ import annotations

import re

from .findings import Finding
from .registry import rule


@rule(
    code="SCS101", name="targeted-group-rule", severity="high", principle="generality",
    legal_reference="Fuller, The Morality of Law (1964), ch. 2 (generality); EU Charter Art. 20-21",
    summary="A behaviour is scored only for some groups of people.",
    what="Flags behaviours whose `applies_to` names particular groups instead of everyone.",
    why="""A rule is law-like when it binds everyone who does the act. Points that apply only to
    some groups (migrants, a district, members of a category) single them out: the same act
    costs them what it does not cost others, which is unequal treatment by design.""",
    use_instead="Score the act alike for everyone: leave `applies_to` unset.",
    bad="""
    behaviours:
      - {id: late_rent, label: "paying rent late", domain: finance, legal_status: contractual,
         points: -5, social_value: -0.1, utility: 0.2, base_rate: 0.001, sources: [traffic_court],
         evidence: final_decision, applies_to: [migrant]}
    """,
    good="""
    behaviours:
      - {id: late_rent, label: "paying rent late", domain: finance, legal_status: contractual,
         points: -5, social_value: -0.1, utility: 0.2, base_rate: 0.001, sources: [traffic_court],
         evidence: final_decision}
    """,
)
def targeted_group_rule(rb, ctx):
    for i, b in enumerate(rb.behaviours):
        if b.applies_to:
            yield Finding.at(
                ("behaviours", i, "applies_to"),
                f"behaviour '{b.id}' is scored only for {', '.join(b.applies_to)}: the same act is free for everyone else",
                "drop `applies_to` so the rule binds everyone, or remove the rule",
            )


_OTHER = re.compile(r"^\s*(other|any other|miscellaneous|etc)\b", re.I)


@rule(
    code="SCS102", name="catch-all-behaviour", severity="medium", principle="generality",
    legal_reference="Fuller (1964) ch. 2 (generality, clarity); EU Charter Art. 49(1) (legality of offences)",
    summary="An open-ended 'other ...' behaviour lets the scorer penalise anything.",
    what="""Flags behaviours marked `catch_all: true`, or whose label or id starts with 'other',
    'any other' or 'miscellaneous', when they cost or earn points.""",
    why="""A catch-all rule ("other untrustworthy conduct") does not tell anyone what is
    forbidden; it moves the decision from the rule to whoever keeps the record. Nobody can
    plan their conduct around it, and like cases need not be treated alike.""",
    use_instead="Name each act the system scores: replace the catch-all with the specific behaviours it stands for.",
    bad="""
    behaviours:
      - {id: other_misconduct, label: "other traffic misconduct", domain: traffic,
         legal_status: administrative, points: -10, social_value: -0.1, utility: 0.1,
         base_rate: 0.001, sources: [traffic_court], evidence: final_decision, catch_all: true}
    """,
    good="""
    behaviours:
      - {id: running_red_light, label: "driving through a red light, as found by a court",
         domain: traffic, legal_status: administrative, points: -10, social_value: -0.3,
         utility: 0.1, base_rate: 0.001, sources: [traffic_court], evidence: final_decision}
    """,
)
def catch_all_behaviour(rb, ctx):
    for i, b in enumerate(rb.behaviours):
        open_ended = b.catch_all or _OTHER.match(b.label or "") or _OTHER.match(b.id.replace("_", " "))
        if open_ended and b.points != 0:
            yield Finding.at(
                ("behaviours", i, "catch_all" if b.catch_all else "label"),
                f"behaviour '{b.id}' ({b.label or b.id}) is open-ended: it can cover any conduct the record keeper chooses",
                "list the specific acts this covers as separate behaviours, each with its own points",
            )
