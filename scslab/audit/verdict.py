"""The verdict: which conditions of AI Act Art. 5(1)(c) a rulebook meets, and a scorecard.

Art. 5(1)(c) bans evaluating or classifying people over time on their social behaviour or
personal characteristics where the score leads to (i) detriment in social contexts
unrelated to where the data came from, or (ii) detriment unjustified or disproportionate
to the behaviour or its gravity. The evaluation condition and one of (i), (ii) must both
hold (the Commission's guidelines read the conditions as cumulative). The verdict is
computed from the rulebook whatever rules were selected, so --select cannot change it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .ai_act import SOCIAL_DOMAINS, annex_iii_use, classifications, score_feeds_detriment
from .context import AuditContext
from .findings import SEVERITY_RANK, worst
from .registry import PRINCIPLES, RULES

# Findings that show each condition (i) and (ii); the verdict cites them.
CROSS_CONTEXT = ("SCS301",)
# Lawful conduct that costs points (SCS201) counts through SCS302 once a sanction can follow
# from it; points lost for one's ties (SCS261) count only where the score leads to detriment.
DISPROPORTIONATE = ("SCS302", "SCS261", "SCS151")
HIGH_RISK = ("SCS304",)

LIKELY_PROHIBITED = "likely prohibited social scoring (Art. 5(1)(c))"
POSSIBLY_PROHIBITED = "possibly prohibited: a narrow evaluation whose consequences meet Art. 5(1)(c)(i) or (ii)"
HIGH_RISK_ONLY = "not prohibited but high-risk (Annex III 5)"
NOT_PROHIBITED = "not prohibited social scoring; outside Annex III 5"
NO_SCORING = "no scoring: outside Art. 5(1)(c)"

CAVEATS = (
    "The Act applies to AI systems (Art. 3(1)); a rulebook cannot show whether one is used.",
    "Recital 31 leaves out lawful evaluation for a specific purpose under Union or national law.",
    "This is a mechanical reading of the rulebook, not legal advice.",
)


@dataclass
class Condition:
    id: str  # "evaluation", "i", "ii"
    text: str
    met: str  # "yes", "partly", "no"
    because: str
    findings: list[str] = field(default_factory=list)  # codes and messages that show it


@dataclass
class PrincipleScore:
    principle: str
    title: str
    rules: int
    findings: int
    worst: str | None

    @property
    def status(self) -> str:
        if not self.findings:
            return "pass"
        return "notes" if SEVERITY_RANK[self.worst] == 0 else "fail"


@dataclass
class Verdict:
    conclusion: str
    conditions: list[Condition]
    high_risk: list[str]
    scorecard: list[PrincipleScore]
    caveats: tuple[str, ...] = CAVEATS

    def to_dict(self) -> dict:
        d = asdict(self)
        d["caveats"] = list(self.caveats)
        for s, obj in zip(d["scorecard"], self.scorecard, strict=True):
            s["status"] = obj.status
        return d


def _run(codes, rb, ctx) -> list[str]:
    out = []
    for c in codes:
        r = RULES.get(c)
        if r is not None:
            out += [f"{c} {f.message}" for f in r.check(rb, ctx)]
    return out


def evaluation_condition(rb) -> Condition:
    evals = classifications(rb)
    net = rb.network
    connections = net.peer_weight > 0 or net.association_penalty > 0 or net.family_liability
    groups = any(b.applies_to for b in rb.behaviours)
    text = "evaluation or classification over time based on social behaviour or personal characteristics"
    if not evals and not connections:
        return Condition("evaluation", text, "no", "no conduct is scored and no list is triggered by conduct")
    reasons = []
    for what, doms in evals:
        social = sorted(set(doms) & SOCIAL_DOMAINS)
        if len(doms) >= 2:
            reasons.append(f"{what} draws on conduct from {len(doms)} domains ({', '.join(doms)})")
        elif social:
            reasons.append(f"{what} draws on private or civic life ({', '.join(social)})")
    if connections:
        reasons.append("contacts' or relatives' standing counts (personal characteristics)")
    if groups:
        reasons.append("membership of particular groups counts (personal characteristics)")
    if reasons:
        return Condition("evaluation", text, "yes", "; ".join(reasons))
    each = "; ".join(f"{what}: {doms[0]}" for what, doms in evals)
    return Condition("evaluation", text, "partly",
                     f"each evaluation draws on one domain only ({each}): closer to a specific-purpose "
                     "evaluation than to a general social score, but still an evaluation over time of behaviour")


def verdict(report) -> Verdict:
    rb = report.rulebook
    ctx = AuditContext(rb)
    ev = evaluation_condition(rb)
    cross = _run(CROSS_CONTEXT, rb, ctx)
    disp = _run([c for c in DISPROPORTIONATE if c != "SCS261" or score_feeds_detriment(rb)], rb, ctx)
    risk = _run(HIGH_RISK, rb, ctx)
    c1 = Condition("i", "detrimental treatment in social contexts unrelated to where the data came from",
                   "yes" if cross else "no",
                   f"{len(cross)} sanction(s) reach unrelated contexts" if cross else "every sanction stays in the context of its conduct",
                   cross)
    c2 = Condition("ii", "detrimental treatment unjustified or disproportionate to the behaviour or its gravity",
                   "yes" if disp else "no",
                   f"{len(disp)} finding(s) of unjustified or disproportionate detriment" if disp else "no sanction follows lawful, trivial or others' conduct",
                   disp)
    detriment = bool(cross or disp)
    if ev.met == "no":
        conclusion = NO_SCORING
    elif detriment and ev.met == "yes":
        conclusion = LIKELY_PROHIBITED
    elif detriment:
        conclusion = POSSIBLY_PROHIBITED
    elif risk:
        conclusion = HIGH_RISK_ONLY
    else:
        conclusion = NOT_PROHIBITED
    sectors = sorted({m.sector for m in list(rb.sanctions) + list(rb.privileges) if annex_iii_use(m)})
    return Verdict(conclusion, [ev, c1, c2], sectors, scorecard(report))


def scorecard(report) -> list[PrincipleScore]:
    out = []
    for p, title in PRINCIPLES.items():
        rules = [r for r in report.rules if r.principle == p]
        fs = [f for f in report.findings if f.principle == p]
        out.append(PrincipleScore(p, title, len(rules), len(fs), worst(fs)))
    return out
