"""Targets files: dated public figures a pilot is calibrated to, each with its source.

A targets file is YAML (read with the safe loader; every problem located as
file:line:col: field: message):

    name: court-list
    pilot: court-blacklist
    population: {value: 1.1e+9, what: adults, source: nbs, note: ...}
    references: [{id: shine-2019, citation: "...", url: ...}]
    fit:                                  # what to fit when the command line names nothing
      - {path: behaviours.judgment_default.base_rate, low: 1.0e-5, high: 1.0e-3}
    holdout: [listed-2013-11]             # held out when the command line names none
    stages:                               # optional: fit in stages, then all together
      - {params: [behaviours.judgment_default.base_rate], measures: [entries_black]}
      # a stage may start with a global screen of its box (a Sobol design):
      #   screen: {params: [...], points: 48, seeds: 1, shape: true, trials: 0}
    targets:
      - name: listed-2019-07
        measure: entries_black            # a column of the steps table (docs/tables.md)
        kind: cumulative                  # cumulative | stock | flow (flow needs `from`)
        date: 2019-07-09
        value: 14.5e+6
        relative_error: 0.05              # how exact the reported figure is
        source: shine-2019

A figure is compared per capita: `value / population.value` against the run's column over
its population. `kind: share` targets give a share already (of the population), and
`measure: grades` counts the citizens in `grades` on the date.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..rulebook.errors import Problem, RulebookError, translate
from ..rulebook.schema import Identifier, Reference

KINDS = ("cumulative", "stock", "flow")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Population(_Strict):
    value: Annotated[float, Field(gt=0.0, le=1e11)] = Field(description="people the figures are counted among")
    what: str = Field("people", min_length=1, description="who they are, e.g. adults")
    source: str | None = None
    note: str | None = None


class FitParam(_Strict):
    path: str = Field(min_length=1, max_length=300, description="a parameter path (docs/sweeps.md)")
    low: float
    high: float
    log: bool | None = Field(None, description="search on a log scale; default: when low > 0 and high >= 10 low")
    start: float | None = Field(None, description="where the search starts (a prior from the figures, said in "
                                                  "`note`); default: the rulebook's own value")
    note: str | None = None


class Screen(_Strict):
    """A global first look at a stage: a quasi-random (scrambled Sobol) design over the box of
    `params`, each point run on `seeds` seeds and scored on the stage's figures; the local
    search (`trials` CMA-ES points, then Gauss-Newton) starts from the best."""
    params: list[str] | None = Field(None, min_length=1, description="the stage's parameters screened "
                                                                     "(default: all of them); the others stay at "
                                                                     "their start")
    points: Annotated[int, Field(ge=4, le=1024)] = Field(32, description="points of the design")
    seeds: Annotated[int, Field(ge=1, le=16)] = Field(1, description="seeds per point of the design")
    shape: bool = Field(False, description="score each point with each measure's common log-offset removed "
                                           "(its level), for a stage whose level is set by a parameter not "
                                           "screened; Gauss-Newton then fits the level")
    trials: Annotated[int, Field(ge=0, le=10_000)] = Field(0, description="CMA-ES points after the screen, "
                                                                          "before Gauss-Newton (0: none)")
    note: str | None = None


class Stage(_Strict):
    params: list[str] = Field(min_length=1, description="paths among `fit:` searched in this stage")
    measures: list[str] = Field(min_length=1, description="the measures of the figures this stage fits")
    screen: Screen | None = Field(None, description="a global screen of the stage's box before its local search")
    note: str | None = None


class Target(_Strict):
    name: Identifier = Field(description="unique name, used by --holdout")
    measure: str = Field(min_length=1, max_length=64,
                         description="a steps-table column (docs/tables.md), or 'grades' with `grades`")
    grades: list[str] | None = Field(None, description="with measure 'grades': citizens in these grades")
    kind: Literal[KINDS] = Field(description="cumulative from day 0, stock on the date, or flow since `from`")  # type: ignore[valid-type]
    date: dt.date = Field(description="the date the figure refers to")
    from_: dt.date | None = Field(None, alias="from", description="start of a flow (exclusive)")
    value: Annotated[float, Field(ge=0.0)] = Field(description="the figure as reported")
    share: bool = Field(False, description="the value is already a share of the population")
    relative_error: Annotated[float, Field(gt=0.0, le=10.0)] = Field(
        0.05, description="how exact the figure is, as a relative standard error (rounding, 'about', 'over')")
    weight: Annotated[float, Field(ge=0.0, le=100.0)] = Field(1.0, description="weight in the loss")
    source: str = Field(min_length=1, description="id of an entry in references")
    note: str | None = None

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


class TargetsFile(_Strict):
    name: str = Field(min_length=1, max_length=64)
    pilot: str | None = Field(None, description="the pilot the targets are for")
    title: str | None = None
    population: Population
    references: list[Reference] = Field(default_factory=list)
    fit: list[FitParam] = Field(default_factory=list, description="parameters to fit by default")
    holdout: list[str] = Field(default_factory=list, description="targets held out by default")
    stages: list[Stage] = Field(default_factory=list,
                                description="fit `fit:` in stages (each its parameters on its measures' figures), "
                                            "then all together; used when the command line names no --params")
    targets: list[Target] = Field(min_length=1)
    note: str | None = None

    def target(self, name: str) -> Target:
        return next(t for t in self.targets if t.name == name)

    def per_capita(self, t: Target) -> float:
        return t.value if t.share else t.value / self.population.value


def _check(tf: TargetsFile) -> list[tuple[tuple, str]]:
    issues = []
    refs = {r.id for r in tf.references}
    names: set[str] = set()
    for i, t in enumerate(tf.targets):
        if t.name in names:
            issues.append((("targets", i, "name"), f"target '{t.name}' is named twice"))
        names.add(t.name)
        if t.source not in refs:
            issues.append((("targets", i, "source"), f"source '{t.source}' is not in references"))
        if t.kind == "flow" and t.from_ is None:
            issues.append((("targets", i, "kind"), "a flow needs `from` (the start of the period)"))
        if t.from_ is not None and t.from_ >= t.date:
            issues.append((("targets", i, "from"), "`from` must be before `date`"))
        if (t.measure == "grades") != (t.grades is not None):
            issues.append((("targets", i, "grades"), "give `grades` exactly when measure is 'grades'"))
        if t.share and t.measure != "grades" and t.kind != "stock":
            issues.append((("targets", i, "share"), "a share is a stock (the share on the date)"))
    for i, h in enumerate(tf.holdout):
        if h not in names:
            issues.append((("holdout", i), f"no target named '{h}'"))
    if tf.population.source is not None and tf.population.source not in refs:
        issues.append((("population", "source"), f"source '{tf.population.source}' is not in references"))
    fit_paths = {p.path for p in tf.fit}
    measures = {t.measure for t in tf.targets}
    for i, st in enumerate(tf.stages):
        for j, q in enumerate(st.params):
            if q not in fit_paths:
                issues.append((("stages", i, "params", j), f"'{q}' is not in `fit:`"))
        for j, m in enumerate(st.measures):
            if m not in measures:
                issues.append((("stages", i, "measures", j), f"no target measures '{m}'"))
        for j, q in enumerate((st.screen.params or []) if st.screen else []):
            if q not in st.params:
                issues.append((("stages", i, "screen", "params", j), f"'{q}' is not among the stage's params"))
    for i, p in enumerate(tf.fit):
        if not p.low <= p.high:
            issues.append((("fit", i, "high"), f"range is empty: high {p.high:g} < low {p.low:g}"))
        elif p.start is not None and not p.low <= p.start <= p.high:
            issues.append((("fit", i, "start"), f"start {p.start:g} is outside the range {p.low:g}..{p.high:g}"))
    return issues


def parse_targets(text: str | bytes, name: str = "<targets>") -> TargetsFile:
    from ..rulebook.yaml_nodes import YamlProblem, parse_yaml

    try:
        located = parse_yaml(text, name)
    except YamlProblem as e:
        raise RulebookError([Problem(name, e.mark.line, e.mark.column, e.path, e.message)]) from None
    data = located.data
    if not isinstance(data, dict):
        raise RulebookError([Problem(name, 1, 1, (), "expected a targets mapping at the top")])
    try:
        tf = TargetsFile.model_validate(data)
    except ValidationError as e:
        raise RulebookError([translate(err, located, name, TargetsFile) for err in e.errors(include_url=False)]) from None
    issues = _check(tf)
    if issues:
        raise RulebookError([Problem(name, located.mark_for(p).line, located.mark_for(p).column, p, m)
                             for p, m in issues])
    return tf


BUNDLED = ("court-blacklist", "suining", "sesame")


def bundled_targets_text(name: str) -> str:
    from importlib import resources

    return resources.files("scslab.pilots").joinpath("targets", f"{name}.yaml").read_text(encoding="utf-8")


def load_targets(name_or_path: str | Path) -> TargetsFile:
    """A targets file by path, or a bundled one by its pilot's name (scslab/pilots/targets/)."""
    from ..rulebook.loader import read_limited

    s = str(name_or_path)
    p = Path(s)
    if s in BUNDLED and not p.exists():
        return parse_targets(bundled_targets_text(s), f"targets/{s}.yaml")
    try:
        raw = read_limited(p)
    except FileNotFoundError:
        hint = f" (bundled targets: {', '.join(BUNDLED)})"
        raise RulebookError([Problem(s, 0, 0, (), f"no such file{hint}")]) from None
    except IsADirectoryError:
        raise RulebookError([Problem(s, 0, 0, (), "is a directory, not a targets file")]) from None
    except OSError as e:
        raise RulebookError([Problem(s, 0, 0, (), f"cannot read: {e.strerror}")]) from None
    return parse_targets(raw, s)


__all__ = ["BUNDLED", "FitParam", "KINDS", "Population", "Screen", "Stage", "Target", "TargetsFile", "load_targets",
           "parse_targets"]
