"""Loading rulebooks: round trips, and every problem reported where it is, in the user's terms."""

from __future__ import annotations

import re

import pytest

from scslab.pilots import PILOTS, load_pilot
from scslab.rulebook import (
    Rulebook,
    RulebookError,
    dump_rulebook,
    load_rulebook,
    parse_rulebook,
    rulebook_from_dict,
)
from scslab.rulebook.errors import Problem

LOCATED = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<path>\S+): (?P<msg>.+)$")


def problems(text: str, name: str = "pilot.yaml") -> list[Problem]:
    with pytest.raises(RulebookError) as ei:
        parse_rulebook(text, name)
    ps = ei.value.problems
    assert ps, "a RulebookError must carry at least one problem"
    for p in ps:
        assert LOCATED.match(str(p)), str(p)
    return ps


def position(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """1-based line and column of the nth occurrence of needle in text."""
    i = -1
    for _ in range(nth + 1):
        i = text.index(needle, i + 1)
    line = text.count("\n", 0, i) + 1
    col = i - (text.rfind("\n", 0, i) + 1) + 1
    return line, col


# ---------------------------------------------------------------- round trips


@pytest.mark.parametrize("name", PILOTS)
def test_pilot_yaml_model_yaml_round_trip(name):
    rb = load_pilot(name)
    text = dump_rulebook(rb)
    again = parse_rulebook(text, f"{name}-dumped.yaml")
    assert again == rb
    assert dump_rulebook(again) == text


def test_mini_round_trip_and_dict_entry_point(mini_rulebook_yaml):
    rb = parse_rulebook(mini_rulebook_yaml, "mini.yaml")
    assert isinstance(rb, Rulebook)
    assert parse_rulebook(dump_rulebook(rb)) == rb
    assert rulebook_from_dict(rb.model_dump()) == rb


def test_load_from_file_and_bytes(tmp_path, mini_rulebook_yaml):
    p = tmp_path / "mini.yaml"
    p.write_bytes(b"\xef\xbb\xbf" + mini_rulebook_yaml.encode())  # a BOM is tolerated
    assert load_rulebook(p).metadata.name == "mini"
    assert parse_rulebook(mini_rulebook_yaml.encode()).metadata.name == "mini"


# ---------------------------------------------------------------- located problems


def test_wrong_type_is_located_in_the_documented_form(mini_rulebook_yaml):
    # four behaviours, the fourth with points 'ten': the example of the issue
    block = mini_rulebook_yaml.split("behaviours:\n", 1)[1].split("lists:", 1)[0]
    more = "".join(block.replace("id: a", f"id: b{i}") for i in range(1, 4)).replace(
        "points: -10", "points: ten"
    )
    # only the last copy keeps 'ten'
    more = more.replace("points: ten", "points: -10", 2)
    text = mini_rulebook_yaml.replace("lists:", more + "lists:")
    ps = problems(text)
    assert len(ps) == 1
    line, col = position(text, "ten")
    assert str(ps[0]) == f"pilot.yaml:{line}:{col}: behaviours[3].points: expected a number, got 'ten'"


def test_quoted_number_is_text_not_a_number(mini_rulebook_yaml):
    text = mini_rulebook_yaml.replace("magnitude: 1}", 'magnitude: "1"}')
    (p,) = problems(text)
    assert p.path == ("sanctions", 0, "magnitude")
    assert (p.line, p.column) == position(text, '"1"}')
    assert p.message == "expected a number, got '1'"


def test_unknown_field_suggests_the_right_one(mini_rulebook_yaml):
    text = mini_rulebook_yaml.replace("    social_value:", "    socal_value:")
    ps = problems(text)
    unknown = [p for p in ps if "unknown field" in p.message]
    assert len(unknown) == 1
    assert unknown[0].message == "unknown field 'socal_value'; did you mean 'social_value'?"
    assert (unknown[0].line, unknown[0].column) == position(text, "socal_value")
    # the renamed field is now also missing, reported at its mapping
    assert any(p.message == "required field is missing" and p.path[-1] == "social_value" for p in ps)


def test_unknown_field_without_a_close_match_lists_the_allowed_ones(mini_rulebook_yaml):
    text = mini_rulebook_yaml.replace("scale: {", "scale: {zzz: 1, ")
    (p,) = problems(text)
    assert p.message.startswith("unknown field 'zzz'; allowed: ")
    assert "base" in p.message and "max" in p.message


def test_duplicate_key_names_both_lines(mini_rulebook_yaml):
    text = mini_rulebook_yaml.replace("  title: Minimal\n", "  title: Minimal\n  title: Again\n")
    (p,) = problems(text)
    first, _ = position(text, "title:")
    second, col = position(text, "title:", 1)
    assert (p.line, p.column) == (second, col)
    assert p.message == f"duplicate key 'title' (first at line {first})"


def test_duplicate_key_in_a_flow_mapping(mini_rulebook_yaml):
    text = mini_rulebook_yaml.replace("{base: 50,", "{base: 50, base: 60,")
    (p,) = problems(text)
    assert "duplicate key 'base'" in p.message
    assert (p.line, p.column) == position(text, "base", 1)


def test_grade_overlap(mini_rulebook_yaml):
    text = mini_rulebook_yaml.replace("{name: high, min: 40", "{name: high, min: 30")
    (p,) = problems(text)
    assert p.path == ("grades", 1, "min")
    assert "overlapping 'low'" in p.message
    assert (p.line, p.column) == position(text, "30")


def test_grade_gap_and_edges(mini_rulebook_yaml):
    text = mini_rulebook_yaml.replace("{name: low, min: 0, max: 40}", "{name: low, min: 5, max: 35}")
    ps = problems(text)
    msgs = [p.message for p in ps]
    assert any("gap between grade 'low' (ends 35) and 'high' (starts 40)" == m for m in msgs)
    assert any("not at scale min 0" in m for m in msgs)
    text = mini_rulebook_yaml.replace("{name: high, min: 40, max: 100}", "{name: high, min: 40, max: 90}")
    (p,) = problems(text)
    assert "highest grade ends at 90" in p.message


@pytest.mark.parametrize(
    "old, new, path, message",
    [
        ("sources: [bank]", "sources: [bnk]", ("behaviours", 0, "sources", 0),
         "behaviour 'a' names data source 'bnk', which is not defined; did you mean 'bank'?"),
        ("{list: bad}", "{list: bda}", ("sanctions", 0, "applies_to", "list"),
         "sanction 's1' applies to list 'bda', which is not defined; did you mean 'bad'?"),
        ("{list: bad}", "{grades: [hihg]}", ("sanctions", 0, "applies_to", "grades", 0),
         "sanction 's1' names grade 'hihg', which is not defined; did you mean 'high'?"),
        ("{score_below: 40}", "{behaviours: [b]}", ("lists", 0, "trigger", "behaviours", 0),
         "list 'bad' is triggered by behaviour 'b', which is not defined"),
        ("    sources: [bank]\n", "    sources: [bank]\n    source: rc-standard\n", ("behaviours", 0, "source"),
         "source 'rc-standard' is not in metadata.references (or write 'illustrative')"),
    ],
)
def test_undefined_references(mini_rulebook_yaml, old, new, path, message):
    text = mini_rulebook_yaml.replace(old, new)
    (p,) = problems(text)
    assert p.path == path
    assert p.message == message
    assert p.line == position(text, new.strip().split("\n")[-1].strip())[0]


def test_several_problems_are_reported_at_once_in_file_order(mini_rulebook_yaml):
    text = (
        mini_rulebook_yaml.replace("    points: -10", "    points: ten")
        .replace("    kind: bank", "    knd: bank")
        .replace("  version: \"1\"", "  version: 1")
        .replace("magnitude: 1}", "magnitude: -1}")
    )
    ps = problems(text)
    assert len(ps) >= 4
    assert [p.line for p in ps] == sorted(p.line for p in ps)
    paths = {p.path for p in ps}
    assert ("behaviours", 0, "points") in paths
    assert ("data_sources", 0, "knd") in paths
    assert ("metadata", "version") in paths
    assert ("sanctions", 0, "magnitude") in paths
    # the error's text lists them all, one per line
    err = RulebookError(ps)
    assert str(err).count("\n") == len(ps) - 1


def test_several_cross_reference_problems_at_once(mini_rulebook_yaml):
    text = (
        mini_rulebook_yaml.replace("sources: [bank]", "sources: [bnk]")
        .replace("{list: bad}", "{list: bda}")
        .replace("max: 40}", "max: 35}")
    )
    assert len(problems(text)) == 3


@pytest.mark.parametrize(
    "text, fragment, line",
    [
        ("", "empty", 1),
        ("   \n# only a comment\n", "empty", 1),
        ("- a\n- b\n", "expected a rulebook mapping", 1),
        ("metadata: {name: x\nscale: 1\n", "YAML syntax", 2),
        ("metadata:\n\tname: x\n", "YAML syntax", 2),
        ("a: !!python/object:os.system {}\n", "", 1),
        ("a: 2020-02-31\n", "bad value", 1),
        ("a: &x [*x]\n", "", 1),
    ],
)
def test_malformed_documents(text, fragment, line):
    ps = problems(text)
    assert ps[0].line == line
    assert fragment in ps[0].message


def test_not_utf8_is_located():
    ps = problems(b"metadata:\n  name: \xff\xfe\n")
    assert ps[0].line == 2 and "not UTF-8" in ps[0].message


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(RulebookError) as ei:
        load_rulebook(tmp_path / "nope.yaml")
    (p,) = ei.value.problems
    assert p.message == "no such file" and str(p).endswith("nope.yaml: no such file")
    with pytest.raises(RulebookError) as ei:
        load_rulebook(tmp_path)
    assert "directory" in ei.value.problems[0].message


def test_control_character_is_located(mini_rulebook_yaml):
    text = mini_rulebook_yaml.replace("title: Minimal", "title: Mini\x1emal")
    (p,) = problems(text)
    assert (p.line, p.column) == position(text, "\x1e")
    assert p.message.startswith("character #x001e is not allowed") and "\n" not in p.message


def test_unquoted_date_or_number_where_text_is_expected(mini_rulebook_yaml):
    text = mini_rulebook_yaml.replace('version: "1"', "version: 2020-01-01")
    (p,) = problems(text)
    assert p.message == "expected text, got a date (2020-01-01); put it in quotes to make it text"
    text = mini_rulebook_yaml.replace('version: "1"', "version: 1.5")
    (p,) = problems(text)
    assert p.message == "expected text, got 1.5; put it in quotes to make it text"


@pytest.mark.parametrize("value, message", [
    ("[1]", "expected at least 2 items, got 1"),
    ("[-20, -10, 0]", "expected at most 2 items, got 3"),
])
def test_points_range_length(mini_rulebook_yaml, value, message):
    text = mini_rulebook_yaml.replace("    sources: [bank]\n", f"    sources: [bank]\n    points_range: {value}\n")
    (p,) = problems(text)
    assert p.path == ("behaviours", 0, "points_range") and p.message == message


def test_too_long_grade_name(mini_rulebook_yaml):
    text = mini_rulebook_yaml.replace("{name: low,", "{name: " + "x" * 20 + ",")
    (p,) = problems(text)
    assert p.message == "too long: at most 16 characters, got 20"
