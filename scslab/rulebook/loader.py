"""Read a rulebook from YAML with every problem located (file:line:col: field: message)."""

from __future__ import annotations

from pathlib import Path as FsPath

import yaml
from pydantic import ValidationError

from .checks import check_rulebook
from .errors import Problem, RulebookError, translate
from .schema import Rulebook
from .yaml_nodes import MAX_BYTES, Located, YamlProblem, parse_yaml


def parse_rulebook(text: str | bytes, name: str = "<string>") -> Rulebook:
    """Parse YAML text into a validated Rulebook, or raise RulebookError listing every problem."""
    try:
        located = parse_yaml(text, name)
    except YamlProblem as e:
        raise RulebookError([Problem(name, e.mark.line, e.mark.column, e.path, e.message)]) from None
    return validate_rulebook(located, name)


def validate_rulebook(located: Located, name: str = "<data>") -> Rulebook:
    data = located.data
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "nothing"
        raise RulebookError([Problem(name, 1, 1, (), f"expected a rulebook mapping at the top, got {kind}")])
    try:
        rb = Rulebook.model_validate(data)
    except ValidationError as e:
        problems = [translate(err, located, name, Rulebook) for err in e.errors(include_url=False)]
        raise RulebookError(_dedupe(problems)) from None
    issues = check_rulebook(rb)
    if issues:
        problems = []
        for path, msg in issues:
            m = located.mark_for(path)
            problems.append(Problem(name, m.line, m.column, path, msg))
        raise RulebookError(problems)
    return rb


def rulebook_from_dict(data: dict, name: str = "<dict>") -> Rulebook:
    """Validate a rulebook given as plain Python data (positions are unknown: line 1)."""
    return validate_rulebook(Located(data), name)


def load_rulebook(path: str | FsPath) -> Rulebook:
    """Load and validate a rulebook file."""
    p = FsPath(path)
    try:
        raw = read_limited(p)
    except FileNotFoundError:
        raise RulebookError([Problem(str(p), 0, 0, (), "no such file")]) from None
    except IsADirectoryError:
        raise RulebookError([Problem(str(p), 0, 0, (), "is a directory, not a rulebook file")]) from None
    except OSError as e:
        raise RulebookError([Problem(str(p), 0, 0, (), f"cannot read: {e.strerror}")]) from None
    return parse_rulebook(raw, str(p))


def read_limited(p: FsPath) -> bytes:
    """A rulebook file's bytes, refusing what is not a regular file or is over the size limit.

    Never reads more than the limit: `/dev/zero`, a FIFO or a 10 GB file must not hang the
    reader or fill its memory before parse_yaml can refuse them.
    """
    if p.exists() and not p.is_dir() and not p.is_file():
        raise RulebookError([Problem(str(p), 0, 0, (), "not a regular file (a device, socket or pipe)")])
    with open(p, "rb") as f:
        raw = f.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise RulebookError([Problem(str(p), 0, 0, (), f"file is larger than {MAX_BYTES:,} bytes, the limit for a rulebook")])
    return raw


def dump_rulebook(rb: Rulebook) -> str:
    """The rulebook as YAML, in schema field order, defaults included."""
    data = rb.model_dump(mode="python")  # dates stay dates, so the YAML re-reads as dates
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for p in problems:
        key = (p.line, p.column, p.path, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
