"""What a shard knows at the start of a step: its compiled rulebook, the engine's
parameters, tables precomputed once, and the public view of last step's state."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..rulebook.compiled import CompiledRulebook
from ..rulebook.schema import LEGAL_STATUSES, SECTORS
from .params import EngineParams

# Sectors where private firms set the terms: measures there act only when the market lever
# is on (prices follow the score); the rest are state measures that code enforces alone.
MARKET_SECTORS = frozenset({"loans", "mortgages", "hotels", "insurance", "rentals", "travel", "online"})
LAW_SEVERITY = np.array([1.0, 0.5, 0.3, 0.0])  # criminal, administrative, contractual, lawful
CONTRACTUAL = LEGAL_STATUSES.index("contractual")
LAWFUL = LEGAL_STATUSES.index("lawful")
PERFORMATIVE_VALUE = 0.1  # rewarded acts at or below this social value are "performative"


@dataclass(frozen=True)
class MeasureFold:
    """Measures in force folded by what targets them (a grade, or a list)."""

    cost: np.ndarray  # float32 per target
    gain: np.ndarray
    sectors: np.ndarray  # bitmask of sectors restricted, in the shard's own bits (local_sectors)
    privileged: np.ndarray  # bool: some privilege applies


def _fold(crb: CompiledRulebook, sanction_on: np.ndarray, privilege_on: np.ndarray) -> tuple[MeasureFold, MeasureFold]:
    K, L = len(crb.grade_names), crb.n_lists
    out = []
    for size, by_grade in ((K, True), (L, False)):
        cost = np.zeros(size, np.float32)
        gain = np.zeros(size, np.float32)
        sectors = np.zeros(size, np.uint32)
        priv = np.zeros(size, bool)
        for table, on, sign in ((crb.sanctions, sanction_on, 1), (crb.privileges, privilege_on, -1)):
            for i in np.flatnonzero(on):
                if by_grade:
                    hit = table.target_grades[i]
                else:
                    hit = np.zeros(size, bool)
                    if table.target_list[i] >= 0:
                        hit[table.target_list[i]] = True
                if sign > 0:
                    cost[hit] += table.magnitude[i]
                    sectors[hit] |= np.uint32(1) << np.uint32(table.sector[i])
                else:
                    gain[hit] += table.magnitude[i]
                    priv[hit] = True
        out.append(MeasureFold(cost, gain, sectors, priv))
    return out[0], out[1]


@dataclass(frozen=True)
class Tables:
    """Per-shard constants derived once from (rulebook, params)."""

    logit0: np.ndarray  # (B,) logit of the base rate, with law/market lever offsets
    know: float
    h: float  # threshold bandwidth in points
    thresholds: np.ndarray  # sorted scores where something changes
    trig_any: np.ndarray  # (B,) bool behaviour triggers some blacklist directly
    pobs: np.ndarray  # (B, G, 2) probability an act is recorded (by disclosed flag)
    cov_eff: np.ndarray  # (S, G, 2) coverage with disclosure boost
    performative: np.ndarray  # (B,) bool
    lawful: np.ndarray  # (B,) bool
    disclose_incentive: float
    by_grade: MeasureFold
    by_list: MeasureFold
    cheat_scale: float
    points32: np.ndarray  # (B,) float32 points, as the score components add them
    social_value32: np.ndarray  # (B,) float32 social value, as the harm counters add it
    p_max: np.ndarray | None = None  # (B,) thinning bound of the behave phase (set by make_tables)
    # Local sector bit k stands for schema.SECTORS[sector_bits[k]]: only the sectors this
    # rulebook restricts get a bit, so the per-citizen masks are uint8 for most rulebooks.
    sector_bits: np.ndarray = dataclasses.field(default_factory=lambda: np.arange(len(SECTORS)))


def local_sectors(by_grade: MeasureFold, by_list: MeasureFold) -> tuple[MeasureFold, MeasureFold, np.ndarray]:
    """The folds with sector masks renumbered to the sectors in use, in the narrowest dtype."""
    used = int(np.bitwise_or.reduce(np.concatenate([by_grade.sectors, by_list.sectors]), initial=0))
    bits = np.array([k for k in range(len(SECTORS)) if used >> k & 1], np.int64)
    dtype = np.uint8 if bits.size <= 8 else np.uint16 if bits.size <= 16 else np.uint32
    folds = []
    for f in (by_grade, by_list):
        m = np.zeros(f.sectors.shape, dtype)
        for k, g in enumerate(bits):
            m |= (((f.sectors >> np.uint32(g)) & np.uint32(1)) << np.uint32(k)).astype(dtype)
        folds.append(dataclasses.replace(f, sectors=m))
    return folds[0], folds[1], bits


def global_sectors(mask: np.ndarray, bits: np.ndarray) -> np.ndarray:
    """Local sector masks back in schema.SECTORS bits (uint32)."""
    out = np.zeros(mask.shape, np.uint32)
    for k, g in enumerate(bits):
        out |= ((mask >> k) & 1).astype(np.uint32) << np.uint32(g)
    return out


def _coverage(crb: CompiledRulebook, share: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(S, G, 2) coverage without and with the disclosure boost, and the (B, G, 2) chance an
    act is recorded: 1 - prod over covering sources of (1 - coverage). `share` (S,) scales
    each source's coverage (a source still being connected, DataSource.ramp)."""
    G = len(crb.groups)
    cov = np.empty((crb.coverage.shape[0], G, 2))
    cov[:, :, 0] = crb.coverage
    cov[:, :, 1] = np.minimum(1.0, crb.coverage + crb.disclosure_boost)
    if share is not None:
        cov *= share[:, None, None]
    miss = np.ones((crb.n_behaviours, G, 2))
    for s in range(cov.shape[0]):
        miss *= np.where(crb.records[:, s][:, None, None], 1.0 - cov[s][None, :, :], 1.0)
    pobs = np.where(crb.observable[:, None, None], 1.0 - miss, 0.0)
    return cov, pobs


