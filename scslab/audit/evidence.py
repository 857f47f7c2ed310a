"""Simulation evidence for findings: what a run measured about the problem a rule names.

An evidence function takes the finding, the audited rulebook and a run result and returns
sentences such as "each offence restricted 4.3 sectors on average". The run result is
what `scslab.engine.simulate(rulebook, population=..., steps=..., seed=...)` returns:
`.citizens` (pandas DataFrame, one row per citizen), `.steps` (per-step aggregates) and
`.manifest`, and the event ledger `.events` when the run kept one. A function may return
`Evidence` strings (`Measured.say`) that say whether the run showed what the finding
names; `attach_evidence` sets each finding's `observed` from them. Wiring: decorate a
function with `@evidence("SCS211")` (or set `EVIDENCE["SCS211"] = fn`); `attach_evidence`
does the rest. The functions for the bundled rules live in `evidence_rules.py` (figures
from `measured.py`) and register on import, at the end of this module;
`scslab.audit.simulation` runs the simulation and attaches them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..rulebook.schema import Rulebook
from .findings import Finding

EvidenceFn = Callable[[Finding, Rulebook, object], list[str]]

# Rule code -> evidence function (filled by evidence_rules on import, see the end of this module).
EVIDENCE: dict[str, EvidenceFn] = {}


def evidence(code: str):
    """Decorator registering an evidence function for a rule code:

        @evidence("SCS211")
        def sectors_per_offence(finding, rulebook, result):
            return [f"each offence restricted {...:.1f} sectors on average"]
    """

    def register(fn: EvidenceFn) -> EvidenceFn:
        EVIDENCE[code] = fn
        return fn

    return register


def engine_available() -> bool:
    try:
        from ..engine import simulate  # noqa: F401
    except ImportError:
        return False
    return True


def available() -> tuple[bool, str]:
    """Whether `--simulate` can attach evidence, and why not if it cannot."""
    if not engine_available():
        return False, "simulation evidence is not available yet: the engine (scslab.engine.simulate) is not installed"
    if not EVIDENCE:
        return False, "simulation evidence is not available yet: no rule has an evidence function (scslab.audit.evidence.EVIDENCE)"
    return True, ""


def attach_evidence(findings: Iterable[Finding], run_result, rulebook: Rulebook,
                    functions: dict[str, EvidenceFn] | None = None) -> list[Finding]:
    """Add each finding's measured evidence (in place) from one run; returns the findings.

    A function that fails leaves its finding without evidence and says so: evidence is an
    addition to a static finding, never a reason to lose it.
    """
    functions = EVIDENCE if functions is None else functions
    out = list(findings)
    for f in out:
        fn = functions.get(f.code)
        if fn is None:
            continue
        try:
            got = list(fn(f, rulebook, run_result))
        except (LookupError, AttributeError, ValueError, TypeError, ArithmeticError) as e:
            f.evidence.append(f"evidence unavailable: {type(e).__name__}: {e}")
            continue
        f.evidence.extend(str(s) for s in got)
        if got:  # a plain string (a user's function) counts as observed
            seen = any(getattr(s, "observed", True) for s in got)
            f.observed = seen if f.observed is None else (f.observed or seen)
    return out


def evidence_counts(findings) -> dict[str, int]:
    """How many findings the run showed, did not show at its size, or has no evidence for."""
    fs = list(findings)
    return {
        "findings": len(fs),
        "observed": sum(f.observed is True for f in fs),
        "not_observed": sum(f.observed is False for f in fs),
        "no_evidence": sum(f.observed is None for f in fs),
    }


from . import evidence_rules  # noqa: E402,F401  (registers the bundled rules' functions)
