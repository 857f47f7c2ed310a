"""Blocks of shards in worker processes on this machine (`ProcessBlocks`): Ray's supersteps
without Ray, the view in shared memory, so nothing is exchanged but the step's rows.
"""

from __future__ import annotations

import os

import numpy as np

from .context import View
from .distributed import Block, BlockExecutor, ShardExecutorError, WorkerLost, _load_kernels


class ProcessBlocks(BlockExecutor):
    """Blocks in worker processes on this machine, one per core: Ray's supersteps without Ray.

    Each worker is a fresh interpreter (`python -c`; not a fork: numba's OpenMP threads do
    not survive one) that is sent its block's shards once, pickled over a socket, and steps
    them with one numba thread. The two view buffers live in shared memory
    that every worker maps: a worker writes its own citizens' entries into tomorrow's buffer
    and reads anyone's from today's, so nothing is exchanged but the buffers themselves.
    Each superstep the driver sends every worker the step over its pipe and waits for all
    of them (their rows of the steps and grades tables): that wait is the barrier between
    one day's writes and the next day's reads.

    A worker that dies (its process killed) is noticed at once (its pipe closes, its process
    ends): the run recovers from its newest checkpoint or fails saying so, as with Ray. An
    error in the engine's code in a worker is raised in the driver with the worker's
    traceback as a note. Workers ignore Ctrl-C (the driver stops them) and do not outlive
    the driver.
    """

    name = "processes"
    contiguous = False  # the workers share the view: any blocks will do (`balance`)

    def __init__(self, workers: int | None = None, threads: int = 1):
        if os.name != "posix":
            raise ShardExecutorError("the processes executor runs on Linux and macOS: use the local executor or "
                                     "Ray here")
        if workers is not None and not 1 <= int(workers) <= 4096:
            raise ShardExecutorError(f"workers must be in 1..4,096, got {workers}")
        self.workers = int(workers or os.cpu_count() or 1)
        self.threads = int(threads)
        self.procs, self.conns, self.pids = [], [], []
        self._path = None
        self._t0 = self._steps = 0

    def run(self, nation, t_start, steps, *args, **kw):
        self._t0, self._steps = int(t_start), int(steps)
        return super().run(nation, t_start, steps, *args, **kw)

    def _start(self, blocks, shards, n, need_score, exports, imports, track):
        import pickle
        import socket
        import subprocess
        import sys
        from multiprocessing.connection import Connection

        self.k = len(blocks)
        self.procs, self.conns, self.pids = [], [], []
        # A fresh interpreter per worker (not a fork: numba's OpenMP threads do not survive
        # one; not multiprocessing's spawn: it would import the user's __main__ again).
        env = dict(os.environ, NUMBA_NUM_THREADS=str(max(1, self.threads)))
        # the same scslab as this process's, installed or not
        home = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env["PYTHONPATH"] = os.pathsep.join([home, *filter(None, [os.environ.get("PYTHONPATH")])])
        try:
            self._path = _shared_file(2 * _view_bytes(n, need_score))
            for _ in range(self.k):
                mine, theirs = socket.socketpair()
                proc = subprocess.Popen([sys.executable, "-c", f"from scslab.engine.process_blocks import "
                                         f"_process_worker; _process_worker({theirs.fileno()})"],
                                        pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, env=env,
                                        start_new_session=False)
                theirs.close()
                self.procs.append(proc)
                self.conns.append(Connection(mine.detach()))
            self.pids = [p.pid for p in self.procs]
            for i, s in enumerate(shards):  # the others start up while one unpickles
                spec = (i, n, need_score, track, self.threads, self._path, self._t0, self._steps)
                blob = pickle.dumps((spec, s), protocol=pickle.HIGHEST_PROTOCOL)
                try:
                    self.conns[i].send_bytes(blob)
                except OSError:
                    raise self._lost(i, self._t0) from None
                del blob
                s.clear()  # the block's shards live in its worker now: their memory goes here
            self._gather(self._t0)  # every block has published its citizens into today's view
        except BaseException:
            self._stop()
            raise
        finally:
            self._unlink()  # mapped by every worker now (or never will be)

    def _unlink(self):
        if self._path is not None:
            try:
                os.unlink(self._path)
            except OSError:
                pass
            self._path = None

    def _lost(self, i: int, t: int) -> WorkerLost:
        import subprocess

        p = self.procs[i]
        try:
            code = p.wait(0.5)
        except subprocess.TimeoutExpired:
            code = None
        how = (f"killed by signal {-code}" if code is not None and code < 0
               else f"exit code {code}" if code is not None else "its pipe closed")
        return WorkerLost(f"a worker process stepping the run's shards (pid {p.pid}, block {i}) died at step {t} "
                          f"({how})", t)

    def _send(self, msg, t: int) -> None:
        for i, c in enumerate(self.conns):
            try:
                c.send(msg)
            except OSError:  # a broken pipe: the worker is gone
                raise self._lost(i, t) from None

    def _gather(self, t: int) -> list:
        """Every worker's reply (in block order); a dead worker raises WorkerLost."""
        from multiprocessing.connection import wait

        out: list = [None] * self.k
        pending = set(range(self.k))
        error = None
        while pending:
            whose = {self.conns[i]: i for i in pending}
            for r in wait(list(whose)):  # a dead worker's end reads as closed: EOFError
                i = whose[r]
                conn = self.conns[i]
                try:
                    kind, payload = conn.recv()
                except (EOFError, OSError):
                    raise self._lost(i, t) from None
                pending.discard(i)
                if kind == "error":
                    error = error or (i, payload)
                else:
                    out[i] = payload
        if error is not None:
            i, (exc, text) = error
            if exc is None:
                raise ShardExecutorError(f"worker {i} failed: {text.strip().splitlines()[-1]}")
            exc.add_note(f"(in the worker process stepping block {i})\n{text}")
            raise exc
        return out

    def _step(self, t, steps):
        self._send(("step", t, steps), t)
        rows, grades = [], []
        for r, g in self._gather(t):
            rows += r
            grades += g
        self._t0 = t + 1  # steps done: where a worker lost from here on is reported
        return rows, grades, 0

    def _states(self):
        self._send(("states",), self._t0)
        out = {}
        for part in self._gather(self._t0):
            out.update(part)
        return out

    def _finish(self):
        self._send(("finish",), self._t0)
        done = self._gather(self._t0)
        self.cpu = [cpu[0] for _, cpu in done]
        self.cpu_process = [cpu[1] for _, cpu in done]
        self.shard_cpu = {m: c for _, cpu in done for m, c in cpu[2].items()}
        return [sh for shards, _ in done for sh in shards]

    def _stop(self):
        for c in self.conns:
            try:
                c.send(("stop",))
            except OSError:
                pass
        import subprocess

        for p in self.procs:
            try:
                p.wait(1.0)
            except subprocess.TimeoutExpired:  # busy (the driver was interrupted mid-step) or stuck
                p.kill()
                p.wait()
        for c in self.conns:
            c.close()
        self.procs, self.conns = [], []
        self._unlink()


