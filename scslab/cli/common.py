"""Shared pieces of the CLI: consoles and how user errors are shown (never a traceback)."""

from __future__ import annotations

import sys

from rich.console import Console

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_USER_ERROR = 2


def fail_with_problems(problems) -> None:
    """Print located problems (file:line:col: field: message) and exit with status 2."""
    for p in problems:
        err_console.print(str(p), markup=False)
    n = len(problems)
    err_console.print(f"[red]{n} problem{'s' if n != 1 else ''} found[/red]")
    sys.exit(EXIT_USER_ERROR)


def fail(message: str) -> None:
    err_console.print(f"[red]error:[/red] {message}", markup=True)
    sys.exit(EXIT_USER_ERROR)
