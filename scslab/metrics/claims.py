"""The critics' claims C1..C11 and the metrics that test them.

One function per claim takes a RunResult (or any object with the same tables: `steps`,
`citizens`, `c4`, `network`, optional `events` and `ties`, and a `manifest` with `steps`)
and a `RunContext` (facts about the rulebook), and returns named values. `CLAIMS` is the
registry (`registry.py`): for each claim, the claim in short, its metrics (definition and
formula), and the test that decides the verdict across seeds. Definitions are documented in
docs/metrics.md; keep the two in step, and keep definitions stable.

C11 is the exception: it compares 16 runs (the four levers on and off), so its function
takes the harm of each lever combination rather than one run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..limits import LEVER_NAMES, MIN_EVENTS
from . import fairness, network, punishments
from .context import RunContext
from .shapley import shapley
from .stats import NAN, Interval, gini, percentile_ranks, ratio, spearman, wilson

LEVERS = LEVER_NAMES


# --- registry types -------------------------------------------------------------------

@dataclass(frozen=True)
class Metric:
    """One measured quantity of a claim: its key in the results, label, definition, formula and unit."""

    key: str
    label: str
    definition: str
    formula: str
    unit: str = ""
    vs_baseline: bool = False  # the comparison also reports pilot minus the no-SCS baseline
    # Also reported as the seed-paired difference from the same pilot with this mechanism
    # switched off (`<key>_vs_off`; scslab.metrics.mechanisms).
    vs_off: str | None = None
    paired: bool = False  # computed by the comparison from the paired runs, not from one run


@dataclass(frozen=True)
class Test:
    """How a claim's verdict is read off the seeds.

    The tested quantity is, by `against`:
    - "null": `metric` itself, against the fixed `null` (used where switching the mechanism
      off gives the null by definition, e.g. no lawful conduct scored -> a lawful share of 0);
    - "counterfactual": the seed-paired difference between the pilot and the same pilot with
      the claim's mechanism switched off (`Claim.counterfactual`), null 0; `metric` names the
      paired quantity (`<key>_vs_off`, or a metric with `paired=True` the comparison computes);
    - "baseline": the seed-paired difference pilot minus the no-SCS baseline, null 0.
    `direction` is the sign of an effect that supports the claim (+1 or -1; 0 = any
    difference supports it). `margin` is the size of effect too small to matter: an
    interval within null ± margin reads as "not supported" (negligible), and "supported"
    needs the whole interval beyond the margin on the claimed side (see `verdict`).
    """

    __test__ = False  # not a pytest test class, despite the name

    metric: str
    direction: int
    margin: float
    null: float = 0.0
    against: str = "null"  # "null", "counterfactual" or "baseline"

    @property
    def zero_null(self) -> bool:
        """Whether the tested quantity is a difference (null 0) rather than the metric itself."""
        return self.against in ("baseline", "counterfactual")

    def key(self, paired: bool = False) -> str:
        """The name of the tested quantity in a comparison's values."""
        if self.against == "baseline":
            return f"{self.metric}_vs_none"
        if self.against == "counterfactual" and not paired:
            return f"{self.metric}_vs_off"
        return self.metric

    def describe(self) -> str:
        """The test in words, e.g. "mean_trust minus ... clearly above 0, by more than 0.005"."""
        what = {"baseline": f"{self.metric} minus the no-SCS baseline",
                "counterfactual": f"{self.metric} minus the same pilot with the mechanism off"
                }.get(self.against, self.metric)
        sign = {1: "above", -1: "below", 0: "away from"}[self.direction]
        ref = 0.0 if self.zero_null else self.null
        return f"{what} clearly {sign} {ref:g}, by more than {self.margin:g}"


