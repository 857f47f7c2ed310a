"""Every claim can come out either way: the definition of each metric's validity.

For each claim C1..C11 there is a pair of small rulebooks built from one base (`BASE`): in
the first the claim must hold ("supported"); in the second the claim's mechanism is present
but does not produce the claimed effect ("not supported"). The two differ only where the
comment on each says. A third rulebook has the mechanism removed and must read "not
tested", with a reason. Everything runs through the real comparison (paired counterfactual
runs on the same seeds, t-intervals over seeds, the registry's margins), once for the whole
module.

Do not change a metric, a margin or the verdict logic to make a case here pass: if a claim
cannot be made to come out one way with a sensible rulebook, that is a finding. The
rulebooks' numbers are chosen to make each world clear (large penalties, high rates), not
to be realistic; the engine's behavioural parameters are left at their defaults.
"""

from __future__ import annotations

import copy
import datetime
from itertools import pairwise
from pathlib import Path

import pytest
import yaml

from scslab.experiments import CompareConfig, compare
from scslab.metrics.claims import NOT_SUPPORTED, NOT_TESTED, SUPPORTED

POPULATION, STEPS, SEEDS, FIRST_SEED = 3_000, 150, 3, 1

# One small system: a bank records arrears (a harmful, contractual act) and deducts 10 points;
# a government registry is there for the acts some variants add. One grade: no score
# threshold, so points buy nothing unless a variant adds one.
BASE = {
    "metadata": {"name": "base", "title": "Either-way base", "jurisdiction": "nowhere", "version": "1",
                 "effective": datetime.date(2020, 1, 1)},
    "scale": {"base": 50, "min": 0, "max": 100},
    "grades": [{"name": "all", "min": 0, "max": 100}],
    "data_sources": [
        {"id": "bank", "kind": "bank", "coverage": {"default": 0.9}},
        {"id": "registry", "kind": "government", "coverage": {"default": 0.9}},
    ],
    "behaviours": [
        {"id": "arrears", "domain": "finance", "legal_status": "contractual", "points": -10,
         "social_value": -0.3, "utility": 0.3, "base_rate": 0.005, "sources": ["bank"]},
    ],
}

# Parts some variants add.
DEFAULTERS = {"id": "defaulters", "kind": "blacklist", "trigger": {"behaviours": ["arrears"], "min_records": 1},
              "duration_days": 365}
PETITION = {"id": "petition", "domain": "political", "legal_status": "lawful", "points": -10,
            "social_value": 0.1, "utility": 0.2, "base_rate": 0.005, "sources": ["registry"]}
VOLUNTEER = {"id": "volunteer", "domain": "civic", "legal_status": "lawful", "points": 5,
             "social_value": 0.5, "utility": -0.1, "base_rate": 0.01, "sources": ["registry"]}
CHECKIN = {"id": "app_checkin", "domain": "online", "legal_status": "lawful", "points": 5,
           "social_value": 0.0, "utility": 0.0, "base_rate": 0.01, "sources": ["registry"]}
LATE_RETURN = {"id": "late_return", "domain": "consumption", "legal_status": "contractual", "points": -2,
               "social_value": -0.1, "utility": 0.1, "base_rate": 0.005, "sources": ["registry"]}


# --- building variants of the base ----------------------------------------------------------

def _book(name: str, *changes) -> dict:
    rb = copy.deepcopy(BASE)
    rb["metadata"]["name"] = name
    rb["metadata"]["title"] = f"Either way: {name}"
    for change in changes:
        change(rb)
    return rb


def _find(items: list[dict], key: str) -> dict:
    return next(x for x in items if x["id"] == key)


def add(part: str, *items: dict):
    return lambda rb: rb.setdefault(part, []).extend(copy.deepcopy(list(items)))


def behaviour(bid: str, **fields):
    return lambda rb: _find(rb["behaviours"], bid).update(fields)


