"""The rulebook: schema, located loading, consistency checks, compiling to arrays.

Compiling needs numpy; it is imported on first use so that validating a file stays fast.
"""

from .errors import Problem, RulebookError
from .loader import dump_rulebook, load_rulebook, parse_rulebook, rulebook_from_dict
from .schema import Rulebook

_COMPILED = ("DEFAULT_GROUPS", "CompiledRulebook", "compile_rulebook", "rulebook_hash")


def __getattr__(name: str):
    if name in _COMPILED:
        from . import compiled

        return getattr(compiled, name)
    raise AttributeError(f"module 'scslab.rulebook' has no attribute {name!r}")


__all__ = [
    "DEFAULT_GROUPS", "CompiledRulebook", "Problem", "Rulebook", "RulebookError",
    "compile_rulebook", "dump_rulebook", "load_rulebook", "parse_rulebook",
    "rulebook_from_dict", "rulebook_hash",
]
