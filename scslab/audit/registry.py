"""The rule registry: every audit rule, with its code, severity, legal anchor and docs.

Rules are documented the way ruff documents its rules: what it does, why it matters, an
example that triggers it, what to use instead (an example that passes), and references
with links; each rule also says since which scslab version it exists and whether it is
stable or a preview (new, its heuristics may still change; run by default all the same).
The examples are YAML fragments merged into a minimal clean rulebook (`examples.BASE`);
the tests run every rule on both, so the docs cannot drift from what the rule does.
"""

from __future__ import annotations

import os
import re
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..rulebook.schema import Rulebook
from .findings import SEVERITIES, Finding
from .references import Reference, references_in

# Principles in presentation order: Fuller's eight, then those beyond Fuller, then the AI Act.
PRINCIPLES = {
    "generality": "Generality (Fuller 1)",
    "promulgation": "Promulgation (Fuller 2)",
    "non-retroactivity": "Non-retroactivity (Fuller 3)",
    "clarity": "Clarity (Fuller 4)",
    "non-contradiction": "Non-contradiction (Fuller 5)",
    "possibility-of-compliance": "Possibility of compliance (Fuller 6)",
    "constancy": "Constancy (Fuller 7)",
    "congruence": "Congruence (Fuller 8)",
    "legality": "Legality",
    "ne-bis-in-idem": "Ne bis in idem (Charter Art. 50)",
    "presumption-of-innocence": "Presumption of innocence (Charter Art. 48)",
    "due-process": "Due process and appeal (Charter Art. 47)",
    "proportionality": "Proportionality (Charter Art. 49(3))",
    "privacy": "Privacy (Charter Arts. 7-8)",
    "association": "Association",
    "ai-act": "EU AI Act Art. 5(1)(c)",
}

# One module per principle, each registering its rules on import.
PRINCIPLE_MODULES = (
    "generality", "promulgation", "retroactivity", "clarity", "contradiction", "compliance",
    "constancy", "congruence", "legality", "ne_bis_in_idem", "presumption", "due_process",
    "proportionality", "privacy", "association", "ai_act",
)

STATUSES = ("stable", "preview")
# The version a rule first shipped in. 0.1.0 is the first release; rules since 0.2.0 were
# added after it (in the development version) and start as previews.
FIRST_VERSION = "0.1.0"
NEXT_VERSION = "0.2.0"

# Where the rule docs (docs/audit-rules.md) are read, for SARIF's helpUri: $SCSLAB_DOCS_URL
# when set (e.g. the page where a project publishes them), else the file in this source tree.
DOCS_ENV = "SCSLAB_DOCS_URL"
RULES_PAGE = Path(__file__).resolve().parents[2] / "docs" / "audit-rules.md"

