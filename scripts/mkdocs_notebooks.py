"""An mkdocs hook (mkdocs.yml `hooks:`): the notebooks in notebooks/ as pages of the docs site.

Each notebook becomes notebooks/<name>.md: its markdown cells as they are, its code cells as
Python blocks. Outputs are not shown: the notebooks are committed without them (the tests
run them; run them yourself to see the figures and tables).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[1]


def notebook_markdown(path: Path) -> str:
    """A notebook as a markdown page: markdown cells kept, code cells fenced."""
    nb = nbformat.read(path, as_version=4)
    parts = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
        elif cell.cell_type == "code" and cell.source.strip():
            parts.append(f"```python\n{cell.source}\n```")
    note = (f"*`notebooks/{path.name}` in the repository, shown without its outputs: open it in "
            "Jupyter to run it.*")
    first, *rest = parts or ["# " + path.stem]
    return "\n\n".join([first, note, *rest]) + "\n"


def on_files(files, config):
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        files.append(File.generated(config, f"notebooks/{path.stem}.md", content=notebook_markdown(path)))
    return files
