"""Cross-reference and consistency checks that a field-by-field schema cannot express."""

from __future__ import annotations

from collections import Counter

from .schema import PURCHASE_SECTORS, Rulebook
from .yaml_nodes import Path

Issue = tuple[Path, str]


def _duplicates(items, kind: str, field: str) -> list[Issue]:
    seen = Counter(x.id for x in items)
    out = []
    for i, x in enumerate(items):
        if seen[x.id] > 1:
            out.append(((field, i, "id"), f"duplicate {kind} id '{x.id}'"))
            seen[x.id] = -1  # report the later copies only once each
    return out


def check_rulebook(rb: Rulebook) -> list[Issue]:
    """Every inconsistency between parts of a structurally valid rulebook."""
    issues: list[Issue] = []
    s = rb.scale
    if not s.min < s.max:
        issues.append((("scale", "max"), f"scale max ({s.max:g}) must exceed min ({s.min:g})"))
    elif not s.min <= s.base <= s.max:
        issues.append((("scale", "base"), f"base {s.base:g} lies outside the scale [{s.min:g}, {s.max:g}]"))

    # Grades: ordered low to high, contiguous, covering the whole scale.
    names = Counter(g.name for g in rb.grades)
    for i, g in enumerate(rb.grades):
        if names[g.name] > 1:
            issues.append((("grades", i, "name"), f"duplicate grade name '{g.name}'"))
            names[g.name] = 0
        if not g.min < g.max:
            issues.append((("grades", i, "max"), f"grade '{g.name}' band is empty: max {g.max:g} <= min {g.min:g}"))
    if rb.grades:
        if rb.grades[0].min != s.min:
            issues.append((("grades", 0, "min"), f"lowest grade starts at {rb.grades[0].min:g}, not at scale min {s.min:g} (gap)"))
        if rb.grades[-1].max != s.max:
            issues.append(((("grades", len(rb.grades) - 1, "max")), f"highest grade ends at {rb.grades[-1].max:g}, not at scale max {s.max:g}"))
        for i in range(1, len(rb.grades)):
            lo, hi = rb.grades[i - 1], rb.grades[i]
            if hi.min < lo.max:
                issues.append((("grades", i, "min"), f"grade '{hi.name}' starts at {hi.min:g}, overlapping '{lo.name}' which ends at {lo.max:g} (list grades low to high)"))
            elif hi.min > lo.max:
                issues.append((("grades", i, "min"), f"gap between grade '{lo.name}' (ends {lo.max:g}) and '{hi.name}' (starts {hi.min:g})"))
    grade_names = {g.name for g in rb.grades}

    refs = {r.id for r in rb.metadata.references}
    ref_counts = Counter(r.id for r in rb.metadata.references)
    for i, r in enumerate(rb.metadata.references):
        if ref_counts[r.id] > 1:
            issues.append((("metadata", "references", i, "id"), f"duplicate reference id '{r.id}'"))
            ref_counts[r.id] = 0

    issues += _duplicates(rb.behaviours, "behaviour", "behaviours")
    issues += _duplicates(rb.data_sources, "data source", "data_sources")
    issues += _duplicates(rb.lists, "list", "lists")
    issues += _duplicates(rb.sanctions, "sanction", "sanctions")
    issues += _duplicates(rb.privileges, "privilege", "privileges")

    sources = {d.id for d in rb.data_sources}
    behaviours = {b.id for b in rb.behaviours}
    lists = {lst.id: lst for lst in rb.lists}

    # Acts that put someone on a list; with points != 0 they are what the system acts on.
    triggering = {bid for lst in rb.lists for bid in lst.trigger.behaviours}
    for i, b in enumerate(rb.behaviours):
        for j, src in enumerate(b.sources):
            if src not in sources:
                issues.append((("behaviours", i, "sources", j), f"behaviour '{b.id}' names data source '{src}', which is not defined{_hint(src, sources)}"))
        # An observable act this system does not act on may go unrecorded (listed only so the
        # simulated society matches other pilots); one that scores or lists needs a source.
        if b.observable and not b.sources and rb.data_sources and (b.points != 0 or b.id in triggering):
            issues.append((("behaviours", i, "sources"), f"behaviour '{b.id}' is observable and scored but names no data source"))
        if not b.observable and b.sources:
            issues.append((("behaviours", i, "observable"), f"behaviour '{b.id}' is unobservable yet names data sources"))
        if b.points_range is not None:
            lo, hi = b.points_range
            if lo > hi:
                issues.append((("behaviours", i, "points_range"), f"range [{lo:g}, {hi:g}] runs backwards"))
            elif not lo <= b.points <= hi:
                issues.append((("behaviours", i, "points"), f"points {b.points:g} lie outside points_range [{lo:g}, {hi:g}]"))
        if b.effective and rb.metadata.effective and b.effective < rb.metadata.effective:
            pass  # retroactivity is the audit's finding, not a schema error

    for i, d in enumerate(rb.data_sources):
        if not d.coverage:
            issues.append((("data_sources", i, "coverage"), f"data source '{d.id}' has no coverage; give at least 'default'"))

    for i, lst in enumerate(rb.lists):
        t = lst.trigger
        for j, bid in enumerate(t.behaviours):
            if bid not in behaviours:
                issues.append((("lists", i, "trigger", "behaviours", j), f"list '{lst.id}' is triggered by behaviour '{bid}', which is not defined{_hint(bid, behaviours)}"))
        if not t.behaviours and t.score_below is None and t.score_at_least is None:
            issues.append((("lists", i, "trigger"), f"list '{lst.id}' has no trigger: give behaviours, score_below or score_at_least"))
        if lst.kind == "blacklist" and t.score_at_least is not None:
            issues.append((("lists", i, "trigger", "score_at_least"), f"blacklist '{lst.id}' uses score_at_least; blacklists enter below a score (score_below)"))
        if lst.kind == "redlist" and t.score_below is not None:
            issues.append((("lists", i, "trigger", "score_below"), f"redlist '{lst.id}' uses score_below; redlists enter at a score (score_at_least)"))
        for fld in ("score_below", "score_at_least"):
            v = getattr(t, fld)
            if v is not None and not s.min <= v <= s.max:
                issues.append((("lists", i, "trigger", fld), f"threshold {v:g} lies outside the scale [{s.min:g}, {s.max:g}]"))
        if lst.renewal is not None and lst.duration_days is None:
            issues.append((("lists", i, "renewal"), f"list '{lst.id}' is indefinite, so renewal has no meaning"))

    for kind in ("sanctions", "privileges"):
        for i, m in enumerate(getattr(rb, kind)):
            tgt = m.applies_to
            if (tgt.list is None) == (tgt.grades is None):
                issues.append(((kind, i, "applies_to"), f"{kind[:-1]} '{m.id}' must apply to exactly one of: list, grades"))
                continue
            if tgt.list is not None:
                if tgt.list not in lists:
                    issues.append(((kind, i, "applies_to", "list"), f"{kind[:-1]} '{m.id}' applies to list '{tgt.list}', which is not defined{_hint(tgt.list, lists)}"))
                else:
                    want = "blacklist" if kind == "sanctions" else "redlist"
                    if lists[tgt.list].kind != want:
                        issues.append(((kind, i, "applies_to", "list"), f"{kind[:-1]} '{m.id}' applies to {lists[tgt.list].kind} '{tgt.list}'; {kind} follow a {want}"))
            else:
                if not tgt.grades:
                    issues.append(((kind, i, "applies_to", "grades"), "grades must not be empty"))
                for j, g in enumerate(tgt.grades or []):
                    if g not in grade_names:
                        issues.append(((kind, i, "applies_to", "grades", j), f"{kind[:-1]} '{m.id}' names grade '{g}', which is not defined{_hint(g, grade_names)}"))

    # Purchases: only sanctions in purchase sectors, one declaration per sector.
    declared: dict[str, str] = {}
    for kind in ("sanctions", "privileges"):
        for i, m in enumerate(getattr(rb, kind)):
            if m.purchases is None:
                continue
            where = (kind, i, "purchases")
            if kind == "privileges":
                issues.append((where, f"privilege '{m.id}' declares purchases; only a sanction blocks purchases"))
            elif m.sector not in PURCHASE_SECTORS:
                issues.append((where, f"sanction '{m.id}' is in sector '{m.sector}', where no purchase is counted "
                                      f"(purchase sectors: {', '.join(PURCHASE_SECTORS)})"))
            elif m.sector in declared:
                issues.append((where, f"sanction '{m.id}' declares purchases in sector '{m.sector}', as "
                                      f"'{declared[m.sector]}' already does; declare them once per sector"))
            else:
                declared[m.sector] = m.id

    # Sources cited by `source:` fields must exist.
    for path, obj in _sourced(rb):
        src = getattr(obj, "source", None)
        if src is not None and src != "illustrative" and src not in refs:
            issues.append((path + ("source",), f"source '{src}' is not in metadata.references (or write 'illustrative'){_hint(src, refs)}"))
    issues += _plausible(rb)
    return issues


