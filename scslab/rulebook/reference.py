"""The rulebook reference (Markdown), generated from the schema so it cannot drift from it.

``python -m scslab.rulebook.reference`` writes ``docs/rulebook-reference.md`` (atomically);
``--check`` exits 1 when the file on disk differs from what the schema generates.

Types and allowed ranges come from pydantic's JSON schema (which already folds in
``Annotated`` constraints, literals and optional values); defaults come from
``model_fields`` (the JSON schema leaves out defaults built by factories).
"""

from __future__ import annotations

import argparse
import sys
import typing
from pathlib import Path

from pydantic import BaseModel

from . import schema
from .schema import Rulebook

DEFAULT_OUTPUT = Path("docs") / "rulebook-reference.md"
_ID_PATTERN = r"^[a-z][a-z0-9_\-]*$"
# Inherited by every object with numbers; shown last in each table.
_TRAILING = ("source", "note")


def models_in_order(root: type[BaseModel] = Rulebook) -> list[type[BaseModel]]:
    """Every model reachable from root, depth-first in field order (root first)."""
    seen: list[type[BaseModel]] = []

    def visit(cls: type[BaseModel]) -> None:
        if cls in seen:
            return
        seen.append(cls)
        for name in _field_order(cls):
            for sub in _models_in(cls.model_fields[name].annotation):
                visit(sub)

    visit(root)
    return seen


def _models_in(ann) -> list[type[BaseModel]]:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [ann]
    out: list[type[BaseModel]] = []
    for a in typing.get_args(ann):
        out += _models_in(a)
    return out


def _field_order(cls: type[BaseModel]) -> list[str]:
    names = list(cls.model_fields)
    return [n for n in names if n not in _TRAILING] + [n for n in _TRAILING if n in names]


def _anchor(name: str) -> str:
    return name.lower()


