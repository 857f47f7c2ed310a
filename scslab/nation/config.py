"""A nation config: municipalities with their population shares and pilots, the national
layer, and how ties cross municipal borders (YAML, validated with located errors).

    nation: pilots-43
    title: 43 municipal pilots beside the national court blacklist
    national: court-blacklist          # a bundled pilot or a rulebook file; null for none
    ties:
      cross_municipality_share: 0.05   # share of ties between citizens of two municipalities
    society:                           # optional: anything of the society spec but its size
      groups: {urban: 0.55, rural: 0.35, migrant: 0.10}
    municipalities:
      - {name: city-01, pilot: rongcheng, share: 0.08}
      - {name: city-02, pilot: suining, share: 0.05}
      ...

Shares are population shares; they must add up to 1 (within 1%, so rounded figures are
accepted) and are rescaled to add up to 1 exactly. A pilot or national rulebook given as a
path is read relative to the config file. Problems are reported as
``file:line:col: field: message`` (:class:`scslab.rulebook.RulebookError`), like a rulebook's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..rulebook.errors import Problem, RulebookError, translate
from ..rulebook.schema import Identifier
from ..rulebook.yaml_nodes import Located, YamlProblem, parse_yaml
from ..society.spec import SocietySpec

MAX_MUNICIPALITIES = 1000
SHARE_TOLERANCE = 0.01  # shares may add up to 1 +- 1% (rounded figures); rescaled exactly
# Society fields a nation sets itself (from its municipalities and ties, and -n).
_SET_BY_NATION = ("n", "municipalities", "municipality_shares")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Municipality(_Strict):
    """One municipality: its name, the rulebook it runs and its share of the population."""

    name: Identifier = Field(description="the municipality's name (unique in the nation)")
    pilot: str = Field(min_length=1, max_length=500,
                       description="a bundled pilot (scslab pilots) or a rulebook file, relative to the config")
    share: float = Field(gt=0.0, le=1.0, description="share of the nation's population; allowed (0, 1]")
    note: str = Field("", max_length=2000, description="free text")


class Ties(_Strict):
    """How ties cross municipal borders."""

    cross_municipality_share: float = Field(
        0.05, ge=0.0, le=0.5,
        description="share of ties between citizens of different municipalities; allowed 0..0.5")


class NationConfig(_Strict):
    """A nation: municipalities running their own pilots beside a national layer."""

    nation: Identifier = Field(description="the nation's name")
    title: str = Field("", max_length=300, description="one line for reports")
    description: str = Field("", max_length=5000, description="free text")
    national: str | None = Field(
        "court-blacklist", max_length=500,
        description="the rulebook whose national lists (and their national measures) apply in every "
                    "municipality: a bundled pilot or a file; null for none")
    ties: Ties = Field(default_factory=Ties, description="how ties cross municipal borders")
    society: dict = Field(default_factory=dict,
                          description="the society spec (docs/society.md) without n, municipalities and "
                                      "municipality_shares, which the nation sets")
    municipalities: Annotated[list[Municipality], Field(min_length=2, max_length=MAX_MUNICIPALITIES)] = Field(
        description=f"the municipalities, 2..{MAX_MUNICIPALITIES}")

    # --- what a run needs -------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return [m.name for m in self.municipalities]

    @property
    def shares(self) -> list[float]:
        total = sum(m.share for m in self.municipalities)
        return [m.share / total for m in self.municipalities]

    def society_spec(self, population: int) -> SocietySpec:
        """The society of `population` citizens over this nation's municipalities."""
        data = dict(self.society)
        net = dict(data.get("network") or {})
        net["cross_municipality_share"] = self.ties.cross_municipality_share
        data["network"] = net
        return SocietySpec.model_validate({**data, "n": int(population), "municipalities": self.names,
                                           "municipality_shares": self.shares})


class Nation:
    """A validated config with its rulebooks loaded (one per distinct pilot)."""

    def __init__(self, config: NationConfig, rulebooks: dict, national, where: str = "<nation>",
                 text: str | None = None):
        self.config = config
        self._rulebooks = rulebooks  # pilot (as written) -> Rulebook
        self.national = national
        self.where = where
        self.text = text

    @property
    def name(self) -> str:
        return self.config.nation

    def rulebooks(self) -> list:
        """The rulebook of each municipality, in order (the same object for the same pilot)."""
        return [self._rulebooks[m.pilot] for m in self.config.municipalities]

    def pilots(self) -> list[str]:
        """Each municipality's rulebook name."""
        return [self._rulebooks[m.pilot].metadata.name for m in self.config.municipalities]


def _problem(name: str, located: Located, path: tuple, message: str, key: bool = False) -> Problem:
    m = located.mark_for(path, key=key)
    return Problem(name, m.line, m.column, path, message)


