"""docs/rulebook-reference.md is generated from the schema and must match it."""

from __future__ import annotations

from pathlib import Path

from scslab.rulebook import reference
from scslab.rulebook.schema import Rulebook

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "docs" / "rulebook-reference.md"


def test_committed_reference_matches_the_schema():
    assert COMMITTED.exists(), "run: python -m scslab.rulebook.reference"
    assert COMMITTED.read_text(encoding="utf-8") == reference.render(), (
        "docs/rulebook-reference.md is out of date; run: python -m scslab.rulebook.reference"
    )


def test_every_model_and_field_is_documented():
    text = reference.render()
    models = reference.models_in_order(Rulebook)
    assert models[0] is Rulebook
    for cls in models:
        assert f"## {cls.__name__}\n" in text
        section = text.split(f"## {cls.__name__}\n", 1)[1].split("\n## ", 1)[0]
        for name, info in cls.model_fields.items():
            row = next(line for line in section.splitlines() if line.startswith(f"| `{name}` |"))
            cells = [c.strip() for c in row.strip("|").split(" | ")]
            assert len(cells) == 5, row
            assert cells[2] == " ".join((info.description or "").split())
            assert cells[3]  # a default or 'required'


def test_ranges_and_choices_are_shown():
    text = reference.render()
    assert "| `base_rate` | number | acts per citizen per day with no scoring system | required | [0, 1] |" in text
    assert "`final_decision`, `record`, `report`, `suspicion`" in text
    assert "(0, 36500]" in text  # half-lives exclude 0
    assert "| `duration_days` | whole number or null |" in text and "required (may be null)" in text


def test_main_writes_atomically_and_checks(tmp_path, capsys):
    out = tmp_path / "ref.md"
    assert reference.main(["--check", "--output", str(out)]) == 1  # missing file
    assert reference.main(["--output", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == reference.render()
    assert [p.name for p in tmp_path.iterdir()] == ["ref.md"]  # no temporary file left behind
    assert reference.main(["--check", "--output", str(out)]) == 0
    out.write_text("stale\n", encoding="utf-8")
    assert reference.main(["--check", "--output", str(out)]) == 1
    capsys.readouterr()
