"""What a run returns: tables as DataFrames plus the manifest; written as a run folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .context import global_sectors
from .kernels import active_degree
from .state import COUNTERS, NOT_LISTED, TABLE_DTYPES


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
    # Further tables written with the run (a nation's municipalities, national, reach).
    more: dict[str, pd.DataFrame] = field(default_factory=dict)
    # How the run went (seconds, citizen-steps per second, the step it resumed from, when it
    # finished): not in the manifest, so that runs of the same inputs have the same one.
    timing: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        m = self.manifest
        return (f"RunResult(rulebook={m.get('rulebook')!r}, population={m.get('population')}, "
                f"steps={m.get('steps')}, seed={m.get('seed')}, tables={list(self.tables())})")

    def tables(self) -> dict[str, pd.DataFrame]:
        out = {k: getattr(self, k) for k in TABLES if getattr(self, k) is not None}
        out.update(self.more)
        return out

    def write(self, folder: str | Path, overwrite: bool = False, resume: bool = False) -> Path:
        """Write a self-describing run folder (atomic files, COMPLETE marker last).

        `resume=True` continues an incomplete folder this run started (keeping its checkpoint).
        """
        from ..store import RunWriter
        from ..store.run_folder import TIMING

        w = RunWriter(folder, overwrite=overwrite, resume=resume)
        for name, df in self.tables().items():
            w.write_table(name, df)
        if self.timing:
            w.write_json(TIMING, self.timing)  # listed in COMPLETE by name only (unsealed)
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


def _edges(indptr, indices, offset):
    rows = np.repeat(np.arange(indptr.size - 1, dtype=np.int64) + offset, np.diff(indptr))
    keep = rows < indices  # dropped ends (~j) are negative: left out too
    return rows[keep], indices[keep].astype(np.int64)


def _top_decile(scores: list[np.ndarray]) -> np.ndarray:
    """Who is at or above the 90th percentile of the final scores (all shards)."""
    if len(scores) == 1:
        q = np.quantile(scores[0], 0.9) if scores[0].size else 0.0
    else:
        allsc = np.concatenate(scores)
        q = np.quantile(allsc, 0.9, overwrite_input=True) if allsc.size else 0.0  # the copy is ours
        del allsc
    return np.concatenate([s >= q for s in scores]) if scores else np.zeros(0, bool)


def _network_summary(graphs, score: np.ndarray, top: np.ndarray) -> dict:
    """Score assortativity (Pearson over both orientations of every active tie) and
    top-decile closure, from running sums (no edge list is built)."""
    from .kernels import edge_stats

    out = np.zeros(6)
    for indptr, indices, offset in graphs:
        edge_stats(indptr, indices, offset, score, top, out)  # float32 scores: no float64 copy
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


# State the table does not need, released as soon as the derived columns are made.
_RELEASED_FIRST = ("until", "listed_at", "renewals", "exit_at", "appealed", "trig_count", "trig_clean",
                   "trig_start", "reoffended", "appeal_due", "appeal_list", "pos", "neg",
                   "harm_level", "wrongful")


def _row_lengths(indptr: np.ndarray) -> np.ndarray:
    out = np.empty(indptr.shape[0] - 1, np.int32)
    np.subtract(indptr[1:], indptr[:-1], out=out, casting="unsafe")  # no int64 temporary
    return out


def _row_lengths_consuming(indptr: np.ndarray) -> np.ndarray:
    """Row lengths (int32), made in the row pointers' own array when they are int32 (the
    run's shards' are, up to 2**31 tie ends; the pointers are not used again)."""
    if indptr.dtype == np.int32:
        from .kernels import row_lengths_in_place

        return row_lengths_in_place(indptr)
    return _row_lengths(indptr)


def _take_columns(sh, pop, degrees: tuple[np.ndarray, np.ndarray]) -> dict[str, np.ndarray]:
    """One shard's citizen columns, then its state is released.

    Columns are the state's own arrays where they can be (no copy), and the few derived
    ones are computed in place in state the run no longer needs; everything else the
    state holds is freed here, before the next shard's columns (or the table) are made.
    """
    st, crb = sh.st, sh.crb
    n = st.n
    if crb.n_lists:
        on = st.until != NOT_LISTED
        blk = crb.list_black[:, None]
        black = (on & blk).any(axis=0)
        red = (on & ~blk).any(axis=0)
        on &= blk
        for l in range(crb.n_lists):  # only blacklists keep `wrongful`, and they always do
            if crb.list_black[l]:
                on[l] &= st.wrongful[l]
        wrong_now = on.any(axis=0)
        del on
    else:
        black, red, wrong_now = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
    for k in _RELEASED_FIRST:  # freed before the new columns are made, which reuse the space
        setattr(st, k, None)
    give_back_free_memory()
    counters = {}
    for k, dt in COUNTERS.items():  # counters kept narrow in the state are widened one at a time
        v = st.counters.pop(k, None)
        if v is None:  # a counter this rulebook cannot move (state.counters_for)
            counters[k] = np.zeros(n, TABLE_DTYPES.get(k, dt))
            continue
        counters[k] = v.astype(TABLE_DTYPES[k]) if k in TABLE_DTYPES else v
        del v
    # float32 operations written into arrays of the released state, so the peak holds no new
    # arrays; the values are those the same operations give into fresh arrays.
    income = np.multiply(st.income, 30.0, out=st.income)  # daily -> monthly
    clean = np.add(st.cpos, crb.base, out=st.cpos)
    clean -= st.cneg
    st.cneg = None
    np.clip(clean, crb.min, crb.max, out=clean)
    # Trust, (r + 1) / (r + s + 2), into the arrays of r and s (float32).
    trust = np.add(st.trust_r, 1.0, out=st.trust_r)
    denom = np.add(st.trust_s, 1.0, out=st.trust_s)
    denom += trust
    trust /= denom
    st.trust_s = None
    sectors_now = _popcount32(st.sectors).astype(np.int8)
    st.sectors = None
    d = {
        "citizen": np.arange(st.offset, st.offset + n, dtype=np.int64),
        "municipality": np.full(n, st.municipality, np.int16),
        "group": pd.Categorical.from_codes(st.group, categories=list(pop.group_names)),
        "virtue": st.virtue, "strategic": st.strategic, "privacy": st.privacy,
        "income": income,
        "score": st.score,
        "clean_score": clean,
        "score_mid": st.score_mid,
        "grade": pd.Categorical.from_codes(st.grade, categories=list(crb.grade_names)),
        "wealth": st.wealth,
        "trust": trust,
        "disclosed": st.disclosed,
        "blacklisted": black,
        "wrongfully_listed": wrong_now,
        "redlisted": red,
        "sectors_now": sectors_now,
        "sectors_ever": _popcount32(st.sectors_ever).astype(np.int8),
        "sectors_ever_mask": global_sectors(st.sectors_ever, sh.tb.sector_bits),
        "degree_initial": degrees[0],
        "degree_final": degrees[1],
    }
    d.update(counters)
    sh.st = None  # the run is over: what the table does not hold is freed now
    return d


def _citizens_table(parts: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    """The citizens table from the shards' columns, one block per column.

    With one shard the arrays are handed over as they are. With several, each column is
    assembled in turn and the shards' pieces of it dropped, so the whole table is never
    held twice (pd.concat would copy every column while the parts are still alive).
    """
    if len(parts) == 1:
        return pd.DataFrame(parts[0], copy=False)
    cols = {}
    for k in list(parts[0]):
        if isinstance(parts[0][k], pd.Categorical):
            cols[k] = _concat_categoricals([p.pop(k) for p in parts])
            continue
        total = sum(p[k].shape[0] for p in parts)
        col = np.empty(total, np.result_type(*[p[k].dtype for p in parts]))
        i = 0
        for p in parts:
            a = p.pop(k)
            col[i:i + a.shape[0]] = a
            i += a.shape[0]
        del a
        cols[k] = col
        give_back_free_memory()  # the pieces were small heap blocks: their pages are returned
    return pd.DataFrame(cols, copy=False)


def _concat_categoricals(cats: list[pd.Categorical]) -> pd.Categorical:
    """What pd.concat does with categoricals, on the codes (no array of strings is built).

    Same categories everywhere: kept as they are. Otherwise pandas falls back to the values,
    and `astype("category")` makes the sorted set of the values present its categories.
    """
    first = list(cats[0].categories)
    if all(list(c.categories) == first for c in cats[1:]):
        return pd.Categorical.from_codes(np.concatenate([c.codes for c in cats]), categories=first)
    present = sorted({c.categories[i] for c in cats for i in np.unique(c.codes) if i >= 0})
    where = {name: j for j, name in enumerate(present)}
    dt = np.int8 if len(present) < 128 else np.int16 if len(present) < 32768 else np.int32
    out = []
    for c in cats:
        remap = np.array([where.get(name, -1) for name in c.categories] + [-1], dt)
        out.append(remap[c.codes])  # code -1 (missing) maps to the last entry, -1
    return pd.Categorical.from_codes(np.concatenate(out), categories=present)


def give_back_free_memory() -> None:
    """Return free heap pages to the system (glibc malloc_trim); a no-op elsewhere."""
    global _TRIM
    if _TRIM is None:
        try:
            import ctypes
            import ctypes.util

            _TRIM = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _TRIM = False
    if _TRIM:
        _TRIM(0)


_TRIM = None


def build_result(nation, soc, manifest, rows, grades, ledger, save_ties, release_society: bool = False) -> RunResult:
    """The run's tables, consuming the nation's state. With `release_society` (a society
    made for this run) the society's tie arrays are freed once the network outputs are
    made, so the citizens table is built without the tie graph alongside."""
    steps = pd.DataFrame(rows)
    g_rows = [(t, m, name, int(k)) for t, m, names, counts in grades for name, k in zip(names, counts, strict=True)]
    grades_df = pd.DataFrame(g_rows, columns=["step", "municipality", "grade", "citizens"])
    c4 = []
    pop = soc.population
    for sh in nation.shards:
        st = sh.st
        for v in range(10):
            for b in range(4):
                c4.append((st.municipality, v, b, int(st.c4_days[v, b]), int(st.c4_harm[v, b])))
    st = None  # no reference may outlive _take_columns, or the state is not freed
    # Everything that reads the tie graph first, then the graph is released.
    scores = [sh.st.score for sh in nation.shards]
    top = _top_decile(scores)
    graphs = [(sh.st.indptr, sh.st.indices, sh.st.offset) for sh in nation.shards]
    score = scores[0] if len(scores) == 1 else np.concatenate(scores)
    summary = _network_summary(graphs, score, top)
    del score, scores
    ties = None
    if save_ties:
        pairs = [_edges(*g) for g in graphs]
        ties = pd.DataFrame({"src": np.concatenate([a for a, _ in pairs]),
                             "dst": np.concatenate([b for _, b in pairs])})
    # Final degrees while the indices are alive, then the initial ones (row lengths) in
    # the row pointers' own int32 array: no new array the size of the shard for them.
    final = [active_degree(ip, ix) for ip, ix, _ in graphs]
    degrees = [(_row_lengths_consuming(ip), d) for (ip, _, _), d in zip(graphs, final, strict=True)]
    del final
    ties_initial = int(soc.network.indices.size // 2)
    del graphs
    for sh in nation.shards:
        sh.st.indptr = sh.st.indices = None
    if release_society:
        soc.network.indices = None
    give_back_free_memory()
    # Consumes the shards' state: each shard's columns are taken, then the rest released.
    citizens = _citizens_table([_take_columns(sh, pop, d) for sh, d in zip(nation.shards, degrees, strict=True)])
    del degrees
    # Strings for users, stored compactly (dictionary-encoded in Parquet). Shards may have
    # different grade names, so the union of categories is taken.
    citizens["group"] = citizens["group"].astype("category")
    citizens["grade"] = citizens["grade"].astype("category")
    black = citizens["blacklisted"].to_numpy()
    net_rows = [{
        **summary,
        "ties_initial": ties_initial,
        "mean_degree_listed": float(citizens.degree_final[black].mean()) if black.any() else float("nan"),
        "mean_degree_unlisted": float(citizens.degree_final[~black].mean()) if (~black).any() else float("nan"),
        "mean_degree0_listed": float(citizens.degree_initial[black].mean()) if black.any() else float("nan"),
    }]
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
