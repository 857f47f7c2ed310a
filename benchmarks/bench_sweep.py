"""Sweep throughput: many runs of 1e4 citizens x 365 days on this machine's cores.

    .venv/bin/python benchmarks/bench_sweep.py [--runs 1000] [--population 10000] [--steps 365] [--workers 2]

First the per-run costs, measured in this process after a warm-up (what a long-lived worker
pays per run): building the society, the run itself, the claim metrics; and the one-off
costs a worker pays once (starting Python and importing scslab, loading numba's compiled
kernels). Then the throughput of `--runs` runs of a Latin-hypercube sweep of rongcheng's
plausible box through the local executor (long-lived worker processes), wall time and runs
per minute, with the machine's load average before and after (timings on a shared machine
are noisy: read them with it). Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def per_run_costs(population: int, steps: int, repeats: int = 3) -> dict:
    t0 = time.perf_counter()
    from scslab.engine import simulate
    from scslab.metrics import context_from_rulebook, run_metrics
    from scslab.pilots import load_pilot
    from scslab.society import SocietySpec, make_society

    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    simulate("rongcheng", population=500, steps=3, seed=0)  # loads numba's cached kernels
    make_society(SocietySpec(n=500, municipalities=1), seed=0)
    t_warm = time.perf_counter() - t0
    rb = load_pilot("rongcheng")
    ctx = context_from_rulebook(rb)
    soc, sim, met, cpu = [], [], [], []
    for s in range(1, repeats + 1):
        t0 = time.perf_counter()
        make_society(SocietySpec(n=population, municipalities=1), seed=s)
        soc.append(time.perf_counter() - t0)
        t0, c0 = time.perf_counter(), time.process_time()
        r = simulate(rb, population=population, steps=steps, seed=s, ledger=min(1.0, 20_000 / population))
        sim.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        run_metrics(r, ctx)
        met.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {"import_seconds_in_process": round(t_import, 3), "numba_load_seconds": round(t_warm, 3),
            "society_seconds_median": round(statistics.median(soc), 4),
            "run_seconds_median": round(statistics.median(sim), 3), "run_seconds_range": [round(min(sim), 3),
                                                                                        round(max(sim), 3)],
            "metrics_seconds_median": round(statistics.median(met), 3),
            # Processor time of run + metrics: what a run costs a core whatever else the machine does.
            "run_and_metrics_cpu_seconds_median": round(statistics.median(cpu), 3),
            "note": "run_seconds includes building the society (simulate makes its own)"}


def interpreter_start() -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import scslab.experiments.runner, scslab.engine"], check=True, cwd=ROOT)
    return round(time.perf_counter() - t0, 3)


def throughput(runs: int, population: int, steps: int, workers: int) -> dict:
    from scslab.experiments.executors import make_executor
    from scslab.experiments.runner import RunSpec, run_all
    from scslab.experiments.sweep import SweepConfig, design_points, plausible_box
    from scslab.pilots import load_pilot

    rb = load_pilot("rongcheng")
    factors = plausible_box(rb)
    pts = design_points(SweepConfig("rongcheng", factors, design="lhs", samples=runs), factors)
    specs = [RunSpec("rongcheng", 1 + i % 2, population, steps, role="sweep",
                     overrides=tuple(sorted({f.path: float(v) for f, v in zip(factors, row, strict=True)}.items())))
             for i, row in enumerate(pts)]
    load0 = os.getloadavg()
    t0 = time.perf_counter()
    with make_executor("local", workers) as ex:
        t_pool = time.perf_counter()
        run_all(specs, executor=ex)
    wall = time.perf_counter() - t0
    return {"runs": runs, "workers": workers, "wall_seconds": round(wall, 1),
            "runs_per_minute": round(runs / wall * 60, 1), "seconds_per_run_per_worker": round(wall * workers / runs, 3),
            "pool_start_seconds": round(t_pool - t0, 3),
            "projected_minutes_for_1000": round(wall / runs * 1000 / 60, 1),
            "load_before": [round(x, 2) for x in load0], "load_after": [round(x, 2) for x in os.getloadavg()]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--population", type=int, default=10_000)
    ap.add_argument("--steps", type=int, default=365)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    a = ap.parse_args()
    per_run = per_run_costs(a.population, a.steps)
    out = {"cpu_count": os.cpu_count(), "population": a.population, "steps": a.steps,
           "interpreter_start_and_import_seconds": interpreter_start(),
           "per_run": per_run,
           # On an otherwise idle machine each worker has a core: processor time bounds the wall time.
           "projected_minutes_for_1000_on_idle_cores": round(
               1000 * per_run["run_and_metrics_cpu_seconds_median"] / a.workers / 60, 1),
           "throughput": throughput(a.runs, a.population, a.steps, a.workers) if a.runs else None}
    text = json.dumps(out, indent=2)
    print(text)
    if a.json:
        a.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
