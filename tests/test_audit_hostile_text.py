"""A rulebook whose names and labels hold rich markup, HTML or terminal control characters:
the audit's text report shows them as text (escaped control characters, markup printed
literally) and its HTML section escapes them; nothing reaches the terminal raw."""

from __future__ import annotations

import subprocess
import sys

HOSTILE = r'''metadata:
  name: hostile
  title: "\e[2J[red]Evil[/red] <script>alert(1)</script>"
  jurisdiction: "[bold]nowhere</td>"
  version: "1"
  effective: 2020-01-01
scale: {base: 50, min: 0, max: 100}
grades:
  - {name: "[red]low", min: 0, max: 40}
  - {name: "<b>high", min: 40, max: 100}
data_sources:
  - {id: bank, kind: bank, coverage: {default: 0.9}}
behaviours:
  - id: a
    label: "[link=http://x]click[/link] <img src=x onerror=alert(1)> \e[31mred\u202eevil"
    domain: political
    legal_status: lawful
    points: -10
    social_value: -0.3
    utility: 0.3
    base_rate: 0.001
    sources: [bank]
lists:
  - {id: bad, kind: blacklist, trigger: {score_below: 40}, duration_days: 365, legal_basis: "[/] <script>x</script>"}
sanctions:
  - {id: s1, sector: loans, applies_to: {list: bad}, magnitude: 1, legal_basis: "[bold]law[/bold]"}
  - {id: s2, sector: rail, applies_to: {grades: ["[red]low"]}, magnitude: 1, label: "<script>s2</script>"}
'''


def test_text_report_escapes_control_characters_and_prints_markup_literally(tmp_path):
    path = tmp_path / "hostile.yaml"
    path.write_text(HOSTILE, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "scslab", "audit", str(path)], capture_output=True, text=True)
    assert out.returncode in (0, 1), out.stderr
    text = out.stdout
    assert "\x1b" not in text and "\u202e" not in text
    assert r"\x1b[31mred\u202eevil" in text  # shown, escaped
    assert "[link=http://x]click[/link] <img src=x onerror=alert(1)>" in text  # markup as text
    assert "on grade(s) [red]low" in text


def test_html_section_escapes_markup_and_html(tmp_path):
    from scslab.audit import report_sections

    path = tmp_path / "hostile.yaml"
    path.write_text(HOSTILE, encoding="utf-8")
    page = "".join(html for _, html in report_sections([str(path)]))
    assert "<script>" not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
