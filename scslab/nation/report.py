"""What a national list does across a nation's municipalities, in words and small tables.

Reads a run's `municipalities`, `national` and `reach` tables (scslab.engine.reach), from a
RunResult or a run folder, and says: how many are on the national list and where, in how
many municipalities a listing restricts its holder and in how many it is felt through
ties, and how the municipalities running each pilot compare.
"""

from __future__ import annotations

import math

import pandas as pd


def _per_100k(x: float, n: float) -> str:
    return f"{x / n * 1e5:,.1f}" if n else "-"


def by_pilot(munis: pd.DataFrame) -> pd.DataFrame:
    """Municipalities grouped by the pilot they run: sums, and rates per 100,000 citizens."""
    g = munis.groupby("pilot", sort=False)
    out = pd.DataFrame({
        "municipalities": g.size(),
        "population": g.population.sum(),
        "national_listed_end": g.national_listed_end.sum(),
        "national_listed_ever": g.national_listed_ever.sum(),
        "local_blacklisted_end": g.local_blacklisted_end.sum(),
        "harm": (g.apply(lambda d: (d.harm_per_1000_per_day * d.population).sum(), include_groups=False)),
        "trust": (g.apply(lambda d: (d.mean_trust_end * d.population).sum(), include_groups=False)),
    })
    out["national_per_100k"] = out.national_listed_end / out.population * 1e5
    out["national_ever_per_100k"] = out.national_listed_ever / out.population * 1e5
    out["local_per_100k"] = out.local_blacklisted_end / out.population * 1e5
    out["harm_per_1000_per_day"] = out.harm / out.population
    out["mean_trust_end"] = out.trust / out.population
    return out.drop(columns=["harm", "trust"]).sort_values("population", ascending=False)


WIDTH = 88


def _para(text: str) -> list[str]:
    import textwrap

    return textwrap.wrap(text, WIDTH, subsequent_indent="  ")


def national_paragraphs(manifest: dict, munis: pd.DataFrame, national: pd.DataFrame) -> list[str]:
    """What the national list did, in sentences (one paragraph each): the text report and
    the HTML report say the same."""
    nat = national.iloc[0] if len(national) else None
    pop = int(munis.population.sum())
    M = len(munis)
    if nat is None or not nat["lists"]:
        return ["No national blacklist: nothing is listed nationwide."]
    ever, end = int(nat.listed_ever), int(nat.listed_end)
    out = [f"The national list ({nat['lists']}): {end:,} citizens on it at the end "
           f"({_per_100k(end, pop)} per 100,000), {ever:,} at some time; "
           f"{int(nat.wrongful_end):,} of those on it at the end are listed wrongfully "
           "(their clean record would not have listed them).",
           f"Restricted everywhere: its national measures are in force in {int(nat.restricted_in)} of {M} "
           "municipalities, so a listed citizen is restricted wherever they go."]
    if ever:
        out.append(f"Felt through ties: a listed citizen's ties live in {nat.felt_in_median:g} municipalities "
                   f"(median; mean {nat.felt_in_mean:.2f}, 90th percentile {nat.felt_in_p90:g}, most "
                   f"{int(nat.felt_in_max)}), their own included; {nat.share_felt_beyond_home:.0%} have ties "
                   "beyond their own city, where partners see the published name and refuse to trade.")
        cut = int(nat.ties_dropped_other_municipalities)
        out.append(f"Ties cut: listed citizens lost ties in {nat.cut_in_mean:.2f} municipalities on average; "
                   f"{cut:,} tie ends in other municipalities were dropped.")
    else:
        out.append("Nobody was put on the national list in this run (try more citizens or more days).")
    return out


def heading(manifest: dict, munis: pd.DataFrame) -> tuple[str, str]:
    """The report's title line and the run in one sentence."""
    meta = manifest.get("nation") or {}
    title = meta.get("title") or meta.get("name") or "nation"
    return (f"{meta.get('name', 'nation')}: {title}",
            f"{len(munis)} municipalities, {int(munis.population.sum()):,} citizens, {manifest.get('steps')} days, "
            f"seed {manifest.get('seed')}; national layer: {(manifest.get('national') or {}).get('name', 'none')}")


