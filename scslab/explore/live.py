"""What a run shows while it runs: a progress callback for `simulate` that sends the day's
aggregates, a score histogram by grade and a neighbourhood's grades.

`simulate(progress=...)` calls back after every day with (days done, days). The day's
numbers themselves are in the run loop (`scslab.engine.run._execute`): its `rows` (one
dict of additive aggregates per shard and day, the rows of the steps table), `nation`
(the shards and their state) and `view` (today's published flags). `StepTap` reads them
from the calling frame, read-only, and copies what it sends. If a future engine renames
them, the tap sends progress only and the page draws the series when the run ends
(`LiveTap.streaming` says which); tests/test_explore.py checks that streaming works.

Nothing here changes the run: the tables written at the end are the same with or without
a tap (tested).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

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


def neighbourhood(indptr, indices, offset: int, virtue, max_nodes: int = NEIGHBOURHOOD_NODES):
    """A neighbourhood of one shard's ties: two steps around its least virtuous citizen with
    at least three ties (likely to be listed, so there is something to watch). Returns
    (nodes as global ids, edges as pairs of positions in `nodes`)."""
    n = len(indptr) - 1
    if n == 0:
        return np.empty(0, np.int64), []
    deg = np.diff(np.asarray(indptr, np.int64))
    cand = np.flatnonzero(deg >= 3)
    if cand.size == 0:
        cand = np.arange(n)
    centre = int(cand[np.argmin(np.asarray(virtue)[cand])])

    def ties(i):
        x = np.asarray(indices[int(indptr[i]): int(indptr[i + 1])], np.int64)
        x = np.where(x < 0, ~x, x)  # a dropped end is stored as ~j
        return x[(x >= offset) & (x < offset + n)] - offset  # ties inside this shard

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
    return np.asarray(nodes, np.int64) + offset, edges


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
    """The progress callback of one run. `send(kind, payload)` gets "steps" messages:

    {"days": [{"step", ...aggregates}], "done": t, "of": T, "hist": {...}, "net": {...}}

    and `should_stop()` is asked every day (Stopped is raised when it says yes).
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
        self.sent_rows = 0
        self.net_nodes = None
        self.streaming = True
        self.first_at: float | None = None

    # -- reading the run loop's frame --
    @staticmethod
    def _loop_locals() -> dict | None:
        f = sys._getframe(2)  # _execute -> progress (this callback) -> _loop_locals
        for _ in range(4):
            if f is None:
                return None
            loc = f.f_locals
            if "rows" in loc and "nation" in loc:
                return loc
            f = f.f_back
        return None

    def _rows(self, loc, t: int) -> list[dict]:
        rows = loc["rows"]
        out = []
        while self.sent_rows < len(rows):
            # rows of one day come together, one per shard
            day = rows[self.sent_rows]["step"]
            agg = {k: 0.0 for k in ROW_KEYS}
            while self.sent_rows < len(rows) and rows[self.sent_rows]["step"] == day:
                r = rows[self.sent_rows]
                for k in ROW_KEYS:
                    agg[k] += float(r.get(k, 0.0))
                self.sent_rows += 1
            agg["step"] = int(day)
            out.append(agg)
        return out

    def _hist(self, nation) -> dict:
        scores = [sh.st.score for sh in nation.shards]
        return self.histogram(np.concatenate(scores) if len(scores) > 1 else scores[0])

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

    def _net(self, nation, view) -> dict:
        sh = nation.shards[0]
        st = sh.st
        if self.net_nodes is None:
            nodes, edges = neighbourhood(st.indptr, st.indices, st.offset, st.virtue)
            self.net_nodes = nodes
            self.net_static = {"nodes": nodes.tolist(), "edges": edges, "xy": layout(len(nodes), edges)}
        local = self.net_nodes - st.offset
        grade = _grade_index(self.grade_mins, st.score[local].astype(np.float64))
        black = view.black[self.net_nodes].astype(bool) if view is not None and len(view.black) else np.zeros(len(local), bool)
        return {**self.net_static, "grade": grade.tolist(), "listed": black.tolist(),
                "score": [round(float(x), 1) for x in st.score[local]]}

    def __call__(self, t: int, steps: int) -> None:
        if self.should_stop():
            raise Stopped()
        if self.first_at is None:
            self.first_at = time.perf_counter()
        now = time.perf_counter()
        if not (t >= steps or t == 1 or now - self.last >= self.every):
            return
        self.last = now
        loc = self._loop_locals() if self.streaming else None
        if loc is None:
            self.streaming = False
        msg: dict = {"done": int(t), "of": int(steps), "streaming": self.streaming}
        if loc is not None:
            try:
                msg["days"] = self._rows(loc, t)
                nation = loc["nation"]
                msg["hist"] = self._hist(nation)
                if self.network:
                    msg["net"] = self._net(nation, loc.get("view"))
            except (KeyError, AttributeError, IndexError, TypeError, ValueError):
                self.streaming = False  # the loop's shape changed: progress only
                msg["streaming"] = False
        self.send("steps", msg)
