"""One run folder as a self-contained HTML page: summary, figures, every per-run metric.

    scslab report runs/mine                       # -> runs/mine.html (beside the folder)
    scslab report runs/mine --against runs/off    # with a paired run (e.g. the code lever off)

    from scslab.report.run_report import write_run_report
    write_run_report("runs/mine", against="runs/off")

Like the comparison report (`html.py`) the page opens offline: no scripts, no fonts, no
network; figures are inline SVG drawn with matplotlib. The explorer (`scslab explore`)
shows this page for a finished run and puts it in the report it exports.

A run folder is read through `scslab.store.open_run` (sizes and the manifest checked);
the figures need only the tables every run writes (`steps`, `citizens`, `grades`); the
neighbourhood needs the `ties` table (written for runs up to 50,000 citizens, or with
`--save-ties`) and the per-offence metrics need the ledger (`--ledger`).
"""

from __future__ import annotations

import html
import math
import shlex
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from ..metrics.registry import CLAIMS
from ..nation.report import heading, tables_of
from . import plots
from .html import CSS, fmt

NATION_TABLES = ("municipalities", "national", "reach")
MAX_GRADES_DRAWN = 24  # a hostile rulebook may declare many grades: colours stop meaning anything


@dataclass
class LoadedRun:
    """A run read back from its folder: the engine's RunResult, its rulebook and its metrics context."""

    path: Path | None
    result: object  # scslab.engine.RunResult
    rulebook: object | None  # scslab.rulebook.Rulebook, None when the manifest does not hold it
    ctx: object | None  # scslab.metrics.RunContext
    _metrics: dict | None = None

    @property
    def manifest(self) -> dict:
        return self.result.manifest

    @property
    def label(self) -> str:
        m = self.manifest
        lv = m.get("levers", "")
        return f"{m.get('rulebook', '?')}" + (f" ({lv})" if lv and lv != "law+market+norms+code" else "")


def load_run(folder: str | Path) -> LoadedRun:
    """Read a complete run folder (RunFolderError / IncompleteRunError if it is not one)."""
    from ..engine import RunResult
    from ..store import open_run

    run = open_run(folder)
    names = run.tables()
    t = {n: run.table(n) for n in ("steps", "citizens", "grades", "c4", "network", "events", "ties") if n in names}
    for need in ("steps", "citizens", "grades"):
        if need not in t:
            from ..store import RunFolderError

            raise RunFolderError(f"{run.path}: no {need} table; not a run folder scslab wrote")
    import pandas as pd

    empty = pd.DataFrame()
    result = RunResult(manifest=run.manifest or {}, steps=t["steps"], citizens=t["citizens"], grades=t["grades"],
                       c4=t.get("c4", empty), network=t.get("network", empty), events=t.get("events"),
                       ties=t.get("ties"))
    if all(n in names for n in NATION_TABLES):  # a nation's run: what its national list did
        result.more = {n: run.table(n) for n in NATION_TABLES}
    return from_result(result, path=run.path)


def from_result(result, path: str | Path | None = None) -> LoadedRun:
    """Wrap a RunResult (in memory or read back) with its rulebook and metrics context."""
    import json

    from pydantic import ValidationError

    from ..metrics import context_from_rulebook
    from ..rulebook import Rulebook, RulebookError

    m = result.manifest
    rb = ctx = None
    docs = m.get("rulebook_documents")
    name = m.get("rulebook")
    if isinstance(docs, dict) and docs:
        doc = docs.get(name) if isinstance(name, str) and name in docs else next(iter(docs.values()))
        try:
            # JSON mode: the manifest holds dates as ISO text, which the strict model reads only there.
            rb = Rulebook.model_validate_json(json.dumps(doc))
            ctx = context_from_rulebook(rb, tuple(m.get("groups") or ()) or None)
        except (RulebookError, ValidationError, ValueError, TypeError, KeyError):
            rb = ctx = None
    return LoadedRun(Path(path) if path else None, result, rb, ctx)


