"""The HTML page's part for a nation's run: what its national list did across the
municipalities (scslab.nation.report's sentences and tables, and a figure). `scslab report`
puts it first on a nation's page (run_report.section)."""

from __future__ import annotations

import math

import pandas as pd

from ..nation.report import by_pilot, national_paragraphs
from . import plots
from .run_report import _e, _table


def figure_national_by_municipality(munis: pd.DataFrame) -> str | None:
    """National listings per 100,000 in each municipality (largest first), coloured by the
    pilot it runs: whether the national list falls evenly, whatever the local pilot."""
    if not len(munis) or not munis.population.sum():
        return None
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


def _note(text: str) -> str:
    return f'<p class="small">{_e(text)}</p>'


def report_html(manifest: dict, munis: pd.DataFrame, national: pd.DataFrame, reach: pd.DataFrame) -> str:
    """The report as an HTML fragment (scslab report on a nation's run folder puts it first)."""
    parts = ["<h2>The national list across the municipalities</h2>"]
    parts += [f"<p>{_e(t)}</p>" for t in national_paragraphs(manifest, munis, national)]
    bp = by_pilot(munis)
    parts.append("<h3>By the pilot each municipality runs</h3>")
    parts.append(_table(
        ["pilot", "municipalities", "citizens", "national per 100,000", "ever", "local blacklist per 100,000",
         "harm per 1,000 a day", "trust (end)"],
        [[str(name), int(r.municipalities), f"{int(r.population):,}", f"{r.national_per_100k:.1f}",
          f"{r.national_ever_per_100k:.1f}", f"{r.local_per_100k:.1f}", f"{r.harm_per_1000_per_day:.3f}",
          f"{r.mean_trust_end:.3f}"] for name, r in bp.iterrows()])
        + _note("national: on the national list at the end; ever: at some time; local blacklist: on a list of the "
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
    parts.append(_table(
        ["municipality", "pilot", "citizens", "national (end)", "national (ever)", "felt in", "local blacklist",
         "ties out"], rows, text_cols=2)
        + _note("felt in: the mean number of municipalities where its nationally listed citizens have ties (their own "
        "included); ties out: tie ends to other municipalities."))
    return "\n".join(parts)


__all__ = ["figure_national_by_municipality", "report_html"]
