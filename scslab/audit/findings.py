"""A finding: one place in a rulebook where a rule of the audit is broken."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..rulebook.errors import format_path
from ..rulebook.yaml_nodes import Path

SEVERITIES = ("low", "medium", "high", "critical")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}


@dataclass
class Finding:
    """What a rule found, where, and what to do about it.

    Checks create findings with `Finding.at(path, message, fix)`; the audit fills in the
    rule's code, name and severity, and the file position of `path`.
    """

    message: str  # in the user's terms: "Behaviour 'petitioning' is lawful but costs 50 points."
    path: Path = ()  # field path in the rulebook, e.g. ("behaviours", 3, "points")
    fix: str | None = None  # a suggested change to the rulebook, kept apart from the message
    code: str = ""
    name: str = ""
    severity: str = "low"
    principle: str = ""
    file: str = "<rulebook>"
    line: int = 1
    column: int = 1
    evidence: list[str] = field(default_factory=list)  # measured in a simulation, if one ran
    # With evidence: True when the run showed what the finding names, False when it did not
    # at the simulated size (e.g. nobody was listed), None with no evidence.
    observed: bool | None = None

    @classmethod
    def at(cls, path: Path, message: str, fix: str | None = None) -> Finding:
        """A finding at `path`; the message and the fix are made sentences (capital, full stop)."""
        return cls(message=sentence(message), path=tuple(path), fix=sentence(fix) if fix else fix)

    @property
    def field_path(self) -> str:
        """The finding's place in the rulebook as a dotted path, e.g. ``behaviours[2].points``."""
        return format_path(self.path)

    @property
    def rank(self) -> int:
        """The severity as a number, higher is worse (for sorting and --fail-on)."""
        return SEVERITY_RANK[self.severity]

    def sort_key(self) -> tuple:
        """Findings sort by place in the file (file, line, column), then rule code and message."""
        return (self.file, self.line, self.column, self.code, self.message)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.code} [{self.severity}] {self.message}"

    def to_dict(self) -> dict:
        """The finding as JSON-able data (the path as a list, and as text in ``field_path``)."""
        d = asdict(self)
        d["path"] = list(self.path)
        d["field_path"] = self.field_path
        return d


def sentence(text: str) -> str:
    """Text as a sentence: a capital first letter and a full stop (kept if already there)."""
    text = text.strip()
    if not text:
        return text
    if text[0].islower():
        text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def at_least(findings, severity: str) -> list[Finding]:
    """Findings at or above a severity."""
    r = SEVERITY_RANK[severity]
    return [f for f in findings if f.rank >= r]


def worst(findings) -> str | None:
    """The highest severity among findings, or None."""
    ranks = [f.rank for f in findings]
    return SEVERITIES[max(ranks)] if ranks else None
