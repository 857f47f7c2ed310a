"""Evidence functions, one per rule whose predicted harm a simulation can measure.

Each function states, in the rule's own terms, what one run measured: wrongful listings
and how long they lasted for the presumption of innocence, sectors lost per listed person
for ne bis in idem, points lost to ties for association, and so on. Each returns one
string that begins with what was simulated (see `Measured.say`). Rules about the text of
a rulebook (publication dates, purposes, amendments) have no function: a run cannot
measure them.
"""

from __future__ import annotations

import numpy as np

from ..rulebook.schema import SECTORS
from .ai_act import SOCIAL_DOMAINS, annex_iii_use
from .context import AuditContext
from .evidence import evidence
from .measured import (
    Measured,
    Unseen,
    days,
    mask_of,
    measured,
    median,
    num,
    pct,
    plural,
    popcount,
    ratio,
    unseen,
)


def _at(f, rb, kind: str):
    """The rulebook item (behaviour, list, sanction, privilege) a finding points at, if any."""
    p = f.path
    if len(p) >= 2 and p[0] == kind and isinstance(p[1], int):
        items = getattr(rb, kind)
        if 0 <= p[1] < len(items):
            return items[p[1]]
    return None


def _est(m: Measured, n: float) -> str:
    """A ledger count for the whole population: exact with a full ledger, else 'about'."""
    if m.fraction >= 1.0:
        return num(n)
    return f"about {num(m.scale(n))}"


# -- shared sentences -----------------------------------------------------------------------
def nobody_listed(m: Measured) -> str:
    return unseen("nobody was blacklisted, so no listing could be measured")


def wrongful_sentences(m: Measured, list_id: str | None = None) -> list[str]:
    """Wrongful listings, how long they lasted, and how appeals fared."""
    if list_id is None:
        if not m.listings:
            return [nobody_listed(m)]
        first = (f"{pct(ratio(m.wrongful, m.listings))} of {plural(m.listings, 'listing')} were wrongful "
                 f"(the citizen's true record would not have triggered them)")
        out = [first if m.wrongful else unseen(first)]
    else:
        s = m.spells_of(list_id)
        if s.empty:
            return [unseen(f"nobody entered blacklist '{list_id}'" + ("" if m.fraction >= 1 or not m.has_ledger
                                                                     else f" among the {pct(m.fraction)} of citizens in the event ledger"))]
        first = f"{pct(float(s.wrongful.mean()))} of {_est(m, len(s))} listings on '{list_id}' were wrongful"
        out = [first if s.wrongful.any() else unseen(first)]
    out += removal_sentences(m, list_id, wrongful_only=True)
    out += appeal_sentences(m)
    return out


def removal_sentences(m: Measured, list_id: str | None = None, wrongful_only: bool = False) -> list[str]:
    """How long listings lasted before removal (ledger), and how many were still open."""
    if not m.has_ledger:
        return []
    s = m.spells_of(list_id)
    if wrongful_only:
        s = s[s.wrongful]
    if s.empty:
        return []
    what = "wrongful listings" if wrongful_only else "listings"
    d = m.durations(s)
    still = int(s.end.isna().sum())
    if not d.size:
        return [f"none of the {what} was lifted within the {m.steps:,} days simulated"]
    tail = f" ({pct(still / len(s))} still in force at the end)" if still else ""
    return [f"median {days(median(d))} to removal for {what}{tail}"]


def appeal_sentences(m: Measured) -> list[str]:
    decided = m.total("appeals_decided")
    if not decided:
        return [unseen("no appeal was decided")] if m.rb.appeals.available else ["no appeal is possible"]
    out = f"appeals won {pct(ratio(m.total('appeals_won'), decided))} of the time ({plural(decided, 'decision')})"
    dw = m.total("appeals_decided_wrongful")
    if dw:
        out += f"; {pct(ratio(dw - m.total('appeals_won_wrongful'), dw))} of appeals against wrongful listings failed"
    return [out]


