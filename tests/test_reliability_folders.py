"""Issue 19: run folders are owned and locked; damaged folders never give a traceback.

- scslab deletes or replaces only files it wrote, in folders it owns (the INCOMPLETE
  journal, COMPLETE's list); a second writer is refused at once (flock on the folder);
- a finished run is read back only if its files have the sizes COMPLETE records (and the
  manifest its sha256); verify() and the readers that read tables whole check hashes;
- `runs` skips a damaged folder with a warning; `explain` refuses it in one line.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from scslab.cli import app
from scslab.store import (
    Catalog,
    IncompleteRunError,
    RunExistsError,
    RunFolderError,
    RunLockedError,
    RunWriter,
    check_writable,
    open_run,
)
from scslab.store.run_folder import COMPLETE, INCOMPLETE, MANIFEST

HARSH = Path(__file__).parent / "data" / "harsh.yaml"


def _cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "scslab.cli", *args], capture_output=True, text=True, **kw)


def _run(folder: Path, seed: int = 1) -> None:
    with RunWriter(folder) as w:
        w.write_manifest({"rulebook": {"name": "r", "hash": "h"}, "seed": seed, "population": 3, "steps": 1})
        w.write_table("steps", {"step": [0], "mean_score": [1.0 * seed]})
        w.write_table("citizens", {"citizen": np.arange(3), "score": np.full(3, seed)})


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# -- 1. --out never deletes a user's files ---------------------------------------------------
def _users_folder(tmp_path: Path) -> Path:
    u = tmp_path / "u"  # the folder: names scslab used to take for its own
    u.mkdir()
    (u / "manifest.json").write_text("{}\n")
    (u / "results.parquet").write_text("x\n")
    (u / "checkpoint").mkdir()
    (u / "checkpoint" / "model.pt").write_text("w\n")
    return u


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_users_folder_is_refused_and_left_as_it_was(tmp_path, overwrite):
    u = _users_folder(tmp_path)
    before = _tree(u)
    for attempt in (lambda: RunWriter(u, overwrite=overwrite), lambda: check_writable(u, overwrite=overwrite)):
        with pytest.raises(RunExistsError, match="did not write.*checkpoint, manifest.json, results.parquet"):
            attempt()
        assert _tree(u) == before and sorted(os.listdir(u)) == ["checkpoint", "manifest.json", "results.parquet"]


def test_cli_out_never_deletes_a_users_files(tmp_path):
    u = _users_folder(tmp_path)
    before = _tree(u)
    for extra in ([], ["--overwrite"]):
        out = _cli("run", "court-blacklist", "-n", "1000", "-t", "3", "--out", str(u), *extra)
        assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
        assert "did not write" in out.stderr and "results.parquet" in out.stderr
        assert _tree(u) == before


def test_overwrite_of_a_finished_run_keeps_a_users_file(tmp_path):
    folder = tmp_path / "run"
    _run(folder, seed=1)
    (folder / "my_analysis.parquet").write_bytes(b"PAR1 mine")
    before = _tree(folder)
    with pytest.raises(RunExistsError, match="my_analysis.parquet.*never removes or replaces"):
        RunWriter(folder, overwrite=True)
    assert _tree(folder) == before
    # The user's file is not part of the run: not a table, not in the catalog
    assert open_run(folder).tables() == ["citizens", "steps"]
    with Catalog(tmp_path) as cat:
        assert cat.tables == ["citizens", "steps"]
    # Moved out of the way, --overwrite replaces the run (and only the run)
    (folder / "my_analysis.parquet").rename(tmp_path / "my_analysis.parquet")
    _run_over = RunWriter(folder, overwrite=True)
    _run_over.write_manifest({"seed": 2})
    _run_over.write_table("steps", {"step": [0]})
    _run_over.finish()
    assert sorted(os.listdir(folder)) == [COMPLETE, MANIFEST, "steps.parquet"]
    assert (tmp_path / "my_analysis.parquet").read_bytes() == b"PAR1 mine"


def test_a_file_dropped_into_an_incomplete_run_is_not_taken(tmp_path):
    folder = tmp_path / "run"
    w = RunWriter(folder)
    w.write_table("steps", {"step": [0]})
    (folder / "notes.txt").write_text("mine")
    w.write_manifest({"seed": 1})
    run = w.finish()
    assert "notes.txt" not in json.loads((folder / COMPLETE).read_text())["files"]
    assert run.verify() == [f"{folder / 'notes.txt'}: added after the run finished (not listed in COMPLETE)"]
    with pytest.raises(RunExistsError, match="notes.txt"):
        RunWriter(folder, overwrite=True)
    assert (folder / "notes.txt").read_text() == "mine"


def test_damaged_or_foreign_markers_make_scslab_touch_nothing(tmp_path):
    cases = {
        "garbage_complete": {COMPLETE: b"not json", "steps.parquet": b"x"},
        "list_complete": {COMPLETE: b"[]", "steps.parquet": b"x"},
        "older_incomplete": {INCOMPLETE: json.dumps({"format": "scslab-run-folder/1"}).encode(), "a.parquet": b"x"},
        "users_incomplete": {INCOMPLETE: b"my own file called INCOMPLETE"},
    }
    for name, files in cases.items():
        d = tmp_path / name
        d.mkdir()
        for f, data in files.items():
            (d / f).write_bytes(data)
        for kw in ({}, {"overwrite": True}):
            with pytest.raises(RunExistsError) as e:
                RunWriter(d, **kw)
            assert "touches nothing" in str(e.value), str(e.value)
        with pytest.raises(RunFolderError):
            RunWriter(d, resume=True)
        assert _tree(d) == {f: data for f, data in files.items()}, name


def test_a_kill_while_claiming_a_folder_leaves_it_reusable(tmp_path):
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / ".INCOMPLETE.0123456789ab.tmp").write_bytes(b'{"form')  # killed inside the first write
    out = _cli("run", "--resume", str(folder))
    assert out.returncode == 2 and "killed as it started" in out.stderr and "Traceback" not in out.stderr
    _run(folder)
    assert open_run(folder, verify=True).tables() == ["citizens", "steps"]


# -- 2. a kill inside the final write: leftover temporary files --------------------------------
def test_resume_removes_the_temporary_file_of_a_killed_table_write(tmp_path):
    folder = tmp_path / "r"
    w = RunWriter(folder)
    w.write_table("steps", {"step": [0]})
    w.claim("citizens.parquet")  # journaled before the write, as write_table does
    (folder / ".citizens.parquet.0a1b2c3d4e5f.tmp").write_bytes(b"PAR1 half a ta")  # the kill
    w.close()
    w = RunWriter(folder, resume=True)
    assert not (folder / ".citizens.parquet.0a1b2c3d4e5f.tmp").exists()
    w.write_table("citizens", {"citizen": [0]})
    w.write_manifest({"seed": 1})
    assert w.finish().verify() == []


# -- 3. one writer at a time -----------------------------------------------------------------
def _holder(folder: Path) -> subprocess.Popen:
    code = ("import sys; from scslab.store import RunWriter; w = RunWriter(sys.argv[1]); "
            "print('ready', flush=True); sys.stdin.read()")
    p = subprocess.Popen([sys.executable, "-c", code, str(folder)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    return p


def test_a_second_writer_is_refused_at_once(tmp_path):
    folder = tmp_path / "same"
    holder = _holder(folder)
    try:
        for attempt in (lambda: RunWriter(folder), lambda: RunWriter(folder, overwrite=True),
                        lambda: RunWriter(folder, resume=True), lambda: check_writable(folder)):
            with pytest.raises(RunLockedError, match=f"pid {holder.pid}.*is writing this run folder"):
                attempt()
        out = _cli("run", "court-blacklist", "-n", "1000", "-t", "3", "--seed", "2", "--out", str(folder))
        assert out.returncode == 2 and "is writing this run folder" in out.stderr, out.stderr
        out = _cli("run", "--resume", str(folder))
        assert out.returncode == 2 and "is writing this run folder" in out.stderr, out.stderr
    finally:
        holder.kill()  # SIGKILL: the kernel drops the lock with the process
        holder.wait()
    _run(folder)  # the folder is free again: its leftover incomplete run is cleared
    assert open_run(folder).manifest["seed"] == 1


def test_two_cli_runs_into_one_folder(tmp_path):
    """The issue's race: seed 1 and seed 2 into one folder; the second is refused, the first's
    folder holds seed 1's run, whole."""
    folder = tmp_path / "same"
    args = [str(HARSH), "-n", "2500", "-t", "60", "--out", str(folder)]
    first = subprocess.Popen([sys.executable, "-m", "scslab.cli", "run", *args, "--seed", "1"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (folder / INCOMPLETE).exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    second = _cli("run", *args, "--seed", "2")
    assert first.wait(timeout=600) == 0, first.stderr.read()
    assert second.returncode == 2 and "Traceback" not in second.stderr, second.stderr
    assert "is writing this run folder" in second.stderr or "already holds a complete run" in second.stderr
    run = open_run(folder, verify=True)
    assert run.manifest["seed"] == 1


# -- 4. hashes checked when a run is opened ----------------------------------------------------
def test_open_run_checks_sizes_and_the_manifest_hash(tmp_path):
    folder = tmp_path / "r"
    _run(folder)
    steps = folder / "steps.parquet"
    good = steps.read_bytes()
    steps.write_bytes(good + b"x")  # what `COPY ... TO` over a table did, unnoticed
    with pytest.raises(RunFolderError, match="steps.parquet has .* bytes, COMPLETE says"):
        open_run(folder)
    steps.unlink()
    with pytest.raises(RunFolderError, match="steps.parquet is missing"):
        open_run(folder)
    steps.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))  # same size, one bit: only hashes see it
    run = open_run(folder)
    assert run.verify() == [f"{steps}: modified since the run finished (sha256 differs)"]
    with pytest.raises(RunFolderError, match="steps.parquet was modified"):
        run.check(["steps.parquet"])
    with pytest.raises(RunFolderError, match="modified"):
        open_run(folder, verify=True)
    steps.write_bytes(good)
    m = (folder / MANIFEST).read_bytes()
    (folder / MANIFEST).write_bytes(m.replace(b'"seed": 1', b'"seed": 7'))  # same size, another seed
    with pytest.raises(RunFolderError, match="manifest.json: modified since the run finished"):
        open_run(folder)


