"""The sweep report: one offline HTML page per sweep (no scripts, figures inlined as SVG).

What it shows, per claim: the verdict at the rulebook's own values, the share of the
plausible box that gives the same verdict and where it flips, each factor's influence on
the tested quantity (Sobol indices, Morris mu*, or rank correlations), and the tested
quantity against each factor, coloured by the verdict at each point.
"""

from __future__ import annotations

import html

import numpy as np

from ..metrics.claims import MIXED, NOT_SUPPORTED, NOT_TESTED, SUPPORTED, TOO_FEW
from ..metrics.registry import CLAIMS, RUN_CLAIMS
from .html import CSS, badge, fmt
from .plots import _grid, _svg

COLOURS = {SUPPORTED: "#2e7d32", NOT_SUPPORTED: "#c62828", MIXED: "#e0a800", NOT_TESTED: "#9e9e9e",
           TOO_FEW: "#7b3fa0"}


def _e(s) -> str:
    return html.escape(str(s))


def robustness_table(res) -> str:
    rows = []
    for cid in RUN_CLAIMS:
        r = res.robustness.get(cid, {})
        counts = ", ".join(f"{v} {n}" for v, n in sorted(r.get("counts", {}).items()))
        share = r.get("share", float("nan"))
        flip = r.get("flip", {}) or {}
        why = r.get("reason", "")
        where = f" ({flip['accuracy']:.0%} of points)" if flip else ""
        rows.append(f"<tr><td><b>{cid}</b> {_e(CLAIMS[cid].short)}</td><td>{badge(r.get('nominal', ''))}"
                    f"{'<br><span class=small>' + _e(why) + '</span>' if why else ''}</td>"
                    f"<td class=num>{'—' if not np.isfinite(share) else f'{share:.0%}'}</td>"
                    f"<td class=small>{_e(counts)}</td><td class=small>{_e(flip.get('text', ''))}{where}</td></tr>")
    return ("<table><thead><tr><th>claim</th><th>verdict at the rulebook's values</th><th>same verdict over "
            "the box</th><th>verdicts over the box</th><th>where it flips (best one-factor split)</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def sensitivity_table(res) -> str:
    names = [f.path for f in res.factors]
    head = "".join(f"<th class=small>{_e(n)}</th>" for n in names)
    rows = []
    for cid in RUN_CLAIMS:
        s = res.sensitivity.get(cid, {})
        m = s.get("method", "none")
        if m == "sobol":
            cells = "".join(f"<td class=num>{fmt(a)} / {fmt(b)}</td>" for a, b in zip(s["S1"], s["ST"], strict=True))
            label = "Sobol S1 / ST"
        elif m == "morris":
            cells = "".join(f"<td class=num>{fmt(a)} (σ {fmt(b)})</td>" for a, b in zip(s["mu_star"], s["sigma"],
                                                                                      strict=True))
            label = "Morris μ*"
        elif m == "spearman":
            cells = "".join(f"<td class=num>{fmt(a)}</td>" for a in s["rho"])
            label = "Spearman ρ"
        else:
            cells = f"<td colspan={len(names)} class=small>{_e(s.get('why', ''))}</td>"
            label = "—"
        rows.append(f"<tr><td><b>{cid}</b></td><td class=small>{label}</td>{cells}</tr>")
    return (f"<table><thead><tr><th>claim</th><th>index</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody>"
            "</table>")


def scatter(res) -> str | None:
    """The tested quantity of each tested claim against each factor, coloured by verdict."""
    cids = [c for c in RUN_CLAIMS if any(c in t for t in res.tested[1:])]
    if not cids or not res.factors:
        return None
    k = len(res.factors)
    fig, axes = _grid(len(cids) * k, per_row=max(1, min(k, 4)), w=2.8, h=2.1)
    i = 0
    for cid in cids:
        for f in res.factors:
            ax = axes[i]
            i += 1
            for p in range(1, len(res.points)):
                iv = res.tested[p].get(cid)
                if iv is None or not np.isfinite(iv.mean):
                    continue
                v = res.verdicts[p].get(cid)
                x = float(res.points[p][f.path])
                lo = iv.lo if np.isfinite(iv.lo) else iv.mean
                hi = iv.hi if np.isfinite(iv.hi) else iv.mean
                ax.errorbar([x], [iv.mean], yerr=[[iv.mean - lo], [hi - iv.mean]], fmt="o", ms=3, lw=0.8,
                            color=COLOURS.get(v, "#555"))
            nom = res.tested[0].get(cid)
            if nom is not None and np.isfinite(nom.mean):
                ax.axhline(nom.mean, color="black", lw=0.8, ls="--")
            ax.axhline(0, color="#bbb", lw=0.6)
            ax.set_title(f"{cid}", fontsize=8)
            ax.set_xlabel(f.path, fontsize=7)
    return _svg(fig)


def sobol_bars(res) -> str | None:
    cids = [c for c in RUN_CLAIMS if res.sensitivity.get(c, {}).get("method") == "sobol"]
    if not cids:
        return None
    fig, axes = _grid(len(cids), per_row=3, w=3.4, h=2.4)
    names = [f.path.split(".")[-1] for f in res.factors]
    for ax, cid in zip(axes, cids, strict=False):
        s = res.sensitivity[cid]
        xx = np.arange(len(names))
        ax.bar(xx - 0.2, s["S1"], 0.4, label="first order")
        ax.bar(xx + 0.2, s["ST"], 0.4, label="total")
        ax.set_xticks(xx, names, rotation=45, ha="right", fontsize=7)
        ax.set_title(cid, fontsize=8)
    axes[0].legend(fontsize=7)
    return _svg(fig)


def render_sweep(res) -> str:
    cfg = res.config
    factors = "".join(f"<tr><td><code>{_e(f.path)}</code></td><td>{_e(f.describe())}</td>"
                      f"<td class=num>{_e(res.nominal.get(f.path))}</td></tr>" for f in res.factors)
    figs = []
    for title, fn in (("Tested quantity against each factor (dashed: the rulebook's own values; colour: verdict "
                       "at the point)", scatter), ("Sobol indices", sobol_bars)):
        svg = fn(res)
        if svg:
            figs.append(f"<figure class=plot><figcaption>{_e(title)}</figcaption>{svg}</figure>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>scslab sweep: {_e(cfg.pilot)}</title><style>{CSS}</style></head>
<body><h1>Sweep of {_e(cfg.pilot)}: how robust is each verdict?</h1>
<p class=lead>{len(res.points) - 1} design points ({_e(cfg.design)}) plus the rulebook's own values, each on
{cfg.seeds} seed{'s' if cfg.seeds != 1 else ''} of {cfg.population:,} synthetic citizens for {cfg.steps} days, with the
paired counterfactual runs each claim needs: {res.runs} runs. Verdicts are read at each point as in a comparison
(docs/metrics.md).</p>
<h2>Factors</h2><table><thead><tr><th>path</th><th>range</th><th>the rulebook's value</th></tr></thead>
<tbody>{factors}</tbody></table>
<h2>Robustness</h2>{robustness_table(res)}
<h2>Influence of each factor on each claim's tested quantity</h2>{sensitivity_table(res)}
<h2>Figures</h2>{''.join(figs) or '<p>Nothing to draw.</p>'}
<p class=small>Reproduce: <code>{_e(command(cfg))}</code></p>
</body></html>
"""


def command(cfg) -> str:
    import shlex

    parts = ["scslab", "sweep", cfg.pilot]
    for f in cfg.factors:
        rhs = ",".join(str(v).lower() if isinstance(v, bool) else f"{v:g}" for v in f.values) if f.discrete \
            else f"{f.low:g}..{f.high:g}"
        parts += ["--param", f"{f.path}={rhs}"]
    parts += ["--design", cfg.design, "--samples", str(cfg.samples), "--seeds", str(cfg.seeds), "--seed",
              str(cfg.first_seed), "--population", str(cfg.population), "--steps", str(cfg.steps)]
    if not cfg.engine_box and not cfg.factors:
        parts.append("--no-engine")
    return " ".join(shlex.quote(p) for p in parts)