def sectors_sentences(m: Measured) -> list[str]:
    mean, five, n = m.sectors_of_listed()
    if not n:
        r = int(m.restricted.sum())
        if not r:
            return [unseen("nobody was restricted in any sector")]
        s = m.col("sectors_ever")[m.restricted]
        return [f"nobody was blacklisted, but {plural(r, 'citizen was', 'citizens were')} ({pct(r / m.population)}) "
                f"restricted through their grade, in {plural(float(s.mean()), 'sector')} on average"]
    return [f"each listed citizen was restricted in {num(mean)} sectors on average; {pct(five)} of the "
            f"{plural(n, 'listed citizen')} were restricted in 5 or more"]


def cost_sentences(m: Measured) -> list[str]:
    hit = m.col("sanction_days") > 0
    n = int(hit.sum())
    if not n:
        return []
    cost = m.total("sanction_cost")
    per = cost / n
    inc = m.daily_income
    in_days = f" ({num(per / inc)} days of median income)" if inc else ""
    return [f"sanctions cost the {plural(n, 'sanctioned citizen')} {num(per)} currency units each on average{in_days}, "
            f"over {days(float(m.col('sanction_days')[hit].mean()))} under sanction"]


def behaviour_sentences(m: Measured, b) -> list[str]:
    """How often a behaviour was recorded and what it cost (ledger)."""
    if not m.has_ledger:
        return []
    r = m.behaviour_records(b.id)
    if r.empty:
        return [unseen(f"'{b.id}' was never recorded among the {pct(m.fraction)} of citizens in the event ledger")]
    lost = r[r.points < 0]
    all_lost = -float(m.records.points[m.records.points < 0].sum())
    if lost.empty:
        gained = float(r.points[r.points > 0].sum())
        return [f"'{b.id}' was recorded {_est(m, len(r))} times" + (f" and granted {_est(m, gained)} points" if gained else "")]
    pts = -float(lost.points.sum())
    return [f"'{b.id}' was recorded {_est(m, len(r))} times and cost {_est(m, pts)} points "
            f"({pct(ratio(pts, all_lost))} of all points deducted for records) to "
            f"{_est(m, lost.citizen.nunique())} citizens"]


def truth_sentences(m: Measured, b) -> list[str]:
    if not m.has_ledger:
        return []
    r = m.behaviour_records(b.id)
    if r.empty:
        return []
    false = float((r.truth == "false").mean())
    exc = float((r.truth == "excusable").mean())
    return [f"{pct(false)} of its records were false (no such act) and {pct(exc)} excusable"]


def lawful_sentences(m: Measured) -> list[str]:
    # From the citizens table: its counters include the daily non-disclosure penalty
    # (withholding one's data is lawful), which the steps table's points columns leave out.
    lost = float(m.col("points_lost").sum())
    if not lost:
        return [unseen("no points were deducted")]
    lawful = float(m.col("points_lost_lawful").sum())
    out = f"{pct(ratio(lawful, lost))} of all points deducted"
    entries = m.total("entries_black")
    if entries:
        out += f" and {pct(ratio(m.total('entries_lawful'), entries))} of {plural(entries, 'blacklisting')}"
    out += " came from lawful conduct"
    if m.rb.disclosure.penalty > 0:
        out += " (the points include the penalty for keeping one's data private)"
    return [out if lawful or m.total("entries_lawful") else unseen(out)]


def ties_sentences(m: Measured) -> list[str]:
    d0, d1 = m.col("degree_initial").astype(np.float64), m.col("degree_final").astype(np.float64)
    listed = m.listed
    if not listed.any():
        return []
    kept = ratio(d1[listed].sum(), d0[listed].sum())
    others = ratio(d1[~listed].sum(), d0[~listed].sum())
    return [f"listed citizens kept {pct(kept)} of their ties (the others {pct(others)})"]


