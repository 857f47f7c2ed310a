"""A nation's own tables: one row per municipality, the national lists, and the reach of
each national listing ("restricted everywhere": in how many municipalities it bites).

A national listing bites in two ways:

- **restricted in**: the municipalities whose rulebook enforces the list's national
  measures. The national layer is merged into every municipality's rulebook
  (`engine.nation.merge_national`), so this is all of them: a citizen on the national list
  is barred from flights, high-speed rail and the rest wherever they are;
- **felt in**: the municipalities where the listed citizen has ties. There the listing is
  seen through the public view: partners refuse to trade with a blacklisted citizen
  (`refuse_listed`), drop ties to a publicly listed one (`ostracism`) and, where the local
  rulebook has them, lose points for the association or cut ties (`tie_drop_rate`).
  `cut in` counts the municipalities where at least one of its ties was actually dropped.

Who was ever on a national blacklist is tracked during the run, at the end of each day,
in the shard's counters (`national_ever`), so checkpoints and executors carry it with the
rest of the state.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .state import NOT_LISTED

NATIONAL_EVER = "national_ever"


def national_rows(crb) -> np.ndarray:
    """Rows of the compiled rulebook's national blacklists."""
    return np.flatnonzero(crb.list_national & crb.list_black)


def track(nation) -> None:
    """Give each shard with a national blacklist its ever-listed flags (before checkpoints load)."""
    for sh in nation.shards:
        if national_rows(sh.crb).size:
            sh.st.counters.setdefault(NATIONAL_EVER, np.zeros(sh.st.n, bool))


def update(sh) -> None:
    """After a step: who is on a national blacklist at the end of the day."""
    ever = sh.st.counters.get(NATIONAL_EVER)
    if ever is None:
        return
    for l in national_rows(sh.crb):
        np.logical_or(ever, sh.st.until[l] != NOT_LISTED, out=ever)


def _muni_of(ids: np.ndarray, starts: np.ndarray) -> np.ndarray:
    return (np.searchsorted(starts, ids, side="right") - 1).astype(np.int32)


