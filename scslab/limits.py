"""The limits and defaults of a run, defined once.

`scslab.engine.config.RunConfig` validates a run against these; the CLI checks its flags
with them before numpy, numba or the engine are imported (so this module imports nothing),
and the society's spec, the comparisons and the sweeps use the same numbers.
"""

from __future__ import annotations

MAX_POPULATION = 2_000_000_000  # citizens in one run (SocietySpec.n; global ids are int32)
MAX_MUNICIPALITIES = 10_000  # municipalities in one society (SocietySpec.municipalities)
# Days in one run: step numbers are stored as uint16 below engine.state.FOREVER (asserted there).
MAX_STEPS = 36_500
MAX_SEED = 2**63 - 1  # seeds are 63-bit ints (numpy SeedSequence entropy, int64 columns)
LEVER_NAMES = ("law", "market", "norms", "code")  # Lessig's four regulators (engine.params.Levers)
# Pooled events (over seeds) below which a claim counted in events cannot read supported or
# not supported (scslab.metrics.claims.too_few_events; docs/metrics.md).
MIN_EVENTS = 30

DEFAULT_POPULATION = 10_000
DEFAULT_STEPS = 365
DEFAULT_SEED = 0
# With no save_ties given, the final tie list is kept for runs up to this many citizens.
SAVE_TIES_UP_TO = 50_000
