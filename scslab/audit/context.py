"""What the rules share: the relatedness map and facts derived once from the rulebook.

The derived facts answer "which conduct can lead to which sanction": a sanction that
follows a list reaches the behaviours in the list's trigger, and, when the list (or the
sanction) is entered through the score, every behaviour that costs points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

from ..rulebook.schema import Behaviour, ListRule, Measure, Rulebook
from .relatedness import Relatedness, default_relatedness

# How grave conduct is by what the law says of it; used to test that severity rises with gravity.
GRAVITY = {"lawful": 0, "contractual": 1, "administrative": 2, "criminal": 3}
SEVEN_YEARS = 7 * 365  # FCRA s.605: most adverse items drop off after 7 years

# How grave conduct is by the harm it does to others (`social_value`): negligible, minor,
# moderate, serious. The cut at -0.1 is the one SCS302 uses for "negligible harm".
HARM_TIERS = ("negligible", "minor", "moderate", "serious")
_HARM_CUTS = (-0.1, -0.3, -0.6)


def harm_tier(b: Behaviour) -> int:
    """0 negligible .. 3 serious, from the harm the act does to others; a crime is at least moderate."""
    v = b.social_value
    tier = 0 if v > _HARM_CUTS[0] else 1 if v > _HARM_CUTS[1] else 2 if v > _HARM_CUTS[2] else 3
    return max(tier, 2) if b.legal_status == "criminal" else tier


def graver(o: Behaviour, b: Behaviour, margin: float = 0.2) -> bool:
    """True when o is unambiguously graver than b: no milder in law and no less harmful, and
    either graver in law or clearly more harmful (by `margin` of social value)."""
    ro, rb = GRAVITY[o.legal_status], GRAVITY[b.legal_status]
    if ro < rb or o.social_value > b.social_value:
        return False
    return ro > rb or o.social_value <= b.social_value - margin


@dataclass(frozen=True)
class IncomeReference:
    """Monthly incomes of the synthetic society a rulebook runs on (lognormal per group).

    Money in a rulebook (appeal and repair costs, sanctions) is in the same wealth units as
    the society's incomes, so a fee can be read against what people earn.
    """

    median: float
    sigma: float
    groups: tuple[tuple[float, float], ...]  # (population share, income factor) per group

    @classmethod
    def from_spec(cls, spec=None) -> IncomeReference:
        """From a SocietySpec (the default society of `scslab run` and `--simulate` if None)."""
        if spec is None:
            from ..society.spec import SocietySpec

            spec = SocietySpec()
        inc = spec.income
        return cls(float(inc.median), float(inc.sigma),
                   tuple((float(share), float(inc.group_factor.get(g, 1.0))) for g, share in spec.groups.items()))

    def _cdf(self, x: float) -> float:
        total = 0.0
        for share, factor in self.groups:
            m = self.median * factor
            if self.sigma <= 0:
                total += share * (x >= m)
            else:
                total += share * 0.5 * (1.0 + math.erf((math.log(x) - math.log(m)) / (self.sigma * math.sqrt(2.0))))
        return total

    def monthly(self, q: float) -> float:
        """The q-quantile of monthly income over the whole population."""
        lo, hi = self.median * 1e-6, self.median * 1e6
        for _ in range(200):
            mid = math.sqrt(lo * hi)
            if self._cdf(mid) < q:
                lo = mid
            else:
                hi = mid
        return hi

    def daily(self, q: float) -> float:
        return self.monthly(q) / 30.0


# Fees for a remedy are read against the income of the poorest tenth of the society the
# rulebook runs on: more than BARRIER_DAYS days of their income keeps them from using it.
POOR_QUANTILE = 0.1
BARRIER_DAYS = 3.0


def fee_burden(ctx, fee: float) -> tuple[float, float]:
    """A fee in days of income: for the poorest tenth (at the 10th percentile), and at the median."""
    inc = ctx.income
    return fee / inc.daily(POOR_QUANTILE), fee / inc.daily(0.5)


def fee_message(what: str, fee: float, poor: float, mid: float) -> str:
    return (f"{what} costs {fee:,.0f} wealth units: {poor:,.1f} days of income for the poorest tenth of "
            f"the population ({mid:,.1f} at the median)")


class AuditContext:
    def __init__(self, rulebook: Rulebook, relatedness: Relatedness | None = None,
                 income: IncomeReference | None = None):
        self.rb = rulebook
        self.relatedness = relatedness if relatedness is not None else default_relatedness()
        self._income = income

    @cached_property
    def income(self) -> IncomeReference:
        return self._income if self._income is not None else IncomeReference.from_spec()

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
