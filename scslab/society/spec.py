"""What a synthetic society looks like: the declarative spec (pydantic v2).

Every field names its allowed range in its description, and ``parse_spec`` turns pydantic's
errors into one line per problem that names the field and that range. The defaults, and
why they were chosen, are discussed in ``docs/society.md``. Numbers are illustrative unless
the docs say otherwise: the society is synthetic and meant to be varied in experiments.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..limits import MAX_MUNICIPALITIES, MAX_POPULATION

# Global citizen ids are int32 (tie indices, the engine's views): up to 2**31 - 1. A shard
# with 2**31 tie ends or more keeps int64 row pointers. The memory estimate
# (engine.memory.estimate_bytes) says what fits on a machine; 1e8 was run on 23 GB
# (docs/scaling.md).
MAX_N = MAX_POPULATION  # defined once, in scslab.limits
MAX_GROUPS = 8
TRAITS = ("virtue", "strategic", "privacy", "income")
DEFAULT_CLUSTERING = 0.25

GroupName = Annotated[
    str,
    Field(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_\-]*$",
          description="lower-case letters, digits, '_' or '-', starting with a letter"),
]


class _Strict(BaseModel):
    """Unknown fields are errors; text is never coerced to numbers."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Beta(_Strict):
    """A trait in [0, 1], beta-distributed, given by its mean and concentration (a + b)."""

    mean: float = Field(gt=0.0, lt=1.0, description="mean of the trait; allowed (0, 1) exclusive")
    concentration: float = Field(
        8.0, ge=0.5, le=1000.0,
        description="a + b of the beta distribution: higher is tighter around the mean "
        "(2 with mean 0.5 is uniform); allowed 0.5..1000",
    )

    @property
    def a(self) -> float:
        return self.mean * self.concentration

    @property
    def b(self) -> float:
        return (1.0 - self.mean) * self.concentration


class Income(_Strict):
    """Monthly income (currency units), lognormal, scaled per group."""

    median: float = Field(
        4000.0, gt=0.0, le=1e7,
        description="median monthly income of a group with factor 1; allowed (0, 1e7]",
    )
    sigma: float = Field(0.7, ge=0.0, le=3.0, description="sigma of log income; allowed 0..3")
    group_factor: dict[GroupName, Annotated[float, Field(gt=0.0, le=100.0)]] = Field(
        default_factory=lambda: {"urban": 1.0, "rural": 0.4, "migrant": 0.75},
        description="multiplier of the median per group (groups left out get 1; the default "
        "names the default groups); "
        "each allowed (0, 100]",
    )


Corr = Annotated[float, Field(ge=-0.9, le=0.9)]


class Correlations(_Strict):
    """Correlations between traits (Gaussian copula; income on the log scale).

    Pairs left out are 0. The matrix must be positive definite.
    """

    virtue_strategic: Corr = Field(-0.2, description="allowed -0.9..0.9")
    virtue_privacy: Corr = Field(0.0, description="allowed -0.9..0.9")
    virtue_income: Corr = Field(0.0, description="allowed -0.9..0.9")
    strategic_privacy: Corr = Field(0.0, description="allowed -0.9..0.9")
    strategic_income: Corr = Field(0.1, description="allowed -0.9..0.9")
    privacy_income: Corr = Field(0.1, description="allowed -0.9..0.9")

    def matrix(self) -> np.ndarray:
        """The 4x4 correlation matrix in the order of ``TRAITS``."""
        c = np.eye(len(TRAITS))
        for i, a in enumerate(TRAITS):
            for j, b in enumerate(TRAITS):
                if i < j:
                    c[i, j] = c[j, i] = getattr(self, f"{a}_{b}")
        return c

    @model_validator(mode="after")
    def _positive_definite(self) -> Correlations:
        if np.linalg.eigvalsh(self.matrix()).min() <= 1e-9:
            raise ValueError("the trait correlations do not form a valid (positive definite) matrix")
        return self


