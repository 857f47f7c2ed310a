"""The CLI as a new user meets it (issue 17): `--help` names values as a command line does,
`--version`, a hint instead of a table of n/a for `compare -k 1`, what `run --resume` says
of a finished run, and no empty progress bar above an error."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import typer.main
from typer.testing import CliRunner

import scslab
from scslab.cli import app

COMMANDS = sorted(typer.main.get_command(app).commands)


def _help(*args: str) -> str:
    out = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"}, color=False)
    assert out.exit_code == 0, out.output
    return out.output


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_shows_no_python_type_placeholders(command):
    text = _help(*([command] if command else []))
    assert not re.search(r"<(bool|int|str|float|path|list\[[a-z]+\])>", text), text
    assert not re.search(r"\{[a-z_]+\}", text), text  # the usage line's {rulebook}


def test_help_names_values_as_a_command_line_does():
    text = _help("run")
    assert "[RULEBOOK]" in text  # optional argument, in the usage line
    assert re.search(r"--population\s+-n\s+INTEGER", text)
    assert re.search(r"--off\s+TEXT", text)
    assert re.search(r"--overwrite\s+replace", text)  # a flag takes no value
    assert "PILOTS..." in _help("compare")


def test_version():
    for flag in ("--version", "-V"):
        out = CliRunner().invoke(app, [flag])
        assert out.exit_code == 0
        assert out.output.strip() == f"scslab {scslab.__version__}"


def test_compare_with_one_seed_is_refused_with_a_hint():
    out = CliRunner().invoke(app, ["compare", "rongcheng", "-k", "1", "-n", "200", "-t", "5"])
    assert out.exit_code == 2
    assert "--seeds 1 gives no verdicts" in out.output and "--seeds 2 or more" in out.output
    assert "C1" not in out.output  # no table


def _cli(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scslab", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600)


def test_resume_of_a_finished_run_says_there_is_nothing_to_resume(tmp_path):
    assert _cli("run", "rongcheng", "-n", "300", "-t", "3", "--out", "r", cwd=tmp_path).returncode == 0
    out = _cli("run", "--resume", "r", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    text = " ".join(out.stdout.split())
    assert "nothing to resume: r already holds a complete run (rongcheng: 300 citizens x 3 days, seed 0)" in text
    assert "resuming" not in text  # no progress bar of a resume that did nothing


def test_an_error_before_the_first_run_shows_no_empty_progress_bar(tmp_path):
    args = ["sweep", "rongcheng", "-p", "engine.w_virtue=1,2", "-d", "grid", "-N", "2", "-k", "2", "-n", "200",
            "-t", "3", "-w", "1", "-e", "serial", "--out", "sw"]
    assert _cli(*args, cwd=tmp_path).returncode == 0
    args[args.index("-n") + 1] = "300"  # another sweep into the same folder: refused
    out = _cli(*args, cwd=tmp_path)
    assert out.returncode == 2
    assert "holds a different sweep" in out.stderr
    assert "0/" not in out.stdout and "━" not in out.stdout, out.stdout
