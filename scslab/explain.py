"""One citizen's history as an adverse-action notice (FCRA s.615(a), ECOA Reg. B s.1002.9).

The notice names the score and its range, the principal reasons (at most four, as
Regulation B advises; "did not reach a qualifying score" is never given as a reason), each
recorded act with its source and points, the listings and why, sanctions by sector, and
appeals with their outcome. Unlike a real notice it also says what the system could not
know: whether each record was true, false, or excusable in context.

Each listing is attributed to its real ground, read from the rulebook the run used (kept in
the run's manifest): the list's entry rule (a score threshold, or records of named
behaviours), which condition the citizen met, which records it rests on (their behaviour,
the behaviour's legal status, the source that filed them, and whether each was true, false
or excusable), and, for a score threshold, what cost the points: lawful or unlawful
conduct, ties to blacklisted citizens (association), the penalty for withholding data. A
listing for a low score is never described as a listing for an offence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

MAX_REASONS = 4

# What the law says of each legal status, in the notice's words.
_LEGAL = {"criminal": "a criminal offence", "administrative": "an administrative offence",
          "contractual": "a breach of contract", "lawful": "lawful conduct"}
_TRUTH = {"false": "false: no act happened", "excusable": "excusable: the act happened in a context "
          "the source could not see"}


@dataclass
class Ground:
    """Why one listing happened, per the rulebook's entry rule."""

    step: int
    list: str
    kind: str  # blacklist or redlist
    rule: str  # the list's entry rule in words
    basis: str  # "records" (records of named behaviours), "score" (a score threshold) or "unknown"
    summary: str  # one line, for the listings table and the principal reasons
    text: str  # the full explanation
    wrongful: bool = False


@dataclass
class Notice:
    """One citizen's adverse-action notice; `text()` is what `scslab explain` prints."""

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
    listings: pd.DataFrame  # step, list, kind, wrongful, detail (for an entry: its ground)
    sectors: pd.DataFrame  # step, sectors, why (the sanctions that restrict each sector)
    appeals: pd.DataFrame  # step, kind, outcome
    facts: dict = field(default_factory=dict)
    has_ledger: bool = True
    grounds: list[Ground] = field(default_factory=list)
    points: dict[str, float] = field(default_factory=dict)  # lost in all, for lawful conduct, through ties

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
        if self.grounds:
            lines.append("Why each listing happened:")
            lines += [f"  - {g.text}" for g in self.grounds]
        if not self.has_ledger:
            lost = _points_line(self.points)
            if lost:
                lines.append(lost)
            lines.append("(The run kept no event ledger for this citizen: run with --ledger to see each record.)")
        return "\n".join(lines)


def _points_line(p: dict[str, float]) -> str:
    total = p.get("lost", 0.0)
    if not total or total < 0.5:
        return ""
    lawful, ties = p.get("lawful", 0.0), p.get("ties", 0.0)
    other = max(total - lawful - ties, 0.0)
    parts = [f"{other:.0f} for unlawful conduct", f"{lawful:.0f} for lawful conduct (including any penalty for "
             f"withholding data)", f"{ties:.0f} through your ties"]
    return f"Points lost over the run: {total:.0f}: " + ", ".join(parts) + "."