Check = Callable[[Rulebook, "object"], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """One audit rule: code, name, severity, principle, legal reference, what it checks and
    why, the fix, a failing and a passing example, and the check itself."""

    code: str  # stable: SCS1xx Fuller's principles, SCS2xx beyond Fuller, SCS3xx the AI Act
    name: str  # kebab-case
    severity: str
    principle: str  # a key of PRINCIPLES
    legal_reference: str  # short citation; `references` links every source it names
    summary: str  # one sentence
    what: str  # what it does
    why: str  # why it matters
    use_instead: str  # the fix, in words (the `good` example shows it)
    bad: str  # YAML fragment that triggers the rule
    good: str  # YAML fragment that passes
    check: Check
    since: str = FIRST_VERSION
    status: str = "stable"
    extra_references: tuple[Reference, ...] = ()

    def __post_init__(self) -> None:
        if not re.fullmatch(r"SCS\d{3}", self.code):
            raise ValueError(f"bad rule code {self.code!r}")
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", self.name):
            raise ValueError(f"rule name must be kebab-case: {self.name!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"bad severity {self.severity!r}")
        if self.principle not in PRINCIPLES:
            raise ValueError(f"unknown principle {self.principle!r}")
        if self.status not in STATUSES:
            raise ValueError(f"bad status {self.status!r}")
        if not re.fullmatch(r"\d+\.\d+\.\d+", self.since):
            raise ValueError(f"bad since version {self.since!r}")

    @property
    def anchor(self) -> str:
        """The rule's heading anchor in docs/audit-rules.md."""
        return f"{self.code.lower()}-{self.name}"

    @property
    def references(self) -> tuple[Reference, ...]:
        """Every source the rule rests on, with a link where one is known."""
        out = list(references_in(self.legal_reference))
        out += [r for r in self.extra_references if r not in out]
        return tuple(out)

    @property
    def help_uri(self) -> str | None:
        """The rule's docs page (SARIF helpUri), or None when no docs can be located."""
        base = os.environ.get(DOCS_ENV, "").strip()
        if base:
            return f"{base.split('#')[0]}#{self.anchor}"
        if RULES_PAGE.is_file():
            return f"{RULES_PAGE.as_uri()}#{self.anchor}"
        return None

    @property
    def doc(self) -> str:
        """The rule's documentation in markdown (ruff's layout)."""
        refs = "\n".join(f"- {r.markdown}" for r in self.references)
        return (
            f"## {self.code} `{self.name}`\n\n"
            f"**Severity:** {self.severity} · **Principle:** {PRINCIPLES[self.principle]} · "
            f"**Status:** {self.status} · **Since:** {self.since}\n\n"
            f"{self.summary}\n\n"
            f"### What it does\n{self.what}\n\n"
            f"### Why it matters\n{self.why}\n\n"
            f"### Example\n```yaml\n{self.bad.rstrip()}\n```\n\n"
            f"### Use instead\n{self.use_instead}\n\n```yaml\n{self.good.rstrip()}\n```\n\n"
            f"### References\n**Legal reference:** {self.legal_reference}\n\n{refs}\n"
        )

    @property
    def help_text(self) -> str:
        """Plain-text help (for SARIF and the terminal)."""
        refs = "; ".join(r.text for r in self.references)
        return (f"{self.summary}\n\nWhat it does: {self.what}\n\nWhy it matters: {self.why}\n\n"
                f"Use instead: {self.use_instead}\n\nReferences: {refs}")


RULES: dict[str, Rule] = {}


def rule(*, code, name, severity, principle, legal_reference, summary, what, why, use_instead, bad, good,
         since=FIRST_VERSION, status="stable", references=()):
    """Decorator registering a check function as a rule.

    `references` adds (title, url) pairs to the sources found in `legal_reference`.
    """

    def register(fn: Check) -> Check:
        if code in RULES:
            raise ValueError(f"duplicate rule code {code}")
        if any(r.name == name for r in RULES.values()):
            raise ValueError(f"duplicate rule name {name}")
        RULES[code] = Rule(
            code=code, name=name, severity=severity, principle=principle,
            legal_reference=legal_reference, summary=summary,
            what=_clean(what), why=_clean(why), use_instead=_clean(use_instead),
            bad=textwrap.dedent(bad).strip("\n") + "\n", good=textwrap.dedent(good).strip("\n") + "\n",
            check=fn, since=since, status=status,
            extra_references=tuple(Reference(t, u) for t, u in references),
        )
        return fn

    return register


def _clean(text: str) -> str:
    return " ".join(textwrap.dedent(text).split())


def all_rules() -> list[Rule]:
    """Every rule, in code order (importing the principle modules registers them)."""
    import importlib

    for mod in PRINCIPLE_MODULES:  # importing a module registers its rules
        importlib.import_module(f"{__package__}.{mod}")
    return [RULES[c] for c in sorted(RULES)]


def select_rules(select: Iterable[str] | None = None, ignore: Iterable[str] | None = None) -> list[Rule]:
    """Rules chosen by code or prefix (like ruff: 'SCS2' selects SCS200..SCS299, 'ALL' every
    rule), by kebab-case name or by principle.

    Raises ValueError naming an unknown code.
    """
    rules = all_rules()

    def matches(r: Rule, sel: str) -> bool:
        s = sel.strip()
        if s.upper() == "ALL":  # as in ruff: every rule
            return True
        return r.code.startswith(s.upper()) or r.name == s.lower() or r.principle == s.lower()

    def check_known(items):
        for s in items:
            if not any(matches(r, s) for r in rules):
                raise ValueError(f"unknown rule code, name or principle: {s!r}")

    sel = [s for s in (select or []) if s.strip()]
    ign = [s for s in (ignore or []) if s.strip()]
    check_known(sel)
    check_known(ign)
    chosen = [r for r in rules if not sel or any(matches(r, s) for s in sel)]
    return [r for r in chosen if not any(matches(r, s) for s in ign)]
