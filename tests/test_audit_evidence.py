"""The simulation-evidence hook: functions keyed by rule code fill each finding's evidence."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from scslab.audit import RULES, audit_text
from scslab.audit import evidence as ev
from scslab.audit.examples import example_text


def test_attach_evidence_runs_the_function_of_each_code():
    report = audit_text(example_text(RULES["SCS201"].bad + RULES["SCS261"].bad), "x.yaml")
    result = SimpleNamespace(citizens=pd.DataFrame({"points_lost_to_ties": [0.0, 3.0, 5.0]}), steps=None, manifest={})

    def ties(finding, rulebook, res):
        return [f"citizens lost {res.citizens.points_lost_to_ties.mean():.1f} points to their ties on average"]

    def broken(finding, rulebook, res):
        return [res.citizens["no_such_column"].mean()]

    out = ev.attach_evidence(report.findings, result, report.rulebook, {"SCS261": ties, "SCS201": broken})
    by_code = {f.code: f for f in out}
    assert by_code["SCS261"].evidence == ["citizens lost 2.7 points to their ties on average"]
    assert by_code["SCS201"].evidence[0].startswith("evidence unavailable: KeyError")
    assert all(f.evidence == [] for f in out if f.code not in ("SCS201", "SCS261"))


def test_decorator_registers_and_availability_follows(monkeypatch):
    monkeypatch.setattr(ev, "EVIDENCE", {})
    ok, why = ev.available()
    assert not ok and "not available yet" in why

    @ev.evidence("SCS211")
    def f(finding, rulebook, res):
        return []

    assert ev.EVIDENCE == {"SCS211": f}
    monkeypatch.setattr(ev, "engine_available", lambda: True)
    assert ev.available() == (True, "")