class NetworkSpec(_Strict):
    """The social network: a homophilous local lattice plus random long-range ties."""

    mean_degree: float = Field(
        12.0, ge=2.0, le=50.0, description="average number of ties per citizen; allowed 2..50"
    )
    clustering: float | None = Field(
        None, ge=0.0, le=0.6,
        description="target average local clustering (share of a citizen's pairs of ties "
        f"who are tied to each other); none means {DEFAULT_CLUSTERING}, or the most the "
        "degree allows if less; allowed 0..0.6, and at most what the degree allows",
    )
    homophily_group: float = Field(
        0.7, ge=0.0, le=1.0,
        description="how much ties stay inside a group: the share of citizens who live in "
        "their own group's neighbourhood (the rest in one drawn by group shares) and the share "
        "of long-range ties made inside the group; allowed 0..1",
    )
    homophily_virtue: float = Field(
        0.3, ge=0.0, le=1.0,
        description="share of the neighbourhood ordering explained by virtue; "
        "homophily_virtue + homophily_income at most 1; allowed 0..1",
    )
    homophily_income: float = Field(
        0.3, ge=0.0, le=1.0,
        description="share of the neighbourhood ordering explained by log income; allowed 0..1",
    )
    cross_municipality_share: float = Field(
        0.05, ge=0.0, le=0.5,
        description="share of ties between citizens of different municipalities (ignored "
        "with one municipality); allowed 0..0.5",
    )
    degree_dispersion: float = Field(
        0.5, ge=0.0, le=1.5,
        description="sigma of the lognormal sociability that spreads degrees (0: all "
        "citizens alike); allowed 0..1.5",
    )

    @model_validator(mode="after")
    def _consistent(self) -> NetworkSpec:
        if self.homophily_virtue + self.homophily_income > 1.0 + 1e-12:
            raise ValueError(
                "homophily_virtue + homophily_income must be at most 1 "
                f"(got {self.homophily_virtue} + {self.homophily_income})"
            )
        top = max_clustering(self.mean_degree, self.cross_municipality_share)
        if self.clustering is not None and self.clustering > top:
            raise ValueError(
                f"clustering {self.clustering} is out of reach with mean_degree "
                f"{self.mean_degree} and cross_municipality_share "
                f"{self.cross_municipality_share}: allowed 0..{math.floor(top * 100) / 100}"
            )
        return self

    @property
    def clustering_target(self) -> float:
        """The clustering the generator aims at (the default capped by the degree)."""
        if self.clustering is not None:
            return self.clustering
        top = max_clustering(self.mean_degree, self.cross_municipality_share)
        return min(DEFAULT_CLUSTERING, math.floor(top * 100) / 100)


def lattice_clustering(k_local: float) -> float:
    """Clustering of a ring lattice where each node is tied to its k_local nearest."""
    if k_local < 2.0:
        return 0.0
    return 3.0 * (k_local - 2.0) / (4.0 * (k_local - 1.0))


def max_clustering(mean_degree: float, cross_share: float) -> float:
    """Highest reachable clustering: all ties local except the cross-municipality ones."""
    k_local = mean_degree * (1.0 - cross_share)
    return lattice_clustering(k_local) * (1.0 - cross_share) ** 2 * 0.9


