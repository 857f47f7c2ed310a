"""`scslab audit --simulate`: evidence in JSON and SARIF, clean stdout, exit status per --fail-on."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from scslab.audit.sarif import sarif_schema
from scslab.cli import app

HARSH = str(Path(__file__).parent / "data" / "harsh.yaml")
SMALL = ["--simulate", "--population", "2000", "--steps", "60"]
runner = CliRunner()


def test_json_has_evidence_and_exit_follows_fail_on():
    r = runner.invoke(app, ["audit", HARSH, *SMALL, "--format", "json", "--fail-on", "critical"])
    assert r.exit_code == 1, r.stderr  # harsh penalises lawful petitions: a critical finding
    data = json.loads(r.stdout)  # stdout is the JSON alone: progress and notes go to stderr
    with_ev = [f for f in data["findings"] if f["evidence"]]
    assert len(with_ev) >= 20
    assert all(e.startswith("simulated 2,000 citizens for 60 days, seed 0: ") for f in with_ev for e in f["evidence"])
    assert "evidence for" in r.stderr
    lawful = next(f for f in data["findings"] if f["code"] == "SCS201")
    assert "came from lawful conduct" in lawful["evidence"][0]


def test_sarif_with_evidence_validates():
    r = runner.invoke(app, ["audit", HARSH, *SMALL, "--seed", "3", "--format", "sarif", "--fail-on", "never"])
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    jsonschema.Draft7Validator(sarif_schema()).validate(doc)
    ev = [res["properties"]["evidence"] for res in doc["runs"][0]["results"] if "evidence" in res["properties"]]
    assert ev and all(e[0].startswith("simulated 2,000 citizens for 60 days, seed 3: ") for e in ev)


@pytest.mark.parametrize("args, message", [
    (["--population", "5"], "--population must be at least"),
    (["--steps", "0"], "--steps must be in"),
    (["--seed", "-1"], "--seed must be 0 or more"),
])
def test_bad_simulation_options_exit_2(args, message):
    r = runner.invoke(app, ["audit", HARSH, "--simulate", *args])
    assert r.exit_code == 2
    assert message in r.stderr