# -- rule by rule ---------------------------------------------------------------------------
@evidence("SCS101")
def targeted_group(f, rb, result):
    m = measured(result, rb)
    b = _at(f, rb, "behaviours")
    if b is None or not b.applies_to:
        return []
    grp = m.c.group.astype(str).to_numpy()
    inside = np.isin(grp, list(b.applies_to))
    if not inside.any() or inside.all():
        return [m.say(unseen(f"no simulated citizen was {'outside' if inside.all() else 'in'} the targeted groups"))]
    lost = m.col("points_lost").astype(np.float64)
    parts = [f"citizens in {', '.join(b.applies_to)} lost {num(lost[inside].mean())} points each on average, "
             f"the others {num(lost[~inside].mean())}"]
    if m.listings:
        parts.append(f"{pct(float(m.listed[inside].mean()))} of them were blacklisted, against "
                     f"{pct(float(m.listed[~inside].mean()))} of the others")
    return [m.say(*parts, *behaviour_sentences(m, b))]


def _behaviour_cost(f, rb, result):
    m = measured(result, rb)
    b = _at(f, rb, "behaviours")
    if b is None:
        return []
    parts = behaviour_sentences(m, b)
    return [m.say(*parts)] if parts else []


for _code in ("SCS102", "SCS131", "SCS132", "SCS141", "SCS244"):
    evidence(_code)(_behaviour_cost)


def listing_length_sentences(m: Measured, list_id: str) -> list[str]:
    """How long listings on one list lasted, how they ended, and how many were still on."""
    if not m.has_ledger:
        if not m.listings:
            return [nobody_listed(m)]
        return [f"blacklisted citizens spent {num(ratio(m.col('days_blacklisted').sum(), m.listings))} days listed "
                "per listing (all lists)"]
    s = m.spells_of(list_id)
    if s.empty:
        return wrongful_sentences(m, list_id)[:1]
    parts = [f"{pct(float(s.end.isna().mean()))} of {_est(m, len(s))} listings on '{list_id}' were still in force at the end"]
    d = m.durations(s)
    if d.size:
        parts.append(f"those lifted had lasted a median {days(median(d))}")
        reasons = s[s.end.notna()].reason.value_counts()
        parts.append("lifted by " + ", ".join(f"{r} {pct(k / d.size)}" for r, k in reasons.items()))
    renewals = m.total("renewals")
    if renewals:
        parts.append(f"{plural(renewals, 'listing was', 'listings were')} renewed at expiry (all lists)")
    return parts


@evidence("SCS133")
@evidence("SCS236")
@evidence("SCS241")
def listing_length(f, rb, result):
    m = measured(result, rb)
    x = _at(f, rb, "lists")
    return [m.say(*listing_length_sentences(m, x.id))] if x is not None else []


@evidence("SCS143")
def lists_overlap(f, rb, result):
    m = measured(result, rb)
    both = int((m.c.blacklisted.to_numpy(bool) & m.c.redlisted.to_numpy(bool)).sum())
    text = f"{plural(both, 'citizen was', 'citizens were')} on a blacklist and a redlist at once at the end of the run"
    return [m.say(text if both else unseen(text))]


@evidence("SCS151")
@evidence("SCS261")
def association(f, rb, result):
    m = measured(result, rb)
    # Citizens with no offence over the whole run (the steps table's innocent column counts
    # anyone with no offence *yet*, so it is larger).
    assoc = m.col("points_lost_assoc").astype(np.float64)
    innocent = ~m.offenders & (assoc > 0)
    first = (f"citizens with no offence of their own lost {num(float(assoc[~m.offenders].sum()))} points to their ties "
             f"({plural(int(innocent.sum()), 'citizen')}; ties cost {pct(ratio(float(assoc.sum()), float(m.col('points_lost').sum())))} "
             f"of all points lost)")
    parts = [first if assoc.sum() > 0 else unseen(first)]
    parts += ties_sentences(m)
    return [m.say(*parts)]


@evidence("SCS152")
def cannot_recover(f, rb, result):
    m = measured(result, rb)
    x = _at(f, rb, "lists")
    if x is None:
        return []
    parts = listing_length_sentences(m, x.id)
    below = x.trigger.score_below
    if below is not None and m.listed.any():
        now = float((m.col("score")[m.listed] < below).mean())
        parts.append(f"{pct(now)} of the ever-blacklisted were still below {below:g} at the end")
    return [m.say(*parts)]


