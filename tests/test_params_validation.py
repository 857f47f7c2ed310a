"""Run parameters out of range are refused up front, naming the parameter and its range.

The Python API (`simulate`, `run_nation`) raises ValueError before building anything; the
CLI turns the same mistakes into exit status 2 and a one-line message, never a traceback.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scslab.engine import EngineParams, Levers, run_nation, simulate
from scslab.engine import build as build_mod
from scslab.engine import memory as mem_mod
from scslab.engine.validate import ParameterError, check_run_args
from scslab.pilots import load_pilot
from scslab.rulebook import load_rulebook

RB = load_pilot("rongcheng")
HARSH = Path(__file__).parent / "data" / "harsh.yaml"


@pytest.mark.parametrize("kwargs,param,fragment", [
    ({"population": 0}, "population", "1..2,000,000,000, got 0"),
    ({"population": -5}, "population", "got -5"),
    ({"population": 10**12}, "population", "got 1,000,000,000,000"),
    ({"population": 2.5}, "population", "whole number"),
    ({"population": "100"}, "population", "whole number"),
    ({"population": True}, "population", "whole number"),
    ({"steps": 0}, "steps", "1..36,500, got 0"),
    ({"steps": -1}, "steps", "got -1"),
    ({"steps": 10**9}, "steps", "1..36,500"),
    ({"steps": 1.5}, "steps", "whole number"),
    ({"seed": -1}, "seed", "0..9,223,372,036,854,775,807, got -1"),
    ({"seed": 2**64}, "seed", "0..9,223,372,036,854,775,807"),
    ({"seed": 1.5}, "seed", "whole number"),
    ({"seed": None}, "seed", "whole number"),
    ({"ledger": 1.5}, "ledger", "fraction in 0..1, got 1.5"),
    ({"ledger": -0.1}, "ledger", "got -0.1"),
    ({"ledger": math.nan}, "ledger", "got nan"),
    ({"ledger": math.inf}, "ledger", "got inf"),
    ({"ledger": "yes"}, "ledger", "got 'yes'"),
    ({"levers": {"cod": False}}, "levers", "did you mean 'code'"),
    ({"levers": {"code": "no"}}, "levers", "True or False"),
    ({"levers": [1]}, "levers", "mapping"),
    ({"params": {"w_virtue": 1}}, "params", "EngineParams"),
    ({"save_ties": "x"}, "save_ties", "True, False or None"),
    ({"progress": 3}, "progress", "function"),
    ({"checkpoint_every": 0}, "checkpoint_every", "1..36,500"),
    ({"checkpoint_every": 5}, "checkpoint_every", "output folder"),
    ({"society": 5}, "society", "SocietySpec"),
    ({"society": {"n": 5, "municipalities": 10}}, "society", "more municipalities (10) than citizens"),
    ({"society": {"municipalities": 0}}, "society", "municipalities must be 1..10,000"),
    ({"society": {"municipalities": 20_000}}, "society", "municipalities must be 1..10,000"),
    ({"society": {"groups": {"urban": 0.5}}}, "society", "invalid"),
])
def test_simulate_refuses_out_of_range_arguments_up_front(kwargs, param, fragment, monkeypatch):
    def boom(*a, **k):  # nothing may be built before the arguments are checked
        raise AssertionError("society built before the arguments were checked")

    monkeypatch.setattr(build_mod, "make_run_society", boom)
    args = {"population": 50, "steps": 2, "seed": 0, **kwargs}
    with pytest.raises(ValueError) as ei:
        simulate(RB, **args)
    assert isinstance(ei.value, ParameterError)
    assert ei.value.param == param
    msg = str(ei.value)
    assert msg.startswith(param + " ") and fragment in msg, msg
    assert "\n" not in msg and "pydantic" not in msg


@pytest.mark.parametrize("rulebooks,kwargs,fragment", [
    ([], {}, "at least one"),
    ("rongcheng", {}, "a list of rulebooks"),
    (RB, {}, "a list of rulebooks"),
    ([RB, 3], {}, "[1] must be a Rulebook"),
    ([RB, RB, RB], {"society": {"municipalities": 2}}, "3 entries for 2 municipalities"),
    ([RB], {"national": 7}, "national"),
    ([RB], {"national": RB}, "no list with scope: national"),
    ([load_rulebook(HARSH)], {"national": load_rulebook(HARSH)}, "exist in both 'harsh' and the national"),
])
def test_run_nation_refuses_bad_rulebook_lists(rulebooks, kwargs, fragment):
    with pytest.raises(ValueError) as ei:
        run_nation(rulebooks, population=60, steps=2, **kwargs)
    assert fragment in str(ei.value), str(ei.value)


def test_the_edges_of_the_ranges_are_accepted(monkeypatch):
    # The checks alone (no run): the largest population, steps and seed are in range
    # (the memory check is switched off: 50 M citizens do not fit on every machine).
    monkeypatch.setattr(mem_mod, "available_bytes", lambda: None)
    check_run_args([RB], population=50_000_000, steps=36_500, seed=2**63 - 1, ledger=1.0,
                   levers={"code": False}, params=EngineParams())
    monkeypatch.undo()
    r = simulate(RB, population=1, steps=1, seed=2**63 - 1, ledger=True, levers=Levers(code=False))
    assert len(r.citizens) == 1 and r.manifest["seed"] == 2**63 - 1
    r = run_nation([RB], population=3, steps=2, society={"municipalities": 3}, ledger=0.0,
                   levers={"law": False, "market": False, "norms": False, "code": True})
    assert len(r.citizens) == 3 and r.steps.municipality.nunique() == 3
    # numpy ints are taken as ints (RunConfig turns them into Python ints for the strict society spec)
    r = simulate(RB, population=np.int64(40), steps=np.int32(2), seed=np.uint64(5))
    assert r.manifest["steps"] == 2 and r.manifest["seed"] == 5 and r.manifest["population"] == 40


# ---------------------------------------------------------------- the memory estimate

def test_memory_estimate_grows_with_the_run():
    e = mem_mod.estimate_bytes
    assert 0 < e(1_000, 10, 2) < e(10_000, 10, 2) < e(10_000, 20, 2) < e(10_000, 20, 5) < e(10_000, 20, 5, 1.0)
    # About half a kilobyte per citizen plus the ties: a million citizens is a few hundred MB.
    assert 2**28 < e(1_000_000, 10, 3) < 2**31


def test_memory_problem_refuses_what_does_not_fit(monkeypatch):
    monkeypatch.setattr(mem_mod, "available_bytes", lambda: 4 * 2**30)
    assert mem_mod.memory_problem(10_000, 10, 3) is None
    msg = mem_mod.memory_problem(20_000_000, 10, 3)
    assert msg and "20,000,000 citizens" in msg and "4.0 GiB is free" in msg
    # Right at the margin: refused above 90% of the free memory.
    need = mem_mod.estimate_bytes(1_000_000, 10, 3)
    monkeypatch.setattr(mem_mod, "available_bytes", lambda: int(need / 0.9) + 1024)
    assert mem_mod.memory_problem(1_000_000, 10, 3) is None
    monkeypatch.setattr(mem_mod, "available_bytes", lambda: int(need / 0.9) - 1024)
    assert mem_mod.memory_problem(1_000_000, 10, 3) is not None
    monkeypatch.setattr(mem_mod, "available_bytes", lambda: None)  # unknown: no refusal
    assert mem_mod.memory_problem(50_000_000, 10, 3) is None


def test_the_api_refuses_a_run_that_does_not_fit(monkeypatch):
    monkeypatch.setattr(mem_mod, "available_bytes", lambda: 2**30)
    with pytest.raises(ParameterError, match="population is too large for this machine"):
        simulate(RB, population=5_000_000, steps=2)


def test_the_real_machine_cannot_hold_fifty_million_citizens_with_a_full_ledger():
    have = mem_mod.available_bytes()
    if have is None or have > 200 * 2**30:
        pytest.skip("free memory unknown or very large")
    assert mem_mod.memory_problem(50_000_000, 10, 3, 1.0) is not None


# ---------------------------------------------------------------- the CLI

def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "scslab.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


@pytest.mark.parametrize("args,needle", [
    (["-n", "-5"], "--population must be in 1..2,000,000,000, got -5"),
    (["-n", str(10**12)], "--population must be in 1..2,000,000,000"),
    (["--seed", "-1"], "--seed must be in"),
    (["--ledger", "1.5"], "--ledger must be in 0..1"),
    (["-m", "60", "-n", "50"], "more municipalities (60) than citizens"),
    (["--off", "cod"], "--off takes law, market, norms, code; got cod"),
    (["--checkpoint-every", "0"], "--checkpoint-every must be in"),
    (["--out", "/proc/no/such/place"], "cannot write the run folder"),
    (["--national", "rongcheng"], "--national rulebook 'rongcheng' has no list with scope: national"),
])
def test_cli_run_refuses_each_bad_value_in_one_line(args, needle, tmp_path):
    out = _cli("run", "rongcheng", "-n", "100", "-t", "2", "--out", str(tmp_path / "r"), *args, cwd=tmp_path)
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert "Traceback" not in out.stdout + out.stderr
    assert needle in " ".join(out.stderr.split()), out.stderr
    if needle.startswith("--"):  # our own messages (click's usage errors are boxed)
        assert len([x for x in out.stderr.splitlines() if x.strip()]) == 1, out.stderr
    assert not (tmp_path / "r" / "COMPLETE").exists()


def test_cli_resume_of_a_damaged_checkpoint_is_a_clean_error(tmp_path):
    from scslab.store import RunWriter

    folder = tmp_path / "r"
    RunWriter(folder)  # an incomplete run of scslab's, whose checkpoint configuration is damaged
    (folder / "checkpoint").mkdir(parents=True)
    (folder / "checkpoint" / "config.json").write_text("{not json")
    out = _cli("run", "--resume", str(folder), cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    assert "config.json: damaged" in out.stderr and "start the run again" in out.stderr
    # A folder scslab did not start is not resumed (nor touched)
    (tmp_path / "mine" / "checkpoint").mkdir(parents=True)
    (tmp_path / "mine" / "checkpoint" / "config.json").write_text("{}")
    out = _cli("run", "--resume", str(tmp_path / "mine"), cwd=tmp_path)
    assert out.returncode == 2 and "nothing to resume" in out.stderr, out.stderr
    assert (tmp_path / "mine" / "checkpoint" / "config.json").read_text() == "{}"


# ---------------------------------------------------------------- any value: accepted iff in range

ANY = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True),
                st.text(max_size=5), st.lists(st.integers(), max_size=2),
                st.dictionaries(st.text(max_size=5), st.booleans(), max_size=2))
RANGES = {"population": (1, 2_000_000_000), "steps": (1, 36_500), "seed": (0, 2**63 - 1)}


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["population", "steps", "seed", "ledger", "levers", "save_ties", "checkpoint_every"]), ANY)
def test_any_value_is_accepted_exactly_when_in_range(param, value):
    args = {"population": 100, "steps": 10, "seed": 0, "out": "unused", param: value}
    try:
        with mock.patch.object(mem_mod, "available_bytes", lambda: None):  # ranges only, not memory
            check_run_args([RB], **args)
    except ParameterError as e:
        assert e.param in (param, "society")
        assert str(e).startswith(e.param + " ") and "\n" not in str(e)
        ok = False
    else:
        ok = True
    if param in RANGES:
        lo, hi = RANGES[param]
        expected = type(value) is int and lo <= value <= hi
    elif param == "ledger":
        expected = isinstance(value, bool) or (isinstance(value, int | float) and math.isfinite(value)
                                               and 0 <= value <= 1)
    elif param == "levers":
        expected = value is None or (isinstance(value, dict) and all(
            k in ("law", "market", "norms", "code") for k in value))
    elif param == "save_ties":
        expected = value is None or isinstance(value, bool)
    else:  # checkpoint_every
        expected = value is None or (type(value) is int and 1 <= value <= 36_500)
    assert ok == expected, (param, value)
