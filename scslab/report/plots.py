"""The report's figures, drawn with matplotlib (Agg) and inlined as SVG text.

Each function takes a `Comparison` and returns an SVG string, or None when there is
nothing to draw (e.g. no ties were kept). SVG ids are salted with a constant, and no date
is written, so the same comparison gives the same bytes.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

plt.rcParams.update({
    "svg.fonttype": "none",  # text stays text: smaller files, searchable
    "svg.hashsalt": "scslab",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 100,
})

BASE_STYLE = {"color": "black", "linestyle": "--", "linewidth": 1.2}


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", dpi=110, metadata={"Date": None, "Creator": "scslab"})
    plt.close(fig)
    s = buf.getvalue()
    return s[s.index("<svg"):]  # drop the XML prolog and doctype: the SVG is inlined in HTML


def _colours(cols):
    cmap = plt.get_cmap("tab10")
    return {c: cmap(i % 10) for i, c in enumerate(cols)}


def _grid(n: int, per_row: int = 3, w: float = 3.2, h: float = 2.4):
    rows = max(1, -(-n // per_row))
    cols = min(n, per_row) or 1
    fig, axes = plt.subplots(rows, cols, figsize=(w * cols, h * rows), squeeze=False, layout="constrained")
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, axes.ravel()


def score_distributions(cmp) -> str | None:
    cols = [c for c in cmp.columns if c in cmp.detail]
    if not cols:
        return None
    colour = _colours(cmp.columns)
    fig, axes = _grid(len(cols))
    for ax, c in zip(axes, cols, strict=False):
        d = cmp.detail[c]
        lo, hi, base = d["scale"]
        s = np.asarray(d["score"], dtype=float)
        # The data's own range (a little padded): the whole scale would squeeze the mass into a bar.
        pad = 0.02 * (hi - lo) if np.isfinite(lo) and np.isfinite(hi) and hi > lo else 1.0
        rng = (float(s.min()) - pad, float(s.max()) + pad) if s.size else None
        ax.hist(s, bins=40, range=rng, color=colour[c])
        if np.isfinite(base):
            ax.axvline(base, **{**BASE_STYLE, "linewidth": 0.8})
        ax.set_yscale("log")
        ax.set_title(c)
        ax.set_xlabel("score (dashed: base)")
        ax.set_ylabel("citizens")
    fig.suptitle("Final scores, first seed (log scale)")
    return _svg(fig)


def trajectories(cmp) -> str | None:
    colour = _colours(cmp.columns)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.4), layout="constrained")
    for c in cmp.columns:
        s = cmp.series[c]
        a1.plot(s["step"], s["mean_score_scaled"], color=colour[c], label=c)
        a2.plot(s["step"], s["share_listed"] * 100.0, color=colour[c], label=c)
    a1.set_title("Mean score, above base")
    a1.set_ylabel("% of the score range")
    a2.set_title("Citizens blacklisted")
    a2.set_ylabel("% of citizens")
    for a in (a1, a2):
        a.set_xlabel("day")
    a2.legend(fontsize=8, frameon=False)
    return _svg(fig)


def sectors_per_offence(cmp) -> str | None:
    cols = [c for c in cmp.columns if c in cmp.detail and len(cmp.detail[c].get("new_sectors", ())) > 0]
    colour = _colours(cmp.columns)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.4), layout="constrained")
    # Left: the distribution of sectors newly restricted within 30 days of an offence.
    mx = max([int(np.max(cmp.detail[c]["new_sectors"])) for c in cols] + [1])
    width = 0.8 / max(len(cols), 1)
    for i, c in enumerate(cols):
        ns = np.asarray(cmp.detail[c]["new_sectors"])
        hit = ns[ns > 0]
        if hit.size == 0:
            continue
        k = np.arange(1, mx + 1)
        share = np.array([(hit == v).mean() for v in k])
        a1.bar(k + (i - (len(cols) - 1) / 2) * width, share * 100.0, width=width, color=colour[c], label=c)
    a1.set_xlabel("sectors newly restricted within 30 days")
    a1.set_ylabel("% of sanctioning offences")
    a1.set_title("Sectors per sanctioning offence (first seed)")
    if cols:
        a1.legend(fontsize=8, frameon=False)
    # Right: means over seeds with intervals, all and unrelated sectors.
    xs = np.arange(len(cmp.columns))
    for j, (key, lab, hatch) in enumerate((("sectors_per_sanctioning_offence", "all sectors", None),
                                           ("unrelated_sectors_per_sanctioning_offence", "unrelated", "//"))):
        interval_bars(a2, xs + (j - 0.5) * 0.38, [cmp.value(c, key) for c in cmp.columns], width=0.38,
                      colours=[colour[c] for c in cmp.columns], hatch=hatch, label=lab)
    a2.set_xticks(xs, cmp.columns, rotation=20)
    a2.set_ylabel("sectors")
    a2.set_title(f"Mean over seeds ({_confidence(cmp):.0%} interval)")
    if a2.get_legend_handles_labels()[0]:  # no bar at all when every value is n/a
        a2.legend(fontsize=8, frameon=False)
    _bar_key(a2)
    return _svg(fig)


def _confidence(cmp) -> float:
    return float(getattr(getattr(cmp, "config", None), "confidence", 0.95))


ONE_SEED = {"alpha": 0.35, "linestyle": "--", "linewidth": 1.0}  # a bar from one seed: a value, not a mean


def interval_bars(ax, xs, intervals, width: float, colours, hatch=None, label=None, scale: float = 1.0) -> None:
    """Bars of means over seeds with their intervals, drawn so that the reader can tell apart:

    - a mean over two seeds or more: a solid bar with its interval;
    - a value from one seed (no interval can be had): a pale bar with a dashed outline,
      no error bar, marked "1 seed";
    - no value (n/a: no seed gave one, or not run): no bar at all, marked "n/a" (never a
      bar of height 0, which would read as a measured zero).
    """
    labelled = False
    for x, iv, colour in zip(xs, intervals, colours, strict=True):
        n = 0 if iv is None else int(iv.n)
        m = float("nan") if iv is None else float(iv.mean)
        if n == 0 or not np.isfinite(m):
            ax.annotate("n/a", (x, 0), xytext=(0, 2), textcoords="offset points", ha="center", va="bottom",
                        fontsize=7, color="0.35")
            continue
        kw = {"label": label} if label and not labelled else {}
        labelled = labelled or bool(kw)
        if n == 1:
            ax.bar(x, m * scale, width=width, color=colour, hatch=hatch, edgecolor="black", **ONE_SEED, **kw)
            ax.annotate("1 seed", (x, m * scale), xytext=(0, 2 if m >= 0 else -2), textcoords="offset points",
                        ha="center", va="bottom" if m >= 0 else "top", fontsize=7, color="0.35")
            continue
        lo, hi = float(iv.lo), float(iv.hi)
        err = [[max(m - lo, 0.0) * scale], [max(hi - m, 0.0) * scale]] if np.isfinite(lo) and np.isfinite(hi) else None
        ax.bar(x, m * scale, width=width, color=colour, hatch=hatch, edgecolor="white", yerr=err, capsize=2, **kw)


def _bar_key(ax) -> None:
    """A note under a bar chart: what a pale bar and "n/a" mean."""
    ax.text(0.0, -0.32, "pale, dashed bar: one seed gave a value (no interval); n/a: no value",
            transform=ax.transAxes, fontsize=7, color="0.35", va="top")


def _trailing_mean(x: np.ndarray, window: int) -> np.ndarray:
    """Mean of the last `window` days (fewer at the start): no edge artefacts."""
    c = np.cumsum(np.nan_to_num(np.asarray(x, float)))
    out = c.copy()
    out[window:] = c[window:] - c[:-window]
    return out / np.minimum(np.arange(1, len(c) + 1), window)


def harm_trust(cmp) -> str | None:
    from ..experiments.compare import BASELINE

    colour = _colours(cmp.columns)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.4), layout="constrained")
    window = max(1, len(next(iter(cmp.series.values()))["step"]) // 30)
    base = cmp.series.get(BASELINE)
    for c in cmp.columns:
        s = cmp.series[c]
        style = BASE_STYLE if c == BASELINE else {"color": colour[c]}
        a1.plot(s["step"], _trailing_mean(s["harm_per_1000"], window),
                label=c + (" (baseline)" if c == BASELINE else ""), **style)
        if base is not None:
            a2.plot(s["step"], (s["trust"] - base["trust"]) * 100.0, label=c, **style)
        else:
            a2.plot(s["step"], s["trust"], label=c, **style)
    a1.set_title(f"Harm per 1,000 citizens per day ({window}-day mean, seeds averaged)")
    if base is not None:
        a2.set_title("Mean trust minus the no-SCS baseline")
        a2.set_ylabel("percentage points")
    else:
        a2.set_title("Mean trust")
    for a in (a1, a2):
        a.set_xlabel("day")
    a1.legend(fontsize=8, frameon=False)
    return _svg(fig)


def score_virtue(cmp) -> str | None:
    cols = [c for c in cmp.columns if c in cmp.detail]
    if not cols:
        return None
    colour = _colours(cmp.columns)
    fig, axes = _grid(len(cols))
    for ax, c in zip(axes, cols, strict=False):
        d = cmp.detail[c]
        listed = np.asarray(d["sample_listed"], bool)
        ax.scatter(d["sample_virtue"][~listed], d["sample_score"][~listed], s=3, alpha=0.35, color=colour[c],
                   rasterized=True, linewidths=0)
        if listed.any():
            ax.scatter(d["sample_virtue"][listed], d["sample_score"][listed], s=12, color="crimson", marker="x",
                       label="blacklisted")
            ax.legend(fontsize=7, frameon=False)
        rho = cmp.value(c, "spearman_score_virtue").mean
        ax.set_title(f"{c}  (ρ = {rho:.2f})" if np.isfinite(rho) else c)
        ax.set_xlabel("virtue")
        ax.set_ylabel("score")
    fig.suptitle("Score against virtue (a sample of citizens, first seed)")
    return _svg(fig)


def neighbourhoods(cmp) -> str | None:
    import networkx as nx

    cols = [c for c in cmp.columns if c in cmp.detail and cmp.detail[c].get("graph") is not None
            and cmp.roles.get(c) == "pilot"]
    if not cols:
        cols = [c for c in cmp.columns if c in cmp.detail and cmp.detail[c].get("graph") is not None]
    if not cols:
        return None
    cols = cols[:4]
    fig, axes = _grid(len(cols), per_row=2, w=4.6, h=4.0)
    for ax, c in zip(axes, cols, strict=False):
        g = cmp.detail[c]["graph"]
        G = nx.Graph()
        G.add_nodes_from(int(v) for v in g["nodes"])
        G.add_edges_from(zip(g["src"].tolist(), g["dst"].tolist(), strict=True))
        pos = nx.spring_layout(G, seed=1)
        grades = list(g["grade"])
        order = list(g.get("grade_order") or sorted(set(grades), key=grades.index))
        names = [n for n in order if n in set(grades)]
        cmap = plt.get_cmap("RdYlGn", max(len(order), 2))  # low grades red, high green
        gi = {n: order.index(n) for n in names}
        colour = [cmap(gi[x]) for x in grades]
        edge = ["black" if li else "white" for li in g["listed"]]
        nx.draw_networkx_edges(G, pos, ax=ax, width=0.4, alpha=0.5)
        nodes = [int(v) for v in g["nodes"]]
        nx.draw_networkx_nodes(G, pos, nodelist=nodes, node_color=colour, edgecolors=edge, linewidths=[2.0 if li else 0.5 for li in g["listed"]],
                               node_size=[80 if v == g["centre"] else 30 for v in nodes], ax=ax)
        for n in names:
            ax.scatter([], [], color=cmap(gi[n]), label=n, s=20)
        ax.legend(fontsize=7, frameon=False, title="grade", title_fontsize=7, loc="upper right")
        ax.set_title(f"{c}: two steps from citizen {g['centre']}")
        ax.set_axis_off()
    fig.suptitle("A neighbourhood, coloured by grade (black ring: blacklisted; large: the centre)")
    return _svg(fig)


def levers_shapley(cmp) -> str | None:
    from ..metrics.claims import LEVERS

    if not cmp.levers:
        return None
    pilots = list(cmp.levers)
    fig, ax = plt.subplots(figsize=(max(6.0, 2.4 * len(pilots) + 2), 3.6), layout="constrained")
    colour = plt.get_cmap("Set2")
    width = 0.8 / len(LEVERS)
    xs = np.arange(len(pilots))
    for j, k in enumerate(LEVERS):
        interval_bars(ax, xs + (j - 1.5) * width, [cmp.levers[p]["summary"].get(f"share_{k}") for p in pilots],
                      width=width, colours=[colour(j)] * len(pilots), label=k, scale=100.0)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xticks(xs, pilots)
    ax.set_ylabel("% of harm reduction (Shapley)")
    ax.set_title("Which lever reduces harm: Shapley shares, all four on vs all off "
                 f"({_confidence(cmp):.0%} interval)")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, frameon=False, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.1))
    ax.text(0.0, -0.3, "pale, dashed bar: one seed gave a value (no interval); n/a: no value",
            transform=ax.transAxes, fontsize=7, color="0.35", va="top")
    return _svg(fig)


FIGURES = (
    ("score-distributions", "Score distributions by pilot", score_distributions),
    ("trajectories", "Mean score and share blacklisted over time", trajectories),
    ("sectors-per-offence", "Sectors restricted per offence", sectors_per_offence),
    ("harm-trust", "Harm and trust over time against the no-SCS baseline", harm_trust),
    ("score-virtue", "Score against virtue", score_virtue),
    ("neighbourhood", "A sample neighbourhood, coloured by grade", neighbourhoods),
    ("levers", "The four levers: Shapley shares of harm reduction (C11)", levers_shapley),
)
