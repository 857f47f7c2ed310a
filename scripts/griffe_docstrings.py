"""A griffe extension for the docs site (mkdocs.yml): keep the indentation of docstrings.

scslab's docstrings show code as lines indented four spaces under prose that starts at the
left margin. The usual clean-up (inspect.cleandoc) removes the indentation common to the
lines after the first, so a module docstring whose only other lines are code lost the
indentation that makes them a code block. Here a module's docstring is taken as written.
"""

from __future__ import annotations

import ast

import griffe


class KeepIndentedCode(griffe.Extension):
    """Use a module's docstring as written (its first line is at the margin, as is its prose)."""

    def on_module_instance(self, *, node, mod, **kwargs) -> None:
        if mod.docstring is None or not isinstance(node, ast.Module):
            return
        raw = ast.get_docstring(node, clean=False)
        if raw:
            mod.docstring.value = raw.strip("\n").rstrip()