@evidence("SCS153")
def repair_unused(f, rb, result):
    m = measured(result, rb)
    if not m.listings:
        return [m.say(nobody_listed(m))]
    return [m.say(f"{plural(m.total('exits_repaired'), 'listing was', 'listings were')} left by repair, out of "
                  f"{plural(m.listings, 'listing')}")]


@evidence("SCS154")
def excusable_without_appeal(f, rb, result):
    m = measured(result, rb)
    b = _at(f, rb, "behaviours")
    if b is None:
        return []
    parts = []
    if m.has_ledger:
        r = m.behaviour_records(b.id)
        exc = r[r.truth == "excusable"]
        if r.empty:
            parts = behaviour_sentences(m, b)
        else:
            first = (f"{pct(len(exc) / len(r))} of the records of '{b.id}' were excusable and cost "
                     f"{_est(m, -float(exc.points.sum()))} points that no appeal could take back")
            parts = [first if len(exc) else unseen(first)]
    else:
        first = f"{num(m.total('excused_records'))} excusable records were filed (all behaviours)"
        parts = [first if m.total("excused_records") else unseen(first)]
    return [m.say(*parts)]


def _measure(f, rb):
    kind = f.path[0] if f.path else ""
    return (kind, _at(f, rb, kind)) if kind in ("sanctions", "privileges") else (kind, None)


@evidence("SCS171")
def unreachable(f, rb, result):
    m = measured(result, rb)
    _, x = _measure(f, rb)
    if x is None:
        return []
    tgt = x.applies_to
    if tgt.list is not None:
        lst = next((y for y in rb.lists if y.id == tgt.list), None)
        if lst is None:
            return []
        if lst.kind == "blacklist" and m.has_ledger:
            n = len(m.spells_of(lst.id))
            return [m.say(f"{_est(m, n)} citizens entered '{lst.id}'" if n else f"nobody entered '{lst.id}'",
                          observed=not n)]
        what = "blacklist" if lst.kind == "blacklist" else "redlist"
        n = m.total("entries_black" if lst.kind == "blacklist" else "entries_red")
        return [m.say(f"{plural(n, what + ' entry', what + ' entries')} over all {what}s", observed=not n)]
    g = m.result.grades
    reached = int(g[g.grade.isin(tgt.grades or [])].citizens.max()) if len(g) and tgt.grades else 0
    return [m.say(f"at most {plural(reached, 'citizen')} held grade {', '.join(tgt.grades or [])} on any day",
                  observed=not reached)]


@evidence("SCS172")
def unobservable(f, rb, result):
    m = measured(result, rb)
    b = _at(f, rb, "behaviours")
    first = f"{pct(ratio(m.total('unobserved_harm'), m.total('harm')))} of the harm done was invisible to every data source"
    parts = [first if m.total("unobserved_harm") else unseen(first)]
    if b is not None and m.has_ledger:
        acts = m.events("act")
        n = int((acts.behaviour == b.id).sum())
        parts.append(f"'{b.id}' was done {_est(m, n)} times and recorded {_est(m, len(m.behaviour_records(b.id)))} times")
    return [m.say(*parts)]


@evidence("SCS201")
def lawful_penalised(f, rb, result):
    m = measured(result, rb)
    b = _at(f, rb, "behaviours")
    parts = lawful_sentences(m)
    if b is not None:
        parts += behaviour_sentences(m, b)
    return [m.say(*parts)]


