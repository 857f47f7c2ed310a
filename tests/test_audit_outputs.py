"""The audit's outputs: SARIF valid against the OASIS 2.1.0 schema, JSON for scripts, text for people."""

from __future__ import annotations

import json

import jsonschema
import pytest

from scslab.audit import RULES, all_rules, audit_file, audit_text
from scslab.audit.examples import example_text
from scslab.audit.json_report import json_report
from scslab.audit.sarif import sarif_dict, sarif_report, sarif_schema
from scslab.audit.text_report import text_report
from scslab.pilots import PILOTS


@pytest.fixture(scope="module")
def validator():
    schema = sarif_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def bad_report():
    frags = "".join(RULES[c].bad for c in ("SCS201", "SCS261", "SCS111", "SCS301"))
    return audit_text(example_text(frags), "dir with space/rule book.yaml")


def test_sarif_validates_for_every_pilot(validator):
    for name in PILOTS:
        doc = json.loads(sarif_report(audit_file(name)))
        errors = [e.message for e in validator.iter_errors(doc)]
        assert errors == [], (name, errors[:3])


def test_sarif_describes_rules_and_locates_results(validator, bad_report):
    doc = sarif_dict(bad_report)
    assert list(validator.iter_errors(doc)) == []
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.code for r in all_rules()]
    assert all(r["help"]["text"] and r["help"]["markdown"] and r["shortDescription"]["text"] for r in rules)
    assert len(run["results"]) == len(bad_report.findings) > 0
    for res, f in zip(run["results"], bad_report.findings, strict=True):
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"] == f.code
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == "dir%20with%20space/rule%20book.yaml"
        assert loc["region"] == {"startLine": f.line, "startColumn": f.column}
        assert res["level"] in ("error", "warning", "note")
    assert {"error"} <= {r["level"] for r in run["results"]}


def test_sarif_schema_rejects_broken_logs(validator, bad_report):
    doc = sarif_dict(bad_report)
    doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert list(validator.iter_errors(doc))
    del doc["version"]
    assert list(validator.iter_errors(doc))


def test_json_report(bad_report):
    data = json.loads(json_report(bad_report))
    assert data["file"] == "dir with space/rule book.yaml"
    assert data["summary"]["findings"] == len(data["findings"]) == len(bad_report.findings)
    assert sum(data["summary"]["by_severity"].values()) == len(data["findings"])
    f = data["findings"][0]
    assert {"code", "name", "severity", "principle", "message", "field_path", "file", "line", "column", "fix", "evidence"} <= set(f)
    v = data["verdict"]
    assert v["conclusion"].startswith("likely prohibited")
    assert [c["id"] for c in v["conditions"]] == ["evaluation", "i", "ii"]
    assert {s["principle"] for s in v["scorecard"]} >= {"legality", "association", "ai-act"}


def test_text_report(bad_report):
    text = text_report(bad_report)
    assert "SCS201 [critical]" in text and "is lawful but costs 50 points" in text
    assert "fix:" in text and "Scorecard" in text and "EU AI Act Art. 5(1)(c)" in text
    first = bad_report.findings[0]
    assert f"{first.file}:{first.line}:{first.column}: {first.code}" in text
