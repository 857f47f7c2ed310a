"""Running the audit: rules over a rulebook, findings located in its file."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path as FsPath

from ..rulebook.errors import Problem, RulebookError
from ..rulebook.loader import read_limited, validate_rulebook
from ..rulebook.schema import Rulebook
from ..rulebook.yaml_nodes import Located, YamlProblem, parse_yaml
from .context import AuditContext, IncomeReference
from .findings import Finding
from .registry import Rule, select_rules
from .relatedness import Relatedness


@dataclass
class AuditReport:
    """An audit's outcome: the rulebook, the rules that ran, their findings and the verdict."""

    rulebook: Rulebook
    file: str
    rules: list[Rule]  # the rules that ran
    findings: list[Finding] = field(default_factory=list)
    # Where `file` comes from: "file" (a path), "pilot" (a bundled pilot, named `<pilot>.yaml`),
    # "text" (YAML text given a name) or "memory" (a Rulebook object, no file at all).
    origin: str = "memory"

    @property
    def verdict(self):
        """The AI Act Art. 5(1)(c) verdict read from the findings (scslab.audit.verdict)."""
        from .verdict import verdict

        return verdict(self)


def audit(
    rulebook: Rulebook,
    *,
    located: Located | None = None,
    file: str = "<rulebook>",
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    relatedness: Relatedness | None = None,
    origin: str = "memory",
    society=None,
) -> AuditReport:
    """Run the selected rules; findings carry file:line:col when `located` is given.

    `society` (a SocietySpec) is the population whose incomes costs are read against
    (SCS155, SCS237); by default the society `scslab run` and `--simulate` use.
    """
    rules = select_rules(select, ignore)
    ctx = AuditContext(rulebook, relatedness, IncomeReference.from_spec(society) if society is not None else None)
    findings: list[Finding] = []
    for r in rules:
        for f in r.check(rulebook, ctx):
            mark = located.mark_for(f.path) if located is not None else None
            findings.append(
                dataclasses.replace(
                    f, code=r.code, name=r.name, severity=r.severity, principle=r.principle,
                    file=file, line=mark.line if mark else 1, column=mark.column if mark else 1,
                )
            )
    findings.sort(key=Finding.sort_key)
    return AuditReport(rulebook, file, rules, findings, origin)


def read_located(path_or_pilot: str | FsPath) -> tuple[Located, Rulebook, str]:
    """Parse a rulebook file (or bundled pilot) once, keeping positions for findings."""
    from ..pilots import all_pilots, is_pilot, pilot_filename, pilot_text

    s = str(path_or_pilot)
    p = FsPath(s)
    if is_pilot(s) and not p.exists():
        name, raw = pilot_filename(s), pilot_text(s)
    else:
        if not p.exists() and not s.endswith((".yaml", ".yml")):
            import difflib

            guess = difflib.get_close_matches(s, all_pilots(), n=1)
            hint = f"; did you mean '{guess[0]}'?" if guess else f"; bundled pilots: {', '.join(all_pilots())}"
            raise RulebookError([Problem(s, 0, 0, (), f"no such file or bundled pilot{hint}")])
        name = s
        try:
            raw = read_limited(p)  # bounded: never reads /dev/zero or a huge file whole
        except FileNotFoundError:
            raise RulebookError([Problem(s, 0, 0, (), "no such file")]) from None
        except IsADirectoryError:
            raise RulebookError([Problem(s, 0, 0, (), "is a directory, not a rulebook file")]) from None
        except OSError as e:
            raise RulebookError([Problem(s, 0, 0, (), f"cannot read: {e.strerror}")]) from None
    try:
        located = parse_yaml(raw, name)
    except YamlProblem as e:
        raise RulebookError([Problem(name, e.mark.line, e.mark.column, e.path, e.message)]) from None
    return located, validate_rulebook(located, name), name


def audit_text(text: str | bytes, name: str = "<string>", **kwargs) -> AuditReport:
    """Audit YAML text (raises RulebookError, located, if it is not a valid rulebook)."""
    try:
        located = parse_yaml(text, name)
    except YamlProblem as e:
        raise RulebookError([Problem(name, e.mark.line, e.mark.column, e.path, e.message)]) from None
    kwargs.setdefault("origin", "text")
    return audit(validate_rulebook(located, name), located=located, file=name, **kwargs)


def audit_file(path_or_pilot: str | FsPath, **kwargs) -> AuditReport:
    """Audit a rulebook file or a bundled pilot by name; see `audit` for the options."""
    from ..pilots import is_pilot

    located, rb, name = read_located(path_or_pilot)
    s = str(path_or_pilot)
    origin = "pilot" if is_pilot(s) and not FsPath(s).exists() else "file"
    return audit(rb, located=located, file=name, origin=origin, **kwargs)
