"""The audit as text for people: ruff-style finding lines, then the verdict and a scorecard."""

from __future__ import annotations

import io
from collections import Counter

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .findings import SEVERITIES

STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}
STATUS = {"pass": "green", "notes": "cyan", "fail": "red"}


def render_text(report, console: Console, *, show_fixes: bool = True, verdict: bool = True) -> None:
    for f in report.findings:
        line = Text()
        line.append(f"{f.file}:{f.line}:{f.column}: ", style="bold")
        line.append(f.code, style=STYLE[f.severity])
        line.append(f" [{f.severity}] ", style=STYLE[f.severity])
        line.append(f.message)
        line.append(f"  ({f.name})", style="dim")
        console.print(line, soft_wrap=True)
        if show_fixes and f.fix:
            console.print(Text(f"    fix: {f.fix}", style="dim"), soft_wrap=True)
        for e in f.evidence:
            seen = getattr(e, "observed", f.observed is not False)
            label = "evidence" if seen else "evidence (not observed at this size)"
            console.print(Text(f"    {label}: {e}", style="magenta" if seen else "dim magenta"), soft_wrap=True)
    console.print(Text(summary_line(report), style="bold"))
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
        console.print(Text(f"  ({c.id}) {c.text}: {mark} - {c.because}"), soft_wrap=True)
        for shown in c.findings[:2]:
            console.print(Text(f"      e.g. {shown}", style="dim"), soft_wrap=True)
        if len(c.findings) > 2:
            console.print(Text(f"      and {len(c.findings) - 2} more", style="dim"))
    if v.high_risk:
        console.print(Text(f"  high-risk sectors (Annex III 5): {', '.join(v.high_risk)}"))
    for cav in v.caveats:
        console.print(Text(f"  note: {cav}", style="dim"), soft_wrap=True)
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