def _num(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _type(p: dict) -> str:
    """A JSON-schema property in words."""
    if "$ref" in p:
        name = p["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{_anchor(name)})"
    if "anyOf" in p:
        parts = [q for q in p["anyOf"] if q.get("type") != "null"]
        nullable = len(parts) < len(p["anyOf"])
        text = " or ".join(_type(q) for q in parts)
        return f"{text} or null" if nullable else text
    if "enum" in p:
        return "text (choice)"
    t = p.get("type")
    if t == "array":
        return f"list of {_type(p.get('items', {}))}"
    if t == "object":
        return f"mapping of text to {_type(p.get('additionalProperties', {}))}"
    if t == "string":
        if p.get("format") == "date":
            return "date (YYYY-MM-DD)"
        if p.get("pattern") == _ID_PATTERN:
            return "id"
        return "text"
    return {"number": "number", "integer": "whole number", "boolean": "true or false"}.get(t, t or "any")


def _interval(p: dict) -> str:
    lo = ("[", p["minimum"]) if "minimum" in p else ("(", p["exclusiveMinimum"]) if "exclusiveMinimum" in p else None
    hi = (p["maximum"], "]") if "maximum" in p else (p["exclusiveMaximum"], ")") if "exclusiveMaximum" in p else None
    if lo and hi:
        return f"{lo[0]}{_num(lo[1])}, {_num(hi[0])}{hi[1]}"
    if lo:
        return f"{'≥' if lo[0] == '[' else '>'} {_num(lo[1])}"
    if hi:
        return f"{'≤' if hi[1] == ']' else '<'} {_num(hi[0])}"
    return ""


def _range(p: dict) -> str:
    """Allowed values of a JSON-schema property, or '' when anything of its type goes."""
    if "anyOf" in p:
        return "; ".join(r for r in (_range(q) for q in p["anyOf"] if q.get("type") != "null") if r)
    if "enum" in p:
        return ", ".join(f"`{v}`" for v in p["enum"])
    parts = []
    iv = _interval(p)
    if iv:
        parts.append(iv)
    if "pattern" in p and p["pattern"] != _ID_PATTERN:  # ids are explained once, in the header
        parts.append(f"matches `{p['pattern']}`")
    for lo_key, hi_key, unit in (("minLength", "maxLength", "characters"), ("minItems", "maxItems", "items")):
        lo, hi = p.get(lo_key), p.get(hi_key)
        if lo is not None and hi is not None:
            parts.append(f"{lo}..{hi} {unit}" if lo != hi else f"exactly {lo} {unit}")
        elif lo == 1:
            parts.append("not empty")
        elif lo is not None:
            parts.append(f"at least {lo} {unit}")
        elif hi is not None:
            parts.append(f"at most {hi} {unit}")
    if p.get("type") == "array" and p.get("items"):
        inner = _range(p["items"])
        if inner:
            parts.append(f"each: {inner}")
    if p.get("type") == "object" and p.get("additionalProperties"):
        inner = _range(p["additionalProperties"])
        if inner:
            parts.append(f"each value: {inner}")
    return "; ".join(parts)


def _unconstrained(p: dict) -> str:
    """'any' for a plain value; a dash for a nested object, whose own table has the ranges."""
    q = next((x for x in p.get("anyOf", [p]) if x.get("type") != "null"), p)
    if "$ref" in q or "$ref" in q.get("items", {}):
        return "—"
    return "any"


def _yamlish(v) -> str:
    if v is None:
        return "`null`"
    if isinstance(v, bool):
        return "`true`" if v else "`false`"
    if isinstance(v, BaseModel):
        return "all defaults"
    if isinstance(v, list | tuple):
        return "`[]`" if not v else f"`{list(v)}`"
    if isinstance(v, dict):
        return "`{}`" if not v else f"`{v}`"
    return f"`{_num(v)}`"


def _default(cls: type[BaseModel], name: str) -> str:
    info = cls.model_fields[name]
    if info.is_required():
        return "required (may be null)" if type(None) in typing.get_args(info.annotation) else "required"
    if info.default_factory is not None:
        return _yamlish(info.default_factory())
    return _yamlish(info.default)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _model_section(cls: type[BaseModel], js: dict, used_by: dict[str, list[str]]) -> list[str]:
    name = cls.__name__
    props = js["properties"]
    out = [f"## {name}", ""]
    doc = (cls.__doc__ or "").strip()
    if doc and cls.__module__ == schema.__name__:
        out += [" ".join(doc.split()), ""]
    if used_by.get(name):
        out += ["Used in: " + ", ".join(sorted(set(used_by[name]))) + ".", ""]
    out += ["| field | type | meaning | default | allowed |", "|---|---|---|---|---|"]
    for field in _field_order(cls):
        p = props[field]
        out.append(
            f"| `{field}` | {_cell(_type(p))} | {_cell(p.get('description', ''))} "
            f"| {_cell(_default(cls, field))} | {_cell(_range(p)) or _unconstrained(p)} |"
        )
    out.append("")
    return out


def render() -> str:
    """The whole reference as Markdown text (deterministic)."""
    root = Rulebook.model_json_schema()
    defs = root.get("$defs", {})
    models = models_in_order(Rulebook)
    used_by: dict[str, list[str]] = {}
    for cls in models:
        for field in cls.model_fields:
            for sub in _models_in(cls.model_fields[field].annotation):
                used_by.setdefault(sub.__name__, []).append(f"`{field}` in [{cls.__name__}](#{_anchor(cls.__name__)})")
    lines = [
        "# Rulebook reference",
        "",
        "<!-- Generated by `python -m scslab.rulebook.reference` from scslab/rulebook/schema.py."
        " Do not edit by hand: change the schema's descriptions and regenerate. -->",
        "",
        "Every field of a rulebook file, model by model, starting from the top-level mapping.",
        "A how-to with examples is in [rulebooks.md](rulebooks.md).",
        "",
        "Conventions (from the schema):",
        "",
    ]
    doc = (schema.__doc__ or "").split("Conventions", 1)[-1].strip().replace("``", "`")
    # the docstring's closing paragraph is not a list item: give it its own paragraph
    lines += [doc.replace("\nCross-references", "\n\nCross-references"), ""]
    lines += [
        "In the tables: an *id* is 1..64 lower-case letters, digits, `_` or `-`, starting with a"
        " letter; intervals `[a, b]` include both ends, `(a, b]` excludes `a`; *required (may be"
        " null)* means the key must be written, `null` allowed.",
        "",
    ]
    lines += ["Contents: " + ", ".join(f"[{c.__name__}](#{_anchor(c.__name__)})" for c in models), ""]
    for cls in models:
        js = root if cls is Rulebook else defs[cls.__name__]
        lines += _model_section(cls, js, used_by)
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m scslab.rulebook.reference", description=__doc__.splitlines()[0])
    ap.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help=f"where to write (default {DEFAULT_OUTPUT})")
    ap.add_argument("--check", action="store_true", help="do not write; exit 1 if the file is out of date")
    args = ap.parse_args(argv)
    text = render()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
        if current != text:
            print(f"{args.output} is out of date; run python -m scslab.rulebook.reference", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    from ..store.atomic import atomic_write_text

    args.output.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.output, text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
