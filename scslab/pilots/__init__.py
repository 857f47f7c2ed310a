"""Bundled rulebooks: real pilots rebuilt from documented facts, and two references."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..rulebook import Rulebook, RulebookError, load_rulebook, parse_rulebook
from ..rulebook.errors import Problem

# Order of presentation: real systems first, then variants, then the two references.
# guilt-by-association is a constructed variant (of suining), bundled so that C5 is measured on purpose.
PILOTS = ("rongcheng", "suining", "sesame", "court-blacklist", "guilt-by-association", "rule-of-law", "none")
# Pilots fitted to dated public figures by `scslab calibrate` (docs/calibration.md), by name:
# the file under calibrated/. The uncalibrated pilot keeps its name, for comparison.
CALIBRATED = {"court-blacklist-calibrated": "court-blacklist", "sesame-calibrated": "sesame"}


def is_pilot(name: str) -> bool:
    """Whether `name` names a bundled pilot, calibrated ones included."""
    return name in PILOTS or name in CALIBRATED


def all_pilots() -> tuple[str, ...]:
    """Every bundled pilot's name: :data:`PILOTS`, then the calibrated ones (:data:`CALIBRATED`)."""
    return PILOTS + tuple(CALIBRATED)


def pilot_filename(name: str) -> str:
    """A bundled pilot's file, relative to the pilots' folder (``calibrated/...`` for a calibrated one)."""
    if name in CALIBRATED:
        return f"calibrated/{CALIBRATED[name]}.yaml"
    if name not in PILOTS:
        raise KeyError(name)
    return f"{name}.yaml"


def pilot_text(name: str) -> str:
    """The YAML text of a bundled pilot (calibrated ones included)."""
    return resources.files(__package__).joinpath(*pilot_filename(name).split("/")).read_text(encoding="utf-8")


def load_pilot(name: str) -> Rulebook:
    """The bundled pilot `name` (one of :data:`PILOTS`) as a validated :class:`Rulebook`.

    >>> load_pilot("rongcheng").metadata.name
    'rongcheng'

    A calibrated pilot (:data:`CALIBRATED`, e.g. ``court-blacklist-calibrated``) loads the
    same way.
    """
    return parse_rulebook(pilot_text(name), pilot_filename(name))


def resolve_rulebook(name_or_path: str | Path) -> Rulebook:
    """A bundled pilot by name, or a rulebook file by path."""
    s = str(name_or_path)
    if is_pilot(s) and not Path(s).exists():
        return load_pilot(s)
    p = Path(s)
    if not p.exists() and not s.endswith((".yaml", ".yml")):
        import difflib

        guess = difflib.get_close_matches(s, all_pilots(), n=1)
        hint = f"; did you mean '{guess[0]}'?" if guess else f"; bundled pilots: {', '.join(all_pilots())}"
        raise RulebookError([Problem(s, 0, 0, (), f"no such file or bundled pilot{hint}")])
    return load_rulebook(p)


__all__ = ["CALIBRATED", "PILOTS", "all_pilots", "is_pilot", "load_pilot", "pilot_filename", "pilot_text",
           "resolve_rulebook"]
