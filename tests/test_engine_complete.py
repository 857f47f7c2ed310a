"""Runs of the same inputs give the same run folder, COMPLETE included: how the run went
(seconds, the date, a resume) is in timing.json, which COMPLETE lists by name only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scslab.engine import simulate
from scslab.rulebook import load_rulebook
from scslab.store import RunFolderError, RunWriter, open_run
from scslab.store.run_folder import TIMING

HARSH = Path(__file__).parent / "data" / "harsh.yaml"
KW = dict(population=800, steps=25, seed=7, ledger=True)


def _bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_two_runs_of_the_same_inputs_have_identical_complete_and_tables(tmp_path):
    rb = load_rulebook(HARSH)
    for k in "ab":
        simulate(rb, out=tmp_path / k, **KW)
    a, b = _bytes(tmp_path / "a"), _bytes(tmp_path / "b")
    assert set(a) == set(b) and {"COMPLETE", "manifest.json", TIMING, "steps.parquet", "events.parquet"} <= set(a)
    for name in a:
        if name != TIMING:
            assert a[name] == b[name], name
    record = json.loads(a["COMPLETE"])
    assert record["unsealed"] == [TIMING] and TIMING not in record["files"]
    manifest = json.loads(a["manifest.json"])
    assert "timing" not in manifest and "resumed_from_step" not in manifest
    run = open_run(tmp_path / "a", verify=True)
    assert run.verify() == []
    assert run.timing["run_seconds"] >= 0 and run.timing["resumed_from_step"] is None
    assert "finished" in run.timing


def test_timing_is_on_the_result_not_in_the_manifest(tmp_path):
    r = simulate(load_rulebook(HARSH), population=300, steps=5, seed=1)
    assert "timing" not in r.manifest and r.timing["citizen_steps_per_second"] > 0
    r.write(tmp_path / "run")
    back = open_run(tmp_path / "run")
    assert back.manifest == json.loads(json.dumps(r.manifest))
    assert back.timing == json.loads(json.dumps(r.timing))


def test_a_run_folder_with_timing_can_be_overwritten_and_verified(tmp_path):
    rb = load_rulebook(HARSH)
    simulate(rb, out=tmp_path / "run", population=300, steps=5, seed=1)
    simulate(rb, out=tmp_path / "run", population=300, steps=5, seed=2, overwrite=True)
    run = open_run(tmp_path / "run", verify=True)
    assert run.manifest["seed"] == 2 and run.verify() == []
    # timing.json is not sealed: changing it is not damage; changing a sealed file is.
    (tmp_path / "run" / TIMING).write_text("{}\n", encoding="utf-8")
    assert run.verify() == []
    (tmp_path / "run" / "manifest.json").write_text("{}\n", encoding="utf-8")
    assert any("manifest.json" in p for p in run.verify())


def test_only_timing_may_be_unsealed(tmp_path):
    """A COMPLETE that calls another file unsealed is not one scslab wrote."""
    with RunWriter(tmp_path / "run") as w:
        w.write_manifest({"seed": 1})
        w.write_json(TIMING, {"run_seconds": 1.0})
    record = json.loads((tmp_path / "run" / "COMPLETE").read_text())
    assert record["unsealed"] == [TIMING] and set(record["files"]) == {"manifest.json"}
    record["unsealed"] = [TIMING, "manifest.json"]
    (tmp_path / "run" / "COMPLETE").write_text(json.dumps(record))
    with pytest.raises(RunFolderError):
        open_run(tmp_path / "run")


def test_a_resumed_run_has_the_complete_of_an_uninterrupted_one(tmp_path, monkeypatch):
    import scslab.engine.checkpoint as ck
    from scslab.engine.run import resume

    rb = load_rulebook(HARSH)
    simulate(rb, out=tmp_path / "whole", checkpoint_every=10, **KW)
    real = ck.save

    class Killed(Exception):
        pass

    def save_then_die(run, t_done, *a):
        real(run, t_done, *a)
        if t_done == 20:
            raise Killed

    monkeypatch.setattr(ck, "save", save_then_die)
    with pytest.raises(Killed):
        simulate(rb, out=tmp_path / "cut", checkpoint_every=10, **KW)
    monkeypatch.setattr(ck, "save", real)
    got = resume(tmp_path / "cut")
    assert got.timing["resumed_from_step"] == 20
    a, b = _bytes(tmp_path / "whole"), _bytes(tmp_path / "cut")
    assert set(a) == set(b)
    for name in a:
        if name != TIMING:
            assert a[name] == b[name], name
    assert open_run(tmp_path / "cut").timing["resumed_from_step"] == 20
