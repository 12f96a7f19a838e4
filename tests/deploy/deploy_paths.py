"""Where the deployment files are, and ``deploy/render.py`` as a module."""

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
INSTANCE_YAML = ROOT / "deploy" / "ecs" / "dagster.yaml"


def load_render() -> ModuleType:
    """``deploy/render.py`` (a script, not a package) as a module."""
    spec = importlib.util.spec_from_file_location("deploy_render", ROOT / "deploy" / "render.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
