"""Presumption of innocence (EU Charter Art. 48): penalties rest on decided facts."""

from __future__ import annotations

from .findings import Finding
from .registry import rule


def _penalty(b, ctx) -> str:
    listed = [x.id for x in ctx.blacklists if b.id in x.trigger.behaviours]
    parts = []
    if b.points < 0:
        parts.append(f"costs {-b.points:g} points")
    if listed:
        parts.append(f"puts people on blacklist '{listed[0]}'")
    return " and ".join(parts)


@rule(
    code="SCS221", name="penalty-on-suspicion", severity="high", principle="presumption-of-innocence",
    legal_reference="EU Charter Art. 48(1) (presumption of innocence); ECHR Art. 6(2)",
    summary="A penalty rests on suspicion, an investigation or an inference.",
    what="Flags penalised behaviours with `evidence: suspicion`.",
    why="""Being investigated is not being guilty. Deducting points or listing someone when an
    investigation opens treats the suspect as convicted, before and whatever the outcome.""",
    use_instead="Penalise only once a court or authority has decided (`evidence: final_decision`).",
    bad="""
    behaviours:
      - {id: investigated_for_drink_driving, label: "investigated for drink driving",
         domain: traffic, legal_status: criminal, points: -40, social_value: -0.6, utility: 0.3,
         base_rate: 0.0001, sources: [traffic_court], evidence: suspicion}
    """,
    good="""
    behaviours:
      - {id: convicted_of_drink_driving, label: "convicted of drink driving", domain: traffic,
         legal_status: criminal, points: -40, social_value: -0.6, utility: 0.3,
         base_rate: 0.0001, sources: [traffic_court], evidence: final_decision}
    """,
)
def penalty_on_suspicion(rb, ctx):
    for i in ctx.penalised:
        b = rb.behaviours[i]
        if b.evidence == "suspicion":
            yield Finding.at(("behaviours", i, "evidence"),
                             f"behaviour '{b.id}' rests on suspicion, not a decision, yet {_penalty(b, ctx)}",
                             "penalise only once a court or authority has decided (evidence: final_decision)")


@rule(
    code="SCS222", name="penalty-on-report", severity="medium", principle="presumption-of-innocence",
    legal_reference="EU Charter Art. 48; AI Act Art. 10(3) (data as free of errors as possible)",
    summary="A penalty rests on someone's unverified report.",
    what="""Flags penalised behaviours with `evidence: report` none of whose data sources is
    adjudicated.""",
    why="""A neighbour's report or a platform complaint is an allegation. Turning it into a
    deduction without a decision invites error and settling of scores, and leaves the
    accused to prove a negative.""",
    use_instead="Penalise only reports that a court or authority has verified.",
    bad="""
    data_sources:
      - {id: neighbours, kind: neighbourhood, coverage: {default: 0.4}}
    behaviours:
      - {id: reported_reckless_driving, label: "reported for reckless driving", domain: traffic,
         legal_status: administrative, points: -10, social_value: -0.4, utility: 0.2,
         base_rate: 0.0005, sources: [neighbours], evidence: report}
    """,
    good="""
    data_sources:
      - {id: neighbours, kind: neighbourhood, coverage: {default: 0.4}}
    behaviours:
      - {id: reported_reckless_driving, label: "reported for reckless driving", domain: traffic,
         legal_status: administrative, points: 0, social_value: -0.4, utility: 0.2,
         base_rate: 0.0005, sources: [neighbours], evidence: report}
    """,
)
def penalty_on_report(rb, ctx):
    adjudicated = {d.id for d in rb.data_sources if d.adjudicated}
    for i in ctx.penalised:
        b = rb.behaviours[i]
        if b.evidence == "report" and not (set(b.sources) & adjudicated):
            yield Finding.at(("behaviours", i, "evidence"),
                             f"behaviour '{b.id}' rests on an unverified report, yet {_penalty(b, ctx)}",
                             "penalise only reports that a court or authority has verified")


