"""The Python examples in the docs run as written (in a scratch folder, as a new user would)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Docs whose ```python blocks are complete programs, run in order in one namespace.
DOCS = ["docs/sweeps.md", "docs/index.md"]


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.slow
@pytest.mark.parametrize("doc", DOCS)
def test_python_examples_run_as_written(doc, tmp_path):
    blocks = python_blocks(ROOT / doc)
    assert blocks, f"{doc} has no python examples"
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        ns: dict = {"__name__": "__main__"}
        for code in blocks:
            exec(compile(code, f"{doc} example", "exec"), ns)  # noqa: S102 - our own documentation
    finally:
        os.chdir(here)
