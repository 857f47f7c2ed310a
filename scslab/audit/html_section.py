"""The audit's verdict as a section of the HTML report (scslab.report's `extra_sections`).

    from scslab.audit import report_section
    from scslab.report import write_report
    write_report(cmp, "reports/compare.html", extra_sections=[report_section(p) for p in pilots])

A section is a (title, html fragment) pair: the AI Act Art. 5(1)(c) conditions, the
scorecard per principle, and the most severe findings (with simulation evidence when the
findings carry any). The fragment uses the report's table styles plus a few inline ones,
and escapes everything taken from the rulebook.
"""

from __future__ import annotations

import html

from ..rulebook.schema import Rulebook
from .findings import SEVERITY_RANK

MET = {"yes": ("met", "#f6dada", "#7a1616"), "partly": ("partly met", "#fbefc9", "#6b5000"),
       "no": ("not met", "#d7f0d7", "#14541a")}
STATUS = {"fail": ("#f6dada", "#7a1616"), "notes": ("#fbefc9", "#6b5000"), "pass": ("#d7f0d7", "#14541a")}
SEVERITY = {"critical": ("#7a1616", "#fff"), "high": ("#f6dada", "#7a1616"), "medium": ("#fbefc9", "#6b5000"),
            "low": ("#eee", "#555")}


def _e(x) -> str:
    return html.escape(str(x), quote=True)


def _badge(text: str, bg: str, fg: str) -> str:
    return (f'<span style="display:inline-block;border-radius:3px;padding:0 .35rem;font-size:.78rem;'
            f'background:{bg};color:{fg}">{_e(text)}</span>')


def _audit(rulebook_or_name, report=None, **kwargs):
    from .runner import audit, audit_file

    if report is not None:
        return report
    if isinstance(rulebook_or_name, Rulebook):
        return audit(rulebook_or_name, file=f"{rulebook_or_name.metadata.name}.yaml", **kwargs)
    return audit_file(rulebook_or_name, **kwargs)


def conditions_table(v) -> str:
    rows = []
    for c in v.conditions:
        label, bg, fg = MET[c.met]
        shown = "".join(f"<li>{_e(x)}</li>" for x in c.findings[:3])
        more = f"<li>and {len(c.findings) - 3} more</li>" if len(c.findings) > 3 else ""
        rows.append(f"<tr><td>({_e(c.id)}) {_e(c.text)}</td><td>{_badge(label, bg, fg)}</td>"
                    f"<td>{_e(c.because)}{f'<ul class=small>{shown}{more}</ul>' if shown else ''}</td></tr>")
    return ("<table><thead><tr><th>condition of Art. 5(1)(c)</th><th>status</th><th>because</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def scorecard_table(v) -> str:
    rows = []
    for s in v.scorecard:
        if not s.rules:
            continue
        bg, fg = STATUS[s.status]
        rows.append(f"<tr><td>{_e(s.title)}</td><td>{_badge(s.status, bg, fg)}</td><td class=num>{s.findings}</td>"
                    f"<td>{_e(s.worst or '-')}</td><td class=num>{s.rules}</td></tr>")
    return ("<table><thead><tr><th>principle</th><th>status</th><th>findings</th><th>worst</th><th>rules</th></tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table>")


def top_findings(findings, limit: int) -> list:
    """The most severe findings first, then in file order; at most one per rule code until
    every code has had its turn, so one rule's many findings do not crowd out the rest."""
    ranked = sorted(findings, key=lambda f: (-SEVERITY_RANK[f.severity], f.sort_key()))
    first, rest, seen = [], [], set()
    for f in ranked:
        (rest if f.code in seen else first).append(f)
        seen.add(f.code)
    return sorted(first + rest, key=lambda f: -SEVERITY_RANK[f.severity])[:limit] if limit else []


def findings_table(findings, limit: int) -> str:
    top = top_findings(findings, limit)
    if not top:
        return "<p>No findings.</p>"
    rows = []
    for f in top:
        bg, fg = SEVERITY[f.severity]
        ev = "".join(f'<div class=small style="color:#5a2a7a">'
                     f'{"evidence" if getattr(e, "observed", f.observed is not False) else "evidence (not observed at this size)"}: '
                     f'{_e(e)}</div>' for e in f.evidence)
        fix = f"<div class=small>fix: {_e(f.fix)}</div>" if f.fix else ""
        rows.append(f"<tr><td><code>{_e(f.code)}</code><br>{_badge(f.severity, bg, fg)}</td>"
                    f"<td class=small>{_e(f.file)}:{f.line}:{f.column}<br><code>{_e(f.field_path)}</code></td>"
                    f"<td>{_e(f.message)} <span class=small>({_e(f.name)})</span>{fix}{ev}</td></tr>")
    more = len(findings) - len(top)
    tail = (f"<p class=small>and {more} more finding{'s' if more != 1 else ''}: "
            "the command above lists them all</p>") if more > 0 else ""
    return ("<table><thead><tr><th>rule</th><th>where</th><th>finding</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>{tail}")


def report_section(rulebook_or_name, *, report=None, limit: int = 10, title: str | None = None,
                   **audit_kwargs) -> tuple[str, str]:
    """(title, html) for one rulebook's audit: the Art. 5(1)(c) conditions, the scorecard
    and the `limit` most severe findings.

    `rulebook_or_name` is a bundled pilot's name, a rulebook file or a `Rulebook`; pass an
    `AuditReport` as `report` to show one already made (e.g. with simulation evidence
    attached by `scslab.audit.simulation.simulate_report`). Other keyword arguments go to
    the audit (select, ignore, relatedness).
    """
    rep = _audit(rulebook_or_name, report, **audit_kwargs)
    target = rulebook_or_name if isinstance(rulebook_or_name, str) and report is None else rep.file
    v = rep.verdict
    md = rep.rulebook.metadata
    name = md.name
    n = len(rep.findings)
    by = {s: sum(1 for f in rep.findings if f.severity == s) for s in ("critical", "high", "medium", "low")}
    counts = ", ".join(f"{k} {s}" for s, k in by.items() if k)
    risk = (f"<p>High-risk uses (Annex III point 5): {_e(', '.join(v.high_risk))}.</p>" if v.high_risk else "")
    caveats = "".join(f"<li>{_e(c)}</li>" for c in v.caveats)
    body = (
        f'<div class="audit" id="audit-{_e(name)}">'
        f"<p><b>{_e(md.title)}</b> ({_e(md.jurisdiction)}, version {_e(md.version)}): "
        f"<b>{_e(v.conclusion)}</b>.</p>"
        f"<p class=small>{n} finding{'s' if n != 1 else ''}{f' ({counts})' if counts else ''} from "
        f"{len(rep.rules)} rules; <code>scslab audit {_e(target)}</code> gives every finding with its line and fix "
        f"(see docs/audit.md).</p>"
        f"<h3>EU AI Act Art. 5(1)(c)</h3>{conditions_table(v)}{risk}"
        f"<h3>Scorecard</h3>{scorecard_table(v)}"
        f"<h3>Most severe findings</h3>{findings_table(rep.findings, limit)}"
        f"<ul class=small>{caveats}</ul></div>"
    )
    return (title or f"Audit: {name}", body)


def report_sections(names, **kwargs) -> list[tuple[str, str]]:
    """One section per rulebook, e.g. every pilot of a comparison."""
    return [report_section(x, **kwargs) for x in names]
