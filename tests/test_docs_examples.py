"""The examples in the docs are right as written.

- Every ```python block of every page under docs/ runs, in a scratch folder as a new user's
  would, the blocks of one page in order in one namespace (the README's block is run by
  tests/test_readme.py). A block that cannot run in a test says so in the page, on the line
  right before it: ``<!-- not run: the reason -->``; nothing is skipped silently.
- Every command line of a ```bash or ```console block (``$ ``-prompted lines) of docs/ and
  the README is checked without running it: ``scslab ...`` against the CLI's click command
  tree (commands, options, arguments, values), ``python SCRIPT ...`` against the script's
  argparse parser, scripts and test files by their existence.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer.main

from scslab.audit.findings import SEVERITIES
from scslab.cli import app
from scslab.experiments.executors import EXECUTORS
from scslab.experiments.sweep import DESIGNS, Factor
from scslab.limits import LEVER_NAMES

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").rglob("*.md"))
NOT_RUN = re.compile(r"^<!--\s*not run:\s*(?P<why>.*?)\s*-->\s*$")
FENCE = re.compile(r"^```(?P<lang>[\w+-]*)\s*$")


@dataclass(frozen=True)
class Block:
    doc: str
    line: int  # the line of the opening fence (1-based)
    lang: str
    code: str
    not_run: str | None  # the reason given by a <!-- not run: ... --> right before the block


def blocks(doc: str) -> list[Block]:
    lines = (ROOT / doc).read_text(encoding="utf-8").splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m and lines[i].startswith("```"):  # ```lang title="x" and such: still a fence
            m = re.match(r"^```(?P<lang>[\w+-]*)", lines[i])
        if not m:
            i += 1
            continue
        start = i
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            i += 1
        assert i < len(lines), f"{doc}:{start + 1}: a code block that is never closed"
        prev = next((ln for ln in reversed(lines[:start]) if ln.strip()), "")
        marker = NOT_RUN.match(prev.strip())
        out.append(Block(doc, start + 1, m["lang"], "\n".join(lines[start + 1:i]) + "\n",
                         marker["why"] if marker else None))
        i += 1
    return out


def python_pages() -> list[str]:
    return [d for d in PAGES if any(b.lang == "python" for b in blocks(d))]


# ---------------------------------------------------------------------------------------
# ```python blocks run as written


def test_python_examples_are_found():
    pages = python_pages()
    assert {"docs/index.md", "docs/sweeps.md", "docs/audit.md"} <= set(pages), pages
    readme = [b for b in blocks("README.md") if b.lang == "python"]
    assert len(readme) == 1, "tests/test_readme.py runs the README's one python block: run any other here"


def test_not_run_markers_give_a_reason_and_mark_a_python_block():
    pages = [*PAGES, "README.md"]
    for doc in pages:
        lines = (ROOT / doc).read_text(encoding="utf-8").splitlines()
        marked = {b.line - 1 for b in blocks(doc) if b.not_run is not None and b.lang == "python"}
        for n, line in enumerate(lines, 1):
            m = NOT_RUN.match(line.strip())
            if m:
                assert m["why"], f"{doc}:{n}: say why the example is not run"
                nxt = next((k for k in range(n, len(lines)) if lines[k].strip()), None)
                assert nxt is not None and nxt in marked, \
                    f"{doc}:{n}: a not-run marker must stand right before a ```python block"


def padded(b: Block) -> str:
    """The block's code, padded so that a traceback names the page's own line numbers."""
    return "\n" * b.line + b.code


def test_examples_not_run_still_compile_and_import():
    """A block marked not run is still Python, and what it imports exists."""
    for doc in python_pages():
        for b in blocks(doc):
            if b.lang == "python" and b.not_run is not None:
                tree = ast.parse(padded(b), str(ROOT / doc))
                imports = ast.Module([n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))], [])
                exec(compile(imports, str(ROOT / doc), "exec"), {})  # noqa: S102 - our own documentation


@pytest.mark.slow
@pytest.mark.parametrize("doc", python_pages())
def test_python_examples_run_as_written(doc, tmp_path):
    todo = [b for b in blocks(doc) if b.lang == "python"]
    run = [b for b in todo if b.not_run is None]
    if not run:
        pytest.skip("every example is marked not run: "
                    + "; ".join(f"{b.doc}:{b.line}: {b.not_run}" for b in todo))
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        ns: dict = {"__name__": "__main__"}
        for b in run:
            exec(compile(padded(b), str(ROOT / doc), "exec"), ns)  # noqa: S102 - our own documentation
    finally:
        os.chdir(here)


# ---------------------------------------------------------------------------------------
# command lines in ```bash and ```console blocks are valid


@dataclass(frozen=True)
class Command:
    doc: str
    line: int
    text: str  # the logical line as written (continuations joined)

    def __str__(self) -> str:
        return f"{self.doc}:{self.line}"


def command_lines() -> list[Command]:
    out: list[Command] = []
    for doc in [*PAGES, "README.md"]:
        for b in blocks(doc):
            if b.lang not in ("bash", "sh", "shell", "console"):
                continue
            pending, first = "", 0
            for k, raw in enumerate(b.code.splitlines()):
                n = b.line + 1 + k
                if b.lang == "console" and not pending:
                    if not raw.startswith("$ "):
                        continue  # output
                    raw = raw[2:]
                if not pending:
                    first = n
                if raw.rstrip().endswith("\\"):
                    pending += raw.rstrip()[:-1] + " "
                    continue
                text = (pending + raw).strip()
                pending = ""
                if text and not text.startswith("#"):
                    out.append(Command(doc, first, text))
    return out


REDIRECTS = {">", ">>", "<", "&>", ">&"}
FILTERS = {"head", "tail", "grep", "less", "jq", "sort", "wc", "tee", "cat"}  # what output is piped to
SEPARATORS = {"&&", "||", ";", "|", "&"}


def simple_commands(text: str) -> list[list[str]]:
    """The simple commands of a shell line: comments, redirections and their targets dropped,
    split at pipes and && / || / ; ."""
    text = re.sub(r"(^|\s)\d(?=>)", r"\1", text)  # 2>file, 2>&1: the descriptor goes with the redirection
    lex = shlex.shlex(text, posix=True, punctuation_chars=";&|<>")
    lex.whitespace_split = True
    lex.commenters = "#"
    cmds: list[list[str]] = [[]]
    toks = list(lex)
    i = 0
    while i < len(toks):
        t = toks[i]
        if t in SEPARATORS:
            cmds.append([])
        elif t in REDIRECTS:
            i += 1  # and its target
        else:
            cmds[-1].append(t)
        i += 1
    return [c for c in cmds if c]


def unwrap(argv: list[str]) -> list[str]:
    """Drop leading VAR=value assignments and wrappers (time, /usr/bin/time -v, env, nohup,
    timeout N) and the ellipsis a doc leaves for 'and so on'."""
    argv = list(argv)
    while argv:
        head = Path(argv[0]).name
        if re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", argv[0]):
            argv.pop(0)
        elif head in ("time", "nohup", "env"):
            argv.pop(0)
            while argv and argv[0].startswith("-"):
                argv.pop(0)
        elif head == "timeout":
            argv.pop(0)
            while argv and argv[0].startswith("-"):
                argv.pop(0)
            argv.pop(0)  # the duration
        else:
            break
    while argv and argv[-1] in ("...", "…"):
        argv.pop()
    return argv


ROOT_GROUP = typer.main.get_command(app)


def _choices(*allowed: str, case: bool = True):
    def ok(value) -> bool:
        values = value if isinstance(value, (list, tuple)) else [value]
        return all((v if case else v.strip().lower()) in allowed for v in values if v is not None)
    ok.allowed = allowed  # type: ignore[attr-defined]
    return ok


# Values the commands check in their bodies (not at parsing): the same sets, from the CLI's sources.
VALUES = {
    ("audit", "format"): _choices("text", "json", "sarif", case=False),
    ("audit", "fail_on"): _choices(*SEVERITIES, "never", case=False),
    ("sweep", "design"): _choices(*DESIGNS),
    ("sweep", "executor"): _choices(*EXECUTORS),
    ("calibrate", "executor"): _choices(*EXECUTORS),
    ("calibrate", "method"): _choices("cmaes", "tpe"),
    ("nation", "executor"): _choices("local", "processes", "ray"),
    ("run", "off"): _choices(*LEVER_NAMES),
    ("nation", "off"): _choices(*LEVER_NAMES),
}


def check_scslab(args: list[str]) -> str | None:
    """Parse `scslab ARGS` down the command tree as the CLI would, without invoking anything:
    None when it parses, else the error the CLI would print. (Typer may bring its own copy of
    click, so its classes are not assumed: a group is what resolves commands, a usage error
    is what formats a message.)"""
    cmd, name, parent = ROOT_GROUP, "scslab", None
    while True:
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # what --help prints
                ctx = cmd.make_context(name, list(args), parent=parent, resilient_parsing=False)
            if not hasattr(cmd, "resolve_command"):
                for (command, param), ok in VALUES.items():
                    value = ctx.params.get(param)
                    if command == name and value not in (None, [], ()) and not ok(value):
                        return f"{param}: {value!r} is not one of {', '.join(ok.allowed)}"
                if name == "sweep":
                    for factor in ctx.params.get("param") or ():
                        try:
                            Factor.parse(factor)  # PATH=LOW..HIGH or PATH=v1,v2,...
                        except ValueError as e:
                            return f"--param {factor}: {e}"
                return None
            rest = [*ctx._protected_args, *ctx.args]
            if not rest:
                return None if cmd.invoke_without_command else f"'{name}' needs a command"
            sub_name, sub, args = cmd.resolve_command(ctx, rest)
        except Exception as e:
            if type(e).__name__ == "Exit" and getattr(e, "exit_code", None) == 0:  # --help, --version
                return None
            if hasattr(e, "format_message"):
                return f"{type(e).__name__}: {e.format_message()}"
            raise
        cmd, name, parent = sub, sub_name, ctx


def check_python_script(cmd: Command, script: str, args: list[str]) -> str | None:
    """A script run by `python SCRIPT ARGS`: it exists and, when it reads its arguments with
    argparse, accepts these (parsed by its own parser, which is stopped before it runs)."""
    path = ROOT / script
    assert path.is_file(), f"{cmd}: no such script: {script}"
    if "argparse" not in path.read_text(encoding="utf-8"):
        return f"{script} does not use argparse: its arguments are not checked"
    probe = (
        "import argparse, runpy, sys\n"
        "_parse = argparse.ArgumentParser.parse_args\n"
        "def parse_args(self, *a, **k):\n"
        "    _parse(self, *a, **k)\n"
        "    print('ARGS OK'); sys.exit(0)\n"
        "argparse.ArgumentParser.parse_args = parse_args\n"
        "sys.argv = sys.argv[1:]\n"
        "runpy.run_path(sys.argv[0], run_name='__main__')\n"
        "print('NEVER PARSED')\n"
    )
    r = subprocess.run([sys.executable, "-c", probe, str(path), *args], cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0 and "ARGS OK" in r.stdout, f"{cmd}: {cmd.text}\n{r.stderr[-1500:]}"
    return None


def check(cmd: Command) -> list[str]:
    """Check every simple command of one doc line; return the reasons for those not checked."""
    notes: list[str] = []
    for argv in simple_commands(cmd.text):
        argv = unwrap(argv)
        if not argv:
            continue
        prog, args = argv[0], argv[1:]
        base = Path(prog).name
        if re.fullmatch(r"python(3(\.\d+)?)?", base) and args[:2] == ["-m", "scslab"]:
            base, args = "scslab", args[2:]
        if base == "scslab":
            error = check_scslab(args)
            if error:
                pytest.fail(f"{cmd}: {cmd.text}\n  {error}")
        elif re.fullmatch(r"python(3(\.\d+)?)?", base):
            if args[:1] == ["-c"]:
                compile(args[1], f"{cmd} python -c", "exec")
            elif args and args[0].endswith(".py"):
                note = check_python_script(cmd, args[0], args[1:])
                if note:
                    notes.append(note)
            else:
                pytest.fail(f"{cmd}: a python command line this test cannot check: {cmd.text}")
        elif base == "pytest":
            for a in args:
                if not a.startswith("-"):
                    assert (ROOT / a.split("::")[0]).exists(), f"{cmd}: no such test file {a}"
        elif base in FILTERS:
            pass
        elif prog.startswith(("scripts/", "./scripts/")):
            assert os.access(ROOT / prog, os.X_OK), f"{cmd}: {prog} is not an executable script"
        else:
            pytest.fail(f"{cmd}: '{prog}' is a command this test does not know how to check; "
                        "teach tests/test_docs_examples.py")
    return notes


COMMANDS = command_lines()


def test_the_docs_have_command_lines():
    assert len(COMMANDS) >= 40, len(COMMANDS)
    assert sum("scslab" in c.text for c in COMMANDS) >= 35


@pytest.mark.parametrize("cmd", COMMANDS, ids=str)
def test_command_lines_in_the_docs_are_valid(cmd):
    notes = check(cmd)
    if notes:
        pytest.skip("; ".join(notes))
