"""One citizen's history as an adverse-action notice (FCRA s.615(a), ECOA Reg. B s.1002.9).

The notice names the score and its range, the principal reasons (at most four, as
Regulation B advises; "did not reach a qualifying score" is never given as a reason), each
recorded act with its source and points, the listings and why, sanctions by sector, and
appeals with their outcome. Unlike a real notice it also says what the system could not
know: whether each record was true, false, or excusable in context.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

MAX_REASONS = 4


@dataclass
class Notice:
    citizen: int
    run: str
    rulebook: str
    score: float
    scale: tuple[float, float]
    grade: str
    blacklisted: bool
    wrongfully_listed: bool
    reasons: list[str]
    records: pd.DataFrame  # step, behaviour, source, points, truth
    listings: pd.DataFrame  # step, list, kind, wrongful, detail
    sectors: pd.DataFrame  # step, sectors
    appeals: pd.DataFrame  # step, kind, outcome
    facts: dict = field(default_factory=dict)
    has_ledger: bool = True

    def text(self) -> str:
        lines = [
            f"Adverse-action notice: citizen {self.citizen} (run {self.run}, rulebook {self.rulebook})",
            f"Score {self.score:.0f} on a scale of {self.scale[0]:g}..{self.scale[1]:g}; grade {self.grade}.",
        ]
        if self.blacklisted:
            lines.append("You are on a blacklist." + (" The ground truth says this listing is WRONGFUL." if self.wrongfully_listed else ""))
        if self.facts.get("wrongful_listings"):
            lines.append(f"Wrongful listings in your history: {self.facts['wrongful_listings']} of {self.facts['listings']}.")
        lines.append("Principal reasons:" if self.reasons else "Principal reasons: none (no adverse record).")
        lines += [f"  {i + 1}. {r}" for i, r in enumerate(self.reasons)]
        if not self.has_ledger:
            lines.append("(The run kept no event ledger for this citizen: run with --ledger to see each record.)")
        return "\n".join(lines)


def _reasons(records: pd.DataFrame, listings: pd.DataFrame) -> list[str]:
    out = []
    ent = listings[listings.kind == "listed"]
    for _, r in ent.iterrows():
        out.append(f"placed on list '{r['list']}' at day {int(r.step)}"
                   + (" (wrongful: the true record would not have triggered it)" if r.wrongful else ""))
    neg = records[records.points < 0]
    if len(neg):
        g = neg.groupby("behaviour").agg(points=("points", "sum"), n=("points", "size"),
                                          false=("truth", lambda s: int((s == "false").sum())),
                                          excusable=("truth", lambda s: int((s == "excusable").sum())))
        for b, r in g.sort_values("points").iterrows():
            extra = []
            if r.false:
                extra.append(f"{r.false} false")
            if r.excusable:
                extra.append(f"{r.excusable} excusable")
            note = f" ({', '.join(extra)})" if extra else ""
            out.append(f"{int(r.n)} record(s) of '{b}' cost {-r.points:g} points{note}")
    return out[:MAX_REASONS]


_FACTS = ("listings", "wrongful_listings", "records", "false_records", "excused_records", "offences", "appeals",
          "appeals_won", "sectors_ever")


def _need(run, name: str, df: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        from .store import RunFolderError

        raise RunFolderError(f"{run.path}: the {name} table has no column(s) {', '.join(missing)}; "
                             "it is not a table scslab wrote")


def explain(run_folder: str | Path, citizen: int) -> Notice:
    """Build the notice for one citizen of a run folder."""
    from .store import RunFolderError, open_run

    run = open_run(run_folder)
    # The two tables read whole are checked against COMPLETE's sha256 first: a notice is
    # never built from a damaged file.
    run.check(["citizens.parquet", "events.parquet"])
    cit = run.table("citizens")
    _need(run, "citizens", cit, ["citizen", "score", "grade", "blacklisted", "wrongfully_listed", *_FACTS])
    row = cit[cit.citizen == int(citizen)]
    if row.empty:
        raise KeyError(f"citizen {citizen} is not in run {run.run_id} (ids 0..{len(cit) - 1})")
    row = row.iloc[0]
    m = run.manifest
    # The manifest is read as scslab writes it; anything else (a folder edited by hand) falls
    # back to "?" rather than failing.
    rbs = m.get("rulebooks")
    rb = rbs[0] if isinstance(rbs, list) and rbs and isinstance(rbs[0], dict) else {"name": m.get("rulebook", "?")}
    has = "events" in run.tables()
    ev = run.table("events") if has else pd.DataFrame(columns=["step", "citizen", "kind"])
    if has:
        _need(run, "events", ev, ["step", "citizen", "kind", "behaviour", "source", "points", "truth", "list",
                                  "wrongful", "detail"])
    mine = ev[ev.citizen == int(citizen)] if has else ev
    ledger = m.get("ledger")
    fraction = ledger.get("fraction", 1.0) if isinstance(ledger, dict) else 1.0
    if has and mine.empty and isinstance(fraction, int | float) and fraction < 1.0:
        has = False  # not in the ledger's sample
    records = mine[mine.kind == "record"][["step", "behaviour", "source", "points", "truth"]] if has else pd.DataFrame()
    listings = mine[mine.kind.isin(["listed", "delisted"])][["step", "list", "kind", "wrongful", "detail"]] if has else pd.DataFrame()
    sectors = mine[mine.kind == "sectors"][["step", "detail"]].rename(columns={"detail": "sectors"}) if has else pd.DataFrame()
    appeals = mine[mine.kind.isin(["appeal", "appeal_decided"])][["step", "kind", "list", "detail", "wrongful"]] if has else pd.DataFrame()
    scale = m.get("scale")
    if not (isinstance(scale, list) and len(scale) == 2 and all(isinstance(x, int | float) for x in scale)):
        scale = (float("nan"), float("nan"))
    try:
        score = float(row.score)
    except (TypeError, ValueError):
        raise RunFolderError(f"{run.path}: the citizens table is not as scslab writes it (score)") from None
    return Notice(
        citizen=int(citizen), run=run.run_id, rulebook=str(rb.get("name", "?")),
        score=score, scale=tuple(scale), grade=str(row.grade),
        blacklisted=bool(row.blacklisted), wrongfully_listed=bool(row.wrongfully_listed),
        reasons=_reasons(records, listings) if has else [],
        records=records, listings=listings, sectors=sectors, appeals=appeals,
        facts={k: int(row[k]) for k in _FACTS},
        has_ledger=has,
    )