@dataclass(frozen=True)
class Count:
    """The countable events a claim's tested quantity rests on, as two per-run counts.

    `events` and `of` are keys of per-run counts among the run's metrics (`n_...`); the
    comparison sums them over seeds (`Evidence`). `share`: the tested quantity is, per seed,
    `events / of` itself (C3's wrongful share), so a large enough `of` can settle a
    negligible share on its own (see `too_few_events`); otherwise `events` are the units the
    tested quantity is measured on (C2's sanctioning offences) and must be numerous.
    """

    events: str
    of: str
    label: str  # the events, in words ("wrongful listings")
    of_label: str  # what they are counted among ("listings")
    share: bool = True


@dataclass(frozen=True)
class Evidence:
    """The events a claim's verdict rests on, pooled over seeds: `events` of `of`, over
    `seeds` seeds (the seeds whose counts were finite)."""

    events: int
    of: int
    label: str
    of_label: str
    seeds: int
    share: bool = True

    def describe(self) -> str:
        """"7 wrongful listings of 93 listings"."""
        return f"{self.events:,} {self.label} of {self.of:,} {self.of_label}"

    def pooled(self, confidence: float = 0.95) -> Interval:
        """The pooled share events / of with its Wilson interval (treats the events as
        independent draws: shown beside the verdict, not used for it; docs/metrics.md)."""
        return wilson(self.events, self.of, confidence)

    def as_dict(self, confidence: float = 0.95) -> dict:
        p = self.pooled(confidence)
        return {"events": self.events, "of": self.of, "label": self.label, "of_label": self.of_label,
                "seeds": self.seeds, "share": self.share,
                "pooled_share": p.as_dict() if self.share and self.of > 0 else None}


@dataclass(frozen=True)
class Claim:
    """A critic's claim (C1..C11): its metrics, how its verdict is read, and what it needs of a rulebook."""

    id: str
    short: str  # the claim, in a few words
    claim: str  # the claim in one sentence (our words)
    metrics: tuple[Metric, ...]
    test: Test
    compute: Callable | None  # (result, ctx) -> dict; None for C11 (see `c11`)
    # Mechanisms (scslab.metrics.mechanisms) the rulebook must have for the claim to be
    # tested at all; a claim about an absent mechanism reads "not tested", with the reason.
    requires: tuple[str, ...] = ()
    # The mechanism switched off in the paired run that Test(against="counterfactual") reads.
    counterfactual: str | None = None
    # What the claim is compared against, in words (for a null test: why the null is what
    # the rulebook without the mechanism would give).
    against: str = ""
    # Why the tested quantity can be undefined in a run (the "not tested" reason then).
    undefined: str = "fewer than two seeds gave the tested quantity a value"
    # The countable events the tested quantity rests on (None: it is not a share or rate of
    # countable events, and `uncounted` says why).
    count: Count | None = None
    uncounted: str = ""

    def metric(self, key: str) -> Metric:
        """The claim's metric named `key` (StopIteration if it has none of that name)."""
        return next(m for m in self.metrics if m.key == key)


SUPPORTED, NOT_SUPPORTED, MIXED, NA = "supported", "not supported", "mixed", "n/a"
NOT_TESTED = "not tested"  # the rulebook lacks the mechanism, or the comparison is undefined
# The interval would read supported or not supported, but the events it rests on are too few
# (`too_few_events`); the interval's own reading is `verdict(interval, test)`.
TOO_FEW = "too few events"


def too_few_events(ev: Evidence | None, test: Test, reading: str, min_events: int = MIN_EVENTS,
                   confidence: float = 0.95) -> bool:
    """Whether the pooled events `ev` are too few for the interval's `reading` to stand.

    Only a firm reading (supported, not supported) can be too thin; mixed and n/a already
    say that the runs do not settle the claim. A reading stands on at least `min_events`
    events (a count of 30 is known to about ±18%, one standard error: 1/√30). With fewer,
    a "not supported" of a share (`ev.share`) still stands when the pooled share's Wilson
    interval lies inside the negligible band, null ± margin: the count itself then shows
    the share negligible (0 wrongful listings of 400 settle C3 at 95%; 0 of 90 do not, the
    interval reaching 4.1%). `min_events` 0 turns the rule off.
    """
    if ev is None or min_events <= 0 or reading not in (SUPPORTED, NOT_SUPPORTED):
        return False
    if ev.events >= min_events:
        return False
    if reading == NOT_SUPPORTED and ev.share and not test.zero_null and ev.of > 0:
        p = ev.pooled(confidence)
        return not (test.null - test.margin <= p.lo and p.hi <= test.null + test.margin)
    return True


