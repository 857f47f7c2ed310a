"""A calibrated pilot (scslab.pilots.CALIBRATED) is accepted by name wherever a bundled pilot
is: audit, pilots --export, nations, run contexts, the explorer's list (issue 13)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from scslab.pilots import (
    CALIBRATED,
    PILOTS,
    all_pilots,
    is_pilot,
    load_pilot,
    pilot_filename,
    pilot_text,
)

NAMES = sorted(CALIBRATED)


def test_names():
    assert all_pilots() == PILOTS + tuple(CALIBRATED)
    for name in NAMES:
        assert is_pilot(name) and pilot_filename(name).startswith("calibrated/")
        assert load_pilot(name).metadata.name == name
        assert "source: calibrated" in pilot_text(name)
        assert any(r.id == "calibrated" for r in load_pilot(name).metadata.references)  # the fit, described
    assert not is_pilot("court-blacklist-calibrted")
    with pytest.raises(KeyError):
        pilot_filename("nosuch")


@pytest.mark.parametrize("name", NAMES)
def test_audit_by_name(name):
    from scslab.audit import audit_file

    rep = audit_file(name)
    assert rep.origin == "pilot" and rep.file == pilot_filename(name)
    assert rep.rulebook.metadata.name == name
    r = subprocess.run([sys.executable, "-m", "scslab", "audit", name, "--format", "json"], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode in (0, 1), r.stderr  # 1: the audit found failures, as for the uncalibrated pilot
    assert f'"name": "{name}"' in r.stdout and "Traceback" not in r.stderr


def test_audit_misspelt_calibrated_name_is_hinted():
    r = subprocess.run([sys.executable, "-m", "scslab", "audit", "court-blacklist-calibrted"], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 2
    assert "did you mean 'court-blacklist-calibrated'" in r.stdout + r.stderr


@pytest.mark.parametrize("name", NAMES)
def test_pilots_export(name):
    r = subprocess.run([sys.executable, "-m", "scslab", "pilots", "--export", name], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout == pilot_text(name)


def test_nation_takes_a_calibrated_pilot(tmp_path):
    from scslab.nation.config import parse_nation

    n = parse_nation("nation: t\nnational: court-blacklist-calibrated\nmunicipalities:\n"
                     "  - {name: a, pilot: rongcheng, share: 0.5}\n  - {name: b, pilot: none, share: 0.5}\n",
                     "n.yaml", tmp_path)
    assert n.national.metadata.name == "court-blacklist-calibrated"


def test_run_context_finds_a_calibrated_pilot():
    from scslab.engine import simulate
    from scslab.metrics.context import context_of

    r = simulate("court-blacklist-calibrated", population=300, steps=5, seed=1)
    r.extra.pop("rulebook", None)
    r.manifest.pop("rulebook_documents", None)  # found by the pilot's name, not the stored copy
    ctx = context_of(r)
    assert ctx.blacklists  # read from the calibrated rulebook, found by its name