@evidence("SCS202")
@evidence("SCS301")
@evidence("SCS304")
def sanction_reach(f, rb, result):
    m = measured(result, rb)
    kind, x = _measure(f, rb)
    if x is None:
        return []
    if kind == "privileges":  # the engine tracks privileges in total, not by sector
        n = int((m.col("privilege_days") > 0).sum())
        return [m.say(f"{plural(n, 'citizen')} ({pct(n / m.population)}) enjoyed a privilege at some point (all privileges)",
                      observed=bool(n))]
    n = m.restricted_in([x.sector])
    parts = [f"{plural(n, 'citizen was', 'citizens were')} barred from {x.sector} at some point "
             f"({pct(n / m.population)} of the population)" if n else unseen(f"nobody was barred from {x.sector}")]
    if f.code == "SCS304" and annex_iii_use(x):
        parts[0] = type(parts[0])(parts[0] + f": a decision on {annex_iii_use(x)}")
    if f.code == "SCS301":
        parts += sectors_sentences(m)
    parts += cost_sentences(m)
    return [m.say(*parts)]


@evidence("SCS203")
def list_reach(f, rb, result):
    m = measured(result, rb)
    x = _at(f, rb, "lists")
    if x is None:
        return []
    if not m.has_ledger:
        return [m.say(f"{plural(m.listings, 'blacklisting')} over all lists", observed=bool(m.listings))]
    s = m.spells_of(x.id)
    return [m.say(f"{_est(m, len(s))} citizens were put on '{x.id}'" if len(s) else unseen(f"nobody was put on '{x.id}'"),
                  *(sectors_sentences(m) if len(s) else []))]


@evidence("SCS211")
def one_act_many_sectors(f, rb, result):
    m = measured(result, rb)
    parts = sectors_sentences(m)
    b = _at(f, rb, "behaviours")
    if b is not None and m.has_ledger:
        ctx = AuditContext(rb)
        unrelated = [s for s in SECTORS if not ctx.related(b.domain, s)]
        dom = b.domain.replace("_", " ")
        who = np.unique(m.behaviour_records(b.id).citizen.to_numpy(np.int64))
        c = m.c.set_index("citizen")
        who = who[np.isin(who, c.index.to_numpy())]
        if who.size:
            masks = c.loc[who, "sectors_ever_mask"].to_numpy(np.int64)
            k = popcount(masks & mask_of(unrelated))
            hit = k > 0
            if hit.any():
                parts.append(f"of the citizens with a record of '{b.id}', {pct(float(hit.mean()))} were restricted in sectors "
                             f"unrelated to {dom}, {plural(float(k[hit].mean()), 'such sector')} each on average")
            else:
                parts.append(f"no citizen with a record of '{b.id}' was restricted in a sector unrelated to {dom}")
    return [m.say(*parts)]


@evidence("SCS212")
def counted_twice(f, rb, result):
    m = measured(result, rb)
    b = _at(f, rb, "behaviours")
    parts = []
    if m.has_ledger and len(m.blacklists) > 1:
        e = m.events("listed")
        e = e[e.list.isin(m.blacklists)]
        multi = int((e.groupby(["step", "citizen"]).list.nunique() > 1).sum())
        text = f"{_est(m, multi)} times a citizen entered two or more blacklists on the same day"
        parts.append(text if multi else unseen(text))
    if b is not None:
        parts += behaviour_sentences(m, b)
    if not parts:
        return []
    seen = [p for p in parts if p and not isinstance(p, Unseen)]
    return [m.say(*parts, observed=bool(seen))]


@evidence("SCS221")
@evidence("SCS222")
@evidence("SCS223")
def presumption(f, rb, result):
    m = measured(result, rb)
    b = _at(f, rb, "behaviours")
    parts = []
    if b is not None:
        parts += behaviour_sentences(m, b) + truth_sentences(m, b)
    parts += wrongful_sentences(m)
    return [m.say(*parts)]


@evidence("SCS224")
@evidence("SCS235")
def list_presumption(f, rb, result):
    m = measured(result, rb)
    x = _at(f, rb, "lists")
    parts = wrongful_sentences(m, x.id if x is not None and m.has_ledger else None)
    if f.code == "SCS235" and x is not None and m.has_ledger:
        ap = m.events("appeal")
        parts.append(f"{plural(int((ap.list == x.id).sum()), 'appeal')} against '{x.id}' in the ledger sample")
    return [m.say(*parts)]


