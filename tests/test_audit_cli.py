"""`scslab audit`: formats, exit codes, --select/--ignore, bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from scslab.audit import RULES
from scslab.audit.examples import BASE, example_text
from scslab.cli import app

runner = CliRunner()


@pytest.fixture
def files(tmp_path):
    clean = tmp_path / "clean.yaml"
    clean.write_text(BASE)
    bad = tmp_path / "bad.yaml"
    bad.write_text(example_text(RULES["SCS201"].bad))  # one critical finding, plus some others
    low = tmp_path / "low.yaml"
    low.write_text(example_text(RULES["SCS233"].bad))  # only a low finding
    return clean, bad, low


def test_exit_codes_follow_fail_on(files):
    clean, bad, low = files
    assert runner.invoke(app, ["audit", str(clean)]).exit_code == 0
    assert runner.invoke(app, ["audit", str(bad)]).exit_code == 1
    assert runner.invoke(app, ["audit", str(low)]).exit_code == 0  # default --fail-on high
    assert runner.invoke(app, ["audit", str(low), "--fail-on", "low"]).exit_code == 1
    assert runner.invoke(app, ["audit", str(bad), "--fail-on", "never"]).exit_code == 0


def test_select_and_ignore_on_the_command_line(files):
    _, bad, _ = files
    r = runner.invoke(app, ["audit", str(bad), "--format", "json", "--ignore", "SCS201,SCS253,SCS302"])
    codes = {f["code"] for f in json.loads(r.stdout)["findings"]}
    assert "SCS201" not in codes
    r = runner.invoke(app, ["audit", str(bad), "--format", "json", "--select", "SCS201"])
    assert {f["code"] for f in json.loads(r.stdout)["findings"]} == {"SCS201"}
    assert r.exit_code == 1
    r = runner.invoke(app, ["audit", str(bad), "--select", "SCS1"])  # no legality rule: passes
    assert r.exit_code == 0, r.stdout
    r = runner.invoke(app, ["audit", str(bad), "--select", "SCS999"])
    assert r.exit_code == 2


def test_formats(files, tmp_path):
    _, bad, _ = files
    r = runner.invoke(app, ["audit", str(bad), "--format", "sarif"])
    assert json.loads(r.stdout)["version"] == "2.1.0"
    r = runner.invoke(app, ["audit", str(bad)])
    assert "SCS201" in r.stdout and "Scorecard" in r.stdout
    out = tmp_path / "report.sarif"
    r = runner.invoke(app, ["audit", str(bad), "--format", "sarif", "-o", str(out)])
    assert r.exit_code == 1 and json.loads(out.read_text())["runs"][0]["results"]
    assert runner.invoke(app, ["audit", str(bad), "--format", "xml"]).exit_code == 2
    assert runner.invoke(app, ["audit", str(bad), "--fail-on", "severe"]).exit_code == 2


def test_pilot_by_name():
    r = runner.invoke(app, ["audit", "rule-of-law", "--format", "json"])
    assert r.exit_code == 0
    assert json.loads(r.stdout)["file"] == "rule-of-law.yaml"
    assert runner.invoke(app, ["audit", "suining"]).exit_code == 1


def test_simulate_refuses_a_society_too_small(files):
    # --simulate itself is tested in test_audit_simulate*.py
    clean, _, _ = files
    r = runner.invoke(app, ["audit", str(clean), "--simulate", "--population", "10"])
    assert r.exit_code == 2
    assert "--population must be at least" in r.stderr


def test_bad_input_gives_located_messages_and_status_2(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(BASE.replace("points: -10", 'points: "ten"'))
    rel = tmp_path / "rel.yaml"
    rel.write_text("finance: [loans, spaceships]\n")
    code = "from scslab.cli import main; main()"
    for args in (["audit", str(broken)], ["audit", str(tmp_path / "missing.yaml")],
                 ["audit", "rongcheng", "--relatedness", str(rel)]):
        p = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)
        assert p.returncode == 2, (args, p.stderr)
        assert "Traceback" not in p.stderr
    assert "rel.yaml:1:" in p.stderr and "spaceships" in p.stderr


def test_output_into_a_missing_directory_or_a_directory_is_a_located_error(files, tmp_path):
    clean, _, _ = files
    code = "from scslab.cli import main; main()"
    for target, words in ((tmp_path / "missing" / "r.sarif", "no such directory"),
                          (tmp_path, "is a directory")):
        p = subprocess.run([sys.executable, "-c", code, "audit", str(clean), "-f", "sarif", "-o", str(target)],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 2, p.stderr
        assert "Traceback" not in p.stderr
        assert p.stderr.startswith(f"{target}: --output: {words}"), p.stderr


def test_output_files_follow_the_umask(files, tmp_path):
    import os
    import stat

    clean, _, _ = files
    old = os.umask(0o027)
    try:
        out = tmp_path / "r.json"
        assert runner.invoke(app, ["audit", str(clean), "-f", "json", "-o", str(out)]).exit_code == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o640
        os.chmod(out, 0o600)  # an existing report keeps its mode
        assert runner.invoke(app, ["audit", str(clean), "-f", "json", "-o", str(out)]).exit_code == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
    finally:
        os.umask(old)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left behind


def test_fail_on_and_format_accept_any_case_and_select_all(files):
    _, bad, low = files
    assert runner.invoke(app, ["audit", str(low), "--fail-on", "LOW"]).exit_code == 1
    assert runner.invoke(app, ["audit", str(bad), "--fail-on", "Never", "--format", "JSON"]).exit_code == 0
    r = runner.invoke(app, ["audit", str(bad), "--select", "ALL", "--format", "json"])
    assert r.exit_code == 1 and len(json.loads(r.stdout)["rules"]) == len(RULES)
    r = runner.invoke(app, ["audit", str(bad), "--select", "all", "--ignore", "SCS2", "--format", "json"])
    assert not any(c.startswith("SCS2") for c in json.loads(r.stdout)["rules"])
