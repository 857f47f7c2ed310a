"""Running a nation config: one run folder with the nation's own tables."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .config import Nation, load_nation


def run_config(nation: Nation | str | Path, *, population: int = 100_000, steps: int = 365, seed: int = 0,
               levers: dict | None = None, params=None, ledger: bool | float = False,
               save_ties: bool | None = None, progress: Callable[[int, int], None] | None = None,
               out: str | Path | None = None, checkpoint_every: int | None = None, overwrite: bool = False,
               executor=None):
    """Run a nation (a config, its file, or a bundled name) on `population` citizens.

    The result has the usual tables (one steps row per municipality and day) plus
    `municipalities`, `national` and `reach` (scslab.engine.reach); its manifest records the
    nation's name, each municipality's pilot and share, and the config's text. `executor`
    steps the shards on workers: `scslab.engine.process_blocks.ProcessBlocks(workers=2)` (worker
    processes on this machine) or `RayShards(workers=2)` (Ray actors); the tables are the same.
    """
    from ..engine import run_nation

    if not isinstance(nation, Nation):
        nation = load_nation(nation)
    meta = {"name": nation.name, "title": nation.config.title, "pilots": [m.pilot for m in nation.config.municipalities],
            "shares": nation.config.shares, "config": nation.text}
    return run_nation(nation.rulebooks(), population=population, steps=steps, seed=seed,
                      society=nation.config.society_spec(population), national=nation.national, params=params,
                      levers=levers, ledger=ledger, save_ties=save_ties, progress=progress, out=out,
                      checkpoint_every=checkpoint_every, overwrite=overwrite, nation=meta, executor=executor)


__all__ = ["run_config"]
