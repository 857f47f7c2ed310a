"""What a run returns: tables as DataFrames plus the manifest; written as a run folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .state import NOT_LISTED


def _popcount32(x: np.ndarray) -> np.ndarray:
    return np.bitwise_count(x)


TABLES = ("steps", "citizens", "grades", "c4", "network", "events", "ties")


@dataclass
class RunResult:
    manifest: dict
    steps: pd.DataFrame  # one row per (step, municipality): additive aggregates
    citizens: pd.DataFrame  # final snapshot, one row per citizen
    grades: pd.DataFrame  # (step, municipality, grade, citizens)
    c4: pd.DataFrame  # (municipality, virtue_decile, buffer_quartile, citizen_days, harmful_acts)
    network: pd.DataFrame  # one row per municipality: end-of-run network summary
    events: pd.DataFrame | None = None  # the ledger, when asked for
    ties: pd.DataFrame | None = None  # active ties at the end (src < dst), small runs only
    extra: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        m = self.manifest
        return (f"RunResult(rulebook={m.get('rulebook')!r}, population={m.get('population')}, "
                f"steps={m.get('steps')}, seed={m.get('seed')}, tables={list(self.tables())})")

    def tables(self) -> dict[str, pd.DataFrame]:
        return {k: getattr(self, k) for k in TABLES if getattr(self, k) is not None}

    def write(self, folder: str | Path, overwrite: bool = False, resume: bool = False) -> Path:
        """Write a self-describing run folder (atomic files, COMPLETE marker last).

        `resume=True` continues an incomplete folder this run started (keeping its checkpoint).
        """
        from ..store import RunWriter

        w = RunWriter(folder, overwrite=overwrite, resume=resume)
        for name, df in self.tables().items():
            w.write_table(name, df)
        w.write_manifest(self.manifest)
        w.finish()
        return Path(folder)

    def summary(self) -> dict[str, float]:
        """Headline figures at the end of the run (for the CLI's table)."""
        last = self.steps[self.steps.step == self.steps.step.max()]
        n = float(last.population.sum())
        listed = float(last.listed_black.sum())
        c = self.citizens
        ever = c[c.listings > 0]
        steps = self.manifest["steps"]
        return {
            "citizens": n,
            "share_blacklisted": listed / n if n else 0.0,
            "share_ever_blacklisted": len(ever) / n if n else 0.0,
            "sectors_per_listed": float(c.sectors_now[c.blacklisted].mean()) if c.blacklisted.any() else 0.0,
            "harm_per_1000_per_day": float(self.steps.harm.sum() / n / steps * 1000) if n else 0.0,
            "mean_trust": float(last.trust_sum.sum() / n) if n else 0.0,
            "mean_score": float(last.score_sum.sum() / n) if n else 0.0,
            "wrongful_share_of_listings": float(c.wrongful_listings.sum() / max(c.listings.sum(), 1)),
        }


def _edges(indptr, indices, active, offset):
    rows = np.repeat(np.arange(indptr.size - 1, dtype=np.int64) + offset, np.diff(indptr))
    keep = active.astype(bool) & (rows < indices)
    return rows[keep], indices[keep].astype(np.int64)


def _network_summary(shards, score: np.ndarray) -> dict:
    """Score assortativity (Pearson over both orientations of every active tie) and
    top-decile closure, from running sums (no edge list is built)."""
    from .kernels import edge_stats

    top = score >= np.quantile(score, 0.9) if score.size else np.zeros(0, bool)
    out = np.zeros(6)
    for sh in shards:
        st = sh.st
        edge_stats(st.indptr, st.indices, st.active, st.offset, score.astype(np.float64), top, out)
    n, s1, s2, sxy, touch, both = out
    m = 2 * n  # both orientations
    assort = float("nan")
    if m > 1:
        mean = s1 / m
        var = s2 / m - mean * mean
        if var > 1e-12 * max(1.0, mean * mean):
            assort = float((sxy / m - mean * mean) / var)
    return {
        "score_assortativity": assort,
        "top_decile_closure": float(both / touch) if touch else 0.0,
        "top_decile_share": float(top.mean()) if top.size else float("nan"),
        "active_ties": int(n),
    }


def build_result(nation, soc, manifest, rows, grades, ledger, save_ties) -> RunResult:
    steps = pd.DataFrame(rows)
    g_rows = [(t, m, name, int(k)) for t, m, names, counts in grades for name, k in zip(names, counts, strict=True)]
    grades_df = pd.DataFrame(g_rows, columns=["step", "municipality", "grade", "citizens"])
    parts, c4, net_rows = [], [], []
    pop = soc.population
    for sh in nation.shards:
        st, crb = sh.st, sh.crb
        on = st.until != NOT_LISTED
        black = (on & crb.list_black[:, None]).any(axis=0) if crb.n_lists else np.zeros(st.n, bool)
        red = (on & ~crb.list_black[:, None]).any(axis=0) if crb.n_lists else np.zeros(st.n, bool)
        wrong_now = (on & crb.list_black[:, None] & st.wrongful).any(axis=0) if crb.n_lists else np.zeros(st.n, bool)
        deg = np.add.reduceat(st.active.astype(np.int32), st.indptr[:-1]) if st.indices.size else np.zeros(st.n, np.int32)
        deg = np.where(np.diff(st.indptr) > 0, deg, 0)
        d = {
            "citizen": np.arange(st.n, dtype=np.int64) + st.offset,
            "municipality": np.full(st.n, st.municipality, np.int16),
            "group": pd.Categorical.from_codes(st.group, categories=list(pop.group_names)),
            "virtue": st.virtue, "strategic": st.strategic, "privacy": st.privacy,
            "income": (st.income * 30.0).astype(np.float32),
            "score": st.score,
            "clean_score": np.clip(crb.base + st.cpos - st.cneg, crb.min, crb.max).astype(np.float32),
            "score_mid": st.score_mid,
            "grade": pd.Categorical.from_codes(st.grade, categories=list(crb.grade_names)),
            "wealth": st.wealth,
            "trust": st.trust,
            "disclosed": st.disclosed,
            "blacklisted": black,
            "wrongfully_listed": wrong_now,
            "redlisted": red,
            "sectors_now": _popcount32(st.sectors).astype(np.int8),
            "sectors_ever": _popcount32(st.sectors_ever).astype(np.int8),
            "sectors_ever_mask": st.sectors_ever,
            "degree_initial": st.degree0,
            "degree_final": deg.astype(np.int32),
        }
        d.update(st.counters)
        parts.append(pd.DataFrame(d, copy=False))  # the arrays are the run's own: no second copy
        for v in range(10):
            for b in range(4):
                c4.append((st.municipality, v, b, int(st.c4_days[v, b]), int(st.c4_harm[v, b])))
    citizens = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    # Strings for users, stored compactly (dictionary-encoded in Parquet). Shards may have
    # different grade names, so the union of categories is taken.
    citizens["group"] = citizens["group"].astype("category")
    citizens["grade"] = citizens["grade"].astype("category")
    score = citizens["score"].to_numpy()
    black = citizens["blacklisted"].to_numpy()
    summary = _network_summary(nation.shards, score)
    net_rows.append({
        **summary,
        "ties_initial": int(soc.network.indices.size // 2),
        "mean_degree_listed": float(citizens.degree_final[black].mean()) if black.any() else float("nan"),
        "mean_degree_unlisted": float(citizens.degree_final[~black].mean()) if (~black).any() else float("nan"),
        "mean_degree0_listed": float(citizens.degree_initial[black].mean()) if black.any() else float("nan"),
    })
    ties = None
    if save_ties:
        pairs = [_edges(sh.st.indptr, sh.st.indices, sh.st.active, sh.st.offset) for sh in nation.shards]
        ties = pd.DataFrame({"src": np.concatenate([a for a, _ in pairs]),
                             "dst": np.concatenate([b for _, b in pairs])})
    events = ledger.table().to_pandas() if ledger is not None else None
    return RunResult(
        manifest=manifest,
        steps=steps,
        citizens=citizens,
        grades=grades_df,
        c4=pd.DataFrame(c4, columns=["municipality", "virtue_decile", "buffer_quartile", "citizen_days", "harmful_acts"]),
        network=pd.DataFrame(net_rows),
        events=events,
        ties=ties,
    )