class SocietySpec(_Strict):
    """A synthetic society: its citizens' traits and their social network."""

    n: int = Field(10_000, ge=1, le=MAX_N, description=f"population size; allowed 1..{MAX_N:,}")
    municipalities: int | list[GroupName] = Field(
        1,
        description=f"number of municipalities, or their names; allowed 1..{MAX_MUNICIPALITIES:,} "
        "(named ones unique)",
    )
    municipality_shares: list[Annotated[float, Field(gt=0.0, le=1.0)]] | None = Field(
        None,
        description="population share of each municipality (sums to 1); none means equal "
        "sizes; each allowed (0, 1]",
    )
    groups: dict[GroupName, Annotated[float, Field(ge=0.0, le=1.0)]] = Field(
        default_factory=lambda: {"urban": 0.55, "rural": 0.35, "migrant": 0.10},
        description=f"data-coverage classes and their population shares (sum to 1); "
        f"1..{MAX_GROUPS} groups, each share allowed 0..1",
    )
    virtue: Beta = Field(
        default_factory=lambda: Beta(mean=0.6, concentration=8.0),
        description="acts well when nobody watches, in [0, 1]",
    )
    strategic: Beta = Field(
        default_factory=lambda: Beta(mean=0.5, concentration=4.0),
        description="responds to points, in [0, 1]",
    )
    privacy: Beta = Field(
        default_factory=lambda: Beta(mean=0.4, concentration=4.0),
        description="reluctance to disclose personal data, in [0, 1]",
    )
    income: Income = Field(default_factory=Income, description="monthly income, lognormal")
    correlations: Correlations = Field(
        default_factory=Correlations, description="correlations between traits"
    )
    network: NetworkSpec = Field(default_factory=NetworkSpec, description="the social network")

    @model_validator(mode="after")
    def _consistent(self) -> SocietySpec:
        m = self.municipalities
        if isinstance(m, int):
            if not 1 <= m <= MAX_MUNICIPALITIES:
                raise ValueError(f"municipalities must be 1..{MAX_MUNICIPALITIES:,} (got {m})")
        else:
            if not 1 <= len(m) <= MAX_MUNICIPALITIES:
                raise ValueError(f"municipalities must name 1..{MAX_MUNICIPALITIES:,} places")
            if len(set(m)) != len(m):
                raise ValueError("municipality names must be unique")
        count = self.municipality_count
        if count > self.n:
            raise ValueError(f"more municipalities ({count}) than citizens (n={self.n})")
        if self.municipality_shares is not None:
            if len(self.municipality_shares) != count:
                raise ValueError(
                    f"municipality_shares has {len(self.municipality_shares)} entries for "
                    f"{count} municipalities"
                )
            if abs(sum(self.municipality_shares) - 1.0) > 1e-6:
                raise ValueError(
                    f"municipality_shares must sum to 1 (got {sum(self.municipality_shares):.6g})"
                )
        if not 1 <= len(self.groups) <= MAX_GROUPS:
            raise ValueError(f"groups must have 1..{MAX_GROUPS} entries")
        if abs(sum(self.groups.values()) - 1.0) > 1e-6:
            raise ValueError(f"group shares must sum to 1 (got {sum(self.groups.values()):.6g})")
        # The default factors name the default groups; only explicit ones must match.
        unknown = set(self.income.group_factor) - set(self.groups)
        if unknown and "group_factor" in self.income.model_fields_set:
            raise ValueError(f"income.group_factor names unknown groups: {sorted(unknown)}")
        return self

    @property
    def municipality_count(self) -> int:
        m = self.municipalities
        return m if isinstance(m, int) else len(m)

    @property
    def municipality_names(self) -> tuple[str, ...]:
        m = self.municipalities
        if isinstance(m, int):
            return tuple(f"m{i:0{len(str(max(m - 1, 0)))}d}" for i in range(m))
        return tuple(m)

    @property
    def group_names(self) -> tuple[str, ...]:
        return tuple(self.groups)


def _allowed(model: type[BaseModel], loc: tuple) -> str | None:
    """The description (which names the allowed range) of the field at ``loc``, if any."""
    cls: Any = model
    desc = None
    for part in loc:
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or not isinstance(part, str):
            return desc if isinstance(part, int | str) and desc and "allowed" in desc else None
        f = cls.model_fields.get(part)
        if f is None:
            return None
        desc = f.description
        ann = f.annotation
        cls = next((a for a in getattr(ann, "__args__", (ann,))
                    if isinstance(a, type) and issubclass(a, BaseModel)), ann)
    return desc


def parse_spec(data: dict[str, Any] | None = None) -> SocietySpec:
    """Validate a plain mapping (e.g. from YAML) into a spec.

    Raises ``ValueError`` with one line per problem: ``field.path: message (field: description)``.
    """
    try:
        return SocietySpec.model_validate(data or {})
    except ValidationError as e:
        lines = []
        for err in e.errors():
            loc = tuple(err["loc"])
            path = ".".join(str(p) for p in loc) or "<spec>"
            msg = err["msg"].removeprefix("Value error, ")
            desc = _allowed(SocietySpec, loc) if loc else None
            got = f" (got {err['input']!r})" if not isinstance(err.get("input"), dict) else ""
            lines.append(f"{path}: {msg}{got}" + (f" [{desc}]" if desc else ""))
        raise ValueError("invalid society spec:\n  " + "\n  ".join(lines)) from None
