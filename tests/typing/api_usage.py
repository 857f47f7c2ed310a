"""The public API as a user writes it, checked by mypy (scripts/test; tests/test_typing.py).

Not run: it only has to type-check. Each line uses a public name the way the README and the
docs do, so a signature or a return type that changes shape shows here.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import scslab
from scslab.audit import AuditReport, audit, audit_file
from scslab.engine import EngineParams, Levers, RunResult, resume, run_nation, simulate
from scslab.experiments import CompareConfig, Comparison, compare
from scslab.metrics import CLAIMS, Interval, run_metrics, t_interval
from scslab.pilots import PILOTS, load_pilot, resolve_rulebook
from scslab.rulebook import Rulebook, RulebookError, load_rulebook, parse_rulebook
from scslab.store import open_run


def a_run(folder: Path) -> float:
    rb: Rulebook = load_pilot("rongcheng")
    result: RunResult = simulate(rb, population=2_000, steps=30, seed=1, ledger=0.1,
                                 params=EngineParams(), levers=Levers(code=False))
    steps: pd.DataFrame = result.steps
    citizens: pd.DataFrame = result.citizens
    manifest: dict = result.manifest
    result.write(folder)
    metrics: dict[str, float] = run_metrics(result)
    again: RunResult = resume(folder)
    nation: RunResult = run_nation(["rongcheng", "suining"], population=3_000, national="court-blacklist",
                                   steps=30, seed=1)
    del steps, citizens, manifest, again, nation
    return metrics["mean_trust"]


def top_level() -> None:
    rb: Rulebook = scslab.load_rulebook("mine.yaml")
    r: scslab.RunResult = scslab.simulate(rb, population=1_000, steps=10)
    m: dict[str, float] = scslab.run_metrics(r)
    del m


def a_comparison() -> list[str]:
    cmp: Comparison = compare(CompareConfig(pilots=("rongcheng", "sesame"), population=2_000, steps=60, seeds=2))
    iv: Interval = cmp.value("rongcheng", "mean_trust")
    assert iv.n >= 0
    verdicts: dict[str, str] = cmp.verdicts["rongcheng"]
    return [CLAIMS[c].short for c in verdicts]


def an_audit(path: str) -> bool:
    report: AuditReport = audit(load_rulebook(path))
    from_file: AuditReport = audit_file(path)
    return len(report.findings) == len(from_file.findings)


def loading(text: str) -> Rulebook | None:
    try:
        return parse_rulebook(text, "inline.yaml")
    except RulebookError as e:
        print(e.problems[0])
        return None


def odds_and_ends(folder: Path) -> None:
    assert "rongcheng" in PILOTS
    resolve_rulebook("rongcheng")
    print(t_interval([1.0, 2.0, 3.0]).mean, open_run(folder).manifest)


def stepping() -> int:
    import numpy as np

    from scslab.engine import PublicView, RunConfig, Simulation

    config: RunConfig = scslab.RunConfig(population=1_000, steps=10, seed=np.random.SeedSequence(3))
    sim: Simulation = scslab.Simulation("rongcheng", config, ledger=0.1)
    rows: list[dict[str, float]] = sim.step()
    view: PublicView = sim.public_view()
    listed: int = int(view.blacklisted.sum())
    sim.run(3)
    sim.run()
    done: bool = sim.done
    result: RunResult = sim.result()
    again = Simulation(["rongcheng", "suining"], population=2_000, steps=5, rng=np.random.default_rng(1),
                       society={"municipalities": 2})
    del rows, done, result, again
    return listed + sim.t
