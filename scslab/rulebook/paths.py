"""Parameter paths: one name for any number a run depends on.

A path names a rulebook number or an engine weight, so sweeps, calibration and the
explorer can read and set it without knowing the schema's nesting:

    behaviours.petitioning.points          a behaviour, by id, then its field
    data_sources.bank.coverage.rural       a source's coverage of one group
    lists.blacklist.duration_days          a list, by id
    lists.blacklist.trigger.score_below    nested objects by field name
    grades.AAA.min                         a grade, by name
    network.association_penalty            the rulebook's single sections
    engine.w_virtue                        an engine weight (scslab.engine.EngineParams)
    engine.levers.code                     a lever (true/false)

`set_values(rb, params, {path: value})` returns a new rulebook and new engine parameters
with the values set, re-validated as a whole (ranges, cross-references), or raises
`ParamPathError` naming the path and what is wrong. Whole-number fields take rounded
values, so a sweep over `lists.x.duration_days` from 100 to 700 stays valid, and a grade's
`min` (or `max`) is the boundary it shares with its neighbour: both move together.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from typing import Any

ENGINE = "engine"
# List sections of the rulebook and the field that names their items.
KEYED = {"behaviours": "id", "data_sources": "id", "lists": "id", "sanctions": "id", "privileges": "id",
         "grades": "name"}


class ParamPathError(ValueError):
    """A parameter path that does not name a number, or a value it cannot take."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path = path
        self.detail = message

    def __reduce__(self):  # raised in a worker process, it comes back whole (not as a pickling error)
        return (type(self), (self.path, self.detail))


def split(path: str) -> tuple[str, ...]:
    if not isinstance(path, str) or not path.strip():
        raise ParamPathError(str(path), "an empty parameter path")
    if len(path) > 300:
        raise ParamPathError(path[:40] + "...", "a parameter path longer than 300 characters")
    parts = tuple(path.strip().split("."))
    if any(not p for p in parts):
        raise ParamPathError(path, "empty segment (two dots, or a dot at either end)")
    return parts


def _hint(name: str, known) -> str:
    g = difflib.get_close_matches(name, [str(k) for k in known], n=1, cutoff=0.6)
    return f"; did you mean '{g[0]}'?" if g else ""


def _walk(data: Any, parts: tuple[str, ...], path: str, create: bool = False) -> tuple[Any, Any]:
    """(container, key) of the value `parts` names inside plain data (dicts and lists)."""
    node = data
    i = 0
    while i < len(parts) - 1:
        seg = parts[i]
        if isinstance(node, dict):
            if seg not in node:
                raise ParamPathError(path, f"no field '{seg}' here (fields: {', '.join(map(str, node))})"
                                           f"{_hint(seg, node)}")
            child = node[seg]
            if seg in KEYED and isinstance(child, list) and i == 0:
                key = KEYED[seg]
                ident = parts[i + 1]
                hits = [x for x in child if isinstance(x, dict) and x.get(key) == ident]
                if not hits:
                    names = [x.get(key) for x in child if isinstance(x, dict)]
                    raise ParamPathError(path, f"no {seg[:-1] if seg != 'data_sources' else 'data source'} "
                                               f"with {key} '{ident}'{_hint(ident, names)}")
                node = hits[0]
                i += 2
                continue
            node = child
            i += 1
        else:
            raise ParamPathError(path, f"'{'.'.join(parts[:i])}' is a single value, not a section")
    last = parts[-1]
    if i != len(parts) - 1:  # the path ended on a list item (e.g. "behaviours.x")
        raise ParamPathError(path, "names a whole item, not one of its numbers (add a field, e.g. .points)")
    if not isinstance(node, dict):
        raise ParamPathError(path, "does not name a field")
    if last not in node:
        # A coverage map may gain a group key (it then overrides 'default' for that group).
        if create and parts[-2:-1] == ("coverage",):
            return node, last
        raise ParamPathError(path, f"no field '{last}' here (fields: {', '.join(map(str, node))}){_hint(last, node)}")
    return node, last


def _is_number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def get_value(rb, params, path: str):
    """The current value at `path` (a number or a bool)."""
    from ..engine.params import EngineParams

    parts = split(path)
    if parts[0] == ENGINE:
        if len(parts) < 2:
            raise ParamPathError(path, "names the engine, not one of its weights (e.g. engine.w_virtue)")
        data = (params or EngineParams()).model_dump()
        node, key = _walk(data, parts[1:], path)
    else:
        data = rb.model_dump()
        node, key = _walk(data, parts, path, create=True)
        if key not in node and parts[-2:-1] == ("coverage",):
            return node.get("default")
    v = node[key]
    if not (_is_number(v) or isinstance(v, bool)) and not (v is None and parts[0] != ENGINE):
        raise ParamPathError(path, f"is not a number or a switch (it holds {type(v).__name__})")
    return v


