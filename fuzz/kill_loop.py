"""Kill runs with SIGKILL anywhere, resume them, and compare with an uninterrupted run.

    python fuzz/kill_loop.py --kills 50 [--seed 1] [--population 2500] [--steps 60]

Each trial starts a checkpointed `scslab run` and kills it in one of four ways:

- ``write``: inside a random file write of the run (any of them: markers, checkpoint
  files, LATEST, the final tables, the manifest, COMPLETE), at a random byte of it, or
  just after its rename (fuzz/killpoint.py does the killing from inside the process);
- ``final``: the same, but inside one of the writes of the final phase (the tables, the
  manifest, timing.json, the INCOMPLETE journal updates and COMPLETE);
- ``checkpoint``: from outside, once its newest checkpoint reaches a random day;
- ``early``: from outside, at a random moment just after it starts.

Three trials in ten kill the resumed run too (inside one of its own writes). The trial then
resumes until the folder is COMPLETE. A resume may refuse cleanly (a kill before the run
had saved its configuration leaves nothing to resume: exit 2 and a one-line message); the
run is then started again. Every trial must end with every table, the manifest and
COMPLETE byte-identical to the uninterrupted run's, a folder that verifies and holds
nothing else, and no traceback in any output. Prints one line per trial and a summary;
exits 1 on any difference. The figures in docs/reliability.md come from here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
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
KILLPOINT = Path(__file__).resolve().parent / "killpoint.py"
# What a resume says when there is nothing to resume from: the run is started again.
NOTHING_TO_RESUME = ("no checkpoint to resume from", "killed as it started", "nothing to resume",
                     "no such run folder")
FINISHED = {"COMPLETE", "manifest.json", "timing.json"}


def digests(folder: Path) -> dict[str, str]:
    """sha256 of every table, the manifest and COMPLETE (timing.json differs by design)."""
    names = sorted(p.name for p in folder.glob("*.parquet")) + ["manifest.json", "COMPLETE"]
    return {n: hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in names if (folder / n).is_file()}


def child(args: list[str], plan: dict | None = None, **kw) -> subprocess.Popen:
    env = {**os.environ, "SCSLAB_KILLPOINT": json.dumps(plan or {})}
    return subprocess.Popen([sys.executable, str(KILLPOINT), *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, **kw)


def run_to_end(args: list[str], plan: dict | None = None) -> tuple[int, str]:
    proc = child(args, plan)
    _, err = proc.communicate()
    return proc.returncode, err


def latest_step(folder: Path) -> int | None:
    try:
        return json.loads((folder / "checkpoint" / "LATEST").read_text())["payload"]["step"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def kill_from_outside(args: list[str], folder: Path, target: int | None, rng: random.Random) -> tuple[int, str]:
    """Start the run; SIGKILL it once LATEST reaches `target` (or soon after it starts)."""
    proc = child(args)
    deadline = time.monotonic() + 600
    while proc.poll() is None and time.monotonic() < deadline:
        if target is None and (folder / "INCOMPLETE").exists():
            time.sleep(rng.uniform(0.0, 0.5))
            break
        if target is not None and (latest_step(folder) or 0) >= target:
            break
        time.sleep(0.005)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate()
    return proc.returncode, err


def record_writes(args: list[str], work: Path) -> tuple[list[str], int]:
    """The writes of an uninterrupted checkpointed run, and where its final phase starts."""
    log = work / "writes.txt"
    code, err = run_to_end(args, {"write": 0, "log": str(log)})
    if code:
        raise SystemExit(f"recording run failed: {err}")
    writes = [line.split("\t", 1)[1] for line in log.read_text().splitlines()]
    last_latest = max(i for i, w in enumerate(writes) if w.endswith("/checkpoint/LATEST"))
    return writes, last_latest + 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=10, help="trials (three in ten kill twice)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--population", type=int, default=2500)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--every", type=int, default=5, help="checkpoint every K days")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    run_args = ["run", str(HARSH), "-n", str(a.population), "-t", str(a.steps), "--seed", "11", "--ledger", "0.5"]
    work = Path(tempfile.mkdtemp(prefix="scslab-kill-"))
    t0 = time.perf_counter()
    code, err = run_to_end([*run_args, "--out", str(work / "ref")])
    if code:
        print(err)
        return 1
    ref = digests(work / "ref")
    ckpt_args = [*run_args, "--checkpoint-every", str(a.every)]
    writes, final_from = record_writes([*ckpt_args, "--out", str(work / "rec")], work)
    rec = digests(work / "rec")  # the manifest records checkpoint_every: compare it with this one
    if {k: v for k, v in rec.items() if k.endswith(".parquet")} != {k: v for k, v in ref.items() if k.endswith(".parquet")}:
        print("the checkpointed run's tables differ from the uninterrupted run's")
        return 1
    ref = rec
    print(f"reference run: {time.perf_counter() - t0:.1f} s (with the recording run), {len(ref)} files compared; "
          f"{len(writes)} file writes, the final phase from write {final_from + 1}")

    from scslab.store import open_run

    kills = 0
    kinds: dict[str, int] = {}
    outcome = {"resumed": 0, "refused then restarted": 0, "different or failed": 0}
    tracebacks = 0
    for i in range(a.kills):
        folder = work / f"k{i}"
        args = [*ckpt_args, "--out", str(folder)]
        r = rng.random()
        kind = "write" if r < 0.35 else "final" if r < 0.65 else "checkpoint" if r < 0.9 else "early"
        errors = []
        if kind in ("write", "final"):
            k = rng.randrange(final_from, len(writes)) if kind == "final" else rng.randrange(len(writes))
            phase = "after" if rng.random() < 0.2 else "before"
            frac = rng.random()
            code, err = run_to_end(args, {"write": k + 1, "fraction": frac, "phase": phase})
            what = f"{kind} #{k + 1} {Path(writes[k]).relative_to(work / 'rec')} " + (
                "after rename" if phase == "after" else f"at {frac:.0%}")
        else:
            target = rng.randrange(a.every, a.steps, a.every) if kind == "checkpoint" else None
            code, err = kill_from_outside(args, folder, target, rng)
            what = f"{kind} " + (f"at checkpoint >= {target}" if target else "soon after start")
        errors.append(err)
        killed = code == -signal.SIGKILL
        kills += killed
        kinds[kind] = kinds.get(kind, 0) + killed
        if killed and rng.random() < 0.3:  # kill the resumed run too, inside one of its writes
            k = rng.randrange(1, len(writes) - final_from + 1)
            code, err = run_to_end(["run", "--resume", str(folder)], {"write": k, "fraction": rng.random()})
            errors.append(err)
            if code == -signal.SIGKILL:
                kills += 1
                kinds["resumed run"] = kinds.get("resumed run", 0) + 1
                what += f"; resumed run killed in its write #{k}"
        note = ""
        for _ in range(3):
            if (folder / "COMPLETE").exists():
                break
            code, err = run_to_end(["run", "--resume", str(folder)])
            errors.append(err)
            if code == 2 and any(s in err for s in NOTHING_TO_RESUME):
                note = " (nothing to resume: refused in one line, started again)"
                code, err = run_to_end([*args])
                errors.append(err)
            if code:
                note += f" FAILED: {err.strip()[-300:]}"
                break
        tb = sum("Traceback" in e for e in errors)
        tracebacks += tb
        problems = []
        if (folder / "COMPLETE").exists():
            try:
                open_run(folder, verify=True)
            except Exception as e:  # noqa: BLE001 - report whatever it is
                problems.append(f"does not verify: {e}")
            left = sorted(n for n in os.listdir(folder) if n not in FINISHED and not n.endswith(".parquet"))
            if left:
                problems.append(f"left behind: {left}")
        same = (folder / "COMPLETE").exists() and digests(folder) == ref and not problems and not tb
        if same:
            outcome["refused then restarted" if "nothing to resume" in note else "resumed"] += 1
        else:
            outcome["different or failed"] += 1
        print(f"trial {i:3d}: {what} -> {'identical' if same else 'DIFFERENT'}{note}"
              + (f" {problems}" if problems else "") + (f" {tb} traceback(s)" if tb else ""), flush=True)
        if same:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"{a.kills} trials, {kills} SIGKILLs delivered ({', '.join(f'{v} {k}' for k, v in sorted(kinds.items()))}): "
          f"{outcome['resumed']} resumed to byte-identical tables, manifest and COMPLETE; "
          f"{outcome['refused then restarted']} refused cleanly (nothing to resume yet) and started again, "
          f"identical; {outcome['different or failed']} different or failed; {tracebacks} tracebacks; "
          f"{time.perf_counter() - t0:.0f} s")
    if not a.keep and not outcome["different or failed"]:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"work folder kept: {work}")
    return 1 if outcome["different or failed"] or tracebacks else 0


if __name__ == "__main__":
    sys.exit(main())
