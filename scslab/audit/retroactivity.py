"""Non-retroactivity (Fuller 3): no rule reaches conduct from before it was made public."""

from __future__ import annotations

import datetime as dt

from .findings import Finding
from .registry import rule


@rule(
    code="SCS121", name="effective-before-published", severity="high", principle="non-retroactivity",
    legal_reference="Fuller (1964) ch. 2 (non-retroactivity); EU Charter Art. 49(1)",
    summary="A rule takes effect before it was published.",
    what="""Flags a rulebook whose `metadata.effective` date precedes `metadata.published`, and
    behaviours whose own `effective` date precedes the publication.""",
    why="""Conduct between the effective date and publication is judged by a rule that
    nobody could have known. Penalising it punishes people for failing to follow a rule
    that did not yet exist for them.""",
    use_instead="Publish the rules before they take effect (`metadata.published` on or before `metadata.effective`).",
    bad="""
    metadata: {published: 2024-06-01, effective: 2024-03-01}
    """,
    good="""
    metadata: {published: 2024-01-01, effective: 2024-03-01}
    """,
)
def effective_before_published(rb, ctx):
    md = rb.metadata
    if md.published is None:
        return  # SCS111 reports the missing publication
    if md.effective < md.published:
        days = (md.published - md.effective).days
        yield Finding.at(
            ("metadata", "effective"),
            f"the rules took effect on {md.effective}, {days} days before they were published on {md.published}",
            "make the effective date no earlier than the publication date",
        )
    for i, b in enumerate(rb.behaviours):
        if b.effective is not None and b.effective < md.published and b.points != 0:
            yield Finding.at(
                ("behaviours", i, "effective"),
                f"behaviour '{b.id}' is scored from {b.effective}, before the rules were published on {md.published}",
                "score the behaviour only from its publication date",
            )


@rule(
    code="SCS122", name="lookback-before-adoption", severity="high", principle="non-retroactivity",
    legal_reference="Fuller (1964) ch. 2 (non-retroactivity); EU Charter Art. 49(1)",
    summary="Past conduct from before the rules were adopted is counted.",
    what="""Flags behaviours whose `lookback_days` reach back before the rules were published
    (or, with no publication date, before they took effect).""",
    why="""A look-back turns yesterday's lawful or unscored conduct into today's deduction.
    People could not have adjusted conduct that happened before the rule was known.""",
    use_instead="Count only conduct after the rule took effect (`lookback_days: 0`).",
    bad="""
    behaviours:
      - {id: speeding, label: "driving above the speed limit, as found by a court", domain: traffic,
         legal_status: administrative, points: -10, social_value: -0.3, utility: 0.2,
         base_rate: 0.001, sources: [traffic_court], evidence: final_decision, lookback_days: 730}
    """,
    good="""
    behaviours:
      - {id: speeding, label: "driving above the speed limit, as found by a court", domain: traffic,
         legal_status: administrative, points: -10, social_value: -0.3, utility: 0.2,
         base_rate: 0.001, sources: [traffic_court], evidence: final_decision, lookback_days: 0}
    """,
)
def lookback_before_adoption(rb, ctx):
    md = rb.metadata
    adopted = md.published or md.effective
    for i, b in enumerate(rb.behaviours):
        if b.lookback_days <= 0 or b.points == 0:
            continue
        start = (b.effective or md.effective) - dt.timedelta(days=b.lookback_days)
        if start < adopted:
            yield Finding.at(
                ("behaviours", i, "lookback_days"),
                f"behaviour '{b.id}' counts conduct back to {start}, {(adopted - start).days} days before the rules were "
                f"{'published' if md.published else 'in effect'} ({adopted})",
                "set `lookback_days` to 0, or count only conduct after publication",
            )
