"""Legality: only unlawful conduct is punished, and only by measures the law provides."""

from __future__ import annotations

from .findings import Finding
from .registry import rule


@rule(
    code="SCS201", name="lawful-conduct-penalised", severity="critical", principle="legality",
    legal_reference="EU Charter Art. 49(1) (nullum crimen sine lege); AI Act Art. 5(1)(c)(ii)",
    summary="Conduct the law allows costs points or leads to a blacklist.",
    what="""Flags behaviours with `legal_status: lawful` that cost points or appear in a
    blacklist's trigger.""",
    why="""Penalising what the law permits (petitioning, having a second child where that is
    legal, criticising officials) creates offences outside the law, without a legislature, a
    court or a defence. It is also the clearest case of detriment that is unjustified by the
    behaviour, and the one most easily turned against political rights.""",
    use_instead="Leave lawful conduct out: set its points to 0 and keep it out of list triggers.",
    bad="""
    behaviours:
      - {id: petitioning, label: "petitioning the authorities repeatedly", domain: political,
         legal_status: lawful, points: -50, social_value: 0.1, utility: 0.1, base_rate: 0.0005,
         sources: [traffic_court], evidence: final_decision}
    """,
    good="""
    behaviours:
      - {id: petitioning, label: "petitioning the authorities repeatedly", domain: political,
         legal_status: lawful, points: 0, social_value: 0.1, utility: 0.1, base_rate: 0.0005,
         sources: [traffic_court], evidence: final_decision}
    """,
)
def lawful_conduct_penalised(rb, ctx):
    blacklisted = {}
    for x in ctx.blacklists:
        for bid in x.trigger.behaviours:
            blacklisted.setdefault(bid, x.id)
    for i, b in enumerate(rb.behaviours):
        if b.legal_status != "lawful":
            continue
        what = b.label or b.id
        if b.points < 0:
            yield Finding.at(("behaviours", i, "points"),
                             f"behaviour '{b.id}' ({what}) is lawful but costs {-b.points:g} points",
                             "do not penalise lawful conduct: set points to 0 or remove the behaviour")
        elif b.id in blacklisted:
            yield Finding.at(("behaviours", i, "legal_status"),
                             f"behaviour '{b.id}' ({what}) is lawful but puts people on blacklist '{blacklisted[b.id]}'",
                             "remove lawful conduct from blacklist triggers")


@rule(
    code="SCS202", name="sanction-without-legal-basis", severity="high", principle="legality",
    legal_reference="EU Charter Art. 52(1) (limitations provided for by law); Guo Ban Fa [2020] No. 49 (legal basis for punishment)",
    summary="A sanction names no law that authorises it.",
    what="Flags sanctions with no `legal_basis`.",
    why="""Every restriction of a right must be provided for by law. A list may have a legal
    basis while the restrictions attached to it (travel, schools, jobs) are added by other
    agencies with none: each restriction needs its own.""",
    use_instead="Cite the law that authorises the sanction (`legal_basis`), or drop the sanction.",
    bad="""
    sanctions:
      - {id: licence_suspension, sector: driving_licences, applies_to: {list: disqualified_drivers},
         magnitude: 1.0, legal_basis: null}
    """,
    good="""
    sanctions:
      - {id: licence_suspension, sector: driving_licences, applies_to: {list: disqualified_drivers},
         magnitude: 1.0, legal_basis: Road Traffic Act s. 35}
    """,
)
def sanction_without_legal_basis(rb, ctx):
    for i, m in enumerate(rb.sanctions):
        if not m.legal_basis:
            on = f"list '{m.applies_to.list}'" if m.applies_to.list else f"grade(s) {', '.join(m.applies_to.grades or [])}"
            yield Finding.at(("sanctions", i, "legal_basis"),
                             f"sanction '{m.id}' ({m.sector}, on {on}) names no law that authorises it",
                             "cite the law that authorises this restriction in `legal_basis`, or drop the sanction")


@rule(
    code="SCS203", name="list-without-legal-basis", severity="high", principle="legality",
    legal_reference="EU Charter Art. 52(1); Guo Ban Fa [2020] No. 49",
    summary="A blacklist names no law that creates it.",
    what="Flags blacklists with no `legal_basis`.",
    why="""Listing a person as untrustworthy is itself a sanction with public and private
    consequences. Without a law creating the list, there is no statutory limit on who may
    be listed, for how long, or what follows.""",
    use_instead="Cite the law that creates the list (`legal_basis`), or drop the list.",
    bad="""
    lists:
      - id: disqualified_drivers
        kind: blacklist
        trigger: {behaviours: [speeding], min_records: 4, window_days: 1095}
        duration_days: 365
        legal_basis: null
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
def list_without_legal_basis(rb, ctx):
    for i, x in enumerate(rb.lists):
        if x.kind == "blacklist" and not x.legal_basis:
            yield Finding.at(("lists", i, "legal_basis"), f"blacklist '{x.id}' names no law that creates it",
                             "cite the law that creates the list in `legal_basis`")
