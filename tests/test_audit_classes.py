"""Classes of violation planted into the rule-of-law pilot, each in several wordings and
structures, must be caught by their rule; the pilot itself must gain no finding.

The variants differ from the rules' own doc examples on purpose (other words, other
fields, other lists): the rules are built for the class, not for one example.
"""

from __future__ import annotations

import copy
from collections import Counter

import pytest
import yaml

from scslab.audit import RULES, audit_text
from scslab.audit.context import IncomeReference
from scslab.audit.examples import example_text
from scslab.pilots import pilot_text

ROL = yaml.safe_load(pilot_text("rule-of-law"))


def findings(data, **kwargs):
    return audit_text(yaml.safe_dump(data, sort_keys=False), "planted.yaml", **kwargs).findings


BASELINE = Counter(f.code for f in findings(ROL))


def behaviour(**kw):
    b = dict(domain="finance", legal_status="contractual", points=-30, social_value=-0.2, utility=0.2,
             base_rate=0.0005, sources=[], evidence="final_decision")
    b.update(kw)
    return b


def source(d, sid, kind="bank"):
    d["data_sources"].append({"id": sid, "kind": kind, "coverage": {"default": 0.5}})


def blacklist(lid, behaviours, duration, **kw):
    x = {"id": lid, "kind": "blacklist", "trigger": {"behaviours": behaviours, "min_records": 1, "window_days": 365},
         "duration_days": duration, "legal_basis": "Some Act s.1 (counterfactual statute)"}
    x.update(kw)
    return x


def by_id(d, bid):
    return next(b for b in d["behaviours"] if b["id"] == bid)


VARIANTS = {}


def variant(code):
    def register(fn):
        VARIANTS[fn.__name__] = (code, fn)
        return fn
    return register


# -- cost barriers ---------------------------------------------------------------------------
@variant("SCS237")
def appeal_fee_of_a_month(d):
    d["appeals"]["cost"] = 1500


@variant("SCS237")
def appeal_fee_of_days(d):
    d["appeals"]["cost"] = 300


@variant("SCS155")
def repair_fee_large(d):
    d["decay"]["repair"]["cost"] = 5000


@variant("SCS155")
def repair_fee_with_early_repair(d):
    d["decay"]["repair"].update(cost=800, min_days=30)


# -- delay after performance -------------------------------------------------------------------
@variant("SCS238")
def removal_three_months_after_paying(d):
    d["lists"][0]["exit"]["removal_delay_days"] = 90


@variant("SCS238")
def removal_ten_days_after_paying(d):
    d["lists"][0]["exit"]["removal_delay_days"] = 10


@variant("SCS238")
def paying_does_not_lift_the_list(d):
    d["lists"][0]["exit"] = {"on_performance": False}


@variant("SCS238")
def new_tax_list_without_exit(d):
    source(d, "tax_office", "government")
    d["behaviours"].append(behaviour(id="tax_arrears", label="owing back taxes after an assessment",
                                     legal_status="administrative", sources=["tax_office"], points=0))
    d["lists"].append(blacklist("tax_defaulters", ["tax_arrears"], 365))


# -- duration out of proportion to gravity ----------------------------------------------------
@variant("SCS247")
def three_years_for_littering(d):
    source(d, "wardens", "government")
    d["behaviours"].append(behaviour(id="littering", label="fined for littering", domain="environment",
                                     legal_status="administrative", social_value=-0.05, points=-5, sources=["wardens"]))
    d["lists"].append(blacklist("litterers", ["littering"], 1095))


@variant("SCS247")
def library_fines_on_the_debtors_list(d):
    source(d, "library", "government")
    d["behaviours"].append(behaviour(id="library_fines", label="unpaid library fines", social_value=-0.02,
                                     points=-5, sources=["library"]))
    d["lists"][0]["trigger"]["behaviours"].append("library_fines")


@variant("SCS247")
def fare_dodging_renewed_for_years(d):
    source(d, "transit", "government")
    d["behaviours"].append(behaviour(id="fare_dodging", label="travelling without a ticket", domain="public_services",
                                     legal_status="administrative", social_value=-0.15, points=-5, sources=["transit"]))
    d["lists"].append(blacklist("fare_dodgers", ["fare_dodging"], 365, renewal={"extend_days": 365, "max_renewals": 2}))


# -- vague terms, whoever decides them ----------------------------------------------------------
@variant("SCS131")
def quarrels_decided_by_a_court(d):
    d["behaviours"].append(behaviour(id="quarrels", label="convicted of picking quarrels and provoking trouble",
                                     domain="civic", legal_status="criminal", social_value=-0.3, points=-100,
                                     sources=["criminal_court"]))


