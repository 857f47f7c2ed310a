"""Kill runs with SIGKILL at random moments, resume them, and compare with an uninterrupted run.

    python fuzz/kill_loop.py --kills 20 [--seed 1] [--population 2500] [--steps 60]

Each trial starts a checkpointed `scslab run` and kills it once its newest checkpoint
reaches a random day (or, one time in five, at a random moment just after it starts work);
three trials in ten kill the resumed run too. It then resumes until the folder is
COMPLETE (restarting if no checkpoint was written yet), and checks
that every Parquet table is byte-identical to the reference run's and that the folder
verifies. Prints one line per trial and a summary; exits 1 on any difference. Timings
and counts for docs/reliability.md come from here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HARSH = ROOT / "tests" / "data" / "harsh.yaml"


def tables(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.parquet"))}


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scslab.cli", *args], capture_output=True, text=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--population", type=int, default=2500)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--every", type=int, default=5, help="checkpoint every K days")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    run_args = [str(HARSH), "-n", str(a.population), "-t", str(a.steps), "--seed", "11", "--ledger", "0.5"]
    work = Path(tempfile.mkdtemp(prefix="scslab-kill-"))
    t0 = time.perf_counter()
    out = cli("run", *run_args, "--out", str(work / "ref"))
    if out.returncode:
        print(out.stderr)
        return 1
    full = time.perf_counter() - t0
    ref = tables(work / "ref")
    print(f"reference run: {full:.1f} s, {len(ref)} tables")
    ok = bad = kills = from_ckpt = 0
    for i in range(a.kills):
        folder = work / f"k{i}"
        n_kills = 2 if rng.random() < 0.3 else 1
        steps_at_kill = []
        cmd = ["run", *run_args, "--out", str(folder), "--checkpoint-every", str(a.every)]
        for _ in range(n_kills):
            proc = subprocess.Popen([sys.executable, "-m", "scslab.cli", *cmd],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # Mostly: kill once the newest checkpoint reaches a random day. Sometimes: kill at a
            # random moment soon after the run starts work, before or around the first checkpoint.
            target = rng.randrange(a.every, a.steps, a.every) if rng.random() < 0.8 else None
            latest = folder / "checkpoint" / "LATEST"
            deadline = time.monotonic() + 300
            while proc.poll() is None and time.monotonic() < deadline:
                if target is None and (folder / "INCOMPLETE").exists():
                    time.sleep(rng.uniform(0.0, 0.5))
                    break
                if target is not None and latest.exists():
                    try:
                        if json.loads(latest.read_text())["payload"]["step"] >= target:
                            break
                    except (ValueError, OSError):  # being replaced
                        pass
                time.sleep(0.005)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait()
            steps_at_kill.append(json.loads(latest.read_text())["payload"]["step"] if latest.exists() else "-")
            cmd = ["run", "--resume", str(folder)]
        note = ""
        if not (folder / "COMPLETE").exists():
            res = cli("run", "--resume", str(folder))
            if res.returncode == 2 and ("no checkpoint" in res.stderr or "no such run folder" in res.stderr):
                # killed before the first checkpoint (or before the folder existed): start again
                note = " (no checkpoint yet: restarted)"
                res = cli("run", *run_args, "--out", str(folder), "--overwrite")
            if res.returncode:
                note += f" resume failed: {res.stderr.strip()[-300:]}"
        same = (folder / "COMPLETE").exists() and tables(folder) == ref
        ok += same
        from_ckpt += same and not note and any(x != "-" for x in steps_at_kill)
        bad += not same
        print(f"trial {i:3d}: killed {n_kills}x at {steps_at_kill} -> {'identical' if same else 'DIFFERENT'}{note}")
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{a.kills} trials, {kills} SIGKILLs delivered: {ok} ended with byte-identical tables"
          f" ({from_ckpt} resumed from a checkpoint), {bad} differ; {time.perf_counter() - t0:.0f} s")
    shutil.rmtree(work, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
