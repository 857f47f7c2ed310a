"""Non-contradiction (Fuller 5): the rules do not reward and punish the same thing."""

from __future__ import annotations

import re

from .findings import Finding
from .registry import rule

_STOP = {
    "a", "an", "the", "of", "on", "in", "for", "to", "and", "or", "by", "with", "per", "as", "at",
    "reward", "rewarded", "bonus", "penalty", "penalised", "penalized", "deduction", "plus", "minus",
}


def conduct_key(label: str | None, bid: str) -> frozenset[str]:
    """The words naming the conduct, without sign words ('reward', 'penalty') or filler."""
    words = re.findall(r"[a-z0-9]+", (label or bid.replace("_", " ").replace("-", " ")).lower())
    return frozenset(w for w in words if w not in _STOP)


@rule(
    code="SCS141", name="rewarded-and-punished", severity="high", principle="non-contradiction",
    legal_reference="Fuller (1964) ch. 2 (non-contradiction)",
    summary="The same conduct is both rewarded and punished.",
    what="""Flags a behaviour that earns points but puts people on a blacklist, that costs
    points but puts people on a redlist, or that triggers both a blacklist and a redlist; and
    two behaviours naming the same conduct (same words in the label, or in the id when there
    is no label) with points of opposite sign.""",
    why="""When the rules pull both ways, no conduct complies: whatever people do is both
    right and wrong, and what happens to them depends on which rule the scorer applies.""",
    use_instead="Decide whether the conduct is wanted, then either reward it or punish it.",
    bad="""
    lists:
      - id: model_drivers
        kind: redlist
        trigger: {behaviours: [speeding], min_records: 1}
        duration_days: 365
    """,
    good="""
    behaviours:
      - {id: safe_driving_course, label: "completing an advanced driving course", domain: traffic,
         legal_status: lawful, points: 5, social_value: 0.3, utility: -0.1, base_rate: 0.0001,
         sources: [traffic_court], evidence: final_decision}
    lists:
      - id: model_drivers
        kind: redlist
        trigger: {behaviours: [safe_driving_course], min_records: 1}
        duration_days: 365
    """,
)
def rewarded_and_punished(rb, ctx):
    black: dict[str, str] = {}
    red: dict[str, str] = {}
    for x in rb.lists:
        for bid in x.trigger.behaviours:
            (black if x.kind == "blacklist" else red).setdefault(bid, x.id)
    for i, b in enumerate(rb.behaviours):
        path = ("behaviours", i, "points")
        if b.points > 0 and b.id in black:
            yield Finding.at(path, f"behaviour '{b.id}' earns {b.points:g} points yet puts people on blacklist '{black[b.id]}'",
                             "decide whether the conduct is wanted; reward it or punish it, not both")
        elif b.points < 0 and b.id in red:
            yield Finding.at(path, f"behaviour '{b.id}' costs {-b.points:g} points yet puts people on redlist '{red[b.id]}'",
                             "decide whether the conduct is wanted; reward it or punish it, not both")
        elif b.id in black and b.id in red:
            yield Finding.at(("behaviours", i, "id"),
                             f"behaviour '{b.id}' puts people on both blacklist '{black[b.id]}' and redlist '{red[b.id]}'",
                             "remove it from one of the two triggers")
    seen: dict[frozenset, int] = {}
    for i, b in enumerate(rb.behaviours):
        if b.points == 0:
            continue
        key = conduct_key(b.label, b.id)
        if not key:
            continue
        j = seen.get(key)
        if j is not None and (rb.behaviours[j].points > 0) != (b.points > 0):
            o = rb.behaviours[j]
            yield Finding.at(("behaviours", i, "points"),
                             f"behaviour '{b.id}' ({b.points:+g}) and '{o.id}' ({o.points:+g}) name the same conduct with opposite signs",
                             "keep one behaviour for the conduct, with one sign")
        seen.setdefault(key, i)


@rule(
    code="SCS142", name="grade-sanctioned-and-privileged", severity="medium", principle="non-contradiction",
    legal_reference="Fuller (1964) ch. 2 (non-contradiction)",
    summary="The same grade is both sanctioned and privileged.",
    what="Flags grades named by both a sanction's and a privilege's `applies_to.grades`.",
    why="""A grade that brings both a restriction and a reward says two things about the same
    people at once; the rules give no way to tell which message is meant.""",
    use_instead="Attach sanctions and privileges to different grades.",
    bad="""
    sanctions:
      - {id: insurance_surcharge, sector: insurance, applies_to: {grades: [restricted]},
         magnitude: 0.5, legal_basis: Motor Insurance Act s. 4}
    privileges:
      - {id: parking_discount, sector: other, applies_to: {grades: [restricted]}, magnitude: 0.1}
    """,
    good="""
    sanctions:
      - {id: insurance_surcharge, sector: insurance, applies_to: {grades: [restricted]},
         magnitude: 0.5, legal_basis: Motor Insurance Act s. 4}
    privileges:
      - {id: parking_discount, sector: other, applies_to: {grades: [clear]}, magnitude: 0.1}
    """,
)
def grade_sanctioned_and_privileged(rb, ctx):
    sanctioned = {}
    for m in rb.sanctions:
        for g in m.applies_to.grades or []:
            sanctioned.setdefault(g, m.id)
    for i, m in enumerate(rb.privileges):
        for j, g in enumerate(m.applies_to.grades or []):
            if g in sanctioned:
                yield Finding.at(("privileges", i, "applies_to", "grades", j),
                                 f"grade '{g}' is both sanctioned ('{sanctioned[g]}') and privileged ('{m.id}')",
                                 "attach privileges and sanctions to different grades")


@rule(
    code="SCS143", name="list-thresholds-overlap", severity="medium", principle="non-contradiction",
    legal_reference="Fuller (1964) ch. 2 (non-contradiction)",
    summary="A score can put someone on a blacklist and a redlist at once.",
    what="""Flags a redlist whose `score_at_least` lies below a blacklist's `score_below`:
    scores in between qualify for both.""",
    why="""A person cannot be at once a model citizen and untrustworthy; overlapping
    thresholds show the scale is not read consistently.""",
    use_instead="Put every redlist threshold at or above every blacklist threshold.",
    bad="""
    lists:
      - {id: low_scorers, kind: blacklist, trigger: {score_below: 60}, duration_days: 365,
         legal_basis: Road Traffic Act s. 35}
      - {id: good_drivers, kind: redlist, trigger: {score_at_least: 50}, duration_days: 365}
    """,
    good="""
    lists:
      - {id: low_scorers, kind: blacklist, trigger: {score_below: 40}, duration_days: 365,
         legal_basis: Road Traffic Act s. 35}
      - {id: good_drivers, kind: redlist, trigger: {score_at_least: 90}, duration_days: 365}
    """,
)
def list_thresholds_overlap(rb, ctx):
    blacks = [(x, x.trigger.score_below) for x in rb.lists if x.kind == "blacklist" and x.trigger.score_below is not None]
    for i, x in enumerate(rb.lists):
        t = x.trigger.score_at_least
        if x.kind != "redlist" or t is None:
            continue
        for b, below in blacks:
            if t < below:
                yield Finding.at(("lists", i, "trigger", "score_at_least"),
                                 f"redlist '{x.id}' starts at {t:g}, below blacklist '{b.id}' ({below:g}): scores in [{t:g}, {below:g}) are on both",
                                 "put the redlist threshold at or above every blacklist threshold")
