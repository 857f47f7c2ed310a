"""The documentation site builds with `mkdocs build --strict` (issue 17): every page of docs/,
the API reference generated from the code by mkdocstrings, no broken link or reference."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_docs_site_builds_strict(tmp_path):
    site = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)], cwd=ROOT,
                       capture_output=True, text=True, timeout=600, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    api = (site / "api" / "engine" / "index.html").read_text(encoding="utf-8")
    assert 'id="scslab.engine.simulate"' in api  # generated from the code, not written by hand
    assert "Apply one rulebook day by day" in api  # simulate's docstring
    compare = (site / "api" / "experiments" / "index.html").read_text(encoding="utf-8")
    assert 'id="scslab.experiments.compare.compare"' in compare
    for page in ("metrics", "model", "notebooks", "rulebook-reference", "audit-rules"):
        assert (site / page / "index.html").is_file(), page
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    for stem in notebooks:  # each notebook as a page (scripts/mkdocs_notebooks.py)
        page = (site / "notebooks" / stem / "index.html").read_text(encoding="utf-8")
        assert "shown without its outputs" in page and "highlight" in page, stem  # text and code