@variant("SCS131")
def false_information_online(d):
    d["behaviours"].append(behaviour(id="online_posts", label="posting false information on the internet",
                                     domain="online", legal_status="administrative", points=-50, sources=["criminal_court"]))


@variant("SCS131")
def rumour_in_the_id_only(d):
    d["behaviours"].append(behaviour(id="rumour_mongering", domain="online", legal_status="administrative",
                                     points=-20, sources=["criminal_court"]))


@variant("SCS131")
def public_order_on_a_list_without_points(d):
    d["behaviours"].append(behaviour(id="order", label="disturbing public order", domain="civic",
                                     legal_status="administrative", points=0, sources=["criminal_court"]))
    d["lists"][2]["trigger"]["behaviours"].append("order")


@variant("SCS131")
def defaming_officials_decided_by_a_court(d):
    d["behaviours"].append(behaviour(id="defamation", label="convicted of online defamation of officials",
                                     domain="online", legal_status="criminal", social_value=-0.3, points=-60,
                                     sources=["criminal_court"]))


@variant("SCS131")
def hooliganism_on_the_trading_list(d):
    d["behaviours"].append(behaviour(id="hooliganism", label="hooliganism at a market", domain="commerce",
                                     legal_status="administrative", points=0, sources=["criminal_court"]))
    d["lists"][1]["trigger"]["behaviours"].append("hooliganism")


# -- the same act twice under other words -----------------------------------------------------
@variant("SCS212")
def contract_default_scored_beside_the_judgment(d):
    source(d, "bank")
    by_id(d, "contract_default").update(points=-30, sources=["bank"])


@variant("SCS212")
def bank_loan_default_beside_the_judgment(d):
    source(d, "bank")
    d["behaviours"].append(behaviour(id="loan_default", label="defaulting on a bank loan", sources=["bank"],
                                     social_value=-0.3, points=-40))


@variant("SCS212")
def declared_act_in_other_case(d):
    source(d, "creditors")
    by_id(d, "judgment_default")["act"] = "non-payment of a debt"
    d["behaviours"].append(behaviour(id="creditor_report", label="creditor reports an overdue account",
                                     sources=["creditors"], points=-20, act="Non-payment of a DEBT", evidence="record"))


@variant("SCS212")
def drink_driving_seen_by_the_police(d):
    source(d, "police", "government")
    d["behaviours"].append(behaviour(id="roadside_alcohol", label="operating a vehicle over the alcohol limit, roadside test",
                                     domain="traffic", legal_status="administrative", social_value=-0.5, points=-30,
                                     sources=["police"], evidence="record"))


@variant("SCS212")
def fraud_found_by_a_regulator(d):
    source(d, "regulator", "government")
    d["behaviours"].append(behaviour(id="regulator_fraud", label="fraudulent trading found by the market regulator",
                                     domain="commerce", legal_status="administrative", social_value=-0.6, points=-40,
                                     sources=["regulator"]))


@variant("SCS212")
def power_bill_and_its_judgment_in_two_domains(d):
    source(d, "utility", "government")
    d["behaviours"].append(behaviour(id="power_arrears", label="unpaid electricity bill", domain="public_services",
                                     social_value=-0.1, points=-10, sources=["utility"], evidence="record"))
    d["behaviours"].append(behaviour(id="power_judgment", label="court order over overdue power charges",
                                     social_value=-0.1, points=-20, sources=["enforcement_court"]))


@variant("SCS212")
def drink_driving_twice_from_one_court(d):
    d["behaviours"].append(behaviour(id="dui", label="convicted of driving under the influence of alcohol",
                                     domain="traffic", legal_status="criminal", social_value=-0.6, points=-50,
                                     sources=["criminal_court"]))


def test_graded_behaviours_of_one_source_are_not_the_same_act():
    data = copy.deepcopy(ROL)
    data["behaviours"].append(behaviour(id="dui_repeat", label="convicted of drink-driving a second time",
                                        domain="traffic", legal_status="criminal", social_value=-0.7, points=-150,
                                        sources=["criminal_court"]))
    assert [f for f in findings(data) if f.code == "SCS212"] == []


def test_the_pilot_is_clean_apart_from_its_two_high_risk_notes():
    assert BASELINE == Counter({"SCS304": 2}), BASELINE


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_planted_violation_is_caught(name):
    code, plant = VARIANTS[name]
    data = copy.deepcopy(ROL)
    plant(data)
    found = [f for f in findings(data) if f.code == code]
    assert found, f"{name}: {code} missed"
    for f in found:
        assert f.message.endswith(".") and f.fix and f.fix.endswith(".")


