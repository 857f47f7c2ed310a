"""A shard is one municipality: its citizens, its compiled rulebook, its step.

Interface for executors (local now, Ray later): a shard owns a contiguous range of global
citizen ids and its rows of the tie graph. Each step it reads only the public `View` of
last step (scores, list flags, harm levels of anyone, in practice of its own citizens and
of the remote ends of its ties: `remote_ids()`), and returns its aggregates and its part
of the new view (`publish()`). Randomness is keyed by (seed, municipality, step), so the
result does not depend on which process runs which shard, or in what order.
"""

from __future__ import annotations

import numpy as np

from ..rulebook.compiled import CompiledRulebook
from . import kernels
from .behave import behave, disclose
from .collect import c4_cells, collect, sample_c4, start_measuring
from .consequences import appeal, appealable_lists, ordered_sum, sanction
from .context import Neighbourhood, Tables, View, make_tables, tables_on_day
from .ledger import Ledger
from .listing import count_listed_days, listing
from .observe import false_record_table, observe
from .params import EngineParams
from .purchases import purchase_plan, purchases
from .scoring import score
from .state import (
    NOT_LISTED,
    STEP,
    ListField,
    ShardState,
    counters_for,
    list_fields_used,
    trigger_dtype,
)

INIT_STEP = 2**31  # the stream used to initialise a shard, distinct from every step's


def step_rng(seed: int, municipality: int, step: int) -> np.random.Generator:
    """The random stream of (seed, municipality, step): independent of scheduling."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(municipality), int(step)]))


# Each phase of a step draws from its own stream, keyed by (seed, municipality, step, phase).
# Runs compared pair by pair (a pilot and the same pilot with one mechanism switched off)
# then share their random numbers phase by phase: switching disclosure off, say, does not
# shift the draws of the day's acts, so a paired difference measures the mechanism, not
# which citizens happened to draw an act (common random numbers).
# New phases go at the end, so the phases before keep their streams.
PHASES = ("disclose", "behave", "observe", "listing", "appeal", "trust", "purchase")


def _words(x: int) -> list[int]:
    """An integer's 32-bit words, least significant first ([0] for 0): how SeedSequence reads it."""
    out = [x & 0xFFFFFFFF]
    x >>= 32
    while x:
        out.append(x & 0xFFFFFFFF)
        x >>= 32
    return out


_M128 = (1 << 128) - 1
_PCG_MULT = (2549297995355413924 << 64) + 4865540595714422341  # PCG64's 128-bit multiplier


def _pcg64_state(words: list[int]) -> dict:
    """The state `PCG64(SeedSequence(words))` starts in (words: uint32 values), made
    without SeedSequence: its mixing in one compiled call (kernels.seed_sequence_words),
    then PCG64's seeding (pcg64_set_seed: state and increment from the four 64-bit words,
    two steps of the generator) in Python's integers. Tested against numpy for every key
    shape the engine makes (tests/test_nation_engine.py)."""
    w32 = np.empty(8, "<u4")
    kernels.seed_sequence_words(np.array(words, np.uint32), w32)
    v0, v1, v2, v3 = w32.view("<u8").tolist()  # numpy reads the words as little-endian uint64s
    initstate = (v0 << 64) | v1
    inc = ((((v2 << 64) | v3) << 1) | 1) & _M128
    state = ((inc + initstate) * _PCG_MULT + inc) & _M128
    return {"bit_generator": "PCG64", "state": {"state": state, "inc": inc}, "has_uint32": 0, "uinteger": 0}


class _Stream:
    """A phase's Generator, made when the phase first draws from it (many days a shard's
    listing, appeal, purchase and disclosure phases draw nothing). Behaves as the Generator.

    With a `pool` (a shard's: phase -> Generator), the phase's Generator of the pool is
    reseeded to the day's key instead of a new one being made: the same stream, at a
    third of the cost. A shard's phases draw one after the other within its step, and a
    day's streams are not used after the step, so one Generator per phase suffices."""

    def __init__(self, words: list[int], pool: dict | None = None, phase: str = ""):
        self._words = words
        self._pool = pool
        self._phase = phase
        self._g: np.random.Generator | None = None

    def generator(self) -> np.random.Generator:
        if self._g is None:
            if self._pool is None:
                entropy = np.array(self._words, np.uint32)
                self._g = np.random.default_rng(np.random.SeedSequence(entropy))
            else:
                g = self._pool.get(self._phase)
                if g is None:
                    g = self._pool[self._phase] = np.random.Generator(np.random.PCG64(0))
                g.bit_generator.state = _pcg64_state(self._words)
                self._g = g
        return self._g

    def __getattr__(self, name: str):
        value = getattr(self.generator(), name)
        self.__dict__[name] = value  # found directly from now on
        return value


