"""`scslab runs`: listing and querying run folders from the command line."""

from __future__ import annotations

from typer.testing import CliRunner

from scslab.cli import app
from scslab.store import RunWriter


def make_runs(root):
    for seed in (1, 2):
        with RunWriter(root / f"run{seed}") as w:
            w.write_manifest({"rulebook": {"name": "rongcheng", "hash": "f" * 64}, "seed": seed, "steps": 2})
            w.write_table("citizens", {"citizen": [0, 1, 2], "score": [seed * 10] * 3})
    RunWriter(root / "unfinished")


def test_lists_runs(tmp_path):
    make_runs(tmp_path)
    res = CliRunner().invoke(app, ["runs", str(tmp_path)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "run1" in res.output and "run2" in res.output and "rongcheng" in res.output
    assert "2 complete runs, 1 incomplete skipped" in res.output


def test_sql_query(tmp_path):
    make_runs(tmp_path)
    res = CliRunner().invoke(
        app,
        ["runs", str(tmp_path), "--csv", "--sql", "select run_id, sum(score)::bigint as total from citizens group by 1 order by 1"],
    )
    assert res.exit_code == 0, res.output
    assert "run_id,total\nrun1,30\nrun2,60\n" in res.output


def test_user_errors_exit_2(tmp_path):
    make_runs(tmp_path)
    res = CliRunner().invoke(app, ["runs", str(tmp_path), "--sql", "select nope from citizens"])
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    res = CliRunner().invoke(app, ["runs", str(tmp_path / "missing")])
    assert res.exit_code == 2
