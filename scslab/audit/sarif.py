"""The audit as SARIF 2.1.0 (OASIS), for code-scanning tools and CI."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path, PurePath
from urllib.parse import quote

from .. import __version__
from .registry import PRINCIPLES, all_rules

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
# GitHub code scanning reads `security-severity` (0-10) to rank results.
SCORE = {"critical": "9.5", "high": "8.0", "medium": "5.0", "low": "2.0"}


# uriBaseIds: the directory the audit ran in (relative paths), and the bundled pilots.
SRCROOT = "SRCROOT"
PILOTS_BASE = "SCSLAB_PILOTS"


def _dir_uri(path: Path) -> str:
    uri = path.resolve().as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _pilots_dir() -> Path:
    return Path(str(resources.files("scslab.pilots")))


def artifact_location(file: str, origin: str = "file", cwd: Path | None = None) -> dict:
    """Where a finding's file is, as a SARIF artifactLocation.

    A bundled pilot is named relative to the pilots' directory (`SCSLAB_PILOTS`); a relative
    path relative to the directory the audit ran in (`SRCROOT`); an absolute path, or a
    relative one leading out of that directory, as a file URI; an in-memory rulebook by
    its name alone.
    """
    if origin == "pilot":
        return {"uri": quote(file), "uriBaseId": PILOTS_BASE}
    if origin == "memory" or file.startswith("<"):
        return {"uri": quote(file, safe="")}
    p = PurePath(file)
    if p.is_absolute():
        return {"uri": Path(file).as_uri()}
    root = (cwd or Path.cwd()).resolve()
    full = (root / p).resolve()
    if full != root and root not in full.parents:  # "../x.yaml": outside the root
        return {"uri": full.as_uri()}
    return {"uri": quote(p.as_posix()), "uriBaseId": SRCROOT}


def original_uri_base_ids(bases, cwd: Path | None = None) -> dict:
    out = {}
    if SRCROOT in bases:
        out[SRCROOT] = {"uri": _dir_uri(cwd or Path.cwd()),
                        "description": {"text": "The directory the audit ran in."}}
    if PILOTS_BASE in bases:
        out[PILOTS_BASE] = {"uri": _dir_uri(_pilots_dir()),
                            "description": {"text": "The rulebooks bundled with scslab (`scslab pilots`)."}}
    return out


def rule_descriptor(r) -> dict:
    d = {
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
            "references": [{"title": ref.title, **({"url": ref.url} if ref.url else {})} for ref in r.references],
            "status": r.status,
            "since": r.since,
            "security-severity": SCORE[r.severity],
        },
    }
    uri = r.help_uri
    if uri:
        d["helpUri"] = uri
    return d


def sarif_dict(report, cwd: Path | None = None) -> dict:
    rules = all_rules()  # describe every rule, so ruleIndex is stable whatever was selected
    index = {r.code: i for i, r in enumerate(rules)}
    origin = getattr(report, "origin", "file")
    artifact = artifact_location(report.file, origin, cwd)
    results = []
    for f in report.findings:
        where = artifact if f.file == report.file else artifact_location(f.file, "file", cwd)
        res = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": LEVEL[f.severity],
            "message": {"text": f.message},  # the fix is kept apart, in properties.fix
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {**where, **({"index": 0} if f.file == report.file else {})},
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
            if f.observed is not None:
                res["properties"]["evidenceObserved"] = f.observed
        results.append(res)
    v = report.verdict
    bases = {artifact.get("uriBaseId")} | {
        r["locations"][0]["physicalLocation"]["artifactLocation"].get("uriBaseId") for r in results}
    run = {
        "tool": {"driver": {
            "name": "scslab-audit",
            "version": __version__,
            "rules": [rule_descriptor(r) for r in rules],
        }},
        "invocations": [{"executionSuccessful": True}],
        "artifacts": [{"location": artifact}],
        "results": results,
        "properties": {"verdict": v.conclusion, "conditions": {c.id: c.met for c in v.conditions}},
    }
    base_ids = original_uri_base_ids(bases, cwd)
    if base_ids:
        run["originalUriBaseIds"] = base_ids
    return {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def sarif_report(report, indent: int | None = 2) -> str:
    return json.dumps(sarif_dict(report), indent=indent, ensure_ascii=False)


def sarif_schema() -> dict:
    """The vendored OASIS SARIF 2.1.0 JSON schema."""
    text = resources.files(__package__).joinpath("data/sarif-schema-2.1.0.json").read_text(encoding="utf-8")
    return json.loads(text)
