"""The calibration report: one offline HTML page (no scripts, figures inlined as SVG).

It shows the fitted parameters with their bootstrap intervals, every target against the
model (interval, residual, fitted or held out), the model's band over time with the dated
figures on it, and how the search went.
"""

from __future__ import annotations

import datetime as dt
import html

import numpy as np

from ..report.html import CSS
from ..report.plots import _grid, _svg


def _e(s) -> str:
    return html.escape(str(s))


def _g(x, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "—"
    return f"{x:.{digits}g}"


def _pct(x) -> str:
    return "—" if x is None or not np.isfinite(x) else f"{x:+.1%}"


def params_table(res) -> str:
    rows = []
    for p in res.config.params:
        lo, hi = res.intervals[p.path]
        rows.append(f"<tr><td><code>{_e(p.path)}</code></td><td class=num>{_g(res.initial[p.path], 4)}</td>"
                    f"<td class=num><b>{_g(res.fitted[p.path], 4)}</b></td><td class=num>{_g(lo, 3)} .. {_g(hi, 3)}"
                    f"{'' if res.identified.get(p.path, True) else '<br><span class=small>not pinned by the figures</span>'}</td>"
                    f"<td class=num>{_g(p.low)} .. {_g(p.high)}{' (log)' if p.log else ''}</td></tr>")
    return ("<table><thead><tr><th>parameter</th><th>before</th><th>fitted</th><th>90% interval (bootstrap)</th>"
            f"<th>searched</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def targets_table(res) -> str:
    rows = []
    for t in res.targets:
        lo, hi = t["model_interval"]
        tlo, thi = t["target_interval"]
        inside = lo <= t["target"] <= hi
        ok = abs(t["rel_error"]) <= 0.10
        mark = "held out" if t["held_out"] else "fitted"
        span = f"{t['from']} → {t['date']}" if t["from"] else t["date"]
        rows.append(
            f"<tr><td>{_e(t['name'])}<br><span class=small>{_e(t['measure'])}, {_e(t['kind'])}</span></td>"
            f"<td>{_e(span)}</td><td class=num>{_g(t['target'])}<br><span class=small>{_g(tlo)} .. {_g(thi)}</span></td>"
            f"<td class=num>{_g(t['model'])}<br><span class=small>{_g(lo)} .. {_g(hi)}</span></td>"
            f"<td class=num>{_pct(t['rel_error'])}{' ✓' if ok else ''}</td><td>{mark}"
            f"{'' if inside else '<br><span class=small>target outside the model interval</span>'}</td>"
            f"<td class=small>{_e(t['source'])}</td></tr>")
    return ("<table><thead><tr><th>target</th><th>date</th><th>figure per capita (90%)</th>"
            "<th>model per capita (90%)</th><th>model / figure − 1</th><th>role</th><th>source</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def series_plot(res) -> str | None:
    import matplotlib.dates as mdates

    if not res.series:
        return None
    by_name = {t["name"]: t for t in res.targets}
    keys = list(res.series)
    fig, axes = _grid(len(keys), per_row=2, w=4.8, h=2.9)
    for ax, key in zip(axes, keys, strict=False):
        s = res.series[key]
        d = [dt.date.fromisoformat(x) for x in s["dates"]]
        ax.fill_between(d, s["lo"], s["hi"], color="#90caf9", alpha=0.6, lw=0, label="model, 90% band")
        ax.plot(d, s["mean"], color="#1565c0", lw=1.2, label="model, mean over seeds")
        for name in s["targets"]:
            t = by_name[name]
            x = dt.date.fromisoformat(t["date"])
            tlo, thi = t["target_interval"]
            held = t["held_out"]
            ax.errorbar([x], [t["target"]], yerr=[[t["target"] - tlo], [thi - t["target"]]],
                        fmt="s" if held else "o", color="#c62828" if held else "black", ms=4, capsize=2,
                        mfc="white" if held else "black")
        if s["kind"] == "cumulative":  # early figures are orders of magnitude smaller: a log axis shows them
            lows = [by_name[n]["target"] for n in s["targets"] if by_name[n]["target"] > 0]
            if lows and max(s["hi"]) > 0:
                ax.set_yscale("log")
                ax.set_ylim(min(lows) / 5, max(max(s["hi"]), max(lows)) * 1.5)
        title = s["measure"] + (f", {s['kind']}" if s["kind"] != "flow" else f", flow over {s['span_days']} days")
        ax.set_title(title, fontsize=9)
        ax.set_ylabel("per capita")
        ax.xaxis.set_major_locator(mdates.YearLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    axes[0].legend(fontsize=7, loc="upper left", frameon=False)
    return _svg(fig)


def history_plot(res) -> str | None:
    import matplotlib.pyplot as plt

    if not res.history:
        return None
    fig, ax = plt.subplots(figsize=(5.5, 2.4), layout="constrained")
    L = np.array([h["loss"] for h in res.history])
    ax.plot(np.arange(L.size), L, "o", ms=3, color="#777")
    ax.plot(np.arange(L.size), np.minimum.accumulate(L), color="#1565c0", lw=1.2)
    ax.set_yscale("log")
    ax.set_xlabel("point")
    ax.set_ylabel("loss")
    return _svg(fig)


def _tiers_text(res) -> str:
    extra = [t for t in getattr(res, "tiers", [])[1:]]
    return "".join(f"; {_e(', '.join(t['targets']))} counted on runs of {t['population']:,} citizens over "
                   f"{t['days']} days (too few people at {res.config.population:,})" for t in extra)


def _loss_text(res) -> str:
    if getattr(res, "loss_target_errors", None) is None or not res.config.mc_noise:
        return ""
    return (f"; each figure's misfit scaled by its stated error and the runs' sampling error at its count; "
            f"by the stated errors alone {res.loss_target_errors:.4g}")


def render(res) -> str:
    cfg = res.config
    tf = cfg.targets
    summ = res.summary()
    held = summ["heldout_mean_abs_log_error"]
    figs = []
    for title, svg in (("The model's band over time and the dated figures (filled: fitted; open red: held out)",
                        series_plot(res)), ("The search: loss of every point, and the best so far",
                                            history_plot(res))):
        if svg:
            figs.append(f"<figure><figcaption>{_e(title)}</figcaption>{svg}</figure>")
    refs = "".join(f"<li><b>{_e(r.id)}</b>: {_e(r.citation)}{' — ' + _e(r.url) if r.url else ''}</li>"
                   for r in tf.references)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>scslab calibration: {_e(cfg.pilot)}</title><style>{CSS}</style></head>
<body>
<h1>Calibration of {_e(cfg.pilot)}</h1>
<p class=lead>{_e(tf.title or tf.name)}: {len(res.targets)} dated figures ({summ['fitted_targets']} fitted,
{len(res.targets) - summ['fitted_targets']} held out), per capita over {tf.population.value:.4g} {_e(tf.population.what)}.
Runs of {cfg.population:,} citizens from {res.start} for {res.steps} days{_tiers_text(res)}.</p>
<p><b>{summ['within_10pct']} of {summ['fitted_targets']}</b> fitted figures are within 10% of the model.
Loss {res.loss:.4g} (at the rulebook's own values: {res.loss_initial:.4g}{_loss_text(res)}).
{'Held-out figures: mean absolute log error ' + f'{held:.3f}' + '.' if held is not None else 'No figure held out.'}</p>
<h2>Fitted parameters</h2>
{params_table(res)}
<p class=small>Search: optuna {_e(cfg.method.upper())} over {cfg.trials} points, each the mean of {cfg.seeds} seeds
(the same seeds at every point), then finite differences and a Gauss-Newton step
({'kept' if res.polished else 'not kept: it did not lower the loss'}); intervals: {cfg.bootstrap} bootstrap
replicates over {cfg.uq_seeds} seeds and over each figure's stated error, refitted on the linearised model.
{res.runs} runs, {res.seconds / 60:.1f} minutes.</p>
<h2>Targets against the model</h2>
{targets_table(res)}
{''.join(figs)}
<h2>Sources of the figures</h2>
<ul>{refs}</ul>
<p class=small>Population: {tf.population.value:.4g} {_e(tf.population.what)}{' (' + _e(tf.population.note) + ')' if tf.population.note else ''}.</p>
<h2>Reproduce</h2>
<pre>{_e(res.command or 'scslab.calibrate.calibrate(...)')}</pre>
</body></html>
"""
