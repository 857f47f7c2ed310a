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

from ..metrics.claims import MIXED, NA, NOT_SUPPORTED, NOT_TESTED, SUPPORTED, TOO_FEW
from ..metrics.registry import CLAIMS
from ..metrics.stats import Interval
from . import plots

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1200px;
     padding:0 1rem;color:#222;line-height:1.45}
.wide{width:calc(100vw - 3rem);max-width:2400px;position:relative;left:50%;transform:translateX(-50%);
      overflow-x:auto}
table.claims{width:100%} table.claims td:nth-child(2){min-width:5.5rem}
table.claims td:nth-child(3){min-width:10rem;max-width:17rem} table.claims .test{overflow-wrap:anywhere}
table.claims td.num{white-space:normal} .nw{white-space:nowrap}
nav.toc{background:#f8f8f8;border:1px solid #e4e4e4;border-radius:4px;padding:.4rem 1rem;font-size:.88rem}
nav.toc ol{margin:.2rem 0;padding-left:1.3rem} nav.toc ol ol{columns:2;font-size:.82rem}
a{color:#1a4f8b}
h1{margin-bottom:.2rem} h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
.lead{color:#555;margin-top:0}
table{border-collapse:collapse;font-size:.86rem;margin:.6rem 0}
th,td{border:1px solid #ddd;padding:.3rem .45rem;vertical-align:top;text-align:left}
th{background:#f4f4f4} td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
table.claims td.num{min-width:7rem} td.num .small{display:block;white-space:normal;text-align:left;max-width:16rem}
.v{display:inline-block;border-radius:3px;padding:0 .35rem;font-size:.78rem;margin-top:.15rem}
.v-supported{background:#d7f0d7;color:#14541a} .v-not-supported{background:#f6dada;color:#7a1616}
.v-mixed{background:#fbefc9;color:#6b5000} .v-na,.v-other{background:#eee;color:#555}
.v-thin{background:#ecdff5;color:#4a1a6b} .ev{display:block}
.small{font-size:.8rem;color:#555} figure{margin:1.2rem 0} figcaption{font-weight:600;margin-bottom:.3rem}
figure svg{max-width:100%;height:auto} code,pre{background:#f6f6f6;padding:.1rem .3rem;border-radius:3px}
pre{padding:.6rem;overflow-x:auto;font-size:.8rem}
"""


def fmt(x: float) -> str:
    """A number for people: about 3 significant figures, never in scientific notation.

    Small values keep two significant figures in plain decimals (0.00054, not 5.4e-04);
    below a millionth a value reads as 0 (with its sign: "−0" for a tiny negative). NaN and
    None read as a dash.
    """
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
    elif a >= 5e-7:
        decimals = min(6, 1 - math.floor(math.log10(a)))  # two significant figures
        s = f"{x:.{decimals}f}"
    else:
        s = "-0" if x < 0 else "0"
    return s.replace("-", "−")


def fmt_interval(iv: Interval | None) -> str:
    if iv is None or iv.n == 0:
        return "—"
    if iv.n == 1:
        return f"{fmt(iv.mean)} (one seed)"
    return f"{fmt(iv.mean)} [{fmt(iv.lo)}, {fmt(iv.hi)}]"


def interval_html(iv: Interval | None) -> str:
    """:func:`fmt_interval` as HTML that may wrap between the mean and its interval (never inside)."""
    if iv is None or iv.n < 2:
        return f'<span class="nw">{_e(fmt_interval(iv))}</span>'
    return f'<span class="nw">{fmt(iv.mean)}</span> <span class="nw">[{fmt(iv.lo)}, {fmt(iv.hi)}]</span>'


def badge(v: str) -> str:
    cls = {SUPPORTED: "supported", NOT_SUPPORTED: "not-supported", MIXED: "mixed", NA: "na",
           NOT_TESTED: "na", TOO_FEW: "thin"}.get(v, "other")
    return f'<span class="v v-{cls}">{html.escape(v)}</span>'


def _e(s) -> str:
    return html.escape(str(s))


def _claim_cell(x: dict, confidence: float = 0.95) -> str:
    """One pilot x claim cell: interval and verdict, the events it rests on, what it was
    compared against, and why a claim was not tested."""
    if x["verdict"] == NOT_TESTED:
        return (f'<td>{badge(x["verdict"])}<br><span class="small">{_e(x.get("reason", ""))}</span></td>')
    from ..experiments.compare import evidence_note

    ev = evidence_note(x, confidence) if x["verdict"] not in ("not run", "baseline") else ""
    vs = x.get("against", "")
    rob = x.get("robustness")
    box = ""
    if rob:
        from ..experiments.sweep import robustness_note

        box = f'<br><span class="small box">{_e(robustness_note(rob))}</span>'
    return (f'<td class="num">{interval_html(x["interval"])}<br>{badge(x["verdict"])}'
            + (f'<span class="small ev">{_e(ev)}</span>' if ev else "")
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


def tested_label(cid: str) -> str:
    """What a claim's cells show, in words: the metric, and the difference taken when the
    tested quantity is one (C10's cells are mean trust minus the same pilot with code off,
    not mean trust itself)."""
    from ..metrics.mechanisms import MECHANISMS

    cl = CLAIMS[cid]
    m = cl.metric(cl.test.metric)
    if cl.test.against == "counterfactual" and not m.paired and cl.counterfactual in MECHANISMS:
        return f"{m.label}: pilot minus the same pilot with {MECHANISMS[cl.counterfactual].off} (paired by seed)"
    if cl.test.against == "baseline":
        return f"{m.label}: pilot minus the no-SCS baseline (paired by seed)"
    return m.label


def claims_table(cmp) -> str:
    head = "".join(f"<th>{_e(c)}{' <span class=small>(reference)</span>' if cmp.roles[c] == 'reference' else ''}</th>"
                   for c in cmp.columns)
    rows = []
    for r in cmp.claims_table():
        cells = "".join(_claim_cell(x, cmp.config.confidence) for x in r["cells"].values())
        label = tested_label(r["id"]) if r["id"] in CLAIMS else r["metric"]
        rows.append(f'<tr id="claim-{_e(r["id"])}"><td><b>{_e(r["id"])}</b></td><td>{_e(r["claim"])}</td>'
                    f'<td>{_e(label)}<br><span class="small test">supported if {_e(r["test"])}</span></td>{cells}</tr>')
    return (f'<div class="wide"><table class="claims"><thead><tr><th>id</th><th>claim</th><th>what each cell shows'
            f'</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def contents(entries: Sequence[tuple[str, str, Sequence[tuple[str, str]]]]) -> str:
    """A table of contents: (anchor, title, [(anchor, title), ...]) per section."""
    items = []
    for anchor, title, subs in entries:
        sub = "".join(f'<li><a href="#{_e(a)}">{_e(t)}</a></li>' for a, t in subs)
        items.append(f'<li><a href="#{_e(anchor)}">{_e(title)}</a>' + (f"<ol>{sub}</ol>" if sub else "") + "</li>")
    return f'<nav class="toc" aria-label="contents"><b>Contents</b><ol>{"".join(items)}</ol></nav>'


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


def _thin_rule(cfg) -> str:
    """The report's sentence on the minimum of events, as the comparison was configured."""
    n = getattr(cfg, "min_events", 0)
    if n <= 0:
        return "; no minimum of events was set (--min-events 0), so every verdict is the interval's (docs/metrics.md)."
    return (f"; a supported or not supported resting on fewer than {n} of them reads <b>too few events</b>, with "
            "what the interval alone reads (docs/metrics.md).")


def render_report(cmp, extra_sections: Sequence[tuple[str, str]] | None = None,
                  title: str = "scslab: what the runs say about the claims") -> str:
    """The report as one HTML string."""
    figs = []
    for fid, caption, fn in plots.FIGURES:
        svg = fn(cmp)
        body = svg if svg else '<p class="small">Nothing to draw for this comparison.</p>'
        figs.append(f'<figure id="fig-{fid}" class="plot"><figcaption>{_e(caption)}</figcaption>{body}</figure>')
    # The hook: sections made elsewhere (e.g. the audit's verdict), in the order given.
    extra_ids = [f"extra-{_slug(t)}-{i}" for i, (t, _) in enumerate(extra_sections or ())]
    extra = "".join(f'<section class="extra" id="{i}"><h2>{_e(t)}</h2>{h}</section>'
                    for i, (t, h) in zip(extra_ids, extra_sections or (), strict=True))
    claim_rows = [(f"claim-{r['id']}", f"{r['id']} {r['claim']}") for r in cmp.claims_table()]
    toc = contents([
        ("claims", "The claims", claim_rows),
        ("mechanisms", "What each rulebook switches on", ()),
        ("plots", "Figures", [(f"fig-{fid}", caption) for fid, caption, _ in plots.FIGURES]),
        ("levers-detail", "The four levers (C11)", ()),
        *[(i, t, ()) for i, (t, _) in zip(extra_ids, extra_sections or (), strict=True)],
        ("metrics", "Every metric", ()),
        ("reproduce", "Parameters and how to reproduce", ()),
    ])
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
<b>mixed</b> otherwise. Where a claim's tested quantity is a share or rate of countable events (C2, C3, C5, C9),
the cell says how many events it rests on, pooled over seeds{_thin_rule(cfg)} Each claim is measured against the same rulebook with the claim's mechanism switched off
(same society, same seeds, paired by seed), or against the null that switching it off gives by definition; the cell
says which. <b>not tested</b> means the rulebook lacks what the claim is about, or the comparison was undefined in
the runs (e.g. nobody was listed); the reason is given. The runs report what they show, whatever the direction.
Definitions: docs/metrics.md.</p>
{toc}
<section id="claims"><h2>The claims</h2>{claims_table(cmp)}</section>
<section id="mechanisms"><h2>What each rulebook switches on</h2>
<p class="small">The critics' mechanisms, read from each rulebook (scslab.metrics.mechanisms). A claim about a
mechanism a rulebook lacks is not tested on it.</p>{mechanisms_table(cmp)}</section>
<section id="plots"><h2>Figures</h2>{''.join(figs)}</section>
<section id="levers-detail"><h2>The four levers (C11)</h2>{levers_table(cmp)}</section>
<!-- extra sections (e.g. the audit's verdict) go here, after what the runs show:
     render_report(..., extra_sections=[(title, html)]) -->
{extra}
<section id="metrics"><h2>Every metric</h2><div class="wide">{metrics_table(cmp)}</div></section>
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