def set_values(rb, params, values: Mapping[str, Any], name: str = "<parameters>"):
    """(rulebook, engine params) with each path set to its value, validated as a whole."""
    from pydantic import ValidationError

    from ..engine.params import EngineParams
    from .errors import RulebookError
    from .loader import rulebook_from_dict

    p = params or EngineParams()
    rb_data = rb.model_dump() if rb is not None else None
    p_data = p.model_dump()
    rb_touched = False
    for path, value in values.items():
        parts = split(path)
        engine = parts[0] == ENGINE
        if engine and len(parts) < 2:
            raise ParamPathError(path, "names the engine, not one of its weights (e.g. engine.w_virtue)")
        if not engine and rb_data is None:
            raise ParamPathError(path, "names a rulebook number, but there is no rulebook")
        node, key = _walk(p_data if engine else rb_data, parts[1:] if engine else parts, path, create=True)
        old = node.get(key)
        node[key] = _coerce(path, old, value)
        rb_touched |= not engine
        if not engine and parts[0] == "grades" and key in ("min", "max"):
            _move_boundary(rb_data["grades"], node, key)
    try:
        p2 = EngineParams.model_validate(p_data)
    except ValidationError as e:
        err = e.errors(include_url=False)[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise ParamPathError(f"engine.{loc}", err["msg"]) from None
    if not rb_touched:
        return rb, p2
    try:
        rb2 = rulebook_from_dict(rb_data, name)
    except RulebookError as e:
        prob = e.problems[0]
        from .errors import format_path

        raise ParamPathError(format_path(prob.path), prob.message) from None
    return rb2, p2


def _move_boundary(grades: list, grade: dict, key: str) -> None:
    """Grades tile the scale: moving a grade's min moves the grade below's max (and max the
    grade above's min), so a boundary is one parameter. The scale's ends stay put."""
    i = next(j for j, g in enumerate(grades) if g is grade)
    if key == "min" and i > 0:
        grades[i - 1]["max"] = grade["min"]
    elif key == "max" and i + 1 < len(grades):
        grades[i + 1]["min"] = grade["max"]


def _coerce(path: str, old, value):
    """The value as the field's type: bool for switches, whole numbers for whole-number fields."""
    if isinstance(old, bool):
        if isinstance(value, bool):
            return value
        if _is_number(value) and value in (0, 1):
            return bool(value)
        raise ParamPathError(path, f"is a switch (true/false), got {value!r}")
    if isinstance(value, bool) or not _is_number(value) or not math.isfinite(float(value)):
        raise ParamPathError(path, f"needs a finite number, got {value!r}")
    if isinstance(old, int):
        return int(round(float(value)))
    return float(value)


def addressable(rb, params=None) -> list[str]:
    """Every path that names a number or a switch in `rb` and the engine (for help and docs)."""
    from ..engine.params import EngineParams

    out: list[str] = []

    def walk(node, prefix, top=False):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("source", "note", "metadata", "plausible"):
                    continue
                if top and k in KEYED and isinstance(v, list):
                    for item in v:
                        if isinstance(item, dict):
                            walk(item, f"{k}.{item.get(KEYED[k])}")
                    continue
                walk(v, f"{prefix}.{k}" if prefix else k)
        elif _is_number(node) or isinstance(node, bool):
            out.append(prefix)

    if rb is not None:
        walk(rb.model_dump(), "", top=True)
    walk((params or EngineParams()).model_dump(), ENGINE)
    return out


# --- "PATH=LOW..HIGH" and "PATH=v1,v2,..." ------------------------------------------------

def parse_assignment(text: str) -> tuple[str, tuple[float, float] | None, tuple[Any, ...] | None]:
    """'PATH=LOW..HIGH' -> (path, (low, high), None); 'PATH=v1,v2' -> (path, None, values)."""
    if "=" not in text:
        raise ParamPathError(text, "expected PATH=LOW..HIGH or PATH=v1,v2,... (e.g. engine.w_virtue=0.5..3)")
    path, _, rhs = text.partition("=")
    path = path.strip()
    split(path)
    rhs = rhs.strip()
    if ".." in rhs:
        lo_s, _, hi_s = rhs.partition("..")
        lo, hi = _number(path, lo_s), _number(path, hi_s)
        if not lo <= hi:
            raise ParamPathError(path, f"range {lo:g}..{hi:g} is empty (low must not exceed high)")
        return path, (lo, hi), None
    items = [s.strip() for s in rhs.split(",")]
    if not rhs or any(not s for s in items):
        raise ParamPathError(path, "no values after '=' (PATH=LOW..HIGH or PATH=v1,v2,...)")
    vals = tuple(_literal(path, s) for s in items)
    return path, None, vals


def _number(path: str, s: str) -> float:
    try:
        v = float(s)
    except ValueError:
        raise ParamPathError(path, f"'{s.strip()[:40]}' is not a number") from None
    if not math.isfinite(v):
        raise ParamPathError(path, f"'{s.strip()[:40]}' is not a finite number")
    return v


def _literal(path: str, s: str):
    low = s.lower()
    if low in ("true", "false"):
        return low == "true"
    return _number(path, s)


__all__ = ["ParamPathError", "addressable", "get_value", "parse_assignment", "set_values", "split"]
