"""The rule registry: every audit rule, with its code, severity, legal anchor and docs.

Rules are documented the way ruff documents its rules: what it does, why it matters, an
example that triggers it and one that passes. The examples are YAML fragments merged into
a minimal clean rulebook (`examples.BASE`); the tests run every rule on both, so the docs
cannot drift from what the rule does.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..rulebook.schema import Rulebook
from .findings import SEVERITIES, Finding

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

Check = Callable[[Rulebook, "object"], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    code: str  # stable: SCS1xx Fuller's principles, SCS2xx beyond Fuller, SCS3xx the AI Act
    name: str  # kebab-case
    severity: str
    principle: str  # a key of PRINCIPLES
    legal_reference: str
    summary: str  # one line
    what: str  # what it does
    why: str  # why it matters
    bad: str  # YAML fragment that triggers the rule
    good: str  # YAML fragment that passes
    check: Check

    def __post_init__(self) -> None:
        if not re.fullmatch(r"SCS\d{3}", self.code):
            raise ValueError(f"bad rule code {self.code!r}")
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", self.name):
            raise ValueError(f"rule name must be kebab-case: {self.name!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"bad severity {self.severity!r}")
        if self.principle not in PRINCIPLES:
            raise ValueError(f"unknown principle {self.principle!r}")

    @property
    def doc(self) -> str:
        """The rule's documentation in markdown (ruff's layout)."""
        return (
            f"## {self.code} `{self.name}`\n\n"
            f"**Severity:** {self.severity} · **Principle:** {PRINCIPLES[self.principle]} · "
            f"**Legal reference:** {self.legal_reference}\n\n"
            f"{self.summary}\n\n"
            f"### What it does\n{self.what}\n\n"
            f"### Why it matters\n{self.why}\n\n"
            f"### Example that triggers it\n```yaml\n{self.bad.rstrip()}\n```\n\n"
            f"### Example that passes\n```yaml\n{self.good.rstrip()}\n```\n"
        )

    @property
    def help_text(self) -> str:
        """Plain-text help (for SARIF and the terminal)."""
        return f"{self.summary}\n\nWhat it does: {self.what}\n\nWhy it matters: {self.why}"


RULES: dict[str, Rule] = {}


def rule(*, code, name, severity, principle, legal_reference, summary, what, why, bad, good):
    """Decorator registering a check function as a rule."""

    def register(fn: Check) -> Check:
        if code in RULES:
            raise ValueError(f"duplicate rule code {code}")
        if any(r.name == name for r in RULES.values()):
            raise ValueError(f"duplicate rule name {name}")
        RULES[code] = Rule(
            code=code, name=name, severity=severity, principle=principle,
            legal_reference=legal_reference, summary=summary,
            what=_clean(what), why=_clean(why),
            bad=textwrap.dedent(bad).strip("\n") + "\n", good=textwrap.dedent(good).strip("\n") + "\n",
            check=fn,
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
    """Rules chosen by code or prefix (like ruff: 'SCS2' selects SCS200..SCS299) or by name.

    Raises ValueError naming an unknown code.
    """
    rules = all_rules()

    def matches(r: Rule, sel: str) -> bool:
        s = sel.strip()
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