class PhaseStreams:
    """The day's random streams, one per phase, each made when first drawn from.

    Each is `default_rng(SeedSequence([seed, municipality, step, 1 + phase index]))`. The
    entropy is handed to SeedSequence as the uint32 words it would make of that list
    itself (the same pool, the same stream), which skips its conversion of Python ints;
    a phase that draws nothing that day makes none. With a `pool` (Shard keeps one), a
    phase's Generator is made once and reseeded each day (_Stream): making Generators was
    the largest part of a small shard's fixed cost per step.
    """

    __slots__ = ("_words", "_made", "_pool")

    def __init__(self, seed: int, municipality: int, step: int, pool: dict | None = None):
        self._words = _words(int(seed)) + _words(int(municipality)) + _words(int(step))
        self._made: dict[str, _Stream] = {}
        self._pool = pool

    def __getitem__(self, phase: str) -> np.random.Generator:
        g = self._made.get(phase)
        if g is None:
            g = self._made[phase] = _Stream([*self._words, 1 + PHASES.index(phase)], self._pool, phase)
        return g  # type: ignore[return-value]  # a Generator made on first use


def local_indptr(indptr: np.ndarray) -> np.ndarray:
    """Row pointers from 0, int32 when the shard's tie ends fit (4 bytes a citizen less)."""
    dt = np.int32 if int(indptr[-1]) - int(indptr[0]) < 2**31 else np.int64
    if indptr.dtype == dt and indptr[0] == 0:
        return indptr
    out = np.empty(indptr.shape[0], dt)
    np.subtract(indptr, indptr[0], out=out, casting="unsafe")  # no int64 temporary
    return out


def _tie_ids(x: np.ndarray) -> np.ndarray:
    """Partner ids of stored tie ends, dropped ones (~j) decoded (a small array: a copy)."""
    return np.where(x < 0, ~x, x)


