"""The README's Python block works from another folder than the clone's (issue 17): started
in the folder that holds the clone, where the clone's own folder is named scslab, Python
must import the installed package, not that folder as an empty namespace package (which is
what setuptools' default editable install did; scripts/_venv.sh installs in compat mode).
tests/test_readme.py runs the block itself, as written, in a scratch folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _parent_with_clone_named_scslab(tmp_path: Path) -> Path:
    parent = tmp_path / "work"
    parent.mkdir()
    os.symlink(ROOT, parent / "scslab", target_is_directory=True)  # the clone, as `git clone` names it
    return parent


def test_import_from_the_folder_that_holds_the_clone(tmp_path):
    parent = _parent_with_clone_named_scslab(tmp_path)
    code = ("import scslab, sys; print(scslab.__file__); "
            "print(scslab.simulate.__module__, scslab.load_pilot('rongcheng').metadata.name)")
    r = subprocess.run([sys.executable, "-c", code], cwd=parent, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    lines = r.stdout.split("\n")
    assert lines[0].endswith(os.path.join("scslab", "__init__.py")), lines[0]  # a package, not a namespace
    assert lines[1] == "scslab.engine.run rongcheng"

