"""The steppable Simulation (issue 17): stepped a day at a time it writes the tables of
`simulate` byte for byte; seeds may be SeedSequences or Generators; the public view is
read-only and agrees with the final tables."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from scslab.engine import run_nation, simulate
from scslab.engine.simulation import Simulation, seed_from
from scslab.pilots import load_pilot
from scslab.rulebook import load_rulebook

HARSH = Path(__file__).parent / "data" / "harsh.yaml"


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
            if p.is_file() and p.name != "timing.json"}


def test_stepped_day_by_day_the_tables_are_those_of_simulate(tmp_path):
    rb = load_rulebook(HARSH)
    kw = dict(population=1_500, steps=25, seed=3, ledger=0.3, save_ties=True)
    simulate(rb, out=tmp_path / "whole", **kw)
    with Simulation(rb, out=tmp_path / "stepped", **kw) as sim:
        assert sim.t == 0 and not sim.done
        days = []
        while not sim.done:
            rows = sim.step()
            assert len(rows) == 1 and rows[0]["step"] == sim.t - 1
            days.append(rows[0])
        assert sim.t == 25
        r = sim.result()
    assert sim.result() is r  # made once
    assert _digests(tmp_path / "whole") == _digests(tmp_path / "stepped")
    assert r.steps.harm.tolist() == [d["harm"] for d in days]


def test_a_nation_run_in_pieces_is_byte_identical(tmp_path):
    harsh, court = load_rulebook(HARSH), load_pilot("court-blacklist")
    kw = dict(population=900, steps=12, seed=5, society={"municipalities": 3}, national=court, ledger=True)
    run_nation([harsh, load_pilot("rongcheng"), harsh], out=tmp_path / "a", **kw)
    sim = Simulation([harsh, load_pilot("rongcheng"), harsh], out=tmp_path / "b", **kw)
    sim.step()
    sim.run(4)
    view = sim.public_view()
    assert view.step == 5 and view.municipality_starts.tolist() == [0, 300, 600]
    sim.run()
    sim.result()
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")


def test_the_public_view_is_read_only_and_agrees_with_the_tables():
    sim = Simulation(load_rulebook(HARSH), population=800, steps=15, seed=2)
    v0 = sim.public_view()
    assert v0.step == 0 and v0.score.dtype == np.float32 and v0.score.shape == (800,)
    assert not v0.blacklisted.any()
    with pytest.raises(ValueError):
        v0.score[0] = 1.0
    sim.run()
    v = sim.public_view()
    r = sim.result()
    c = r.citizens.sort_values("citizen")
    assert np.array_equal(v.score, c.score.to_numpy(np.float32))
    assert np.array_equal(v.blacklisted, c.blacklisted.to_numpy(bool))
    names = v.grade_names[0]
    assert [names[g] for g in v.grade] == c.grade.astype(str).tolist()
    assert v.blacklisted.any()  # the harsh rulebook lists someone in 15 days
    with pytest.raises(RuntimeError, match="finished"):
        sim.public_view()


def test_ties_and_traits_while_stepping():
    sim = Simulation("rongcheng", population=500, steps=3, seed=1)
    ties = sim.ties()
    assert ties.indptr.shape == (501,) and ties.indptr[-1] == ties.partner.size == ties.active.size
    assert ties.active.all() and ties.partner.min() >= 0 and ties.partner.max() < 500
    tr = sim.traits()
    assert set(tr) == {"group", "virtue", "strategic", "privacy"} and tr["virtue"].shape == (500,)
    assert not tr["virtue"].flags.writeable


def test_stepping_past_the_end_or_a_result_too_early_is_a_clear_error():
    sim = Simulation("rongcheng", population=200, steps=3, seed=1)
    with pytest.raises(RuntimeError, match="3 days and 0 are done"):
        sim.result()
    with pytest.raises(ValueError, match="at most 3"):
        sim.run(4)
    sim.run()
    with pytest.raises(ValueError, match="cannot run 1 more"):
        sim.step()
    sim.result()
    with pytest.raises(RuntimeError, match="finished"):
        sim.step()


def test_seed_sequences_and_generators_name_runs_deterministically():
    ss = np.random.SeedSequence(7)
    assert seed_from(ss) == 7  # a plain SeedSequence names the run of its int
    kids = [seed_from(k) for k in np.random.SeedSequence(7).spawn(3)]
    assert kids == [seed_from(k) for k in np.random.SeedSequence(7).spawn(3)]  # the same children, the same seeds
    assert len(set(kids)) == 3 and all(0 <= k < 2**63 for k in kids)
    assert seed_from(np.random.default_rng(5)) == seed_from(np.random.default_rng(5))
    a = simulate("rongcheng", population=300, steps=5, seed=np.random.SeedSequence(7))
    b = simulate("rongcheng", population=300, steps=5, seed=7)
    assert a.manifest["seed"] == 7 and a.citizens.equals(b.citizens)
    g1 = Simulation("rongcheng", population=300, steps=5, rng=np.random.default_rng(11))
    g2 = Simulation("rongcheng", population=300, steps=5, rng=np.random.default_rng(11))
    assert g1.seed == g2.seed
    g1.run()
    g2.run()
    assert g1.result().citizens.equals(g2.result().citizens)


def test_an_unfinished_simulation_lets_its_folder_go(tmp_path):
    import subprocess
    import sys

    probe = ("import sys; from scslab.store import RunWriter\n"
             "try:\n    RunWriter(sys.argv[1], resume=True).close(); print('free')\n"
             "except Exception as e:\n    print(type(e).__name__)")

    def other_process() -> str:
        return subprocess.run([sys.executable, "-c", probe, str(tmp_path / "r")], capture_output=True, text=True,
                              timeout=120).stdout.strip()

    sim = Simulation("rongcheng", population=200, steps=5, seed=1, out=tmp_path / "r")
    sim.step()
    assert other_process() == "RunLockedError"  # claimed while it steps
    sim.close()
    assert other_process() == "free"
    assert not (tmp_path / "r" / "COMPLETE").exists()


def test_resume_as_a_simulation(tmp_path):
    import scslab.engine.checkpoint as ck

    kw = dict(population=600, steps=20, seed=9)
    want = simulate("rongcheng", out=tmp_path / "want", **kw)
    sim = Simulation("rongcheng", out=tmp_path / "r", checkpoint_every=5, **kw)
    sim.run(12)  # checkpoints at 5 and 10
    sim.close()  # as if killed
    assert ck.read_config(tmp_path / "r") is not None
    with Simulation.resume(tmp_path / "r") as again:
        assert again.t == 10
        again.run()
        got = again.result()
    assert got.citizens.equals(want.citizens) and got.steps.equals(want.steps)
