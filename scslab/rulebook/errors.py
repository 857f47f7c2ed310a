"""Located problems in user files, and their translation from pydantic's errors."""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass

from .yaml_nodes import Located, Path


def clip(text: str, n: int = 40) -> str:
    """A name from the user's file, shortened: a 100,000-character key must not flood the terminal."""
    return text if len(text) <= n else text[: n - 3] + "..."


def format_path(path: Path) -> str:
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + clip(str(p))
    return out or "(document)"


@dataclass(frozen=True)
class Problem:
    """A located problem in a rulebook file: file, line, column, field path and message."""

    file: str
    line: int
    column: int
    path: Path
    message: str

    def __str__(self) -> str:
        if self.line <= 0:  # the file as a whole (missing, unreadable)
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}:{self.column}: {format_path(self.path)}: {self.message}"


class RulebookError(Exception):
    """A rulebook that cannot be used; holds every problem found, each located."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.column, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


def _show(value: object) -> str:
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return f"a date and time ({value.isoformat()})"
    if isinstance(value, dt.date):  # YAML reads 2020-01-01 as a date, not text
        return f"a date ({value.isoformat()})"
    return repr(value)


_EXPECT = {
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text",
    "list_type": "a list",
    "tuple_type": "a list of two numbers",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "a date (YYYY-MM-DD)",
}

_BOUND = {
    "greater_than": ">",
    "greater_than_equal": ">=",
    "less_than": "<",
    "less_than_equal": "<=",
}


def _looks_like_number(s: str) -> bool:
    if "e" not in s.lower() or "n" in s.lower():  # exponents only; not inf or nan
        return False
    try:
        float(s)
    except ValueError:
        return False
    return True


def _fields_of(model_cls, loc: tuple) -> list[str]:
    """Field names allowed at the mapping that contains loc[-1] (for did-you-mean)."""
    from pydantic import BaseModel

    cls = model_cls
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        info = getattr(cls, "model_fields", {}).get(part)
        if info is None:
            return []
        ann = info.annotation
        nxt = _model_in(ann, BaseModel)
        if nxt is None:
            return []
        cls = nxt
    return list(getattr(cls, "model_fields", {}))


def _model_in(ann, base):
    import typing

    if isinstance(ann, type) and issubclass(ann, base):
        return ann
    for a in typing.get_args(ann):
        m = _model_in(a, base)
        if m is not None:
            return m
    return None


def translate(err: dict, located: Located, file: str, model_cls) -> Problem:
    """One pydantic error dict -> one located Problem in the user's terms."""
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    typ = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if typ == "extra_forbidden":
        name = clip(str(loc[-1]))
        allowed = _fields_of(model_cls, loc)
        guess = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        hint = f"; did you mean '{guess[0]}'?" if guess else (f"; allowed: {', '.join(allowed)}" if allowed else "")
        msg = f"unknown field '{name}'{hint}"
        mark = located.mark_for(loc, key=True)
    elif typ == "missing":
        msg = "required field is missing"
        mark = located.mark_for(loc[:-1])
    elif typ in _EXPECT:
        msg = f"expected {_EXPECT[typ]}, got {_show(value)}"
        if typ == "string_type" and isinstance(value, int | float | dt.date) and not isinstance(value, bool):
            msg += "; put it in quotes to make it text"
        elif typ == "float_type" and isinstance(value, str) and _looks_like_number(value):
            msg += "; YAML reads an exponent as a number only with a dot and a sign, e.g. 1.0e+3"
        mark = located.mark_for(loc)
    elif typ in _BOUND:
        bound = next(iter(ctx.values()), "?")
        msg = f"expected a value {_BOUND[typ]} {bound}, got {_show(value)}"
        mark = located.mark_for(loc)
    elif typ == "literal_error":
        msg = f"expected one of {ctx.get('expected', '?')}, got {_show(value)}"
        mark = located.mark_for(loc)
    elif typ == "string_pattern_mismatch":
        msg = f"expected an id of lower-case letters, digits, '_' or '-' starting with a letter, got {_show(value)}"
        mark = located.mark_for(loc)
    elif typ == "too_short" and ctx.get("min_length", 1) > 1:  # e.g. points_range: [low, high]
        msg = f"expected at least {ctx['min_length']} items, got {ctx.get('actual_length', '?')}"
        mark = located.mark_for(loc)
    elif typ in ("string_too_short", "too_short"):
        msg = f"must not be empty, got {_show(value)}"
        mark = located.mark_for(loc)
    elif typ == "too_long" and "max_length" in ctx:
        msg = f"expected at most {ctx['max_length']} items, got {ctx.get('actual_length', 'more')}"
        mark = located.mark_for(loc)
    elif typ == "string_too_long" and "max_length" in ctx:
        msg = f"too long: at most {ctx['max_length']} characters, got {len(value) if isinstance(value, str) else 'more'}"
        mark = located.mark_for(loc)
    elif typ in ("string_too_long", "too_long"):
        msg = f"too long ({err['msg'].lower()})"
        mark = located.mark_for(loc)
    else:
        msg = err["msg"][0].lower() + err["msg"][1:] + (f", got {_show(value)}" if "input" in err else "")
        mark = located.mark_for(loc)
    return Problem(file, mark.line, mark.column, loc, msg)