class _Book:
    """The parts of the rulebook(s) a citizen lived under that a notice needs, read from the
    manifest's rulebook documents (plain dicts: a folder edited by hand degrades to '?')."""

    def __init__(self, docs: list[dict]):
        self.lists: dict[str, dict] = {}
        self.sanctions: list[dict] = []
        self.behaviours: dict[str, dict] = {}
        self.sources: dict[str, dict] = {}
        self.network: dict = {}
        self.disclosure: dict = {}
        for i, d in enumerate(docs):
            for x in _items(d, "lists"):
                if i == 0 or x.get("scope") == "national":
                    self.lists.setdefault(str(x.get("id")), x)
            self.sanctions += [x for x in _items(d, "sanctions") if i == 0 or x.get("scope") == "national"]
            for key, into in (("behaviours", self.behaviours), ("data_sources", self.sources)):
                for x in _items(d, key):
                    into.setdefault(str(x.get("id")), x)
            if i == 0:
                self.network = d.get("network") if isinstance(d.get("network"), dict) else {}
                self.disclosure = d.get("disclosure") if isinstance(d.get("disclosure"), dict) else {}

    def legal(self, behaviour: str) -> str:
        b = self.behaviours.get(behaviour, {})
        return str(b.get("legal_status", "?"))

    def lawful(self, behaviour: str) -> bool:
        return self.legal(behaviour) == "lawful"

    def behaviour_words(self, behaviour: str) -> str:
        b = self.behaviours.get(behaviour, {})
        label = b.get("label")
        status = _LEGAL.get(self.legal(behaviour), "legal status unknown")
        return f"'{behaviour}' ({label}; {status})" if label else f"'{behaviour}' ({status})"

    def source_words(self, source: str) -> str:
        s = self.sources.get(source)
        if not s:
            return f"'{source}'"
        kind = s.get("kind", "?")
        if kind == "court" or s.get("adjudicated"):
            what = "a court judgment" if kind == "court" else f"a decided case ({kind})"
        elif kind in ("neighbourhood", "self_report"):
            what = f"a report ({kind.replace('_', ' ')})"
        else:
            what = f"a {kind} record"
        return f"'{source}' ({what})"

    def rule(self, lst: dict) -> tuple[str, list[str], int, int, float | None, float | None]:
        trig = lst.get("trigger") if isinstance(lst.get("trigger"), dict) else {}
        behaviours = [str(b) for b in trig.get("behaviours") or []]
        n, window = int(trig.get("min_records", 1) or 1), int(trig.get("window_days", 365) or 365)
        below, above = trig.get("score_below"), trig.get("score_at_least")
        parts = []
        if behaviours:
            names = " or ".join(f"'{b}'" for b in behaviours)
            parts.append(f"{n} record{'s' if n != 1 else ''} of {names} within {window} days")
        if isinstance(below, int | float):
            parts.append(f"a score below {below:g}")
        if isinstance(above, int | float):
            parts.append(f"a score of {above:g} or more")
        return (" or ".join(parts) or "not stated", behaviours, n, window,
                float(below) if isinstance(below, int | float) else None,
                float(above) if isinstance(above, int | float) else None)


def _items(d: Any, key: str) -> list[dict]:
    v = d.get(key) if isinstance(d, dict) else None
    return [x for x in v if isinstance(x, dict)] if isinstance(v, list) else []


def _book(manifest: dict, municipality: int) -> _Book:
    docs = manifest.get("rulebook_documents")
    docs = docs if isinstance(docs, dict) else {}
    rbs = manifest.get("rulebooks")
    name = None
    if isinstance(rbs, list) and rbs:
        entry = rbs[municipality] if 0 <= municipality < len(rbs) else rbs[0]
        name = entry.get("name") if isinstance(entry, dict) else None
    name = name or manifest.get("rulebook")
    out = [docs.get(name)] if isinstance(docs.get(name), dict) else [{}]
    nat = manifest.get("national")
    nat = nat.get("name") if isinstance(nat, dict) else nat
    if isinstance(nat, str) and isinstance(docs.get(nat), dict):
        out.append(docs[nat])
    return _Book(out)


def _count_words(n: int, what: str) -> str:
    return f"{n} record{'s' if n != 1 else ''} of {what}"


def _truth_note(rows: pd.DataFrame) -> str:
    notes = []
    for t in ("false", "excusable"):
        k = int((rows.truth == t).sum())
        if k:
            notes.append(("it is " if len(rows) == 1 else f"{k} of them ") + _TRUTH[t])
    if not notes:
        return "true" if len(rows) == 1 else "all true"
    return "; ".join(notes)


