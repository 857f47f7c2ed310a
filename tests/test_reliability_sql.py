"""Issue 19: `runs --sql` is read-only over the catalog, with no file, network or extension
access, and `--database` never replaces a user's tables."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import numpy as np
import pytest
from typer.testing import CliRunner

from scslab.cli import app
from scslab.store import Catalog, RunFolderError, RunWriter, open_run
from scslab.store.catalog import QueryRefused


@pytest.fixture
def root(tmp_path):
    r = tmp_path / "runs"
    for seed in (1, 2):
        with RunWriter(r / f"run{seed}") as w:
            w.write_manifest({"rulebook": {"name": "r", "hash": "h"}, "seed": seed, "steps": 1})
            w.write_table("steps", {"step": [0], "mean_score": [1.0 * seed]})
            w.write_table("citizens", {"citizen": np.arange(3), "score": np.full(3, seed)})
    return r


def _snapshot(*folders: Path) -> dict[str, bytes]:
    out = {}
    for folder in folders:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                out[str(p)] = p.read_bytes()
    return out


def hostile(root: Path, tmp: Path) -> dict[str, str]:
    steps = root / "run1" / "steps.parquet"
    return {
        "read_text": "select * from read_text('/etc/passwd')",
        "read_blob": "select * from read_blob('/etc/hostname')",
        "glob": "select * from glob('/etc/*')",
        "file_scan": f"select * from '{steps}'",
        "read_parquet": f"select * from read_parquet('{steps}')",
        "read_csv": "select * from read_csv('/etc/passwd')",
        "copy_over_a_table": f"copy (select 1 as x) to '{steps}' (format parquet)",
        "copy_out": f"copy steps to '{tmp / 'out.csv'}'",
        "attach": f"attach '{tmp / 'x.duckdb'}' as x",
        "export": f"export database '{tmp / 'exported'}'",
        "install": "install httpfs",
        "load": "load httpfs",
        "http": "select * from read_csv('https://example.com/x.csv')",
        "set_access": "set enable_external_access = true",
        "set_lock": "set lock_configuration = false",
        "pragma": "pragma enable_profiling",
        "create": "create table t as select 1",
        "drop": "drop table runs",
        "insert": "insert into runs (run_id) values ('fake')",
        "two_statements": "select 1; select 2",
        "select_then_copy": f"select 1; copy (select 1) to '{tmp / 'y.csv'}'",
        "cte_read": "with a as (select * from read_text('/etc/passwd')) select count(*) from a",
        "subquery_read": "select (select count(*) from read_text('/etc/passwd')) as n",
        "python_variable": "select * from catalog",
    }


def test_every_hostile_query_is_refused_and_touches_nothing(root, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # DuckDB would spill into ./.tmp
    before = _snapshot(root)
    cases = hostile(root, tmp_path)
    with Catalog(root) as catalog:
        for name, query in cases.items():
            try:
                catalog.sql(query)
            except (duckdb.Error, QueryRefused):
                continue
            pytest.fail(f"{name} ran: {query}")
        # The catalog still answers ordinary queries
        assert catalog.sql("select sum(score)::bigint as s from citizens").s[0] == 9
        assert catalog.sql("select count(*) as n from runs").n[0] == 2
    assert _snapshot(root) == before
    assert sorted(os.listdir(tmp_path)) == ["runs"]
    assert open_run(root / "run1", verify=True).verify() == []


def test_cli_sql_refusals_are_one_line(root, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = _snapshot(root)
    for name, query in hostile(root, tmp_path).items():
        res = CliRunner().invoke(app, ["runs", str(root), "--sql", query])
        assert res.exit_code == 2, (name, res.output)
        assert res.output.startswith("error: SQL:") and "Traceback" not in res.output, (name, res.output)
        assert "root:" not in res.output  # not the password file
    assert _snapshot(root) == before
    assert sorted(os.listdir(tmp_path)) == ["runs"]


def test_read_only_queries_still_work(root):
    with Catalog(root) as cat:
        assert cat.sql("describe steps").column_name.tolist() == ["run_id", "step", "mean_score"]
        assert len(cat.sql("summarize citizens")) == 3
        assert len(cat.sql("explain select * from steps")) >= 1
        assert cat.sql("select run_id from steps where run_id = ? order by 1", ["run2"]).run_id.tolist() == ["run2"]
        got = cat.sql("with x as (select run_id, avg(score) m from citizens group by 1) select * from x order by 1")
        assert got.m.tolist() == [1.0, 2.0]


def test_database_never_replaces_a_users_tables(root, tmp_path):
    mine = tmp_path / "my.duckdb"
    con = duckdb.connect(str(mine))
    con.execute("create table runs as select 42 as answer")
    con.close()
    before = mine.read_bytes()
    res = CliRunner().invoke(app, ["runs", str(root), "--database", str(mine)])
    assert res.exit_code == 2 and "did not write" in res.output, res.output
    assert mine.read_bytes() == before
    con = duckdb.connect(str(mine), read_only=True)
    assert con.execute("select * from runs").fetchall() == [(42,)]
    con.close()
    # a file that is not a database, and a folder, are refused too
    (tmp_path / "text.duckdb").write_text("my notes")
    with pytest.raises(RunFolderError, match="not a DuckDB database"):
        Catalog(root, database=tmp_path / "text.duckdb")
    assert (tmp_path / "text.duckdb").read_text() == "my notes"
    with pytest.raises(RunFolderError, match="not a file"):
        Catalog(root, database=tmp_path)


def test_database_of_scslabs_own_is_replaced_whole(root, tmp_path):
    db = tmp_path / "cat.duckdb"
    Catalog(root, database=db).close()
    Catalog(root, database=db).close()  # a catalog scslab wrote: rebuilt
    con = duckdb.connect(str(db))
    assert con.execute("select count(*) from citizens").fetchall() == [(6,)]
    con.execute("create table notes as select 'mine' as x")  # the user adds a table of their own
    con.close()
    with pytest.raises(RunFolderError, match="notes"):
        Catalog(root, database=db)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select * from notes").fetchall() == [("mine",)]
    con.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cat.duckdb", "runs"]  # no temporary files left
