"""The audit as SARIF 2.1.0 (OASIS), for code-scanning tools and CI."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import PurePath
from urllib.parse import quote

from .. import __version__
from .registry import PRINCIPLES, all_rules

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
# GitHub code scanning reads `security-severity` (0-10) to rank results.
SCORE = {"critical": "9.5", "high": "8.0", "medium": "5.0", "low": "2.0"}


def _uri(file: str) -> str:
    return quote(PurePath(file).as_posix(), safe="/:")


def rule_descriptor(r) -> dict:
    return {
        "id": r.code,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": r.what},
        "help": {"text": r.help_text, "markdown": r.doc},
        "defaultConfiguration": {"level": LEVEL[r.severity]},
        "properties": {
            "tags": ["eu-ai-act"] if r.principle == "ai-act" else ["rule-of-law", r.principle],
            "severity": r.severity,
            "principle": PRINCIPLES[r.principle],
            "legalReference": r.legal_reference,
            "security-severity": SCORE[r.severity],
        },
    }


def sarif_dict(report) -> dict:
    rules = all_rules()  # describe every rule, so ruleIndex is stable whatever was selected
    index = {r.code: i for i, r in enumerate(rules)}
    results = []
    for f in report.findings:
        res = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": LEVEL[f.severity],
            "message": {"text": f.message + (f" Fix: {f.fix}" if f.fix else "")},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(f.file)},
                    "region": {"startLine": max(1, f.line), "startColumn": max(1, f.column)},
                },
                "logicalLocations": [{"fullyQualifiedName": f.field_path, "kind": "member"}],
            }],
            "properties": {"severity": f.severity, "principle": f.principle, "fieldPath": f.field_path},
        }
        if f.fix:
            res["properties"]["fix"] = f.fix
        if f.evidence:
            res["properties"]["evidence"] = list(f.evidence)
        results.append(res)
    v = report.verdict
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "scslab-audit",
                "version": __version__,
                "rules": [rule_descriptor(r) for r in rules],
            }},
            "invocations": [{"executionSuccessful": True}],
            "artifacts": [{"location": {"uri": _uri(report.file)}}],
            "results": results,
            "properties": {"verdict": v.conclusion, "conditions": {c.id: c.met for c in v.conditions}},
        }],
    }


def sarif_report(report, indent: int | None = 2) -> str:
    return json.dumps(sarif_dict(report), indent=indent, ensure_ascii=False)


def sarif_schema() -> dict:
    """The vendored OASIS SARIF 2.1.0 JSON schema."""
    text = resources.files(__package__).joinpath("data/sarif-schema-2.1.0.json").read_text(encoding="utf-8")
    return json.loads(text)
