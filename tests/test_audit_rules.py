"""Every audit rule fires on its documented triggering example and stays silent on its passing one."""

from __future__ import annotations

import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scslab.audit import PRINCIPLES, RULES, all_rules, audit, audit_text, select_rules
from scslab.audit.examples import BASE, example_data, example_text, merge
from scslab.rulebook import rulebook_from_dict
from scslab.rulebook.schema import DOMAINS, LEGAL_STATUSES, SECTORS

RULE_LIST = all_rules()
IDS = [r.code for r in RULE_LIST]


def run(rule, fragment):
    return audit_text(example_text(fragment), f"{rule.code}.yaml", select=[rule.code])


def test_registry_covers_every_principle_with_enough_rules():
    assert len(RULE_LIST) >= 20
    assert {r.principle for r in RULE_LIST} == set(PRINCIPLES)
    assert len({r.name for r in RULE_LIST}) == len(RULE_LIST)
    for r in RULE_LIST:
        assert re.fullmatch(r"SCS\d{3}", r.code)
        assert r.summary and r.what and r.why and r.legal_reference
        assert "### What it does" in r.doc and "### Why it matters" in r.doc and "```yaml" in r.doc


def test_rule_docs_are_ruff_grade():
    from scslab.audit.references import unknown_sources

    for r in RULE_LIST:
        for section in ("### What it does", "### Why it matters", "### Example\n", "### Use instead", "### References"):
            assert section in r.doc, (r.code, section)
        assert r.use_instead.endswith(".") and r.summary.endswith("."), r.code
        assert r.status in ("stable", "preview") and re.fullmatch(r"\d+\.\d+\.\d+", r.since), r.code
        assert unknown_sources(r.legal_reference) == [], (r.code, unknown_sources(r.legal_reference))
        urls = [ref.url for ref in r.references if ref.url]
        assert urls and all(u.startswith(("https://", "http://")) for u in urls), r.code
        assert r.help_uri and r.help_uri.endswith(f"#{r.anchor}"), r.code
        assert r.anchor in r.help_uri and f"`{r.name}`" in r.doc
    new = {r.code for r in RULE_LIST if r.status == "preview"}
    assert {"SCS155", "SCS237", "SCS238", "SCS247"} <= new
    assert all(RULES[c].since != "0.1.0" for c in new)


def test_help_uri_follows_the_docs_url_setting(monkeypatch):
    monkeypatch.setenv("SCSLAB_DOCS_URL", "https://example.org/audit-rules.html")
    assert RULES["SCS201"].help_uri == "https://example.org/audit-rules.html#scs201-lawful-conduct-penalised"


def test_messages_are_sentences_and_keep_the_fix_apart():
    for rule in RULE_LIST:
        for f in run(rule, rule.bad).findings:
            assert not f.message[0].islower() and f.message.endswith("."), (rule.code, f.message)
            assert f.fix and f.fix[0].isupper() and f.fix.endswith("."), (rule.code, f.fix)
            assert f.fix not in f.message and "fix:" not in f.message.lower()


def test_select_all_as_in_ruff():
    assert select_rules(["ALL"]) == RULE_LIST == select_rules(["all"])
    assert select_rules(["ALL"], ["SCS3"]) == [r for r in RULE_LIST if not r.code.startswith("SCS3")]


def test_base_example_passes_every_rule():
    report = audit_text(BASE, "base.yaml")
    assert report.findings == []
    assert len(report.rules) == len(RULE_LIST)


@pytest.mark.parametrize("rule", RULE_LIST, ids=IDS)
def test_rule_fires_on_its_bad_example(rule):
    report = run(rule, rule.bad)
    assert report.findings, f"{rule.code} did not fire on its triggering example"
    text = example_text(rule.bad).splitlines()
    for f in report.findings:
        assert (f.code, f.name, f.severity, f.principle) == (rule.code, rule.name, rule.severity, rule.principle)
        assert f.file == f"{rule.code}.yaml"
        assert 1 <= f.line <= len(text) and f.column >= 1
        assert f.message and f.fix


@pytest.mark.parametrize("rule", RULE_LIST, ids=IDS)
def test_rule_silent_on_its_good_example(rule):
    report = run(rule, rule.good)
    assert report.findings == [], [str(f) for f in report.findings]


@pytest.mark.parametrize("rule", RULE_LIST, ids=IDS)
def test_examples_are_valid_rulebooks(rule):
    for frag in (rule.bad, rule.good):
        assert isinstance(yaml.safe_load(frag), dict)
        rulebook_from_dict(example_data(frag))  # raises if the merged example is not a valid rulebook