def report_lines(manifest: dict, munis: pd.DataFrame, national: pd.DataFrame, reach: pd.DataFrame) -> list[str]:
    """The report as plain text lines (at most 88 characters each)."""
    title, run = heading(manifest, munis)
    out = [title, *_para(run), ""]
    paras = national_paragraphs(manifest, munis, national)
    for text in paras:
        out += _para(text) if len(paras) > 1 else [text]
    out.append("")
    bp = by_pilot(munis)
    out.append("By the pilot each municipality runs (rates per 100,000 citizens at the end):")
    head = f"  {'pilot':<21}{'munis':>6}{'citizens':>11}{'national':>9}{'ever':>8}{'local BL':>9}{'harm/1000/d':>12}{'trust':>7}"
    out.append(head)
    for name, r in bp.iterrows():
        out.append(f"  {str(name)[:20]:<21}{int(r.municipalities):>6}{int(r.population):>11,}"
                   f"{r.national_per_100k:>9.1f}{r.national_ever_per_100k:>8.1f}{r.local_per_100k:>9.1f}"
                   f"{r.harm_per_1000_per_day:>12.3f}{r.mean_trust_end:>7.3f}")
    out += _para("  national: on the national list at the end; ever: at some time; local BL: on a local blacklist")
    out.append("")
    out.append("Municipalities (largest first):")
    head = f"  {'name':<12}{'pilot':<21}{'citizens':>10}{'national':>9}{'ever':>6}{'felt in':>8}{'local BL':>9}{'ties out':>9}"
    out.append(head)
    for _, r in munis.sort_values("population", ascending=False).iterrows():
        felt = "-" if r.national_felt_in_mean is None or (isinstance(r.national_felt_in_mean, float)
                                                          and math.isnan(r.national_felt_in_mean)) \
            else f"{r.national_felt_in_mean:.2f}"
        out.append(f"  {str(r['name'])[:11]:<12}{str(r.pilot)[:20]:<21}{int(r.population):>10,}"
                   f"{int(r.national_listed_end):>9,}{int(r.national_listed_ever):>6,}{felt:>8}"
                   f"{int(r.local_blacklisted_end):>9,}{int(r.ties_other_municipalities):>9,}")
    out += _para("  national, ever: citizens on the national list at the end / at some time; felt in: the mean "
                 "number of municipalities where those citizens have ties; local BL: on a local blacklist at the end; "
                 "ties out: tie ends to other municipalities")
    return out


def tables_of(run) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None:
    """A nation run's municipalities, national and reach tables (RunResult or open run folder), or None."""
    more = getattr(run, "more", None)
    if isinstance(more, dict) and all(k in more for k in ("municipalities", "national", "reach")):
        return more["municipalities"], more["national"], more["reach"]
    return None


def report_text(result_or_folder) -> str:
    """The report of a nation's RunResult or run folder (path or RunFolder)."""
    if hasattr(result_or_folder, "more"):  # a RunResult
        tables = tables_of(result_or_folder)
        if tables is None:
            raise ValueError("not a nation's run (no municipalities, national and reach tables); run it with "
                             "scslab nation")
        return "\n".join(report_lines(result_or_folder.manifest, *tables))
    from ..store import open_run

    run = result_or_folder if hasattr(result_or_folder, "table") else open_run(result_or_folder)
    names = run.tables()
    missing = [n for n in ("municipalities", "national", "reach") if n not in names]
    if missing:
        raise ValueError(f"{run.path}: not a nation's run (no {', '.join(missing)} table); run it with scslab nation")
    return "\n".join(report_lines(run.manifest, run.table("municipalities"), run.table("national"),
                                  run.table("reach")))


__all__ = ["by_pilot", "heading", "national_paragraphs", "report_lines", "report_text", "tables_of"]
