"""The relatedness map (domains -> related sectors): shipped, overridable, validated."""

from __future__ import annotations

import pytest

from scslab.audit import RULES, audit_text, load_relatedness
from scslab.audit.examples import example_text
from scslab.audit.relatedness import default_relatedness, parse_relatedness
from scslab.rulebook import RulebookError
from scslab.rulebook.schema import DOMAINS, SECTORS


def test_shipped_map_covers_every_domain_with_known_sectors():
    rel = default_relatedness()
    assert set(rel) == set(DOMAINS)
    assert all(s in SECTORS for v in rel.values() for s in v)
    assert {"loans", "mortgages", "insurance"} <= rel["finance"]
    assert "driving_licences" in rel["traffic"]
    assert rel["political"] == frozenset()


def test_user_file_replaces_the_domains_it_names(tmp_path):
    p = tmp_path / "rel.yaml"
    p.write_text("traffic: [driving_licences, schools]\n")
    rel = load_relatedness(p)
    assert rel["traffic"] == {"driving_licences", "schools"}
    assert rel["finance"] == default_relatedness()["finance"]
    # the override changes the verdict of the cross-context rule
    text = example_text(RULES["SCS301"].bad)  # a school ban for speeding
    assert audit_text(text, "x.yaml", select=["SCS301"]).findings
    assert not audit_text(text, "x.yaml", select=["SCS301"], relatedness=rel).findings


@pytest.mark.parametrize("text, where, what", [
    ("finanse: [loans]\n", "1:1", "unknown domain 'finanse'"),
    ("finance: [loans, rockets]\n", "1:18", "unknown sector 'rockets'"),
    ("finance: loans\n", "1:10", "expected a list"),
    ("- finance\n", "1:1", "expected a mapping"),
    ("finance: [loans\n", "", "YAML syntax"),
])
def test_bad_files_give_located_problems(text, where, what):
    with pytest.raises(RulebookError) as e:
        parse_relatedness(text, "rel.yaml")
    msg = str(e.value)
    assert what in msg and msg.startswith("rel.yaml:")
    assert where in msg


def test_missing_file(tmp_path):
    with pytest.raises(RulebookError, match="cannot read relatedness file"):
        load_relatedness(tmp_path / "nope.yaml")
