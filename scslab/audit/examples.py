"""The minimal clean rulebook that every rule's doc example is merged into.

A rule's example is a YAML fragment; `example_rulebook(fragment)` merges it into `BASE`:
mappings merge key by key, lists of objects with an `id` (or a grade `name`) merge by that
key (a new id is appended, a known id is updated), other lists are replaced. BASE itself
is a driving-licence penalty-points scheme that passes every rule.
"""

from __future__ import annotations

import copy

import yaml

BASE = """\
metadata:
  name: example
  title: Driving licence penalty points
  jurisdiction: Exampleland
  version: "1"
  published: 2024-01-01
  effective: 2024-03-01
  purpose: road safety
scale: {base: 100, min: 0, max: 100}
grades:
  - {name: restricted, min: 0, max: 50}
  - {name: clear, min: 50, max: 100}
data_sources:
  - {id: traffic_court, kind: court, adjudicated: true, coverage: {default: 0.5}}
behaviours:
  - {id: speeding, label: "driving above the speed limit, as found by a court", domain: traffic,
     legal_status: administrative, points: -10, social_value: -0.3, utility: 0.2,
     base_rate: 0.001, sources: [traffic_court], evidence: final_decision}
lists:
  - id: disqualified_drivers
    kind: blacklist
    trigger: {behaviours: [speeding], min_records: 4, window_days: 1095}
    duration_days: 365
    legal_basis: Road Traffic Act s. 35
sanctions:
  - {id: licence_suspension, sector: driving_licences, applies_to: {list: disqualified_drivers},
     magnitude: 1.0, legal_basis: Road Traffic Act s. 35}
appeals: {available: true, deadline_days: 30, latency_days: 30, review_accuracy: 0.9,
          independent_reviewer: true}
decay:
  negative_half_life_days: 365
  record_retention_days: 1095
  repair: {available: true, min_days: 90}
"""


def _key(item):
    if isinstance(item, dict):
        for k in ("id", "name"):
            if k in item:
                return (k, item[k])
    return None


def merge(base, fragment):
    """Deep-merge fragment into a copy of base (see the module docstring)."""
    if isinstance(base, dict) and isinstance(fragment, dict):
        out = copy.deepcopy(base)
        for k, v in fragment.items():
            out[k] = merge(out[k], v) if k in out else copy.deepcopy(v)
        return out
    if isinstance(base, list) and isinstance(fragment, list) and fragment and all(_key(x) for x in fragment):
        out = copy.deepcopy(base)
        index = {_key(x): i for i, x in enumerate(out)}
        for x in fragment:
            k = _key(x)
            if k in index:
                out[index[k]] = merge(out[index[k]], x)
            else:
                out.append(copy.deepcopy(x))
        return out
    return copy.deepcopy(fragment)


def example_data(fragment: str) -> dict:
    return merge(yaml.safe_load(BASE), yaml.safe_load(fragment) or {})


def example_text(fragment: str) -> str:
    """A full rulebook (YAML text) made of BASE and the fragment."""
    return yaml.safe_dump(example_data(fragment), sort_keys=False, width=100)
