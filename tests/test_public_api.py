"""The top-level API: what `import scslab` offers, cheaply."""

from __future__ import annotations

import subprocess
import sys

import scslab


def test_every_public_name_resolves():
    for name in scslab.__all__:
        assert getattr(scslab, name) is not None, name
    assert callable(scslab.simulate) and callable(scslab.compare) and callable(scslab.audit_rulebook)


def test_importing_scslab_loads_no_heavy_module():
    code = "import sys, scslab; print(','.join(m for m in ('numpy', 'pandas', 'numba') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_a_run_and_its_metrics_from_the_top_level():
    r = scslab.simulate("court-blacklist", population=400, steps=10, seed=2)
    m = scslab.run_metrics(r)
    assert r.steps.shape[0] == 10 and 0.0 <= m["mean_trust"] <= 1.0
    assert scslab.audit_rulebook(scslab.load_pilot("sesame")).findings


def test_reading_a_rulebook_does_not_load_the_engine():
    """Plausible ranges may name engine weights; checking them must not pull in numba."""
    code = ("import sys; from scslab.pilots import load_pilot; [load_pilot(p) for p in ('suining', 'sesame')]; "
            "print(','.join(m for m in ('numba', 'scslab.engine.run') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
