"""What each offence brings down on the offender (claim C2), read from the event ledger.

An offence is a record with negative points. Its punishments are the distinct consequences
that begin within WINDOW days of it (the offence's own day included): the deduction itself,
a blacklisting (or a blacklisting extended at expiry), each sector newly restricted (not restricted the day before the offence),
and, when the rulebook penalises ties to the blacklisted and the offender has ties, the
points their ties lose. A consequence that follows two offences inside the window counts
for both. Offences whose window runs past the end of the run are left out (censored).

A sector is *unrelated* to an offence when the relatedness map (the audit's, domain ->
sectors) does not list it for the domain of the offending behaviour.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .stats import NAN

WINDOW = 30


def _sector_set(detail) -> frozenset[str]:
    if detail is None or (isinstance(detail, float) and np.isnan(detail)) or detail == "":
        return frozenset()
    return frozenset(s for s in str(detail).split(",") if s)


def offence_punishments(events: pd.DataFrame, steps: int, blacklists=None, ties_penalised: bool = False,
                        has_ties=None, window: int = WINDOW, related=None) -> pd.DataFrame:
    """One row per (uncensored) offence: step, citizen, behaviour, listed, new_sectors,
    unrelated_sectors, punishments.

    `blacklists`: ids of the lists that are blacklists (None: every list counts);
    `has_ties`: callable citizen id -> bool (needed only when ties_penalised);
    `related`: callable behaviour id -> set of related sectors (None: every sector unrelated).
    """
    ev = events
    off = ev[(ev["kind"] == "record") & (ev["points"] < 0)]
    off = off[off["step"] + window <= steps][["step", "citizen", "behaviour"]].reset_index(drop=True)
    if off.empty:
        return pd.DataFrame({"step": [], "citizen": [], "behaviour": [], "listed": [], "new_sectors": [],
                             "unrelated_sectors": [], "punishments": []})
    lst = ev[ev["kind"].isin(("listed", "renewed"))]  # a listing extended for a new offence counts too
    if blacklists is not None:
        lst = lst[lst["list"].isin(list(blacklists))]
    sec = ev[ev["kind"] == "sectors"]
    listed_steps = {c: np.sort(g["step"].to_numpy()) for c, g in lst.groupby("citizen")}
    sector_hist = {c: (g["step"].to_numpy(), [_sector_set(d) for d in g["detail"]])
                   for c, g in sec.sort_values(["citizen", "step"], kind="stable").groupby("citizen")}
    listed = np.zeros(len(off), bool)
    new_sec = np.zeros(len(off), np.int32)
    unrel = np.zeros(len(off), np.int32)
    beh = off["behaviour"].to_numpy()
    for i, (t, c) in enumerate(zip(off["step"].to_numpy(), off["citizen"].to_numpy(), strict=True)):
        ls = listed_steps.get(c)
        if ls is not None:
            k = np.searchsorted(ls, t, side="left")
            listed[i] = k < ls.size and ls[k] < t + window
        h = sector_hist.get(c)
        if h is not None:
            st, sets = h
            before = np.searchsorted(st, t, side="left")  # events strictly before the offence's day
            prior = sets[before - 1] if before > 0 else frozenset()
            end = np.searchsorted(st, t + window, side="left")
            new = set()
            for s in sets[before:end]:
                new |= s - prior
            new_sec[i] = len(new)
            unrel[i] = len(new - set(related(beh[i]))) if related is not None else len(new)
    tie_pun = np.zeros(len(off), np.int32)
    if ties_penalised and has_ties is not None:
        tie_pun = np.array([bool(has_ties(c)) for c in off["citizen"].to_numpy()], np.int32) * listed
    off["listed"] = listed
    off["new_sectors"] = new_sec
    off["unrelated_sectors"] = unrel
    off["punishments"] = 1 + listed.astype(np.int32) + new_sec + tie_pun
    return off


def summarise(per_offence: pd.DataFrame) -> dict[str, float]:
    if per_offence.empty:
        return {"offences_followed": 0.0, "sectors_per_offence": NAN, "sectors_per_sanctioning_offence": NAN,
                "unrelated_sectors_per_sanctioning_offence": NAN, "punishments_per_offence": NAN,
                "listing_per_offence": NAN}
    ns = per_offence["new_sectors"].to_numpy()
    un = per_offence["unrelated_sectors"].to_numpy()
    hit = ns > 0
    return {
        "offences_followed": float(len(per_offence)),
        "sectors_per_offence": float(ns.mean()),
        "sectors_per_sanctioning_offence": float(ns[hit].mean()) if hit.any() else NAN,
        "unrelated_sectors_per_sanctioning_offence": float(un[hit].mean()) if hit.any() else NAN,
        "punishments_per_offence": float(per_offence["punishments"].mean()),
        "listing_per_offence": float(per_offence["listed"].mean()),
    }
