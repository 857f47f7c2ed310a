"""Parameter settings from the command line (`--set PATH=VALUE`) and from a params file.

A params file is YAML mapping parameter paths (`scslab.rulebook.paths`) to values:

    engine.w_virtue: 2.0
    engine.levers.norms: false
    network.association_penalty: 0.5

It is read with the safe loader and checked like a rulebook: a bad path or value is
reported with the file, line and column. `split_engine` separates engine weights (which
apply to any rulebook) from rulebook numbers (which need the rulebook that holds them).
"""

from __future__ import annotations

from pathlib import Path

from .errors import Problem, RulebookError
from .paths import ENGINE, ParamPathError, parse_assignment, set_values, split


def parse_sets(items) -> dict:
    """`--set PATH=VALUE` options as {path: value} (one value each; the last one wins)."""
    out = {}
    for text in items or ():
        try:
            path, rng, vals = parse_assignment(text)
        except ParamPathError as e:
            raise RulebookError([Problem("--set", 0, 0, (), str(e))]) from None
        if rng is not None or vals is None or len(vals) != 1:
            raise RulebookError([Problem("--set", 0, 0, (), f"{path}: --set takes one value (PATH=VALUE); "
                                                           "ranges and lists belong to `scslab sweep --param`")])
        out[path] = vals[0]
    return out


def load_params_file(path: str | Path) -> dict:
    """{path: value} from a YAML params file, with located problems (RulebookError)."""
    from .loader import read_limited
    from .yaml_nodes import YamlProblem, parse_yaml

    p = Path(path)
    name = str(p)
    try:
        raw = read_limited(p)
    except FileNotFoundError:
        raise RulebookError([Problem(name, 0, 0, (), "no such file")]) from None
    except IsADirectoryError:
        raise RulebookError([Problem(name, 0, 0, (), "is a directory, not a params file")]) from None
    except OSError as e:
        raise RulebookError([Problem(name, 0, 0, (), f"cannot read: {e.strerror}")]) from None
    try:
        located = parse_yaml(raw, name)
    except YamlProblem as e:
        raise RulebookError([Problem(name, e.mark.line, e.mark.column, e.path, e.message)]) from None
    data = located.data
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise RulebookError([Problem(name, 1, 1, (), "expected a mapping of parameter paths to values")])
    problems, out = [], {}
    for key, value in data.items():
        m = located.mark_for((key,), key=True)
        try:
            parts = split(str(key))
            if not (isinstance(value, bool) or isinstance(value, int | float)):
                raise ParamPathError(str(key), f"needs a number or true/false, got {type(value).__name__}")
            if parts[0] == ENGINE:  # engine weights can be checked now; rulebook numbers when applied
                from ..engine.params import EngineParams

                set_values(None, EngineParams(), {str(key): value})
            out[str(key)] = value
        except ParamPathError as e:
            problems.append(Problem(name, m.line, m.column, (str(key),), e.detail))
    if problems:
        raise RulebookError(problems)
    return out


def split_engine(values: dict) -> tuple[dict, dict]:
    """(engine paths, rulebook paths) of a settings mapping."""
    eng = {k: v for k, v in values.items() if k.split(".", 1)[0] == ENGINE}
    return eng, {k: v for k, v in values.items() if k not in eng}


def engine_overrides(values: dict, source: str = "--set", base: dict | None = None) -> dict | None:
    """The engine settings as a validated EngineParams dump (for CompareConfig.params and the
    like), or None when there are none. Rulebook paths are refused here (name them in the
    rulebook, or sweep them)."""
    from ..engine.params import EngineParams

    eng, rest = split_engine(values)
    if rest:
        raise RulebookError([Problem(source, 0, 0, (), f"{next(iter(rest))}: only engine.* paths apply to every "
                                                      "pilot here; change rulebook numbers in the rulebook file")])
    if not eng:
        return base
    try:
        _, p = set_values(None, EngineParams.model_validate(base) if base else EngineParams(), eng)
    except ParamPathError as e:
        raise RulebookError([Problem(source, 0, 0, (), str(e))]) from None
    return p.model_dump(mode="json")


__all__ = ["engine_overrides", "load_params_file", "parse_sets", "split_engine"]