def verdict(ci: Interval, test: Test) -> str:
    """supported / not supported / mixed from an interval over seeds (see `Test`).

    With [lo, hi] the interval minus the null and m the margin:
    - n/a when fewer than two seeds gave a value (e.g. nobody was ever listed);
    - not supported when the whole interval is negligible (within ±m), or lies entirely on
      the side opposite to the claim;
    - supported when the whole interval lies beyond m on the claimed side (an effect that
      is both clear and not negligible); for two-sided claims, beyond m on either side;
    - mixed otherwise (straddling zero, or clear of zero but possibly negligible).
    """
    if ci.n < 2 or not np.isfinite(ci.mean):
        return NA
    null = 0.0 if test.zero_null else test.null
    lo, hi, m = ci.lo - null, ci.hi - null, test.margin
    if -m <= lo and hi <= m:
        return NOT_SUPPORTED
    if test.direction == 0:
        return SUPPORTED if (lo > m or hi < -m) else MIXED
    d = test.direction
    lo_d, hi_d = sorted((d * lo, d * hi))  # the interval turned so that the claim points up
    if lo_d > m:
        return SUPPORTED
    if hi_d < 0:
        return NOT_SUPPORTED
    return MIXED


# --- helpers ----------------------------------------------------------------------------

def _steps_run(r) -> int:
    t = r.manifest.get("steps") if getattr(r, "manifest", None) else None
    return int(t) if t else int(r.steps["step"].max()) + 1


def _population(r) -> float:
    s = r.steps
    return float(s[s["step"] == s["step"].min()]["population"].sum())


