"""Shared pieces of the CLI: consoles and how user errors are shown (never a traceback).

Text that comes from a user's files (rulebook titles, manifest fields, paths, messages
quoting them) goes through :func:`safe` before it reaches a terminal: control characters
are shown escaped (``\\x1b``), never sent raw, and very long values are cut.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable

from rich.console import Console
from rich.text import Text

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130

# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides and
# isolates, which can make a terminal show text in another order than it is stored.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
MAX_SHOWN = 200  # characters of one value from a user's file shown in a listing or summary


def _escape_char(m: re.Match) -> str:
    c = ord(m.group())
    if c == 0x0A:
        return "\\n"
    if c == 0x09:
        return "\\t"
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def safe(value, limit: int | None = MAX_SHOWN, *, lines: bool = False) -> str:
    """``value`` as text that is safe to print: control characters escaped, cut at ``limit``.

    With ``lines`` newlines are kept (for messages of several lines); otherwise they are
    shown as ``\\n`` too, so one value stays on one line.
    """
    text = value if isinstance(value, str) else str(value)
    if limit is not None and len(text) > limit:
        text = f"{text[:limit]}... ({len(text):,} characters)"
    return (_UNSAFE if lines else _UNSAFE_LINE).sub(_escape_char, text)


def plain(value, limit: int | None = MAX_SHOWN, style: str | None = None) -> Text:
    """A rich Text of ``value`` made :func:`safe`, never read as markup."""
    return Text(safe(value, limit), style=style or "")


def fail_with_problems(problems) -> None:
    """Print located problems (file:line:col: field: message) and exit with status 2."""
    for p in problems:
        err_console.print(safe(str(p), limit=2_000), markup=False)
    n = len(problems)
    err_console.print(f"[red]{n} problem{'s' if n != 1 else ''} found[/red]")
    sys.exit(EXIT_USER_ERROR)


def fail(message: str, status: int = EXIT_USER_ERROR) -> None:
    """Print ``error: message`` on stderr (never read as markup) and exit with ``status``."""
    err_console.print(Text.assemble(("error:", "red"), " ", safe(message, limit=4_000, lines=True)))
    sys.exit(status)


def on_interrupt(message: Callable[..., str]):
    """Ctrl-C in the decorated function: print ``error: interrupted: <message>`` (what was
    kept and how to go on; ``message`` gets the function's arguments) and exit 130.

    Needed because typer turns a KeyboardInterrupt into a silent exit 130 before
    ``scslab.cli.main`` sees it."""

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except KeyboardInterrupt:
                fail(f"interrupted: {message(*args, **kwargs)}", EXIT_INTERRUPTED)

        return wrapper

    return decorate


def note(message: str) -> None:
    """Print a warning on stderr (never read as markup)."""
    err_console.print(Text.assemble(("warning:", "yellow"), " ", safe(message, limit=4_000, lines=True)))


class LazyProgress:
    """Progress bars drawn from the first update on, never before.

    A command refused before any work (a bad folder, an error from the first run) then
    prints its message alone, with no empty bar above it. Used as::

        with LazyProgress(TextColumn(...), BarColumn(), ...) as bars:
            key = bars.add("runs", total=n)
            ... progress=lambda done, total: bars.update(key, completed=done, total=total)
    """

    def __init__(self, *columns, console: Console = console, transient: bool = False) -> None:
        self._columns, self._console, self._transient = columns, console, transient
        self._progress = None
        self._tasks: dict[str, tuple[str, float | None]] = {}
        self._ids: dict[str, int] = {}

    def add(self, description: str, total: float | None = None) -> str:
        """A bar to draw once it first moves; returns its key."""
        self._tasks[description] = (description, total)
        return description

    def _bar(self, key: str):
        if self._progress is None:
            from rich.progress import Progress

            self._progress = Progress(*self._columns, console=self._console, transient=self._transient)
            self._progress.start()
            for k, (description, total) in self._tasks.items():  # in the order they were added
                self._ids[k] = self._progress.add_task(description, total=total)
        return self._ids[key]

    def update(self, key: str, **fields) -> None:
        """Update a bar (rich's ``Progress.update`` fields: completed, total, ...)."""
        task = self._bar(key)
        self._progress.update(task, **fields)

    def advance(self, key: str, steps: float = 1) -> None:
        task = self._bar(key)
        self._progress.advance(task, steps)

    def __enter__(self) -> LazyProgress:
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.stop()
