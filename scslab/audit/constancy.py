"""Constancy (Fuller 7): the rules do not change so often that nobody can follow them."""

from __future__ import annotations

import datetime as dt

from .findings import Finding
from .registry import rule

MAX_PER_YEAR = 2


@rule(
    code="SCS161", name="frequent-amendment", severity="medium", principle="constancy",
    legal_reference="Fuller (1964) ch. 2 (constancy of the law through time)",
    summary=f"The rules were amended more than {MAX_PER_YEAR} times within a year.",
    what=f"""Flags `metadata.amendments` when more than {MAX_PER_YEAR} fall within any 365 days.""",
    why="""Rules that change every few months cannot be learned: conduct planned under one
    version is judged under the next. Frequent change also hides drift in what the system is
    for.""",
    use_instead="Amend the rules at most twice a year, bundling changes.",
    bad="""
    metadata:
      amendments:
        - {version: "1.1", date: 2024-04-01}
        - {version: "1.2", date: 2024-07-01}
        - {version: "1.3", date: 2024-10-01}
    """,
    good="""
    metadata:
      amendments:
        - {version: "1.1", date: 2024-04-01}
        - {version: "2.0", date: 2025-06-01}
    """,
)
def frequent_amendment(rb, ctx):
    am = sorted(enumerate(rb.metadata.amendments), key=lambda t: t[1].date)
    reported_until = None
    for k in range(MAX_PER_YEAR, len(am)):
        i, a = am[k]
        first = am[k - MAX_PER_YEAR][1]
        if a.date - first.date < dt.timedelta(days=365) and (reported_until is None or first.date > reported_until):
            yield Finding.at(("metadata", "amendments", i, "date"),
                             f"{MAX_PER_YEAR + 1} amendments between {first.date} and {a.date} (version {a.version}): "
                             "the rules change faster than people can learn them",
                             f"batch changes into at most {MAX_PER_YEAR} amendments a year")
            reported_until = a.date