_ALIGN = 64


def _view_bytes(n: int, need_score: bool) -> int:
    size = (4 if need_score else 0) * n + 4 * n + 2 * n + 2 * n
    return -(-max(size, 1) // _ALIGN) * _ALIGN


def _shared_file(size: int) -> str:
    """A file of `size` zero bytes for the workers to map: in /dev/shm where there is one
    (memory), else in the temporary folder. Its space is reserved now (a /dev/shm too small,
    as containers often have, would otherwise kill a worker with SIGBUS mid-run)."""
    import tempfile

    tried = []
    for where in ("/dev/shm", None):
        if where is not None and not os.path.isdir(where):
            continue
        fd, path = tempfile.mkstemp(prefix="scslab-views-", dir=where)
        try:
            if hasattr(os, "posix_fallocate"):
                os.posix_fallocate(fd, 0, size)
            else:
                os.ftruncate(fd, size)
            return path
        except OSError as e:
            tried.append(f"{os.path.dirname(path)}: {e.strerror or e}")
            os.unlink(path)
        finally:
            os.close(fd)
    raise ShardExecutorError(f"cannot make {size / 2**20:,.0f} MiB of shared memory for the workers' view ("
                             f"{'; '.join(tried)})")


def _map_views(path: str, n: int, need_score: bool) -> list[View]:
    """The two views in the shared file (each: score, harm, cheat, black, published)."""
    import mmap

    with open(path, "r+b") as f:
        mm = mmap.mmap(f.fileno(), 0)
    views, at = [], 0
    for _ in range(2):
        parts = {}
        for name, dt, count in (("score", np.float32, n if need_score else 0), ("harm", np.float32, n),
                                ("cheat", np.uint16, n), ("black", np.uint8, n), ("published", np.uint8, n)):
            parts[name] = np.frombuffer(mm, dt, count=count, offset=at)
            at += count * np.dtype(dt).itemsize
        views.append(View(**parts))
        at = -(-at // _ALIGN) * _ALIGN
    return views


def _die_with_parent() -> None:
    """Linux: this process gets SIGKILL when the driver dies (a worker never outlives it)."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - not Linux: the closed pipe still stops the worker
        pass


def _process_worker(fd: int) -> None:
    """A ProcessBlocks worker (`python -c`, its end of a socket pair as `fd`): takes its
    shards, maps the views, then answers the driver's commands until told to stop."""
    import pickle
    import signal
    import traceback
    from multiprocessing.connection import Connection

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the driver, which stops us
    _die_with_parent()
    conn = Connection(fd)

    def error(e: BaseException):
        text = traceback.format_exc()
        try:
            pickle.dumps(e)
            conn.send(("error", (e, text)))
        except Exception:  # noqa: BLE001 - an exception that does not pickle: its text
            conn.send(("error", (None, text)))

    try:
        import scslab.engine.simulation  # noqa: F401 - the engine's modules, then their kernels,
        _load_kernels()  # while the driver pickles the shards
        spec, shards = pickle.loads(conn.recv_bytes())
        index, n, need_score, track, threads, path, t0, steps = spec
        block = Block(index, shards, n, need_score, {}, {}, track, threads, _map_views(path, n, need_score))
        del shards
        block.warm_up(t0, steps)
    except (EOFError, OSError):
        return  # the driver is gone
    except BaseException as e:  # noqa: BLE001 - reported to the driver
        error(e)
        return
    conn.send(("ok", None))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return  # the driver is gone
        try:
            cmd = msg[0]
            if cmd == "step":
                rows, grades, _ = block.step(msg[1], msg[2], {})
                reply = (rows, grades)
            elif cmd == "states":
                reply = block.states()
            elif cmd == "finish":
                cpu = (block.cpu, block.cpu_process, block.shard_cpu)
                reply = (block.finish(), cpu)
            else:  # stop
                return
        except BaseException as e:  # noqa: BLE001 - reported to the driver
            error(e)
            continue
        conn.send(("ok", reply))
