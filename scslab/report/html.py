"""One self-contained HTML file from a `Comparison`: opens offline, no scripts, no CDN.

    from scslab.report import write_report
    write_report(cmp, "reports/compare.html", extra_sections=[("Audit", "<p>...</p>")])

`extra_sections` is the hook for sections built elsewhere (the audit's verdict): a list of
(title, html) pairs placed after the claims table. The html is trusted as given; titles
are escaped.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from pathlib import Path

from ..metrics.claims import MIXED, NA, NOT_SUPPORTED, NOT_TESTED, SUPPORTED
from ..metrics.registry import CLAIMS
from ..metrics.stats import Interval
from . import plots

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1200px;
     padding:0 1rem;color:#222;line-height:1.45}
h1{margin-bottom:.2rem} h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
.lead{color:#555;margin-top:0}
table{border-collapse:collapse;font-size:.86rem;margin:.6rem 0}
th,td{border:1px solid #ddd;padding:.3rem .45rem;vertical-align:top;text-align:left}
th{background:#f4f4f4} td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
table.claims td.num{min-width:9rem} td.num .small{display:block;white-space:normal;text-align:left;max-width:16rem}
.v{display:inline-block;border-radius:3px;padding:0 .35rem;font-size:.78rem;margin-top:.15rem}
.v-supported{background:#d7f0d7;color:#14541a} .v-not-supported{background:#f6dada;color:#7a1616}
.v-mixed{background:#fbefc9;color:#6b5000} .v-na,.v-other{background:#eee;color:#555}
.small{font-size:.8rem;color:#555} figure{margin:1.2rem 0} figcaption{font-weight:600;margin-bottom:.3rem}
figure svg{max-width:100%;height:auto} code,pre{background:#f6f6f6;padding:.1rem .3rem;border-radius:3px}
pre{padding:.6rem;overflow-x:auto;font-size:.8rem}
"""


