"""The rulebook: schema, located loading, consistency checks, compiling to arrays."""

from .compiled import DEFAULT_GROUPS, CompiledRulebook, compile_rulebook, rulebook_hash
from .errors import Problem, RulebookError
from .loader import dump_rulebook, load_rulebook, parse_rulebook, rulebook_from_dict
from .schema import Rulebook

__all__ = [
    "DEFAULT_GROUPS", "CompiledRulebook", "Problem", "Rulebook", "RulebookError",
    "compile_rulebook", "dump_rulebook", "load_rulebook", "parse_rulebook",
    "rulebook_from_dict", "rulebook_hash",
]
