"""The command line: a thin layer over the Python API (typer + rich).

Heavy modules (numpy, the engine, pandas) are imported inside commands so that
``scslab --help`` and ``scslab validate`` start fast.
"""

from __future__ import annotations

import sys

import typer

from .common import console, fail_with_problems
from .helpfmt import plain_placeholders

plain_placeholders()  # `--overwrite`, `--off TEXT`, `RULEBOOK`: not `<bool>`, `<list[str]>`, `{rulebook}`


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        console.print(f"scslab {__version__}")
        raise typer.Exit()


app = typer.Typer(
    name="scslab",
    help="scslab: a laboratory for social credit systems. Simulate, measure, audit. "
    "Synthetic populations only.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _main_options(
    version: bool = typer.Option(False, "--version", "-V", callback=_version, is_eager=True,
                                 help="print scslab's version and exit"),
) -> None:
    """scslab: a laboratory for social credit systems. Simulate, measure, audit. Synthetic populations only."""

# Each module registers its commands on `app`.
from . import store_cmds  # noqa: E402,F401  # isort: skip
from . import rulebook_cmds  # noqa: E402,F401

from . import audit_cmd  # noqa: E402,F401  # isort: skip
from . import run_cmds  # noqa: E402,F401  # isort: skip
from . import compare_cmds, demo_cmd  # noqa: E402,F401  # isort: skip
from . import explore_cmd  # noqa: E402,F401  # isort: skip
from . import sweep_cmd  # noqa: E402,F401  # isort: skip
from . import calibrate_cmd  # noqa: E402,F401  # isort: skip
from . import nation_cmd  # noqa: E402,F401  # isort: skip


def main() -> None:
    from ..rulebook.errors import RulebookError

    try:
        app()
    except RulebookError as e:
        fail_with_problems(e.problems)
    except KeyboardInterrupt:
        console.print("[red]interrupted[/red]")
        sys.exit(130)


__all__ = ["app", "main"]
