"""The optional event ledger: every act, record, listing, sector restriction and appeal of
all citizens or of a fixed sample, with the ground truth beside each record.

The sample is chosen by a hash of the citizen id, so it is the same citizens whatever the
seed, shard layout or worker count.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..rulebook.schema import SECTORS
from .consequences import appeal_list_of
from .context import global_sectors
from .listing import EXIT_REASONS

KINDS = ("act", "record", "listed", "renewed", "delisted", "sectors", "appeal", "appeal_decided")


def sampled(gids: np.ndarray, fraction: float) -> np.ndarray:
    if fraction >= 1.0:
        return np.ones(gids.shape, bool)
    h = (gids.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(40)
    return h.astype(np.float64) / float(1 << 24) < fraction


def sector_names(mask: int) -> str:
    return ",".join(s for k, s in enumerate(SECTORS) if mask >> k & 1)


class Ledger:
    def __init__(self, fraction: float = 1.0):
        self.fraction = float(fraction)
        self.cols: dict[str, list] = {k: [] for k in ("step", "citizen", "municipality", "kind", "behaviour",
                                                       "source", "points", "list", "truth", "wrongful", "detail")}
        self._mask: dict[int, np.ndarray] = {}
        self._prev_sectors: dict[int, np.ndarray] = {}

    def _add(self, t, m, gids, kind, behaviour=None, source=None, points=None, lst=None, truth=None,
             wrongful=None, detail=None):
        k = gids.size
        if k == 0:
            return
        c = self.cols

        def fill(v, dtype=object):
            if v is None:
                return np.full(k, None, dtype=object)
            return np.asarray(v, dtype=dtype) if not np.isscalar(v) else np.full(k, v, dtype=dtype)

        c["step"].append(np.full(k, t, np.int32))
        c["citizen"].append(gids.astype(np.int64))
        c["municipality"].append(np.full(k, m, np.int16))
        c["kind"].append(np.full(k, kind, dtype=object))
        c["behaviour"].append(fill(behaviour))
        c["source"].append(fill(source))
        c["points"].append(np.full(k, np.nan, np.float32) if points is None else np.asarray(points, np.float32))
        c["list"].append(fill(lst))
        c["truth"].append(fill(truth))
        c["wrongful"].append(np.zeros(k, bool) if wrongful is None else np.asarray(wrongful, bool))
        c["detail"].append(fill(detail))

    def add_step(self, shard, t, acts, rec, lev, aev) -> None:
        st, crb = shard.st, shard.crb
        m, off = st.municipality, st.offset
        if m not in self._mask:
            self._mask[m] = sampled(np.arange(st.n, dtype=np.int64) + off, self.fraction)
        if m not in self._prev_sectors:
            self._prev_sectors[m] = np.zeros(st.n, st.sectors.dtype)
        keep = self._mask[m]
        bids = np.array(crb.behaviour_ids, dtype=object)
        sids = np.array(crb.source_ids, dtype=object)
        lids = np.array(crb.list_ids, dtype=object)
        a = keep[acts.citizen]
        self._add(t, m, acts.citizen[a] + off, "act", bids[acts.behaviour[a]],
                  truth=np.where(acts.excused[a], "excusable", "true"))
        r = keep[rec.citizen]
        truth = np.where(rec.false[r], "false", np.where(rec.excused[r], "excusable", "true"))
        self._add(t, m, rec.citizen[r] + off, "record", bids[rec.behaviour[r]], sids[rec.source[r]],
                  crb.points[rec.behaviour[r]], truth=truth)
        for l, who in lev.renewals:
            k = keep[who]
            self._add(t, m, who[k] + off, "renewed", lst=lids[l], detail="listing extended")
        # Exits before entries: a listing that expires can be re-entered the same day.
        for l, who, reason in lev.exited:
            k = keep[who]
            self._add(t, m, who[k] + off, "delisted", lst=lids[l], detail=EXIT_REASONS[reason])
        for l, who, wrongful, lawful in lev.entered:
            k = keep[who]
            self._add(t, m, who[k] + off, "listed", lst=lids[l], wrongful=wrongful[k],
                      detail=np.where(lawful[k], "cause: lawful conduct", "cause: unlawful conduct"))
        prev = self._prev_sectors[m]
        changed = np.flatnonzero(keep & (st.sectors != prev))
        if changed.size:
            names = global_sectors(st.sectors[changed], shard.tb.sector_bits)
            self._add(t, m, changed + off, "sectors", detail=np.array([sector_names(int(x)) for x in names], dtype=object))
            prev[changed] = st.sectors[changed]
        k = keep[aev.lodged]
        lodged = aev.lodged[k]
        self._add(t, m, lodged + off, "appeal", lst=lids[appeal_list_of(st, crb, lodged)] if lodged.size else None)
        k = keep[aev.decided]
        self._add(t, m, aev.decided[k] + off, "appeal_decided", wrongful=aev.wrongful[k],
                  detail=np.where(aev.won[k], "won", "lost"))

    def restore(self, table: pa.Table) -> None:
        """Continue from a saved ledger (events of the steps already run)."""
        self.cols = {k: [] for k in self.cols}
        if table.num_rows == 0:
            return
        for k in self.cols:
            col = table[k]
            if pa.types.is_string(col.type):
                self.cols[k].append(np.array(col.to_pylist(), dtype=object))
            else:
                self.cols[k].append(col.to_numpy(zero_copy_only=False))

    def table(self) -> pa.Table:
        c = self.cols
        if not c["step"]:
            arrays = {"step": pa.array([], pa.int32()), "citizen": pa.array([], pa.int64()),
                      "municipality": pa.array([], pa.int16()), "kind": pa.array([], pa.string()),
                      "behaviour": pa.array([], pa.string()), "source": pa.array([], pa.string()),
                      "points": pa.array([], pa.float32()), "list": pa.array([], pa.string()),
                      "truth": pa.array([], pa.string()), "wrongful": pa.array([], pa.bool_()),
                      "detail": pa.array([], pa.string())}
            return pa.table(arrays)
        out = {}
        for k, parts in c.items():
            v = np.concatenate(parts)
            if v.dtype == object:
                out[k] = pa.array(v.tolist(), pa.string())
            else:
                out[k] = pa.array(v)
        tab = pa.table(out)
        # Deterministic order whatever the shard order: by step, citizen, then insertion.
        idx = np.lexsort((np.arange(tab.num_rows), tab["citizen"].to_numpy(), tab["step"].to_numpy()))
        return tab.take(pa.array(idx))
