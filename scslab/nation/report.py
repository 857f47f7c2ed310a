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


def _esc(x) -> str:
    import html

    return html.escape(str(x), quote=True)


def _html_table(header: list[str], rows: list[list], note: str = "") -> str:
    h = "".join(f"<th>{_esc(x)}</th>" for x in header)
    body = "".join("<tr>" + "".join(f'<td class="num">{_esc(x)}</td>' if i > 1 or (i == 1 and not isinstance(x, str))
                                     else f"<td>{_esc(x)}</td>" for i, x in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><tr>{h}</tr>{body}</table>" + (f'<p class="small">{_esc(note)}</p>' if note else "")


def figure_national_by_municipality(munis: pd.DataFrame) -> str | None:
    """National listings per 100,000 in each municipality (largest first), coloured by the
    pilot it runs: whether the national list falls evenly, whatever the local pilot."""
    if not len(munis) or not munis.population.sum():
        return None
    from ..report import plots

    m = munis.sort_values("population", ascending=False).reset_index(drop=True)
    rate = m.national_listed_end / m.population.where(m.population > 0) * 1e5
    pilots = list(dict.fromkeys(m.pilot.astype(str)))
    cmap = plots.plt.get_cmap("tab10")
    colour = {p: cmap(i % 10) for i, p in enumerate(pilots)}
    fig, ax = plots.plt.subplots(figsize=(10, 3.0), layout="constrained")
    ax.bar(range(len(m)), rate.fillna(0).to_numpy(), color=[colour[str(p)] for p in m.pilot], width=0.8)
    tot = m.national_listed_end.sum() / m.population.sum() * 1e5
    ax.axhline(tot, color="black", linewidth=0.8, linestyle="--")
    ax.set_xticks(range(len(m)), [str(x) for x in m["name"]], rotation=90, fontsize=6)
    ax.set_ylabel("on the national list\nper 100,000 (end)")
    handles = [plots.plt.Rectangle((0, 0), 1, 1, color=colour[p]) for p in pilots]
    ax.legend(handles, pilots, title="pilot", fontsize=7, title_fontsize=7, frameon=False, loc="center left",
              bbox_to_anchor=(1, 0.5))
    return plots._svg(fig)


def report_html(manifest: dict, munis: pd.DataFrame, national: pd.DataFrame, reach: pd.DataFrame) -> str:
    """The report as an HTML fragment (scslab report on a nation's run folder puts it first)."""
    parts = ["<h2>The national list across the municipalities</h2>"]
    parts += [f"<p>{_esc(t)}</p>" for t in national_paragraphs(manifest, munis, national)]
    bp = by_pilot(munis)
    parts.append("<h3>By the pilot each municipality runs</h3>")
    parts.append(_html_table(
        ["pilot", "municipalities", "citizens", "national per 100,000", "ever", "local blacklist per 100,000",
         "harm per 1,000 a day", "trust (end)"],
        [[str(name), int(r.municipalities), f"{int(r.population):,}", f"{r.national_per_100k:.1f}",
          f"{r.national_ever_per_100k:.1f}", f"{r.local_per_100k:.1f}", f"{r.harm_per_1000_per_day:.3f}",
          f"{r.mean_trust_end:.3f}"] for name, r in bp.iterrows()],
        "national: on the national list at the end; ever: at some time; local blacklist: on a list of the "
        "municipality's own pilot at the end. Rates per 100,000 citizens of the municipalities running the pilot."))
    svg = figure_national_by_municipality(munis)
    if svg:
        parts.append('<figure id="nation-fig-by-municipality" class="plot"><figcaption>On the national list in each '
                     "municipality (per 100,000 at the end, largest municipality first; dashed: the nation)"
                     f"</figcaption>{svg}</figure>")
    parts.append("<h3>Municipalities</h3>")
    rows = []
    for _, r in munis.sort_values("population", ascending=False).iterrows():
        felt = r.national_felt_in_mean
        felt = "-" if felt is None or (isinstance(felt, float) and math.isnan(felt)) else f"{felt:.2f}"
        rows.append([str(r["name"]), str(r.pilot), f"{int(r.population):,}", f"{int(r.national_listed_end):,}",
                     f"{int(r.national_listed_ever):,}", felt, f"{int(r.local_blacklisted_end):,}",
                     f"{int(r.ties_other_municipalities):,}"])
    parts.append(_html_table(
        ["municipality", "pilot", "citizens", "national (end)", "national (ever)", "felt in", "local blacklist",
         "ties out"], rows,
        "felt in: the mean number of municipalities where its nationally listed citizens have ties (their own "
        "included); ties out: tie ends to other municipalities."))
    return "\n".join(parts)


def tables_of(run) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None:
    """A nation run's municipalities, national and reach tables (RunResult or open run folder), or None."""
    more = getattr(run, "more", None)
    if isinstance(more, dict) and all(k in more for k in ("municipalities", "national", "reach")):
        return more["municipalities"], more["national"], more["reach"]
    return None


def report_text(result_or_folder) -> str:
    """The report of a nation's RunResult or run folder (path or RunFolder)."""
    if hasattr(result_or_folder, "more"):
        r = result_or_folder
        t = r.more
        return "\n".join(report_lines(r.manifest, t["municipalities"], t["national"], t["reach"]))
    from ..store import open_run

    run = result_or_folder if hasattr(result_or_folder, "table") else open_run(result_or_folder)
    names = run.tables()
    missing = [n for n in ("municipalities", "national", "reach") if n not in names]
    if missing:
        raise ValueError(f"{run.path}: not a nation's run (no {', '.join(missing)} table); run it with scslab nation")
    return "\n".join(report_lines(run.manifest, run.table("municipalities"), run.table("national"),
                                  run.table("reach")))


__all__ = ["by_pilot", "figure_national_by_municipality", "national_paragraphs", "report_html", "report_lines",
           "report_text"]
