"""What a run shows while it runs: the day's aggregates, a score histogram by grade and a
neighbourhood's grades, sent as the run steps.

`live_run(tap, rulebook, ...)` runs a `Simulation` (scslab.engine.simulation) a day at a
time and hands each day to a `StepTap`: the day's rows of the steps table (one per
municipality, which `Simulation.step` returns), and the public view (`public_view`: scores,
grades, list flags) and the tie graph (`ties`) of the run as it stands. Everything comes
from the Simulation's public API; nothing reads the engine's internals.

Nothing here changes the run: the tables are the same as those of `simulate` with the same
arguments (tested).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

HIST_BINS = 40
NEIGHBOURHOOD_NODES = 60
SEND_EVERY = 0.1  # seconds between messages while a run goes on
ROW_KEYS = ("population", "listed_black", "listed_black_wrongful", "sector_restrictions", "harm", "trust_sum",
            "score_sum", "entries_black", "entries_wrongful", "offences", "appeals_won", "ties_dropped")


class Stopped(Exception):
    """Raised from the progress callback when the user stopped the run."""


def _grade_index(mins: np.ndarray, score: np.ndarray) -> np.ndarray:
    return np.searchsorted(mins[1:], score, side="right")


def neighbourhood(indptr, partner, first: int, virtue, max_nodes: int = NEIGHBOURHOOD_NODES):
    """A neighbourhood of one municipality's ties (`Simulation.ties(m)`: rows for citizens
    `first`.., partners as global ids): two steps around its least virtuous citizen with at
    least three ties (likely to be listed, so there is something to watch). Returns (nodes
    as global ids, edges as pairs of positions in `nodes`)."""
    n = len(indptr) - 1
    if n == 0:
        return np.empty(0, np.int64), []
    deg = np.diff(np.asarray(indptr, np.int64))
    cand = np.flatnonzero(deg >= 3)
    if cand.size == 0:
        cand = np.arange(n)
    centre = int(cand[np.argmin(np.asarray(virtue)[cand])])

    def ties(i):
        x = np.asarray(partner[int(indptr[i]): int(indptr[i + 1])], np.int64)
        return x[(x >= first) & (x < first + n)] - first  # ties inside this municipality

    nodes, frontier = [centre], [centre]
    seen = {centre}
    for _ in range(2):
        nxt = []
        for i in frontier:
            for j in ties(i):
                j = int(j)
                if j not in seen and len(nodes) < max_nodes:
                    seen.add(j)
                    nodes.append(j)
                    nxt.append(j)
        frontier = nxt
    pos = {v: k for k, v in enumerate(nodes)}
    edges = sorted({(min(pos[i], pos[int(j)]), max(pos[i], pos[int(j)]))
                    for i in nodes for j in ties(i) if int(j) in pos and int(j) != i})
    return np.asarray(nodes, np.int64) + first, edges


def layout(n: int, edges, seed: int = 1) -> list[list[float]]:
    """Spring layout in [0.04, 0.96]^2 (networkx, as the report's neighbourhood)."""
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(edges)
    pos = nx.spring_layout(g, seed=seed)
    xy = np.array([pos[i] for i in range(n)], float) if n else np.zeros((0, 2))
    if n:
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        xy = 0.04 + 0.92 * (xy - lo) / np.where(hi > lo, hi - lo, 1.0)
    return [[round(float(a), 4), round(float(b), 4)] for a, b in xy]


class StepTap:
    """What one run sends while it steps. `send(kind, payload)` gets "steps" messages:

    {"days": [{"step", ...aggregates}], "done": t, "of": T, "hist": {...}, "net": {...}}

    at most one every `every` seconds (and after the first and the last day); `live_run`
    asks `should_stop()` after every day (Stopped is raised when it says yes).
    """

    def __init__(self, rulebook, send: Callable[[str, dict], None], should_stop: Callable[[], bool],
                 network: bool = True, every: float = SEND_EVERY):
        self.send = send
        self.should_stop = should_stop
        self.network = network
        self.every = every
        self.grade_names = [g.name for g in rulebook.grades]
        self.grade_mins = np.array([g.min for g in rulebook.grades], np.float64)
        self.scale = (float(rulebook.scale.min), float(rulebook.scale.max))
        self.pending: list[dict] = []
        self.last = 0.0
        self.net_nodes: np.ndarray | None = None
        self.net_static: dict = {}
        self.streaming = True  # days are sent as they run (the page reads it)
        self.first_at: float | None = None

    @staticmethod
    def aggregate(rows: list[dict]) -> dict:
        """One day's rows (one per municipality) summed into the day's aggregates."""
        agg = {k: 0.0 for k in ROW_KEYS}
        for r in rows:
            for k in ROW_KEYS:
                agg[k] += float(r.get(k, 0.0))
        agg["step"] = int(rows[0]["step"]) if rows else 0
        return agg

    def histogram(self, s: np.ndarray) -> dict:
        """Scores in HIST_BINS bins over their range, one row of counts per grade."""
        s = np.asarray(s)
        lo, hi = float(s.min()), float(s.max())
        if not hi > lo:
            lo, hi = lo - 1.0, hi + 1.0
        edges = np.linspace(lo, hi, HIST_BINS + 1)
        g = _grade_index(self.grade_mins, s)
        counts = [np.histogram(s[g == k], bins=edges)[0].tolist() for k in range(len(self.grade_names))]
        return {"edges": [round(float(x), 3) for x in edges], "grades": self.grade_names, "counts": counts}

    def _net(self, sim, view) -> dict:
        """The neighbourhood in the first municipality: chosen on the first call, then its
        grades, list flags and scores now."""
        if self.net_nodes is None:
            ties = sim.ties(0)
            n = len(ties.indptr) - 1
            virtue = sim.traits()["virtue"][ties.first: ties.first + n]
            nodes, edges = neighbourhood(ties.indptr, ties.partner, ties.first, virtue)
            self.net_nodes = nodes
            self.net_static = {"nodes": nodes.tolist(), "edges": edges, "xy": layout(len(nodes), edges)}
        nodes = self.net_nodes
        return {**self.net_static, "grade": view.grade[nodes].astype(int).tolist(),
                "listed": view.blacklisted[nodes].tolist(),
                "score": [round(float(x), 1) for x in view.score[nodes]]}

    def day(self, sim, rows: list[dict]) -> None:
        """After each day of `sim` (a Simulation): keep the day's aggregates, and send what
        is pending if it is time to."""
        if self.first_at is None:
            self.first_at = time.perf_counter()
        self.pending.append(self.aggregate(rows))
        t, steps = sim.t, sim.steps
        now = time.perf_counter()
        if not (t >= steps or t == 1 or now - self.last >= self.every):
            return
        self.last = now
        view = sim.public_view()
        msg: dict = {"done": int(t), "of": int(steps), "streaming": True, "days": self.pending,
                     "hist": self.histogram(view.score)}
        self.pending = []
        if self.network:
            msg["net"] = self._net(sim, view)
        self.send("steps", msg)


def live_run(tap: StepTap, rulebook, **kwargs: Any):
    """Run `rulebook` (a Simulation with `kwargs`: population, steps, seed, params, ledger,
    save_ties, progress...) a day at a time, handing each day to `tap`; raise Stopped when
    `tap.should_stop()` says so after a day. Returns the run's RunResult."""
    from ..engine.simulation import Simulation

    with Simulation(rulebook, **kwargs) as sim:
        while not sim.done:
            rows = sim.step()
            tap.day(sim, rows)
            if tap.should_stop():
                raise Stopped()
        return sim.result()
