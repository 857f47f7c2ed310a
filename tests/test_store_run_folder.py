"""Run folders: written whole or marked incomplete, refused when incomplete, verifiable."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scslab.store import (
    IncompleteRunError,
    RunExistsError,
    RunFolderError,
    RunWriter,
    open_run,
    validate_table_name,
)
from scslab.store.run_folder import COMPLETE, INCOMPLETE, MANIFEST

MANIFEST_DATA = {
    "rulebook": {"name": "rongcheng", "hash": "ab" * 32},
    "seed": 7,
    "population": 100,
    "steps": 4,
}


def steps_frame(seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "step": np.repeat(np.arange(4), 2),
            "municipality": ["north", "south"] * 4,
            "mean_score": rng.normal(1000, 10, 8),
        }
    )


def citizens_frame(seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"citizen": np.arange(100), "score": rng.integers(600, 1300, 100)})


def write_run(folder, seed: int = 7, **kw):
    with RunWriter(folder, **kw) as w:
        w.write_manifest({**MANIFEST_DATA, "seed": seed})
        w.write_table("steps", steps_frame(seed))
        w.write_table("citizens", citizens_frame(seed))
    return open_run(folder)


def test_round_trip(tmp_path):
    run = write_run(tmp_path / "run")
    assert run.complete
    assert run.run_id == "run"
    assert run.manifest == MANIFEST_DATA
    assert run.tables() == ["citizens", "steps"]
    pd.testing.assert_frame_equal(run.table("steps"), steps_frame())
    assert run.arrow("citizens", columns=["score"]).column_names == ["score"]
    assert run.verify() == []
    assert sorted(os.listdir(run.path)) == [COMPLETE, "citizens.parquet", MANIFEST, "steps.parquet"]


def test_markers_and_complete_record(tmp_path):
    folder = tmp_path / "a" / "b"
    w = RunWriter(folder)
    assert (folder / INCOMPLETE).is_file() and not (folder / COMPLETE).exists()
    w.write_manifest(MANIFEST_DATA)
    w.write_table("steps", steps_frame())
    assert not (folder / COMPLETE).exists()
    run = w.finish()
    assert run.complete and not (folder / INCOMPLETE).exists()
    record = json.loads((folder / COMPLETE).read_text())
    assert set(record["files"]) == {MANIFEST, "steps.parquet"}
    entry = record["files"]["steps.parquet"]
    assert entry["bytes"] == (folder / "steps.parquet").stat().st_size
    assert len(entry["sha256"]) == 64


def test_same_inputs_give_the_same_bytes(tmp_path):
    a = write_run(tmp_path / "a").path
    b = write_run(tmp_path / "b").path
    for name in os.listdir(a):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_incomplete_run_is_refused(tmp_path):
    folder = tmp_path / "crashed"
    with pytest.raises(RuntimeError), RunWriter(folder) as w:
        w.write_manifest(MANIFEST_DATA)
        w.write_table("steps", steps_frame())
        raise RuntimeError("engine crashed")
    with pytest.raises(IncompleteRunError, match="crashed.*started but not finished"):
        open_run(folder)
    run = open_run(folder, allow_incomplete=True)
    assert not run.complete
    assert run.tables() == ["steps"]
    assert run.verify() and "incomplete" in run.verify()[0]


def test_incomplete_without_manifest(tmp_path):
    RunWriter(tmp_path / "r")
    run = open_run(tmp_path / "r", allow_incomplete=True)
    assert run.manifest is None and run.tables() == []


def test_a_plain_folder_is_not_a_run(tmp_path):
    with pytest.raises(IncompleteRunError, match="not a run folder"):
        open_run(tmp_path)
    with pytest.raises(RunFolderError, match="no such run folder"):
        open_run(tmp_path / "missing")


def test_refuses_to_overwrite_a_complete_run(tmp_path):
    folder = tmp_path / "done"
    write_run(folder)
    before = {n: (folder / n).read_bytes() for n in os.listdir(folder)}
    with pytest.raises(RunExistsError, match=str(folder)):
        RunWriter(folder)
    assert {n: (folder / n).read_bytes() for n in os.listdir(folder)} == before


def test_overwrite_replaces_the_whole_run(tmp_path):
    folder = tmp_path / "done"
    write_run(folder)
    with RunWriter(folder, overwrite=True) as w:
        w.write_manifest({**MANIFEST_DATA, "seed": 8})
        w.write_table("steps", steps_frame(8))
    run = open_run(folder)
    assert run.manifest["seed"] == 8
    assert run.tables() == ["steps"]  # the old citizens table is gone
    assert run.verify() == []


def test_a_crashed_run_is_restarted_afresh(tmp_path):
    folder = tmp_path / "r"
    w = RunWriter(folder)
    w.write_table("stale", {"x": [1]})
    w.claim("steps.parquet")  # as write_table does before writing
    (folder / ".steps.parquet.0123456789ab.tmp").write_bytes(b"half")  # as left by a kill -9
    w.close()
    run = write_run(folder)  # no overwrite needed: nothing complete is lost
    assert run.tables() == ["citizens", "steps"]
    assert run.verify() == []


def test_never_deletes_files_it_did_not_write(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(RunExistsError, match="did not write.*notes.txt"):
        RunWriter(tmp_path, overwrite=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert not (tmp_path / INCOMPLETE).exists()
    (tmp_path / "f").write_text("x")
    with pytest.raises(RunExistsError, match="not a folder"):
        RunWriter(tmp_path / "f")


def test_finish_needs_a_manifest_and_seals_the_run(tmp_path):
    w = RunWriter(tmp_path / "r")
    w.write_table("steps", steps_frame())
    with pytest.raises(RunFolderError, match="no manifest"):
        w.finish()
    w.write_manifest(MANIFEST_DATA)
    w.finish()
    with pytest.raises(RunFolderError, match="already finished"):
        w.write_table("more", {"x": [1]})
    with pytest.raises(RunFolderError, match="already finished"):
        w.finish()


def test_verify_detects_changes(tmp_path):
    run = write_run(tmp_path / "r")
    steps = run.path / "steps.parquet"
    data = bytearray(steps.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one byte flipped
    steps.write_bytes(bytes(data))
    (run.path / "citizens.parquet").unlink()
    (run.path / "extra.csv").write_text("a,b\n")
    problems = run.verify()
    assert len(problems) == 3
    assert any("steps.parquet: modified" in p for p in problems)
    assert any("citizens.parquet: missing" in p for p in problems)
    assert any("extra.csv: added" in p for p in problems)


def test_unknown_table_names_the_available_ones(tmp_path):
    run = write_run(tmp_path / "r")
    with pytest.raises(KeyError, match="citizens, steps"):
        run.table("events")


@pytest.mark.parametrize(
    "name", ["../x", "..", "a/b", "a\\b", "/etc/passwd", "Steps", "1st", "", "a.b", "runs", "x" * 64, None]
)
def test_bad_table_names_are_refused(tmp_path, name):
    w = RunWriter(tmp_path / "r")
    with pytest.raises(ValueError, match="table name"):
        w.write_table(name, {"x": [1]})
    assert sorted(os.listdir(tmp_path)) == ["r"]
    assert os.listdir(tmp_path / "r") == [INCOMPLETE]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20))
def test_accepted_names_are_plain_file_names(name):
    try:
        validate_table_name(name)
    except ValueError:
        return
    assert os.path.basename(name) == name and "." not in name and name.isascii()
    assert name[0].isalpha() and name == name.lower()


def test_run_id_column_is_reserved(tmp_path):
    w = RunWriter(tmp_path / "r")
    with pytest.raises(ValueError, match="run_id"):
        w.write_table("steps", {"run_id": [1], "x": [2]})


def test_numpy_values_in_the_manifest(tmp_path):
    with RunWriter(tmp_path / "r") as w:
        w.write_manifest({"seed": np.int64(3), "shares": np.array([0.25, 0.75])})
    assert open_run(tmp_path / "r").manifest == {"seed": 3, "shares": [0.25, 0.75]}
