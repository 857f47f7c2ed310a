"""Issue 19: bad flags are refused before the engine is imported; text from a user's file
reaches the terminal escaped and cut."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from scslab.cli import app

DATA = Path(__file__).parent / "data"

# Each: arguments of `scslab`, and a piece of the one-line message.
REFUSALS = [
    (["run", "court-blacklist", "-n", "-5"], "--population must be in 1..2,000,000,000"),
    (["run", "court-blacklist", "-n", "3000000000"], "--population must be in"),
    (["run", "court-blacklist", "-t", "0"], "--steps must be in 1..36,500"),
    (["run", "court-blacklist", "--seed", "-1"], "--seed must be in"),
    (["run", "court-blacklist", "--ledger", "1.5"], "--ledger must be in 0..1"),
    (["run", "court-blacklist", "--ledger", "nan"], "--ledger must be in 0..1"),
    (["run", "court-blacklist", "-m", "0"], "--municipalities must be in"),
    (["run", "court-blacklist", "-m", "60", "-n", "50"], "more municipalities (60) than citizens"),
    (["run", "court-blacklist", "--checkpoint-every", "0"], "--checkpoint-every must be in"),
    (["run", "court-blacklist", "--off", "cod"], "--off takes law, market, norms, code"),
    (["run", "court-blacklist", "--out", "{users}"], "did not write"),
    (["run", "court-blacklist", "--out", "{done}"], "already holds a complete run"),
    (["run", "court-blacklist", "--resume", "{done}"], "leave out the rulebook"),
    (["run", "--resume", "{done}", "-n", "10"], "leave out --population"),
    (["run", "--resume", "{nowhere}"], "no such run folder"),
    (["run"], "give a rulebook"),
    (["run", "no-such-pilot"], "no-such-pilot"),
]

_PROBE = """
import json, sys
from typer.testing import CliRunner
from scslab.cli import app
out = []
for args in json.loads(sys.argv[1]):
    res = CliRunner().invoke(app, args)
    code, output = res.exit_code, res.output
    if type(res.exception).__name__ == "RulebookError":  # scslab.cli.main prints these, exit 2
        code, output = 2, str(res.exception)
    heavy = sorted(m for m in ("numba", "scslab.engine", "scslab.society", "pandas") if m in sys.modules)
    out.append({"code": code, "output": output, "heavy": heavy})
print(json.dumps(out))
"""


def test_bad_flags_are_refused_before_the_engine_is_imported(tmp_path):
    users = tmp_path / "users"
    users.mkdir()
    (users / "notes.txt").write_text("mine")
    done = tmp_path / "done"
    done.mkdir()
    from scslab.store import RunWriter

    with RunWriter(done) as w:
        w.write_manifest({"seed": 0})
    where = {"users": users, "done": done, "nowhere": tmp_path / "nowhere"}
    cases = [[a.format(**where) for a in args] for args, _ in REFUSALS]
    # One fresh interpreter for all: each case is run in turn, and the modules loaded checked
    # after each (the engine, numba, the society and pandas must not be among them).
    proc = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(cases)], capture_output=True, text=True,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for (args, needle), got in zip(REFUSALS, json.loads(proc.stdout), strict=True):
        assert got["code"] == 2, (args, got)
        assert needle in " ".join(got["output"].split()), (args, got["output"])
        assert "Traceback" not in got["output"]
        assert got["heavy"] == [], (args, got["heavy"])
    assert (users / "notes.txt").read_text() == "mine"


def test_the_clis_population_limit_is_the_societys():
    from scslab.cli.run_cmds import MAX_POPULATION, MAX_STEPS
    from scslab.engine.run import MAX_STEPS as ENGINE_MAX_STEPS
    from scslab.society.spec import MAX_N

    assert MAX_POPULATION == MAX_N and MAX_STEPS == ENGINE_MAX_STEPS


def _rulebook(tmp_path: Path, title: str, grade: str = "low") -> Path:
    text = (DATA / "mini.yaml").read_text(encoding="utf-8")
    text = text.replace("title: Minimal", f"title: {json.dumps(title)}").replace("{name: low,", f"{{name: {json.dumps(grade)},")
    f = tmp_path / "rb.yaml"
    f.write_text(text, encoding="utf-8")
    return f


def test_validate_escapes_terminal_control_characters(tmp_path):
    f = _rulebook(tmp_path, "\x1b[2J\x1b[31mPWNED [bold]x[/bold] \u202etxt.exe\x07\x9b", grade="\x1b[1mlo")
    res = CliRunner().invoke(app, ["validate", str(f)])
    assert res.exit_code == 0, res.output
    for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert raw not in res.output
    assert "\\x1b[2J\\x1b[31mPWNED [bold]x[/bold]" in res.output  # shown, escaped, not read as markup
    assert "\\u202e" in res.output and "\\x1b[1mlo" in res.output


def test_validate_cuts_a_huge_title(tmp_path):
    f = _rulebook(tmp_path, "A" * 2_000_000)
    res = CliRunner().invoke(app, ["validate", str(f)])
    assert res.exit_code == 0, res.output
    assert len(res.output) < 5_000 and "(2,000,000 characters)" in res.output


def test_runs_listing_escapes_manifest_text(tmp_path):
    from scslab.store import RunWriter

    with RunWriter(tmp_path / "r") as w:
        w.write_manifest({"rulebook": "\x1b]0;owned\x07evil", "seed": 1})
    res = CliRunner().invoke(app, ["runs", str(tmp_path)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "\x1b" not in res.output and "\\x1b]0;owned\\x07evil" in res.output
