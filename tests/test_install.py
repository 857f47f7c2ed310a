"""The development environment's lock file (issue 17): requirements-dev.txt pins every package
pyproject.toml names (dependencies and the dev extra), so scripts/_venv.sh installs the same
versions on every machine. After changing a dependency, refresh it with scripts/lock."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement).group(1)).lower()


def test_the_lock_pins_every_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]}
    pins = {}
    for line in (ROOT / "requirements-dev.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith((" ", "#")):
            name, _, version = line.split(";")[0].strip().partition("==")
            assert version, f"not pinned: {line}"
            pins[_name(name)] = version
    missing = sorted(wanted - set(pins))
    assert not missing, f"pyproject.toml names {missing}, which requirements-dev.txt does not pin: run scripts/lock"
    assert "scslab" not in pins  # installed from the checkout, editable
