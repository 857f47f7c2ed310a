"""Show that scslab and the Mesa model compute the same thing.

    .venv/bin/python benchmarks/mesa_equivalence.py [--population 2000] [--steps 60] [--seeds 5]

For `tests/data/harsh.yaml` (lists people quickly) and `rongcheng`, runs both over several
seeds from the same societies and compares mean score and share blacklisted (see
mesa_model/equivalence.py for the tolerance). A negative control then runs the Mesa model
with citizens blind to the points incentive (w_strategic=0) to show the check can tell
two different models apart. Exit status 1 if the implementations differ or the control
is not detected.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from mesa_model.equivalence import compare, report  # noqa: E402

from scslab.engine.params import EngineParams  # noqa: E402

HARSH = str(HERE.parent / "tests" / "data" / "harsh.yaml")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--population", type=int, default=2_000)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--z", type=float, default=4.0, help="tolerance in standard errors of the seed spread")
    ap.add_argument("--no-control", action="store_true", help="skip the negative control")
    a = ap.parse_args(argv)
    warnings.filterwarnings("ignore", category=UserWarning, module="mesa")
    seeds = tuple(range(a.seeds))
    ok = True
    for name, rb in (("harsh", HARSH), ("rongcheng", "rongcheng")):
        t0 = time.perf_counter()
        checks = compare(rb, a.population, a.steps, seeds, z=a.z)
        print(report(f"{name} ({a.population:,} citizens)", checks), f"\n  [{time.perf_counter() - t0:.0f} s]")
        ok &= all(c.ok for c in checks)
    if not a.no_control:
        control = EngineParams(w_strategic=0.0)
        checks = compare(HARSH, a.population, a.steps, seeds, z=a.z, mesa_params=control)
        print(report("negative control: harsh, Mesa with w_strategic=0 (should DIFFER)", checks))
        detected = not all(c.ok for c in checks)
        print(f"  control {'detected' if detected else 'NOT detected'}")
        ok &= detected
    print("equivalence:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