# -- 6. damaged folders: no traceback, `runs` skips them with a warning ---------------------------
def _forge(folder: Path, name: str, data: bytes) -> None:
    """Replace a file and make COMPLETE agree with it (damage that hashes cannot catch)."""
    (folder / name).write_bytes(data)
    rec = json.loads((folder / COMPLETE).read_text())
    rec["files"][name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (folder / COMPLETE).write_text(json.dumps(rec))


DAMAGE = {
    "nested_list_manifest": lambda f: _forge(f, MANIFEST, b"[" * 100_000 + b"]" * 100_000),
    "deep_object_manifest": lambda f: _forge(f, MANIFEST, ('{"a":' * 500 + "1" + "}" * 500).encode()),
    "list_manifest": lambda f: _forge(f, MANIFEST, b"[1, 2, 3]"),
    "huge_manifest": lambda f: _forge(f, MANIFEST, json.dumps({f"f{i}": i for i in range(20_000)}).encode()),
    "binary_manifest": lambda f: _forge(f, MANIFEST, os.urandom(500)),
    "empty_manifest": lambda f: _forge(f, MANIFEST, b""),
    "random_parquet": lambda f: _forge(f, "citizens.parquet", os.urandom(3000)),
    "random_parquet_unforged": lambda f: (f / "citizens.parquet").write_bytes(os.urandom(3000)),
    "edited_manifest": lambda f: (f / MANIFEST).write_text("[]"),
    "garbage_complete": lambda f: (f / COMPLETE).write_bytes(os.urandom(200)),
    "complete_is_a_list": lambda f: (f / COMPLETE).write_text("[]"),
    "complete_files_wrong": lambda f: (f / COMPLETE).write_text(json.dumps(
        {"format": "scslab-run-folder/1", "files": {"steps.parquet": "abc"}})),
    "missing_table": lambda f: (f / "steps.parquet").unlink(),
    "manifest_is_a_folder": lambda f: ((f / MANIFEST).unlink(), (f / MANIFEST).mkdir()),
    "manifest_is_a_fifo": lambda f: ((f / MANIFEST).unlink(), os.mkfifo(f / MANIFEST)),
}


@pytest.fixture(scope="module")
def damaged_root(tmp_path_factory):
    """A root with a good run from the engine (so explain works on it) and every damaged copy."""
    import shutil

    from scslab.engine import simulate

    root = tmp_path_factory.mktemp("damaged")
    simulate(str(HARSH), population=200, steps=5, seed=1, ledger=True, out=root / "good")
    for name, damage in DAMAGE.items():
        shutil.copytree(root / "good", root / name)
        damage(root / name)
    return root


def test_runs_lists_the_good_run_and_warns_for_each_damaged_one(damaged_root):
    res = CliRunner().invoke(app, ["runs", str(damaged_root)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output
    assert "1 complete run" in res.output and f"{len(DAMAGE)} damaged skipped" in res.output
    for name in DAMAGE:
        assert f"skipped {damaged_root / name}" in res.output, name
    with Catalog(damaged_root) as cat:
        assert cat.run_ids == ["good"]
        assert sorted(p.name for p in cat.skipped) == sorted(DAMAGE)
        assert cat.sql("select count(*) as n from citizens").n[0] == 200


@pytest.mark.parametrize("name", sorted(DAMAGE))
def test_explain_refuses_a_damaged_folder_in_one_line(damaged_root, name):
    res = CliRunner().invoke(app, ["explain", str(damaged_root / name), "3"])
    if name == "huge_manifest":  # a valid manifest, only too wide for the catalog: explain reads it
        assert res.exit_code == 0 and "rulebook ?" in res.output, res.output
        return
    assert res.exit_code == 2, res.output
    assert res.output.startswith("error: ") and "Traceback" not in res.output
    assert not isinstance(res.exception, Exception) or isinstance(res.exception, SystemExit)


def test_explain_of_the_good_run_still_works(damaged_root):
    res = CliRunner().invoke(app, ["explain", str(damaged_root / "good"), "3"])
    assert res.exit_code == 0, res.output
    assert "Adverse-action notice: citizen 3" in res.output


def test_same_size_damage_to_a_table_is_caught_before_explain_reads_it(damaged_root, tmp_path):
    import shutil

    folder = tmp_path / "r"
    shutil.copytree(damaged_root / "good", folder)
    data = bytearray((folder / "citizens.parquet").read_bytes())
    data[100:200] = bytes(100)  # the footer survives: pyarrow would read garbage
    (folder / "citizens.parquet").write_bytes(bytes(data))
    res = CliRunner().invoke(app, ["explain", str(folder), "3"])
    assert res.exit_code == 2 and "citizens.parquet was modified" in res.output


def test_incomplete_is_not_damaged(tmp_path):
    RunWriter(tmp_path / "r")
    with pytest.raises(IncompleteRunError):
        open_run(tmp_path / "r")
    with Catalog(tmp_path) as cat:
        assert cat.incomplete == [tmp_path / "r"] and cat.runs == []
