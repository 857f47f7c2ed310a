"""Sections that other parts of scslab add to the comparison report.

`scslab compare` and `scslab demo` call `extra_sections(cmp)` and pass the result to
`write_report(..., extra_sections=...)`, which places the sections right after the claims
table. THE AUDIT'S VERDICT SECTION GOES HERE: return ("Audit", html) for the compared
rulebooks (the comparison's columns, `cmp.columns`, are pilot names or rulebook paths).
"""

from __future__ import annotations


def extra_sections(cmp) -> list[tuple[str, str]]:
    """(title, html) pairs for the report; none yet."""
    return []
