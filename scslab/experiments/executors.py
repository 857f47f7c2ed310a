"""Where many independent runs execute: in this process, a local process pool, or Ray.

Each executor has the shape of `concurrent.futures.Executor` (`submit`, `map`,
`shutdown`, a context manager), so `compare`, `sweep` and `calibrate` take any of them:

    with make_executor("local", workers=2) as ex:        # the default
        outs = run_all(specs, executor=ex)
    with make_executor("ray", address="auto") as ex:      # pip install 'scslab[ray]'
        outs = run_all(specs, executor=ex)

A run is keyed by its own seed and results are gathered in the order of the specs, so the
numbers never depend on the executor or on how many workers it has.

Processes or threads on a small machine: the engine's kernels can use numba threads, but
a run below about 200,000 citizens gains little from a second thread (measured in
docs/benchmarks.md), so many small runs go one per process, each process pinned to one
numba thread, as many processes as cores. A single large run is better left to one
process with numba's threads (`scslab run`). The local pool keeps its workers alive across
runs, so imports and numba's compiled kernels load once per worker, not once per run.
"""

from __future__ import annotations

import os
from concurrent.futures import Executor, Future, ProcessPoolExecutor

EXECUTORS = ("local", "serial", "ray")


def init_worker() -> None:
    """One numba thread per worker process: on a small machine the processes use the cores."""
    import sys

    if "numba" not in sys.modules:  # once numba's threads exist, changing the variable is an error
        os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    try:
        import numba

        numba.set_num_threads(1)
    except Exception:  # pragma: no cover - numba missing or already configured
        pass


class SerialExecutor(Executor):
    """Runs each task in this process when it is submitted (debugging, tests, one worker)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        f: Future = Future()
        try:
            f.set_result(fn(*args, **kwargs))
        except BaseException as e:  # noqa: BLE001 - handed to the caller through the future
            f.set_exception(e)
        return f


def init_worker_ignoring_interrupts() -> None:
    """`init_worker`, and Ctrl-C (SIGINT, sent to the whole terminal's process group) left to
    the parent, which stops the workers itself (`terminate`)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    init_worker()


def local_executor(workers: int, parent_stops: bool = False) -> Executor:
    """A pool of `workers` long-lived processes (spawned: numba's threads do not survive fork).

    `parent_stops`: the workers ignore Ctrl-C, because the parent ends them with `terminate`
    when it is interrupted (no traceback from every worker)."""
    import multiprocessing as mp

    return ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                               initializer=init_worker_ignoring_interrupts if parent_stops else init_worker)


def terminate(executor: Executor) -> None:
    """Stop an executor now: a local pool's worker processes are terminated (not left to finish
    their runs, or orphaned), queued tasks are cancelled. Other executors are shut down
    without waiting."""
    procs = list((getattr(executor, "_processes", None) or {}).values())
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(timeout=5)
        if p.is_alive():  # pragma: no cover - a worker that ignores SIGTERM
            p.kill()
            p.join(timeout=5)
    try:
        executor.shutdown(wait=False, cancel_futures=True)
    except Exception:  # noqa: BLE001 - a pool whose workers were killed may complain; they are gone
        pass
    # Let the pool's manager thread finish closing its wake-up pipe now: at exit,
    # concurrent.futures wakes every manager thread, and one still closing its pipe made that
    # write fail with a traceback (EBADF) after the interrupted command's message.
    manager = getattr(executor, "_executor_manager_thread", None)
    if manager is not None:
        manager.join(timeout=5)


class RayExecutor(Executor):
    """Ray tasks as futures (one CPU each). Needs `pip install 'scslab[ray]'`.

    `address` is a running cluster ("auto" finds one); None starts a local Ray with
    `workers` CPUs. Ray is initialised once per process and left running for later calls.
    """

    def __init__(self, workers: int | None = None, address: str | None = None):
        try:
            import ray
        except ImportError as e:
            raise RuntimeError("the Ray executor needs Ray: pip install 'scslab[ray]'") from e
        self._ray = ray
        if not ray.is_initialized():
            kw = {"address": address} if address else {"num_cpus": workers or os.cpu_count() or 1}
            ray.init(include_dashboard=False, log_to_driver=False, **kw)
        self._remote = ray.remote(num_cpus=1)(_call)

    def submit(self, fn, /, *args, **kwargs) -> Future:
        return self._remote.remote(fn, args, kwargs).future()


def _call(fn, args, kwargs):
    init_worker()
    return fn(*args, **kwargs)


def make_executor(kind: str = "local", workers: int = 2, address: str | None = None,
                  parent_stops: bool = False) -> Executor:
    """An executor by name: 'local' (process pool), 'serial' (this process) or 'ray'.

    `parent_stops`: local workers ignore Ctrl-C; the caller ends them with `terminate`."""
    if kind == "serial" or (kind == "local" and workers <= 1):
        return SerialExecutor()
    if kind == "local":
        return local_executor(workers, parent_stops)
    if kind == "ray":
        return RayExecutor(workers, address)
    raise ValueError(f"no executor {kind!r}; choose one of {', '.join(EXECUTORS)}")


__all__ = ["EXECUTORS", "RayExecutor", "SerialExecutor", "init_worker", "local_executor", "make_executor",
           "terminate"]
