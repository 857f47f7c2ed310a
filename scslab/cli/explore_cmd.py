"""`scslab explore` (the browser app) and `scslab report` (one run folder as an HTML page)."""

from __future__ import annotations

from pathlib import Path

import typer

from . import app
from .common import console, fail, note, safe


@app.command()
def explore(
    target: str = typer.Argument(None, metavar="[RULEBOOK|PILOT]", help="a rulebook file or a bundled pilot to start with"),
    port: int = typer.Option(8765, "--port", "-p", help="the port to listen on (0: any free port)"),
    host: str = typer.Option("127.0.0.1", "--host",
                             help="the address to listen on; only 127.0.0.1 (this computer) unless you mean otherwise"),
    no_browser: bool = typer.Option(False, "--no-browser", help="do not open a browser"),
    workers: int = typer.Option(2, "--workers", "-w", help="worker processes for runs (one core each)"),
) -> None:
    """Change a rule, watch a society respond: a local app in the browser (Ctrl-C stops it)."""
    if not 0 <= port <= 65535:
        fail(f"--port must be in 0..65535, got {port}")
    if not 1 <= workers <= 16:
        fail(f"--workers must be in 1..16, got {workers}")
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        fail("the explorer needs its extra: pip install 'scslab[explore]' (starlette, uvicorn)")
    if host not in ("127.0.0.1", "localhost", "::1"):
        note(f"listening on {host}: other computers that reach this address can use the explorer "
             "(it has no login)")
    from ..explore import serve
    from ..rulebook.errors import RulebookError

    def ready(url: str) -> None:
        console.print(f"scslab explorer: [bold]{url}[/bold]  (Ctrl-C to stop)")

    try:
        serve(target, port=port, host="127.0.0.1" if host == "localhost" else host, open_browser=not no_browser,
              workers=workers, on_ready=ready)
    except RulebookError:
        raise  # located problems, printed by main()
    except OSError as e:
        fail(f"cannot listen on {host}:{port}: {safe(e.strerror or e)}")


@app.command()
def report(
    run: Path = typer.Argument(..., help="a run folder (scslab run --out FOLDER)"),
    against: Path = typer.Option(None, "--against", "-a", help="a paired run folder to draw beside it (same seed)"),
    out: Path = typer.Option(None, "--out", "-o", help="the page to write (default: FOLDER.html beside the folder)"),
) -> None:
    """One run folder as an offline HTML page: summary, figures and every per-run metric."""
    from ..report.run_report import write_run_report
    from ..store import RunFolderError

    try:
        path = write_run_report(run, out=out, against=against)
    except (RunFolderError, KeyError) as e:
        fail(str(e))
    console.print(f"report: [bold]{safe(path)}[/bold]")