def source(sid: str, **fields):
    return lambda rb: _find(rb["data_sources"], sid).update(fields)


def block(part: str, **fields):
    return lambda rb: rb.setdefault(part, {}).update(fields)


def cut_at(*cuts: float):
    """Grade boundaries (score thresholds) at `cuts` on the base's 0..100 scale."""
    def change(rb):
        edges = [0, *cuts, 100]
        rb["grades"] = [{"name": f"g{k}", "min": lo, "max": hi} for k, (lo, hi) in enumerate(pairwise(edges))]
    return change


def sanctions(*sectors: str):
    return add("sanctions", *({"id": f"no_{s}", "sector": s, "applies_to": {"list": "defaulters"}, "magnitude": 1}
                              for s in sectors))


def rulebooks() -> dict[str, dict]:
    """Every rulebook of the module by name; each pair shares all but the commented change."""
    b = {}
    # Arrears put a citizen on a blacklist for a year, and nothing else happens: C3's world with
    # perfect records, and C2's and C5's worlds with their mechanism removed.
    b["defaulters"] = _book("defaulters", add("lists", DEFAULTERS))

    # C1. Petitioning (lawful) is recorded by the registry.
    c1 = (add("behaviours", PETITION),)
    b["c1-lawful-scored"] = _book("c1-lawful-scored", *c1)  # petitioning costs 10 points: lawful conduct punished
    b["c1-lawful-unscored"] = _book("c1-lawful-unscored", *c1, behaviour("petition", points=0))  # only arrears cost points
    b["c1-unpunished"] = _book("c1-unpunished", *c1, behaviour("petition", points=0),
                               behaviour("arrears", points=0))  # nothing is punished at all

    # C2. Arrears put a citizen on a blacklist for a year; its sanctions are in some sectors.
    c2 = (add("lists", DEFAULTERS),)
    b["c2-unrelated-sectors"] = _book("c2-unrelated-sectors", *c2, sanctions("rail", "air", "schools"))  # a debt bars trains, planes and schools
    b["c2-related-sectors"] = _book("c2-related-sectors", *c2, sanctions("loans", "mortgages"))  # a debt bars credit only

    # C3. The same blacklist; the bank's records are false 20% of the time and 30% of arrears
    # have a context the record lacks, or the records are perfect.
    c3 = (add("lists", DEFAULTERS),)
    errors = (source("bank", false_record_rate=0.2), behaviour("arrears", excusable=0.3))
    b["c3-bad-records"] = _book("c3-bad-records", *c3, *errors)  # false and context-free records list people
    # ("defaulters": only true, inexcusable records list anyone)
    b["c3-no-blacklist"] = _book("c3-no-blacklist", *errors)  # the same records, and no list

    # C4. Arrears cost 4 points and are frequent (2% a day), so each cell of the virtue decile x
    # buffer quartile table sees enough of them; keeping data private costs 0.05 points a day,
    # which spreads scores as people disclose at different times. One grade boundary.
    c4 = (behaviour("arrears", points=-4, base_rate=0.02), block("disclosure", penalty=0.05))
    b["c4-threshold-near"] = _book("c4-threshold-near", *c4, cut_at(47))  # 3 points above it at the start: points at stake
    b["c4-threshold-far"] = _book("c4-threshold-far", *c4, cut_at(2))  # a boundary nobody comes near: no buffer matters
    b["c4-no-threshold"] = _book("c4-no-threshold", *c4)  # no boundary: points buy nothing

    # C5. Every blacklisted tie costs 2 points a day.
    c5 = (block("network", association_penalty=2.0),)
    b["c5-ties-listed"] = _book("c5-ties-listed", *c5, add("lists", DEFAULTERS))  # defaulters' friends pay for them
    b["c5-nobody-listed"] = _book("c5-nobody-listed", *c5, add("lists", {  # a list needing 1,000 records in 30 days:
        **DEFAULTERS, "trigger": {"behaviours": ["arrears"], "min_records": 1000, "window_days": 30}}))  # never bites

    # C6. Scores spread by arrears (-10) and volunteering (+5); each day a score closes a share
    # of the gap to the mean score of one's ties. (The gain in assortativity is not monotone in
    # the share: at 10% a day or more, scores converge over the whole small-world network and
    # the gain shrinks toward the margin.)
    c6 = (add("behaviours", VOLUNTEER),)
    b["c6-peer-pull"] = _book("c6-peer-pull", *c6, block("network", peer_weight=0.02))  # 2% a day: friends' scores converge
    b["c6-faint-pull"] = _book("c6-faint-pull", *c6, block("network", peer_weight=0.0002))  # 0.02% a day: 3% of the gap a run
    b["c6-no-pull"] = _book("c6-no-pull", *c6)  # scores never flow through ties

    # C7. Keeping data private costs points every day. Arrears cost 1 point here, not 10: the
    # paired run without the penalty draws other acts (disclosure is drawn first from the day's
    # random stream), and chance in who defaulted would otherwise swamp a gap of 1% of the scale.
    c7 = (behaviour("arrears", points=-1),)
    b["c7-privacy-penalised"] = _book("c7-privacy-penalised", *c7, block("disclosure", penalty=0.2))  # 30 points a run
    b["c7-token-penalty"] = _book("c7-token-penalty", *c7, block("disclosure", penalty=0.001))  # 0.15 points a run
    b["c7-disclosure-rewarded"] = _book("c7-disclosure-rewarded", *c7,
                                        block("disclosure", reward=2.0))  # disclosing rewarded, privacy not penalised

    # C8. Volunteering (social value 0.5) earns 5 points; an app check-in (social value 0) is recorded.
    c8 = (add("behaviours", VOLUNTEER, CHECKIN),)
    b["c8-checkins-rewarded"] = _book("c8-checkins-rewarded", *c8)  # check-ins earn 5 points too: the measurable pays
    b["c8-virtue-rewarded"] = _book("c8-virtue-rewarded", *c8, behaviour("app_checkin", points=0))  # only real good earns
    b["c8-no-rewards"] = _book("c8-no-rewards", *c8, behaviour("app_checkin", points=0),
                               behaviour("volunteer", points=0))  # nothing earns points

    # C9. Arrears (3% a day, every one excusable: debtors who cannot pay) put people on the
    # blacklist; the rules are not published, so people barely respond to them and listings
    # follow what the sources see. The registry records late returns, which list nobody.
    # One source sees some groups less: urban 0.9, migrant 0.5, rural 0.15; the other sees all at 0.9.
    gap, flat = {"urban": 0.9, "migrant": 0.5, "rural": 0.15}, {"default": 0.9}
    c9 = (add("lists", DEFAULTERS), add("behaviours", LATE_RETURN), behaviour("arrears", base_rate=0.03, excusable=1.0),
          block("publicity", rules_published=False))
    b["c9-listing-source-gap"] = _book("c9-listing-source-gap", *c9, source("bank", coverage=gap),
                                       source("registry", coverage=flat))  # the gap is on the bank, which lists people
    b["c9-other-source-gap"] = _book("c9-other-source-gap", *c9, source("bank", coverage=flat),
                                     source("registry", coverage=gap))  # the gap is on late returns, which list nobody
    b["c9-equal-coverage"] = _book("c9-equal-coverage", *c9, source("bank", coverage=flat),
                                   source("registry", coverage=flat))  # every group seen alike

    # C10, C11. Arrears do harm; volunteering does good. Law and markets act the same in all three.
    c10 = (add("behaviours", VOLUNTEER),)
    b["c10-code-deters"] = _book("c10-code-deters", *c10, behaviour("arrears", points=-30), behaviour("volunteer", points=0),
                                 add("lists", DEFAULTERS))  # the code takes 30 points for arrears and lists defaulters
    b["c10-code-rewards"] = _book("c10-code-rewards", *c10, behaviour("arrears", points=0))  # it only rewards volunteering
    b["c10-no-code"] = _book("c10-no-code", *c10, behaviour("arrears", points=0),
                             behaviour("volunteer", points=0))  # it scores nothing
    return b


