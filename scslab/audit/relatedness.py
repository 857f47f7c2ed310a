"""Which sectors count as related to which behaviour domains (AI Act Art. 5(1)(c)(i))."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path as FsPath

from ..rulebook.errors import Problem, RulebookError
from ..rulebook.loader import read_limited
from ..rulebook.schema import DOMAINS, SECTORS
from ..rulebook.yaml_nodes import Located, YamlProblem, parse_yaml

Relatedness = dict[str, frozenset[str]]


def _validate(located: Located, name: str) -> Relatedness:
    data = located.data
    if not isinstance(data, dict):
        raise RulebookError([Problem(name, 1, 1, (), "expected a mapping of domain: [sectors]")])
    problems: list[Problem] = []
    out: Relatedness = {}
    for domain, sectors in data.items():
        if domain not in DOMAINS:
            m = located.mark_for((domain,), key=True)
            problems.append(Problem(name, m.line, m.column, (domain,), f"unknown domain '{domain}'; domains: {', '.join(DOMAINS)}"))
            continue
        if sectors is None:
            sectors = []
        if not isinstance(sectors, list):
            m = located.mark_for((domain,))
            problems.append(Problem(name, m.line, m.column, (domain,), "expected a list of sectors"))
            continue
        good = set()
        for i, s in enumerate(sectors):
            if s not in SECTORS:
                m = located.mark_for((domain, i))
                problems.append(Problem(name, m.line, m.column, (domain, i), f"unknown sector {s!r}; sectors: {', '.join(SECTORS)}"))
            else:
                good.add(s)
        out[domain] = frozenset(good)
    if problems:
        raise RulebookError(problems)
    return out


def parse_relatedness(text: str | bytes, name: str = "<relatedness>") -> Relatedness:
    try:
        located = parse_yaml(text, name)
    except YamlProblem as e:
        raise RulebookError([Problem(name, e.mark.line, e.mark.column, e.path, e.message)]) from None
    return _validate(located, name)


def default_relatedness() -> Relatedness:
    """The shipped map, complete over every domain (a fresh dict each call)."""
    return dict(_shipped())


@lru_cache(maxsize=1)
def _shipped() -> Relatedness:
    text = resources.files(__package__).joinpath("data/relatedness.yaml").read_text(encoding="utf-8")
    rel = parse_relatedness(text, "relatedness.yaml")
    return {d: rel.get(d, frozenset()) for d in DOMAINS}


def load_relatedness(path: str | FsPath | None = None) -> Relatedness:
    """The shipped map, with the domains named in a user file replacing the shipped ones."""
    rel = default_relatedness()
    if path is None:
        return rel
    p = FsPath(path)
    try:
        raw = read_limited(p)  # bounded: a FIFO or /dev/zero must not hang the audit
    except OSError as e:
        raise RulebookError([Problem(str(p), 0, 0, (), f"cannot read relatedness file: {e.strerror or e}")]) from None
    rel.update(parse_relatedness(raw, str(p)))
    return rel
