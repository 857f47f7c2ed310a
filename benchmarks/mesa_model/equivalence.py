"""Do scslab and the Mesa model compute the same thing? Compare them over seeds.

Both start each seed from the same synthetic society and then draw their own random
numbers, so single runs differ; what must agree is the distribution. For each metric
(mean score, share blacklisted) we compare the mean over seeds of its average over the
second half of the run (and, for display, at a few steps), with a tolerance of `z`
standard errors from the seed-to-seed spread of both implementations, plus a floor of one
citizen for shares (a share that is 0 in every run has no spread).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scslab.engine import simulate
from scslab.engine.params import EngineParams

from .model import run_mesa

METRICS = ("mean_score", "share_blacklisted")


def scslab_trajectories(rulebook, population: int, steps: int, seed: int,
                        params: EngineParams | None = None) -> dict[str, np.ndarray]:
    r = simulate(rulebook, population=population, steps=steps, seed=seed, params=params, save_ties=False)
    s = r.steps.groupby("step")[["score_sum", "listed_black", "population"]].sum()
    return {"mean_score": (s.score_sum / s.population).to_numpy(),
            "share_blacklisted": (s.listed_black / s.population).to_numpy()}


@dataclass
class MetricCheck:
    metric: str
    scslab: np.ndarray  # (seeds, steps)
    mesa: np.ndarray
    z: float
    floor: float

    @property
    def window(self) -> slice:
        return slice(self.scslab.shape[1] // 2, None)

    def summary(self, x: np.ndarray) -> np.ndarray:
        return x[:, self.window].mean(axis=1)

    @property
    def diff(self) -> float:
        return float(self.summary(self.scslab).mean() - self.summary(self.mesa).mean())

    @property
    def tolerance(self) -> float:
        a, b = self.summary(self.scslab), self.summary(self.mesa)
        k = a.size
        se = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / k) if k > 1 else 0.0
        return float(self.z * se + self.floor)

    @property
    def ok(self) -> bool:
        return abs(self.diff) <= self.tolerance


def compare(rulebook, population: int = 1_000, steps: int = 30, seeds=(0, 1, 2), z: float = 4.0,
            params: EngineParams | None = None, mesa_params: EngineParams | None = None) -> list[MetricCheck]:
    """Run both implementations on each seed; `mesa_params` perturbs only the Mesa side (a control)."""
    runs_s, runs_m = [], []
    for seed in seeds:
        runs_s.append(scslab_trajectories(rulebook, population, steps, seed, params))
        runs_m.append(run_mesa(rulebook, population=population, steps=steps, seed=seed,
                               params=mesa_params or params))
    out = []
    for m in METRICS:
        out.append(MetricCheck(m, np.array([r[m] for r in runs_s]), np.array([r[m] for r in runs_m]), z,
                               floor=1.0 / population if m.startswith("share") else 0.0))
    return out


def report(name: str, checks: list[MetricCheck]) -> str:
    lines = [f"{name}: {checks[0].scslab.shape[0]} seeds x {checks[0].scslab.shape[1]} steps"]
    for c in checks:
        steps = c.scslab.shape[1]
        at = sorted({0, steps // 4, steps // 2, 3 * steps // 4, steps - 1})
        verdict, rel = ("agree", "<=") if c.ok else ("DIFFER", ">")
        lines.append(f"  {c.metric}: {verdict}  second-half mean scslab {c.summary(c.scslab).mean():.6g} "
                     f"vs Mesa {c.summary(c.mesa).mean():.6g}  |diff| {abs(c.diff):.3g} {rel} tol {c.tolerance:.3g}")
        for t in at:
            a, b = c.scslab[:, t], c.mesa[:, t]
            lines.append(f"    step {t:>4}: scslab {a.mean():.6g} (sd {a.std(ddof=1) if a.size > 1 else 0:.3g})"
                         f"   Mesa {b.mean():.6g} (sd {b.std(ddof=1) if b.size > 1 else 0:.3g})")
    return "\n".join(lines)


def logit_check(rulebook, population: int = 2_000, steps: int = 20, seed: int = 3,
                params: EngineParams | None = None) -> float:
    """Largest |difference| between the two implementations' act log-odds on the same state.

    Runs the engine for `steps`, copies its state (scores, disclosure, the public view,
    dropped ties) into the Mesa agents, and evaluates every citizen x behaviour log-odds
    in both. Uses engine internals (build_nation, Shard.step, act_logit), so it may need
    updating when those change; the distributional comparison above does not.
    """
    from scslab.engine.behave import act_logit
    from scslab.engine.build import Nation, build_nation
    from scslab.engine.build import as_rulebook as _as_rulebook
    from scslab.engine.build import make_run_society as _society

    from .model import ScsModel

    p = params or EngineParams()
    soc = _society(None, population, 1, seed)
    sh = build_nation([_as_rulebook(rulebook)], soc, p, seed).shards[0]
    nation = Nation([sh], soc.n)
    view, nxt = nation.new_view(), nation.new_view()
    sh.publish(view)
    for t in range(steps):
        sh.step(t, view, nxt, steps * 2)
        view, nxt = nxt, view
    st = sh.st
    m = ScsModel(rulebook, population=population, seed=seed, params=p)
    G = m.grid.G
    for a in m.citizens:
        i = a.idx
        a.score, a.disclosed = float(st.score[i]), bool(st.disclosed[i])
        a.pub_harm, a.pub_score, a.pub_black = float(view.harm[i]), float(view.score[i]), bool(view.black[i])
        for e in range(st.indptr[i], st.indptr[i + 1]):
            j = int(st.indices[e])
            if j < 0 and G.has_edge(i, ~j):  # a dropped tie end is stored as ~j
                G.remove_edge(i, ~j)
    m.mean_harm = sum(a.pub_harm for a in m.citizens) / population
    for a in m.citizens:
        a.look_around()
    nb = sh.neighbourhood(view)
    idx = np.arange(population)
    mesa_x = [a.act_logits() for a in m.citizens]
    worst = 0.0
    for b in range(sh.crb.n_behaviours):
        if not np.isfinite(sh.tb.logit0[b]):
            continue
        xe = act_logit(st, sh.crb, p, sh.tb, nb, idx, b)
        xm = np.array([x[b] for x in mesa_x], dtype=np.float64)
        worst = max(worst, float(np.abs(xe - xm).max()))
    return worst
