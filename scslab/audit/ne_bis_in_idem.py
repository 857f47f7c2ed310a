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
    use_instead="Keep each sanction in the sector where the conduct happened.",
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
           "from", "into", "its", "their", "his", "her", "any", "some", "being", "been", "not", "other",
           "than", "more", "after", "before", "within", "over", "under", "above"}
# Words that say how or by whom an act was recorded, not what the act was: "found by a
# court", "caught on camera", "reported by the bank", "per monthly cycle".
_PROCEDURE = {"court", "courts", "found", "finding", "findings", "judged", "judgment", "judgement", "judgments",
              "judgements", "ruled", "ruling", "ordered", "order", "orders", "decided", "decision", "convicted", "conviction",
              "sued", "suit", "lawsuit", "recorded", "record", "records", "reported", "report", "reports",
              "caught", "detected", "camera", "cameras", "verdict", "established", "confirmed", "effective",
              "final", "monthly", "cycle", "month", "repeated", "repeatedly", "persistent", "responsible",
              "liable", "held", "enforcement", "enforced", "proceedings", "case", "cases", "registered",
              "flagged", "noted", "logged", "listed", "entered", "filed", "upheld", "officially"}
# Phrases rewritten to one concept before words are split.
_PHRASES = [
    (re.compile(r"\b(not|never|failing|failure|fails|failed|refus\w*|omitting|omission)\s+(to\s+)?"
                r"(pay\w*|repay\w*|settl\w*|honou?r\w*|perform\w*|meet\w*|fulfil\w*|discharg\w*|return\w*)\b"), " nonpay "),
    (re.compile(r"\bnon\s*(payment|repayment|performance)\b"), " nonpay "),
    (re.compile(r"\bpublic\s+services?\b"), " utility "),
    (re.compile(r"\bspeed\s+limits?\b"), " speed "),
    (re.compile(r"\bred\s+lights?\b"), " redlight "),
    (re.compile(r"\bunder\s+the\s+influence\b"), " intox "),
]
# Words of the same meaning, mapped to one concept: "unpaid", "arrears" and "overdue" all
# name a failure to pay; "electricity", "power" and "public-service" a utility.
_CONCEPTS = {
    "nonpay": "fail fails failing failed failure unpaid arrears arrear default defaults defaulting defaulted overdue late lateness owing owed "
              "outstanding delinquent delinquency missed unsettled evasion evading evade dodging dodge skipping "
              "skip nonpayment",
    "utility": "utility utilities electricity electric power water gas heating energy",
    "charge": "fee fees bill bills charge charges invoice invoices tariff tariffs dues payment payments",
    "debt": "debt debts loan loans credit borrowing lending mortgage mortgages repayment repayments instalment "
            "instalments installment installments bank banks",
    "contract": "contract contracts contractual agreement agreements obligation obligations breach breaches breaching",
    "rent": "rent rents rental rentals lease leases leasing tenancy",
    "fraud": "fraud frauds fraudulent scam scams swindle swindling cheating",
    "commerce": "commercial commerce trading trade trades business businesses market merchant merchants",
    "tax": "tax taxes taxation levy levies vat",
    "fare": "fare fares ticket tickets ticketless",
    "transit": "train trains rail railway railways metro subway bus buses tram trams transit",
    "theft": "stealing steal steals theft thefts stolen shoplifting",
    "drive": "driving drive drives driver drivers motoring motorist vehicle vehicles car cars",
    "speed": "speeding speed speeds",
    "intox": "drunk drink drinking drunken intoxicated intoxication alcohol dui dwi",
}
_CONCEPT = {w: c for c, words in _CONCEPTS.items() for w in words.split()}
# Concepts that say how an act failed, or in what form, but not what it concerns: two
# labels that share only these ("late fees" and "unpaid fines") may well name two acts.
_GENERIC = {"nonpay", "charge", "contract"}


def _stem(w: str) -> str:
    for suf in ("ing", "es", "s"):
        if w.endswith(suf) and len(w) > len(suf) + 2:
            return w[: -len(suf)]
    return w


def content_words(label: str) -> set[str]:
    """What a label says the act is: its words, synonyms as one concept, procedure left out."""
    text = label.lower().replace("-", " ").replace("_", " ")
    for pattern, concept in _PHRASES:
        text = pattern.sub(concept, text)
    out = set()
    for w in _WORD.findall(text):
        if w in _FILLER or w in _PROCEDURE or len(w) <= 2:
            continue
        out.add(_CONCEPT.get(w) or _CONCEPT.get(_stem(w)) or _stem(w))
    return out


