"""The memory estimate of a run, checked before any work: what a citizen, a tie and a ledger
event cost at the run's peak, and whether that fits in this machine's free memory.

`validate.check_run` refuses a run that would not fit (a ParameterError on `population`);
the CLI says the same before numpy loads the rest of the engine. docs/benchmarks.md ("The
memory estimate") has the measurements behind the numbers.
"""

from __future__ import annotations

from ..rulebook.schema import Rulebook

# What the memory estimate is made of, measured with /usr/bin/time -v on `scslab run rongcheng
# -n N -t 365 --seed 1 --out DIR` (2 lists, mean degree 12; docs/scaling.md, "The memory
# estimate against the measured peaks"): 554 MB at 1e6 and 2,174 MB at 1e7, so 180 bytes a
# citizen (ties included) over a fixed 374 MB (the interpreter with numba, pandas and
# pyarrow, 297 MB at 2,000 citizens, and the allocator's share at these sizes). Per citizen:
# its traits (17), the two public views (16), the shard's state without lists (scores,
# counters, wealth, trust, row pointers, flags: 85 measured), 7 per list the shard keeps
# and 4 per tie end; the end of the run (the table's widened columns, the Parquet writer's
# row groups) stays below the step loop's peak, which the tie graph sets. An event of the
# ledger at the peak: its row in object columns, then the Arrow table and the DataFrame
# made from it (measured: 391 and 394 bytes per event, rongcheng 1e5 x 120 and x 240 days,
# full ledger).
BASE_BYTES = 374_000_000
PER_CITIZEN_BYTES = 17 + 16 + 85  # traits, views, the shard's state without its lists
PER_LIST_BYTES = 7  # a list's state per citizen (its end step, and the fields its rules read)
PER_TIE_END_BYTES = 4  # int32, a dropped end stored as its complement
# A nation's shards keep each tie end that crosses to another municipality four times over
# (the entry, its row, the partner's id and its place in the partner order: int32 each), and
# the run keeps a row of aggregates per municipality and day (a dict of about 65 numbers)
# until the tables are made: measured with `scslab nation pilots-43 -n N -t T --out DIR`,
# 448 MB at 1e5 x 365 days (15,695 rows) and 593 MB at 1e6 x 60 days (maximum resident set).
PER_CROSS_TIE_END_BYTES = 16
ROW_BYTES = 4_000  # a municipality's day in the daily tables, until they are made
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
                   events_per_day: float = DEFAULT_EVENT_RATE, municipalities: int = 1,
                   cross_share: float = 0.0) -> int:
    """Peak memory of a run that writes its folder: the interpreter, the state, the tie
    graph (and its construction), the result tables and, with a ledger, its events.

    `n_lists` is the lists one municipality's rulebook keeps (a nation's shards each keep
    their own). The ledger grows with the days: `ledger` x citizens x `steps` x
    `events_per_day` events of LEDGER_BYTES_PER_EVENT each. A nation of `municipalities`
    adds its daily rows and, with a `cross_share` of ties across municipal borders (the
    society spec's; the generator draws them only between two or more municipalities),
    its shards' bookkeeping of the ties that cross.
    """
    cross = float(cross_share) if municipalities > 1 else 0.0
    per_citizen = (PER_CITIZEN_BYTES + PER_LIST_BYTES * n_lists + PER_TIE_END_BYTES * mean_degree
                   + PER_CROSS_TIE_END_BYTES * mean_degree * cross)
    rows = ROW_BYTES * max(int(municipalities), 1) * steps
    ledger_bytes = float(ledger) * population * steps * events_per_day * LEDGER_BYTES_PER_EVENT
    return int(BASE_BYTES + population * per_citizen + rows + ledger_bytes)


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
                   events_per_day: float = DEFAULT_EVENT_RATE, municipalities: int = 1,
                   cross_share: float = 0.0) -> str | None:
    """A message if the run would not fit in this machine's free memory, else None."""
    need = estimate_bytes(population, mean_degree, n_lists, ledger, steps, events_per_day, municipalities,
                          cross_share)
    have = available_bytes()
    if have is not None and need > 0.9 * have:
        hint = "a smaller --population" + (", a smaller --ledger share or fewer --steps" if ledger else "")
        return (f"a run of {population:,} citizens{' with its ledger' if ledger else ''} needs about "
                f"{need / 2**30:.1f} GiB, but only {have / 2**30:.1f} GiB is free; use {hint}")
    return None
