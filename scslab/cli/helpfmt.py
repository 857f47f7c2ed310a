"""How `--help` names a parameter's value: the usual command-line names, not Python types.

Recent typer versions print a flag as ``--overwrite <bool>``, a repeatable option as
``--off <list[str]>`` and a required argument as ``{rulebook}`` in the usage line. scslab's
help prints ``--overwrite``, ``--off TEXT`` and ``RULEBOOK`` instead (as click does).
:func:`plain_placeholders` is applied once, when the CLI is imported; a typer without these
hooks (older or newer) is left as it is, and tests/test_cli_help.py notices if the
placeholders come back.
"""

from __future__ import annotations

from typing import Any, get_args

_NAMES = {int: "INTEGER", float: "FLOAT", str: "TEXT", bool: "BOOLEAN"}


def value_name(param: Any) -> str | None:
    """The placeholder for a parameter's value, or None for a flag (which takes none)."""
    if param.metavar is not None:
        return param.metavar or None
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return None
    desc = param.type_descriptor
    if desc.is_choice and desc.choices:
        return "[" + "|".join(str(getattr(c, "value", c)) for c in desc.choices) + "]"
    if desc.is_file:
        return "FILE"
    if desc.is_path:
        return "PATH"
    annotation = desc.annotation
    if desc.is_list:
        args = get_args(annotation)
        annotation = args[0] if args else str
    return _NAMES.get(annotation, getattr(annotation, "__name__", "VALUE").upper())


def _display_type(self: Any, ctx: Any) -> str | None:
    return value_name(self)


def _argument_name(self: Any) -> str:
    return self.metavar if self.metavar is not None else (self.name or "").upper()


def _argument_usage(self: Any) -> str:
    name = _argument_name(self)
    if not self.required:
        name = f"[{name}]"
    return name + ("..." if self.nargs != 1 else "")


def plain_placeholders() -> bool:
    """Patch typer's help formatting as described above; False if this typer lacks the hooks."""
    try:
        from typer import core
    except ImportError:  # pragma: no cover
        return False
    param, argument = getattr(core, "_TyperParameter", None), getattr(core, "TyperArgument", None)
    if param is None or argument is None or not all(
        hasattr(argument, a) for a in ("display_type", "display_name_raw", "_usage_display_name")
    ):
        return False
    param.display_type = _display_type
    argument.display_name_raw = property(_argument_name)
    argument._usage_display_name = _argument_usage
    return True
