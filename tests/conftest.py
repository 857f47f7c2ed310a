"""Shared fixtures. Keep this minimal: put fixtures used by one module in that module."""

from __future__ import annotations

import pytest

# A small valid rulebook in block style (line numbers matter to the loader tests).
MINI_RULEBOOK = """\
metadata:
  name: mini
  title: Minimal
  jurisdiction: nowhere
  version: "1"
  effective: 2020-01-01
scale: {base: 50, min: 0, max: 100}
grades:
  - {name: low, min: 0, max: 40}
  - {name: high, min: 40, max: 100}
data_sources:
  - id: bank
    kind: bank
    coverage: {default: 0.9}
behaviours:
  - id: a
    domain: finance
    legal_status: contractual
    points: -10
    social_value: -0.3
    utility: 0.3
    base_rate: 0.001
    sources: [bank]
lists:
  - id: bad
    kind: blacklist
    trigger: {score_below: 40}
    duration_days: 365
sanctions:
  - {id: s1, sector: loans, applies_to: {list: bad}, magnitude: 1}
"""


@pytest.fixture
def mini_rulebook_yaml() -> str:
    """YAML text of a minimal valid rulebook: one behaviour, one list, one sanction."""
    return MINI_RULEBOOK
