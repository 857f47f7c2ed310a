"""Which of the critics' mechanisms a rulebook switches on, and how to switch each off.

A claim can only be tested on a rulebook that has what the claim is about: guilt by
association needs a rule that makes ties cost points, privacy-as-suspicion needs a penalty
on keeping data private. `inventory(rb, params)` reads a rulebook (and the engine's
behavioural parameters) and says, for each mechanism, whether it is present and what in
the rulebook makes it so (or why it is absent). The report shows it per pilot, and a claim
whose mechanism is absent reads "not tested" with that reason.

`switch_off(rb, params, ids)` returns the same rulebook with the named mechanisms
disabled and nothing else changed (same behaviours, same rates, same society): the
paired counterfactual a claim is measured against (see `scslab.metrics.registry`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from ..engine.params import EngineParams, Levers
from ..rulebook.schema import Rulebook


@dataclass(frozen=True)
class Presence:
    """A mechanism in one rulebook: present or not, and the rules that decide it."""

    id: str
    label: str
    present: bool
    detail: str


@dataclass(frozen=True)
class Mechanism:
    id: str
    label: str  # what the mechanism does, e.g. "deducts points for lawful conduct"
    off: str  # the counterfactual in words, e.g. "lawful conduct unscored"
    find: Callable[[Rulebook, EngineParams], tuple[bool, str]]
    disable: Callable[[Rulebook, EngineParams], tuple[Rulebook, EngineParams]] | None = None


# --- reading a rulebook -------------------------------------------------------------------

def _recorded(rb: Rulebook) -> list:
    """Behaviours the system can record: observable, seen by some source, and happening at all."""
    return [b for b in rb.behaviours if b.observable and b.sources and b.base_rate > 0]


def _names(items: Iterable[str], limit: int = 4) -> str:
    items = list(items)
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _blacklists(rb: Rulebook) -> list:
    return [x for x in rb.lists if x.kind == "blacklist"]


def _punishment(rb, p):
    neg = [b for b in _recorded(rb) if b.points < 0]
    bl = _blacklists(rb)
    parts = []
    if neg:
        parts.append(f"deductions for {_names(b.id for b in neg)}")
    if bl:
        parts.append(f"blacklist {_names(x.id for x in bl)}")
    if rb.disclosure.penalty > 0:
        parts.append(f"a daily penalty of {rb.disclosure.penalty:g} for keeping data private")
    if parts:
        return True, "; ".join(parts)
    return False, "no rule deducts points, lists anyone or penalises anything"


def _lawful(rb, p):
    lawful = [b for b in _recorded(rb) if b.legal_status == "lawful" and b.points < 0]
    listing = {bid for x in _blacklists(rb) for bid in x.trigger.behaviours}
    lawful_list = [b for b in _recorded(rb) if b.legal_status == "lawful" and b.id in listing]
    parts = [f"{b.id} ({b.points:g})" for b in lawful]
    parts += [f"{b.id} triggers a blacklist" for b in lawful_list if b not in lawful]
    if rb.disclosure.penalty > 0:
        parts.append(f"keeping data private (−{rb.disclosure.penalty:g}/day)")
    if parts:
        return True, "lawful conduct punished: " + _names(parts)
    return False, "no rule punishes lawful conduct"


def _lawful_off(rb, p):
    rb = rb.model_copy(deep=True)
    for b in rb.behaviours:
        if b.legal_status == "lawful" and b.points < 0:
            b.points = 0.0
    lawful = {b.id for b in rb.behaviours if b.legal_status == "lawful"}
    for x in _blacklists(rb):
        x.trigger.behaviours = [bid for bid in x.trigger.behaviours if bid not in lawful]
    rb.disclosure.penalty = 0.0
    return rb, p


def _sectors(rb, p):
    if rb.sanctions:
        sectors = sorted({m.sector for m in rb.sanctions})
        return True, f"{len(rb.sanctions)} sanctions in {len(sectors)} sectors ({_names(sectors)})"
    return False, "no sanction restricts any sector"


def _blacklist(rb, p):
    bl = _blacklists(rb)
    if bl:
        return True, f"blacklist {_names(x.id for x in bl)}"
    return False, "the rulebook has no blacklist"


def _record_errors(rb, p):
    parts = []
    false = [s.id for s in rb.data_sources if s.false_record_rate > 0]
    if false:
        parts.append(f"false records from {_names(false)}")
    exc = [b.id for b in _recorded(rb) if b.points < 0 and b.excusable > 0]
    if exc:
        parts.append(f"excusable acts scored ({_names(exc)})")
    if parts:
        return True, "; ".join(parts)
    return False, "records are never false and no scored act is excusable"


def _thresholds(crb_like: Rulebook) -> np.ndarray:
    t = [g.min for g in crb_like.grades[1:]]
    t += [x.trigger.score_below for x in crb_like.lists if x.trigger.score_below is not None]
    t += [x.trigger.score_at_least for x in crb_like.lists if x.trigger.score_at_least is not None]
    return np.unique(np.asarray(t, dtype=float))


def _strategic(rb, p):
    scored = [b for b in _recorded(rb) if b.points != 0]
    if not scored:
        return False, "no recorded act carries points"
    if _thresholds(rb).size == 0:
        return False, "no grade boundary or list threshold: points buy nothing"
    if p.w_strategic <= 0:
        return False, "the engine's strategic response is off (w_strategic = 0)"
    return True, (f"{_thresholds(rb).size} score thresholds; strategic citizens weigh points "
                  f"(w_strategic = {p.w_strategic:g})")


def _strategic_off(rb, p):
    return rb, p.model_copy(update={"w_strategic": 0.0})


def _ties(rb, p):
    n = rb.network
    parts = []
    if n.association_penalty > 0:
        parts.append(f"association penalty {n.association_penalty:g} points/day per blacklisted tie")
    if n.peer_weight > 0:
        parts.append(f"peer pull toward ties' mean score ({n.peer_weight:g}/day)")
    if parts:
        return True, "; ".join(parts)
    if n.family_liability:
        return False, "family liability is declared, but the synthetic society has no family ties to simulate it"
    return False, "no rule makes a citizen's ties cost points"


def _ties_off(rb, p):
    rb = rb.model_copy(deep=True)
    rb.network.association_penalty = 0.0
    rb.network.peer_weight = 0.0
    return rb, p


def _elite(rb, p):
    parts = []
    top = [m.id for m in rb.privileges]
    if top:
        parts.append(f"privileges {_names(top)}")
    red = [x.id for x in rb.lists if x.kind == "redlist"]
    if red:
        parts.append(f"redlist {_names(red)}")
    if parts:
        return True, "; ".join(parts)
    return False, "no privilege or redlist rewards high scorers"


def _elite_off(rb, p):
    rb = rb.model_copy(deep=True)
    red = {x.id for x in rb.lists if x.kind == "redlist"}
    rb.privileges = []
    rb.lists = [x for x in rb.lists if x.id not in red]
    rb.sanctions = [m for m in rb.sanctions if m.applies_to.list not in red]
    return rb, p


def _score_ties(rb, p):
    n = rb.network
    parts = []
    if n.peer_weight > 0:
        parts.append(f"scores pulled toward ties' scores ({n.peer_weight:g}/day)")
    if n.tie_drop_rate > 0 and _blacklists(rb):
        parts.append(f"ties to the blacklisted dropped ({n.tie_drop_rate:g}/day)")
    if parts:
        return True, "; ".join(parts)
    extra = (" (its privileges change wealth, and the model has no channel from wealth or privileges to "
             "whom people tie to)") if rb.privileges else ""
    return False, "no rule makes scores flow through ties or ties follow scores" + extra


def _score_ties_off(rb, p):
    rb = rb.model_copy(deep=True)
    rb.network.peer_weight = 0.0
    rb.network.tie_drop_rate = 0.0
    return rb, p


def _disclosure_penalty(rb, p):
    d = rb.disclosure
    if d.penalty > 0:
        return True, f"keeping data private costs {d.penalty:g} points a day"
    if d.reward > 0:
        return False, (f"disclosing is rewarded (+{d.reward:g} once) but keeping data private "
                       "is not penalised")
    return False, "nothing in the rulebook depends on disclosing data"


def _disclosure_penalty_off(rb, p):
    rb = rb.model_copy(deep=True)
    rb.disclosure.penalty = 0.0
    return rb, p


def _disclosure_reward(rb, p):
    d = rb.disclosure
    if d.reward > 0 or d.coverage_boost > 0:
        return True, f"reward +{d.reward:g} once; coverage +{d.coverage_boost:g} for disclosers"
    return False, "disclosing data is not rewarded"


def _rewards(rb, p):
    pos = [b for b in _recorded(rb) if b.points > 0]
    parts = [f"{_names(f'{b.id} (+{b.points:g})' for b in pos)}"] if pos else []
    if rb.disclosure.reward > 0:
        parts.append(f"disclosing data (+{rb.disclosure.reward:g})")
    if rb.network.peer_weight > 0:
        parts.append("peer pull toward ties' scores")
    if parts:
        return True, "points granted for " + "; ".join(parts)
    return False, "no rule grants points"


def _coverage_gap(rb, p):
    from ..rulebook.compiled import DEFAULT_GROUPS
    from .context import group_coverage

    try:
        from ..rulebook.compiled import compile_rulebook

        cov = group_coverage(compile_rulebook(rb, groups=DEFAULT_GROUPS))
    except ValueError as e:  # a source without coverage for a default group
        return False, f"coverage per group unknown ({e})"
    vals = {g: v for g, v in cov.items() if np.isfinite(v)}
    if len(vals) < 2:
        return False, "no scored act can be recorded, so no group is covered"
    hi, lo = max(vals.values()), min(vals.values())
    if hi - lo <= 1e-9:
        return False, f"every group is covered alike ({hi:.2f})"
    best = max(vals, key=vals.get)
    worst = min(vals, key=vals.get)
    return True, f"coverage {vals[best]:.2f} ({best}) to {vals[worst]:.2f} ({worst})"


def seen_harm_share(rb: Rulebook) -> float:
    """Share of the harm done at base rates (Σ rate × −social value) that some data source of
    the rulebook can record: the most scoring could ever act on (NaN if nothing harms)."""
    harm = {b.id: b.base_rate * -b.social_value for b in rb.behaviours if b.social_value < 0}
    total = sum(harm.values())
    if total <= 0:
        return float("nan")
    seen = {b.id for b in rb.behaviours if b.observable and b.sources}
    return sum(v for k, v in harm.items() if k in seen) / total


def _code(rb, p):
    scored = [b for b in _recorded(rb) if b.points != 0]
    if scored or rb.lists or rb.disclosure.penalty > 0 or rb.disclosure.reward > 0:
        share = seen_harm_share(rb)
        seen = f"; its sources can see {share:.0%} of the harm done at base rates" if np.isfinite(share) else ""
        return True, f"{len(scored)} scored behaviours, {len(rb.lists)} lists, {len(rb.sanctions)} sanctions{seen}"
    return False, "the rulebook scores nothing"


def _code_off(rb, p):
    lv = p.levers.model_dump()
    lv["code"] = False
    return rb, p.model_copy(update={"levers": Levers(**lv)})


MECHANISMS: dict[str, Mechanism] = {m.id: m for m in (
    Mechanism("punishment", "punishes conduct", "nothing punished", _punishment),
    Mechanism("lawful_scoring", "punishes lawful conduct", "lawful conduct unpunished", _lawful, _lawful_off),
    Mechanism("sector_sanctions", "restricts sectors of life", "no sector restricted", _sectors),
    Mechanism("blacklist", "keeps a blacklist", "no blacklist", _blacklist),
    Mechanism("record_errors", "acts on false or context-free records", "perfect records", _record_errors),
    Mechanism("strategic_response", "gives points a price citizens respond to",
              "citizens ignore points (w_strategic = 0)", _strategic, _strategic_off),
    Mechanism("tie_terms", "makes ties cost points", "association penalty and peer pull off", _ties, _ties_off),
    Mechanism("elite_rewards", "rewards high scorers", "privileges and redlists off", _elite, _elite_off),
    Mechanism("score_ties", "ties scores and ties together", "peer pull and tie dropping off",
              _score_ties, _score_ties_off),
    Mechanism("disclosure_penalty", "penalises keeping data private", "no penalty for privacy",
              _disclosure_penalty, _disclosure_penalty_off),
    Mechanism("disclosure_reward", "rewards disclosing data", "no reward for disclosing", _disclosure_reward),
    Mechanism("rewards", "grants points", "no points granted", _rewards),
    Mechanism("coverage_gap", "sees some groups better than others", "equal coverage", _coverage_gap),
    Mechanism("code", "scores, lists and enforces automatically", "code lever off", _code, _code_off),
)}


def inventory(rb: Rulebook, params: EngineParams | None = None) -> dict[str, Presence]:
    """Each mechanism of `MECHANISMS` in `rb`: present or not, and why."""
    p = params or EngineParams()
    out = {}
    for m in MECHANISMS.values():
        present, detail = m.find(rb, p)
        out[m.id] = Presence(m.id, m.label, bool(present), detail)
    return out


def switch_off(rb: Rulebook, params: EngineParams | None, ids: Iterable[str]) -> tuple[Rulebook, EngineParams]:
    """`rb` and `params` with the named mechanisms disabled and nothing else changed."""
    p = params or EngineParams()
    for i in ids:
        m = MECHANISMS.get(i)
        if m is None or m.disable is None:
            raise KeyError(f"mechanism {i!r} cannot be switched off "
                           f"(switchable: {', '.join(k for k, v in MECHANISMS.items() if v.disable)})")
        rb, p = m.disable(rb, p)
    return rb, p


__all__ = ["MECHANISMS", "Mechanism", "Presence", "inventory", "seen_harm_share", "switch_off"]