# claim -> (rulebook where it holds, where it does not hold, where its mechanism is absent)
CASES = {
    "C1": ("c1-lawful-scored", "c1-lawful-unscored", "c1-unpunished"),
    "C2": ("c2-unrelated-sectors", "c2-related-sectors", "defaulters"),
    "C3": ("c3-bad-records", "defaulters", "c3-no-blacklist"),
    "C4": ("c4-threshold-near", "c4-threshold-far", "c4-no-threshold"),
    "C5": ("c5-ties-listed", "c5-nobody-listed", "defaulters"),
    "C6": ("c6-peer-pull", "c6-faint-pull", "c6-no-pull"),
    "C7": ("c7-privacy-penalised", "c7-token-penalty", "c7-disclosure-rewarded"),
    "C8": ("c8-checkins-rewarded", "c8-virtue-rewarded", "c8-no-rewards"),
    "C9": ("c9-listing-source-gap", "c9-other-source-gap", "c9-equal-coverage"),
    "C10": ("c10-code-deters", "c10-code-rewards", "c10-no-code"),
    "C11": ("c10-code-deters", "c10-code-rewards", "c10-no-code"),
}
LEVER_BOOKS = CASES["C11"][:2]  # C11 decomposes harm over the 16 lever combinations (16 runs per seed each)


