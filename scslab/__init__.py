"""scslab: a laboratory for social credit systems.

Simulate a rulebook on a synthetic society, measure what critics claim it does, and audit
it against rule-of-law principles and the EU AI Act's ban on social scoring. Populations
are always synthetic: scslab never ingests real personal data and never scores a real person.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time the names load lazily (below)
    from .audit import audit as audit_rulebook
    from .audit import audit_file
    from .engine import (
        EngineParams,
        Levers,
        RunConfig,
        RunResult,
        Simulation,
        resume,
        run_nation,
        simulate,
    )
    from .experiments import CompareConfig, compare
    from .metrics import CLAIMS, run_metrics
    from .pilots import PILOTS, load_pilot, resolve_rulebook
    from .rulebook import Rulebook, RulebookError, compile_rulebook, load_rulebook, parse_rulebook

_LAZY = {
    "Rulebook": "scslab.rulebook",
    "RulebookError": "scslab.rulebook",
    "load_rulebook": "scslab.rulebook",
    "parse_rulebook": "scslab.rulebook",
    "compile_rulebook": "scslab.rulebook",
    "load_pilot": "scslab.pilots",
    "resolve_rulebook": "scslab.pilots",
    "PILOTS": "scslab.pilots",
    # the engine
    "simulate": "scslab.engine",
    "Simulation": "scslab.engine",
    "RunConfig": "scslab.engine",
    "run_nation": "scslab.engine",
    "resume": "scslab.engine",
    "RunResult": "scslab.engine",
    "EngineParams": "scslab.engine",
    "Levers": "scslab.engine",
    # measuring and auditing
    "run_metrics": "scslab.metrics",
    "CLAIMS": "scslab.metrics",
    "compare": "scslab.experiments",
    "CompareConfig": "scslab.experiments",
    "audit_file": "scslab.audit",  # `scslab.audit` is the subpackage: scslab.audit.audit(rulebook)
    "audit_rulebook": "scslab.audit",
}


def __getattr__(name: str):
    # Lazy: `import scslab` stays cheap so the CLI starts fast.
    import importlib

    if name in _LAZY:
        target = "audit" if name == "audit_rulebook" else name
        return getattr(importlib.import_module(_LAZY[name]), target)
    raise AttributeError(f"module 'scslab' has no attribute {name!r}")


# Written out (not sorted(_LAZY)) so that linters and doc tools can read it; a test keeps them equal.
__all__ = [
    "CLAIMS", "CompareConfig", "EngineParams", "Levers", "PILOTS", "Rulebook", "RulebookError",
    "RunConfig", "RunResult", "Simulation", "audit_file", "audit_rulebook", "compare", "compile_rulebook", "load_pilot",
    "load_rulebook", "parse_rulebook", "resolve_rulebook", "resume", "run_metrics",
    "run_nation", "simulate",
]
