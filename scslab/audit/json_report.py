"""The audit as JSON for scripts."""

from __future__ import annotations

import json
from collections import Counter

from .. import __version__
from .findings import SEVERITIES


def report_dict(report) -> dict:
    md = report.rulebook.metadata
    c = Counter(f.severity for f in report.findings)
    summary = {"findings": len(report.findings), "by_severity": {s: c[s] for s in SEVERITIES}}
    if any(f.evidence for f in report.findings):
        from .evidence import evidence_counts

        summary["evidence"] = {k: v for k, v in evidence_counts(report.findings).items() if k != "findings"}
    return {
        "tool": {"name": "scslab-audit", "version": __version__},
        "file": report.file,
        "rulebook": {"name": md.name, "title": md.title, "version": md.version, "jurisdiction": md.jurisdiction},
        "rules": [r.code for r in report.rules],
        "summary": summary,
        "findings": [f.to_dict() for f in report.findings],
        "verdict": report.verdict.to_dict(),
    }


def json_report(report, indent: int | None = 2) -> str:
    return json.dumps(report_dict(report), indent=indent, ensure_ascii=False, default=str)
