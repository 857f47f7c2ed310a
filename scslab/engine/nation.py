"""A nation: municipalities with their own pilots, plus a national layer (e.g. the court
blacklist) whose national lists and sanctions apply in every municipality.

The national layer is merged into each municipality's rulebook before compiling: its
national lists, the behaviours and data sources they need, and its national measures.
Each shard then lists its own citizens on the national list; what crosses shard borders
is only the public view (scores, list flags, harm levels of remote ties).
"""

from __future__ import annotations

from ..rulebook.schema import Rulebook


class NationError(ValueError):
    pass


def merge_national(local: Rulebook, national: Rulebook) -> Rulebook:
    """`local` plus the national lists of `national` and everything they need."""
    nat_lists = [x for x in national.lists if x.scope == "national"]
    if not nat_lists:
        raise NationError(f"rulebook '{national.metadata.name}' has no national list to apply nationwide")
    ids = {x.id for x in nat_lists}
    clash = ids & {x.id for x in local.lists}
    if clash:
        raise NationError(f"list ids {sorted(clash)} exist in both '{local.metadata.name}' and the national layer")
    need_b = {b for x in nat_lists for b in x.trigger.behaviours}
    have_b = {b.id for b in local.behaviours}
    # A behaviour that triggers a national list is recorded by the national sources too,
    # also where the local rulebook declares it itself: a municipality without a source for
    # court judgments (the `none` baseline) still has the courts that fill the national list.
    nat_b = {b.id: b for b in national.behaviours}
    behaviours = []
    for b in local.behaviours:
        if b.id in need_b and b.id in nat_b:
            extra_s = [s for s in nat_b[b.id].sources if s not in b.sources]
            if extra_s:
                b = b.model_copy(update={"sources": list(b.sources) + extra_s})
        behaviours.append(b)
    behaviours += [b for b in national.behaviours if b.id in need_b and b.id not in have_b]
    need_s = {s for b in behaviours for s in b.sources}
    have_s = {s.id for s in local.data_sources}
    sources = list(local.data_sources) + [s for s in national.data_sources if s.id in need_s and s.id not in have_s]
    measures = {}
    for kind in ("sanctions", "privileges"):
        extra = [m for m in getattr(national, kind) if m.applies_to.list in ids]
        taken = {m.id for m in getattr(local, kind)}
        measures[kind] = list(getattr(local, kind)) + [
            m if m.id not in taken else m.model_copy(update={"id": f"national-{m.id}"}) for m in extra
        ]
    refs = list(local.metadata.references)
    have_r = {r.id for r in refs}
    refs += [r for r in national.metadata.references if r.id not in have_r]
    meta = local.metadata.model_copy(update={"references": refs})
    # Score thresholds of a national list must lie on the local scale; a list triggered by a
    # score on another scale cannot be applied nationwide.
    for x in nat_lists:
        for v in (x.trigger.score_below, x.trigger.score_at_least):
            if v is not None and not local.scale.min <= v <= local.scale.max:
                raise NationError(f"national list '{x.id}' is triggered by a score on another scale than '{local.metadata.name}'")
    return local.model_copy(update={
        "metadata": meta, "behaviours": behaviours, "data_sources": sources,
        "lists": list(local.lists) + nat_lists, **measures,
    })
