"""Congruence (Fuller 8): what the system does matches what its declared rules produce."""

from __future__ import annotations

from .findings import Finding
from .registry import rule


def _list_reachable(ctx, x) -> bool:
    lo, hi = ctx.reachable
    t = x.trigger
    if t.score_below is not None and t.score_below > lo:
        return True
    if t.score_at_least is not None and t.score_at_least <= hi:
        return True
    return any(ctx.behaviour(b).observable for b in t.behaviours if b in ctx.behaviour_index)


@rule(
    code="SCS171", name="unreachable-measure", severity="medium", principle="congruence",
    legal_reference="Fuller (1964) ch. 2 (congruence between declared rule and official action)",
    summary="A sanction or privilege applies to a grade or list that no score can reach.",
    what="""Works out which scores the rules can produce (from the base, given which
    behaviours cost or earn points) and flags measures whose grades all lie outside that
    range, or whose list no recorded conduct or reachable score can enter.""",
    why="""A measure no declared rule can produce is either dead text or, worse, applied on
    grounds the rulebook does not state. Either way the published rules do not describe
    what the system does.""",
    use_instead="Attach each measure to a grade or list the rules can produce, or remove it.",
    bad="""
    privileges:
      - {id: priority_parking, sector: other, applies_to: {grades: [clear]}, magnitude: 0.1}
    scale: {base: 40}
    """,
    good="""
    privileges:
      - {id: priority_parking, sector: other, applies_to: {grades: [clear]}, magnitude: 0.1}
    scale: {base: 100}
    """,
)
def unreachable_measure(rb, ctx):
    lo, hi = ctx.reachable
    grades = {g.name: (k, g) for k, g in enumerate(rb.grades)}
    lists = {x.id: x for x in rb.lists}
    for kind in ("sanctions", "privileges"):
        for i, m in enumerate(getattr(rb, kind)):
            tgt = m.applies_to
            if tgt.grades:
                def reach(name):
                    k, g = grades[name]
                    top = k == len(rb.grades) - 1
                    return g.min <= hi and (g.max > lo or (top and g.max >= lo))
                if not any(reach(g) for g in tgt.grades if g in grades):
                    yield Finding.at((kind, i, "applies_to", "grades"),
                                     f"{kind[:-1]} '{m.id}' applies to grade(s) {', '.join(tgt.grades)}, but scores only range over "
                                     f"[{lo:g}, {hi:g}]",
                                     "attach the measure to a grade the rules can produce, or remove it")
            elif tgt.list in lists and not _list_reachable(ctx, lists[tgt.list]):
                yield Finding.at((kind, i, "applies_to", "list"),
                                 f"{kind[:-1]} '{m.id}' applies to list '{tgt.list}', which no recorded conduct or reachable score can enter",
                                 "fix the list's trigger, or remove the measure")


@rule(
    code="SCS172", name="unobservable-behaviour-scored", severity="low", principle="congruence",
    legal_reference="Fuller (1964) ch. 2 (congruence)",
    summary="Points are declared for conduct no data source can record.",
    what="Flags behaviours with `observable: false` that cost or earn points or trigger a list.",
    why="""A rule that cannot be applied as written will, if applied at all, be applied on some
    other basis (a denunciation, a guess). The written rule then misdescribes the practice.""",
    use_instead="Name the data source that records the act, or drop its points.",
    bad="""
    behaviours:
      - {id: rudeness, label: "being rude to a traffic warden", domain: traffic,
         legal_status: lawful, points: 0, social_value: -0.1, utility: 0.1, base_rate: 0.001,
         observable: false}
      - {id: lying, label: "lying to a traffic warden", domain: traffic, legal_status: administrative,
         points: -5, social_value: -0.2, utility: 0.1, base_rate: 0.001, observable: false}
    """,
    good="""
    behaviours:
      - {id: rudeness, label: "being rude to a traffic warden", domain: traffic,
         legal_status: lawful, points: 0, social_value: -0.1, utility: 0.1, base_rate: 0.001,
         observable: false}
    """,
)
def unobservable_behaviour_scored(rb, ctx):
    triggers = {b for x in rb.lists for b in x.trigger.behaviours}
    for i, b in enumerate(rb.behaviours):
        if not b.observable and (b.points != 0 or b.id in triggers):
            yield Finding.at(("behaviours", i, "observable"),
                             f"behaviour '{b.id}' is scored ({b.points:+g} points) but no data source can record it",
                             "name the data source that records it, or drop the points")


@rule(
    code="SCS173", name="no-declared-purpose", severity="low", principle="congruence",
    legal_reference="Fuller (1964) ch. 2 (congruence); AI Act Art. 27 (impact assessment: intended purpose)",
    summary="The rulebook imposes measures but declares no purpose.",
    what="Flags a rulebook with sanctions or privileges and no `metadata.purpose`.",
    why="""Without a declared purpose nobody can check that the measures serve it, or notice
    when the system drifts to other ends; a lawful evaluation 'for a specific purpose' (AI
    Act recital 31) needs one stated.""",
    use_instead="Declare the purpose the measures serve (`metadata.purpose`).",
    bad="""
    metadata: {purpose: null}
    """,
    good="""
    metadata: {purpose: road safety}
    """,
)
def no_declared_purpose(rb, ctx):
    if not rb.metadata.purpose and (rb.sanctions or rb.privileges):
        yield Finding.at(("metadata", "purpose"), "the rulebook imposes measures but declares no purpose they serve",
                         "state the purpose in `metadata.purpose`")