class Shard:
    def __init__(self, municipality: int, name: str, crb: CompiledRulebook, params: EngineParams,
                 seed: int, traits: dict[str, np.ndarray], offset: int,
                 indptr: np.ndarray, indices: np.ndarray, ledger: Ledger | None = None,
                 harm: np.ndarray | None = None):
        self.m = municipality
        self.name = name
        self.crb = crb
        self.p = params
        self.seed = int(seed)
        self.tb: Tables = make_tables(crb, params)
        self.ledger = ledger
        self._streams: dict[str, np.random.Generator] = {}  # a Generator per phase, reseeded each day
        n = traits["group"].shape[0]
        L = crb.n_lists
        rng = step_rng(seed, municipality, INIT_STEP)
        f32 = np.float32
        used = list_fields_used(crb)
        trig = trigger_dtype(crb.list_min_records)
        privacy = traits["privacy"].astype(f32, copy=False)
        disclosed = (rng.random(n) < params.disclose_initial * (1.0 - privacy)) if params.levers.code else np.zeros(n, bool)
        self.st = ShardState(
            municipality=municipality,
            offset=int(offset),
            group=traits["group"].astype(np.int8, copy=False),  # traits are read-only: no copies
            virtue=traits["virtue"].astype(f32, copy=False),
            strategic=traits["strategic"].astype(f32, copy=False),
            privacy=privacy,
            income=traits["income"].astype(f32, copy=False),  # daily (build_nation divides by 30)
            indptr=local_indptr(indptr),
            indices=indices,  # int32, dropped ends as ~j; mutable: build_nation copies a user's society
            pos=np.zeros(n, f32), neg=np.zeros(n, f32), cpos=np.zeros(n, f32), cneg=np.zeros(n, f32),
            score=np.full(n, crb.base, f32),
            until=np.full((L, n), NOT_LISTED, STEP),
            listed_at=ListField(used["listed_at"], n, STEP, NOT_LISTED),
            renewals=ListField(used["renewals"], n, np.uint8, 0),  # max_renewals is at most 100
            wrongful=ListField(used["wrongful"], n, bool, False),
            exit_at=ListField(used["exit_at"], n, STEP, NOT_LISTED),
            appealed=ListField(used["appealed"], n, bool, False),
            trig_count=ListField(used["trig_count"], n, trig, 0),
            trig_clean=ListField(used["trig_clean"], n, trig, 0),
            trig_start=ListField(used["trig_start"], n, STEP, 0),
            reoffended=ListField(used["reoffended"], n, bool, False),
            appeal_due=np.full(n, NOT_LISTED, STEP),
            # which list an appeal is against: needed only when more than one list can be appealed
            appeal_list=np.zeros(n if appealable_lists(crb).size > 1 else 0, np.int8),
            disclosed=disclosed,
            wealth=np.zeros(n, f32),
            trust_r=np.zeros(n, f32),
            trust_s=np.zeros(n, f32),
            grade=crb.grade_of(np.full(n, crb.base)),
            harm_level=np.zeros(n, f32) if harm is None else harm,  # harm: zeros in the first view (build_nation)
            sectors=np.zeros(n, self.tb.by_grade.sectors.dtype),  # the rulebook's own sector bits
            sectors_ever=np.zeros(n, self.tb.by_grade.sectors.dtype),
            score_mid=np.full(n, crb.base, f32),
            counters={k: np.zeros(n, dt) for k, dt in counters_for(crb).items()},
        )
        self.false_records = false_record_table(crb, self.tb, self.st.group)
        self.purchase_plans = purchase_plan(crb, self.tb)
        self.ties_active = int(kernels.count_active(self.st.indices))
        lo, hi = self.id_range
        # Entries pointing at other shards (active or not), their rows and their partners'
        # ids (which do not change when ties drop), in the order of those ids: the network
        # phase reads the partners' flags in the view in memory order.
        entries, rows = kernels.cross_ties(self.st.indptr, self.st.indices, lo, hi)
        far = _tie_ids(self.st.indices[entries])
        order = np.argsort(far, kind="stable")
        self.cross_entries, self.cross_rows, self.cross_far = entries[order], rows[order], far[order]
        vq = np.quantile(self.st.virtue, np.linspace(0.1, 0.9, 9)) if n else np.zeros(9)
        self.virtue_cuts = vq  # a citizen's decile is the number of cuts at or below its virtue

    # --- the executor-facing interface -------------------------------------------------
    @property
    def id_range(self) -> tuple[int, int]:
        return self.st.offset, self.st.offset + self.st.n

    def remote_ids(self) -> np.ndarray:
        """Global ids outside this shard that its citizens are tied to (what it must be sent)."""
        return np.unique(self.cross_far)

    def publish(self, view: View) -> None:
        """Write this shard's citizens into the (global) view arrays."""
        st, crb = self.st, self.crb
        lo, hi = self.id_range
        if view.score.size:
            view.score[lo:hi] = st.score
        if crb.n_lists and crb.list_black.any():
            on = (st.until != NOT_LISTED) & crb.list_black[:, None]
            view.black[lo:hi] = on.any(axis=0)
            view.published[lo:hi] = (on & crb.list_published[:, None]).any(axis=0)
        else:
            view.black[lo:hi] = 0
            view.published[lo:hi] = 0
        chunks = np.zeros(kernels.n_chunks(st.n), np.float64)
        kernels.publish_harm(st.harm_level, np.float32(self.p.cheat_scale), lo, view.black, view.harm, view.cheat,
                             chunks)
        self.harm_published = ordered_sum(chunks)

    # --- one step ---------------------------------------------------------------------
    def neighbourhood(self, view: View) -> Neighbourhood:
        st, crb = self.st, self.crb
        # The shard's total published harm comes with the view (summed in chunks as it was
        # written), so no pass over the shard is needed for the mean.
        mean_harm = self.harm_published / st.n if st.n else 0.0
        nb = Neighbourhood(st.indptr, st.indices, view, mean_harm)
        need_black = crb.association_penalty > 0 and self.p.levers.code and view.any_black()
        need_peer = crb.peer_weight > 0 and self.p.levers.code
        if need_black or need_peer:
            n = st.n
            nb.degree = np.empty(n, np.int32)
            nb.n_black = np.empty(n, np.int32)
            nb.mean_score = np.empty(n, np.float32)
            kernels.neighbour_stats(st.indptr, st.indices, st.offset, view.score, view.black,
                                    nb.degree, nb.n_black, nb.mean_score)
        return nb

    def step(self, t: int, view: View, nxt: View, steps: int) -> dict[str, float]:
        """Run the phases for step t. Reads last step's `view`; writes this shard's part of `nxt`.

        Order: behave, observe, score, list, appeal, sanction (and blocked purchases),
        network, trust, collect.
        Appeals are decided before the day's sanctions, so a won appeal lifts the
        restrictions the same day (DESIGN.md lists appeal after sanction; see docs/model.md).
        """
        st, crb, p = self.st, self.crb, self.p
        if t == p.measure_from and t > 0:
            start_measuring(st)  # a warm start: what happened before this day is not counted
        tb = tables_on_day(self.tb, crb, t)  # sources still being connected see less (DataSource.ramp)
        rng = PhaseStreams(self.seed, self.m, t, self._streams)
        # Recent harm lives in the view: yesterday's is this shard's part of `view`, and
        # today's is written straight into `nxt` (the score phase decays one into the other),
        # so the state keeps no copy of its own.
        lo, hi = self.id_range
        harm_prev = view.harm[lo:hi]
        st.harm_level = nxt.harm[lo:hi]
        nb = self.neighbourhood(view)
        # C4 cells from the buffer citizens have when they decide (sampled days only).
        c4_cuts = c4_cells(self) if t % p.c4_every == 0 else None
        new_disc = disclose(st, p, tb, rng["disclose"]) if p.levers.code else np.empty(0, np.int64)
        acts = behave(st, crb, p, tb, nb, rng["behave"])  # 1 behave
        if c4_cuts is not None:
            sample_c4(self, acts, c4_cuts)  # before the score phase moves the buffers
        rec = observe(st, crb, tb, acts, self.false_records, rng["observe"])  # 2 observe
        flows = score(st, crb, p, tb, nb, rec, new_disc, p.harm_memory, harm_prev)  # 3 score
        self.ground_truth(acts)
        lev = listing(st, crb, p, tb, rec, t, rng["listing"])  # 4 list
        aev = appeal(st, crb, p, t, rng["appeal"], lev)  # 5 appeal
        count_listed_days(st, crb, lev)  # the day's listings settled: days listed
        flows.update(sanction(st, crb, tb, nxt))  # 6 sanction (and publish)
        self.grade_counts = flows.pop("grade_counts")  # citizens per grade today
        self.harm_published = flows.pop("harm_sum")  # what tomorrow's neighbourhood reads
        if self.purchase_plans:  # the restricted try to buy what they are barred from
            flows.update(purchases(st, crb, self.purchase_plans, lev, t, rng["purchase"]))
        dropped = self.network_phase(t, view)  # 7 network
        self.ties_active -= dropped
        flows.update(self.trust_phase(t, view, rng["trust"]))  # 8 trust
        if t == p.measure_from + (steps - p.measure_from) // 2:  # the middle of the measured days
            st.score_mid[:] = st.score
        if self.ledger is not None:
            self.ledger.add_step(self, t, acts, rec, lev, aev)
        return collect(self, t, acts, rec, lev, aev, flows, dropped)  # 9 collect

    def network_phase(self, t: int, view: View) -> int:
        st, crb, p = self.st, self.crb, self.p
        p_listed = crb.tie_drop_rate if p.levers.code else 0.0
        p_pub = p.ostracism if (p.levers.norms and p.levers.code) else 0.0
        if p_listed <= 0 and p_pub <= 0:
            return 0
        if not view.any_black():
            return 0  # nobody is listed (the published are blacklisted too)
        lo, hi = self.id_range
        flagged = view.black[lo:hi] | view.published[lo:hi] if p_pub > 0 else view.black[lo:hi]
        listed_rows = kernels.nonzero_u8(np.ascontiguousarray(flagged))  # np.flatnonzero, faster
        # Entries pointing at other shards are looked at where their far end is flagged (a
        # listed near end's row is visited whole): the kernel reads each far end's bit in
        # the view's flag bits, in id order. A search of the nation's listed ids in them
        # grew with the list (late in a year of pilots-43 a sixth of a step); a gather of
        # every far end's byte flags cost 6-7 ms a day at 1e6 in one process.
        return int(kernels.drop_ties_sparse(st.indptr, st.indices, st.offset, listed_rows,
                                            self.cross_rows, self.cross_entries, self.cross_far, view.black,
                                            view.published, view.flag_bits(), np.uint64(self.seed), t,
                                            p_listed, p_pub))

    def trust_phase(self, t: int, view: View, rng: np.random.Generator) -> dict[str, float]:
        st, p = self.st, self.p
        refuse = bool(p.refuse_listed and p.levers.code)
        strangers = rng.integers(1, max(st.n, 2), size=p.exchanges_with_strangers) if st.n > 1 else np.empty(0, np.int64)
        partial = np.zeros((kernels.n_chunks(st.n), 2), np.float64)
        kernels.trust_exchanges(st.indptr, st.indices, st.offset, st.n, view.cheat,
                                refuse, p.exchanges_with_ties, strangers.astype(np.int64),
                                np.uint64(self.seed) + np.uint64(1000003 * (self.m + 1)), t,
                                np.float32(p.trust_forgetting), st.trust_r, st.trust_s,
                                st.counters["cheated"], partial)
        tot = partial.sum(axis=0)
        return {"trust_sum": float(tot[0]), "cheated": int(tot[1])}

    def ground_truth(self, acts) -> None:
        """Counters of what really happened, which the system never sees (sparse updates)."""
        st, c = self.st, self.st.counters
        kernels.apply_acts(acts.citizen, acts.behaviour, acts.excused, self.tb.social_value32, self.crb.seen,
                           self.crb.points, c["acts_harm"], c["acts_good"], c["harm_done"], c["unobserved_harm"],
                           c["culpable_acts"], st.harm_level)  # harm_level decays in the score phase
