"""Promulgation (Fuller 2): people can know the rules and see their own record."""

from __future__ import annotations

from .findings import Finding
from .registry import rule


@rule(
    code="SCS111", name="unpublished-rules", severity="high", principle="promulgation",
    legal_reference="Fuller (1964) ch. 2 (promulgation); AI Act Art. 86 (explanation); GDPR Arts. 13-15",
    summary="The behaviours and their points are not published.",
    what="""Flags a rulebook whose `publicity.rules_published` is false, or whose
    `metadata.published` date is missing (the rules were never made public).""",
    why="""A rule nobody can read cannot guide conduct; it can only be applied after the
    fact. People scored under secret rules cannot know what costs points, cannot check
    that a deduction followed the rules, and cannot contest it.""",
    use_instead="Publish the behaviours and their points (`publicity.rules_published: true`) before they are applied.",
    bad="""
    publicity: {rules_published: false}
    """,
    good="""
    publicity: {rules_published: true}
    """,
)
def unpublished_rules(rb, ctx):
    if not rb.publicity.rules_published:
        yield Finding.at(
            ("publicity", "rules_published"),
            "the behaviours and their points are not published: people cannot know what costs them points",
            "publish every behaviour with its points (set `publicity.rules_published: true`)",
        )
    if rb.metadata.published is None:
        yield Finding.at(
            ("metadata", "published"),
            "the rulebook has no publication date: it was never made public",
            "publish the rules and record the date in `metadata.published`",
        )


@rule(
    code="SCS112", name="unpublished-thresholds", severity="high", principle="promulgation",
    legal_reference="Fuller (1964) ch. 2 (promulgation); FCRA s.615(a) (score and its range disclosed)",
    summary="Grade and list thresholds are secret.",
    what="Flags `publicity.thresholds_published: false` when grades or lists carry consequences.",
    why="""Knowing that an act costs 20 points means little without knowing where the line
    is: the threshold decides who is sanctioned. Secret cut-offs keep people from judging
    how close they are to a sanction and from checking that one was applied correctly.""",
    use_instead="Publish the grade and list thresholds (`publicity.thresholds_published: true`).",
    bad="""
    publicity: {thresholds_published: false}
    """,
    good="""
    publicity: {thresholds_published: true}
    """,
)
def unpublished_thresholds(rb, ctx):
    if not rb.publicity.thresholds_published and (rb.lists or rb.sanctions or rb.privileges):
        yield Finding.at(
            ("publicity", "thresholds_published"),
            "grade and list thresholds are not published: people cannot tell how close they are to a sanction",
            "publish the grade bands and list triggers (set `publicity.thresholds_published: true`)",
        )


@rule(
    code="SCS113", name="own-record-invisible", severity="high", principle="promulgation",
    legal_reference="GDPR Art. 15 (right of access); FCRA s.609 (disclosure of the file to the consumer); AI Act Art. 86",
    summary="Citizens cannot see their own record.",
    what="Flags `publicity.own_record_visible: false`.",
    why="""Without access to one's own record, a false or excusable entry cannot be spotted,
    let alone disputed; every other safeguard (notice, appeal, repair) depends on it.""",
    use_instead="Let every person see their own record (`publicity.own_record_visible: true`).",
    bad="""
    publicity: {own_record_visible: false}
    """,
    good="""
    publicity: {own_record_visible: true}
    """,
)
def own_record_invisible(rb, ctx):
    if not rb.publicity.own_record_visible:
        yield Finding.at(
            ("publicity", "own_record_visible"),
            "citizens cannot see their own record, so they cannot find or dispute a false entry",
            "give every citizen free access to their record (set `publicity.own_record_visible: true`)",
        )
