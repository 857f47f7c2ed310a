"""The critics' claims C1..C11 and the metrics that test them.

One function per claim takes a RunResult (or any object with the same tables: `steps`,
`citizens`, `c4`, `network`, optional `events` and `ties`, and a `manifest` with `steps`)
and a `RunContext` (facts about the rulebook), and returns named values. `CLAIMS` is the
registry: for each claim, the claim in short, its metrics (definition and formula), and
the test that decides the verdict across seeds. Definitions are documented in
docs/metrics.md; keep the two in step, and keep definitions stable.

C11 is the exception: it compares 16 runs (the four levers on and off), so its function
takes the harm of each lever combination rather than one run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import fairness, network, punishments
from .context import RunContext, context_of
from .shapley import shapley
from .stats import NAN, Interval, gini, percentile_ranks, ratio, spearman

LEVERS = ("law", "market", "norms", "code")


# --- registry types -------------------------------------------------------------------

@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    definition: str
    formula: str
    unit: str = ""
    vs_baseline: bool = False  # the comparison also reports pilot minus the no-SCS baseline


@dataclass(frozen=True)
class Test:
    """How a claim's verdict is read off the seeds.

    The tested quantity is `metric` (against a fixed `null`), or with against="baseline" the
    seed-paired difference pilot minus the no-SCS baseline (null 0). `direction` is the sign
    of an effect that supports the claim (+1 or -1; 0 = any difference supports it).
    `margin` is the size of effect too small to matter: an interval within null ± margin
    reads as "not supported" (negligible), and "supported" needs the whole interval beyond
    the margin on the claimed side (see `verdict`).
    """

    __test__ = False  # not a pytest test class, despite the name

    metric: str
    direction: int
    margin: float
    null: float = 0.0
    against: str = "null"  # or "baseline"

    def describe(self) -> str:
        what = f"{self.metric} minus the no-SCS baseline" if self.against == "baseline" else self.metric
        sign = {1: "above", -1: "below", 0: "away from"}[self.direction]
        ref = 0.0 if self.against == "baseline" else self.null
        return f"{what} clearly {sign} {ref:g}, by more than {self.margin:g}"


@dataclass(frozen=True)
class Claim:
    id: str
    short: str  # the claim, in a few words
    claim: str  # the claim in one sentence (our words)
    metrics: tuple[Metric, ...]
    test: Test
    compute: Callable | None  # (result, ctx) -> dict; None for C11 (see `c11`)

    def metric(self, key: str) -> Metric:
        return next(m for m in self.metrics if m.key == key)


SUPPORTED, NOT_SUPPORTED, MIXED, NA = "supported", "not supported", "mixed", "n/a"


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
    null = 0.0 if test.against == "baseline" else test.null
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
        return out
    deg = dict(zip(c["citizen"].to_numpy(), c["degree_initial"].to_numpy(), strict=True))
    rel = ctx.related
    per = punishments.offence_punishments(
        r.events, _steps_run(r), blacklists=ctx.blacklists,
        ties_penalised=ctx.association_penalty > 0, has_ties=lambda i: deg.get(i, 0) > 0,
        related=(lambda b: rel.get(b, frozenset())) if rel is not None else None)
    out.update(punishments.summarise(per))
    return out


# --- C3 ---------------------------------------------------------------------------------

def c3(r, ctx: RunContext | None = None) -> dict[str, float]:
    c, s = r.citizens, r.steps
    return {
        "wrongful_share": ratio(c["wrongful_listings"].sum(), c["listings"].sum()),
        "days_per_wrongful_listing": ratio(c["days_wrongfully_listed"].sum(), c["wrongful_listings"].sum()),
        "appeal_success": ratio(s["appeals_won"].sum(), s["appeals_decided"].sum()),
        "wrongful_overturned_share": ratio(s["appeals_won_wrongful"].sum(), s["entries_wrongful"].sum()),
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
                "licence_gap_relative": NAN}
    gap = float(np.mean(np.subtract(highs, lows)))
    return {
        "harm_rate_high_buffer": float(np.mean(highs)),
        "harm_rate_low_buffer": float(np.mean(lows)),
        "licence_gap": gap,
        "licence_gap_relative": ratio(gap, float(np.mean(alls))),
    }


# --- C5 ---------------------------------------------------------------------------------

def c5(r, ctx: RunContext | None = None) -> dict[str, float]:
    c = r.citizens
    innocent = c["offences"] == 0
    n_inn = int(innocent.sum())
    return {
        "innocent_assoc_share": ratio(((c["points_lost_assoc"] > 0) & innocent).sum(), n_inn),
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
    else:
        best = worst = None
        gap = fpr_gap = NAN
    return {
        "wrongful_rate_best_covered": rates[best] * 1000.0 if best else NAN,
        "wrongful_rate_worst_covered": rates[worst] * 1000.0 if worst else NAN,
        "wrongful_rate_gap": gap,
        "wrongful_rate_gap_relative": ratio(gap, pooled * 1000.0) if np.isfinite(gap) else NAN,
        "fpr_gap": fpr_gap,
        "equalized_odds_difference": fairness.equalized_odds_difference(culpable, listed, groups),
        "demographic_parity_difference": fairness.demographic_parity_difference(listed, groups),
    }


# --- C10 --------------------------------------------------------------------------------

def c10(r, ctx: RunContext | None = None) -> dict[str, float]:
    h = _second_half(r)
    pop_days = _population(r) * h["step"].nunique()
    return {
        "mean_trust": ratio(h["trust_sum"].sum(), pop_days),
        "harm_per_1000": _per_1000_per_day(r, "harm", h),
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


# --- the registry -----------------------------------------------------------------------

def _m(key, label, definition, formula, unit="", vs_baseline=False) -> Metric:
    return Metric(key, label, definition, formula, unit, vs_baseline)


CLAIMS: dict[str, Claim] = {c.id: c for c in (
    Claim("C1", "governs lawful conduct",
          "The system punishes conduct that breaks no law.",
          (_m("lawful_points_share", "share of points deducted for lawful conduct",
              "Points deducted for behaviours whose legal status is lawful (and for withholding one's data), "
              "over all points deducted for a citizen's own conduct (association losses left out).",
              "Σ points_lost_lawful / Σ (points_lost − points_lost_assoc)", "share"),
           _m("lawful_listings_share", "share of blacklistings caused by lawful conduct",
              "Blacklist entries the engine attributes to lawful conduct, over all blacklist entries.",
              "Σ entries_lawful / Σ entries_black", "share")),
          Test("lawful_points_share", +1, 0.01), c1),
    Claim("C2", "one wrong, punished everywhere",
          "A single offence brings sanctions in many unrelated sectors at once.",
          (_m("unrelated_sectors_per_sanctioning_offence", "unrelated sectors restricted per sanctioning offence",
              "Among offences followed within 30 days by at least one new sector restriction, the mean number "
              "of newly restricted sectors that the relatedness map does not relate to the offence's domain "
              "(ledger; map: scslab/audit/data/relatedness.yaml).",
              "mean over offences with k>0 of |new sectors ∖ related(domain)|", "sectors"),
           _m("sectors_per_sanctioning_offence", "sectors restricted per sanctioning offence",
              "Among offences followed within 30 days by at least one new sector restriction, the mean "
              "number of distinct sectors newly restricted in that window (ledger).",
              "mean over offences with k>0 of k = |sectors restricted in [t, t+30) not restricted at t−1|",
              "sectors"),
           _m("sectors_per_offence", "sectors restricted per offence",
              "The same count over all offences, zeros included.", "mean over offences of k", "sectors"),
           _m("punishments_per_offence", "punishments per offence",
              "Distinct consequences within 30 days: the deduction, a blacklisting, each sector newly "
              "restricted, and points lost by the offender's ties (when ties are penalised).",
              "mean of 1 + listed + k + listed·[association penalty > 0]·[has ties]", "count"),
           _m("listing_per_offence", "share of offences followed by a blacklisting",
              "Offences followed by a blacklist entry within 30 days.", "mean of listed", "share"),
           _m("sectors_per_listed", "sectors ever restricted per blacklisted citizen",
              "Mean number of distinct sectors ever restricted, over citizens blacklisted at least once.",
              "mean of sectors_ever where listings > 0", "sectors")),
          Test("unrelated_sectors_per_sanctioning_offence", +1, 0.1), c2),
    Claim("C3", "no due process",
          "People are listed on records that are false or lack context, and stay listed.",
          (_m("wrongful_share", "share of blacklistings that are wrongful",
              "Blacklist entries the ground truth would not have triggered (false or excusable records), "
              "over all blacklist entries.", "Σ wrongful_listings / Σ listings", "share"),
           _m("days_per_wrongful_listing", "days a wrongful listing lasts",
              "Days spent wrongfully listed per wrongful listing (cut off at the end of the run).",
              "Σ days_wrongfully_listed / Σ wrongful_listings", "days"),
           _m("appeal_success", "appeal success rate", "Appeals won over appeals decided.",
              "Σ appeals_won / Σ appeals_decided", "share"),
           _m("wrongful_overturned_share", "share of wrongful listings overturned on appeal",
              "Appeals won against wrongful listings, over wrongful blacklist entries.",
              "Σ appeals_won_wrongful / Σ entries_wrongful", "share")),
          Test("wrongful_share", +1, 0.01), c3),
    Claim("C4", "stored credit licenses bad acts",
          "A high score works as a licence: those with points to spare do more harm.",
          (_m("licence_gap_relative", "harm rate, high minus low buffer (relative)",
              "Within each virtue decile, the harmful-act rate of the top buffer quartile minus that of the "
              "bottom quartile; averaged over deciles and divided by the mean rate of those deciles.",
              "mean_d (h_d,top − h_d,bottom) / mean_d h_d", "ratio"),
           _m("licence_gap", "harm rate, high minus low buffer",
              "The same difference, in harmful acts per 1,000 citizen-days.",
              "mean_d (h_d,top − h_d,bottom) × 1000", "per 1,000 citizen-days"),
           _m("harm_rate_high_buffer", "harm rate, top buffer quartile", "Harmful acts per 1,000 citizen-days, "
              "mean over virtue deciles.", "mean_d h_d,top × 1000", "per 1,000 citizen-days"),
           _m("harm_rate_low_buffer", "harm rate, bottom buffer quartile", "As above, bottom quartile.",
              "mean_d h_d,bottom × 1000", "per 1,000 citizen-days")),
          Test("licence_gap_relative", +1, 0.05), c4),
    Claim("C5", "guilt by association",
          "People lose out for whom they know, not for what they did.",
          (_m("innocent_assoc_share", "share of the blameless who lost points for their ties",
              "Citizens with no offence of their own who lost points for ties to the blacklisted, over "
              "citizens with no offence.", "#(offences = 0 ∧ points_lost_assoc > 0) / #(offences = 0)", "share"),
           _m("innocent_assoc_points_per_1000", "association points lost by the blameless",
              "Points lost for ties by citizens with no offence, per 1,000 citizens per day.",
              "Σ assoc_points_lost_innocent × 1000 / (N × days)", "points"),
           _m("assoc_share_of_points_lost", "share of all points lost that are for ties",
              "Association losses over all points lost.", "Σ points_lost_assoc / Σ points_lost", "share"),
           _m("isolation_listed", "extra share of ties lost by the listed",
              "Mean relative tie loss (d0 − d1)/d0 of citizens ever blacklisted minus that of the rest.",
              "mean_listed (d0−d1)/d0 − mean_unlisted (d0−d1)/d0", "share")),
          Test("innocent_assoc_share", +1, 0.01), c5),
    Claim("C6", "a new elite",
          "High scorers keep to themselves and pull away from the rest.",
          (_m("score_assortativity", "score assortativity over ties",
              "Pearson correlation of the scores at the two ends of active ties (each tie both ways).",
              "corr(score_i, score_j) over ties (i,j) and (j,i)", "r"),
           _m("top_decile_closure", "top-decile closure",
              "Share of ties touching the top score decile that join two top-decile citizens "
              "(top: percentile rank > 0.9, ties share their average rank).",
              "#ties(top,top) / #ties touching top", "share"),
           _m("top_decile_closure_excess", "top-decile closure above random mixing",
              "Closure minus its value if tie ends mixed at random, p/(2−p), p = top's share of tie ends.",
              "closure − p/(2−p)", "share"),
           _m("score_gini", "score Gini", "Gini coefficient of final scores.",
              "Σ_i Σ_j |x_i − x_j| / (2 n² mean)", "Gini"),
           _m("wealth_gini", "wealth Gini", "Gini coefficient of final wealth (can exceed 1 if some "
              "wealth is negative).", "Σ_i Σ_j |x_i − x_j| / (2 n² mean)", "Gini", vs_baseline=True),
           _m("bottom_quintile_mobility", "mobility out of the bottom quintile",
              "Of citizens in the bottom score quintile at mid-run (percentile rank ≤ 0.2), the share "
              "above it at the end.", "#(p_mid ≤ 0.2 ∧ p_end > 0.2) / #(p_mid ≤ 0.2)", "share")),
          Test("score_assortativity", +1, 0.05), c6),
    Claim("C7", "privacy becomes suspicion",
          "Keeping one's data private is read as a sign of bad character.",
          (_m("privacy_score_gap_scaled", "score gap, non-disclosers minus disclosers (share of scale)",
              "Within each virtue decile, mean score of citizens who kept their data minus that of those who "
              "disclosed it; averaged over deciles, divided by the score range.",
              "mean_d (s̄_d,private − s̄_d,disclosed) / (max − min)", "share of scale"),
           _m("privacy_score_gap", "score gap, non-disclosers minus disclosers",
              "The same gap in points.", "mean_d (s̄_d,private − s̄_d,disclosed)", "points"),
           _m("disclosure_rate", "disclosure rate", "Share of citizens who have shared their data at the end.",
              "#disclosed / N", "share")),
          Test("privacy_score_gap_scaled", -1, 0.01), c7),
    Claim("C8", "metrics over virtue",
          "The score rewards what can be measured, not what is good.",
          (_m("performative_points_share", "share of points gained for performative acts",
              "Points granted for acts of little real social value (points > 0, social value ≤ 0.1), over "
              "all points granted.", "Σ points_gained_performative / Σ points_gained", "share"),
           _m("spearman_score_virtue", "Spearman(score, virtue)", "Rank correlation of final score and virtue.",
              "ρ(score, virtue)", "ρ"),
           _m("spearman_score_strategic", "Spearman(score, strategic)",
              "Rank correlation of final score and strategic orientation.", "ρ(score, strategic)", "ρ"),
           _m("unobserved_harm_per_1000", "unobservable harm",
              "Harm from acts no data source can see, per 1,000 citizens per day (second half of the run).",
              "Σ unobserved_harm × 1000 / (N × days)", "harm", vs_baseline=True)),
          Test("performative_points_share", +1, 0.01), c8),
    Claim("C9", "incomplete data, unfair outcomes",
          "Groups the data sees differently are treated differently for the same conduct.",
          (_m("wrongful_rate_gap_relative", "wrongful-listing rate gap, worst- minus best-covered group (relative)",
              "Share of citizens ever wrongfully listed in the group the data sources cover least minus that "
              "in the group they cover best, over the share in the whole population.",
              "(w_worst − w_best) / w_all", "ratio"),
           _m("wrongful_rate_gap", "wrongful-listing rate gap", "The same gap per 1,000 citizens.",
              "(w_worst − w_best) × 1000", "per 1,000"),
           _m("wrongful_rate_best_covered", "wrongful listings, best-covered group", "Per 1,000 citizens.",
              "w_best × 1000", "per 1,000"),
           _m("wrongful_rate_worst_covered", "wrongful listings, worst-covered group", "Per 1,000 citizens.",
              "w_worst × 1000", "per 1,000"),
           _m("fpr_gap", "false-positive rate gap, worst- minus best-covered",
              "Listing rate among citizens with no culpable act, worst-covered minus best-covered group.",
              "P(listed | ¬culpable, worst) − P(listed | ¬culpable, best)", "share"),
           _m("equalized_odds_difference", "equalized-odds difference (listing vs culpability)",
              "Larger of the max−min gaps across groups in true- and false-positive rates of ever being "
              "listed, with culpability (a true unexcused punishable act) as the truth; as fairlearn.",
              "max(max_g TPR − min_g TPR, max_g FPR − min_g FPR)", "share"),
           _m("demographic_parity_difference", "demographic-parity difference of listing",
              "Max − min across groups of the share ever blacklisted; as fairlearn.",
              "max_g P(listed|g) − min_g P(listed|g)", "share")),
          Test("wrongful_rate_gap_relative", 0, 0.1), c9),
    Claim("C10", "restores trust?",
          "The system's stated aim: with it, people trust each other more.",
          (_m("mean_trust", "mean trust", "Mean beta-reputation trust over citizens and days, second half of "
              "the run.", "Σ trust_sum / (N × days)", "0..1", vs_baseline=True),
           _m("harm_per_1000", "harm per 1,000 citizens per day",
              "True harm (sum of −social value of harmful acts, seen or not), second half of the run.",
              "Σ harm × 1000 / (N × days)", "harm", vs_baseline=True),
           _m("cheated_per_1000", "cheated exchanges per 1,000 citizens per day",
              "Exchanges in which the partner cheated, second half of the run.",
              "Σ cheated × 1000 / (N × days)", "exchanges", vs_baseline=True)),
          Test("mean_trust", +1, 0.005, against="baseline"), c10),
    Claim("C11", "which lever regulates",
          "Code, not law, does the regulating.",
          (_m("code_minus_law_share", "code's share minus law's share of harm reduction",
              "Shapley shares of the harm reduction (all levers on vs all off) of code minus that of law.",
              "φ_code/v(N) − φ_law/v(N)", "share"),
           *(_m(f"share_{k}", f"{k}'s Shapley share",
                f"Shapley value of the {k} lever in v(S) = harm(∅) − harm(S), over v(all four).",
                f"φ_{k} / v(N)", "share") for k in LEVERS),
           *(_m(f"shapley_{k}", f"{k}'s Shapley value", f"Harm reduction attributed to {k}, per 1,000 "
                "citizens per day.", f"φ_{k}", "harm") for k in LEVERS),
           _m("harm_reduction", "harm reduction, all levers vs none", "v(N) = harm(∅) − harm(all).",
              "harm(∅) − harm(N)", "harm")),
          Test("code_minus_law_share", +1, 0.05), None),
)}

RUN_CLAIMS = tuple(k for k, c in CLAIMS.items() if c.compute is not None)


def run_metrics(result, ctx: RunContext | None = None) -> dict[str, float]:
    """Every per-run metric (C1..C10) of one run, as one flat dict of floats."""
    ctx = ctx if ctx is not None else context_of(result)
    out: dict[str, float] = {}
    for cid in RUN_CLAIMS:
        vals = CLAIMS[cid].compute(result, ctx)
        out.update({k: float(v) for k, v in vals.items()})
    return out


__all__ = ["CLAIMS", "Claim", "Metric", "Test", "LEVERS", "RUN_CLAIMS", "c1", "c2", "c3", "c4", "c5", "c6", "c7",
           "c8", "c9", "c10", "c11", "harm_per_1000", "lever_key", "run_metrics", "verdict",
           "SUPPORTED", "NOT_SUPPORTED", "MIXED", "NA"]
