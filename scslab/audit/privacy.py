"""Privacy (EU Charter Arts. 7-8): sharing data stays a free choice; private life is not scored."""

from __future__ import annotations

from .findings import Finding
from .registry import rule

PRIVATE_DOMAINS = ("family", "health", "consumption", "online", "political")


@rule(
    code="SCS251", name="non-disclosure-penalised", severity="high", principle="privacy",
    legal_reference="EU Charter Art. 8; GDPR Arts. 6(1)(a), 7(4) (consent freely given)",
    summary="Citizens lose points for not disclosing their data.",
    what="Flags `disclosure.penalty` above 0.",
    why="""When keeping data private costs points, privacy itself becomes a mark of suspicion.
    Consent extracted by a penalty is not freely given.""",
    use_instead="Do not penalise non-disclosure (`disclosure.penalty: 0`).",
    bad="""
    disclosure: {penalty: 0.5}
    """,
    good="""
    disclosure: {penalty: 0}
    """,
)
def non_disclosure_penalised(rb, ctx):
    if rb.disclosure.penalty > 0:
        yield Finding.at(("disclosure", "penalty"),
                         f"citizens lose {rb.disclosure.penalty:g} points a day for not disclosing their data",
                         "do not penalise non-disclosure (`disclosure.penalty: 0`)")


@rule(
    code="SCS252", name="disclosure-rewarded", severity="medium", principle="privacy",
    legal_reference="GDPR Art. 7(4) (consent freely given); EU Charter Art. 8",
    summary="Citizens earn points for disclosing their data.",
    what="Flags `disclosure.reward` above 0.",
    why="""A reward for disclosure is a penalty for privacy seen from the other side: those who
    keep their data end up below those who gave it away, for no conduct of their own.""",
    use_instead="Do not reward disclosure (`disclosure.reward: 0`).",
    bad="""
    disclosure: {reward: 20}
    """,
    good="""
    disclosure: {reward: 0}
    """,
)
def disclosure_rewarded(rb, ctx):
    if rb.disclosure.reward > 0:
        yield Finding.at(("disclosure", "reward"),
                         f"citizens earn {rb.disclosure.reward:g} points for disclosing their data, so keeping it private costs them",
                         "do not reward disclosure (`disclosure.reward: 0`)")


@rule(
    code="SCS253", name="private-life-scored", severity="medium", principle="privacy",
    legal_reference="EU Charter Art. 7 (private and family life); AI Act Art. 5(1)(c)",
    summary="Conduct in private life (family, health, purchases, online, politics) is scored.",
    what=f"""Flags behaviours in the domains {', '.join(PRIVATE_DOMAINS)} that cost or earn
    points or trigger a list.""",
    why="""Scoring how people care for their parents, what they buy, what they post or which
    causes they join puts private life under permanent review, and rewards the display of
    approved conduct over the conduct itself.""",
    use_instead="Leave private life out of the score: set the points of such conduct to 0 and keep it out of list triggers.",
    bad="""
    behaviours:
      - {id: caring_for_elders, label: "visiting elderly parents", domain: family,
         legal_status: lawful, points: 5, social_value: 0.5, utility: -0.2, base_rate: 0.002,
         sources: [traffic_court], evidence: final_decision}
    """,
    good="""
    behaviours:
      - {id: caring_for_elders, label: "visiting elderly parents", domain: family,
         legal_status: lawful, points: 0, social_value: 0.5, utility: -0.2, base_rate: 0.002,
         sources: [traffic_court], evidence: final_decision}
    """,
)
def private_life_scored(rb, ctx):
    triggers = {b for x in rb.lists for b in x.trigger.behaviours}
    for i, b in enumerate(rb.behaviours):
        if b.domain in PRIVATE_DOMAINS and (b.points != 0 or b.id in triggers):
            yield Finding.at(("behaviours", i, "domain"),
                             f"behaviour '{b.id}' ({b.label or b.id}) scores {b.domain} life ({b.points:+g} points)",
                             "leave private life out of the score")
