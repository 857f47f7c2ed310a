"""A nation against one pilot, in processor time as well as wall time (docs/scaling.md).

    .venv/bin/python benchmarks/bench_nation.py [--population 1000000] [--steps 20] [--workers 2]
                                                [--cases pilot,nation,config,fixed,config-processes,config-ray]

On a machine other processes keep busy, wall time says more about them than about the
engine; processor time (of this process, or of each Ray worker over its supersteps) says
what the engine costs. Each case runs in a fresh process, after a small warm-up run.

- pilot: rongcheng at N citizens, one numba thread;
- nation: the benchmarks' nation (43 municipalities cycling rongcheng, suining, sesame,
  rule-of-law, with the court blacklist), in this process;
- config: the bundled pilots-43, in this process;
- fixed: pilots-43 at 43 x 100 citizens: the fixed cost of a shard's step (the step loop's
  processor time, `Shard.step` timed with time.process_time; `--repeat R` runs it R times in
  the process and reports the minimum and the median, which a loaded machine moves less);
- config-processes: pilots-43 on `--workers` worker processes (ProcessBlocks: views in
  shared memory, one numba thread each);
- config-ray: pilots-43 on `--workers` Ray workers.

The nation's target (issue 15): `--cases config-processes --steps 20` at >= 2e7
citizen-steps/s of wall time over the supersteps (`loop`) on 2 cores.

Prints one JSON line per case and a summary; `--json OUT` keeps them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PILOTS = ("rongcheng", "suining", "sesame", "rule-of-law")


def _run(case: dict, n: int, steps: int, executor=None):
    from scslab.engine import run_nation, simulate
    from scslab.nation.run import run_config

    kind = case["kind"]
    if kind == "pilot":
        return simulate("rongcheng", population=n, steps=steps, seed=1, save_ties=False)
    if kind == "nation":
        return run_nation([PILOTS[i % 4] for i in range(43)], population=n, steps=steps, seed=1,
                          national="court-blacklist", save_ties=False, executor=executor)
    return run_config("pilots-43", population=n, steps=steps, seed=1, save_ties=False, executor=executor)


def one_case(case: dict) -> dict:
    n, steps = case["population"], case["steps"]
    executor = None
    if case["kind"] == "config-ray":
        import ray

        from scslab.engine.ray_blocks import RayShards

        ray.init(num_cpus=case["workers"], include_dashboard=False, log_to_driver=False)
        executor = RayShards(case["workers"])
    if case["kind"] == "config-processes":
        from scslab.engine.process_blocks import ProcessBlocks

        executor = ProcessBlocks(case["workers"])
    if case["kind"] == "fixed":
        n = 4_300
    _run(case, 4_300 if case["kind"] != "pilot" else 2_000, 3,
         None if executor is None else type(executor)(case["workers"]))  # warm-up: kernels loaded
    if case["kind"] == "fixed":
        return _fixed(case, n, steps)
    load0 = os.getloadavg()[0]
    c0, w0 = time.process_time(), time.perf_counter()
    r = _run(case, n, steps, executor)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    tm = r.timing
    out = {"case": case["kind"], "citizens": n, "steps": steps, "load": [round(load0, 2), round(os.getloadavg()[0], 2)],
           "run_seconds": tm["run_seconds"], "wall_seconds": round(wall, 3), "process_cpu_seconds": round(cpu, 3),
           "citizen_steps_per_second": tm["citizen_steps_per_second"]}
    ex = tm.get("executor")
    if ex:
        busiest = max(ex["worker_cpu_seconds"])
        out.update({"executor": ex, "loop_seconds": ex["loop_seconds"],
                    "citizen_steps_per_second_loop": tm["citizen_steps_per_second_loop"],
                    "citizen_steps_per_second_median_superstep": round(n / ex["superstep_seconds_median"]),
                    "busiest_worker_cpu_ms_per_step": round(1000 * busiest / steps, 2),
                    "busiest_worker_process_cpu_ms_per_step": round(1000 * max(ex["worker_process_cpu_seconds"])
                                                                    / steps, 2),
                    "citizen_steps_per_second_busiest_worker_cpu": round(n * steps / busiest),
                    "worker_cpu_ms_per_step": [round(1000 * c / steps, 2) for c in ex["worker_cpu_seconds"]],
                    # the driver's processor time over the whole run (society, shipping, tables):
                    # on 2 cores it competes with the workers for the first and last seconds
                    "driver_cpu_seconds": round(cpu, 3)})
    else:
        # the step loop's processor time is not measured apart from the society's and the
        # tables': the loop's share of the wall time is applied to the process's processor time
        loop_cpu = cpu * tm["run_seconds"] / wall
        out.update({"loop_cpu_ms_per_step": round(1000 * loop_cpu / steps, 2),
                    "citizen_steps_per_second_cpu": round(n * steps / loop_cpu)})
        if case["kind"] == "fixed":
            out["cpu_ms_per_shard_step"] = round(1000 * loop_cpu / steps / 43, 3)
    return out


def _fixed(case: dict, n: int, steps: int) -> dict:
    """Processor time of the shards' steps only (no society, no tables), `repeat` times."""
    from scslab.engine import shard as shard_mod

    spent = [0.0]
    step = shard_mod.Shard.step

    def timed(self, *a, **k):
        c = time.process_time()
        try:
            return step(self, *a, **k)
        finally:
            spent[0] += time.process_time() - c

    per = []
    load0 = os.getloadavg()[0]
    shard_mod.Shard.step = timed
    try:
        for _ in range(max(1, case.get("repeat", 1))):
            spent[0] = 0.0
            _run(case, n, steps)
            per.append(1000 * spent[0] / steps / 43)
    finally:
        shard_mod.Shard.step = step
    per.sort()
    loop_cpu = per[len(per) // 2] * 43 * steps / 1000
    return {"case": "fixed", "citizens": n, "steps": steps, "load": [round(load0, 2), round(os.getloadavg()[0], 2)],
            "citizen_steps_per_second": round(n * steps / loop_cpu), "loop_cpu_ms_per_step": round(per[len(per) // 2] * 43, 2),
            "citizen_steps_per_second_cpu": round(n * steps / loop_cpu),
            "cpu_ms_per_shard_step": round(per[len(per) // 2], 3), "cpu_ms_per_shard_step_min": round(per[0], 3),
            "cpu_ms_per_shard_step_each": [round(x, 3) for x in per]}


def _blocks(ex: dict) -> str:
    """Ray's contiguous blocks as first-last; other executors' as municipality counts."""
    if ex["executor"] == "ray":
        return ", ".join(f"{a}-{b}" for a, b in ex["blocks"])
    return " + ".join(str(len(b)) for b in ex["blocks"]) + " municipalities"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--population", type=int, default=1_000_000)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3, help="runs of the fixed case (minimum and median)")
    ap.add_argument("--cases", default="pilot,nation,config,fixed,config-processes,config-ray")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--case", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.case:
        print(json.dumps(one_case(json.loads(a.case))))
        return 0
    results = []
    for kind in a.cases.split(","):
        case = {"kind": kind, "population": a.population, "steps": a.steps, "workers": a.workers, "repeat": a.repeat}
        env = dict(os.environ, NUMBA_NUM_THREADS="1")  # one thread: processor time per citizen-step
        p = subprocess.run([sys.executable, __file__, "--case", json.dumps(case)], capture_output=True, text=True,
                           env=env, cwd=HERE.parent)
        if p.returncode:
            print(f"{kind}: failed\n{p.stderr[-1500:]}")
            continue
        res = json.loads(p.stdout.strip().splitlines()[-1])
        print(json.dumps(res), flush=True)
        results.append(res)
    print()
    for r in results:
        if "executor" in r:
            ex = r["executor"]
            print(f"{r['case']:<11} {r['citizens']:>10,}  loop {r['citizen_steps_per_second_loop']:>12,} c-steps/s wall, "
                  f"median superstep {r['citizen_steps_per_second_median_superstep']:,}; busiest worker "
                  f"{r['busiest_worker_cpu_ms_per_step']} ms CPU/step = {r['citizen_steps_per_second_busiest_worker_cpu']:,}"
                  f" c-steps/s ({r['busiest_worker_process_cpu_ms_per_step']} ms with the process's other threads; "
                  f"each worker {r.get('worker_cpu_ms_per_step')}); blocks {_blocks(ex)}; exchange "
                  f"{ex['exchange_bytes_per_step']:,} B/step; load {r['load']}")
        elif r["case"] == "fixed":
            print(f"{r['case']:<11} {r['citizens']:>10,}  {r['cpu_ms_per_shard_step']} ms CPU per shard-step (median "
                  f"of {len(r['cpu_ms_per_shard_step_each'])}, min {r['cpu_ms_per_shard_step_min']}; the shards' "
                  f"steps only); load {r['load']}")
        else:
            extra = (f"; {r['cpu_ms_per_shard_step']} ms CPU per shard-step (median; min "
                     f"{r['cpu_ms_per_shard_step_min']} of {len(r['cpu_ms_per_shard_step_each'])})"
                     if "cpu_ms_per_shard_step" in r else "")
            print(f"{r['case']:<11} {r['citizens']:>10,}  loop {r['citizen_steps_per_second']:>12,} c-steps/s wall, "
                  f"{r['loop_cpu_ms_per_step']} ms CPU/step = {r['citizen_steps_per_second_cpu']:,} c-steps/s of "
                  f"CPU{extra}; load {r['load']}")
    if a.json:
        a.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