def _ground(book: _Book, ev: pd.Series, records: pd.DataFrame, since: int, points: dict[str, float]) -> Ground:
    """Why the listing `ev` happened. `since` is the day of the previous entry on the same
    list (trigger counts restart at each entry); `points` the citizen's run totals."""
    t, name = int(ev.step), str(ev["list"])
    lst = book.lists.get(name)
    wrongful = bool(ev.wrongful)
    if lst is None:
        summary = "a ground not known (the list is not in the rulebook the run's manifest holds)"
        return Ground(t, name, "?", "unknown", "unknown", summary, f"Day {t}: placed on list '{name}', which is not "
                      "in the rulebook the run's manifest holds: its entry rule is not known.", wrongful)
    kind = str(lst.get("kind", "blacklist"))
    rule, trig, n, window, below, above = book.rule(lst)
    scope = " (national)" if lst.get("scope") == "national" else ""
    head = f"Day {t}: placed on {kind} '{name}'{scope}, whose entry rule is {rule}."
    wrong = (" The ground truth says this listing is WRONGFUL: your true conduct (true, unexcused acts, without "
             "association effects) would not have triggered it." if wrongful else "")
    # Records of the trigger behaviours in the window (counts restart at each entry).
    hits = records[(records.step <= t) & (records.step > max(t - window, since)) & records.behaviour.isin(trig)] \
        if trig and len(records) else records.iloc[0:0]
    if trig and len(hits) >= n:
        parts = []
        for b, g in hits.groupby("behaviour", sort=False):
            srcs = ", ".join(book.source_words(str(s)) for s in dict.fromkeys(g.source.dropna()))
            days = ", ".join(str(int(d)) for d in g.step.head(5)) + (", ..." if len(g) > 5 else "")
            parts.append(f"{_count_words(len(g), book.behaviour_words(str(b)))} on day{'s' if len(g) > 1 else ''} "
                         f"{days}, filed by {srcs or 'an unnamed source'} ({_truth_note(g)})")
        lawful = all(book.lawful(str(b)) for b in hits.behaviour)
        why = "for lawful conduct" if lawful else "for an offence"
        text = f"{head} You were listed {why}, on {'; '.join(parts)}.{wrong}"
        kinds = " and ".join(f"'{b}'" for b in dict.fromkeys(hits.behaviour))
        status = " and ".join(dict.fromkeys(_LEGAL.get(book.legal(str(b)), "legal status unknown")
                                            for b in hits.behaviour))
        false = int((hits.truth == "false").sum())
        summary = (f"{'lawful conduct' if lawful else 'an offence'}: {_count_words(len(hits), kinds)} ({status}"
                   f"{f'; {false} false' if false else ''})")
        return Ground(t, name, kind, rule, "records", summary, text, wrongful)
    if kind == "redlist" and above is not None:
        text = f"{head} Your score reached {above:g}."
        return Ground(t, name, kind, rule, "score", f"a score of {above:g} or more", text, wrongful)
    if below is None:
        text = (f"{head} The records this notice holds do not show the {n} record(s) the rule needs "
                f"(the ledger may be incomplete).{wrong}")
        return Ground(t, name, kind, rule, "unknown", "its entry rule (the records are not in the ledger)", text, wrongful)
    # A score threshold: what cost the points, by the rulebook's legal status of each behaviour.
    before = records[(records.step <= t) & (records.points < 0)] if len(records) else records
    unlawful_pts = lawful_pts = 0.0
    parts = []
    if len(before):
        g = before.groupby("behaviour").agg(points=("points", "sum"), n=("points", "size"))
        for b, r in g.sort_values("points").iterrows():
            lost = -float(r.points)
            if book.lawful(str(b)):
                lawful_pts += lost
            else:
                unlawful_pts += lost
            sub = before[before.behaviour == b]
            note = _truth_note(sub)
            parts.append(f"{lost:g} for {_count_words(int(r.n), book.behaviour_words(str(b)))}"
                         + ("" if note in ("true", "all true") else f", {note}"))
    ties, penalty = points.get("ties", 0.0), points.get("penalty", 0.0)
    # Ties and the non-disclosure penalty are run totals: the ledger does not date them.
    later = []
    if ties >= 0.5:
        later.append(f"your ties cost {ties:.0f} points ({_tie_words(book)})")
    if penalty >= 0.5:
        later.append(f"not disclosing your data (lawful) cost {penalty:.0f} points")
    lawful_all = lawful_pts + penalty
    if unlawful_pts == 0 and lawful_all == 0 and ties >= 0.5:
        why, short = ("through association: the points were lost through your ties, not for any act of yours",
                      "through association (no offence)")
    elif unlawful_pts == 0 and lawful_all > 0 and ties < 0.5:
        why, short = "for lawful conduct only, not for any offence", "for lawful conduct only (no offence)"
    elif unlawful_pts == 0 and lawful_all > 0:
        why, short = ("for lawful conduct and through your ties, not for any offence",
                      "for lawful conduct and through ties (no offence)")
    elif unlawful_pts >= lawful_all + ties:
        why = short = "mostly for unlawful conduct"
    elif ties > lawful_all:
        why, short = "mostly through your ties, the rest for unlawful conduct", "mostly through association"
    else:
        why, short = "mostly for lawful conduct, the rest for unlawful conduct", "mostly for lawful conduct"
    text = (f"{head} You were listed for your score, not for any one act: it fell below {below:g}, {why}. "
            f"Points lost for recorded acts by day {t}: " + ("; ".join(parts) if parts else "none") + "."
            + (f" Over the whole run, {' and '.join(later)}." if later else "") + wrong)
    short = f"a score below {below:g}, points lost {short}"
    return Ground(t, name, kind, rule, "score", short, text, wrongful)


