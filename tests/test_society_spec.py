"""The society spec: defaults, ranges, and errors that name the field and its range."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from scslab.society import SocietySpec, parse_spec
from scslab.society.spec import Correlations, NetworkSpec, max_clustering


def test_defaults_are_valid_and_documented():
    spec = SocietySpec()
    assert spec.n == 10_000
    assert spec.municipality_count == 1
    assert spec.group_names == ("urban", "rural", "migrant")
    assert sum(spec.groups.values()) == pytest.approx(1.0)
    assert spec.network.mean_degree == 12
    assert spec.network.cross_municipality_share == 0.05
    assert 0.55 <= spec.virtue.mean <= 0.65
    assert spec.correlations.virtue_strategic < 0
    # Every field has a description that a reader can use.
    for model in (SocietySpec, NetworkSpec, Correlations):
        for name, f in model.model_fields.items():
            assert f.description, f"{model.__name__}.{name} has no description"


def test_json_round_trip():
    spec = SocietySpec(n=500, municipalities=["a", "b"], municipality_shares=[0.3, 0.7])
    again = SocietySpec.model_validate(spec.model_dump(mode="json"))
    assert again == spec
    assert again.municipality_names == ("a", "b")


def test_municipality_names_from_count():
    assert SocietySpec(n=100, municipalities=12).municipality_names[:2] == ("m00", "m01")


@pytest.mark.parametrize(
    "data, needle",
    [
        ({"n": 0}, "n: Input should be greater than or equal to 1"),
        ({"n": 3_000_000_000}, "allowed 1..2,000,000,000"),
        ({"n": "10"}, "n: Input should be a valid integer"),
        ({"network": {"mean_degree": 80}}, "network.mean_degree"),
        ({"network": {"mean_degree": 80}}, "allowed 2..50"),
        ({"network": {"cross_municipality_share": 0.7}}, "allowed 0..0.5"),
        ({"network": {"homophily_virtue": 0.7, "homophily_income": 0.6}}, "at most 1"),
        ({"network": {"clustering": 0.55, "mean_degree": 3}}, "out of reach"),
        ({"groups": {"urban": 0.5, "rural": 0.2}}, "group shares must sum to 1"),
        ({"groups": {"Urban": 1.0}}, "groups.Urban"),
        ({"income": {"group_factor": {"city": 2.0}}}, "unknown groups"),
        ({"virtue": {"mean": 1.2}}, "virtue.mean"),
        ({"correlations": {"virtue_strategic": 0.9, "virtue_privacy": 0.9,
                           "strategic_privacy": -0.9}}, "positive definite"),
        ({"municipalities": ["a", "a"]}, "unique"),
        ({"municipalities": 3, "municipality_shares": [0.5, 0.5]}, "2 entries for 3"),
        ({"n": 3, "municipalities": 5}, "more municipalities"),
        ({"network": {"foo": 1}}, "network.foo: Extra inputs are not permitted"),
    ],
)
def test_errors_name_field_and_range(data, needle):
    with pytest.raises(ValueError) as e:
        parse_spec(data)
    assert needle in str(e.value)


def test_strict_and_frozen():
    with pytest.raises(ValidationError):
        SocietySpec(n=10.5)
    with pytest.raises(ValidationError):
        SocietySpec().n = 5


def test_clustering_bound_is_below_lattice():
    assert 0 < max_clustering(12, 0.05) < 0.75
    assert max_clustering(2, 0.0) == 0.0
