"""scslab benchmarks: speed, memory, the slowest phase, Mesa for comparison, start-up.

    .venv/bin/python benchmarks/run.py [--quick] [--big] [--json OUT] [--steps N]

Every case runs in a fresh subprocess (`run.py --case '<json>'`), so its peak memory
(RSS high-water mark from resource.getrusage) is its own. Inside it, a tiny run of the
same case first loads numba's compiled kernels and warms caches; the RSS after that is
the baseline subtracted to get bytes per citizen and per tie. Timings exclude it.
How to read the output: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NATION_SIZE = 43
NATIONAL = "court-blacklist"
# Local pilots for the nation, cycled over its municipalities. `none` has no rules, and
# court-blacklist is the national layer itself (its lists would clash with their copy).
NATION_PILOTS = ("rongcheng", "suining", "sesame", "rule-of-law")
# Phases as the shard calls them: module-level functions imported into scslab.engine.shard,
# and Shard methods (publish is called by the run loop).
PHASE_FUNCTIONS = ("disclose", "behave", "observe", "score", "listing", "appeal", "sanction", "collect", "c4_cells")
PHASE_METHODS = ("neighbourhood", "network_phase", "trust_phase", "ground_truth", "publish")
PHASE_ORDER = ("neighbourhood", "c4_cells", "disclose", "behave", "observe", "score", "ground_truth", "listing",
               "appeal", "sanction", "network_phase", "trust_phase", "collect", "publish")


# --- inside a case subprocess ---------------------------------------------------------------
def _rss_bytes() -> int:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(r if sys.platform == "darwin" else r * 1024)


def _rss_now_bytes() -> int | None:
    """Current resident set size (Linux), to tell memory held from a transient peak."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _nation_rulebooks(m: int = NATION_SIZE) -> list[str]:
    return [NATION_PILOTS[i % len(NATION_PILOTS)] for i in range(m)]


def _executor(case: dict):
    """The shard executor a nation case asks for (`"executor": "ray"`, `"workers": k`), or None."""
    if case.get("executor") in (None, "local"):
        return None
    if case["executor"] == "in-process":
        from scslab.engine.distributed import InProcessBlocks

        return InProcessBlocks(case.get("workers", 2))
    import ray

    from scslab.engine.ray_blocks import RayShards

    if not ray.is_initialized():
        ray.init(num_cpus=max(2, case.get("workers", 2)), include_dashboard=False, log_to_driver=False)
    return RayShards(case.get("workers", 2))


def _run_scslab(case: dict, population: int, steps: int):
    from scslab.engine import run_nation, simulate

    if case["kind"] == "nation" and case.get("config"):
        from scslab.nation.run import run_config

        return run_config(case["config"], population=population, steps=steps, seed=case.get("seed", 1),
                          save_ties=False, executor=_executor(case))
    if case["kind"] == "nation":
        return run_nation(_nation_rulebooks(), population=population, steps=steps, seed=case.get("seed", 1),
                          national=NATIONAL, save_ties=False, executor=_executor(case))
    return simulate(case.get("rulebook", "rongcheng"), population=population, steps=steps,
                    seed=case.get("seed", 1), save_ties=False)


