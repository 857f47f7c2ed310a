"""What the claim metrics need to know about the rulebook behind a run.

Tables alone do not say which lists are blacklists, the score range, whether ties are
penalised, or which population group the data sources see best. A `RunContext` carries
those facts; build it from the rulebook (`context_from_rulebook`) or let
`context_of(result)` find it (the rulebook stashed in ``result.extra["rulebook"]`` by the
experiments, else a bundled pilot whose hash matches the manifest).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class RunContext:
    """What the metrics need to know of the rulebook a run used: its score scale, which lists
    are blacklists, the association penalty, the groups by data coverage, related sectors."""

    scale_min: float = float("nan")
    scale_max: float = float("nan")
    base: float = float("nan")
    blacklists: frozenset[str] | None = None  # ids of blacklists; None = treat every list as one
    association_penalty: float = 0.0
    # groups from best to worst data coverage (P(an act is recorded), averaged over scored behaviours)
    groups_by_coverage: tuple[str, ...] = ()
    coverage: dict[str, float] = field(default_factory=dict)
    # behaviour id -> sectors related to its domain (the audit's relatedness map); None = unknown
    related: dict[str, frozenset[str]] | None = None

    @property
    def scale_range(self) -> float:
        """The width of the score scale, max minus min."""
        return self.scale_max - self.scale_min


def group_coverage(crb) -> dict[str, float]:
    """Per group, the mean probability that a scored, observable act is recorded (no disclosure)."""
    scored = (crb.points != 0) & crb.observable
    if not scored.any() or crb.coverage.size == 0:
        return {g: float("nan") for g in crb.groups}
    out = {}
    for g, name in enumerate(crb.groups):
        miss = np.prod(np.where(crb.records[scored], 1.0 - crb.coverage[None, :, g], 1.0), axis=1)
        out[name] = float(np.mean(1.0 - miss))
    return out


def context_from_rulebook(rb, groups: tuple[str, ...] | None = None) -> RunContext:
    """What the metrics need to know of a rulebook (its lists, scale, and the groups from best
    to worst data coverage), read from the rulebook itself rather than from a run."""
    from ..rulebook.compiled import DEFAULT_GROUPS, compile_rulebook

    crb = compile_rulebook(rb, groups=tuple(groups) if groups else DEFAULT_GROUPS)
    cov = group_coverage(crb)
    # Stable order: best coverage first; ties keep the population's group order.
    order = tuple(sorted(cov, key=lambda g: (-(cov[g] if np.isfinite(cov[g]) else -1.0), crb.groups.index(g))))
    return RunContext(
        scale_min=float(crb.min), scale_max=float(crb.max), base=float(crb.base),
        blacklists=frozenset(i for i, b in zip(crb.list_ids, crb.list_black, strict=True) if b),
        association_penalty=float(crb.association_penalty),
        groups_by_coverage=order, coverage=cov, related=_related_sectors(rb),
    )


def _related_sectors(rb) -> dict[str, frozenset[str]] | None:
    """Sectors related to each behaviour's domain, from the audit's shipped relatedness map."""
    try:
        from ..audit.relatedness import default_relatedness
    except ImportError:  # pragma: no cover - the audit package is optional for metrics
        return None
    rel = default_relatedness()
    return {b.id: frozenset(rel.get(b.domain, frozenset())) for b in rb.behaviours}


def _rulebook_in_manifest(manifest: dict):
    """The run's rulebook as the manifest records it (None if absent or not a valid rulebook).

    The stored copy may list mapping keys in another order (manifests are written with
    sorted keys), so its hash can differ from `rulebook_hash` while the rules are the same."""
    import json

    from pydantic import ValidationError

    from ..rulebook.schema import Rulebook

    docs = manifest.get("rulebook_documents")
    name = manifest.get("rulebook")
    if not isinstance(docs, dict) or not isinstance(docs.get(name), dict):
        return None
    try:
        rb = Rulebook.model_validate_json(json.dumps(docs[name]))
    except (ValidationError, TypeError, ValueError):
        return None
    return rb


def context_of(result) -> RunContext:
    """The context of a RunResult: from its stashed rulebook, else the rulebook its manifest
    records (every run folder keeps it), else a matching bundled pilot; an empty context only
    when none of these is at hand."""
    ctx = result.extra.get("context") if hasattr(result, "extra") else None
    if isinstance(ctx, RunContext):
        return ctx
    groups = tuple(result.manifest.get("groups") or ()) or None
    rb = result.extra.get("rulebook") if hasattr(result, "extra") else None
    if rb is None:
        rb = _rulebook_in_manifest(result.manifest)
    if rb is None:
        from ..pilots import is_pilot, load_pilot
        from ..rulebook.compiled import rulebook_hash

        name = result.manifest.get("rulebook")
        if isinstance(name, str) and is_pilot(name):
            cand = load_pilot(name)
            if rulebook_hash(cand) == result.manifest.get("rulebook_hash"):
                rb = cand
    return context_from_rulebook(rb, groups) if rb is not None else RunContext()