def _tie_words(book: _Book) -> str:
    pen = book.network.get("association_penalty") or 0
    peer = book.network.get("peer_weight") or 0
    words = []
    if isinstance(pen, int | float) and pen > 0:
        words.append(f"the association penalty: {pen:g} point{'' if pen == 1 else 's'} a day for each "
                     "blacklisted tie")
    if isinstance(peer, int | float) and peer > 0:
        words.append("the pull toward your ties' lower scores")
    return " and ".join(words) or "network effects"


def _on_lists(listings: pd.DataFrame, t: int) -> set[str]:
    """The lists a citizen is on at the end of day t, from their listing events."""
    on: set[str] = set()
    if len(listings):
        for _, ev in listings[listings.step <= t].iterrows():
            (on.add if ev.kind == "listed" else on.discard)(str(ev["list"]))
    return on


def _sector_why(book: _Book, sectors: str, t: int, listings: pd.DataFrame) -> str:
    """Which of the rulebook's sanctions restrict the citizen in each sector from day t: one
    on a list the citizen is on, else those on grades (the citizen's grade is not logged)."""
    if not sectors:
        return "no restriction from this day"
    on = _on_lists(listings, t)
    parts = []
    for sector in sectors.split(","):
        ms = [m for m in book.sanctions if m.get("sector") == sector]
        target = [(m, m.get("applies_to") if isinstance(m.get("applies_to"), dict) else {}) for m in ms]
        by_list = [(m, a) for m, a in target if a.get("list") in on]
        by_grade = [(m, a) for m, a in target if a.get("grades")]
        if by_list:
            words = "; ".join(f"sanction '{m.get('id')}' on list '{a['list']}'" for m, a in by_list)
        elif by_grade:
            words = "; ".join(f"sanction '{m.get('id')}' on grade{'s' if len(a['grades']) > 1 else ''} "
                              + ", ".join(f"'{g}'" for g in a["grades"]) for m, a in by_grade)
        else:
            words = "a sanction the rulebook in the manifest does not show"
        parts.append(f"{sector}: {words}")
    return " | ".join(parts)


def _grounds(book: _Book, records: pd.DataFrame, listings: pd.DataFrame, points: dict[str, float]) -> list[Ground]:
    out: list[Ground] = []
    last: dict[str, int] = {}
    ent = listings[listings.kind == "listed"] if len(listings) else listings
    for _, ev in ent.iterrows():
        name = str(ev["list"])
        out.append(_ground(book, ev, records, last.get(name, -1), points))
        last[name] = int(ev.step)
    return out


