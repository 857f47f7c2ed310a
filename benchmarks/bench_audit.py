"""How long the audit takes on a large rulebook (1,000 behaviours by default).

    .venv/bin/python benchmarks/bench_audit.py [N_BEHAVIOURS]

Prints timings; asserts nothing (timings never go in tests).
"""

from __future__ import annotations

import random
import sys
import time

import yaml

from scslab.audit import audit
from scslab.audit.examples import BASE
from scslab.rulebook.loader import validate_rulebook
from scslab.rulebook.schema import DOMAINS, LEGAL_STATUSES, SECTORS
from scslab.rulebook.yaml_nodes import parse_yaml


def big_rulebook(n: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    data = yaml.safe_load(BASE)
    words = ["late", "unpaid", "fee", "loan", "rent", "speeding", "noise", "fraud", "tax", "permit", "waste", "queue"]
    data["data_sources"] += [{"id": f"src{i}", "kind": "government", "coverage": {"default": 0.5}} for i in range(20)]
    data["behaviours"] += [{
        "id": f"b{i}", "label": " ".join(rng.sample(words, 3)) + f" {i}", "domain": rng.choice(DOMAINS),
        "legal_status": rng.choice(LEGAL_STATUSES), "points": rng.randint(-100, 30),
        "social_value": round(rng.uniform(-1, 1), 2), "utility": 0.1, "base_rate": 0.001,
        "sources": [f"src{rng.randrange(20)}"], "evidence": rng.choice(["final_decision", "record", "report"]),
    } for i in range(n - 1)]
    data["lists"] += [{"id": f"l{j}", "kind": "blacklist", "duration_days": 730, "legal_basis": "Act",
                       "trigger": {"behaviours": [f"b{rng.randrange(n - 1)}" for _ in range(5)]}} for j in range(10)]
    data["lists"].append({"id": "low", "kind": "blacklist", "duration_days": 365, "trigger": {"score_below": 30}})
    data["sanctions"] += [{"id": f"s{k}", "sector": rng.choice(SECTORS), "magnitude": 1.0,
                           "applies_to": {"list": rng.choice(["low"] + [f"l{j}" for j in range(10)])}} for k in range(30)]
    return yaml.safe_dump(data, sort_keys=False)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    text = big_rulebook(n)
    t0 = time.perf_counter()
    located = parse_yaml(text, "big.yaml")
    rb = validate_rulebook(located, "big.yaml")
    t1 = time.perf_counter()
    report = audit(rb, located=located, file="big.yaml")
    t2 = time.perf_counter()
    _ = report.verdict
    t3 = time.perf_counter()
    print(f"behaviours={n} bytes={len(text):,} findings={len(report.findings):,} rules={len(report.rules)}")
    print(f"parse+validate: {t1 - t0:.3f} s   audit ({len(report.rules)} rules): {t2 - t1:.3f} s   verdict: {t3 - t2:.3f} s")


if __name__ == "__main__":
    main()