# Words that grade one act into several behaviours ("speeding by more than 20 km/h").
_GRADED = re.compile(r"\d|\b(minor|serious|severe|grave|aggravated|repeat\w*|first|second|third|more than|less than|"
                     r"up to|at least|excessive|per|each|every)\b", re.I)


def act_key(act: str) -> str:
    """A declared act as compared: case, spaces and punctuation ignored."""
    return "_".join(re.findall(r"[0-9a-z]+", act.lower()))


def same_act(wi: set[str], wj: set[str], same_domain: bool) -> bool:
    """Whether two labels' concepts (see `content_words`) name one act.

    When both labels say what the act concerns (a utility bill, a loan, speed), they must
    share that, and most of their concepts; across domains, at least two. When one names
    only a failure ("failing to perform a court judgment", "breach of contract"), the two
    must be in the same domain and both name a failure to pay or perform, or the other
    must name everything it names: a judgment debt and the default it decided are one act.
    """
    shared = wi & wj
    if not shared:
        return False
    si, sj = wi - _GENERIC, wj - _GENERIC
    if si and sj:
        if not si & sj:  # different objects: different acts
            return False
        return len(shared) >= 0.6 * min(len(wi), len(wj)) and (same_domain or len(shared) >= 2)
    vague = wi if not si else wj
    return same_domain and ("nonpay" in shared or shared >= vague)


@rule(
    code="SCS212", name="same-act-counted-twice", severity="medium", principle="ne-bis-in-idem",
    legal_reference="EU Charter Art. 50 (ne bis in idem)",
    summary="The same act is penalised again through another list or another data source.",
    what="""Flags a behaviour that triggers more than one blacklist; penalised behaviours that
    declare the same `act`; and pairs of penalised behaviours, recorded by different data
    sources, whose labels name the same act once the words that only say how it was recorded
    ('found by a court', 'caught on camera') are set aside and synonyms are read as one
    ('unpaid', 'arrears' and 'overdue'; 'electricity', 'power' and 'utility'), or recorded
    by the same source under labels that name exactly the same act with no grading words
    ('more than', 'repeated', a number). Behaviours that declare different acts are never
    paired.""",
    why="""When the same conduct is recorded first by one body and then again by another (the
    unpaid bill, then the judgment about it), each record deducts points: the person pays
    twice for one act. Two lists triggered by one act punish it twice by design.""",
    use_instead="Keep one behaviour per act and list every source that can record it. Where two behaviours really are different acts, say so with `act`.",
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
    flagged: set[int] = set()
    first_of_act: dict[str, int] = {}
    for i in ctx.penalised:  # declared acts
        b = rb.behaviours[i]
        if b.act is None:
            continue
        k = act_key(b.act)
        if k in first_of_act:
            o = rb.behaviours[first_of_act[k]]
            flagged.add(i)
            yield Finding.at(("behaviours", i, "act"),
                             f"behaviour '{b.id}' records the same act as '{o.id}' (act: {b.act}), and both are penalised: "
                             "one act is punished twice",
                             "keep one behaviour per act and list every source that can record it")
        elif k:
            first_of_act[k] = i
    items = []
    for i in ctx.penalised[:400]:  # pairwise comparison; huge rulebooks are left to a closer review
        b = rb.behaviours[i]
        items.append((i, b, content_words(b.label or b.id), set(b.sources), act_key(b.act) if b.act else None))
    for k, (i, b, wi, si, ai) in enumerate(items):
        if i in flagged:
            continue
        for _j, o, wj, sj, aj in items[:k]:
            if ai is not None and aj is not None:  # both declare their act: the declaration decides
                continue
            if si == sj:  # one source: only the same act written twice, not graded variants
                twice = (wi == wj and bool(wi - _GENERIC) and b.domain == o.domain
                         and not _GRADED.search(f"{b.label or b.id} {o.label or o.id}"))
                if twice:
                    yield Finding.at(("behaviours", i, "label" if b.label else "id"),
                                     f"behaviour '{b.id}' ({b.label or b.id}) names the same act as '{o.id}' "
                                     f"({o.label or o.id}), recorded by the same source, and both are penalised",
                                     "keep one behaviour per act, or declare what each records (`act`)")
                    break
                continue
            if same_act(wi, wj, b.domain == o.domain):
                yield Finding.at(("behaviours", i, "label" if b.label else "id"),
                                 f"behaviour '{b.id}' ({b.label or b.id}) seems to record the same act as '{o.id}' "
                                 f"({o.label or o.id}) through another source ({names(sorted(si))} vs {names(sorted(sj))}), "
                                 "and both are penalised",
                                 "keep one behaviour per act and list every source that can record it, or declare "
                                 "what each records (`act`)")
                break
