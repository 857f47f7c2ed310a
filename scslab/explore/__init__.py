"""The explorer: change a rule, watch a society respond, in the browser.

    scslab explore                 # pick a pilot in the page
    scslab explore rongcheng       # start with a pilot (or a rulebook file)

    from scslab.explore import serve
    serve("rongcheng", port=8765)  # blocks; Ctrl-C stops it

A small Starlette app (`app.py`) over the Python API, served by uvicorn on 127.0.0.1, with
a static page (`static/`: HTML, CSS and plain JavaScript, no build step, nothing fetched
from the network). Runs go to warm worker processes (`workers.py`); what a run shows while
it runs comes from the run's `Simulation`, stepped a day at a time by `live.live_run`. See
docs/explore.md.
"""

from __future__ import annotations

import socket
import threading
import webbrowser
from contextlib import contextmanager
from pathlib import Path

DEFAULT_PORT = 8765
LOOPBACK = "127.0.0.1"


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def _hosts(host: str) -> tuple[str, ...]:
    hosts = {"127.0.0.1", "localhost", "::1"}
    if host not in ("0.0.0.0", "::"):
        hosts.add(host)
    else:  # every interface, as asked: any Host header names this server
        hosts.add("*")
    return tuple(hosts)


class Server:
    """The explorer's server in a background thread (for tests, benchmarks and `serve`)."""

    def __init__(self, target: str | None = None, port: int = DEFAULT_PORT, host: str = LOOPBACK,
                 workers: int = 2, workdir: str | Path | None = None, log_level: str = "warning"):
        import uvicorn

        from .app import Explorer, create_app

        self.sock = _bind(host, port)  # binding first: a busy port fails before workers start
        self.host, self.port = host, self.sock.getsockname()[1]
        try:
            self.explorer = Explorer(workers=workers, workdir=workdir, initial=target)
        except BaseException:
            self.sock.close()
            raise
        hosts = _hosts(host)
        self.app = create_app(self.explorer, allowed_hosts=hosts if "*" not in hosts else _AnyHost())
        self.server = uvicorn.Server(uvicorn.Config(self.app, log_level=log_level, lifespan="off",
                                                    timeout_graceful_shutdown=2))
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        h = self.host if self.host not in ("0.0.0.0", "::") else LOOPBACK
        return f"http://{'[' + h + ']' if ':' in h else h}:{self.port}/"

    def start(self) -> Server:
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       name="scslab-explore-http", daemon=True)
        self.thread.start()
        import time

        for _ in range(200):
            if self.server.started:
                break
            time.sleep(0.02)
        return self

    def wait_ready(self, timeout: float = 120.0) -> bool:
        """Wait until every worker is warm (a run asked for before waits in the queue anyway)."""
        import time

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.explorer.pool.ready == len(self.explorer.pool.slots):
                return True
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(5.0)
        self.explorer.close()
        self.sock.close()


class _AnyHost(tuple):
    def __contains__(self, item) -> bool:
        return True


@contextmanager
def running(target: str | None = None, **kwargs):
    srv = Server(target, **kwargs).start()
    try:
        yield srv
    finally:
        srv.stop()


def serve(target: str | None = None, port: int = DEFAULT_PORT, host: str = LOOPBACK, open_browser: bool = True,
          workers: int = 2, on_ready=None) -> None:
    """Serve the explorer until interrupted (Ctrl-C), opening the browser on its page."""
    import signal
    import time

    srv = Server(target, port=port, host=host, workers=workers).start()

    def terminate(signum, frame):  # `kill`: stop as Ctrl-C does (workers ended, temporary runs removed)
        raise KeyboardInterrupt
    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        if on_ready is not None:
            on_ready(srv.url)
        if open_browser:
            threading.Thread(target=webbrowser.open, args=(srv.url,), daemon=True).start()
        while srv.thread is not None and srv.thread.is_alive():
            time.sleep(0.25)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        srv.stop()


__all__ = ["DEFAULT_PORT", "Server", "running", "serve"]
