"""The bundled pilots, audited: the rule-of-law reference passes; the real systems show the
findings their counterparts are criticised for; the generated docs are up to date."""

from __future__ import annotations

from collections import Counter

import pytest

from scslab.audit import audit_file
from scslab.audit import docs as audit_docs
from scslab.audit.findings import at_least
from scslab.pilots import PILOTS


@pytest.fixture(scope="module")
def reports():
    return {name: audit_file(name) for name in PILOTS}


def codes(report):
    return Counter(f.code for f in report.findings)


def test_rule_of_law_passes_with_nothing_above_low(reports):
    rep = reports["rule-of-law"]
    assert at_least(rep.findings, "medium") == [], [str(f) for f in rep.findings]
    assert "prohibited" not in rep.verdict.conclusion or "not prohibited" in rep.verdict.conclusion


def test_none_has_nothing_to_report(reports):
    rep = reports["none"]
    assert rep.findings == []
    assert rep.verdict.conclusion.startswith("no scoring")


# What each real system is criticised for, as rule codes (PILOTS.md and the essay).
EXPECTED = {
    "rongcheng": {"SCS301", "SCS221", "SCS132", "SCS102", "SCS246"},  # cross-context; investigations; ranges; catch-all; published names
    "suining": {"SCS201", "SCS131", "SCS301", "SCS231"},  # petitioning and a second child penalised; "defamation"; no appeal
    "sesame": {"SCS262", "SCS252", "SCS111", "SCS303"},  # friends' scores; rewarded disclosure; secret weights; one score for all
    "court-blacklist": {"SCS211", "SCS301", "SCS246"},  # one debt, many sectors; travel bans; published names
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_systems_show_their_criticised_findings(reports, name):
    found = set(codes(reports[name]))
    assert EXPECTED[name] <= found, EXPECTED[name] - found
    assert at_least(reports[name].findings, "high")


def test_real_systems_meet_the_detriment_conditions(reports):
    for name in ("rongcheng", "suining", "sesame"):
        assert reports[name].verdict.conclusion.startswith("likely prohibited"), name


def test_generated_docs_are_up_to_date():
    for path, text in audit_docs.outputs().items():
        assert path.exists(), f"{path} missing: run python -m scslab.audit.docs"
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is out of date: run python -m scslab.audit.docs"
