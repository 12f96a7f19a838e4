"""Fixtures of the check tests; the helpers live in ``checks_harness.py`` beside this file."""

import sys
from pathlib import Path

import pytest

# --import-mode=importlib leaves sys.path alone; the helper module beside this file is
# imported by name, so put its folder on the path once.
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

from checks_harness import Warehouse


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    """An empty temp warehouse."""
    return Warehouse(tmp_path / "warehouse")