def _e(s) -> str:
    return html.escape(str(s), quote=True)


def _as_loaded(x) -> LoadedRun | None:
    if x is None or isinstance(x, LoadedRun):
        return x
    if isinstance(x, str | Path):
        return load_run(x)
    return from_result(x)


# --- the numbers ---------------------------------------------------------------------------

def series(run: LoadedRun) -> dict[str, np.ndarray]:
    """Per-day aggregates over municipalities (what the figures and the explorer draw)."""
    s = run.result.steps.groupby("step").sum(numeric_only=True).sort_index()
    n = s["population"].to_numpy(np.float64)
    listed = s["listed_black"].to_numpy(np.float64)
    return {
        "step": s.index.to_numpy(),
        "mean_score": s["score_sum"].to_numpy() / n,
        "share_listed": listed / n,
        "sectors_per_1000": s["sector_restrictions"].to_numpy() / n * 1000.0,
        "sectors_per_listed": np.divide(s["sector_restrictions"].to_numpy(np.float64), listed,
                                        out=np.full(len(s), np.nan), where=listed > 0),
        "harm_per_1000": s["harm"].to_numpy() / n * 1000.0,
        "trust": s["trust_sum"].to_numpy() / n,
    }


def grade_order(run: LoadedRun) -> list[str]:
    """Grades from lowest to highest, as the grades table lists them on day 0."""
    g = run.result.grades
    first = g.loc[g["step"] == g["step"].min(), "grade"].astype(str)
    return list(dict.fromkeys(first))


