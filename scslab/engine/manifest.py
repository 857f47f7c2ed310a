"""The manifest of a run (manifest.json): what its inputs fix, so that two runs of the same
inputs have the same manifest, byte for byte. How the run went (seconds, the executor,
recoveries) goes to timing.json instead (engine/simulation.py)."""

from __future__ import annotations

import platform


def build_manifest(nation, soc, rbs, nat, params, saved: dict, led) -> dict:
    """What the inputs of a run fix (manifest.json): two runs of the same inputs, the same manifest."""
    meta = saved.get("nation")
    manifest = {
        "scslab_version": _version(),
        "kind": "nation" if len(nation.shards) > 1 else "municipality",
        "rulebooks": [{"municipality": sh.name, "name": sh.crb.name, "hash": sh.crb.hash} for sh in nation.shards],
        "rulebook_documents": {r.metadata.name: r.model_dump(mode="json") for r in rbs + ([nat] if nat else [])},
        "scale": [nation.shards[0].crb.min, nation.shards[0].crb.max],
        "rulebook": rbs[0].metadata.name if len(set(r.metadata.name for r in rbs)) == 1 else "mixed",
        "rulebook_hash": nation.shards[0].crb.hash,
        "national": None if nat is None else {"name": nat.metadata.name},
        "seed": int(saved["seed"]),
        "population": int(soc.n),
        "steps": int(saved["steps"]),
        "municipalities": list(soc.population.municipality_names),
        "groups": list(soc.population.group_names),
        "society": soc.spec.model_dump(mode="json"),
        # The spec as JSON text too: manifest keys are sorted, but the order of groups matters.
        "society_json": soc.spec.model_dump_json(),
        "params": params.model_dump(mode="json"),
        "levers": params.levers.label(),
        "ledger": None if led is None else {"fraction": led.fraction},
        "checkpoint_every": saved["checkpoint_every"],
        "versions": _versions(),
    }
    if meta is not None:
        manifest["nation"] = {k: meta[k] for k in ("name", "title", "pilots", "shares", "config") if k in meta}
        manifest["kind"] = "nation"
    return manifest


def _version() -> str:
    from .. import __version__

    return __version__


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for pkg in ("numpy", "numba", "pyarrow", "pydantic", "scipy"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return out