def _plausible(rb: Rulebook) -> list[Issue]:
    """Each plausible range names a number of this rulebook (or an engine weight) and holds its value."""
    from .paths import ParamPathError, get_value

    out: list[Issue] = []
    seen: set[str] = set()
    for i, r in enumerate(rb.plausible):
        where = ("plausible", i)
        if r.path in seen:
            out.append((where + ("path",), f"duplicate plausible range for '{r.path}'"))
            continue
        seen.add(r.path)
        if not r.low <= r.high:
            out.append((where + ("high",), f"range is empty: high {r.high:g} < low {r.low:g}"))
            continue
        try:
            v = get_value(rb, None, r.path)
        except ParamPathError as e:
            out.append((where + ("path",), e.detail))
            continue
        if isinstance(v, bool) or v is None:
            out.append((where + ("path",), f"'{r.path}' is a switch or unset, not a number with a range"))
        elif not r.low <= v <= r.high:
            out.append((where + ("low",), f"the rulebook's value {v:g} lies outside its plausible range "
                                          f"[{r.low:g}, {r.high:g}]"))
    return out


def _hint(name: str, known) -> str:
    import difflib

    g = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"; did you mean '{g[0]}'?" if g else ""


def _sourced(rb: Rulebook):
    """(path, object) for every object that may carry a `source`."""
    from pydantic import BaseModel

    def walk(obj, path):
        if isinstance(obj, BaseModel):
            if "source" in type(obj).model_fields:
                yield path, obj
            for name in type(obj).model_fields:
                yield from walk(getattr(obj, name), path + (name,))
        elif isinstance(obj, list):
            for i, x in enumerate(obj):
                yield from walk(x, path + (i,))

    yield from walk(rb, ())