def summary(run: LoadedRun, against: LoadedRun | None = None) -> list[tuple[str, str, str]]:
    """(quantity, this run, against) rows of the headline numbers, second half of the run."""
    def half(s, k):
        x = s[k]
        return float(np.nanmean(x[len(x) // 2:])) if len(x) else float("nan")

    a = series(run)
    b = series(against) if against is not None else None
    c = run.result.citizens
    rows = []
    for label, key, scale in (("mean score (last day)", "mean_score", None),
                              ("share blacklisted (%)", "share_listed", 100.0),
                              ("sector restrictions per 1,000 citizens", "sectors_per_1000", 1.0),
                              ("harm per 1,000 citizens per day", "harm_per_1000", 1.0),
                              ("mean trust (0..1)", "trust", 1.0)):
        if scale is None:
            va = float(a[key][-1]) if len(a[key]) else float("nan")
            vb = float(b[key][-1]) if b is not None and len(b[key]) else float("nan")
        else:
            va, vb = half(a, key) * scale, (half(b, key) * scale if b is not None else float("nan"))
        rows.append((label + ("" if scale is None else ", second half"), fmt(va), fmt(vb) if b is not None else ""))
    ever = int((c["listings"] > 0).sum()) if "listings" in c else 0
    wrong = int((c["wrongful_listings"] > 0).sum()) if "wrongful_listings" in c else 0
    rows.append(("citizens ever blacklisted", f"{ever:,}", ""))
    rows.append(("... of them wrongfully at least once", f"{wrong:,}", ""))
    return rows


def metrics(run: LoadedRun) -> dict[str, float]:
    """Every per-run metric (C1..C10) of the run; empty if they cannot be computed."""
    from ..metrics import run_metrics

    if run.ctx is None:
        return {}
    if run._metrics is None:
        try:
            run._metrics = run_metrics(run.result, run.ctx)
        except (KeyError, ValueError, TypeError, IndexError, ZeroDivisionError):
            run._metrics = {}
    return run._metrics


# --- the figures ---------------------------------------------------------------------------

def _grade_colours(names: list[str]):
    cmap = plots.plt.get_cmap("RdYlGn", max(len(names), 2))  # low grades red, high green
    return {n: cmap(i) for i, n in enumerate(names)}


def fig_score_by_grade(run: LoadedRun) -> str | None:
    """Final scores as a histogram whose bars are split by grade."""
    c = run.result.citizens
    if not len(c):
        return None
    order = grade_order(run)[:MAX_GRADES_DRAWN]
    colour = _grade_colours(order)
    s = c["score"].to_numpy(np.float64)
    g = c["grade"].astype(str).to_numpy()
    lo, hi = float(np.min(s)), float(np.max(s))
    pad = max(1e-6, 0.02 * (hi - lo)) if hi > lo else 1.0
    edges = np.linspace(lo - pad, hi + pad, 41)
    fig, ax = plots.plt.subplots(figsize=(6.4, 3.2), layout="constrained")
    bottom = np.zeros(len(edges) - 1)
    for name in order:
        h, _ = np.histogram(s[g == name], bins=edges)
        if h.any():  # one filled step outline per grade, stacked (thousands of bars draw slowly)
            ax.stairs(bottom + h, edges, baseline=bottom.copy(), fill=True, color=colour[name], label=name)
            bottom += h
    if run.ctx is not None and math.isfinite(run.ctx.base):
        ax.axvline(run.ctx.base, **{**plots.BASE_STYLE, "linewidth": 0.8})
    ax.set_yscale("symlog", linthresh=1)
    ax.set_xlabel("score on the last day (dashed: the starting score)")
    ax.set_ylabel("citizens")
    ax.legend(title="grade", fontsize=7, title_fontsize=7, frameon=False, ncol=2)
    return plots._svg(fig)


def fig_grades_over_time(run: LoadedRun) -> str | None:
    g = run.result.grades
    if not len(g):
        return None
    order = grade_order(run)[:MAX_GRADES_DRAWN]
    colour = _grade_colours(order)
    piv = g.assign(grade=g["grade"].astype(str)).pivot_table(index="step", columns="grade", values="citizens",
                                                            aggfunc="sum", fill_value=0)
    tot = piv.sum(axis=1).to_numpy(np.float64)
    tot[tot == 0] = 1.0
    cols = [n for n in order if n in piv.columns]
    fig, ax = plots.plt.subplots(figsize=(6.4, 3.0), layout="constrained")
    ax.stackplot(piv.index.to_numpy(), *[piv[n].to_numpy() / tot * 100.0 for n in cols],
                 colors=[colour[n] for n in cols], labels=cols)
    ax.set_xlabel("day")
    ax.set_ylabel("% of citizens")
    ax.set_ylim(0, 100)
    ax.legend(title="grade", fontsize=7, title_fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1, 0.5))
    return plots._svg(fig)


def _pair(ax, run, against, key, scale=1.0, window=1):
    a = series(run)
    ax.plot(a["step"], plots._trailing_mean(a[key], window) * scale, color="tab:blue", label=run.label)
    if against is not None:
        b = series(against)
        ax.plot(b["step"], plots._trailing_mean(b[key], window) * scale, label=against.label + " (paired)",
                **plots.BASE_STYLE)
    ax.set_xlabel("day")


def fig_listed_sectors(run: LoadedRun, against: LoadedRun | None = None) -> str | None:
    fig, (a1, a2) = plots.plt.subplots(1, 2, figsize=(10, 3.2), layout="constrained")
    _pair(a1, run, against, "share_listed", 100.0)
    a1.set_title("Citizens blacklisted")
    a1.set_ylabel("% of citizens")
    _pair(a2, run, against, "sectors_per_1000")
    a2.set_title("Sector restrictions in force")
    a2.set_ylabel("per 1,000 citizens")
    a1.legend(fontsize=8, frameon=False)
    return plots._svg(fig)


def fig_harm_trust(run: LoadedRun, against: LoadedRun | None = None) -> str | None:
    n = len(series(run)["step"])
    window = max(1, n // 30)
    fig, (a1, a2) = plots.plt.subplots(1, 2, figsize=(10, 3.2), layout="constrained")
    _pair(a1, run, against, "harm_per_1000", window=window)
    a1.set_title(f"Harm per 1,000 citizens per day ({window}-day mean)")
    _pair(a2, run, against, "trust")
    a2.set_title("Mean trust (0..1)")
    a1.legend(fontsize=8, frameon=False)
    return plots._svg(fig)


def _detail(run: LoadedRun) -> dict | None:
    from ..experiments.runner import detail_of

    if run.ctx is None:
        return None
    try:
        return detail_of(run.result, run.ctx, int(run.manifest.get("seed", 0) or 0))
    except (KeyError, ValueError, IndexError, TypeError):
        return None


def _shim(run: LoadedRun, detail: dict):
    """The few attributes of a Comparison that `plots.neighbourhoods` and `plots.score_virtue` read."""
    from ..metrics.stats import Interval

    name = str(run.manifest.get("rulebook", "run"))
    rho = metrics(run).get("spearman_score_virtue", float("nan"))
    return SimpleNamespace(columns=[name], detail={name: detail}, roles={name: "pilot"},
                           value=lambda c, k: Interval(rho, rho, rho, 1))


def figures(run, against=None) -> list[tuple[str, str, str]]:
    """(id, caption, svg) of every figure that has something to draw."""
    run, against = _as_loaded(run), _as_loaded(against)
    out = [("score-by-grade", "Score distribution by grade (last day)", fig_score_by_grade(run)),
           ("grades-over-time", "Citizens in each grade over time", fig_grades_over_time(run)),
           ("listed-sectors", "Blacklisted citizens and sector restrictions over time", fig_listed_sectors(run, against)),
           ("harm-trust", "Harm and trust over time" + (", against the paired run" if against else ""),
            fig_harm_trust(run, against))]
    detail = _detail(run)
    if detail is not None:
        shim = _shim(run, detail)
        out.append(("neighbourhood", "A neighbourhood, coloured by grade", plots.neighbourhoods(shim)))
        out.append(("score-virtue", "Score against virtue", plots.score_virtue(shim)))
    return [(i, c, s) for i, c, s in out if s]


# --- the page ------------------------------------------------------------------------------

def _table(header, rows, text_cols: int = 1) -> str:
    """A table whose first `text_cols` columns are text and the rest numbers (right-aligned)."""
    h = "".join(f"<th>{_e(x)}</th>" for x in header)
    body = "".join("<tr>" + "".join(f'<td class="num">{_e(x)}</td>' if i >= text_cols else f"<td>{_e(x)}</td>"
                                     for i, x in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><tr>{h}</tr>{body}</table>"


def metrics_section(run: LoadedRun, against: LoadedRun | None = None) -> str:
    mine = metrics(run)
    if not mine:
        return '<p class="small">The metrics could not be computed (the manifest does not hold the rulebook).</p>'
    other = metrics(against) if against is not None else {}
    rows = []
    for cid, cl in CLAIMS.items():
        for m in cl.metrics:
            if m.key in mine:
                v = mine[m.key]
                o = other.get(m.key, float("nan"))
                rows.append((f"{cid} {m.label}", fmt(v), fmt(o) if against is not None else "",
                             fmt(v - o) if against is not None else ""))
    head = ["metric", "this run"] + (["paired run", "difference"] if against is not None else ["", ""])
    note = ('<p class="small">One run, one seed: no interval and no verdict (verdicts need several seeds; '
            '<code>scslab compare</code>). Metrics needing the ledger are empty when the run kept none.</p>')
    return note + _table(head, rows)


def reproduce(run: LoadedRun) -> str:
    m = run.manifest
    nation = m.get("nation") if isinstance(m.get("nation"), dict) else None
    if nation is not None:  # a nation's run: its config, not one rulebook
        parts = ["scslab", "nation", str(nation.get("name", "CONFIG")), "-n", str(m.get("population", "")),
                 "-t", str(m.get("steps", "")), "--seed", str(m.get("seed", ""))]
        what = "The bundled nation (or the config file of that name)"
    else:
        parts = ["scslab", "run", str(m.get("rulebook", "RULEBOOK")), "-n", str(m.get("population", "")),
                 "-t", str(m.get("steps", "")), "--seed", str(m.get("seed", ""))]
        what = "The bundled pilot (or the rulebook file of that name)"
    cmd = " ".join(shlex.quote(p) for p in parts)
    rows = [(k, str(m.get(k, ""))) for k in ("rulebook", "rulebook_hash", "population", "steps", "seed", "levers",
                                             "scslab_version")]
    params = m.get("params") if isinstance(m.get("params"), dict) else {}
    from ..engine import EngineParams

    default = EngineParams().model_dump(mode="json")
    changed = {k: v for k, v in params.items() if default.get(k) != v}
    rows.append(("engine parameters changed from the defaults", ", ".join(f"{k}={v}" for k, v in changed.items())
                 or "none"))
    return (_table(["", ""], rows)
            + f'<p class="small">{what} reproduces the run with '
              f'<code>{_e(cmd)}</code> (the manifest holds the {"config and its rulebooks" if nation else "rulebook"} '
              "itself and every parameter).</p>")


def section(run, against=None, figures_too: bool = True, figs: list | None = None) -> str:
    """The report of one run as an HTML fragment (for embedding in another page).

    `figs` are figures already drawn by `figures(run, against)` (drawing is most of the time)."""
    run, against = _as_loaded(run), _as_loaded(against)
    m = run.manifest
    title = run.rulebook.metadata.title if run.rulebook is not None else m.get("rulebook", "?")
    nation = tables_of(run.result)
    if nation is not None:
        title = heading(m, nation[0])[0]
    lead = (f"<p>{_e(title)}: {int(m.get('population', 0)):,} synthetic citizens for {m.get('steps', '?')} days, "
            f"seed {_e(m.get('seed', '?'))}, levers {_e(m.get('levers', '?'))}."
            + (f" Paired run: {_e(against.label)} (same society and seed)." if against is not None else "")
            + "</p>")
    head = ["", "this run"] + (["paired run"] if against is not None else [""])
    parts = [lead]
    if nation is not None:
        from .nation_section import report_html  # it draws with this module's tables

        parts.append(report_html(m, *nation))
        parts.append("<h2>The nation as one society</h2><p>All municipalities together, each under its own "
                     "pilot's rules beside the national list: the summary, the figures and the metrics below "
                     "are over every citizen of the nation.</p>")
    parts.append(_table(head, summary(run, against)))
    if figures_too:
        for fid, caption, svg in (figs if figs is not None else figures(run, against)):
            parts.append(f'<figure id="run-fig-{fid}" class="plot"><figcaption>{_e(caption)}</figcaption>{svg}</figure>')
    parts.append("<h3>Every metric of this run</h3>" + metrics_section(run, against))
    parts.append("<h3>Parameters and how to reproduce</h3>" + reproduce(run))
    return "\n".join(parts)


def render_run_report(run, against=None, title: str | None = None, figs: list | None = None) -> str:
    """The full page: `run` (and `against`) are run folders, RunResults or LoadedRuns."""
    run = _as_loaded(run)
    nation = tables_of(run.result)
    if title is None and nation is not None:
        title = "scslab nation report: " + heading(run.manifest, nation[0])[0]
    title = title or f"scslab run report: {run.manifest.get('rulebook', '?')}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><style>{CSS}</style></head>
<body>
<h1>{_e(title)}</h1>
<p class="lead">The populations are synthetic: no real person is scored here.</p>
{section(run, against, figs=figs)}
</body></html>
"""


def write_run_report(folder: str | Path, out: str | Path | None = None, against: str | Path | None = None) -> Path:
    """Write the report of a run folder; return its path.

    By default the page goes beside the folder (`runs/mine` -> `runs/mine.html`), not into
    it: a file added to a finished run folder would fail its verification."""
    from ..store import atomic_write_text

    folder = Path(folder)
    out = Path(out) if out is not None else folder.with_name(folder.name + ".html")
    page = render_run_report(folder, against)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, page)
    return out


__all__ = ["LoadedRun", "figures", "from_result", "load_run", "render_run_report", "section", "series",
           "write_run_report"]