def fmt(x: float) -> str:
    """A number for people: 3 significant figures-ish, dashes for missing values."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    a = abs(x)
    if a == 0:
        return "0"
    if a >= 1000:
        s = f"{x:,.0f}"
    elif a >= 10:
        s = f"{x:.1f}"
    elif a >= 0.01:
        s = f"{x:.3f}"
    else:
        s = f"{x:.2e}"
    return s.replace("-", "−")


def fmt_interval(iv: Interval | None) -> str:
    if iv is None or iv.n == 0:
        return "—"
    if iv.n == 1:
        return f"{fmt(iv.mean)} (one seed)"
    return f"{fmt(iv.mean)} [{fmt(iv.lo)}, {fmt(iv.hi)}]"


def badge(v: str) -> str:
    cls = {SUPPORTED: "supported", NOT_SUPPORTED: "not-supported", MIXED: "mixed", NA: "na",
           NOT_TESTED: "na"}.get(v, "other")
    return f'<span class="v v-{cls}">{html.escape(v)}</span>'


def _e(s) -> str:
    return html.escape(str(s))


def _claim_cell(x: dict) -> str:
    """One pilot x claim cell: interval and verdict, what it was compared against, and why a
    claim was not tested."""
    if x["verdict"] == NOT_TESTED:
        return (f'<td>{badge(x["verdict"])}<br><span class="small">{_e(x.get("reason", ""))}</span></td>')
    vs = x.get("against", "")
    rob = x.get("robustness")
    box = ""
    if rob:
        from ..experiments.sweep import robustness_note

        box = f'<br><span class="small box">{_e(robustness_note(rob))}</span>'
    return (f'<td class="num">{fmt_interval(x["interval"])}<br>{badge(x["verdict"])}'
            + (f'<br><span class="small vs">vs {_e(vs)}</span>' if vs and x["verdict"] != "not run" else "")
            + box + "</td>")


def mechanisms_table(cmp) -> str:
    """Which mechanisms each column's rulebook switches on (the claims need them to be tested)."""
    from ..metrics.mechanisms import MECHANISMS

    inv = getattr(cmp, "mechanisms", None) or {}
    if not inv:
        return "<p>No mechanism inventory.</p>"
    cols = [c for c in cmp.columns if c in inv]
    head = "".join(f"<th>{_e(c)}</th>" for c in cols)
    rows = []
    for mid, m in MECHANISMS.items():
        cells = "".join(
            f'<td title="{_e(inv[c][mid].detail)}">{"✓" if inv[c][mid].present else "·"} '
            f'<span class="small">{_e(inv[c][mid].detail)}</span></td>' for c in cols)
        rows.append(f"<tr><td><code>{_e(mid)}</code><br><span class=small>{_e(m.label)}</span></td>{cells}</tr>")
    return (f'<table class="mechanisms"><thead><tr><th>mechanism</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def claims_table(cmp) -> str:
    head = "".join(f"<th>{_e(c)}{' <span class=small>(reference)</span>' if cmp.roles[c] == 'reference' else ''}</th>"
                   for c in cmp.columns)
    rows = []
    for r in cmp.claims_table():
        cells = "".join(_claim_cell(x) for x in r["cells"].values())
        rows.append(f'<tr id="claim-{_e(r["id"])}"><td><b>{_e(r["id"])}</b></td><td>{_e(r["claim"])}</td>'
                    f'<td>{_e(r["metric"])}<br><span class="small">supported if {_e(r["test"])}</span></td>{cells}</tr>')
    return (f'<table class="claims"><thead><tr><th>id</th><th>claim</th><th>metric tested</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def metrics_table(cmp) -> str:
    from ..experiments.compare import BASELINE

    rows = []
    for cid, cl in CLAIMS.items():
        if cl.compute is None:
            continue
        for m in cl.metrics:
            keys = [(m.key, "")]
            if m.vs_off:
                from ..metrics.mechanisms import MECHANISMS

                keys.append((f"{m.key}_vs_off", f" − same pilot with {MECHANISMS[m.vs_off].off}"))
            if m.vs_baseline and BASELINE in cmp.columns:
                keys.append((f"{m.key}_vs_none", " − baseline (none)"))
            for key, suffix in keys:
                cells = "".join(f'<td class="num">{fmt_interval(cmp.summary[c].get(key))}</td>' for c in cmp.columns)
                rows.append(f"<tr><td>{_e(cid)}</td><td title=\"{_e(m.definition)}\">{_e(m.label + suffix)}"
                            f"<br><span class=small>{_e(m.formula)}</span></td><td>{_e(m.unit)}</td>{cells}</tr>")
    head = "".join(f"<th>{_e(c)}</th>" for c in cmp.columns)
    return (f'<table class="metrics"><thead><tr><th>claim</th><th>metric</th><th>unit</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def levers_table(cmp) -> str:
    from ..experiments.levers import COMBINATIONS, label
    from ..metrics.claims import LEVERS

    if not cmp.levers:
        return "<p>The lever decomposition was not run (see <code>--levers</code>).</p>"
    out = []
    for p, d in cmp.levers.items():
        s = d["summary"]
        rows = "".join(f"<tr><td>{k}</td><td class=num>{fmt_interval(s.get(f'shapley_{k}'))}</td>"
                       f"<td class=num>{fmt_interval(s.get(f'share_{k}'))}</td></tr>" for k in LEVERS)
        harm = "".join(f"<tr><td>{_e(label(c))}</td><td class=num>{fmt_interval(d['harm'][label(c)])}</td></tr>"
                       for c in COMBINATIONS)
        out.append(f"<h3>{_e(p)}</h3><table><thead><tr><th>lever</th><th>Shapley value (harm per 1,000 per day)</th>"
                   f"<th>share of the reduction</th></tr></thead><tbody>{rows}</tbody></table>"
                   f"<p class=small>Harm reduction, all on vs all off: {fmt_interval(s.get('harm_reduction'))}."
                   f" Code's share minus law's: {fmt_interval(s.get('code_minus_law_share'))}.</p>"
                   f"<details><summary>Harm per 1,000 citizens per day for each of the 16 combinations</summary>"
                   f"<table><thead><tr><th>levers on</th><th>harm</th></tr></thead><tbody>{harm}</tbody></table>"
                   f"</details>")
    return "".join(out)


def reproduce_section(cmp) -> str:
    cfg = cmp.config
    rb_rows = "".join(f"<tr><td>{_e(c)}</td><td>{_e(cmp.titles.get(c, ''))}</td><td><code>{_e(cmp.hashes[c])}</code>"
                      f"</td></tr>" for c in cmp.columns)
    cov = cmp.manifest.get("groups_by_coverage", {})
    params = json.dumps(cmp.manifest.get("params"), indent=1, sort_keys=True)
    versions = ", ".join(f"{k} {v}" for k, v in sorted((cmp.manifest.get("versions") or {}).items()))
    extra = cmp.manifest.get("reproduce")
    return (
        f"<p>Every number in this report comes from this command:</p><pre>{_e(cmp.command)}</pre>"
        + (f"<p>It was made by:</p><pre>{_e(extra)}</pre>" if extra else "")
        + f"<p>Population {cfg.population:,} synthetic citizens, {cfg.steps} days, seeds "
        f"{_e(', '.join(map(str, cfg.seed_list)))} (a seed fixes the society and every random draw, so "
        f"columns are compared seed by seed), intervals at {cfg.confidence:.0%} (t over seeds). "
        f"{cmp.manifest.get('runs', 0)} runs, {fmt(cmp.manifest.get('run_seconds_total', float('nan')))} s of "
        f"simulation, {fmt(cmp.manifest.get('wall_seconds', float('nan')))} s wall time.</p>"
        f"<table><thead><tr><th>column</th><th>rulebook</th><th>sha256</th></tr></thead><tbody>{rb_rows}</tbody></table>"
        f"<p class=small>Groups from best to worst data coverage (C9): "
        f"{_e('; '.join(f'{c}: ' + ' > '.join(g) for c, g in cov.items() if g))}.</p>"
        f"<p class=small>scslab {_e(cmp.manifest.get('scslab_version'))}; {_e(versions)}.</p>"
        f"<details><summary>Engine parameters</summary><pre>{_e(params)}</pre></details>"
    )


def render_report(cmp, extra_sections: Sequence[tuple[str, str]] | None = None,
                  title: str = "scslab: what the runs say about the claims") -> str:
    """The report as one HTML string."""
    figs = []
    for fid, caption, fn in plots.FIGURES:
        svg = fn(cmp)
        body = svg if svg else '<p class="small">Nothing to draw for this comparison.</p>'
        figs.append(f'<figure id="fig-{fid}" class="plot"><figcaption>{_e(caption)}</figcaption>{body}</figure>')
    # The hook: sections made elsewhere (e.g. the audit's verdict), in the order given.
    extra = "".join(f'<section class="extra"><h2>{_e(t)}</h2>{h}</section>' for t, h in (extra_sections or ()))
    cfg = cmp.config
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><style>{CSS}</style></head>
<body>
<h1>{_e(title)}</h1>
<p class="lead">{_e(', '.join(c for c in cmp.columns if cmp.roles[c] == 'pilot'))} compared on the critics' claims,
over {cfg.seeds} seed{'s' if cfg.seeds != 1 else ''} of {cfg.population:,} synthetic citizens for {cfg.steps} days.
The populations are synthetic: no real person is scored here.</p>
<p class="small">Each cell gives the tested quantity's mean over seeds and its {cfg.confidence:.0%} interval, and the
verdict read from that interval: <b>supported</b> when it lies on the claimed side of the null, beyond
the margin of a negligible effect; <b>not supported</b> when it lies inside that margin or on the other side;
<b>mixed</b> otherwise. Each claim is measured against the same rulebook with the claim's mechanism switched off
(same society, same seeds, paired by seed), or against the null that switching it off gives by definition; the cell
says which. <b>not tested</b> means the rulebook lacks what the claim is about, or the comparison was undefined in
the runs (e.g. nobody was listed); the reason is given. The runs report what they show, whatever the direction.
Definitions: docs/metrics.md.</p>
<section id="claims"><h2>The claims</h2>{claims_table(cmp)}</section>
<section id="mechanisms"><h2>What each rulebook switches on</h2>
<p class="small">The critics' mechanisms, read from each rulebook (scslab.metrics.mechanisms). A claim about a
mechanism a rulebook lacks is not tested on it.</p>{mechanisms_table(cmp)}</section>
<section id="plots"><h2>Figures</h2>{''.join(figs)}</section>
<section id="levers-detail"><h2>The four levers (C11)</h2>{levers_table(cmp)}</section>
<!-- extra sections (e.g. the audit's verdict) go here, after what the runs show:
     render_report(..., extra_sections=[(title, html)]) -->
{extra}
<section id="metrics"><h2>Every metric</h2>{metrics_table(cmp)}</section>
<section id="reproduce"><h2>Parameters and how to reproduce</h2>{reproduce_section(cmp)}</section>
</body></html>
"""


def write_report(cmp, path: str | Path, extra_sections: Sequence[tuple[str, str]] | None = None,
                 title: str | None = None, with_json: bool = True) -> Path:
    """Write the report atomically (and, beside it, the numbers as JSON); return its path."""
    from ..store import atomic_write_json, atomic_write_text

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    kw = {"title": title} if title else {}
    atomic_write_text(path, render_report(cmp, extra_sections, **kw))
    if with_json:
        atomic_write_json(path.with_suffix(".json"), cmp.to_json())
    return path
