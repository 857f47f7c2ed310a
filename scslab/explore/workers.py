"""Worker processes that run the explorer's simulations, warm and ready.

A run never executes in the server's process: a slow or hostile rulebook, a crash or an
out-of-memory kill ends at most one worker, which is then replaced, and the page keeps
answering. Each worker imports scslab and runs a tiny simulation when it starts, so the
numba kernels are loaded before the first run is asked for (a cold process needs a few
seconds; a warm one shows the first day at 1e4 citizens in a fraction of a second).

Tasks go to the first free worker in the order they were submitted. A running task is
stopped through a shared array: after each day the run (`live.live_run`) sees its task
number there and raises `Stopped`.
"""

from __future__ import annotations

import itertools
import os
import queue
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

WARM_UP = {"population": 300, "steps": 3}
MAX_ERROR = 2_000
MAX_START_FAILURES = 3
STOP_GRACE = 10.0  # seconds a stopped task has to end its day before its worker is ended


@dataclass
class Task:
    kind: str  # "run" | "spec"
    payload: Any
    on_message: Callable[[str, Any], None]  # ("started"|"steps"|"done"|"stopped"|"error", payload)
    group: str = ""  # the live run it belongs to (stop by group)
    id: int = 0
    slot: int | None = None
    submitted: float = field(default_factory=time.perf_counter)


# --- in the worker process ------------------------------------------------------------------

def _run_task(payload: dict, send, should_stop) -> dict:
    from ..engine import EngineParams
    from ..rulebook import parse_rulebook
    from .live import StepTap, live_run

    rb = parse_rulebook(payload["rulebook"], payload.get("name", "<explorer>"))
    params = EngineParams.model_validate(payload["params"]) if payload.get("params") else EngineParams()
    if payload.get("off"):
        from ..metrics.mechanisms import switch_off

        rb, params = switch_off(rb, params, payload["off"])
    tap = StepTap(rb, send, should_stop, network=payload.get("network", True))
    t0 = time.perf_counter()
    # A Simulation stepped a day at a time, each day sent as it is done (live.py).
    r = live_run(tap, rb, population=payload["population"], steps=payload["steps"], seed=payload["seed"],
                 params=params, ledger=payload.get("ledger", False), save_ties=payload.get("save_ties", False))
    seconds = time.perf_counter() - t0
    out = payload.get("out")
    if out:
        r.write(out)
    c = r.citizens
    # The whole series from the table (what the run folder holds), whatever was streamed.
    s = r.steps.groupby("step").sum(numeric_only=True).sort_index()
    from .live import ROW_KEYS

    days = [{"step": int(i), **{k: float(row[k]) for k in ROW_KEYS if k in row}} for i, row in s.iterrows()]
    done: dict = {"folder": out, "seconds": round(seconds, 3), "days": days, "streaming": tap.streaming,
                  "first_day_seconds": round(tap.first_at - t0, 3) if tap.first_at else None}
    if tap.net_nodes is not None:
        nodes = tap.net_nodes
        final = {"grade": [], "listed": c["blacklisted"].to_numpy(bool)[nodes].tolist(),
                 "score": [round(float(x), 1) for x in c["score"].to_numpy()[nodes]]}
        names = [g.name for g in rb.grades]
        gi = {n: i for i, n in enumerate(names)}
        final["grade"] = [gi.get(str(g), 0) for g in c["grade"].to_numpy()[nodes]]
        if r.ties is not None:
            live = set(zip(r.ties["src"].to_numpy().tolist(), r.ties["dst"].to_numpy().tolist(), strict=True))
            final["dropped"] = [k for k, (a, b) in enumerate(tap.net_static["edges"])
                                if (min(nodes[a], nodes[b]), max(nodes[a], nodes[b])) not in live]
        done["net"] = {**tap.net_static, **final}
    done["hist"] = tap.histogram(c["score"].to_numpy())
    done["people"] = people_of_note(c)
    return done