def _reasons(book: _Book, records: pd.DataFrame, grounds: list[Ground], points: dict[str, float]) -> list[str]:
    out = []
    for g in grounds:
        if g.kind == "redlist":
            continue
        out.append(f"placed on {g.kind if g.kind != '?' else 'list'} '{g.list}' on day {g.step} for {g.summary}"
                   + (" (wrongful: your true conduct would not have triggered it)" if g.wrongful else ""))
    neg = records[records.points < 0] if len(records) else records
    if len(neg):
        g = neg.groupby("behaviour").agg(points=("points", "sum"), n=("points", "size"),
                                          false=("truth", lambda s: int((s == "false").sum())),
                                          excusable=("truth", lambda s: int((s == "excusable").sum())))
        for b, r in g.sort_values("points").iterrows():
            extra = [_LEGAL.get(book.legal(str(b)), "legal status unknown")]
            if r.false:
                extra.append(f"{int(r.false)} false")
            if r.excusable:
                extra.append(f"{int(r.excusable)} excusable")
            out.append(f"{int(r.n)} record(s) of '{b}' cost {-r.points:g} points ({', '.join(extra)})")
    if points.get("ties", 0.0) >= 0.5:
        out.append(f"your ties cost {points['ties']:.0f} points ({_tie_words(book)})")
    if points.get("penalty", 0.0) >= 0.5:
        out.append(f"not disclosing your data (lawful) cost {points['penalty']:.0f} points")
    return out[:MAX_REASONS]


_FACTS = ("listings", "wrongful_listings", "records", "false_records", "excused_records", "offences", "appeals",
          "appeals_won", "sectors_ever")


def _need(run, name: str, df: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        from .store import RunFolderError

        raise RunFolderError(f"{run.path}: the {name} table has no column(s) {', '.join(missing)}; "
                             "it is not a table scslab wrote")


def _number(row: pd.Series, col: str) -> float:
    try:
        v = float(row[col]) if col in row.index else 0.0
    except (TypeError, ValueError):
        return 0.0
    return v if v == v else 0.0


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
    muni = int(_number(row, "municipality"))
    rb = rbs[muni] if isinstance(rbs, list) and 0 <= muni < len(rbs) and isinstance(rbs[muni], dict) else (
        rbs[0] if isinstance(rbs, list) and rbs and isinstance(rbs[0], dict) else {"name": m.get("rulebook", "?")})
    book = _book(m, muni)
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
    lost, ties = _number(row, "points_lost"), _number(row, "points_lost_assoc")
    points = {"lost": lost, "lawful": _number(row, "points_lost_lawful"), "ties": ties, "penalty": 0.0}
    if has:
        # What neither a record nor a tie cost is the daily penalty for withholding one's data.
        from_records = -float(records.points[records.points < 0].sum()) if len(records) else 0.0
        rest = lost - from_records - ties
        points["penalty"] = rest if rest >= max(0.5, 1e-4 * lost) else 0.0
    grounds = _grounds(book, records, listings, points) if has else []
    if has and len(sectors):
        sectors = sectors.copy()
        sectors["why"] = [_sector_why(book, str(r.sectors or ""), int(r.step), listings) for _, r in sectors.iterrows()]
    if has and len(listings):
        listings = listings.copy()
        detail = listings.detail.astype(object).to_numpy().copy()
        at = [i for i, k in enumerate(listings.kind.to_numpy()) if k == "listed"]
        for i, g in zip(at, grounds, strict=True):
            detail[i] = f"ground: {g.summary}"
        listings["detail"] = detail
    return Notice(
        citizen=int(citizen), run=run.run_id, rulebook=str(rb.get("name", "?")),
        score=score, scale=tuple(scale), grade=str(row.grade),
        blacklisted=bool(row.blacklisted), wrongfully_listed=bool(row.wrongfully_listed),
        reasons=_reasons(book, records, grounds, points) if has else [],
        records=records, listings=listings, sectors=sectors, appeals=appeals,
        facts={k: int(row[k]) for k in _FACTS},
        has_ledger=has, grounds=grounds, points=points,
    )