class PhaseTimer:
    """Wraps the shard's phase functions and methods with perf_counter accumulators."""

    def __init__(self):
        from scslab.engine import shard as shard_mod

        self.mod = shard_mod
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.longest: dict[str, float] = {}  # the slowest single call: a compile spike shows here
        self.missing: list[str] = []
        self._undo: list[tuple[object, str, object]] = []

    def _wrap(self, name: str, fn):
        seconds, calls, longest, clock = self.seconds, self.calls, self.longest, time.perf_counter
        seconds.setdefault(name, 0.0)
        calls.setdefault(name, 0)
        longest.setdefault(name, 0.0)

        def timed(*a, **k):
            t0 = clock()
            try:
                return fn(*a, **k)
            finally:
                dt = clock() - t0
                seconds[name] += dt
                calls[name] += 1
                if dt > longest[name]:
                    longest[name] = dt

        timed.__wrapped__ = fn
        return timed

    def __enter__(self):
        for name in PHASE_FUNCTIONS:
            if hasattr(self.mod, name):
                orig = getattr(self.mod, name)
                self._undo.append((self.mod, name, orig))
                setattr(self.mod, name, self._wrap(name, orig))
            else:
                self.missing.append(name)
        for name in PHASE_METHODS:
            if hasattr(self.mod.Shard, name):
                orig = self.mod.Shard.__dict__[name]
                self._undo.append((self.mod.Shard, name, orig))
                setattr(self.mod.Shard, name, self._wrap(name, orig))
            else:
                self.missing.append("Shard." + name)
        return self

    def __exit__(self, *exc):
        for obj, name, orig in reversed(self._undo):
            setattr(obj, name, orig)
        return False


def run_case(case: dict) -> dict:
    """One measurement, in this (fresh) process."""
    kind = case["kind"]
    warnings.filterwarnings("ignore", category=UserWarning, module="mesa")
    out = {"case": case}
    if kind != "startup":
        import numba

        out["numba_threads_at_start"] = numba.get_num_threads()
    if kind == "startup":
        return out | _startup(case)
    if kind == "mesa":
        sys.path.insert(0, str(HERE))
        from mesa_model import run_mesa

        run_mesa(case.get("rulebook", "rongcheng"), population=200, steps=2, seed=0)  # imports, caches
        base = _rss_bytes()
        t0 = time.perf_counter()
        r = run_mesa(case.get("rulebook", "rongcheng"), population=case["population"], steps=case["steps"],
                     seed=case.get("seed", 1))
        wall = time.perf_counter() - t0
        peak, held = _rss_bytes(), _rss_now_bytes()
        n, steps = case["population"], case["steps"]
        return out | {"rss_after": held,
            "citizens": n, "steps": steps, "wall_seconds": wall, "build_seconds": r["build_seconds"],
            "run_seconds": r["run_seconds"], "citizen_steps_per_second": n * steps / r["run_seconds"],
            "citizen_steps_per_second_wall": n * steps / wall, "baseline_rss": base, "peak_rss": peak,
            "bytes_per_citizen": (peak - base) / n,
            "held_bytes_per_citizen": None if held is None else (held - base) / n,
        }
    # scslab cases: warm up with the same kind of run at a tiny size (imports, kernels), then
    # with the harsh test rulebook, which lists people within days: kernels that only run
    # once someone is listed (tie dropping, association) are loaded or compiled here too.
    nation_kinds = ("nation", "phases-nation", "nation-ray", "nation-config", "nation-config-ray")
    tiny = NATION_SIZE * 100 if kind in nation_kinds else 2_000
    scs_kind = "nation" if kind in nation_kinds else "municipality"
    scs_case = dict(case, kind=scs_kind)
    from scslab.engine import behave as behave_mod

    threshold = behave_mod.PARALLEL_CANDIDATES
    behave_mod.PARALLEL_CANDIDATES = 0  # big days decide on both threads: load that kernel too
    _run_scslab(scs_case, tiny, 3)
    _run_scslab({"kind": "municipality", "rulebook": str(ROOT / "tests" / "data" / "harsh.yaml")}, 2_000, 12)
    behave_mod.PARALLEL_CANDIDATES = threshold
    base = _rss_bytes()
    n, steps = case["population"], case["steps"]
    timer = None
    t0 = time.perf_counter()
    if kind.startswith("phases"):
        with PhaseTimer() as timer:
            r = _run_scslab(scs_case, n, steps)
    else:
        r = _run_scslab(scs_case, n, steps)
    wall = time.perf_counter() - t0
    peak, held = _rss_bytes(), _rss_now_bytes()
    # A short step loop (the Mesa comparison's is a fraction of a second) is at the mercy of
    # one hiccup of the machine: such cases repeat the run and report the median loop time.
    def loop_seconds(res):  # on workers: the supersteps, not the workers' start or the way back
        ex = res.timing.get("executor")
        return ex["loop_seconds"] if ex else res.timing["run_seconds"]

    runs = [loop_seconds(r)]
    for _ in range(case.get("repeats", 1) - 1):
        runs.append(loop_seconds(_run_scslab(scs_case, n, steps)))
    import numba

    out["numba_threads"] = numba.get_num_threads()  # as the run left it (the engine may choose)
    tm = dict(r.timing, run_seconds=statistics.median(runs))
    ties = int(r.network.ties_initial.iloc[0])
    res = out | {
        "citizens": int(r.manifest["population"]), "steps": steps, "ties": ties,
        "municipalities": len(r.manifest["municipalities"]),
        "wall_seconds": wall, "society_seconds": tm["society_seconds"], "run_seconds": tm["run_seconds"],
        "other_seconds": wall - tm["society_seconds"] - tm["run_seconds"],
        "citizen_steps_per_second": n * steps / tm["run_seconds"],
        "citizen_steps_per_second_wall": n * steps / wall,
        "baseline_rss": base, "peak_rss": peak, "rss_after": held,
        "bytes_per_citizen": (peak - base) / n, "bytes_per_tie": (peak - base) / max(ties, 1),
        "held_bytes_per_citizen": None if held is None else (held - base) / n,
        "run_seconds_each": runs,
        "year_seconds_estimate": tm["society_seconds"] + 365 * tm["run_seconds"] / steps
        + (wall - tm["society_seconds"] - tm["run_seconds"]),
    }
    if r.timing.get("executor"):
        ex = r.timing["executor"]
        res["executor"] = ex
        res["run_seconds_with_workers_start"] = r.timing["run_seconds"]
        # c-steps/s from the median superstep, and from the busiest worker's processor time
        # (what the loop would take on an otherwise idle machine, exchange waits aside)
        res["citizen_steps_per_second_median_superstep"] = n / ex["superstep_seconds_median"]
        if ex.get("worker_cpu_seconds"):
            res["citizen_steps_per_second_busiest_worker_cpu"] = n * steps / max(ex["worker_cpu_seconds"])
    if timer is not None:
        total = sum(timer.seconds.values())
        res["phases"] = {
            k: {"seconds_per_step": timer.seconds[k] / steps, "calls": timer.calls[k],
                "longest_call_seconds": timer.longest[k],
                "share_of_run": timer.seconds[k] / tm["run_seconds"]}
            for k in PHASE_ORDER if k in timer.seconds
        }
        res["phases_unwrapped_seconds_per_step"] = (tm["run_seconds"] - total) / steps
        res["phases_missing"] = timer.missing
    return res


