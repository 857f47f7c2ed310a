"""The bundled pilots: they load, compile, cite their sources and share one vocabulary."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scslab.pilots import PILOTS, load_pilot, pilot_text
from scslab.rulebook import DEFAULT_GROUPS, compile_rulebook, parse_rulebook
from scslab.rulebook.checks import _sourced

PILOT_FILES = list(PILOTS)

# Properties of the conduct itself: identical wherever the same id appears.
ACT_FIELDS = ("domain", "legal_status", "social_value", "utility", "base_rate", "excusable", "observable")
CORE = {"contract_default", "bank_arrears", "commercial_fraud", "lying_to_peers",
        "volunteering", "blood_donation", "caring_for_elders"}


@pytest.fixture(scope="module")
def pilots():
    return {name: load_pilot(name) for name in PILOTS}


@pytest.mark.parametrize("name", PILOT_FILES)
def test_pilot_loads_and_compiles(pilots, name):
    rb = pilots[name]
    assert rb.metadata.name == name
    c = compile_rulebook(rb)
    assert c.groups == DEFAULT_GROUPS
    assert c.n_behaviours == len(rb.behaviours)
    assert np.all((c.coverage >= 0) & (c.coverage <= 1))
    # parsing the same text twice gives the same rulebook (and the same hash)
    assert compile_rulebook(parse_rulebook(pilot_text(name), name)).hash == c.hash


@pytest.mark.parametrize("name", PILOT_FILES)
def test_every_written_object_with_numbers_names_a_source(pilots, name):
    rb = pilots[name]
    refs = {r.id for r in rb.metadata.references} | {"illustrative"}
    missing = []
    for path, obj in _sourced(rb):
        if obj.model_fields_set - {"source", "note"}:  # written in the file, not a default
            if obj.source is None:
                missing.append(path)
            else:
                assert obj.source in refs
    assert not missing, f"objects without source in {name}: {missing}"
    # every cited reference is used somewhere, so the reference list stays honest
    cited = {obj.source for _, obj in _sourced(rb)}
    unused = {r.id for r in rb.metadata.references} - cited
    assert not unused, f"{name}: references never cited: {unused}"


@pytest.mark.parametrize("name", PILOT_FILES)
def test_rates_and_groups_are_in_the_documented_ranges(pilots, name):
    rb = pilots[name]
    for b in rb.behaviours:
        assert 1e-5 <= b.base_rate <= 1e-2, (b.id, b.base_rate)
    for d in rb.data_sources:
        assert set(d.coverage) <= {"urban", "rural", "migrant", "default"}, d.id


@pytest.mark.parametrize("name", PILOT_FILES)
def test_every_pilot_simulates_a_comparable_society(pilots, name):
    bs = pilots[name].behaviours
    ids = {b.id for b in bs}
    assert CORE <= ids, f"{name} lacks {CORE - ids}"
    assert any(not b.observable and b.social_value < 0 for b in bs)
    assert sum(b.observable and b.social_value < 0 for b in bs) >= 2
    assert sum(b.social_value > 0 for b in bs) >= 2


def test_shared_behaviours_describe_the_same_conduct(pilots):
    first: dict[str, tuple[str, object]] = {}
    for name, rb in pilots.items():
        for b in rb.behaviours:
            props = tuple(getattr(b, f) for f in ACT_FIELDS)
            if b.id in first:
                other, want = first[b.id]
                assert props == want, f"'{b.id}' differs between {other} and {name}"
            else:
                first[b.id] = (name, props)


def test_suining_scores_lawful_conduct_and_restricts_everywhere(pilots):
    rb = pilots["suining"]
    lawful = {b.id for b in rb.behaviours if b.legal_status == "lawful" and b.points != 0}
    assert {"second_child", "continuous_petitioning", "online_defamation", "bringing_investment"} <= lawful
    assert rb.behaviour("second_child").domain == "family"
    assert rb.behaviour("online_defamation").evidence in ("report", "suspicion")
    assert max(rb.behaviours, key=lambda b: b.points).id == "bringing_investment"
    assert [g.name for g in rb.grades] == ["untrustworthy", "warning", "credible"]
    (lst,) = rb.lists
    assert lst.published and not lst.notice
    hit = {m.sector for m in rb.sanctions if m.applies_to.list == lst.id}
    assert len(hit) >= 6
    assert not rb.appeals.available
    assert not rb.publicity.thresholds_published


def test_sesame_dimensions_thresholds_and_peers(pilots):
    rb = pilots["sesame"]
    assert (rb.scale.min, rb.scale.max) == (350, 950)
    dims = {b.dimension for b in rb.behaviours if b.points != 0}
    assert dims == {"credit_history", "behaviour_preferences", "fulfilment_capacity",
                    "identity_traits", "personal_connections"}
    assert rb.network.peer_weight > 0
    assert rb.disclosure.reward > 0 and rb.disclosure.coverage_boost > 0
    assert all(d.kind == "platform" and not d.adjudicated for d in rb.data_sources)
    assert any(b.legal_status == "lawful" and b.domain == "consumption" and b.points != 0
               for b in rb.behaviours)
    lows = {g.name: g.min for g in rb.grades}
    # each privilege covers exactly the grades at or above its threshold
    for pid, threshold in [("deposit_free_flat_rental", 650), ("deposit_free_car_hire", 600),
                           ("deposit_free_hotels", 550), ("deposit_free_shared_bikes", 500)]:
        m = next(p for p in rb.privileges if p.id == pid)
        assert set(m.applies_to.grades) == {g for g, lo in lows.items() if lo >= threshold}
        assert "unofficial" in (m.note or "")


def _listed_share(rate: float, coverage: float, exit_rate: float, duration: int, days: int) -> float:
    """Expected share listed after `days`: entries at a constant rate within the last
    `duration` days, each still listed unless it performed (renewals, rare, ignored)."""
    r = rate * coverage
    return r * (1 - math.exp(-exit_rate * min(days, duration))) / exit_rate


def test_court_blacklist_follows_the_spc_provisions_and_magnitudes(pilots):
    rb = pilots["court-blacklist"]
    (lst,) = rb.lists
    assert lst.kind == "blacklist" and lst.scope == "national"
    assert lst.duration_days == 730
    assert 365 <= lst.renewal.extend_days <= 1095
    assert lst.exit.on_performance and lst.exit.removal_delay_days == 3
    assert lst.renewal.max_renewals >= 1
    trig = [rb.behaviour(b) for b in lst.trigger.behaviours]
    src = {d.id: d for d in rb.data_sources}
    for b in trig:
        assert b.evidence == "final_decision"
        assert all(src[s].adjudicated and src[s].kind == "court" for s in b.sources)
    sectors = {m.sector for m in rb.sanctions}
    assert {"air", "rail", "hotels", "housing", "schools"} <= sectors
    assert all(m.scope == "national" for m in rb.sanctions)
    assert sum(bool(m.legal_basis) for m in rb.sanctions) >= 5
    # about a quarter comply within the term
    p = lst.exit.performance_rate
    assert 0.2 <= 1 - (1 - p) ** lst.duration_days <= 0.3
    # The engine deters list-triggering acts (about 6x at its default parameters); the rate
    # is set for ~1% listed after 2-3 years under deterrence (measured; see the pilot's
    # note), so before deterrence the same arithmetic gives a few percent.
    (b,) = trig
    cov = src[b.sources[0]].coverage["default"]
    assert 0.02 <= _listed_share(b.base_rate, cov, p, lst.duration_days, 1095) <= 0.1


def test_rule_of_law_is_built_to_pass_an_audit(pilots):
    rb = pilots["rule-of-law"]
    assert rb.metadata.counterfactual
    src = {d.id: d for d in rb.data_sources}
    assert all(d.adjudicated and d.kind == "court" for d in rb.data_sources)
    related = {"finance": {"loans", "mortgages"}, "traffic": {"driving_licences"},
               "commerce": {"business_licences"}}
    scored = [b for b in rb.behaviours if b.points != 0]
    assert scored
    for b in rb.behaviours:
        assert not b.catch_all
        if b.points != 0 or b.sources:
            assert b.legal_status in ("criminal", "administrative", "contractual"), b.id
            assert b.evidence == "final_decision", b.id
            assert b.sources and all(src[s].adjudicated for s in b.sources)
    lists = {x.id: x for x in rb.lists}
    for x in rb.lists:
        assert x.duration_days is not None and x.notice and x.reasons_given and not x.published
        assert x.legal_basis
    for m in rb.sanctions:
        assert m.legal_basis and m.applies_to.list
        domains = {rb.behaviour(b).domain for b in lists[m.applies_to.list].trigger.behaviours}
        assert all(m.sector in related[d] for d in domains), m.id
    assert not rb.privileges
    a = rb.appeals
    assert a.available and a.independent_reviewer and a.latency_days <= 30 and a.deadline_days >= 30
    d = rb.decay
    assert d.record_retention_days is not None and d.record_retention_days <= 2555
    assert d.negative_half_life_days is not None and d.repair.available
    n = rb.network
    assert n.association_penalty == 0 and n.peer_weight == 0 and not n.family_liability
    pub = rb.publicity
    assert pub.rules_published and pub.thresholds_published and pub.own_record_visible


def test_none_scores_nothing(pilots):
    rb = pilots["none"]
    assert rb.metadata.counterfactual
    assert all(b.points == 0 for b in rb.behaviours)
    assert not rb.lists and not rb.sanctions and not rb.privileges
    assert len(rb.grades) == 1
    assert (rb.grades[0].min, rb.grades[0].max) == (rb.scale.min, rb.scale.max)
    c = compile_rulebook(rb)
    assert len(c.scoring_thresholds) == 0
