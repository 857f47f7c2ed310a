"""The memory estimate of a run, checked before any work: what a citizen, a tie and a ledger
event cost at the run's peak, and whether that fits in this machine's free memory.

`validate.check_run` refuses a run that would not fit (a ParameterError on `population`);
the CLI says the same before numpy loads the rest of the engine. docs/benchmarks.md ("The
memory estimate") has the measurements behind the numbers.
"""

from __future__ import annotations

from ..rulebook.schema import Rulebook

# What the memory estimate is made of, measured with /usr/bin/time -v on `scslab run rongcheng
# -n N --out DIR` (2 lists, mean degree 12): the interpreter with numba, pandas and pyarrow
# loaded, 362 MB at 2,000 citizens (maximum resident set); then 220 bytes per citizen at 1e6
# (20 days) and 183 at 1e7 (10 days): the estimate's 200 puts it 4% under the first peak
# and 8% over the second (docs/benchmarks.md, "The memory estimate"). An event of
# the ledger at the peak: its row in object columns, then the Arrow table and the DataFrame
# made from it (measured: 391 and 394 bytes per event, rongcheng 1e5 x 120 and x 240 days,
# full ledger).
BASE_BYTES = 362_000_000
LEDGER_BYTES_PER_EVENT = 400
# Ledger events per citizen and day, per unit of the behaviours' summed base rates: acts,
# their records, listings, sector changes, appeals (rongcheng: 0.0235 events a citizen-day
# for base rates summing to 0.0131, 1.8).
EVENTS_PER_BASE_RATE = 1.9
DEFAULT_EVENT_RATE = 0.03  # events a citizen-day when the rulebooks are not known (pilots: 0.019 to 0.056)


def event_rate(rulebooks) -> float:
    """Ledger events per citizen and day to expect of these rulebooks (the largest)."""
    rates = [sum(b.base_rate for b in r.behaviours) for r in rulebooks if isinstance(r, Rulebook)]
    return EVENTS_PER_BASE_RATE * max(rates) if rates else DEFAULT_EVENT_RATE


def estimate_bytes(population: int, mean_degree: float, n_lists: int, ledger: float = 0.0, steps: int = 365,
                   events_per_day: float = DEFAULT_EVENT_RATE) -> int:
    """Peak memory of a run that writes its folder: the interpreter, the state, the tie
    graph (and its construction), the result tables and, with a ledger, its events.

    `n_lists` is the lists one municipality's rulebook keeps (a nation's shards each keep
    their own). The ledger grows with the days: `ledger` x citizens x `steps` x
    `events_per_day` events of LEDGER_BYTES_PER_EVENT each.
    """
    per_citizen = (19  # traits and the municipality column
                   + 95 + 7 * n_lists  # the shard's state: scores, counters, list state per list, row pointers
                   + 16  # the two public views
                   + 10)  # the end of the run: the table's widened columns, the Parquet writer's buffers
    per_tie = 2 * 4  # two stored ends (int32, a dropped one as its complement)
    ledger_bytes = float(ledger) * population * steps * events_per_day * LEDGER_BYTES_PER_EVENT
    return int(BASE_BYTES + population * per_citizen + population * mean_degree / 2 * per_tie + ledger_bytes)


def available_bytes() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def memory_problem(population: int, mean_degree: float, n_lists: int, ledger: float = 0.0, steps: int = 365,
                   events_per_day: float = DEFAULT_EVENT_RATE) -> str | None:
    """A message if the run would not fit in this machine's free memory, else None."""
    need = estimate_bytes(population, mean_degree, n_lists, ledger, steps, events_per_day)
    have = available_bytes()
    if have is not None and need > 0.9 * have:
        hint = "a smaller --population" + (", a smaller --ledger share or fewer --steps" if ledger else "")
        return (f"a run of {population:,} citizens{' with its ledger' if ledger else ''} needs about "
                f"{need / 2**30:.1f} GiB, but only {have / 2**30:.1f} GiB is free; use {hint}")
    return None
