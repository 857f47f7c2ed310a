"""Ne bis in idem (EU Charter Art. 50): one act, one punishment."""

from __future__ import annotations

import re
from collections import defaultdict

from .context import names
from .findings import Finding
from .registry import rule


@rule(
    code="SCS211", name="one-act-many-sectors", severity="high", principle="ne-bis-in-idem",
    legal_reference="EU Charter Art. 50 (ne bis in idem); AI Act Art. 5(1)(c)(i)",
    summary="One behaviour can lead to restrictions in several sectors unrelated to it.",
    what="""For each penalised behaviour, collects the sectors of every sanction it can lead
    to (through a list it triggers, or through the score) and flags it when two or more of
    them are unrelated to the behaviour's domain (see the relatedness map).""",
    why="""Joint punishment multiplies one wrong: an unpaid debt blocks flights, trains,
    hotels and a child's school place, each a new penalty for the same act, each imposed by
    a body that did not judge it.""",
    bad="""
    sanctions:
      - {id: flight_ban, sector: air, applies_to: {list: disqualified_drivers}, magnitude: 1.0,
         legal_basis: Joint Memorandum 2016}
      - {id: hotel_ban, sector: hotels, applies_to: {list: disqualified_drivers}, magnitude: 0.5,
         legal_basis: Joint Memorandum 2016}
    """,
    good="""
    sanctions:
      - {id: licence_suspension, sector: driving_licences, applies_to: {list: disqualified_drivers},
         magnitude: 1.0, legal_basis: Road Traffic Act s. 35}
    """,
)
def one_act_many_sectors(rb, ctx):
    for bi, sis in ctx.behaviour_sanctions.items():
        b = rb.behaviours[bi]
        unrelated = sorted({rb.sanctions[si].sector for si in sis if not ctx.related(b.domain, rb.sanctions[si].sector)})
        if len(unrelated) >= 2:
            via = "directly" if all(ctx.direct(bi, si) for si in sis) else "directly or through the score"
            yield Finding.at(("behaviours", bi, "id"),
                             f"behaviour '{b.id}' ({b.domain}) can lead, {via}, to restrictions in {len(unrelated)} unrelated "
                             f"sectors: {names(unrelated)}",
                             "keep sanctions in the sector where the conduct happened")


_WORD = re.compile(r"[a-z]+")
_FILLER = {"a", "an", "the", "of", "on", "in", "for", "to", "and", "or", "by", "with", "per", "as", "at",
           "found", "court", "judged", "sued", "being", "not", "late", "other"}


def _stem(w: str) -> str:
    for suf in ("ing", "es", "s"):
        if w.endswith(suf) and len(w) > len(suf) + 2:
            return w[: -len(suf)]
    return w


def content_words(label: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(label.lower()) if w not in _FILLER and len(w) > 2}


@rule(
    code="SCS212", name="same-act-counted-twice", severity="medium", principle="ne-bis-in-idem",
    legal_reference="EU Charter Art. 50 (ne bis in idem)",
    summary="The same act is penalised again through another list or another data source.",
    what="""Flags a behaviour that triggers more than one blacklist, and pairs of penalised
    behaviours in the same domain, recorded by different data sources, whose labels name the
    same conduct (most of the shorter label's content words recur in the other; e.g. 'late
    fees' recorded by the utility and 'court-found arrears on fees' recorded by a court).""",
    why="""When the same conduct is recorded first by one body and then again by another (the
    unpaid bill, then the judgment about it), each record deducts points: the person pays
    twice for one act. Two lists triggered by one act punish it twice by design.""",
    bad="""
    data_sources:
      - {id: camera, kind: camera, coverage: {default: 0.3}}
    behaviours:
      - {id: speeding_camera, label: "driving above the speed limit, caught on camera",
         domain: traffic, legal_status: administrative, points: -5, social_value: -0.3,
         utility: 0.2, base_rate: 0.001, sources: [camera]}
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
def same_act_counted_twice(rb, ctx):
    lists_of = defaultdict(list)
    for x in ctx.blacklists:
        for bid in x.trigger.behaviours:
            lists_of[bid].append(x.id)
    for i, b in enumerate(rb.behaviours):
        if len(set(lists_of[b.id])) > 1:
            yield Finding.at(("behaviours", i, "id"),
                             f"behaviour '{b.id}' puts people on {len(set(lists_of[b.id]))} blacklists at once: {names(sorted(set(lists_of[b.id])))}",
                             "let one act lead to one listing")
    by_domain = defaultdict(list)
    for i in ctx.penalised:
        b = rb.behaviours[i]
        by_domain[b.domain].append((i, b, content_words(b.label or b.id.replace("_", " ")), set(b.sources)))
    for items in by_domain.values():
        if len(items) > 200:  # pairwise comparison; huge domains are left to a closer review
            items = items[:200]
        for k, (i, b, wi, si) in enumerate(items):
            for _j, o, wj, sj in items[:k]:
                shared = wi & wj
                if si != sj and len(shared) >= 2 and len(shared) >= 0.6 * min(len(wi), len(wj)):
                    yield Finding.at(("behaviours", i, "label"),
                                     f"behaviour '{b.id}' ({b.label or b.id}) seems to record the same act as '{o.id}' "
                                     f"({o.label or o.id}) through another source ({names(sorted(si))} vs {names(sorted(sj))}); both deduct points",
                                     "keep one behaviour per act and list every source that can record it")
                    break