def validate_nation(located: Located, name: str = "<nation>", base: Path | None = None) -> Nation:
    """A Nation from parsed YAML, or RulebookError listing every located problem."""
    data = located.data
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "nothing"
        raise RulebookError([Problem(name, 1, 1, (), f"expected a nation mapping at the top, got {kind}")])
    try:
        cfg = NationConfig.model_validate(data)
    except ValidationError as e:
        raise RulebookError([translate(err, located, name, NationConfig) for err in e.errors(include_url=False)]) from None
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for i, m in enumerate(cfg.municipalities):
        if m.name in seen:
            problems.append(_problem(name, located, ("municipalities", i, "name"),
                                     f"municipality '{m.name}' is named twice (first at municipalities[{seen[m.name]}])"))
        seen.setdefault(m.name, i)
    total = sum(m.share for m in cfg.municipalities)
    if abs(total - 1.0) > SHARE_TOLERANCE:
        problems.append(_problem(name, located, ("municipalities",),
                                 f"the shares add up to {total:.4g}; they are population shares and must add up "
                                 f"to 1 (within {SHARE_TOLERANCE:.0%})", key=True))
    for k in _SET_BY_NATION:
        if k in cfg.society:
            problems.append(_problem(name, located, ("society", k),
                                     f"'{k}' is set by the nation (its municipalities and -n), not here", key=True))
    if "cross_municipality_share" in (cfg.society.get("network") or {}):
        problems.append(_problem(name, located, ("society", "network", "cross_municipality_share"),
                                 "set it in ties.cross_municipality_share", key=True))
    if not problems:
        try:
            cfg.society_spec(max(len(cfg.municipalities), 10_000))
        except ValidationError as e:
            for err in e.errors(include_url=False):
                loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
                if loc[:2] == ("network", "cross_municipality_share"):
                    path = ("ties", "cross_municipality_share")
                else:
                    path = ("society", *loc)
                msg = err["msg"].removeprefix("Value error, ")
                problems.append(_problem(name, located, path, msg[:1].lower() + msg[1:]))
    rulebooks, national = {}, None
    base = base or Path(".")
    for i, m in enumerate(cfg.municipalities):
        if m.pilot in rulebooks:
            continue
        try:
            rulebooks[m.pilot] = _resolve(m.pilot, base)
        except RulebookError as e:
            rulebooks[m.pilot] = None
            problems.append(_problem(name, located, ("municipalities", i, "pilot"), _first(e)))
    if cfg.national is not None:
        try:
            national = _resolve(cfg.national, base)
        except RulebookError as e:
            problems.append(_problem(name, located, ("national",), _first(e)))
        if national is not None and not any(x.scope == "national" for x in national.lists):
            problems.append(_problem(name, located, ("national",),
                                     f"'{cfg.national}' has no national list to apply nationwide "
                                     "(a list with scope: national)"))
            national = None
    if national is not None:
        from ..engine.nation import NationError, merge_national
        from ..rulebook.checks import check_rulebook

        checked = set()
        for i, m in enumerate(cfg.municipalities):
            rb = rulebooks.get(m.pilot)
            if rb is None or m.pilot in checked or any(p.path[:2] == ("municipalities", i) for p in problems):
                continue
            checked.add(m.pilot)
            try:
                issues = check_rulebook(merge_national(rb, national))
            except NationError as e:
                issues = [((), str(e))]
            for _, msg in issues[:1]:
                problems.append(_problem(name, located, ("municipalities", i, "pilot"),
                                         f"'{m.pilot}' with the national layer '{cfg.national}': {msg}"))
            if issues:
                rulebooks[m.pilot] = None  # reported once
    if problems:
        raise RulebookError(problems)
    return Nation(cfg, rulebooks, national, name)


def _first(e: RulebookError) -> str:
    p = e.problems[0] if e.problems else None
    if p is None:
        return str(e)
    more = f" (and {len(e.problems) - 1} more)" if len(e.problems) > 1 else ""
    return (f"{p.file}:{p.line}:{p.column}: {p.message}" if p.line > 0 else p.message) + more


def _resolve(name_or_path: str, base: Path):
    from ..pilots import is_pilot, resolve_rulebook

    if is_pilot(name_or_path):
        return resolve_rulebook(name_or_path)
    p = Path(name_or_path)
    if not p.is_absolute():
        p = base / p
    return resolve_rulebook(p if p.exists() or name_or_path.endswith((".yaml", ".yml")) else name_or_path)


def parse_nation(text: str | bytes, name: str = "<nation>", base: Path | None = None) -> Nation:
    try:
        located = parse_yaml(text, name)
    except YamlProblem as e:
        raise RulebookError([Problem(name, e.mark.line, e.mark.column, e.path, e.message)]) from None
    nation = validate_nation(located, name, base)
    nation.text = text.decode("utf-8-sig") if isinstance(text, bytes) else text
    return nation


NATIONS = ("pilots-43",)


def nation_text(name: str) -> str:
    from importlib import resources

    if name not in NATIONS:
        raise KeyError(name)
    return resources.files(__package__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def load_nation(name_or_path: str | Path) -> Nation:
    """A bundled nation by name, or a nation config file."""
    from ..rulebook.loader import read_limited

    s = str(name_or_path)
    if s in NATIONS and not Path(s).exists():
        return parse_nation(nation_text(s), f"{s}.yaml")
    p = Path(s)
    try:
        raw = read_limited(p)
    except FileNotFoundError:
        hint = f"; bundled nations: {', '.join(NATIONS)}"
        raise RulebookError([Problem(s, 0, 0, (), f"no such file or bundled nation{hint}")]) from None
    except IsADirectoryError:
        raise RulebookError([Problem(s, 0, 0, (), "is a directory, not a nation config")]) from None
    except OSError as e:
        raise RulebookError([Problem(s, 0, 0, (), f"cannot read: {e.strerror}")]) from None
    return parse_nation(raw, s, p.parent)


__all__ = ["NATIONS", "Municipality", "Nation", "NationConfig", "Ties", "load_nation", "nation_text",
           "parse_nation", "validate_nation"]
