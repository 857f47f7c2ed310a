"""The explorer's controls: which parts of a rulebook and of the engine a user can change,
and how a set of changes is applied.

An *edit set* is plain JSON sent by the page:

    {"rulebook": {"behaviours": {"contract_default": {"points": -40}},
                  "lists": {"untrustworthy": {"duration_days": 365}},
                  "network": {"association_penalty": 1.0, "peer_weight": 0.1},
                  "appeals": {"available": true, "review_accuracy": 0.8},
                  "disclosure": {"reward": 10, "penalty": 0.5}},
     "engine": {"levers": {"law": true, "market": true, "norms": true, "code": false},
                "w_virtue": 1.5, "w_strategic": 3.0, ...}}

Only the fields named in `RULEBOOK_FIELDS` and `ENGINE_FIELDS` can be changed; anything
else is refused with a message (nothing is evaluated, nothing else is touched). The
changed rulebook is validated by the same schema and checks as a file
(`scslab.rulebook.rulebook_from_dict`), so a value out of range comes back as a located
problem, not as a crash.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ..engine import EngineParams
from ..limits import LEVER_NAMES
from ..rulebook import Rulebook, RulebookError
from ..rulebook.errors import Problem

# section -> field -> kind ("number" | "bool" | "int")
RULEBOOK_FIELDS: dict[str, dict[str, str]] = {
    "behaviours": {"points": "number"},  # keyed by behaviour id
    "lists": {"duration_days": "int"},  # keyed by list id
    "network": {"association_penalty": "number", "peer_weight": "number"},
    "appeals": {"available": "bool", "review_accuracy": "number"},
    "disclosure": {"reward": "number", "penalty": "number"},
}
KEYED = {"behaviours", "lists"}
WEIGHTS = ("w_virtue", "w_strategic", "w_norm", "w_law", "w_market")
ENGINE_FIELDS = {**{w: "number" for w in WEIGHTS}, "levers": "levers"}
LEVERS = LEVER_NAMES
MAX_EDITS = 2_000  # more changes than any rulebook has fields: refused


class EditError(ValueError):
    """An edit set that cannot be applied (unknown field, wrong type): the message says which."""


def _value(kind: str, v: Any, where: str):
    if kind == "bool":
        if not isinstance(v, bool):
            raise EditError(f"{where}: expected true or false")
        return v
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(float(v)):
        raise EditError(f"{where}: expected a number")
    if kind == "int":
        if float(v) != int(v):
            raise EditError(f"{where}: expected a whole number")
        return int(v)
    return float(v)


def _obj(x, where: str) -> dict:
    if x is None:
        return {}
    if not isinstance(x, dict):
        raise EditError(f"{where}: expected an object")
    return x


def apply_rulebook_edits(rb: Rulebook, edits: dict | None, name: str = "<edited>") -> Rulebook:
    """`rb` with the edits applied, validated like a file (RulebookError, located by field)."""
    edits = _obj(edits, "rulebook")
    if not edits:
        return rb
    if sum(len(v) if isinstance(v, dict) else 1 for v in edits.values()) > MAX_EDITS:
        raise EditError("too many edits")
    data = rb.model_dump(mode="json")
    for section, changes in edits.items():
        if section not in RULEBOOK_FIELDS:
            raise EditError(f"rulebook.{section}: not a field the explorer changes")
        fields = RULEBOOK_FIELDS[section]
        changes = _obj(changes, f"rulebook.{section}")
        if section in KEYED:
            index = {str(item["id"]): item for item in data[section]}
            for key, fv in changes.items():
                if key not in index:
                    raise EditError(f"rulebook.{section}: no item with id {key!r}")
                for f, v in _obj(fv, f"rulebook.{section}.{key}").items():
                    if f not in fields:
                        raise EditError(f"rulebook.{section}.{key}.{f}: not a field the explorer changes")
                    index[key][f] = _value(fields[f], v, f"{section}.{key}.{f}")
                    if f == "points" and index[key].get("points_range"):
                        lo, hi = index[key]["points_range"]
                        p = index[key][f]
                        if not lo <= p <= hi:  # the user moved the value: the declared range follows it
                            index[key]["points_range"] = [min(lo, p), max(hi, p)]
        else:
            for f, v in changes.items():
                if f not in fields:
                    raise EditError(f"rulebook.{section}.{f}: not a field the explorer changes")
                data[section][f] = _value(fields[f], v, f"{section}.{f}")
    try:
        # JSON mode: dates in the dump are ISO text, which the strict schema reads only there.
        new = Rulebook.model_validate_json(json.dumps(data))
    except Exception as e:  # pydantic's ValidationError: reported with field paths
        from pydantic import ValidationError

        if not isinstance(e, ValidationError):
            raise
        problems = [Problem(name, 1, 1, tuple(err["loc"]), err["msg"]) for err in e.errors(include_url=False)]
        raise RulebookError(problems) from None
    from ..rulebook.checks import check_rulebook

    issues = check_rulebook(new)
    if issues:
        raise RulebookError([Problem(name, 1, 1, tuple(path), msg) for path, msg in issues])
    return new


def engine_params(edits: dict | None) -> EngineParams:
    """EngineParams from the engine part of an edit set (defaults for what it does not name)."""
    edits = _obj(edits, "engine")
    over: dict[str, Any] = {}
    for k, v in edits.items():
        if k not in ENGINE_FIELDS:
            raise EditError(f"engine.{k}: not a parameter the explorer changes")
        if k == "levers":
            lv = _obj(v, "engine.levers")
            for name, on in lv.items():
                if name not in LEVERS:
                    raise EditError(f"engine.levers.{name}: not a lever (law, market, norms, code)")
                _value("bool", on, f"engine.levers.{name}")
            over["levers"] = {n: bool(lv.get(n, True)) for n in LEVERS}
        else:
            over[k] = _value("number", v, f"engine.{k}")
    from pydantic import ValidationError

    try:
        return EngineParams.model_validate(over)
    except ValidationError as e:
        err = e.errors(include_url=False)[0]
        raise EditError(f"engine.{'.'.join(map(str, err['loc']))}: {err['msg']}") from None


def _range(v: float, lo: float, hi: float) -> tuple[float, float]:
    return (min(lo, v), max(hi, v))


def controls(rb: Rulebook) -> dict:
    """What the page shows as controls for this rulebook: ids, current values, ranges."""
    span = float(rb.scale.max - rb.scale.min) or 100.0
    beh = []
    for b in rb.behaviours:
        big = max(abs(b.points) * 3.0, span * 0.1, 10.0)
        lo, hi = (b.points_range if b.points_range else (-big, big))
        lo, hi = _range(b.points, min(lo, -big), max(hi, big))
        beh.append({"id": b.id, "label": b.label or b.id, "points": b.points, "min": round(lo, 3),
                    "max": round(hi, 3), "legal_status": b.legal_status})
    lists = [{"id": li.id, "kind": li.kind, "duration_days": li.duration_days} for li in rb.lists]
    p = EngineParams()
    return {
        "behaviours": beh,
        "lists": lists,
        "network": {"association_penalty": rb.network.association_penalty,
                    "association_penalty_max": max(10.0, rb.network.association_penalty * 3),
                    "peer_weight": rb.network.peer_weight},
        "appeals": {"available": rb.appeals.available, "review_accuracy": rb.appeals.review_accuracy},
        "disclosure": {"reward": rb.disclosure.reward, "reward_max": max(100.0, rb.disclosure.reward * 3),
                       "penalty": rb.disclosure.penalty, "penalty_max": max(5.0, rb.disclosure.penalty * 3)},
        "engine": {"levers": p.levers.model_dump(), **{w: getattr(p, w) for w in WEIGHTS}},
        "engine_help": {w: EngineParams.model_fields[w].description for w in WEIGHTS},
        "scale": {"min": rb.scale.min, "max": rb.scale.max, "base": rb.scale.base},
        "grades": [{"name": g.name, "min": g.min, "max": g.max} for g in rb.grades],
    }