@rule(
    code="SCS223", name="crime-without-conviction", severity="high", principle="presumption-of-innocence",
    legal_reference="EU Charter Art. 48(1); ECHR Art. 6(2)",
    summary="Conduct classed as a crime is penalised on a data trail, without a conviction.",
    what="""Flags penalised behaviours with `legal_status: criminal` and `evidence: record`
    (a data trail, not a decision). Suspicion and reports are left to SCS221 and SCS222.""",
    why="""Calling conduct criminal and penalising it on a utility's or a platform's records
    skips the trial that decides whether a crime happened: the record keeper becomes
    prosecutor and judge.""",
    use_instead="Penalise criminal conduct only after a conviction (`evidence: final_decision`).",
    bad="""
    data_sources:
      - {id: camera, kind: camera, coverage: {default: 0.3}}
    behaviours:
      - {id: dangerous_driving, label: "dangerous driving", domain: traffic, legal_status: criminal,
         points: -30, social_value: -0.7, utility: 0.2, base_rate: 0.0001, sources: [camera],
         evidence: record}
    """,
    good="""
    behaviours:
      - {id: dangerous_driving, label: "convicted of dangerous driving", domain: traffic,
         legal_status: criminal, points: -30, social_value: -0.7, utility: 0.2,
         base_rate: 0.0001, sources: [traffic_court], evidence: final_decision}
    """,
)
def crime_without_conviction(rb, ctx):
    for i in ctx.penalised:
        b = rb.behaviours[i]
        if b.legal_status == "criminal" and b.evidence == "record":
            yield Finding.at(("behaviours", i, "evidence"),
                             f"behaviour '{b.id}' is treated as a crime on a data trail, without a conviction, yet {_penalty(b, ctx)}",
                             "penalise criminal conduct only after a conviction (evidence: final_decision)")


@rule(
    code="SCS224", name="listing-without-adjudication", severity="medium", principle="presumption-of-innocence",
    legal_reference="EU Charter Arts. 47-48; GDPR Art. 22(1) (decisions based solely on automated processing)",
    summary="A blacklist is entered on records that no court or authority has decided.",
    what="""Flags blacklists entered directly by a behaviour whose evidence is not a final
    decision and none of whose data sources is adjudicated (a camera, a platform, a bank's
    records).""",
    why="""A listing is a decision about a person. When it follows automatically from raw
    records, nobody has weighed the facts, the excuse or the identity match before the
    sanction starts: the listed person must disprove the record afterwards.""",
    use_instead="Enter the list only on decided records (a court's or an authority's), or after a review of the record.",
    bad="""
    data_sources:
      - {id: camera, kind: camera, coverage: {default: 0.3}}
    behaviours:
      - {id: speeding, label: "driving above the speed limit, caught on camera", domain: traffic,
         legal_status: administrative, points: -10, social_value: -0.3, utility: 0.2,
         base_rate: 0.001, sources: [camera], evidence: record}
    """,
    good="""
    data_sources:
      - {id: camera, kind: camera, coverage: {default: 0.3}}
    behaviours:
      - {id: speeding, label: "driving above the speed limit, as found by a court", domain: traffic,
         legal_status: administrative, points: -10, social_value: -0.3, utility: 0.2,
         base_rate: 0.001, sources: [traffic_court, camera], evidence: final_decision}
    """,
)
def listing_without_adjudication(rb, ctx):
    adjudicated = {d.id for d in rb.data_sources if d.adjudicated}
    for i, x in enumerate(ctx.rb.lists):
        if x.kind != "blacklist":
            continue
        raw = [b for b in x.trigger.behaviours if b in ctx.behaviour_index
               and ctx.behaviour(b).evidence != "final_decision" and not (set(ctx.behaviour(b).sources) & adjudicated)]
        if raw:
            yield Finding.at(("lists", i, "trigger", "behaviours"),
                             f"blacklist '{x.id}' is entered on records nobody has decided ({', '.join(raw)})",
                             "list people only on a final decision, or after a review of the record")