@evidence("SCS231")
@evidence("SCS232")
@evidence("SCS233")
@evidence("SCS234")
def due_process(f, rb, result):
    m = measured(result, rb)
    if not m.listings:
        return [m.say(nobody_listed(m))]
    parts = [f"{pct(ratio(m.wrongful, m.listings))} of {plural(m.listings, 'listing')} were wrongful, "
             f"{num(m.col('days_wrongfully_listed').sum())} citizen-days spent wrongly listed"]  # the listed: observed
    parts += removal_sentences(m, wrongful_only=True)
    if f.code == "SCS232" and m.appeal_latency is not None:
        parts.append(f"appeals took a median {days(m.appeal_latency)} to decide")
    if f.code == "SCS233" and m.wrongful:
        parts.append(f"{pct(ratio(m.total('appeals_decided_wrongful'), m.total('entries_wrongful')))} of wrongful "
                     "listings were appealed and decided")
    parts += appeal_sentences(m)
    return [m.say(*parts)]


@evidence("SCS243")
def never_fade(f, rb, result):
    m = measured(result, rb)
    if not m.offenders.any():
        return [m.say(unseen("nobody lost points for a record"))]
    gap = m.col("score")[m.offenders].astype(np.float64) - rb.scale.base
    return [m.say(f"the {plural(int(m.offenders.sum()), 'citizen')} with an offence ended {num(float(-gap.mean()))} "
                  f"points below the base score on average")]


@evidence("SCS245")
def minor_and_serious(f, rb, result):
    m = measured(result, rb)
    if not m.listings:
        return [m.say(nobody_listed(m))]
    per = ratio(m.col("days_blacklisted").sum(), m.col("culpable_acts").sum())
    return [m.say(f"{num(per)} days blacklisted per culpable harmful act", *sectors_sentences(m), *cost_sentences(m))]


@evidence("SCS246")
def published(f, rb, result):
    m = measured(result, rb)
    if not m.listings:
        return [m.say(nobody_listed(m))]
    return [m.say(*ties_sentences(m), f"{num(m.total('ties_dropped'))} ties dropped in all")]


@evidence("SCS251")
@evidence("SCS252")
def disclosure(f, rb, result):
    m = measured(result, rb)
    steps = m.result.steps
    if not len(steps):
        return []
    first = steps[steps.step == steps.step.min()]
    last = steps[steps.step == steps.step.max()]
    start = ratio(first.disclosed.sum(), first.population.sum())
    end = ratio(last.disclosed.sum(), last.population.sum())
    priv = m.col("privacy").astype(np.float64)
    d = m.col("disclosed").astype(bool)
    hi = priv >= 0.5
    parts = [f"{pct(end)} of citizens had disclosed their data by the end (from {pct(start)} on day 1)"]
    if hi.any() and (~hi).any():
        parts.append(f"{pct(float(d[hi].mean()))} of those who value their privacy (privacy >= 0.5) disclosed, "
                     f"against {pct(float(d[~hi].mean()))} of the rest")
    return [m.say(*parts)]


@evidence("SCS253")
def private_life(f, rb, result):
    m = measured(result, rb)
    b = _at(f, rb, "behaviours")
    if b is None:
        return []
    parts = behaviour_sentences(m, b)
    if m.has_ledger and len(m.records):
        dom = {x.id: x.domain for x in rb.behaviours}
        r = m.records[m.records.points < 0]
        private = r.behaviour.map(dom).isin(SOCIAL_DOMAINS - {"civic", "other"})
        if private.any():
                parts.append(f"{pct(ratio(-float(r.points[private].sum()), -float(r.points.sum())))} of the points deducted "
                         "for records were for private life")
    return [m.say(*parts)] if parts else []


@evidence("SCS262")
def peer_influence(f, rb, result):
    m = measured(result, rb)
    net = m.result.network
    if net is None or not len(net):
        return []
    a = float(net.score_assortativity.iloc[0])
    closure = float(net.top_decile_closure.iloc[0])
    parts = []
    if np.isfinite(a):
        text = f"scores of tied citizens correlated at {a:.2f} by the end"
        parts.append(text if a > 0 else unseen(text))
    if np.isfinite(closure):
        parts.append(f"{pct(closure)} of the ties of the top score decile stayed inside it")
    return [m.say(*parts)] if parts else []


