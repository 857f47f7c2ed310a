"""The catalog: SQL across complete run folders; incomplete ones skipped."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from scslab.store import Catalog, RunFolderError, RunWriter


def make_run(folder, seed: int, population: int = 10, steps: int = 3, extra: dict | None = None, finish=True):
    w = RunWriter(folder)
    w.write_manifest(
        {
            "rulebook": {"name": "rongcheng", "hash": f"h{seed}"},
            "seed": seed,
            "population": population,
            "steps": steps,
            "created": "2026-11-26T00:00:00Z",
            **(extra or {}),
        }
    )
    # mean_score = 100*seed + step, one row per step x municipality
    w.write_table(
        "steps",
        pd.DataFrame(
            {
                "step": np.repeat(np.arange(steps), 2),
                "municipality": ["north", "south"] * steps,
                "mean_score": 100.0 * seed + np.repeat(np.arange(steps), 2),
            }
        ),
    )
    w.write_table("citizens", {"citizen": np.arange(population), "score": np.full(population, seed)})
    if finish:
        w.finish()


@pytest.fixture
def root(tmp_path):
    make_run(tmp_path / "a", seed=1, population=10)
    make_run(tmp_path / "b", seed=2, population=20)
    make_run(tmp_path / "crashed", seed=3, finish=False)
    return tmp_path


def test_runs_view_flattens_the_manifest(root):
    with Catalog(root) as cat:
        runs = cat.sql("select * from runs order by run_id")
        assert list(runs.run_id) == ["a", "b"]
        assert list(runs.seed) == [1, 2]
        assert list(runs.rulebook_name) == ["rongcheng", "rongcheng"]
        assert list(runs.rulebook_hash) == ["h1", "h2"]
        assert list(runs.population) == [10, 20]
        assert runs.path[0] == str((root / "a").resolve())
        assert cat.skipped == [root / "crashed"]
        assert cat.tables == ["citizens", "steps"]


def test_sql_across_runs_gives_the_right_numbers(root):
    with Catalog(root) as cat:
        per_run = cat.sql(
            "select run_id, count(*) as n, sum(score) as total from citizens group by run_id order by run_id"
        )
        assert per_run.to_dict("list") == {"run_id": ["a", "b"], "n": [10, 20], "total": [10, 40]}
        # join with runs: the last step's mean score by seed
        last = cat.sql(
            "select r.seed, avg(s.mean_score) as m from steps s join runs r using (run_id) "
            "where s.step = r.steps - 1 group by r.seed order by r.seed"
        )
        assert last.m.tolist() == [102.0, 202.0]
        assert cat.sql("select count(*) as n from steps").n[0] == 12
        # nothing from the incomplete run leaks in
        assert cat.sql("select count(*) as n from steps where mean_score >= 300").n[0] == 0


def test_params(root):
    with Catalog(root) as cat:
        assert cat.sql("select run_id from runs where seed = ?", [2]).run_id.tolist() == ["b"]


def test_tables_missing_in_some_runs_and_differing_columns(tmp_path):
    make_run(tmp_path / "a", seed=1)
    w = RunWriter(tmp_path / "b")
    w.write_manifest({"seed": 2, "note": "no citizens table"})
    w.write_table("steps", {"step": [0], "municipality": ["x"], "mean_score": [5.0], "listed": [3]})
    w.write_table("events", {"step": [0], "kind": ["offence"]})
    w.finish()
    with Catalog(tmp_path) as cat:
        assert cat.tables == ["citizens", "events", "steps"]
        assert cat.sql("select distinct run_id from citizens").run_id.tolist() == ["a"]
        assert cat.sql("select distinct run_id from events").run_id.tolist() == ["b"]
        listed = cat.sql("select run_id, max(listed) as l from steps group by 1 order by 1")
        assert listed.run_id.tolist() == ["a", "b"]
        assert pd.isna(listed.l[0]) and listed.l[1] == 3
        runs = cat.sql("select run_id, note, rulebook_name from runs order by run_id")
        assert pd.isna(runs.note[0]) and runs.note[1] == "no citizens table"
        assert runs.rulebook_name[0] == "rongcheng" and pd.isna(runs.rulebook_name[1])


def test_nested_folders_and_explicit_lists(tmp_path):
    make_run(tmp_path / "sweep1" / "s1", seed=1)
    make_run(tmp_path / "sweep2" / "s1", seed=2)
    (tmp_path / ".hidden").mkdir()
    make_run(tmp_path / ".hidden" / "h", seed=9)
    with Catalog(tmp_path) as cat:
        assert cat.sql("select run_id from runs order by 1").run_id.tolist() == ["sweep1/s1", "sweep2/s1"]
    with Catalog([tmp_path / "sweep1" / "s1"]) as cat:
        assert cat.sql("select run_id, seed from runs").to_dict("list") == {"run_id": ["s1"], "seed": [1]}
    with pytest.raises(RunFolderError, match="unique"):
        Catalog([tmp_path / "sweep1" / "s1", tmp_path / "sweep2" / "s1"])
    with Catalog(tmp_path / "sweep2" / "s1") as cat:  # a run folder as root
        assert cat.run_ids == ["s1"]


def test_empty_root_and_missing_root(tmp_path):
    with Catalog(tmp_path) as cat:
        assert len(cat.sql("select * from runs")) == 0
        assert cat.tables == []
    with pytest.raises(RunFolderError, match="no such folder"):
        Catalog(tmp_path / "nope")


def test_mixed_types_in_a_manifest_field_become_text(tmp_path):
    make_run(tmp_path / "a", seed=1, extra={"label": 5, "tags": ["x", "y"]})
    make_run(tmp_path / "b", seed=2, extra={"label": "five"})
    with Catalog(tmp_path) as cat:
        runs = cat.sql("select label, tags from runs order by run_id")
        assert runs.label.tolist() == ["5", "five"]
        assert runs.tags[0] == '["x", "y"]'


def test_persisted_catalog(tmp_path):
    root = tmp_path / "runs"
    make_run(root / "a", seed=1)
    db = tmp_path / "cat.duckdb"
    Catalog(root, database=db).close()
    con = duckdb.connect(str(db))
    try:
        assert con.execute("select sum(score) from citizens").fetchall() == [(10,)]
    finally:
        con.close()
    # rebuilding after a run with a new table was added, and one table disappeared
    w = RunWriter(root / "a", overwrite=True)
    w.write_manifest({"seed": 1})
    w.write_table("events", {"x": [1, 2]})
    w.finish()
    with Catalog(root, database=db) as cat:
        assert cat.tables == ["events"]
        views = set(cat.sql("select table_name from information_schema.tables").table_name)
        assert "events" in views and "citizens" not in views and "steps" not in views