def people_of_note(c, k: int = 6) -> list[dict]:
    """A few citizens worth reading a notice of: wrongfully listed, listed, lowest and highest scores."""
    import numpy as np

    picks: list[tuple[str, int]] = []
    score = c["score"].to_numpy(np.float64)
    black = c["blacklisted"].to_numpy(bool)
    wrong = c["wrongfully_listed"].to_numpy(bool) if "wrongfully_listed" in c else np.zeros(len(c), bool)
    for why, idx in (("wrongfully listed", np.flatnonzero(wrong)),
                     ("blacklisted", np.flatnonzero(black & ~wrong)),
                     ("lowest score", np.argsort(score, kind="stable")[:k]),
                     ("highest score", np.argsort(-score, kind="stable")[:2])):
        for i in idx[:k if why != "highest score" else 2]:
            if all(int(i) != j for _, j in picks):
                picks.append((why, int(i)))
    ids = c["citizen"].to_numpy()
    return [{"citizen": int(ids[i]), "why": why, "score": round(float(score[i]), 1), "grade": str(c["grade"].iloc[i]),
             "blacklisted": bool(black[i]), "wrongful": bool(wrong[i])} for why, i in picks[:16]]


def _spec_task(payload, send, should_stop):
    from ..experiments.runner import execute

    return execute(payload)


TASKS = {"run": _run_task, "spec": _spec_task}


def worker_main(slot: int, inbox, outbox, cancel, workdir: str) -> None:
    os.chdir(workdir)  # rulebook files of a comparison are named relative to the work folder
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    try:
        import numba

        numba.set_num_threads(1)  # one core per worker; two workers share the machine
    except Exception:  # pragma: no cover
        pass
    # Load the kernels and every code path of a run (the tap's layout, the metrics of a
    # claims run) on a tiny society, so that the first real run starts at once.
    from ..experiments.runner import RunSpec, execute
    from ..pilots import load_pilot
    from ..rulebook import RulebookError
    from .live import StepTap, Stopped, live_run

    rc = load_pilot("rongcheng")
    live_run(StepTap(rc, lambda k, m: None, lambda: False), rc, seed=0, ledger=True, save_ties=True, **WARM_UP)
    execute(RunSpec("rongcheng", 0, WARM_UP["population"], WARM_UP["steps"], detail=True))

    outbox.put((slot, 0, "ready", None))
    while True:
        item = inbox.get()
        if item is None:
            return
        tid, kind, payload = item
        outbox.put((slot, tid, "started", None))

        def send(k, m, tid=tid):
            outbox.put((slot, tid, k, m))

        def should_stop(tid=tid):
            return cancel[slot] == tid

        try:
            res = TASKS[kind](payload, send, should_stop)
            outbox.put((slot, tid, "done", res))
        except Stopped:
            outbox.put((slot, tid, "stopped", None))
        except RulebookError as e:
            outbox.put((slot, tid, "error", {"message": "the rulebook cannot be run",
                                              "problems": [str(p) for p in e.problems][:50]}))
        except Exception as e:  # any failure of one run is reported, never fatal to the worker
            msg = f"{type(e).__name__}: {e}"[:MAX_ERROR]
            outbox.put((slot, tid, "error", {"message": msg, "trace": traceback.format_exc()[-MAX_ERROR:]}))


# --- in the server process ------------------------------------------------------------------

class _Slot:
    def __init__(self, i: int):
        self.i = i
        self.proc = None
        self.inbox = None
        self.outbox = None
        self.ready = False
        self.task: Task | None = None
        self.failures = 0
        self.cancelled_at: float | None = None


