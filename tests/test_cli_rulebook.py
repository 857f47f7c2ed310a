"""`scslab validate` and `scslab pilots`: exit codes, located messages, no tracebacks."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from scslab.cli import app
from scslab.pilots import PILOTS, load_pilot
from scslab.rulebook import parse_rulebook

runner = CliRunner()


def scslab(*args: str, cwd=None) -> subprocess.CompletedProcess:
    """The real entry point in a fresh interpreter (as a user runs it)."""
    return subprocess.run(
        [sys.executable, "-m", "scslab.cli", *args],
        capture_output=True, text=True, timeout=120, cwd=cwd,
    )


@pytest.mark.parametrize("name", PILOTS)
def test_validate_bundled_pilot_ok(name):
    r = runner.invoke(app, ["validate", name])
    assert r.exit_code == 0, r.output
    assert r.output.startswith(f"ok {name}:")
    assert "behaviours" in r.output


def test_validate_file_ok(tmp_path, mini_rulebook_yaml):
    p = tmp_path / "mini.yaml"
    p.write_text(mini_rulebook_yaml, encoding="utf-8")
    r = runner.invoke(app, ["validate", str(p)])
    assert r.exit_code == 0, r.output
    assert "ok" in r.output and "Minimal" in r.output


def test_validate_bad_file_exits_2_with_located_problems(tmp_path, mini_rulebook_yaml):
    p = tmp_path / "bad.yaml"
    p.write_text(
        mini_rulebook_yaml.replace("    points: -10", "    points: ten").replace("    kind: bank", "    knd: bank"),
        encoding="utf-8",
    )
    r = scslab("validate", str(p))
    out = r.stdout + r.stderr
    assert r.returncode == 2, out
    assert "Traceback" not in out
    assert f"{p}:19:13: behaviours[0].points: expected a number, got 'ten'" in r.stderr
    assert "unknown field 'knd'; did you mean 'kind'?" in r.stderr
    assert "3 problems found" in r.stderr


@pytest.mark.parametrize(
    "arg, expect",
    [
        ("no-such-file.yaml", "no such file"),
        ("rongchen", "did you mean 'rongcheng'?"),
    ],
)
def test_validate_missing_file_or_unknown_pilot(tmp_path, arg, expect):
    r = scslab("validate", arg, cwd=tmp_path)
    assert r.returncode == 2
    assert expect in r.stderr
    assert "Traceback" not in r.stdout + r.stderr


@pytest.mark.parametrize("content", [b"", b"\xff\xfe\x00garbage", b"- just\n- a list\n", b"a: [unclosed\n"])
def test_validate_garbage_exits_2_without_traceback(tmp_path, content):
    p = tmp_path / "junk.yaml"
    p.write_bytes(content)
    r = scslab("validate", str(p))
    assert r.returncode == 2
    assert "Traceback" not in r.stdout + r.stderr
    assert str(p) in r.stderr


def test_pilots_lists_every_pilot():
    r = runner.invoke(app, ["pilots"], terminal_width=200)
    assert r.exit_code == 0, r.output
    for name in PILOTS:
        assert name in r.output
    r = runner.invoke(app, ["pilots", "--names"])
    assert r.output.split() == list(PILOTS)


@pytest.mark.parametrize("name", PILOTS)
def test_pilots_export_revalidates(tmp_path, name):
    r = runner.invoke(app, ["pilots", "--export", name])
    assert r.exit_code == 0
    assert parse_rulebook(r.output, f"{name}.yaml") == load_pilot(name)
    p = tmp_path / f"{name}.yaml"
    p.write_text(r.output, encoding="utf-8")
    r = runner.invoke(app, ["validate", str(p)])
    assert r.exit_code == 0, r.output


def test_pilots_export_unknown_exits_2():
    r = runner.invoke(app, ["pilots", "--export", "atlantis"])
    assert r.exit_code == 2
    assert "no bundled pilot 'atlantis'" in r.output