def _per_citizen(sh, who: np.ndarray, starts: np.ndarray, M: int) -> dict[str, np.ndarray]:
    """Ties of local citizens `who`: counts, and the municipalities they reach."""
    st = sh.st
    ip = st.indptr.astype(np.int64)
    lo, hi = ip[who], ip[who + 1]
    lens = hi - lo
    owner = np.repeat(np.arange(who.size), lens)
    # every tie end of `who`, row after row (the rows' ranges gathered without a Python loop)
    ent = st.indices[np.arange(int(lens.sum()), dtype=np.int64) + np.repeat(lo - (np.cumsum(lens) - lens), lens)]
    dropped = ent < 0
    ids = np.where(dropped, ~ent, ent).astype(np.int64)
    mun = _muni_of(ids, starts)
    home = st.municipality
    other = mun != home

    def distinct(mask: np.ndarray) -> np.ndarray:
        key = np.unique(owner[mask].astype(np.int64) * M + mun[mask])
        return np.bincount((key // M).astype(np.int64), minlength=who.size)

    return {
        "ties_initial": lens.astype(np.int32),
        "ties_other_municipalities": np.bincount(owner[other], minlength=who.size).astype(np.int32),
        "felt_in": (1 + distinct(other)).astype(np.int32),  # home, and where its ties live
        "ties_dropped": np.bincount(owner[dropped], minlength=who.size).astype(np.int32),
        "ties_dropped_other_municipalities": np.bincount(owner[dropped & other], minlength=who.size).astype(np.int32),
        "cut_in": distinct(dropped).astype(np.int32),
    }


def nation_tables(nation, rows: list[dict], meta: dict) -> dict[str, pd.DataFrame]:
    """`municipalities`, `national` and `reach` tables (before the state is consumed)."""
    shards = nation.shards
    M = len(shards)
    starts = np.array([sh.st.offset for sh in shards] + [shards[-1].st.offset + shards[-1].st.n], np.int64)
    steps = pd.DataFrame(rows)
    by = steps.groupby("municipality")
    last = steps[steps.step == steps.step.max()].set_index("municipality")
    reach_parts, mrows = [], []
    nat_ids: list[str] = []
    for sh in shards:
        st, crb = sh.st, sh.crb
        m = st.municipality
        rows_n = national_rows(crb)
        for l in rows_n:
            if crb.list_ids[l] not in nat_ids:
                nat_ids.append(crb.list_ids[l])
        on = st.until != NOT_LISTED
        nat_now = on[rows_n].any(axis=0) if rows_n.size else np.zeros(st.n, bool)
        wrong_now = np.zeros(st.n, bool)
        for l in rows_n:
            if crb.list_black[l]:
                wrong_now |= on[l] & st.wrongful[l]
        local_black = np.flatnonzero(crb.list_black & ~crb.list_national)
        loc_now = on[local_black].any(axis=0) if local_black.size else np.zeros(st.n, bool)
        ever = st.counters.get(NATIONAL_EVER, np.zeros(st.n, bool))
        who = np.flatnonzero(ever)
        ties = _per_citizen(sh, who, starts, M)
        reach_parts.append(pd.DataFrame({
            "citizen": (who + st.offset).astype(np.int64),
            "municipality": np.full(who.size, m, np.int16),
            "listed_end": nat_now[who],
            "wrongful_end": wrong_now[who],
            **ties,
        }))
        cross = _muni_of(np.where(st.indices < 0, ~st.indices, st.indices).astype(np.int64), starts) != m
        g = by.get_group(m) if m in by.groups else steps.iloc[0:0]
        pop = st.n
        mrows.append({
            "municipality": m,
            "name": sh.name,
            "pilot": meta["pilots"][m] if meta.get("pilots") else crb.name,
            "rulebook": crb.name,
            "share": float(meta["shares"][m]) if meta.get("shares") else pop / starts[-1],
            "population": pop,
            "national_listed_end": int(nat_now.sum()),
            "national_listed_ever": int(who.size),
            "national_wrongful_end": int(wrong_now.sum()),
            "national_felt_in_mean": float(ties["felt_in"].mean()) if who.size else float("nan"),
            "national_ties_dropped_other_municipalities": int(ties["ties_dropped_other_municipalities"].sum()),
            "local_blacklisted_end": int(loc_now.sum()),
            "blacklisted_end": int(last.loc[m, "listed_black"]) if m in last.index else 0,
            "entries_black": int(g["entries_black"].sum()),
            "harm_per_1000_per_day": float(g["harm"].sum() / max(pop, 1) / max(len(g), 1) * 1000),
            "mean_score_end": float(last.loc[m, "score_sum"] / pop) if m in last.index and pop else float("nan"),
            "mean_trust_end": float(last.loc[m, "trust_sum"] / pop) if m in last.index and pop else float("nan"),
            "ties_other_municipalities": int(cross.sum()),
            "ties_dropped": int(g["ties_dropped"].sum()),
        })
    reach = pd.concat(reach_parts, ignore_index=True)
    munis = pd.DataFrame(mrows)
    enforcing = sum(1 for sh in shards if national_rows(sh.crb).size)
    f = reach["felt_in"]
    national = pd.DataFrame([{
        "lists": ", ".join(nat_ids),
        "municipalities": M,
        "restricted_in": enforcing,  # the national measures are in force in every municipality that merged the list
        "listed_end": int(reach.listed_end.sum()),
        "listed_ever": len(reach),
        "wrongful_end": int(reach.wrongful_end.sum()),
        "listed_end_per_100k": float(reach.listed_end.sum() / starts[-1] * 1e5),
        "felt_in_mean": float(f.mean()) if len(f) else float("nan"),
        "felt_in_median": float(f.median()) if len(f) else float("nan"),
        "felt_in_p90": float(f.quantile(0.9)) if len(f) else float("nan"),
        "felt_in_max": int(f.max()) if len(f) else 0,
        "share_felt_beyond_home": float((f > 1).mean()) if len(f) else float("nan"),
        "cut_in_mean": float(reach.cut_in.mean()) if len(f) else float("nan"),
        "ties_dropped_other_municipalities": int(reach.ties_dropped_other_municipalities.sum()),
    }])
    return {"municipalities": munis, "national": national, "reach": reach}


__all__ = ["NATIONAL_EVER", "nation_tables", "national_rows", "track", "update"]
