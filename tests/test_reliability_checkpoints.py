"""Issue 19: a checkpoint is resumed from only if every file of it matches the sha256
written with it; and the messages of a resume (damage, Ctrl-C, a full disk) are one clean
line that says what to do."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scslab.cli import app
from scslab.engine import resume, simulate
from scslab.engine.checkpoint import CheckpointError
from scslab.rulebook import load_rulebook

HARSH = Path(__file__).parent / "data" / "harsh.yaml"
KW = dict(population=300, steps=12, seed=3, ledger=0.5)
EVERY = 3
STOP_AT = 8  # interrupted after the checkpoint of day 6


def _tables(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.parquet"))}


def _interrupt(folder: Path, stop_at: int = STOP_AT) -> None:
    def progress(done: int, total: int) -> None:
        if done == stop_at:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        simulate(load_rulebook(HARSH), out=folder, checkpoint_every=EVERY, progress=progress, **KW)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """(reference tables, an interrupted run folder to copy)."""
    base = tmp_path_factory.mktemp("ckpt")
    simulate(load_rulebook(HARSH), out=base / "ref", checkpoint_every=EVERY, **KW)
    _interrupt(base / "stopped")
    return _tables(base / "ref"), base / "stopped"


@pytest.fixture
def stopped(made, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(made[1], folder)
    return folder


def test_an_intact_checkpoint_resumes_to_identical_tables(made, stopped):
    assert json.loads((stopped / "checkpoint" / "LATEST").read_text())["payload"]["step"] == 6
    resume(stopped)
    assert _tables(stopped) == made[0]
    assert sorted(os.listdir(stopped)) == sorted(os.listdir(made[1].parent / "ref"))


def _flip(path: Path, old: bytes, new: bytes) -> None:
    data = path.read_bytes()
    assert old in data, (path, old)
    path.write_bytes(data.replace(old, new, 1))


def _flip_bit(path: Path, at: float = 0.5) -> None:
    data = bytearray(path.read_bytes())
    data[int(len(data) * at)] ^= 0x01
    path.write_bytes(bytes(data))


def _reseal_config(folder: Path, change) -> None:
    """Edit config.json's payload and write a matching sha256 (a deliberate, consistent edit)."""
    from scslab.store.atomic import json_bytes

    f = folder / "checkpoint" / "config.json"
    obj = json.loads(f.read_text())
    change(obj["payload"])
    obj["sha256"] = hashlib.sha256(json_bytes(obj["payload"])).hexdigest()
    f.write_text(json.dumps(obj))


def _ckpt(folder: Path) -> Path:
    return folder / "checkpoint" / "ckpt-000006"


CORRUPTIONS = {
    # the silent wrong resumes: the step number and the run's settings
    "progress_step_bit": lambda f: _flip(_ckpt(f) / "progress.json", b'"step": 6', b'"step": 7'),
    "latest_step_bit": lambda f: _flip(f / "checkpoint" / "LATEST", b'"step": 6', b'"step": 7'),
    "config_steps_edited": lambda f: _flip(f / "checkpoint" / "config.json", b'"steps": 12', b'"steps": 13'),
    "config_rulebook_edited": lambda f: _flip(f / "checkpoint" / "config.json", b"points: -", b"points: -1"),
    "config_resealed": lambda f: _reseal_config(f, lambda c: c.update(steps=13)),
    "config_seed_resealed": lambda f: _reseal_config(f, lambda c: c.update(seed=4)),
    # the state, the ledger, the checkpoint's own list
    "state_bit": lambda f: _flip_bit(_ckpt(f) / "state-0.npz"),
    "state_empty": lambda f: (_ckpt(f) / "state-0.npz").write_bytes(b""),
    "state_truncated": lambda f: (_ckpt(f) / "state-0.npz").write_bytes((_ckpt(f) / "state-0.npz").read_bytes()[:999]),
    "state_missing": lambda f: (_ckpt(f) / "state-0.npz").unlink(),
    "events_bit": lambda f: _flip_bit(_ckpt(f) / "events.parquet", 0.3),
    "ledger_bit": lambda f: _flip_bit(_ckpt(f) / "ledger.npz", 0.9),
    "progress_empty": lambda f: (_ckpt(f) / "progress.json").write_bytes(b""),
    "contents_missing": lambda f: (_ckpt(f) / "CONTENTS.json").unlink(),
    "contents_bit": lambda f: _flip(_ckpt(f) / "CONTENTS.json", b'"step": 6', b'"step": 7'),
    "latest_garbage": lambda f: (f / "checkpoint" / "LATEST").write_bytes(os.urandom(64)),
    "latest_empty": lambda f: (f / "checkpoint" / "LATEST").write_bytes(b""),
    "latest_older_format": lambda f: (f / "checkpoint" / "LATEST").write_text('{"step": 6, "dir": "ckpt-000006"}'),
    "config_empty": lambda f: (f / "checkpoint" / "config.json").write_bytes(b""),
    "config_list": lambda f: (f / "checkpoint" / "config.json").write_text("[]"),
}


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_a_damaged_checkpoint_is_never_resumed_from(stopped, name):
    CORRUPTIONS[name](stopped)
    with pytest.raises(CheckpointError, match="start the run again") as e:
        resume(stopped)
    assert "Traceback" not in str(e.value) and len(str(e.value)) < 600
    assert not (stopped / "COMPLETE").exists() and (stopped / "INCOMPLETE").exists()
    assert (stopped / "checkpoint").is_dir()  # nothing is deleted: the user decides


