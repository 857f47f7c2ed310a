"""Hostile YAML documents for the loader: one entry per attack, as bytes.

Shared by the hypothesis suite (tests/test_fuzz_*.py) and the atheris harness
(fuzz/fuzz_rulebook.py, which also uses them as its seed corpus). Each document must be
either accepted or refused with a located RulebookError: never a traceback, a hang or
unbounded memory.
"""

from __future__ import annotations

from pathlib import Path

# A small valid rulebook (block style); the mutations below start from it.
# (shared with tests/conftest.py, so the two cannot drift apart)
VALID = (Path(__file__).resolve().parent.parent / "tests" / "data" / "mini.yaml").read_text(encoding="utf-8")


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    """The classic alias bomb: width**levels leaves from a few hundred bytes."""
    lines = ["l0: &l0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def merge_bomb(levels: int = 12) -> str:
    """Merge keys that double the work at each level."""
    lines = ["m0: &m0 {a: 1, b: [1, 2, 3, 4, 5, 6, 7, 8]}"]
    for i in range(1, levels + 1):
        lines.append(f"m{i}: &m{i} {{<<: [*m{i - 1}], x{i}: [*m{i - 1}, *m{i - 1}]}}")
    return "\n".join(lines) + "\n"


def _replace(old: str, new: str) -> str:
    assert old in VALID, old
    return VALID.replace(old, new, 1)


def documents() -> dict[str, bytes]:
    """name -> document bytes. Large ones are built here, not stored."""
    v = VALID
    docs: dict[str, str | bytes] = {
        # empty and degenerate
        "empty": "",
        "whitespace": " \n\t\n  ",
        "comment_only": "# nothing here\n",
        "null": "~\n",
        "scalar": "just text\n",
        "list_top": "- 1\n- 2\n",
        "truncated_half": v[: len(v) // 2],
        "truncated_mid_token": v[: v.index("contractual") + 4],
        "two_documents": v + "---\n" + v,
        "document_end_only": "...\n",
        # bytes and characters
        "nul_byte": b"metadata:\x00\n",
        "not_utf8": b"metadata:\n  name: \xff\xfe\xfa\n",
        "latin1": v.replace("Minimal", "Minimal caf\xe9").encode("latin-1"),
        "utf16": v.encode("utf-16"),
        "utf8_bom": "\ufeff" + v,
        "control_char": _replace("Minimal", "Mini\x07mal"),
        "escaped_controls": _replace("Minimal", '"Mini\\x07\\0mal"'),
        "bad_escape": _replace("Minimal", '"\\ud800"'),
        "tab_indent": _replace("  name: mini", "\tname: mini"),
        "tabs_everywhere": v.replace("  ", "\t"),
        "crlf": v.replace("\n", "\r\n"),
        "cr_only": v.replace("\n", "\r"),
        "unicode_line_sep": _replace("Minimal", "Mini\u2028mal"),
        "rtl_override": _replace("name: mini", "name: mi\u202eni"),
        "emoji_id": _replace("id: a\n", "id: \U0001f600\n"),
        # syntax
        "unclosed_flow": "scale: {base: 50, min: 0\n",
        "unclosed_quote": 'metadata: {title: "abc\n',
        "bad_indent": "metadata:\n  name: x\n   title: y\n",
        "colon_soup": ":::\n: : :\n",
        "undefined_alias": "metadata: *nowhere\n",
        "anchor_only": "metadata: &a\n",
        "bad_directive": "%YAML 9.9\n---\na: 1\n",
        "unknown_directive": "%FOO bar\n---\n" + v,
        "complex_key": "? [a, b]\n: 1\n",
        "mapping_key": "{a: 1}: 2\n",
        "null_key": "~: 1\n" + v,
        "bool_key": "yes: 1\n" + v,
        "int_key_coverage": _replace("coverage: {default: 0.9}", "coverage: {1: 0.9, default: 0.9}"),
        "duplicate_top_key": v + "scale: {base: 1, min: 0, max: 2}\n",
        "duplicate_flow_key": _replace("scale: {base: 50,", "scale: {base: 50, base: 51,"),
        "duplicate_after_merge": "x: &x {a: 1}\nm: {<<: *x, b: 2, b: 3}\n",
        # tags
        "python_object": "metadata: !!python/object:os.system {}\n",
        "python_apply": "metadata: !!python/object/apply:os.system ['echo pwned']\n",
        "python_name": "metadata: !!python/name:os.system ''\n",
        "python_module": "metadata: !!python/module:os ''\n",
        "local_tag": "metadata: !foo bar\n",
        "binary_tag": "metadata: !!binary aGVsbG8=\n",
        "set_tag": "metadata: !!set {a, b}\n",
        "omap_tag": "metadata: !!omap [{a: 1}]\n",
        "str_tag_on_number": _replace("points: -10", "points: !!str -10"),
        "float_tag_on_text": _replace("points: -10", "points: !!float abc"),
        "int_tag_on_float": _replace("points: -10", "points: !!int 1.5"),
        "timestamp_tag": _replace("effective: 2020-01-01", "effective: !!timestamp nonsense"),
        "timestamp_tag_on_key": "metadata: {!!timestamp <<:!5}\n",  # found by atheris
        "nan_key": "metadata: {.nan: 1}\n",
        "empty_float_tag": "!!float \n",  # found by atheris
        "empty_tags": "metadata: {a: !!int , b: !!bool , c: !!timestamp , d: !!null x, e: !!float ''}\n",
        # anchors, aliases, merges
        "self_alias_seq": "&a [*a]\n",
        "self_alias_map": "metadata: &m\n  name: *m\n",
        "self_merge": "metadata: &m\n  <<: *m\n",
        "mutual_alias": "a: &a [&b [*a]]\n",
        "billion_laughs": billion_laughs(),
        "billion_laughs_wide": billion_laughs(levels=4, width=200),
        "merge_bomb": merge_bomb(),
        "merge_override": "base: &b {base: 50, min: 0, max: 10}\n" + _replace("scale: {base: 50, min: 0, max: 100}", "scale: {<<: *b, max: 100}"),
        "merge_scalar": "metadata: {<<: 5}\n",
        "merge_list_of_scalars": "metadata: {<<: [1, 2]}\n",
        "alias_as_key": "k: &k name\nmetadata: {*k : x}\n",
        "anchor_reuse": "a: &x 1\nb: &x 2\nc: *x\n",
        "value_key": "=: 1\n",
        # numbers
        "nan": _replace("points: -10", "points: .nan"),
        "inf": _replace("points: -10", "points: -.inf"),
        "nan_in_coverage": _replace("{default: 0.9}", "{default: .NaN}"),
        "huge_float": _replace("points: -10", "points: 1.0e400"),
        "huge_int": _replace("points: -10", "points: " + "9" * 5000),
        "huge_hex": _replace("points: -10", "points: 0x" + "f" * 200),
        "long_int_20": _replace("points: -10", "points: 99999999999999999999"),
        "tiny_float": _replace("points: -10", "points: 1.0e-320"),
        "negative_zero": _replace("points: -10", "points: -0.0"),
        "sexagesimal": _replace("points: -10", "points: -1:30:00"),
        "octal": _replace("points: -10", "points: 0o17"),
        "underscore_int": _replace("points: -10", "points: -1_000"),
        "bool_for_number": _replace("points: -10", "points: yes"),
        "quoted_number": _replace("points: -10", "points: '-10'"),
        "huge_days": _replace("duration_days: 365", "duration_days: 100000000000000"),
        "negative_days": _replace("duration_days: 365", "duration_days: -1"),
        "float_days": _replace("duration_days: 365", "duration_days: 1.5"),
        "rate_above_one": _replace("base_rate: 0.001", "base_rate: 1.5"),
        "scale_inverted": _replace("scale: {base: 50, min: 0, max: 100}", "scale: {base: 50, min: 100, max: 0}"),
        "scale_huge": _replace("scale: {base: 50, min: 0, max: 100}", "scale: {base: 0, min: -1.0e300, max: 1.0e300}"),
        # dates
        "bad_date": _replace("effective: 2020-01-01", "effective: 2020-02-31"),
        "year_zero": _replace("effective: 2020-01-01", "effective: 0000-01-01"),
        "datetime": _replace("effective: 2020-01-01", "effective: 2020-01-01T10:00:00Z"),
        "five_digit_year": _replace("effective: 2020-01-01", "effective: 99999-01-01"),
        # wrong shapes
        "list_for_mapping": _replace("scale: {base: 50, min: 0, max: 100}", "scale: [50, 0, 100]"),
        "mapping_for_list": _replace("sources: [bank]", "sources: {bank: 1}"),
        "null_everywhere": "metadata: ~\nscale: ~\ngrades: ~\nbehaviours: ~\n",
        "empty_grades": v.replace("  - {name: low, min: 0, max: 40}\n  - {name: high, min: 40, max: 100}\n", "").replace("grades:\n", "grades: []\n"),
        "unknown_fields": _replace("  - id: a\n", "  - id: a\n    pointz: 3\n    zzz: {deep: [1, 2]}\n"),
        "dangling_refs": _replace("sources: [bank]", "sources: [nobody]"),
        "string_for_bool": _replace("    kind: bank\n", "    kind: bank\n    adjudicated: 'true'\n"),
        # sizes
        "deep_flow_seq": "[" * 5000 + "]" * 5000,
        "deep_flow_map": "{a: " * 3000 + "1" + "}" * 3000,
        "deep_block": "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "x\n",
        "deep_70": "metadata:\n" + "".join("  " * i + "- \n" for i in range(1, 70)),
        "many_keys": "\n".join(f"k{i}: {i}" for i in range(250_000)) + "\n",
        "flat_list": "[" + "1," * 2_000_000 + "]\n",
        "huge_string": _replace("title: Minimal", "title: " + "x" * 4_000_000),
        "over_size_limit": "# " + "x" * 5_100_000 + "\n" + v,
        "long_key": "k" * 100_000 + ": 1\n",
        "long_id": _replace("id: a\n", "id: a" + "b" * 10_000 + "\n"),
        "many_behaviours": v + "".join(
            f"  - {{id: b{i}, domain: finance, legal_status: lawful, points: 1, social_value: 0,"
            f" utility: 0, base_rate: 0.001, sources: [bank]}}\n" for i in range(800)
        ).replace("  - {id: b0", "extra:\n  - {id: b0", 1),
    }
    return {k: (x if isinstance(x, bytes) else x.encode("utf-8")) for k, x in docs.items()}


# The documents that attack time or memory: the tests measure these in a subprocess.
BOMBS = ("billion_laughs", "billion_laughs_wide", "merge_bomb", "many_keys", "flat_list",
         "huge_string", "huge_int", "deep_flow_seq", "deep_flow_map", "over_size_limit", "long_key")