def _second_half(r) -> pd.DataFrame:
    s = r.steps
    return s[s["step"] >= _steps_run(r) // 2]


def _per_1000_per_day(r, col: str, rows: pd.DataFrame | None = None) -> float:
    rows = r.steps if rows is None else rows
    days = rows["step"].nunique()
    n = _population(r)
    return ratio(rows[col].sum() * 1000.0, n * days)


def _virtue_decile(v) -> np.ndarray:
    return np.minimum((percentile_ranks(v) * 10).astype(int), 9)


def _by_id(citizens: pd.DataFrame, col: str) -> np.ndarray:
    ids = citizens["citizen"].to_numpy()
    out = np.full(int(ids.max()) + 1 if ids.size else 0, np.nan)
    out[ids] = citizens[col].to_numpy(dtype=np.float64)
    return out


# --- C1 ---------------------------------------------------------------------------------

def c1(r, ctx: RunContext | None = None) -> dict[str, float]:
    c, s = r.citizens, r.steps
    own = c["points_lost"].sum() - c["points_lost_assoc"].sum()
    return {
        "lawful_points_share": ratio(c["points_lost_lawful"].sum(), own),
        "lawful_listings_share": ratio(s["entries_lawful"].sum(), s["entries_black"].sum()),
    }


# --- C2 ---------------------------------------------------------------------------------

def c2(r, ctx: RunContext | None = None) -> dict[str, float]:
    ctx = ctx or RunContext()
    c = r.citizens
    ever = c["listings"] > 0
    out = {"sectors_per_listed": float(c.loc[ever, "sectors_ever"].mean()) if ever.any() else NAN}
    if getattr(r, "events", None) is None:
        out.update(punishments.summarise(pd.DataFrame()))
        out["offences_followed"] = NAN
        out["n_sanctioning_offences"] = out["n_offences_followed"] = NAN
        return out
    deg = dict(zip(c["citizen"].to_numpy(), c["degree_initial"].to_numpy(), strict=True))
    rel = ctx.related
    per = punishments.offence_punishments(
        r.events, _steps_run(r), blacklists=ctx.blacklists,
        ties_penalised=ctx.association_penalty > 0, has_ties=lambda i: deg.get(i, 0) > 0,
        related=(lambda b: rel.get(b, frozenset())) if rel is not None else None)
    out.update(punishments.summarise(per))
    out["n_offences_followed"] = out["offences_followed"]
    out["n_sanctioning_offences"] = float((per["new_sectors"].to_numpy() > 0).sum()) if len(per) else 0.0
    return out


# --- C3 ---------------------------------------------------------------------------------

def c3(r, ctx: RunContext | None = None) -> dict[str, float]:
    c, s = r.citizens, r.steps
    return {
        "wrongful_share": ratio(c["wrongful_listings"].sum(), c["listings"].sum()),
        "days_per_wrongful_listing": ratio(c["days_wrongfully_listed"].sum(), c["wrongful_listings"].sum()),
        "appeal_success": ratio(s["appeals_won"].sum(), s["appeals_decided"].sum()),
        "wrongful_overturned_share": ratio(s["appeals_won_wrongful"].sum(), s["entries_wrongful"].sum()),
        "n_wrongful_listings": float(c["wrongful_listings"].sum()),
        "n_listings": float(c["listings"].sum()),
    }


# --- C4 ---------------------------------------------------------------------------------

def c4(r, ctx: RunContext | None = None) -> dict[str, float]:
    t = r.c4.groupby(["virtue_decile", "buffer_quartile"])[["citizen_days", "harmful_acts"]].sum()
    highs, lows, alls = [], [], []
    for d in range(10):
        try:
            hi = t.loc[(d, 3)]
            lo = t.loc[(d, 0)]
        except KeyError:
            continue
        if hi["citizen_days"] <= 0 or lo["citizen_days"] <= 0:
            continue
        cells = t.loc[d]
        highs.append(hi["harmful_acts"] / hi["citizen_days"] * 1000.0)
        lows.append(lo["harmful_acts"] / lo["citizen_days"] * 1000.0)
        alls.append(cells["harmful_acts"].sum() / cells["citizen_days"].sum() * 1000.0)
    if not highs:
        return {"harm_rate_high_buffer": NAN, "harm_rate_low_buffer": NAN, "licence_gap": NAN,
                "licence_gap_relative": NAN, "harm_rate_deciles": NAN}
    gap = float(np.mean(np.subtract(highs, lows)))
    return {
        "harm_rate_high_buffer": float(np.mean(highs)),
        "harm_rate_low_buffer": float(np.mean(lows)),
        "licence_gap": gap,
        "licence_gap_relative": ratio(gap, float(np.mean(alls))),
        "harm_rate_deciles": float(np.mean(alls)),
    }


def c4_licence_did(on: Mapping[str, float], off: Mapping[str, float]) -> float:
    """C4's tested quantity for one seed: the licence gap with the strategic response on minus
    off (a difference in differences), over the mean harm rate with it on.

    The gap alone mixes licensing with selection (citizens who did harm have lost points,
    so sit in the low-buffer quartile); selection is there with the response off too, so
    the difference keeps only what the response to points adds.
    """
    rate = on.get("harm_rate_deciles", NAN)
    if not (np.isfinite(rate) and rate > 0):
        return NAN
    return (on.get("licence_gap", NAN) - off.get("licence_gap", NAN)) / rate


# --- C5 ---------------------------------------------------------------------------------

TIE_LOSS_MIN = 1.0  # points lost through ties over the run for a loss to count (C5)


def c5(r, ctx: RunContext | None = None) -> dict[str, float]:
    c = r.citizens
    innocent = c["offences"] == 0
    n_inn = int(innocent.sum())
    hit = int(((c["points_lost_assoc"] >= TIE_LOSS_MIN) & innocent).sum())
    return {
        "innocent_assoc_share": ratio(hit, n_inn),
        "n_blameless_tie_losers": float(hit),
        "n_blameless": float(n_inn),
        "innocent_assoc_points_per_1000": _per_1000_per_day(r, "assoc_points_lost_innocent"),
        "assoc_share_of_points_lost": ratio(c["points_lost_assoc"].sum(), c["points_lost"].sum()),
        "isolation_listed": network.isolation(c["degree_initial"], c["degree_final"], c["listings"] > 0),
    }


# --- C6 ---------------------------------------------------------------------------------

def c6(r, ctx: RunContext | None = None) -> dict[str, float]:
    c = r.citizens
    ties = getattr(r, "ties", None)
    if ties is not None and len(ties):
        score = _by_id(c, "score")
        src, dst = ties["src"].to_numpy(), ties["dst"].to_numpy()
        assort = network.assortativity(score, src, dst)
        top = network.top_closure(score, src, dst)
    else:  # large runs keep no ties: fall back on the engine's end-of-run summary
        net = r.network.iloc[0] if len(r.network) else {}
        assort = float(net.get("score_assortativity", NAN)) if len(r.network) else NAN
        top = {"closure": NAN, "excess": NAN}
    mid, end = percentile_ranks(c["score_mid"]), percentile_ranks(c["score"])
    bottom = mid <= 0.2
    return {
        "score_assortativity": assort,
        "top_decile_closure": top["closure"],
        "top_decile_closure_excess": top["excess"],
        "score_gini": gini(c["score"]),
        "wealth_gini": gini(c["wealth"]),
        "bottom_quintile_mobility": float((end[bottom] > 0.2).mean()) if bottom.any() else NAN,
    }


# --- C7 ---------------------------------------------------------------------------------

def c7(r, ctx: RunContext | None = None) -> dict[str, float]:
    ctx = ctx or RunContext()
    c = r.citizens
    dec = _virtue_decile(c["virtue"])
    disc = c["disclosed"].to_numpy(bool)
    score = c["score"].to_numpy(np.float64)
    gaps = []
    for d in range(10):
        m = dec == d
        a, b = m & ~disc, m & disc
        if a.any() and b.any():
            gaps.append(score[a].mean() - score[b].mean())
    gap = float(np.mean(gaps)) if gaps else NAN
    rng = ctx.scale_range
    if not (np.isfinite(rng) and rng > 0):
        rng = float(score.std()) if score.std() > 0 else NAN
    return {
        "disclosure_rate": float(disc.mean()) if disc.size else NAN,
        "privacy_score_gap": gap,
        "privacy_score_gap_scaled": ratio(gap, rng) if np.isfinite(gap) else NAN,
    }


# --- C8 ---------------------------------------------------------------------------------

def c8(r, ctx: RunContext | None = None) -> dict[str, float]:
    c = r.citizens
    return {
        "performative_points_share": ratio(c["points_gained_performative"].sum(), c["points_gained"].sum()),
        "spearman_score_virtue": spearman(c["score"], c["virtue"]),
        "spearman_score_strategic": spearman(c["score"], c["strategic"]),
        "unobserved_harm_per_1000": _per_1000_per_day(r, "unobserved_harm", _second_half(r)),
    }


# --- C9 ---------------------------------------------------------------------------------

def _coverage_order(c: pd.DataFrame, ctx: RunContext) -> tuple[str, ...]:
    present = set(c["group"].astype(str))
    order = tuple(g for g in ctx.groups_by_coverage if g in present)
    if len(order) >= 2:
        return order
    # No rulebook at hand: rank groups by records per true act (the data's own coverage).
    acts = c.groupby("group")[["records", "false_records", "acts_harm", "acts_good"]].sum()
    seen = (acts["records"] - acts["false_records"]) / (acts["acts_harm"] + acts["acts_good"]).clip(lower=1)
    return tuple(seen.sort_values(ascending=False, kind="stable").index.astype(str))


def c9(r, ctx: RunContext | None = None) -> dict[str, float]:
    ctx = ctx or RunContext()
    c = r.citizens
    groups = c["group"].astype(str).to_numpy()
    order = _coverage_order(c, ctx)
    wrongly = c["wrongful_listings"].to_numpy() > 0
    listed = c["listings"].to_numpy() > 0
    culpable = c["culpable_acts"].to_numpy() > 0
    rates = fairness.rates_by_group(wrongly, groups)
    pooled = float(wrongly.mean()) if wrongly.size else NAN
    if len(order) >= 2:
        best, worst = order[0], order[-1]
        gap = (rates[worst] - rates[best]) * 1000.0
        _, fpr = fairness.true_false_positive_rates(culpable, listed, groups)
        fpr_gap = fpr[worst] - fpr[best]
        both = (groups == best) | (groups == worst)
        n_wrong, n_both = float(wrongly[both].sum()), float(both.sum())
    else:
        best = worst = None
        gap = fpr_gap = n_wrong = n_both = NAN
    return {
        "wrongful_rate_best_covered": rates[best] * 1000.0 if best else NAN,
        "wrongful_rate_worst_covered": rates[worst] * 1000.0 if worst else NAN,
        "wrongful_rate_gap": gap,
        "wrongful_rate_gap_relative": ratio(gap, pooled * 1000.0) if np.isfinite(gap) else NAN,
        "fpr_gap": fpr_gap,
        "equalized_odds_difference": fairness.equalized_odds_difference(culpable, listed, groups),
        "demographic_parity_difference": fairness.demographic_parity_difference(listed, groups),
        "n_wrongly_listed_compared": n_wrong,
        "n_citizens_compared": n_both,
    }


# --- C10 --------------------------------------------------------------------------------

def c10(r, ctx: RunContext | None = None) -> dict[str, float]:
    h = _second_half(r)
    pop_days = _population(r) * h["step"].nunique()
    harm = _per_1000_per_day(r, "harm", h)
    blind = _per_1000_per_day(r, "unobserved_harm", h)
    return {
        "mean_trust": ratio(h["trust_sum"].sum(), pop_days),
        "harm_per_1000": harm,
        "harm_seen_per_1000": harm - blind,
        "harm_blind_per_1000": blind,
        "cheated_per_1000": _per_1000_per_day(r, "cheated", h),
    }


def harm_per_1000(r) -> float:
    """The harm measure of C10 and C11: true harm per 1,000 citizens per day, second half of the run."""
    return _per_1000_per_day(r, "harm", _second_half(r))


# --- C11 --------------------------------------------------------------------------------

def lever_key(on) -> frozenset[str]:
    """A lever combination as the frozenset of levers switched on (from a Levers, dict or iterable)."""
    if hasattr(on, "model_dump"):
        on = on.model_dump()
    if isinstance(on, Mapping):
        return frozenset(k for k in LEVERS if on.get(k))
    return frozenset(on)


def c11(harm: Mapping[frozenset[str], float]) -> dict[str, float]:
    """Shapley decomposition of harm reduction for one seed.

    `harm` maps each of the 16 lever combinations (frozenset of levers on) to harm per 1,000
    citizens per day. v(S) = harm(no lever) - harm(S); a lever's share = phi / v(all levers).
    """
    off = harm[frozenset()]
    v = {k: off - h for k, h in harm.items()}
    phi = shapley(LEVERS, v)
    total = v[frozenset(LEVERS)]
    out = {"harm_all_off": off, "harm_all_on": harm[frozenset(LEVERS)], "harm_reduction": total}
    for k in LEVERS:
        out[f"shapley_{k}"] = phi[k]
        out[f"share_{k}"] = ratio(phi[k], total)
    out["code_minus_law_share"] = out["share_code"] - out["share_law"]
    return out


__all__ = ["Claim", "Count", "Evidence", "Metric", "Test", "MIN_EVENTS", "TOO_FEW", "too_few_events", "LEVERS", "c1", "c2", "c3", "c4", "c5", "c6", "c7",
           "c8", "c9", "c10", "c11", "harm_per_1000", "lever_key", "verdict",
           "SUPPORTED", "NOT_SUPPORTED", "MIXED", "NA"]
