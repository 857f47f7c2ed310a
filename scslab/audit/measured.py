"""Figures measured in one simulation run, for the audit's evidence.

`Measured(result, rulebook)` reads the run tables (docs/tables.md) once and answers the
questions evidence functions ask: how many listings were wrongful, how long they lasted,
how many sectors the listed lost, how many points lawful conduct or ties cost. Totals come
from the `steps` and `citizens` tables (every citizen); durations and per-behaviour or
per-list figures come from the event ledger, which may cover a sample of citizens (the
`fraction` in the manifest), so they are reported as shares, medians or scaled estimates.

Every figure is defined for runs where nothing happened: counts are 0 and ratios None
(never NaN), and the formatting helpers below turn None into words.
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np
import pandas as pd

from ..rulebook.schema import SECTORS, Rulebook

SPELL_COLUMNS = ["citizen", "list", "start", "end", "reason", "wrongful", "lawful"]


class Unseen(str):
    """A sentence saying the run did not show what a finding names ("nobody was
    blacklisted"): at the simulated size and length, not that it cannot happen."""


class Evidence(str):
    """One evidence string, knowing whether the run showed what its finding names."""

    observed: bool = True

    def __new__(cls, text: str, observed: bool = True) -> Evidence:
        obj = super().__new__(cls, text)
        obj.observed = bool(observed)
        return obj


def unseen(text: str) -> Unseen:
    return Unseen(text)


def ratio(num: float, den: float) -> float | None:
    """num / den, or None when the denominator is 0 (or either is not a finite number)."""
    if not den or not math.isfinite(float(den)) or not math.isfinite(float(num)):
        return None
    return float(num) / float(den)


def median(values) -> float | None:
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    return float(np.median(v)) if v.size else None


def mask_of(sectors) -> int:
    """The bit mask of sector names (bit k = schema.SECTORS[k], as in `sectors_ever_mask`)."""
    return sum(1 << SECTORS.index(s) for s in set(sectors) if s in SECTORS)


def popcount(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.uint32)
    return np.array([bin(int(v)).count("1") for v in x], dtype=np.int64) if x.size else np.zeros(0, np.int64)


class Measured:
    """What a run measured, computed lazily and at most once per figure."""

    def __init__(self, result, rulebook: Rulebook):
        self.result = result
        self.rb = rulebook
        m = result.manifest or {}
        c = result.citizens
        self.population = int(m.get("population") or len(c))
        self.steps = int(m.get("steps") or (int(result.steps.step.max()) + 1 if len(result.steps) else 0))
        self.seed = m.get("seed")
        led = m.get("ledger") or {}
        self.fraction = float(led.get("fraction", 0.0)) if result.events is not None else 0.0
        self.c = c
        self.blacklists = [x.id for x in rulebook.lists if x.kind == "blacklist"]

    # -- what was simulated ----------------------------------------------------------------
    @property
    def where(self) -> str:
        seed = f", seed {self.seed}" if self.seed is not None else ""
        return f"simulated {self.population:,} citizens for {self.steps:,} days{seed}"

    def say(self, *parts: str, observed: bool | None = None) -> Evidence:
        """One evidence string: what was simulated, then the measured sentences.

        It is observed (the run showed what the finding names) unless `observed` says
        otherwise or its first sentence is `Unseen` ("nobody was blacklisted").
        """
        shown = [p for p in parts if p]
        if observed is None:
            observed = bool(shown) and not isinstance(shown[0], Unseen)
        return Evidence(f"{self.where}: " + "; ".join(shown), observed)

    # -- totals over the run (every citizen) -----------------------------------------------
    @cached_property
    def totals(self) -> pd.Series:
        return self.result.steps.sum(numeric_only=True)

    def total(self, col: str) -> float:
        v = float(self.totals.get(col, 0.0))
        return v if math.isfinite(v) else 0.0

    def col(self, name: str) -> np.ndarray:
        return self.c[name].to_numpy()

    @cached_property
    def listings(self) -> int:
        """Blacklist entries over the run."""
        return int(self.c.listings.sum())

    @cached_property
    def wrongful(self) -> int:
        return int(self.c.wrongful_listings.sum())

    @cached_property
    def listed(self) -> np.ndarray:
        """Citizens blacklisted at least once (bool per citizen)."""
        return self.col("listings") > 0

    @cached_property
    def offenders(self) -> np.ndarray:
        """Citizens with at least one record that cost points."""
        return self.col("offences") > 0

    # -- sectors ---------------------------------------------------------------------------
    def sectors_of_listed(self) -> tuple[float | None, float | None, int]:
        """Mean distinct sectors restricted per listed citizen, share in 5 or more, listed count."""
        n = int(self.listed.sum())
        if not n:
            return None, None, 0
        s = self.col("sectors_ever")[self.listed].astype(np.float64)
        return float(s.mean()), float((s >= 5).mean()), n

    def restricted_in(self, sectors) -> int:
        """Citizens restricted at some point in any of these sectors."""
        m = mask_of(sectors)
        return int(((self.col("sectors_ever_mask").astype(np.int64) & m) != 0).sum()) if m else 0

    @cached_property
    def restricted(self) -> np.ndarray:
        return self.col("sectors_ever") > 0

    @cached_property
    def daily_income(self) -> float | None:
        """Median daily income (the `income` column is monthly)."""
        return median(self.col("income").astype(np.float64) / 30.0) if len(self.c) else None

    # -- the ledger ------------------------------------------------------------------------
    @property
    def has_ledger(self) -> bool:
        return self.result.events is not None and self.fraction > 0

    def events(self, *kinds: str) -> pd.DataFrame:
        ev = self.result.events
        if ev is None:
            return pd.DataFrame(columns=["step", "citizen", "kind", "behaviour", "points", "list", "truth",
                                         "wrongful", "detail"])
        return ev[ev.kind.isin(kinds)] if kinds else ev

    @cached_property
    def spells(self) -> pd.DataFrame:
        """Blacklist spells of the ledger's citizens: one row per listing, with its start,
        end (NaN while still listed at the end of the run), exit reason ('open' if none),
        and whether it was wrongful or caused by lawful conduct."""
        e = self.events("listed", "delisted")
        e = e[e.list.isin(self.blacklists)]
        rows, open_ = [], {}
        # The ledger is ordered by step, citizen, then insertion, and a step's exits come
        # before its entries, so pairing in order matches each exit to its own listing.
        for step, cit, kind, lst, wrongful, detail in zip(e.step, e.citizen, e.kind, e.list, e.wrongful, e.detail,
                                                          strict=True):
            key = (int(cit), lst)
            if kind == "listed":
                if key in open_:  # should not happen; keep the earlier spell as open-ended
                    rows.append(open_.pop(key))
                open_[key] = [key[0], lst, int(step), np.nan, "open", bool(wrongful), detail == "cause: lawful conduct"]
            else:
                s = open_.pop(key, None)
                if s is not None:
                    s[3], s[4] = int(step), str(detail)
                    rows.append(s)
        rows.extend(open_.values())
        return pd.DataFrame(rows, columns=SPELL_COLUMNS)

    def spells_of(self, list_id: str | None = None) -> pd.DataFrame:
        s = self.spells
        return s if list_id is None else s[s.list == list_id]

    @staticmethod
    def durations(spells: pd.DataFrame) -> np.ndarray:
        """Days from listing to removal, for spells that ended."""
        done = spells[spells.end.notna()]
        return (done.end - done.start).to_numpy(dtype=np.float64)

    @cached_property
    def records(self) -> pd.DataFrame:
        return self.events("record")

    def behaviour_records(self, bid: str) -> pd.DataFrame:
        r = self.records
        return r[r.behaviour == bid]

    def scale(self, n: float) -> float:
        """A ledger count scaled to the whole population."""
        return n / self.fraction if self.fraction else float("nan")

    @cached_property
    def appeal_latency(self) -> float | None:
        """Median days from lodging an appeal to its decision (ledger citizens)."""
        e = self.events("appeal", "appeal_decided")
        lodged: dict[int, int] = {}
        waits = []
        for step, cit, kind in zip(e.step, e.citizen, e.kind, strict=True):
            if kind == "appeal":
                lodged[int(cit)] = int(step)
            elif int(cit) in lodged:
                waits.append(int(step) - lodged.pop(int(cit)))
        return median(waits)


def measured(result, rulebook: Rulebook) -> Measured:
    """The figures of a run, cached on the result (RunResult.extra) so each is computed once."""
    extra = getattr(result, "extra", None)
    if isinstance(extra, dict):
        m = extra.get("audit_measured")
        if m is None or m.rb is not rulebook:
            m = extra["audit_measured"] = Measured(result, rulebook)
        return m
    return Measured(result, rulebook)


# -- formatting for people ----------------------------------------------------------------
def pct(x: float | None, none: str = "n/a") -> str:
    """A share as a percentage: 0.31 -> '31%', 0.004 -> '0.4%', tiny but nonzero -> '<0.1%'."""
    if x is None or not math.isfinite(x):
        return none
    p = 100.0 * x
    if not math.isfinite(p):
        return none
    if p == 0:
        return "0%"
    if p < 0.1:
        return "<0.1%"
    if p < 9.95:
        return f"{p:.1f}%"
    if p > 99.5 and x < 1:
        return ">99%"
    return f"{p:.0f}%"


def num(x: float | None, none: str = "n/a") -> str:
    """A count or amount: 1234.4 -> '1,234'; 3.14159 -> '3.1'; 0.042 -> '0.04'."""
    if x is None or not math.isfinite(x):
        return none
    a = abs(x)
    if a >= 100 or float(x).is_integer():
        return f"{x:,.0f}"
    if a >= 10:
        return f"{x:.1f}".rstrip("0").rstrip(".")
    if a >= 1:
        return f"{x:.1f}"
    return f"{x:.2g}"


def days(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{num(x)} day{'s' if num(x) != '1' else ''}"


def plural(n: float, word: str, words: str | None = None) -> str:
    return f"{num(n)} {word if num(n) == '1' else (words or word + 's')}"