class Pool:
    """`workers` warm processes and a queue of tasks."""

    def __init__(self, workers: int, workdir: str):
        import multiprocessing as mp

        # spawn, not fork: the server holds threads (uvicorn, this pool's reader)
        self.ctx = mp.get_context("spawn")
        self.workdir = workdir
        self.cancel = self.ctx.Array("q", max(1, workers), lock=False)
        self.slots = [_Slot(i) for i in range(max(1, workers))]
        self.pending: deque[Task] = deque()
        self.tasks: dict[int, Task] = {}
        self.ids = itertools.count(1)
        self.lock = threading.RLock()
        self.closed = False
        self.broken: str | None = None
        self.stop_grace = STOP_GRACE
        for s in self.slots:
            self._start(s)
        self.reader = threading.Thread(target=self._read, name="scslab-explore-pool", daemon=True)
        self.reader.start()

    def _start(self, s: _Slot) -> None:
        s.inbox = self.ctx.Queue()
        s.outbox = self.ctx.Queue()
        s.ready = False
        s.task = None
        s.cancelled_at = None
        self.cancel[s.i] = 0
        s.proc = self.ctx.Process(target=worker_main, args=(s.i, s.inbox, s.outbox, self.cancel, self.workdir),
                                  name=f"scslab-explore-worker-{s.i}", daemon=True)
        s.proc.start()

    @property
    def ready(self) -> int:
        return sum(1 for s in self.slots if s.ready)

    def busy(self) -> int:
        with self.lock:
            return len(self.pending) + sum(1 for s in self.slots if s.task is not None)

    def submit(self, task: Task) -> Task:
        with self.lock:
            task.id = next(self.ids)
            self.tasks[task.id] = task
            self.pending.append(task)
            self._dispatch()
        return task

    def stop_group(self, group: str) -> None:
        """Drop the group's queued tasks and stop its running ones (at the end of their day)."""
        dropped = []
        with self.lock:
            keep = deque()
            for t in self.pending:
                (dropped if t.group == group else keep).append(t)
            self.pending = keep
            for s in self.slots:
                if s.task is not None and s.task.group == group:
                    self.cancel[s.i] = s.task.id
                    s.cancelled_at = time.monotonic()
        for t in dropped:
            self.tasks.pop(t.id, None)
            t.on_message("stopped", None)

    def _dispatch(self) -> None:
        for s in self.slots:
            if not self.pending:
                return
            if s.ready and s.task is None:
                t = self.pending.popleft()
                t.slot = s.i
                s.task = t
                s.cancelled_at = None
                self.cancel[s.i] = 0
                s.inbox.put((t.id, t.kind, t.payload))

    def _finish(self, s: _Slot) -> None:
        if s.task is not None:
            self.tasks.pop(s.task.id, None)
        s.task = None
        self._dispatch()

    def _read(self) -> None:
        """Take the workers' messages (each worker has its own queue: a worker killed while
        writing spoils only its own, which is replaced with it) and watch for dead workers."""
        last = 0.0
        while not self.closed:
            got = False
            for s in self.slots:
                q = s.outbox
                while q is not None:
                    try:
                        _slot, tid, kind, payload = q.get_nowait()
                    except queue.Empty:
                        break
                    except (EOFError, OSError, ValueError):  # a dead worker's queue: replaced below
                        break
                    got = True
                    self._handle(s, tid, kind, payload)
            now = time.monotonic()
            if now - last > 0.25:
                last = now
                self._end_stuck()
                self._check_alive()
            if not got:
                time.sleep(0.01)

    def _handle(self, s: _Slot, tid: int, kind: str, payload) -> None:
        with self.lock:
            if kind == "ready":
                s.ready = True
                self._dispatch()
                return
            task = self.tasks.get(tid)
        if task is None:
            return
        try:
            task.on_message(kind, payload)
        except Exception:  # a listener's bug must not stop the pool
            traceback.print_exc()
        if kind in ("done", "stopped", "error"):
            with self.lock:
                if s.task is task:
                    self._finish(s)

    def _end_stuck(self) -> None:
        """A task asked to stop that has not stopped within `stop_grace` seconds (a day that never
        ends: a hostile rulebook, a huge run) is ended with its worker, which is replaced."""
        now = time.monotonic()
        for s in self.slots:
            if s.task is not None and s.cancelled_at is not None and now - s.cancelled_at > self.stop_grace:
                s.cancelled_at = None
                if s.proc is not None and s.proc.is_alive():
                    s.proc.kill()

    def _check_alive(self) -> None:
        for s in self.slots:
            if self.closed or s.proc is None or s.proc.is_alive():
                continue
            with self.lock:
                task = s.task
                code = s.proc.exitcode
                asked_to_stop = task is not None and self.cancel[s.i] == task.id
                if not s.ready:
                    s.failures += 1  # died while starting: something is wrong with the installation
                if s.failures >= MAX_START_FAILURES:
                    s.proc = None
                    self.broken = f"a worker process could not start (exit status {code}); see the server's output"
                    continue
                self._start(s)  # a fresh worker takes its place
            if task is not None and asked_to_stop:  # ended by _end_stuck, as asked
                self.tasks.pop(task.id, None)
                task.on_message("stopped", None)
            elif task is not None:
                self.tasks.pop(task.id, None)
                why = "killed (out of memory?)" if code is not None and code < 0 else f"exit status {code}"
                task.on_message("error", {"message": f"the worker process running this ended: {why}; "
                                                     "a new one has been started"})

    def close(self, timeout: float = 3.0) -> None:
        self.closed = True
        for s in self.slots:
            try:
                s.inbox.put(None)
            except (OSError, ValueError):
                pass
        end = time.monotonic() + timeout
        for s in self.slots:
            if s.proc is not None:
                s.proc.join(max(0.0, end - time.monotonic()))
                if s.proc.is_alive():
                    s.proc.terminate()
                    s.proc.join(1.0)
        self.reader.join(1.0)