def tables_on_day(tb: Tables, crb: CompiledRulebook, t: int) -> Tables:
    """The tables of day t: while a source's coverage is still ramping up (DataSource.ramp),
    its coverage, and so the chance an act is recorded, is that share of the full one.
    Citizens reckon with the day's chance (the strategic term reads `pobs`) unless the
    ramp is not `perceived`; the behave phase's thinning bound, made from the full
    coverage, still bounds it."""
    share = crb.coverage_share(t)
    if share is None:
        return tb
    cov, pobs = _coverage(crb, share)
    if not crb.ramp_perceived.all():  # a ramp citizens do not see: they reckon with the full coverage
        pobs = _coverage(crb, np.where(crb.ramp_perceived, share, 1.0))[1]
    return dataclasses.replace(tb, cov_eff=cov, pobs=pobs)


def make_tables(crb: CompiledRulebook, p: EngineParams) -> Tables:
    lv = p.levers
    with np.errstate(divide="ignore"):
        rate = np.clip(crb.base_rate, 1e-12, 1 - 1e-9)
        logit0 = np.log(rate) - np.log1p(-rate)
    logit0 = np.where(crb.base_rate > 0, logit0, -np.inf)
    # base_rate is calibrated to a world with law and market acting: switching them off
    # removes their deterrence.
    if not lv.law:
        logit0 = logit0 + p.w_law * LAW_SEVERITY[crb.legal_status] * (crb.social_value < 0)
    if not lv.market:
        logit0 = logit0 + p.w_market * ((crb.legal_status == CONTRACTUAL) & (crb.social_value < 0))
    know = (1.0 if crb.rules_published else p.unpublished_knowledge) * (1.0 if crb.thresholds_published else 0.6)
    h = max(p.bandwidth * (crb.max - crb.min), 1e-9)
    cov, pobs = _coverage(crb)
    trig_any = (crb.list_trigger & crb.list_black[:, None]).any(axis=0) if crb.n_lists else np.zeros(crb.n_behaviours, bool)

    def in_force(t) -> np.ndarray:
        if not lv.code:
            return np.zeros(len(t), dtype=bool)
        market = np.array([SECTORS[k] in MARKET_SECTORS for k in t.sector], dtype=bool)
        return ~market | lv.market

    sanction_on, privilege_on = in_force(crb.sanctions), in_force(crb.privileges)
    by_grade, by_list, sector_bits = local_sectors(*_fold(crb, sanction_on, privilege_on))
    incentive = min(1.0, (crb.disclosure_reward + 30.0 * crb.disclosure_penalty) / h) if lv.code else 0.0
    tables = Tables(
        logit0=logit0,
        know=know,
        h=h,
        thresholds=crb.scoring_thresholds,
        trig_any=trig_any,
        pobs=pobs,
        cov_eff=cov,
        performative=(crb.points > 0) & (crb.social_value <= PERFORMATIVE_VALUE),
        lawful=crb.legal_status == LAWFUL,
        disclose_incentive=incentive,
        by_grade=by_grade,
        by_list=by_list,
        cheat_scale=p.cheat_scale,
        points32=crb.points.astype(np.float32),
        social_value32=crb.social_value.astype(np.float32),
        sector_bits=sector_bits,
    )
    from .behave import upper_logit

    up = np.array([upper_logit(crb, p, tables, b) for b in range(crb.n_behaviours)])
    p_max = np.where(np.isfinite(logit0), 1.0 / (1.0 + np.exp(-np.where(np.isfinite(up), up, 0.0))), 0.0)
    return dataclasses.replace(tables, p_max=p_max)  # the bound needs the tables it bounds


