"""A run measured over its last days only: the warm start's window (EngineParams.measure_from).

A warm start runs a rulebook from its first day and measures it from a later one, e.g. the
calibrated court list from October 2013, measured over the year to July 2019, when over 1%
of adults were listed (docs/model.md, "Warm starts"). The engine restarts the citizens'
tallies and the C4 table on that day; :func:`measured` cuts the daily tables (steps, grades,
events) to the same days and numbers them from 0, so every metric reads the window as if it
were a whole run, and the manifest says so (``measure_from``, ``steps`` the measured days,
``steps_run`` all of them)."""

from __future__ import annotations

import dataclasses


def measure_from(result) -> int:
    """The run's first measured day (0: the whole run)."""
    m = getattr(result, "manifest", None) or {}
    if "steps_run" in m:  # already cut
        return 0
    return int(((m.get("params") or {}).get("measure_from")) or 0)


def measured(result):
    """`result` with its daily tables cut to the measured days, renumbered from 0 (the same
    result when the whole run is measured, or when it was cut already)."""
    w = measure_from(result)
    if w <= 0:
        return result
    steps = int(result.manifest["steps"])
    if w >= steps:
        raise ValueError(f"engine.measure_from {w} is not before the run's last day ({steps} days run)")

    def cut(df):
        if df is None or "step" not in df.columns:
            return df
        out = df[df["step"] >= w].copy()
        out["step"] = out["step"] - w
        return out.reset_index(drop=True)

    manifest = dict(result.manifest) | {"steps": steps - w, "steps_run": steps, "measure_from": w}
    return dataclasses.replace(result, manifest=manifest, steps=cut(result.steps), grades=cut(result.grades),
                               events=cut(result.events))


__all__ = ["measure_from", "measured"]