def test_a_checkpoint_from_another_run_is_refused(made, tmp_path):
    other = tmp_path / "other"
    _interrupt_other = dict(KW, seed=5)

    def progress(done, total):
        if done == STOP_AT:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        simulate(load_rulebook(HARSH), out=other, checkpoint_every=EVERY, progress=progress, **_interrupt_other)
    folder = tmp_path / "run"
    shutil.copytree(made[1], folder)
    shutil.rmtree(_ckpt(folder))
    shutil.copytree(_ckpt(other), _ckpt(folder))  # same step, another seed's state
    with pytest.raises(CheckpointError, match="not the one .*LATEST names"):
        resume(folder)
    shutil.copy(other / "checkpoint" / "LATEST", folder / "checkpoint" / "LATEST")  # and its pointer
    with pytest.raises(CheckpointError, match="another run configuration"):
        resume(folder)


# -- the CLI's messages -------------------------------------------------------------------------
def test_cli_damaged_state_is_one_line_said_once(stopped):
    (_ckpt(stopped) / "state-0.npz").write_bytes(b"")  # was "Aborted." (EOFError)
    res = CliRunner().invoke(app, ["run", "--resume", str(stopped)])
    assert res.exit_code == 2, res.output
    assert "Aborted" not in res.output and "Traceback" not in res.output
    assert "state-0.npz: damaged" in res.output
    assert res.output.count("start the run again") == 1  # was said twice


def test_cli_rulebook_with_resume_is_refused(stopped):
    for args in (["court-blacklist", "--resume", str(stopped)], ["--resume", str(stopped), "-n", "5"],
                 ["--resume", str(stopped), "--seed", "9", "--steps", "3"]):
        res = CliRunner().invoke(app, ["run", *args])
        assert res.exit_code == 2 and "--resume continues the run" in res.output, res.output
    assert not (stopped / "COMPLETE").exists()


def _full_disk(*args, **kw):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_cli_full_disk_during_resume_is_a_write_error(made, stopped, monkeypatch):
    import scslab.engine.checkpoint as ckpt

    monkeypatch.setattr(ckpt, "atomic_write_parquet", _full_disk)  # the next checkpoint's ledger
    res = CliRunner().invoke(app, ["run", "--resume", str(stopped)])
    assert res.exit_code == 2, res.output
    assert "No space left on device" in res.output and f"scslab run --resume {stopped}" in res.output
    assert "cannot be read" not in res.output and "Traceback" not in res.output
    assert not list((stopped / "checkpoint").glob("*.partial"))  # no half checkpoint left behind
    monkeypatch.undo()
    res = CliRunner().invoke(app, ["run", "--resume", str(stopped)])  # room again: it continues
    assert res.exit_code == 0, res.output
    assert _tables(stopped) == made[0]


def test_cli_full_disk_in_the_final_write(made, stopped, monkeypatch):
    import scslab.store.run_folder as rf

    monkeypatch.setattr(rf, "atomic_write_parquet", _full_disk)
    res = CliRunner().invoke(app, ["run", "--resume", str(stopped)])
    assert res.exit_code == 2 and "No space left on device" in res.output, res.output
    assert not [n for n in os.listdir(stopped) if n.endswith(".tmp")]
    monkeypatch.undo()
    assert CliRunner().invoke(app, ["run", "--resume", str(stopped)]).exit_code == 0
    assert _tables(stopped) == made[0]


def _start(folder: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "scslab.cli", "run", str(HARSH), "-n", "2500", "-t", "60",
                             "--seed", "11", "--out", str(folder), *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)


def test_ctrl_c_says_the_run_can_be_resumed(tmp_path):
    folder = tmp_path / "run"
    proc = _start(folder, "--checkpoint-every", "5")
    _wait_for(folder / "checkpoint" / "LATEST", proc)
    proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=120)[1]
    if (folder / "COMPLETE").exists():
        pytest.skip("the run finished before Ctrl-C arrived")
    assert proc.returncode == 130, err
    assert f"scslab run --resume {folder}" in err and "Traceback" not in err
    # what the message promises is there (resuming itself is tested above and in test_reliability_resume)
    assert (folder / "INCOMPLETE").exists() and (folder / "checkpoint" / "LATEST").exists()


def test_ctrl_c_without_checkpoints_says_to_start_again(tmp_path):
    folder = tmp_path / "run"
    proc = _start(folder)
    _wait_for(folder / "INCOMPLETE", proc)
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=120)[1]
    if (folder / "COMPLETE").exists():
        pytest.skip("the run finished before Ctrl-C arrived")
    assert proc.returncode == 130, err
    assert "cannot be resumed" in err and "run the same command again" in err and "Traceback" not in err
