"""The README's examples run as written: every command of its usage block, in order, then its
Python block, in a scratch copy of the layout a user has (the repository's folder)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def usage_commands() -> list[str]:
    block = README.split("## Using it", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip().startswith(".venv/bin/")]


def python_block() -> str:
    return README.split("## Using it", 1)[1].split("```python", 1)[1].split("```", 1)[0]


@pytest.mark.slow
def test_readme_usage_runs_as_written(tmp_path):
    scslab = Path(sys.executable).with_name("scslab")
    assert scslab.exists(), "scslab is not installed in this environment"
    env = {**os.environ, "COLUMNS": "120"}
    cmds = usage_commands()
    assert len(cmds) >= 10
    for cmd in cmds:
        line = cmd.replace(".venv/bin/scslab", shlex.quote(str(scslab)), 1)
        r = subprocess.run(line, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True,  # noqa: S602
                           timeout=900)
        # `audit` exits 1 when the rulebook fails (its exit status is for CI): that is its answer.
        ok = (0, 1) if " audit " in cmd else (0,)
        assert r.returncode in ok and "Traceback" not in r.stderr, f"{cmd}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    code = python_block()
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec(compile(code, "README.md python block", "exec"), {"__name__": "__main__"})  # noqa: S102
    finally:
        os.chdir(here)
    assert (tmp_path / "runs" / "mine-from-python" / "COMPLETE").is_file()


def test_readme_links_point_at_files():
    for target in re.findall(r"\]\(((?:docs|benchmarks)/[^)#]+)\)", README):
        assert (ROOT / target).exists(), target
