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
