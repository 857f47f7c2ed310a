"""The registry of claims: for each of C1..C11, the claim in short, its metrics (definition
and formula) and the test that reads the verdict across seeds; and `run_metrics`, every
per-run metric of one run. The metric functions themselves are in `claims.py`;
docs/metrics.md is generated from this registry (`python -m scslab.metrics.reference`).
"""

from __future__ import annotations

from .claims import LEVERS, Claim, Count, Metric, Test, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10
from .context import RunContext, context_of


def _m(key, label, definition, formula, unit="", vs_baseline=False, vs_off=None, paired=False) -> Metric:
    return Metric(key, label, definition, formula, unit, vs_baseline, vs_off, paired)


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
          Test("lawful_points_share", +1, 0.01), c1, requires=("punishment",),
          against="lawful conduct unpunished: a share of 0 by definition",
          undefined="fewer than two seeds deducted any points",
          uncounted="a share of points, not of events: deductions differ in size, and the runs' tables "
                    "count points, not lawful deductions"),
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
          Test("unrelated_sectors_per_sanctioning_offence", +1, 0.1), c2,
          requires=("sector_sanctions",),
          against="sanctions confined to the offence's own sector: 0 unrelated sectors by definition",
          undefined="fewer than two seeds had an offence followed by a sector restriction",
          count=Count("n_sanctioning_offences", "n_offences_followed", "offences followed by a sector restriction",
                      "offences", share=False)),
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
          Test("wrongful_share", +1, 0.01), c3, requires=("blacklist",),
          against="listings only on true, unexcused records: a wrongful share of 0 by definition",
          undefined="fewer than two seeds blacklisted anyone",
          count=Count("n_wrongful_listings", "n_listings", "wrongful listings", "listings")),
    Claim("C4", "stored credit licenses bad acts",
          "A high score works as a licence: those with points to spare do more harm.",
          (_m("licence_did_relative", "licence gap added by the response to points (relative)",
              "The licence gap (below) with the strategic response on minus the same pilot with it off "
              "(w_strategic = 0), paired by seed, over the mean harm rate of the deciles with it on. The gap "
              "alone also holds selection (those who did harm lost points and sit in the low-buffer quartile); "
              "the difference in differences keeps only what responding to points adds.",
              "(gap_on − gap_off) / mean_d h_d,on", "ratio", paired=True),
           _m("licence_gap_relative", "harm rate, high minus low buffer (relative)",
              "Within each virtue decile, the harmful-act rate of the top buffer quartile minus that of the "
              "bottom quartile; averaged over deciles and divided by the mean rate of those deciles.",
              "mean_d (h_d,top − h_d,bottom) / mean_d h_d", "ratio"),
           _m("licence_gap", "harm rate, high minus low buffer",
              "The same difference, in harmful acts per 1,000 citizen-days.",
              "mean_d (h_d,top − h_d,bottom) × 1000", "per 1,000 citizen-days", vs_off="strategic_response"),
           _m("harm_rate_high_buffer", "harm rate, top buffer quartile", "Harmful acts per 1,000 citizen-days, "
              "mean over virtue deciles.", "mean_d h_d,top × 1000", "per 1,000 citizen-days"),
           _m("harm_rate_low_buffer", "harm rate, bottom buffer quartile", "As above, bottom quartile.",
              "mean_d h_d,bottom × 1000", "per 1,000 citizen-days")),
          Test("licence_did_relative", +1, 0.05, against="counterfactual"), c4,
          requires=("strategic_response",), counterfactual="strategic_response",
          undefined="fewer than two seeds filled the buffer quartiles, with the response on and off",
          uncounted="a difference in differences of harm rates between paired runs, relative to the mean rate: "
                    "its noise is between runs and societies, which the interval over seeds measures"),
    Claim("C5", "guilt by association",
          "People lose out for whom they know, not for what they did.",
          (_m("innocent_assoc_share", "share of the blameless who lost points through their ties",
              "Citizens with no offence of their own who lost at least 1 point over the run through their "
              "ties (every tie term: the association penalty for blacklisted ties and the downward part of "
              "the peer pull toward ties' scores), over citizens with no offence.",
              "#(offences = 0 ∧ points_lost_assoc ≥ 1) / #(offences = 0)", "share"),
           _m("innocent_assoc_points_per_1000", "points lost through ties by the blameless",
              "Points lost through ties by citizens with no offence (so far), per 1,000 citizens per day.",
              "Σ assoc_points_lost_innocent × 1000 / (N × days)", "points"),
           _m("assoc_share_of_points_lost", "share of all points lost that are lost through ties",
              "Points lost through ties over all points lost.", "Σ points_lost_assoc / Σ points_lost", "share"),
           _m("isolation_listed", "extra share of ties lost by the listed",
              "Mean relative tie loss (d0 − d1)/d0 of citizens ever blacklisted minus that of the rest.",
              "mean_listed (d0−d1)/d0 − mean_unlisted (d0−d1)/d0", "share")),
          Test("innocent_assoc_share", +1, 0.01), c5, requires=("tie_terms",),
          against="tie terms off: no points lost through ties, a share of 0 by definition",
          undefined="fewer than two seeds had a citizen free of offences",
          count=Count("n_blameless_tie_losers", "n_blameless", "blameless citizens who lost points through ties",
                      "blameless citizens")),
    Claim("C6", "a new elite",
          "High scorers keep to themselves and pull away from the rest.",
          (_m("score_assortativity", "score assortativity over ties",
              "Pearson correlation of the scores at the two ends of active ties (each tie both ways).",
              "corr(score_i, score_j) over ties (i,j) and (j,i)", "r", vs_off="score_ties"),
           _m("top_decile_closure", "top-decile closure",
              "Share of ties touching the top score decile that join two top-decile citizens "
              "(top: percentile rank > 0.9, ties share their average rank).",
              "#ties(top,top) / #ties touching top", "share"),
           _m("top_decile_closure_excess", "top-decile closure above random mixing",
              "Closure minus its value if tie ends mixed at random, p/(2−p), p = top's share of tie ends.",
              "closure − p/(2−p)", "share", vs_off="score_ties"),
           _m("score_gini", "score Gini", "Gini coefficient of final scores.",
              "Σ_i Σ_j |x_i − x_j| / (2 n² mean)", "Gini"),
           _m("wealth_gini", "wealth Gini", "Gini coefficient of final wealth (can exceed 1 if some "
              "wealth is negative).", "Σ_i Σ_j |x_i − x_j| / (2 n² mean)", "Gini", vs_baseline=True,
              vs_off="elite_rewards"),
           _m("bottom_quintile_mobility", "mobility out of the bottom quintile",
              "Of citizens in the bottom score quintile at mid-run (percentile rank ≤ 0.2), the share "
              "above it at the end.", "#(p_mid ≤ 0.2 ∧ p_end > 0.2) / #(p_mid ≤ 0.2)", "share")),
          Test("score_assortativity", +1, 0.05, against="counterfactual"), c6,
          requires=("score_ties",), counterfactual="score_ties",
          undefined="fewer than two seeds had scores that varied over ties, with the mechanism on and off",
          uncounted="a difference of correlations over ties between paired runs, not a share of events"),
    Claim("C7", "privacy becomes suspicion",
          "Keeping one's data private is read as a sign of bad character.",
          (_m("privacy_score_gap_scaled", "score gap, non-disclosers minus disclosers (share of scale)",
              "Within each virtue decile, mean score of citizens who kept their data minus that of those who "
              "disclosed it; averaged over deciles, divided by the score range.",
              "mean_d (s̄_d,private − s̄_d,disclosed) / (max − min)", "share of scale",
              vs_off="disclosure_penalty"),
           _m("privacy_score_gap", "score gap, non-disclosers minus disclosers",
              "The same gap in points.", "mean_d (s̄_d,private − s̄_d,disclosed)", "points"),
           _m("disclosure_rate", "disclosure rate", "Share of citizens who have shared their data at the end.",
              "#disclosed / N", "share")),
          Test("privacy_score_gap_scaled", -1, 0.01, against="counterfactual"), c7,
          requires=("disclosure_penalty",), counterfactual="disclosure_penalty",
          undefined="fewer than two seeds had both disclosers and non-disclosers, with the penalty on and off",
          uncounted="a difference of mean scores between paired runs, not a share of events"),
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
          Test("performative_points_share", +1, 0.01), c8, requires=("rewards",),
          against="points granted only for acts of real social value: a share of 0 by definition",
          undefined="fewer than two seeds granted any points",
          uncounted="a share of points, not of events: grants differ in size, and the runs' tables count "
                    "points, not performative grants"),
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
          Test("wrongful_rate_gap_relative", 0, 0.1), c9, requires=("blacklist", "coverage_gap"),
          against="the same wrongful-listing rate in every group: a gap of 0 by definition",
          undefined="fewer than two seeds listed anyone wrongfully",
          count=Count("n_wrongly_listed_compared", "n_citizens_compared",
                      "citizens wrongfully listed in the best- and worst-covered groups",
                      "citizens in those groups", share=False)),
    Claim("C10", "restores trust?",
          "The system's stated aim: with it, people trust each other more.",
          (_m("mean_trust", "mean trust", "Mean beta-reputation trust over citizens and days, second half of "
              "the run.", "Σ trust_sum / (N × days)", "0..1", vs_baseline=True, vs_off="code"),
           _m("harm_per_1000", "harm per 1,000 citizens per day",
              "True harm (sum of −social value of harmful acts, seen or not), second half of the run.",
              "Σ harm × 1000 / (N × days)", "harm", vs_baseline=True, vs_off="code"),
           _m("harm_seen_per_1000", "harm the system can see, per 1,000 citizens per day",
              "Harm from acts some data source of the rulebook can record, second half of the run: where "
              "scoring can act.", "Σ (harm − unobserved_harm) × 1000 / (N × days)", "harm", vs_off="code"),
           _m("harm_blind_per_1000", "harm the system is blind to, per 1,000 citizens per day",
              "Harm from acts no data source of the rulebook can record (e.g. deceiving peers), second half "
              "of the run: scoring reaches it only through deterrence spilling over, which the engine does "
              "not model.", "Σ unobserved_harm × 1000 / (N × days)", "harm", vs_off="code"),
           _m("cheated_per_1000", "cheated exchanges per 1,000 citizens per day",
              "Exchanges in which the partner cheated, second half of the run.",
              "Σ cheated × 1000 / (N × days)", "exchanges", vs_baseline=True, vs_off="code")),
          Test("mean_trust", +1, 0.005, against="counterfactual"), c10, requires=("code",),
          counterfactual="code",
          uncounted="a difference of mean trust (a continuous 0..1 quantity) between paired runs"),
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
          Test("code_minus_law_share", +1, 0.05), None, requires=("code",),
          against="the 16 combinations of the four levers, paired by seed",
          undefined="fewer than two seeds saw the levers reduce harm (shares of no reduction are undefined)",
          uncounted="Shapley shares of a reduction in harm (continuous) over 16 lever combinations"),
)}

RUN_CLAIMS = tuple(k for k, c in CLAIMS.items() if c.compute is not None)


def run_metrics(result, ctx: RunContext | None = None) -> dict[str, float]:
    """Every per-run metric (C1..C10) of one run, as one flat dict of floats (over the measured
    days of a warm start: `scslab.metrics.window`)."""
    from .window import measured

    result = measured(result)
    ctx = ctx if ctx is not None else context_of(result)
    out: dict[str, float] = {}
    for cid in RUN_CLAIMS:
        vals = CLAIMS[cid].compute(result, ctx)
        out.update({k: float(v) for k, v in vals.items()})
    return out


__all__ = ["CLAIMS", "RUN_CLAIMS", "run_metrics"]