def _scslab_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("scslab")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "scslab"]


def _startup(case: dict) -> dict:
    out = {}
    for label, args in (("scslab --help", ["--help"]), ("scslab validate rongcheng", ["validate", "rongcheng"])):
        times = []
        for _ in range(case.get("repeat", 5)):
            t0 = time.perf_counter()
            p = subprocess.run(_scslab_cmd() + args, capture_output=True, text=True)
            times.append(time.perf_counter() - t0)
            if p.returncode != 0:
                raise RuntimeError(f"{label} exited {p.returncode}: {p.stderr[-500:]}")
        out[label] = {"best_seconds": min(times), "all_seconds": times}
    return out


# --- the driver -------------------------------------------------------------------------------
def measure(case: dict, timeout: float | None = None, threads: int | None = None) -> dict:
    """Run one case in a fresh interpreter and return its JSON result (or the error)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--case", json.dumps(case)]
    env = dict(os.environ)
    if threads:
        env["NUMBA_NUM_THREADS"] = str(threads)
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)
    except subprocess.TimeoutExpired:
        return {"case": case, "error": f"timed out after {timeout} s"}
    if p.returncode != 0:
        return {"case": case, "error": (p.stderr or p.stdout)[-2000:]}
    res = json.loads(p.stdout.strip().splitlines()[-1])
    res["subprocess_seconds"] = time.perf_counter() - t0
    return res


def plan(quick: bool, big: bool, steps: int, mesa_steps: int | None, mesa_population: int | None,
         skip_mesa: bool) -> list[dict]:
    sizes = [10_000, 100_000] if quick else [100_000, 1_000_000]
    if big:
        sizes.append(10_000_000)
    nation_n = 100_000 if quick else 1_000_000
    phase_n = 100_000 if quick else 1_000_000
    # This machine's speed moves by up to half between runs minutes apart (docs/benchmarks.md,
    # Noise): up to 1e6 the step loop is timed five times in the same process and the
    # median reported (each run's time is kept in run_seconds_each).
    cases = [{"kind": "rongcheng", "rulebook": "rongcheng", "population": n, "steps": steps,
              **({"repeats": 5} if n <= 1_000_000 else {})} for n in sizes]
    cases.append({"kind": "nation", "population": nation_n, "steps": steps})
    # The same nation on 2 Ray workers, and the bundled nation (pilots-43) here and on Ray
    cases.append({"kind": "nation-ray", "population": nation_n, "steps": steps, "executor": "ray", "workers": 2})
    cases.append({"kind": "nation-config", "config": "pilots-43", "population": nation_n, "steps": steps})
    cases.append({"kind": "nation-config-ray", "config": "pilots-43", "population": nation_n, "steps": steps,
                  "executor": "ray", "workers": 2})
    cases.append({"kind": "phases-rongcheng", "rulebook": "rongcheng", "population": phase_n, "steps": steps})
    cases.append({"kind": "phases-nation", "population": nation_n, "steps": steps})
    if not skip_mesa and importlib.util.find_spec("mesa") is None:
        print("  mesa is not installed (pip install -e '.[bench]'): the Mesa comparison is left out")
        skip_mesa = True
    if not skip_mesa:
        mn = mesa_population or (2_000 if quick else 10_000)
        ms = mesa_steps or (20 if quick else 100)
        cases.append({"kind": "scslab-vs-mesa", "rulebook": "rongcheng", "population": mn, "steps": ms, "repeats": 5})
        cases.append({"kind": "mesa", "rulebook": "rongcheng", "population": mn, "steps": ms})
    cases.append({"kind": "startup", "repeat": 5})
    return cases


def _fmt_bytes(b: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(b) < 1024 or unit == "GiB":
            return f"{b:,.0f} {unit}" if unit == "B" else f"{b:,.1f} {unit}"
        b /= 1024
    return str(b)


def render(results: list[dict]) -> str:
    lines = []
    runs = [r for r in results if "citizens" in r and not r["case"]["kind"].startswith("phases")]
    if runs:
        lines.append("Runs (timings exclude numba compilation; citizen-steps/s over the step loop, and over wall time;"
                     " thr = numba threads used)")
        head = f"{'case':<18}{'citizens':>12}{'munis':>6}{'thr':>4}{'steps':>6}{'wall s':>9}{'society s':>10}{'steps s':>9}" \
               f"{'c-steps/s':>12}{'(wall)':>11}{'peak RSS':>12}{'B/citizen':>10}{'B/tie':>8}{'held B/c':>9}"
        lines += [head, "-" * len(head)]
        for r in runs:
            lines.append(
                f"{r['case']['kind']:<18}{r['citizens']:>12,}{r.get('municipalities', 1):>6}"
                f"{r.get('numba_threads', r.get('numba_threads_at_start', 0)):>4}{r['steps']:>6}"
                f"{r['wall_seconds']:>9.2f}{r.get('society_seconds', r.get('build_seconds', 0)):>10.2f}"
                f"{r['run_seconds']:>9.2f}{r['citizen_steps_per_second']:>12,.0f}"
                f"{r['citizen_steps_per_second_wall']:>11,.0f}{_fmt_bytes(r['peak_rss']):>12}"
                f"{r['bytes_per_citizen']:>10,.0f}{r['bytes_per_tie'] if 'bytes_per_tie' in r else float('nan'):>8,.0f}"
                f"{r.get('held_bytes_per_citizen') or float('nan'):>9,.0f}")
        for r in runs:
            if "year_seconds_estimate" in r:
                lines.append(f"  {r['case']['kind']} {r['citizens']:,}: a 365-step run would take about "
                             f"{r['year_seconds_estimate']:,.0f} s (society + 365 x step time + results), "
                             f"extrapolated from {r['steps']} steps")
            ex = r.get("executor")
            if ex:
                lines.append(f"  {r['case']['kind']} {r['citizens']:,}: {ex['workers']} {ex['executor']} workers, blocks "
                             f"{ex['blocks']}; {ex['exchange_bytes_per_step']:,} bytes ({ex['exchange_ids_per_step']:,} "
                             f"view entries) exchanged per step; median superstep {ex['superstep_seconds_median']:.4f} s"
                             f" = {r['citizen_steps_per_second_median_superstep']:,.0f} c-steps/s; workers' CPU "
                             f"{ex.get('worker_cpu_seconds')} s; start {ex['start_seconds']} s, back "
                             f"{ex['finish_seconds']} s")
            each = r.get("run_seconds_each") or []
            if len(each) > 1:
                rates = sorted(r["citizens"] * r["steps"] / x for x in each)
                lines.append(f"  {r['case']['kind']} {r['citizens']:,}: step loop timed {len(each)} times, "
                             f"{rates[0]:,.0f} to {rates[-1]:,.0f} citizen-steps/s (the median is reported)")
        lines.append("  B/citizen, B/tie: (peak RSS - baseline) / citizens or ties; held B/c: RSS still held after the run,"
                     " result tables included")
        lines.append("  ('mesa' rows: society s = building the Mesa model (graph, agents); B/citizen includes it)")
    for r in results:
        if "phases" not in r:
            continue
        lines.append("")
        lines.append(f"Phases: {r['case']['kind']} {r['citizens']:,} citizens, {r['municipalities']} "
                     f"municipalities, {r['steps']} steps, {r.get('numba_threads')} numba threads")
        lines.append(f"  {'phase':<16}{'s/step':>10}   {'share':>6}  {'calls':>7}{'longest call':>14}")
        ph = sorted(r["phases"].items(), key=lambda kv: -kv[1]["seconds_per_step"])
        for k, v in ph:
            bar = "#" * int(round(30 * v["share_of_run"]))
            lines.append(f"  {k:<16}{v['seconds_per_step']:>10.4f} s {100 * v['share_of_run']:>6.1f}%  "
                         f"{v['calls']:>7}{v['longest_call_seconds']:>12.4f} s  {bar}")
        rest = r["phases_unwrapped_seconds_per_step"]
        lines.append(f"  {'(rest of loop)':<16}{rest:>10.4f} s {100 * rest * r['steps'] / r['run_seconds']:>6.1f}%"
                     "  (grades per step, midpoint copy, wrapper overhead)")
        if r.get("phases_missing"):
            lines.append(f"  not found in scslab.engine.shard (not timed): {', '.join(r['phases_missing'])}")
    s = next((r for r in results if r["case"]["kind"] == "scslab-vs-mesa" and "citizens" in r), None)
    m = next((r for r in results if r["case"]["kind"] == "mesa" and "citizens" in r), None)
    if s and m:
        lines.append("")
        lines.append(f"scslab vs Mesa: rongcheng, {m['citizens']:,} citizens, {m['steps']} steps")
        lines.append(f"  scslab {s['citizen_steps_per_second']:>12,.0f} citizen-steps/s (step loop), "
                     f"{s['citizen_steps_per_second_wall']:,.0f} over wall time incl. society")
        lines.append(f"  Mesa   {m['citizen_steps_per_second']:>12,.0f} citizen-steps/s (step loop), "
                     f"{m['citizen_steps_per_second_wall']:,.0f} over wall time incl. building")
        lines.append(f"  speed ratio scslab / Mesa: {s['citizen_steps_per_second'] / m['citizen_steps_per_second']:,.0f}x "
                     f"(step loop), {s['citizen_steps_per_second_wall'] / m['citizen_steps_per_second_wall']:,.0f}x (wall)")
        lines.append(f"  memory per citizen: scslab {s['bytes_per_citizen']:,.0f} B, Mesa {m['bytes_per_citizen']:,.0f} B")
    st = next((r for r in results if r["case"]["kind"] == "startup" and "error" not in r), None)
    if st:
        lines.append("")
        lines.append("Start-up (subprocess, best of 5)")
        for k in ("scslab --help", "scslab validate rongcheng"):
            lines.append(f"  {k:<28}{st[k]['best_seconds']:>7.2f} s")
    for r in results:
        if "error" in r:
            lines.append(f"\nERROR in {r['case']}: {r['error']}")
    return "\n".join(lines)


def _meta(argv: list[str]) -> dict:
    def git(*a):
        try:
            return subprocess.run(["git", *a], capture_output=True, text=True, cwd=ROOT).stdout.strip()
        except OSError:
            return ""

    return {
        "command": " ".join([".venv/bin/python", "benchmarks/run.py", *argv]),
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "numba_threads_env": os.environ.get("NUMBA_NUM_THREADS"),
    }


def write_json(path: Path, doc: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description="scslab benchmarks (see docs/benchmarks.md)")
    ap.add_argument("--quick", action="store_true", help="small sizes (1e4, 1e5; Mesa 2,000 x 20 steps)")
    ap.add_argument("--big", action="store_true", help="add rongcheng at 1e7 citizens")
    ap.add_argument("--json", type=Path, default=HERE / "results.json", help="where to write the results")
    ap.add_argument("--steps", type=int, default=30, help="steps per timed scslab run (default 30)")
    ap.add_argument("--mesa-steps", type=int, default=None, help="steps of the scslab-vs-Mesa runs (default 100)")
    ap.add_argument("--mesa-population", type=int, default=None, help="citizens of the scslab-vs-Mesa runs (default 1e4)")
    ap.add_argument("--skip-mesa", action="store_true", help="leave out the Mesa comparison")
    ap.add_argument("--only", default=None, help="comma-separated case kinds to run (e.g. phases-rongcheng,startup)")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds allowed per case")
    ap.add_argument("--threads", type=int, default=None, help="NUMBA_NUM_THREADS for the cases (default: numba's)")
    ap.add_argument("--case", default=None, help=argparse.SUPPRESS)  # internal: run one case here
    a = ap.parse_args(argv)
    if a.case is not None:
        case = json.loads(a.case)
        if case["kind"] == "scslab-vs-mesa":
            case = dict(case, kind="rongcheng")
            res = run_case(case)
            res["case"]["kind"] = "scslab-vs-mesa"
        else:
            res = run_case(case)
        print(json.dumps(res))
        return 0
    cases = plan(a.quick, a.big, a.steps, a.mesa_steps, a.mesa_population, a.skip_mesa)
    if a.only:
        keep = set(a.only.split(","))
        cases = [c for c in cases if c["kind"] in keep]
    meta = _meta(argv)
    if a.threads:
        meta["numba_threads_env"] = str(a.threads)
    print(f"scslab benchmarks  {meta['date_utc']}  commit {meta['git_commit'][:10]}"
          f"{' (dirty)' if meta['git_dirty'] else ''}  {meta['cpus']} CPUs  load {meta['load_average_at_start']}")
    results = []
    for c in cases:
        print(f"  running {c} ...", flush=True)
        r = measure(c, a.timeout, a.threads)
        if "error" in r:
            print(f"    failed: {r['error'].strip().splitlines()[-1] if r['error'].strip() else '?'}", flush=True)
        results.append(r)
    print()
    print(render(results))
    write_json(a.json, {"meta": meta, "results": results})
    print(f"\nwritten {a.json}")
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
