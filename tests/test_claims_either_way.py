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
to be realistic; the engine's behavioural parameters are left at their defaults. The
verdicts were also checked on seeds 4..6 (`run_cases(folder, first_seed=4)`), outside the test.
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

pytestmark = pytest.mark.slow  # one comparison of 28 rulebooks (about 285 runs); CI runs it

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
    return add("sanctions", *({"id": f"no_{s}", "sector": s, "applies_to": {"list": "defaulters"},
                               "magnitude": 1} for s in sectors))


def rulebooks() -> dict[str, dict]:
    """Every rulebook of the module by name; each pair shares all but the commented change."""
    b: dict[str, dict] = {}

    def put(name: str, *changes) -> None:
        b[name] = _book(name, *changes)

    # Arrears put a citizen on a blacklist for a year, and nothing else happens: C3's world with
    # perfect records, and C2's and C5's worlds with their mechanism removed.
    put("defaulters", add("lists", DEFAULTERS))

    # C1. The registry records petitioning, which is lawful.
    c1 = (add("behaviours", PETITION),)
    # holds: petitioning costs 10 points, half of all points deducted
    put("c1-lawful-scored", *c1)
    # fails: petitioning is recorded but costs nothing; only arrears (contractual) are punished
    put("c1-lawful-unscored", *c1, behaviour("petition", points=0))
    # not tested: nothing is punished at all
    put("c1-unpunished", *c1, behaviour("petition", points=0), behaviour("arrears", points=0))

    # C2. Arrears put a citizen on the defaulters' blacklist, whose sanctions restrict some sectors.
    # holds: a debt bars trains, planes and schools, none related to finance
    put("c2-unrelated-sectors", add("lists", DEFAULTERS), sanctions("rail", "air", "schools"))
    # fails: a debt bars loans and mortgages, both related to finance
    put("c2-related-sectors", add("lists", DEFAULTERS), sanctions("loans", "mortgages"))
    # not tested: "defaulters" lists people but restricts no sector

    # C3. The defaulters' blacklist.
    errors = (source("bank", false_record_rate=0.2), behaviour("arrears", excusable=0.3))
    # holds: 20% of the bank's records are false and 30% of arrears have a context it cannot see
    put("c3-bad-records", add("lists", DEFAULTERS), *errors)
    # fails: "defaulters", where records are perfect, so only true, inexcusable arrears list anyone
    # not tested: the same bad records, and no list
    put("c3-no-blacklist", *errors)

    # C4. Arrears cost 4 points and are frequent (2% a day), so that each cell of the virtue
    # decile x buffer quartile table sees enough of them; keeping data private costs 0.05 points
    # a day, which spreads scores as people disclose at different times. One grade boundary.
    c4 = (behaviour("arrears", points=-4, base_rate=0.02), block("disclosure", penalty=0.05))
    # holds: the boundary is 3 points below the start, so those near it fear a deduction and those
    # far above it do not; responding to points widens the high-minus-low buffer harm gap
    put("c4-threshold-near", *c4, cut_at(47))
    # fails: the boundary is at 2, which no score comes near: no buffer changes what a point costs
    put("c4-threshold-far", *c4, cut_at(2))
    # not tested: no boundary at all, so points buy nothing
    put("c4-no-threshold", *c4)

    # C5. Every blacklisted tie costs 2 points a day.
    c5 = (block("network", association_penalty=2.0),)
    # holds: defaulters are listed, and their offence-free friends pay for them
    put("c5-ties-listed", *c5, add("lists", DEFAULTERS))
    # fails: the list needs 1,000 records in 30 days, so nobody is listed and the penalty never bites
    put("c5-nobody-listed", *c5, add("lists", {**DEFAULTERS, "trigger": {
        "behaviours": ["arrears"], "min_records": 1000, "window_days": 30}}))
    # not tested: "defaulters", where ties cost nothing

    # C6. Scores spread by arrears (-10) and volunteering (+5); each day a score closes a share of
    # the gap to the mean score of one's ties. (The gain in assortativity is not monotone in the
    # share: from 10% a day, scores converge over the whole small-world network and it shrinks.)
    c6 = (add("behaviours", VOLUNTEER),)
    # holds: 2% a day: friends' scores converge, and score assortativity rises by about 0.12
    put("c6-peer-pull", *c6, block("network", peer_weight=0.02))
    # fails: 0.02% a day closes 3% of the gap over a run: scores barely flow through ties
    put("c6-faint-pull", *c6, block("network", peer_weight=0.0002))
    # not tested: no pull, no dropping of ties: scores and ties never meet
    put("c6-no-pull", *c6)

    # C7. Keeping data private costs points every day. Arrears cost 1 point here, not 10: the
    # paired run without the penalty draws other acts (disclosure is drawn first from the day's
    # random stream), and chance in who defaulted would otherwise swamp a gap of 1% of the scale.
    c7 = (behaviour("arrears", points=-1),)
    # holds: 0.2 points a day, 30 over a run: those who keep their data private fall behind
    put("c7-privacy-penalised", *c7, block("disclosure", penalty=0.2))
    # fails: 0.001 points a day, 0.15 over a run: a token charge nobody's score feels
    put("c7-token-penalty", *c7, block("disclosure", penalty=0.001))
    # not tested: disclosing is rewarded once, keeping data private costs nothing
    put("c7-disclosure-rewarded", *c7, block("disclosure", reward=2.0))

    # C8. Volunteering (social value 0.5) earns 5 points; the registry records app check-ins
    # (social value 0).
    c8 = (add("behaviours", VOLUNTEER, CHECKIN),)
    # holds: check-ins earn 5 points too: the measurable is paid, not only the good
    put("c8-checkins-rewarded", *c8)
    # fails: check-ins earn nothing; every point granted is for real good
    put("c8-virtue-rewarded", *c8, behaviour("app_checkin", points=0))
    # not tested: nothing earns points
    put("c8-no-rewards", *c8, behaviour("app_checkin", points=0), behaviour("volunteer", points=0))

    # C9. Arrears (3% a day, every one excusable: debtors who cannot pay) put people on the
    # blacklist, so every listing is wrongful; the rules are not published, so people barely
    # respond and listings follow what the bank sees. The registry records late returns, which
    # list nobody. One source sees urban 0.9, migrant 0.5, rural 0.15; the other all at 0.9.
    gap, flat = {"urban": 0.9, "migrant": 0.5, "rural": 0.15}, {"default": 0.9}
    c9 = (add("lists", DEFAULTERS), add("behaviours", LATE_RETURN),
          behaviour("arrears", base_rate=0.03, excusable=1.0), block("publicity", rules_published=False))
    # holds: the gap is on the bank, whose records list people: rural debtors are listed far less
    put("c9-listing-source-gap", *c9, source("bank", coverage=gap), source("registry", coverage=flat))
    # fails: the gap is on late returns, which list nobody; the bank sees every group alike
    put("c9-other-source-gap", *c9, source("bank", coverage=flat), source("registry", coverage=gap))
    # not tested: every group is seen alike by both sources
    put("c9-equal-coverage", *c9, source("bank", coverage=flat), source("registry", coverage=flat))

    # C10, C11. Arrears do harm, volunteering does good; law and markets act alike in all three.
    c10 = (add("behaviours", VOLUNTEER),)
    # holds: the code takes 30 points for arrears and lists defaulters, deterring much of the harm:
    # trust rises against the same rulebook with code off, and code cuts more harm than law
    put("c10-code-deters", *c10, behaviour("arrears", points=-30), behaviour("volunteer", points=0),
        add("lists", DEFAULTERS))
    # fails: the code only rewards volunteering, which reduces no harm: trust is as with code off,
    # and law (and the market) do all the regulating
    put("c10-code-rewards", *c10, behaviour("arrears", points=0))
    # not tested: the code scores nothing
    put("c10-no-code", *c10, behaviour("arrears", points=0), behaviour("volunteer", points=0))
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
