"""The project's data directory: where embedded defaults keep their files."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """``PLATFORM_DATA_DIR`` if set, else ``<project root>/data``."""
    return Path(os.environ.get("PLATFORM_DATA_DIR", PROJECT_ROOT / "data")).resolve()
