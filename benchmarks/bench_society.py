"""Benchmark the synthetic society: time, peak memory and network statistics.

    .venv/bin/python benchmarks/bench_society.py            # 1e5 and 1e6
    .venv/bin/python benchmarks/bench_society.py --big      # and 1e7
    .venv/bin/python benchmarks/bench_society.py --sizes 200000 --municipalities 1

Wall times on a shared machine vary with other load; the CPU times printed next to them
(all kernels are single-threaded) show what an idle machine would take.
Each size runs in a fresh subprocess so the peak resident memory (ru_maxrss) belongs to it.
"Peak extra" is that peak minus the resident memory before generating (after numba warm-up).
The clustering calibration is timed apart: it depends on the spec only and is cached.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def one(n: int, municipalities: int, seed: int) -> dict:
    import numpy as np

    from scslab.society import SocietySpec, make_network, make_population, make_society
    from scslab.society import measures as ms
    from scslab.society.network import PILOT_N, long_range_share

    make_society(SocietySpec(n=2_000, municipalities=2), 0)  # compile (or load) numba kernels
    spec = SocietySpec(n=n, municipalities=municipalities)
    net_spec = spec.network
    cross = net_spec.cross_municipality_share if municipalities > 1 else 0.0
    base = _rss_bytes()

    t0 = time.perf_counter()
    long_range_share(float(net_spec.mean_degree), float(net_spec.clustering_target),
                     float(net_spec.degree_dispersion), float(cross), min(PILOT_N, max(n, 1_000)))
    t1 = time.perf_counter()
    c1 = time.process_time()
    pop = make_population(spec, seed)
    t2 = time.perf_counter()
    c2 = time.process_time()
    net = make_network(pop, spec, seed)
    t3 = time.perf_counter()
    c3 = time.process_time()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    stats = ms.summary(net, pop, sample=20_000)
    t4 = time.perf_counter()
    ties = net.n_ties
    return {
        **{k: float(v) for k, v in stats.items() if np.isscalar(v)},
        "n": n,
        "municipalities": municipalities,
        "calibration_s": t1 - t0,
        "population_s": t2 - t1,
        "network_s": t3 - t2,
        "total_s": t3 - t1,
        "population_cpu_s": c2 - c1,
        "network_cpu_s": c3 - c2,
        "measures_s": t4 - t3,
        "peak_extra_mb": (peak - base) / 2**20,
        "result_mb": (pop.nbytes + net.nbytes) / 2**20,
        "peak_bytes_per_citizen": (peak - base) / n,
        "peak_bytes_per_tie_beyond_150_per_citizen": max(peak - base - 150 * n, 0) / max(ties, 1),
        "stored_bytes_per_tie": net.nbytes / max(ties, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    ap.add_argument("--big", action="store_true", help="also run 10,000,000 citizens")
    ap.add_argument("--municipalities", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.municipalities, args.seed)))
        return
    sizes = list(args.sizes) + ([10_000_000] if args.big else [])
    for n in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n), "--municipalities",
             str(args.municipalities), "--seed", str(args.seed)],
            capture_output=True, text=True, check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"n={r['n']:,} municipalities={r['municipalities']}")
        print(f"  time: population {r['population_s']:.2f} s, network {r['network_s']:.2f} s, "
              f"total {r['total_s']:.2f} s (+ calibration {r['calibration_s']:.2f} s, cached; "
              f"measures {r['measures_s']:.2f} s)")
        print(f"  cpu time (wall time without other load): population "
              f"{r['population_cpu_s']:.2f} s, network {r['network_cpu_s']:.2f} s")
        print(f"  memory: peak extra {r['peak_extra_mb']:.0f} MB = "
              f"{r['peak_bytes_per_citizen']:.0f} B/citizen; result {r['result_mb']:.0f} MB; "
              f"stored {r['stored_bytes_per_tie']:.1f} B/tie")
        print(f"  network: ties {r['ties']:,.0f}, mean degree {r['mean_degree']:.2f} "
              f"(sd {r['degree_sd']:.2f}, max {r['max_degree']:.0f}), clustering "
              f"{r['avg_clustering']:.3f} (ER {r['er_clustering']:.1e}), cross-municipality "
              f"{r['cross_municipality_share']:.3f}")
        print(f"  assortativity: group {r['assort_group']:.3f}, virtue {r['assort_virtue']:.3f}, "
              f"log income {r['assort_log_income']:.3f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
