"""Shard state: one municipality's citizens as a struct of arrays.

Ground truth (true acts, excusable context, false records) is kept beside what the system
records: `pos`/`neg` build the recorded score, `cpos`/`cneg` a shadow "clean" score from
true, unexcused records only. A listing is wrongful when the clean record would not have
triggered it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

# Step numbers held per citizen (list ends, entries, scheduled exits, window starts, appeal
# decisions) are uint16. A run has at most MAX_STEPS = 36500 steps (engine.run), so every
# step it reaches is below FOREVER; a later step (a long listing, a far-off exit) is stored
# as FOREVER, which no run reaches either: `day()` does that clamping.
STEP = np.uint16
NOT_LISTED = np.uint16(65535)  # no listing, no exit scheduled, no appeal pending
FOREVER = np.uint16(65534)  # a listing without end; also any step >= FOREVER


def day(step) -> int:
    """A step number to store in a STEP array: a step past FOREVER is never reached, so FOREVER."""
    return min(int(step), int(FOREVER))


# Per-citizen counters kept for the final snapshot (name -> dtype). Day counts are uint16
# (a run has at most 36500 days). Counts of acts and records are uint16 too, added by
# kernels.apply_acts / apply_records with kernels._count, which saturates: 65535 means
# 65535 or more (acts are rare, 1e-5..1e-2 a day).
# The citizens table widens both to its int32 columns.
COUNTERS = {
    "acts_harm": np.uint16,  # true harmful acts (social_value < 0)
    "acts_good": np.uint16,  # true beneficial acts (social_value > 0)
    "harm_done": np.float32,  # sum of -social_value over harmful acts
    "unobserved_harm": np.float32,  # harm from acts no source can see
    "culpable_acts": np.uint16,  # true, unexcused acts with negative points
    "records": np.uint16,  # records of acts (true or false)
    "false_records": np.uint16,
    "excused_records": np.uint16,  # true acts recorded, but excusable in context
    "offences": np.uint16,  # records with negative points
    "points_lost": np.float32,  # records, ties, the non-disclosure penalty
    "points_gained": np.float32,  # records, ties (peer pull), the disclosure reward
    "points_lost_lawful": np.float32,  # lost for lawful conduct
    "points_lost_assoc": np.float32,  # lost through ties: association penalty, peer pull (kept only with either)
    "points_gained_performative": np.float32,  # gained for little real value: such acts, ties, disclosing
    "points_gained_ties": np.float32,  # gained through ties: the peer pull (kept only with it)
    "listings": np.uint8,  # blacklist entries (saturating, kernels._count's rule: 255 means 255 or more)
    "wrongful_listings": np.uint8,
    "redlistings": np.uint8,
    "days_blacklisted": np.uint16,
    "days_wrongfully_listed": np.uint16,
    "sanction_days": np.uint16,
    "privilege_days": np.uint16,
    "appeals": np.uint8,  # saturating, as listings
    "appeals_won": np.uint8,
    "cheated": np.uint16,  # exchanges in which a partner cheated (saturating)
}


def trigger_dtype(min_records: np.ndarray) -> type:
    """Dtype of the trigger-record counts: uint8 when no list needs more than 255 records
    (counts saturate, and a count stopped at 255 still meets such a threshold), else int16."""
    return np.uint8 if min_records.size == 0 or int(min_records.max()) <= 255 else np.int16


def trigger_cap(dtype) -> int:
    """Where trigger-record counts stop: 255 for uint8, 30000 for int16 (well above any
    list's `min_records`, which the schema caps at 1000, so a stopped count still meets it)."""
    return min(int(np.iinfo(dtype).max), 30000)


# The citizens table's dtype for counters the state keeps narrower.
TABLE_DTYPES = {k: np.int32 for k in ("acts_harm", "acts_good", "culpable_acts", "records", "false_records",
                                      "excused_records", "offences", "days_blacklisted",
                                      "days_wrongfully_listed", "sanction_days", "privilege_days", "cheated")}
TABLE_DTYPES |= {k: np.int16 for k in ("listings", "wrongful_listings", "redlistings", "appeals", "appeals_won")}


def bump(c: np.ndarray, who: np.ndarray) -> None:
    """c[who] += 1 for distinct `who`, stopping at the dtype's maximum (as kernels._count)."""
    top = np.iinfo(c.dtype).max
    v = c[who]
    c[who] = v + (v < top)


def counters_for(crb) -> dict[str, type]:
    """The counters a rulebook can move (name -> dtype). The others stay zero all run and
    are not allocated: the citizens table adds them as zero columns at the end."""
    out = dict(COUNTERS)
    if not (crb.association_penalty > 0 or crb.peer_weight > 0):
        del out["points_lost_assoc"]
    if not crb.peer_weight > 0:
        del out["points_gained_ties"]
    if not crb.list_black.any():
        for k in ("listings", "wrongful_listings", "appeals", "appeals_won"):
            del out[k]
    elif not crb.appeals_available:
        del out["appeals"], out["appeals_won"]
    if crb.list_black.all():
        del out["redlistings"]
    return out


class ListField:
    """One per-list field of the list state, held only for the lists whose rules read it.

    `data` has a row per such list (`row[l]` is its row, -1 for a list without one). A
    list without a row reads as `fill` everywhere; writing `fill` to it does nothing, and
    writing anything else raises, because the rules of that list never read the field
    back. Indexing follows the 2-D arrays this replaces: `f[l, idx]`, `f[l]`.
    """

    def __init__(self, used: np.ndarray, n: int, dtype, fill) -> None:
        used = np.asarray(used, bool)
        self.row = np.where(used, np.cumsum(used) - 1, -1).astype(np.int64)
        self.fill = np.dtype(dtype).type(fill)
        self.data = np.full((int(used.sum()), n), self.fill, dtype)

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def has(self, l: int) -> bool:
        return self.row[l] >= 0

    def _split(self, key):
        l, idx = key if isinstance(key, tuple) else (key, slice(None))
        return int(self.row[l]), idx

    def __getitem__(self, key):
        r, idx = self._split(key)
        if r >= 0:
            return self.data[r, idx]
        # The fill, shaped as indexing a row would give, without a row-sized temporary
        # (the listing phase asks for absent fields of every list each day).
        return np.array(np.broadcast_to(self.data.dtype.type(self.fill), self.data.shape[1:])[idx])

    def take(self, lists: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Element k is field[lists[k], idx[k]] (fill for a list without a row)."""
        r = self.row[lists]
        out = np.full(idx.shape, self.fill, self.data.dtype)
        kept = r >= 0
        out[kept] = self.data[r[kept], idx[kept]]
        return out

    def __setitem__(self, key, value) -> None:
        r, idx = self._split(key)
        if r >= 0:
            self.data[r, idx] = value
        elif np.any(np.asarray(value) != self.fill):
            raise ValueError("a list state field written for a list whose rules do not keep it")


def list_fields_used(crb) -> dict[str, np.ndarray]:
    """Which lists keep each per-list field (name -> bool per list), from the rules that
    read the field back. `until` is kept for every list."""
    black = crb.list_black.astype(bool)
    appeals = bool(crb.appeals_available) & black & crb.list_notice.astype(bool)
    renew = (crb.list_renew_days > 0) & (crb.list_max_renewals > 0)
    triggered = crb.list_trigger.any(axis=1) if crb.n_lists else np.zeros(0, bool)
    repair = black & bool(crb.repair_available)
    return {
        "listed_at": repair | (appeals & (crb.appeal_deadline > 0)),
        "renewals": renew,
        "wrongful": black,
        "exit_at": crb.list_exit_rate > 0,
        "appealed": appeals,
        "trig_count": triggered,
        "trig_clean": triggered,
        "trig_start": triggered,
        "reoffended": renew & crb.list_renew_on_reoffence.astype(bool),
    }


@dataclass
class ShardState:
    municipality: int
    offset: int  # global id of local citizen 0
    # fixed traits
    group: np.ndarray  # int8
    virtue: np.ndarray  # float32
    strategic: np.ndarray
    privacy: np.ndarray
    income: np.ndarray
    # this shard's rows of the tie graph (global column ids)
    indptr: np.ndarray  # int32 (int64 past 2**31 tie ends); row lengths are degree_initial
    indices: np.ndarray  # int32, mutable: a dropped tie end j is stored as ~j (negative)
    # score components (recorded and clean)
    pos: np.ndarray
    neg: np.ndarray
    cpos: np.ndarray
    cneg: np.ndarray
    score: np.ndarray
    # lists: `until` has shape (L, n); the rest are ListFields, held only for the lists
    # whose rules read them (list_fields_used)
    until: np.ndarray  # STEP: step a listing ends (exclusive); NOT_LISTED if none, FOREVER if never
    listed_at: ListField  # STEP
    renewals: ListField  # uint8 (max_renewals is at most 100)
    wrongful: ListField  # bool
    exit_at: ListField  # STEP: scheduled removal after performance, NOT_LISTED if none
    appealed: ListField  # bool: this listing has been appealed
    trig_count: ListField  # trigger_dtype(): records counted toward entry in the current window
    trig_clean: ListField  # the same, true unexcused records only
    trig_start: ListField  # STEP: window start
    reoffended: ListField  # bool: a trigger record since entry (for renewal)
    # appeals in progress
    appeal_due: np.ndarray  # STEP: step the decision comes, NOT_LISTED if none
    appeal_list: np.ndarray  # int8
    # other state
    disclosed: np.ndarray  # bool
    wealth: np.ndarray  # float32
    trust_r: np.ndarray  # float32 remembered honest exchanges (with forgetting)
    trust_s: np.ndarray  # float32 remembered cheats; trust is (r + 1) / (r + s + 2)
    grade: np.ndarray  # int8 grade index, set by the sanction phase
    harm_level: np.ndarray  # float32 decayed count of recent harmful acts; during a step, the shard's part of the view being written (Shard.step)
    sectors: np.ndarray  # uint32 bitmask of sectors restricted now
    sectors_ever: np.ndarray  # uint32
    score_mid: np.ndarray  # score at the run's midpoint (for mobility)
    counters: dict[str, np.ndarray] = field(default_factory=dict)
    # C4 accumulators: (virtue decile, buffer quartile) citizen-days and harmful acts
    c4_days: np.ndarray = field(default_factory=lambda: np.zeros((10, 4), np.int64))
    c4_harm: np.ndarray = field(default_factory=lambda: np.zeros((10, 4), np.int64))
    # room the list scans' outputs had last time, per list (a sizing hint: no effect on results)
    scan_room: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.group.shape[0])

    def blacklisted(self, list_black: np.ndarray, t: int) -> np.ndarray:
        """Citizens on any blacklist at step t."""
        on = (self.until > t) & list_black[:, None]
        return on.any(axis=0) if on.shape[0] else np.zeros(self.n, dtype=bool)

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array of the state by name (for checkpoints and tests)."""
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray):
                out[f.name] = v
            elif isinstance(v, ListField):
                out[f.name] = v.data
        for k, v in self.counters.items():
            out["counter." + k] = v
        return out
