"""The audit as text for people: ruff-style finding lines, then the verdict and a scorecard."""

from __future__ import annotations

import io
import re
from collections import Counter

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .findings import SEVERITIES

STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}
STATUS = {"pass": "green", "notes": "cyan", "fail": "red"}

# Findings quote the rulebook (labels, titles, legal bases, file names): control characters
# (C0 but newline and tab, DEL, C1) and the bidirectional overrides and isolates are shown
# escaped, so a rulebook cannot clear the terminal, recolour it or reorder what it shows.
# Rich markup in them is never read: every string goes into a Text, not through markup.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape_char(m: re.Match) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def printable(value) -> str:
    """`value` as text safe to print on a terminal (control characters shown escaped)."""
    return _UNSAFE.sub(_escape_char, str(value))


def render_text(report, console: Console, *, show_fixes: bool = True, verdict: bool = True) -> None:
    for f in report.findings:
        line = Text()
        line.append(f"{printable(f.file)}:{f.line}:{f.column}: ", style="bold")
        line.append(f.code, style=STYLE[f.severity])
        line.append(f" [{f.severity}] ", style=STYLE[f.severity])
        line.append(printable(f.message))
        line.append(f"  ({f.name})", style="dim")
        console.print(line, soft_wrap=True)
        if show_fixes and f.fix:
            console.print(Text(f"    fix: {printable(f.fix)}", style="dim"), soft_wrap=True)
        for e in f.evidence:
            seen = getattr(e, "observed", f.observed is not False)
            label = "evidence" if seen else "evidence (not observed at this size)"
            console.print(Text(f"    {label}: {printable(e)}", style="magenta" if seen else "dim magenta"),
                          soft_wrap=True)
    console.print(Text(printable(summary_line(report)), style="bold"))
    ev = evidence_line(report)
    if ev:
        console.print(Text(ev, style="magenta"), soft_wrap=True)
    if verdict:
        render_verdict(report, console)


def summary_line(report) -> str:
    n = len(report.findings)
    if not n:
        return f"{report.file}: no findings ({len(report.rules)} rules checked)"
    c = Counter(f.severity for f in report.findings)
    parts = ", ".join(f"{c[s]} {s}" for s in reversed(SEVERITIES) if c[s])
    return f"{report.file}: {n} finding{'s' if n != 1 else ''} ({parts}; {len(report.rules)} rules checked)"


def evidence_line(report) -> str | None:
    """How many findings a simulation showed, did not show at its size, or could not measure."""
    from .evidence import evidence_counts

    if not any(f.evidence for f in report.findings):
        return None
    c = evidence_counts(report.findings)
    return (f"simulation evidence: {c['observed']} of {c['findings']} findings observed in the run, "
            f"{c['not_observed']} not observed at this size, {c['no_evidence']} with nothing a run can measure")


def render_verdict(report, console: Console) -> None:
    v = report.verdict
    console.print()
    console.print(Text.assemble(("EU AI Act Art. 5(1)(c): ", "bold"), (v.conclusion, "bold magenta")), soft_wrap=True)
    for c in v.conditions:
        mark = {"yes": "met", "partly": "partly met", "no": "not met"}[c.met]
        console.print(Text(printable(f"  ({c.id}) {c.text}: {mark} - {c.because}")), soft_wrap=True)
        for shown in c.findings[:2]:
            console.print(Text(printable(f"      e.g. {shown}"), style="dim"), soft_wrap=True)
        if len(c.findings) > 2:
            console.print(Text(f"      and {len(c.findings) - 2} more", style="dim"))
    if v.high_risk:
        console.print(Text(printable(f"  high-risk sectors (Annex III 5): {', '.join(v.high_risk)}")))
    for cav in v.caveats:
        console.print(Text(printable(f"  note: {cav}"), style="dim"), soft_wrap=True)
    t = Table(title="Scorecard", title_justify="left", show_edge=False)
    t.add_column("principle")
    t.add_column("status")
    t.add_column("findings", justify="right")
    t.add_column("worst")
    t.add_column("rules", justify="right")
    for s in v.scorecard:
        if not s.rules:
            continue
        t.add_row(s.title, Text(s.status, style=STATUS[s.status]), str(s.findings), s.worst or "-", str(s.rules))
    console.print(t)


def text_report(report, width: int = 100, **kwargs) -> str:
    """The text report as plain text (no colour), e.g. for docs."""
    buf = io.StringIO()
    render_text(report, Console(file=buf, width=width, color_system=None, highlight=False), **kwargs)
    return buf.getvalue()