@dataclass
class View:
    """The public face of every citizen after a step: all that crosses shard borders."""

    score: np.ndarray  # float32; empty when no rulebook of the run reads others' scores (peer effects)
    black: np.ndarray  # uint8 on any blacklist
    published: np.ndarray  # uint8 on a blacklist whose names are published
    harm: np.ndarray  # float32 recent-harm level
    cheat: np.ndarray  # uint16: blacklisted flag (top bit) and cheat probability x 32767 (see kernels._cheat)
    _any_black: bool | None = None  # cached by any_black(); the run loop resets it when the view changes
    _black_ids: np.ndarray | None = None  # cached by black_ids()
    _flag_bits: np.ndarray | None = None  # cached by flag_bits()

    def any_black(self) -> bool:
        """Is anyone blacklisted? One pass per step for the whole nation, not one per shard."""
        if self._any_black is None:
            self._any_black = bool(self.black.any())
        return self._any_black

    def black_ids(self) -> np.ndarray:
        """Ids of the blacklisted (the published are among them), ascending; one pass per step."""
        if self._black_ids is None:
            if self.any_black():
                from .kernels import nonzero_u8  # np.flatnonzero, faster where few are set

                self._black_ids = nonzero_u8(np.ascontiguousarray(self.black))
            else:
                self._black_ids = np.zeros(0, np.int64)
        return self._black_ids

    def flag_bits(self) -> np.ndarray:
        """Blacklisted or published, one bit per citizen (uint64 words; bit i % 64 of word
        i // 64); one pass per step. The network phase reads the flags of every partner
        across a shard's border: an eighth of a megabyte at 1e6 stays in cache from shard
        to shard, the two byte arrays (2 MB) did not."""
        if self._flag_bits is None:
            from .kernels import flag_bits

            self._flag_bits = flag_bits(np.ascontiguousarray(self.black), np.ascontiguousarray(self.published))
        return self._flag_bits

    def changed(self) -> None:
        """Forget what was cached about the arrays (call after writing them)."""
        self._any_black = None
        self._black_ids = None
        self._flag_bits = None


@dataclass
class Neighbourhood:
    """What a citizen's ties looked like at the end of last step, computed only as needed.

    Full per-citizen passes over the ties cost O(ties); the conformity term is needed only
    for the few candidates of the behave phase, so it is computed for them alone.
    """

    indptr: np.ndarray
    indices: np.ndarray  # dropped tie ends as ~j (ShardState.indices)
    view: View
    mean_harm: float  # shard mean of the harm level, the reference for conformity
    degree: np.ndarray | None = None  # filled when peer effects need it
    n_black: np.ndarray | None = None  # filled when association penalties need it
    mean_score: np.ndarray | None = None

    def norm(self, idx: np.ndarray) -> np.ndarray:
        """Conformity pressure in [-1, 1] for citizens idx: tie harm relative to the shard mean."""
        from .kernels import rows_mean

        if self.mean_harm <= 0 or idx.size == 0:
            return np.zeros(idx.size, np.float64)
        out = np.empty(idx.size, np.float64)
        rows_mean(self.indptr, self.indices, idx.astype(np.int64), self.view.harm, out)
        return np.clip(out / self.mean_harm - 1.0, -1.0, 1.0)
