"""What this machine's memory can do: the ceiling the engine's dense passes run into.

    .venv/bin/python benchmarks/bench_machine.py [--json OUT]

Prints, with numba as the engine uses it (1 and 2 threads):
- streaming read bandwidth (sum of a 512 MB float32 array) and streaming read+write
  (scale it in place), in GB/s;
- random reads: the time per read of one element at a random index of an array of
  2 MB (fits a core's L2 here), 32 MB and 512 MB (main memory), in a loop of independent
  reads (many in flight at once) and in a dependent chain (one at a time: the latency).

A step of the engine streams its per-citizen state (scores, lists, wealth, trust memory,
the tie list of every citizen) and makes random reads of tie partners; docs/benchmarks.md
turns these figures into a bound on citizen-steps per second.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numba
import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def _sum(a):
    s = 0  # integers: the compiler may reorder the adds and vectorise, so memory is the limit
    for i in prange(a.shape[0]):
        s += a[i]
    return s


@njit(parallel=True, cache=True)
def _scale(a, f):
    for i in prange(a.shape[0]):
        a[i] *= f


@njit(parallel=True, cache=True)
def _gather(a, idx):
    s = 0.0
    for k in prange(idx.shape[0]):
        s += a[idx[k]]
    return s


@njit(cache=True)
def _chase(nxt, start, n):
    j = start
    for _ in range(n):
        j = nxt[j]
    return j


def _best(fn, *args, repeat=5) -> float:
    fn(*args)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best


def measure() -> dict:
    out: dict = {"threads": {}, "latency_ns": {}}
    big = np.ones(128 * 2**20, np.float32)  # 512 MB
    rng = np.random.default_rng(0)
    idx_n = 4_000_000
    for th in sorted({1, numba.config.NUMBA_NUM_THREADS}):
        numba.set_num_threads(th)
        r = {
            "read_GBps": big.nbytes / _best(_sum, big.view(np.int32)) / 1e9,
            "read_write_GBps": 2 * big.nbytes / _best(_scale, big, np.float32(1.0)) / 1e9,
        }
        for label, size in (("2MB", 2**19), ("32MB", 2**23), ("512MB", big.size)):
            idx = rng.integers(0, size, idx_n)
            r[f"random_read_ns_{label}"] = _best(_gather, big[:size], idx) / idx_n * 1e9
        out["threads"][th] = r
    numba.set_num_threads(1)
    for label, size in (("2MB", 2**19), ("32MB", 2**23), ("512MB", big.size)):
        perm = rng.permutation(size).astype(np.int64)  # one cycle through a random permutation
        nxt = np.empty(size, np.int64)
        nxt[perm] = np.roll(perm, -1)
        steps = 2_000_000
        out["latency_ns"][label] = _best(_chase, nxt, int(perm[0]), steps, repeat=3) / steps * 1e9
        del nxt, perm
    return out


def render(r: dict) -> str:
    lines = ["Memory of this machine (numba; best of 5)",
             f"  {'threads':>8}{'read GB/s':>11}{'r+w GB/s':>10}{'rand 2MB':>10}{'rand 32MB':>11}{'rand 512MB':>12}  (ns per read)"]
    for th, x in r["threads"].items():
        lines.append(f"  {th:>8}{x['read_GBps']:>11.1f}{x['read_write_GBps']:>10.1f}{x['random_read_ns_2MB']:>10.1f}"
                     f"{x['random_read_ns_32MB']:>11.1f}{x['random_read_ns_512MB']:>12.1f}")
    lat = r["latency_ns"]
    lines.append(f"  latency of one read at a time: 2MB {lat['2MB']:.0f} ns, 32MB {lat['32MB']:.0f} ns, "
                 f"512MB {lat['512MB']:.0f} ns")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", default=None, help="also write the figures here")
    a = ap.parse_args(argv)
    r = measure()
    print(render(r))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(r, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