def write_rulebook(folder: Path, name: str, rb: dict) -> str:
    path = Path(folder) / f"{name}.yaml"
    path.write_text(yaml.safe_dump(rb, sort_keys=False), encoding="utf-8")
    return str(path)


def run_cases(folder: Path, first_seed: int = FIRST_SEED, population: int = POPULATION, steps: int = STEPS,
              workers: int = 2):
    """The one comparison behind every test: all rulebooks, the same seeds. Returns it and the paths."""
    paths = {n: write_rulebook(folder, n, rb) for n, rb in rulebooks().items()}
    cfg = CompareConfig(pilots=tuple(paths.values()), population=population, steps=steps, seeds=SEEDS,
                        first_seed=first_seed, references=False, levers=tuple(paths[n] for n in LEVER_BOOKS),
                        workers=workers)
    return compare(cfg), paths


@pytest.fixture(scope="module")
def either_way(tmp_path_factory):
    return run_cases(tmp_path_factory.mktemp("either-way"))


def _show(cmp, path: str, cid: str) -> str:
    iv = cmp.tested[path].get(cid)
    got = f"{iv.mean:+.4f} [{iv.lo:+.4f}, {iv.hi:+.4f}] over {iv.n} seeds" if iv is not None else "no interval"
    return f"{Path(path).stem}: {cid} {cmp.verdicts[path][cid]} ({got}) {cmp.reasons[path].get(cid, '')}"


@pytest.mark.parametrize("cid", list(CASES))
def test_claim_can_go_either_way(either_way, cid):
    cmp, paths = either_way
    holds, fails, _ = (paths[n] for n in CASES[cid])
    assert cmp.verdicts[holds][cid] == SUPPORTED, _show(cmp, holds, cid)
    assert cmp.verdicts[fails][cid] == NOT_SUPPORTED, _show(cmp, fails, cid)


@pytest.mark.parametrize("cid", list(CASES))
def test_claim_without_its_mechanism_is_not_tested(either_way, cid):
    cmp, paths = either_way
    removed = paths[CASES[cid][2]]
    assert cmp.verdicts[removed][cid] == NOT_TESTED, _show(cmp, removed, cid)
    assert cmp.reasons[removed][cid], _show(cmp, removed, cid)
