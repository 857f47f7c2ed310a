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


def test_sarif_rules_link_their_docs_and_references(bad_report):
    rules = sarif_dict(bad_report)["runs"][0]["tool"]["driver"]["rules"]
    for d in rules:
        assert d["helpUri"].endswith(f"#{d['id'].lower()}-{d['name']}")
        assert d["properties"]["status"] in ("stable", "preview") and d["properties"]["since"]
        assert any(ref.get("url") for ref in d["properties"]["references"])


def test_sarif_results_have_plain_messages_and_the_fix_apart(bad_report):
    for res, f in zip(sarif_dict(bad_report)["runs"][0]["results"], bad_report.findings, strict=True):
        assert res["message"]["text"] == f.message and res["message"]["text"].endswith(".")
        assert "Fix:" not in res["message"]["text"] and res["properties"]["fix"] == f.fix


def test_sarif_artifacts_are_relative_to_named_roots(validator, tmp_path, monkeypatch):
    from pathlib import Path

    from scslab.audit.examples import BASE

    # a bundled pilot: relative to the pilots' directory
    run = sarif_dict(audit_file("rongcheng"))["runs"][0]
    loc = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc["uri"] == "rongcheng.yaml" and loc["uriBaseId"] == "SCSLAB_PILOTS"
    base = run["originalUriBaseIds"]["SCSLAB_PILOTS"]["uri"]
    assert base.startswith("file:///") and base.endswith("/")
    assert Path(base[len("file://"):]).joinpath("rongcheng.yaml").exists()
    assert run["artifacts"][0]["location"] == {"uri": "rongcheng.yaml", "uriBaseId": "SCSLAB_PILOTS"}
    # a relative path: relative to the directory the audit ran in
    (tmp_path / "sub dir").mkdir()
    f = tmp_path / "sub dir" / "rule book.yaml"
    f.write_text(example_text(RULES["SCS201"].bad))
    monkeypatch.chdir(tmp_path)
    doc = sarif_dict(audit_file("sub dir/rule book.yaml"))
    assert list(validator.iter_errors(doc)) == []
    run = doc["runs"][0]
    loc = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc["uri"] == "sub%20dir/rule%20book.yaml" and loc["uriBaseId"] == "SRCROOT"
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == tmp_path.resolve().as_uri() + "/"
    # an absolute path: a file URI, no base
    doc = sarif_dict(audit_file(str(f)))
    assert list(validator.iter_errors(doc)) == []
    loc = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc["uri"] == f.resolve().as_uri() and "uriBaseId" not in loc
    assert "originalUriBaseIds" not in doc["runs"][0]
    # a path leading out of the root: a file URI too
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.chdir(other)
    loc = sarif_dict(audit_file("../sub dir/rule book.yaml"))["runs"][0]["artifacts"][0]["location"]
    assert loc == {"uri": f.resolve().as_uri()}
    # an in-memory rulebook: its name only
    from scslab.audit import audit
    from scslab.rulebook import parse_rulebook

    rep = audit(parse_rulebook(BASE, "x.yaml"))
    assert sarif_dict(rep)["runs"][0]["artifacts"][0]["location"] == {"uri": "%3Crulebook%3E"}
