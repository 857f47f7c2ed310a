"""Phase 2, observe: which acts the system records, and which records it invents.

Each covering source sees an act with its coverage for the citizen's group (raised for
disclosers); an adjudicated source (a court) also hears the context, so it never files an
excusable act. The first source that sees it files the record (one record per act: the
rulebook decides points per act, not per source). Sources also file false records at a
rate that makes `false_record_rate` the expected share of their records that are false;
false records fall on random members of a group, whatever they did.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..rulebook.compiled import CompiledRulebook
from . import kernels
from .behave import Acts
from .context import Tables
from .state import ShardState


@dataclass
class Records:
    citizen: np.ndarray  # int32 local index
    behaviour: np.ndarray  # int16
    source: np.ndarray  # int16
    false: np.ndarray  # bool: no such act happened
    excused: np.ndarray  # bool: it happened, in a context the data cannot see

    def __len__(self) -> int:
        return int(self.citizen.shape[0])

    @property
    def clean(self) -> np.ndarray:
        """Records a fair process would keep: true and unexcused."""
        return ~(self.false | self.excused)


def observe(st: ShardState, crb: CompiledRulebook, tb: Tables, acts: Acts, false_records: FalseRecordTable,
            rng: np.random.Generator) -> Records:
    S = crb.records.shape[1]
    k = len(acts)
    if S == 0:
        empty = np.empty(0, np.int32)
        return Records(empty, empty.astype(np.int16), empty.astype(np.int16), empty.astype(bool), empty.astype(bool))
    source = np.empty(k, dtype=np.int16)
    kernels.first_source(acts.behaviour, st.group[acts.citizen], st.disclosed[acts.citizen], acts.excused,
                         crb.records, crb.observable, crb.adjudicated, tb.cov_eff, rng.random((S, k)), source)
    rec = source >= 0
    parts_c = [acts.citizen[rec]]
    parts_b = [acts.behaviour[rec]]
    parts_s = [source[rec]]
    parts_f = [np.zeros(int(rec.sum()), bool)]
    parts_e = [acts.excused[rec]]
    # False records: Poisson counts per (behaviour, source, group), uniform over the group.
    fr = false_records
    if fr.rate.size:
        m = rng.poisson(fr.rate)
        hit = np.flatnonzero(m)
        if hit.size:
            counts = m[hit]
            g = np.repeat(fr.group[hit], counts)
            pick = (rng.random(g.size) * fr.sizes[g]).astype(np.int64)
            parts_c.append(fr.members[fr.starts[g] + pick].astype(np.int32))
            parts_b.append(np.repeat(fr.behaviour[hit], counts).astype(np.int16))
            parts_s.append(np.repeat(fr.source[hit], counts).astype(np.int16))
            parts_f.append(np.ones(g.size, bool))
            parts_e.append(np.zeros(g.size, bool))
    return Records(
        np.concatenate(parts_c), np.concatenate(parts_b), np.concatenate(parts_s),
        np.concatenate(parts_f), np.concatenate(parts_e),
    )


@dataclass(frozen=True)
class FalseRecordTable:
    """Constant per shard: expected false records per day for each (behaviour, source,
    group) with a false rate, and the group members to put them on."""

    rate: np.ndarray  # group size x base rate x coverage x f / (1 - f): f is the false share
    behaviour: np.ndarray
    source: np.ndarray
    group: np.ndarray
    members: np.ndarray  # local ids, group by group
    starts: np.ndarray  # where each group starts in `members`
    sizes: np.ndarray


def false_record_table(crb: CompiledRulebook, tb: Tables, group: np.ndarray) -> FalseRecordTable:
    G = tb.cov_eff.shape[1]
    members = np.argsort(group, kind="stable")
    sizes = np.bincount(group, minlength=G)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rate, bs, ss, gs = [], [], [], []
    for s in range(crb.records.shape[1]):
        f = crb.false_rate[s]
        if f <= 0:
            continue
        for b in np.flatnonzero(crb.records[:, s] & crb.observable & (crb.base_rate > 0)):
            for g in range(G):
                r = sizes[g] * crb.base_rate[b] * tb.cov_eff[s, g, 0] * f / (1.0 - f)
                if r > 0:
                    rate.append(r)
                    bs.append(b)
                    ss.append(s)
                    gs.append(g)
    return FalseRecordTable(np.array(rate), np.array(bs, np.int64), np.array(ss, np.int64),
                            np.array(gs, np.int64), members, starts.astype(np.int64), sizes.astype(np.int64))
