"""What the engine's counts mean (issue 12): the false share of a source's records, excusable
acts reaching courts, listed days, points granted, and points lost through ties."""

from __future__ import annotations

import numpy as np

from scslab.engine import EngineParams, simulate
from scslab.rulebook import parse_rulebook

# Two sources with false records: a bank that files any default it sees, and a court that
# hears the context. Strong deductions, so the strategic weight sets how much deterrence.
FALSE_SHARE_RULEBOOK = """
metadata: {name: false-share, title: False share, jurisdiction: Testland, version: "1", effective: 2020-01-01}
scale: {base: 100, min: 0, max: 200}
grades:
  - {name: low, min: 0, max: 90}
  - {name: high, min: 90, max: 200}
data_sources:
  - {id: bank, kind: bank, coverage: {urban: 0.9, default: 0.6}, false_record_rate: 0.2}
  - {id: court, kind: court, adjudicated: true, coverage: {default: 0.9}, false_record_rate: 0.05}
behaviours:
  - {id: default_loan, domain: finance, legal_status: contractual, points: -40, social_value: -0.4, utility: 0.4, base_rate: 0.01, sources: [bank], excusable: 0.3}
  - {id: fraud, domain: commerce, legal_status: criminal, points: -80, social_value: -0.8, utility: 0.7, base_rate: 0.005, sources: [court], excusable: 0.2}
lists:
  - {id: black, kind: blacklist, trigger: {behaviours: [fraud], min_records: 1}, duration_days: 30}
sanctions:
  - {id: no_loans, sector: loans, applies_to: {grades: [low]}, magnitude: 1}
decay: {negative_half_life_days: 10}
"""


def _records_by_source(run) -> dict[str, tuple[int, int]]:
    """(true records, false records) per source, from the ledger."""
    ev = run.events
    rec = ev[ev.kind == "record"]
    out = {}
    for s, g in rec.groupby("source"):
        false = int((g.truth == "false").sum())
        out[s] = (len(g) - false, false)
    return out


def test_the_false_share_of_a_source_is_its_configured_rate_at_any_deterrence():
    rb = parse_rulebook(FALSE_SHARE_RULEBOOK)
    rates = {s.id: s.false_record_rate for s in rb.data_sources}
    acts = []
    for w in (0.0, 3.0, 20.0):  # no deterrence by points, the default, strong
        run = simulate(rb, population=4_000, steps=120, seed=5, ledger=1.0, params=EngineParams(w_strategic=w))
        acts.append(int(run.steps.acts_harm.sum()))
        for s, (true, false) in _records_by_source(run).items():
            f = rates[s]
            # False records are Poisson with mean (true records) x f / (1 - f), so the share
            # false / (true + false) is f in expectation; allow four standard deviations.
            mean = true * f / (1 - f)
            assert abs(false - mean) <= 4 * np.sqrt(mean) + 1, (w, s, true, false, false / (true + false), f)
    # The check means something only if deterrence moved the true acts a lot.
    assert acts[2] < 0.6 * acts[0], acts
