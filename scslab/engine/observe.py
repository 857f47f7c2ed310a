"""Phase 2, observe: which acts the system records, and which records it invents.

Each covering source sees an act with its coverage for the citizen's group (raised for
disclosers), and files an excusable act it sees with its `files_excusable` share: by
default an adjudicated source (a court) hears the context and never files one, and any
other source, which cannot see the context, files all of them. The first source that
files the act makes the record (one record per act: the rulebook decides points per act,
not per source). Sources also file false records, so that `false_record_rate` f is the
expected share of their records that are false, whatever the level of deterrence: each day, for each (behaviour, source, group), a
Poisson number of false records with mean (true records filed today) x f / (1 - f).
False records fall on random members of the group, whatever they did.
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
    if k == 0:  # no acts, so no true records and no false ones (their means are zero): no draws
        return Records(acts.citizen[:0].copy(), acts.behaviour[:0].copy(), np.empty(0, np.int16), np.empty(0, bool),
                       acts.excused[:0].copy())
    source = np.empty(k, dtype=np.int16)
    kernels.first_source(acts.behaviour, st.group[acts.citizen], st.disclosed[acts.citizen], acts.excused,
                         crb.records, crb.observable, crb.files_excusable, tb.cov_eff, rng.random((S, k)), source)
    rec = source >= 0
    parts_c = [acts.citizen[rec]]
    parts_b = [acts.behaviour[rec]]
    parts_s = [source[rec]]
    parts_f = [np.zeros(int(rec.sum()), bool)]
    parts_e = [acts.excused[rec]]
    # False records: per (behaviour, source, group), a Poisson count with mean today's true
    # records of that cell x f / (1 - f), on members of the group drawn uniformly.
    fr = false_records
    if fr.factor.size:
        true_cells = fr.cell_of[(parts_b[0].astype(np.int64) * S + parts_s[0]) * fr.n_groups
                                + st.group[parts_c[0]]]
        true_cells = true_cells[true_cells >= 0]
        mean = np.bincount(true_cells, minlength=fr.factor.size) * fr.factor
        m = rng.poisson(mean)
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
    """Constant per shard: the (behaviour, source, group) cells whose source files false
    records, the factor f / (1 - f) that turns a cell's true records into the mean of its
    false ones (f: the source's false share), and the group members to put them on."""

    factor: np.ndarray  # f / (1 - f) per cell
    behaviour: np.ndarray
    source: np.ndarray
    group: np.ndarray
    cell_of: np.ndarray  # (b * S + s) * G + g -> cell index, -1 for no false records
    n_groups: int
    members: np.ndarray  # local ids, group by group
    starts: np.ndarray  # where each group starts in `members`
    sizes: np.ndarray


def false_record_table(crb: CompiledRulebook, tb: Tables, group: np.ndarray) -> FalseRecordTable:
    G = tb.cov_eff.shape[1]
    B, S = crb.records.shape
    members = np.argsort(group, kind="stable")
    sizes = np.bincount(group, minlength=G)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    cell_of = np.full(B * S * G, -1, np.int64)
    factor, bs, ss, gs = [], [], [], []
    for s in range(S):
        f = crb.false_rate[s]
        if f <= 0:
            continue
        for b in np.flatnonzero(crb.records[:, s] & crb.observable & (crb.base_rate > 0)):
            for g in range(G):
                if sizes[g] == 0 or tb.cov_eff[s, g].max() <= 0:
                    continue  # nobody to put a record on, or the source never sees the group
                cell_of[(b * S + s) * G + g] = len(factor)
                factor.append(f / (1.0 - f))
                bs.append(b)
                ss.append(s)
                gs.append(g)
    return FalseRecordTable(np.array(factor, np.float64), np.array(bs, np.int64), np.array(ss, np.int64),
                            np.array(gs, np.int64), cell_of, G, members, starts.astype(np.int64),
                            sizes.astype(np.int64))