@evidence("SCS302")
def disproportionate(f, rb, result):
    m = measured(result, rb)
    parts = lawful_sentences(m)
    lost = m.total("points_lost")
    if lost and m.total("sanction_cost"):
        parts.append(f"sanctions cost {num(m.total('sanction_cost') / lost)} currency units per point lost")
    if m.listings:
        per = ratio(m.col("days_blacklisted").sum(), m.col("culpable_acts").sum())
        parts.append(f"{num(per)} days blacklisted per culpable harmful act" if per is not None
                     else f"{num(m.col('days_blacklisted').sum())} days blacklisted with no culpable harmful act at all")
    return [m.say(*parts, *cost_sentences(m), observed=bool((m.col("sanction_days") > 0).any()))]


@evidence("SCS303")
def general_score(f, rb, result):
    m = measured(result, rb)
    if not m.has_ledger or m.records.empty:
        return []
    dom = {x.id: x.domain for x in rb.behaviours}
    r = m.records[m.records.points != 0]
    per = r.assign(domain=r.behaviour.map(dom)).groupby("citizen").domain.nunique()
    if per.empty:
        return [m.say(unseen("no record moved a score"))]
    first = f"{pct(float((per >= 2).mean()))} of the scored citizens were scored on conduct from two or more areas of life"
    parts = [first if (per >= 2).any() else unseen(first)]
    listed_ids = set(m.c.citizen[m.listed].tolist())
    lp = per[per.index.isin(listed_ids)]
    if len(lp):
        parts.append(f"of the blacklisted, {pct(float((lp >= 2).mean()))}")
    return [m.say(*parts)]


def _fee_sentences(m: Measured, fee: float, what: str) -> list[str]:
    """Who among the blacklisted could not pay a fee (final wealth below it)."""
    if not m.listings:
        return [nobody_listed(m)]
    wealth = m.col("wealth").astype(np.float64)[m.listed]
    short = float((wealth < fee).mean())
    text = (f"{pct(short)} of the {plural(int(m.listed.sum()), 'blacklisted citizen')} ended the run with less "
            f"wealth than the {num(fee)} {what} costs")
    out = [text if short > 0 else unseen(text)]
    inc = m.daily_income
    if inc:
        out.append(f"the fee is {num(fee / inc)} days of the simulated median income")
    return out


@evidence("SCS237")
def costly_appeal(f, rb, result):
    m = measured(result, rb)
    parts = _fee_sentences(m, rb.appeals.cost, "an appeal")
    if m.wrongful:
        parts.append(f"{pct(ratio(m.total('appeals_decided_wrongful'), m.total('entries_wrongful')))} of wrongful "
                     "listings were appealed and decided")
    return [m.say(*parts)]


@evidence("SCS155")
def costly_repair(f, rb, result):
    m = measured(result, rb)
    parts = _fee_sentences(m, rb.decay.repair.cost, "repair")
    if m.listings:
        parts.append(f"{plural(m.total('exits_repaired'), 'listing was', 'listings were')} left by repair, out of "
                     f"{plural(m.listings, 'listing')}")
    return [m.say(*parts)]


@evidence("SCS238")
def slow_removal(f, rb, result):
    m = measured(result, rb)
    x = _at(f, rb, "lists")
    if x is None:
        return []
    if not x.exit.on_performance:  # removal only at expiry: how long listings lasted
        return [m.say(*listing_length_sentences(m, x.id))]
    n = m.total("exits_performed")
    d = x.exit.removal_delay_days
    text = (f"{plural(n, 'listing was', 'listings were')} lifted after the person performed (all lists), each "
            f"{days(float(d))} after performing: about {num(n * d)} citizen-days listed after performing")
    return [m.say(text if n else unseen(text))]


evidence("SCS247")(listing_length)
