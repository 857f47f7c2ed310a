"""Shared fixtures. Keep this minimal: put fixtures used by one module in that module."""

from __future__ import annotations

from pathlib import Path

import pytest

# A small valid rulebook in block style (line numbers matter to the loader tests).
MINI_RULEBOOK = (Path(__file__).parent / "data" / "mini.yaml").read_text(encoding="utf-8")


@pytest.fixture
def mini_rulebook_yaml() -> str:
    """YAML text of a minimal valid rulebook: one behaviour, one list, one sanction."""
    return MINI_RULEBOOK


@pytest.fixture(scope="session")
def ray_session():
    """One local Ray with 2 CPUs for the whole test run (skipped where Ray is not installed)."""
    ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'scslab[ray]'")
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    if started:
        ray.shutdown()


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    """Table digests of the four-municipality nation (tests/nation_four.py) run in one process:
    what every executor must reproduce byte for byte."""
    from nation_four import NATION, SEED, STEPS, N, digests

    from scslab.nation.run import run_config

    out = tmp_path_factory.mktemp("local") / "run"
    run_config(NATION, population=N, steps=STEPS, seed=SEED, out=out)
    return digests(out)