def test_finding_points_at_the_offending_line():
    text = example_text(RULES["SCS201"].bad)
    report = audit_text(text, "x.yaml", select=["SCS201"])
    (f,) = report.findings
    assert f.path == ("behaviours", 1, "points")
    lines = text.splitlines()
    # the reported line is the one holding petitioning's points, inside its behaviour
    assert "points" in lines[f.line - 1] or "-50" in lines[f.line - 1]
    assert "petitioning" in "\n".join(lines[max(0, f.line - 12): f.line])
    assert f.message == "Behaviour 'petitioning' (petitioning the authorities repeatedly) is lawful but costs 50 points."


def test_select_and_ignore():
    text = example_text(RULES["SCS201"].bad + RULES["SCS261"].bad)
    every = {f.code for f in audit_text(text, "x.yaml").findings}
    assert {"SCS201", "SCS261"} <= every
    assert {f.code for f in audit_text(text, "x.yaml", select=["SCS2"]).findings} == {c for c in every if c.startswith("SCS2")}
    assert "SCS201" not in {f.code for f in audit_text(text, "x.yaml", ignore=["SCS201"]).findings}
    assert {r.code for r in select_rules(["association"])} == {"SCS261", "SCS262"}
    assert {r.code for r in select_rules(["lawful-conduct-penalised"])} == {"SCS201"}
    assert select_rules(["SCS"], ["SCS3"]) == [r for r in RULE_LIST if not r.code.startswith("SCS3")]
    with pytest.raises(ValueError, match="SCS999"):
        select_rules(["SCS999"])


def test_merge_by_id_updates_and_appends():
    base = {"behaviours": [{"id": "a", "points": 1}], "x": {"y": 1, "z": 2}, "l": [1, 2]}
    out = merge(base, {"behaviours": [{"id": "a", "points": 2}, {"id": "b"}], "x": {"z": 3}, "l": [3]})
    assert out == {"behaviours": [{"id": "a", "points": 2}, {"id": "b"}], "x": {"y": 1, "z": 3}, "l": [3]}
    assert base["behaviours"][0]["points"] == 1  # the base is not modified


# -- properties over generated rulebooks -------------------------------------------------------

behaviour = st.fixed_dictionaries({
    "domain": st.sampled_from(DOMAINS),
    "legal_status": st.sampled_from(LEGAL_STATUSES),
    "points": st.integers(-100, 50),
    "social_value": st.floats(-1, 1),
    "evidence": st.sampled_from(["final_decision", "record", "report", "suspicion"]),
})
sanction = st.fixed_dictionaries({"sector": st.sampled_from(SECTORS), "grades": st.booleans()})


@st.composite
def rulebooks(draw):
    bs = draw(st.lists(behaviour, min_size=1, max_size=6))
    ss = draw(st.lists(sanction, min_size=0, max_size=4))
    data = yaml.safe_load(BASE)
    data["behaviours"] = [
        {"id": f"b{i}", "label": f"act {i}", "base_rate": 0.001, "utility": 0.1, "sources": ["traffic_court"], **b}
        for i, b in enumerate(bs)
    ]
    data["lists"][0]["trigger"]["behaviours"] = [f"b{i}" for i, b in enumerate(bs) if b["points"] < 0][:2] or ["b0"]
    data["sanctions"] = [
        {"id": f"s{i}", "sector": s["sector"], "magnitude": 1.0,
         "applies_to": {"grades": ["restricted"]} if s["grades"] else {"list": "disqualified_drivers"}}
        for i, s in enumerate(ss)
    ]
    data["network"] = {"association_penalty": draw(st.sampled_from([0.0, 0.5])),
                       "family_liability": draw(st.booleans())}
    return rulebook_from_dict(data)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rulebooks())
def test_audit_properties(rb):
    full = audit(rb)
    codes = {f.code for f in full.findings}
    assert codes <= set(RULES)
    # selection only filters: a selected subset finds exactly the full run's findings of those rules
    sub = audit(rb, select=["SCS2"])
    assert [f.message for f in sub.findings] == [f.message for f in full.findings if f.code.startswith("SCS2")]
    # a lawful behaviour that costs points is always reported
    if any(b.legal_status == "lawful" and b.points < 0 for b in rb.behaviours):
        assert "SCS201" in codes
    # every sanction without a legal basis is reported
    assert sum(f.code == "SCS202" for f in full.findings) == sum(not m.legal_basis for m in rb.sanctions)
    # the verdict never calls a system prohibited when neither (i) nor (ii) is met
    v = full.verdict
    met = {c.id: c.met for c in v.conditions}
    if "prohibited" in v.conclusion and "not prohibited" not in v.conclusion:
        assert met["i"] == "yes" or met["ii"] == "yes"
    if rb.network.family_liability or (rb.network.association_penalty > 0 and any(m.applies_to.grades for m in rb.sanctions)):
        assert met["ii"] == "yes"
    # lawful conduct that leads to a sanction is disproportionate detriment
    if any(b.legal_status == "lawful" and b.points < 0 for b in rb.behaviours) and any(m.applies_to.grades for m in rb.sanctions):
        assert met["ii"] == "yes"
