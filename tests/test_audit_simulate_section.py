"""The audit section of the HTML report: conditions, scorecard, top findings, escaped."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from scslab.audit import audit_file, audit_text, report_section, report_sections
from scslab.audit.evidence import attach_evidence
from scslab.audit.examples import example_text
from scslab.audit.simulation import SimulationSettings, run_for_audit
from scslab.pilots import PILOTS

HARSH = Path(__file__).parent / "data" / "harsh.yaml"
VOID = {"br", "meta", "img", "hr", "input"}


class Balance(HTMLParser):
    """Checks that every opened tag is closed in order (the fragment nests well)."""

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (self.stack, tag)
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(fragment: str) -> str:
    p = Balance()
    p.feed(fragment)
    p.close()
    assert p.stack == []
    return "".join(p.text)


@pytest.mark.parametrize("pilot", list(PILOTS))
def test_every_pilot_gets_a_section(pilot):
    title, body = report_section(pilot)
    report = audit_file(pilot)
    v = report.verdict
    assert title == f"Audit: {report.rulebook.metadata.name}"
    text = parse(body)
    assert v.conclusion in text
    for c in v.conditions:
        assert c.text in text
    for s in v.scorecard:
        if s.rules:
            assert s.title in text
    worst = max((f.rank for f in report.findings), default=None)
    if worst is not None:  # the most severe finding is shown first
        first = next(f for f in report.findings if f.rank == worst)
        assert first.severity in text


def test_rulebook_text_is_escaped_and_limit_respected():
    rb_text = example_text("").replace("title: ", "title: <script>alert(1)</script> ", 1)
    report = audit_text(rb_text, "x.yaml")
    _, body = report_section(report.rulebook, report=report, limit=1)
    assert "<script>" not in body and "&lt;script&gt;" in body
    parse(body)
    assert body.count("<tr><td><code>SCS") <= 1


def test_section_shows_simulation_evidence():
    report = audit_file(HARSH)
    result = run_for_audit(report.rulebook, SimulationSettings(population=500, steps=20, seed=1))
    attach_evidence(report.findings, result, report.rulebook)
    _, body = report_section("ignored", report=report, limit=50)
    assert "evidence: simulated 500 citizens for 20 days, seed 1: " in parse(body)


def test_sections_for_several():
    out = report_sections(["rongcheng", str(HARSH)])
    assert [t for t, _ in out] == ["Audit: rongcheng", "Audit: harsh"]