# -- precision -----------------------------------------------------------------------------------
def test_littering_does_not_make_an_unpaid_judgment_less_grave():
    data = copy.deepcopy(ROL)
    source(data, "wardens", "government")
    data["behaviours"].append(behaviour(id="littering", label="fined for littering", domain="environment",
                                        legal_status="administrative", social_value=-0.05, points=-5, sources=["wardens"]))
    assert [f for f in findings(data) if f.code == "SCS244"] == []
    # ... while a graver act (in law and in harm) that costs less is still an inversion
    data["behaviours"].append(behaviour(id="assault", label="convicted of assault", domain="civic",
                                        legal_status="criminal", social_value=-0.7, points=-20, sources=["criminal_court"]))
    msgs = [f.message for f in findings(data) if f.code == "SCS244"]
    assert any("'judgment_default'" in m and "'assault'" in m for m in msgs), msgs


@pytest.mark.parametrize("label, flagged", [
    ("higher motor insurance premiums", False),
    ("no high-premium home insurance", False),
    ("higher health insurance premiums", True),
    ("refused life insurance", True),
])
def test_insurance_is_annex_iii_only_for_life_and_health(label, flagged):
    data = copy.deepcopy(ROL)
    data["sanctions"].append({"id": "premium", "sector": "insurance", "applies_to": {"list": "driving_disqualifications"},
                              "magnitude": 0.2, "label": label, "legal_basis": "Insurance Act s.2"})
    report = audit_text(yaml.safe_dump(data, sort_keys=False), "x.yaml")
    hit = [f for f in report.findings if f.code == "SCS304" and "'premium'" in f.message]
    assert bool(hit) == flagged
    assert ("insurance" in report.verdict.high_risk) == flagged


def test_a_court_does_not_cure_vague_terms_but_terms_of_art_pass_when_decided():
    bad = RULES["SCS131"].bad.replace("evidence: report", "evidence: final_decision")
    assert audit_text(example_text(bad), "x.yaml", select=["SCS131"]).findings
    text = example_text(RULES["SCS131"].good.replace("final_decision", "report"))
    assert audit_text(text, "x.yaml", select=["SCS131"]).findings  # defamation on a report: vague


def test_behaviours_that_declare_different_acts_are_never_paired():
    data = copy.deepcopy(ROL)
    source(data, "utility", "government")
    data["behaviours"].append(behaviour(id="power_arrears", label="unpaid electricity bill", domain="public_services",
                                        social_value=-0.1, points=-10, sources=["utility"], act="the May bill"))
    data["behaviours"].append(behaviour(id="power_judgment", label="court order over overdue power charges",
                                        social_value=-0.1, points=-20, sources=["enforcement_court"], act="the June bill"))
    assert [f for f in findings(data) if f.code == "SCS212"] == []


def test_fees_are_read_against_the_society_s_incomes():
    from scslab.society import SocietySpec

    data = copy.deepcopy(ROL)
    data["appeals"]["cost"] = 300
    assert [f for f in findings(data) if f.code == "SCS237"]
    rich = SocietySpec(income={"median": 400_000.0})
    assert [f for f in findings(data, society=rich) if f.code == "SCS237"] == []
    inc = IncomeReference.from_spec()
    assert inc.monthly(0.1) < inc.monthly(0.5) < inc.monthly(0.9)
    assert inc.monthly(0.5) == pytest.approx(2861, rel=0.01)  # median of the mixture of groups


def test_deadline_zero_means_no_deadline_in_schema_rule_and_engine():
    from scslab.rulebook.schema import Appeals

    assert "0 means no deadline" in Appeals.model_fields["deadline_days"].description
    data = copy.deepcopy(ROL)
    data["appeals"]["deadline_days"] = 0
    assert [f for f in findings(data) if f.code == "SCS233"] == []
    data["appeals"]["deadline_days"] = 10
    assert [f for f in findings(data) if f.code == "SCS233"]


def test_the_engine_reads_deadline_zero_as_no_deadline():
    from pathlib import Path

    from scslab.engine import simulate
    from scslab.rulebook import parse_rulebook

    harsh = yaml.safe_load((Path(__file__).parent / "data" / "harsh.yaml").read_text())
    appeals = {}
    for deadline in (0, 1):
        harsh["appeals"] = {"available": True, "deadline_days": deadline, "latency_days": 5, "review_accuracy": 0.8,
                            "independent_reviewer": True}
        rb = parse_rulebook(yaml.safe_dump(harsh), "harsh.yaml")
        appeals[deadline] = int(simulate(rb, population=1_000, steps=40, seed=3).steps.appeals_lodged.sum())
    assert appeals[0] > appeals[1] > 0  # no deadline lets more appeals in than a one-day window
