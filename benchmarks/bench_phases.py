"""Where a day of a nation goes, phase by phase, early in a run and late (docs/scaling.md).

    .venv/bin/python benchmarks/bench_phases.py [--nation pilots-43] [--population 500000]
                                                [--steps 365] [--window 30]

Runs the nation in this process with one numba thread and times each phase of every
shard's step (`Shard`'s phases, wrapped with time.process_time: processor time, which a
busy machine moves less than wall time) over the first `window` days and the last. Prints
milliseconds a day per phase, both windows and their ratio: what grows as lists fill.
"""

from __future__ import annotations

import argparse
import collections
import os
import time

# Phases of a step (module functions called by Shard.step) and the Shard methods that are phases.
FUNCTIONS = ("tables_on_day", "disclose", "behave", "observe", "score", "listing", "appeal",
             "count_listed_days", "sanction", "purchases", "collect", "c4_cells", "sample_c4")
METHODS = ("network_phase", "trust_phase", "ground_truth", "neighbourhood")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nation", default="pilots-43")
    ap.add_argument("--population", type=int, default=500_000)
    ap.add_argument("--steps", type=int, default=365)
    ap.add_argument("--window", type=int, default=30, help="days at the start and at the end")
    a = ap.parse_args(argv)
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")  # before numba loads: one thread, as a worker
    import scslab.engine.shard as sh
    from scslab.nation.run import run_config

    steps, w = a.steps, min(a.window, max(1, a.steps // 2))
    spent: dict[tuple[str, str], float] = collections.defaultdict(float)
    day = [0]

    def window(t: int) -> str | None:
        return "first" if t < w else "last" if t >= steps - w else None

    def timed(name, fn):
        def wrapper(*args, **kw):
            c = time.process_time()
            try:
                return fn(*args, **kw)
            finally:
                if (where := window(day[0])) is not None:
                    spent[(where, name)] += time.process_time() - c
        return wrapper

    for name in FUNCTIONS:
        if hasattr(sh, name):
            setattr(sh, name, timed(name, getattr(sh, name)))
    for name in METHODS:
        setattr(sh.Shard, name, timed(name, getattr(sh.Shard, name)))
    step = sh.Shard.step

    def whole(self, t, *args, **kw):
        day[0] = t
        return timed("step (all phases)", step)(self, t, *args, **kw)

    sh.Shard.step = whole
    run_config(a.nation, population=4_300, steps=3, seed=1, save_ties=False)  # kernels loaded
    spent.clear()
    load0 = os.getloadavg()[0]
    run_config(a.nation, population=a.population, steps=steps, seed=1, save_ties=False)
    print(f"{a.nation} at {a.population:,} citizens, {steps} days, one process, one numba thread; "
          f"load {load0:.2f} -> {os.getloadavg()[0]:.2f}")
    print(f"{'phase':<20}{f'first {w} days':>16}{f'last {w} days':>16}{'ratio':>8}   (processor ms a day)")
    names = sorted({n for _, n in spent}, key=lambda n: -spent[("last", n)])
    for n in names:
        first, last = 1000 * spent[("first", n)] / w, 1000 * spent[("last", n)] / w
        print(f"{n:<20}{first:>16.2f}{last:>16.2f}{last / first if first else float('nan'):>8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
