"""What the rules share: the relatedness map and facts derived once from the rulebook.

The derived facts answer "which conduct can lead to which sanction": a sanction that
follows a list reaches the behaviours in the list's trigger, and, when the list (or the
sanction) is entered through the score, every behaviour that costs points.
"""

from __future__ import annotations

from functools import cached_property

from ..rulebook.schema import Behaviour, ListRule, Measure, Rulebook
from .relatedness import Relatedness, default_relatedness

# How grave conduct is by what the law says of it; used to test that severity rises with gravity.
GRAVITY = {"lawful": 0, "contractual": 1, "administrative": 2, "criminal": 3}
SEVEN_YEARS = 7 * 365  # FCRA s.605: most adverse items drop off after 7 years


class AuditContext:
    def __init__(self, rulebook: Rulebook, relatedness: Relatedness | None = None):
        self.rb = rulebook
        self.relatedness = relatedness if relatedness is not None else default_relatedness()

    # -- lookups ---------------------------------------------------------------------------
    @cached_property
    def behaviour_index(self) -> dict[str, int]:
        return {b.id: i for i, b in enumerate(self.rb.behaviours)}

    @cached_property
    def list_index(self) -> dict[str, int]:
        return {x.id: i for i, x in enumerate(self.rb.lists)}

    def behaviour(self, bid: str) -> Behaviour:
        return self.rb.behaviours[self.behaviour_index[bid]]

    def related(self, domain: str, sector: str) -> bool:
        return sector in self.relatedness.get(domain, frozenset())

    @cached_property
    def penalised(self) -> list[int]:
        """Indices of behaviours that cost points or put people on a blacklist."""
        direct = {bid for x in self.blacklists for bid in x.trigger.behaviours}
        return [i for i, b in enumerate(self.rb.behaviours) if b.points < 0 or b.id in direct]

    @cached_property
    def score_feeders(self) -> list[int]:
        """Indices of recordable behaviours that lower the score (and so feed score-based sanctions)."""
        return [i for i, b in enumerate(self.rb.behaviours) if b.points < 0 and b.observable]

    @cached_property
    def blacklists(self) -> list[ListRule]:
        return [x for x in self.rb.lists if x.kind == "blacklist"]

    @staticmethod
    def score_triggered(lst: ListRule) -> bool:
        return lst.trigger.score_below is not None or lst.trigger.score_at_least is not None

    # -- conduct -> sanctions --------------------------------------------------------------
    def list_feeders(self, lst: ListRule) -> list[int]:
        """Behaviours whose records can put someone on this list."""
        out = {self.behaviour_index[b] for b in lst.trigger.behaviours if b in self.behaviour_index}
        if lst.trigger.score_below is not None:
            out.update(self.score_feeders)
        return sorted(out)

    def measure_feeders(self, m: Measure) -> list[int]:
        """Behaviours that can lead to a sanction (directly or through the score)."""
        if m.applies_to.list is not None:
            i = self.list_index.get(m.applies_to.list)
            return self.list_feeders(self.rb.lists[i]) if i is not None else []
        return list(self.score_feeders)  # grade-based: anything that lowers the score

    @cached_property
    def sanction_feeders(self) -> list[list[int]]:
        return [self.measure_feeders(m) for m in self.rb.sanctions]

    @cached_property
    def behaviour_sanctions(self) -> dict[int, list[int]]:
        """For each behaviour, the sanctions (by index) it can lead to."""
        out: dict[int, list[int]] = {}
        for si, feeders in enumerate(self.sanction_feeders):
            for bi in feeders:
                out.setdefault(bi, []).append(si)
        return out

    def direct(self, bi: int, si: int) -> bool:
        """True when behaviour bi leads to sanction si through a list's behaviour trigger."""
        m = self.rb.sanctions[si]
        if m.applies_to.list is None:
            return False
        i = self.list_index.get(m.applies_to.list)
        return i is not None and self.rb.behaviours[bi].id in self.rb.lists[i].trigger.behaviours

    # -- the score -------------------------------------------------------------------------
    @cached_property
    def reachable(self) -> tuple[float, float]:
        """Scores a citizen can reach: [low, high] (from the base, by points and other terms)."""
        rb, s = self.rb, self.rb.scale
        can_fall = bool(self.score_feeders) or rb.network.association_penalty > 0 or rb.disclosure.penalty > 0
        can_rise = any(b.points > 0 for b in rb.behaviours) or rb.disclosure.reward > 0
        if rb.network.peer_weight > 0:  # pulled toward the mean of one's ties: anywhere others are
            can_fall = can_fall or can_rise
            can_rise = can_rise or can_fall
        return (s.min if can_fall else s.base, s.max if can_rise else s.base)


def fmt_points(x: float) -> str:
    return f"{x:g}"


def names(items, limit: int = 6) -> str:
    items = list(items)
    shown = ", ".join(str(x) for x in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")
