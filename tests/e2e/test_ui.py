"""The Dagster UI, in a real browser, shows what the code locations define.

`dagster dev -w workspace.yaml` serves both code locations; headless Chromium renders the
pages and the test reads the rendered DOM. The expected names come from the Definitions
themselves, so a new asset, check, sensor or schedule is covered without editing this file;
a few concrete names anchor it so that it can't pass on an empty project.
"""

import importlib
import struct
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pytest
import yaml
from e2e_browser import WORKSPACE, Browser

FLEET = "fleet_platform"
FLEET_GROUP = "fleet"
# Graph nodes shorten long names ("rejected_ro…_daily"); names up to this length show whole.
GRAPH_LABEL_CHARS = 16
# The graph opens at a fixed zoom, not fitted to the window: a large viewport (CSS pixels),
# drawn at 0.8 so that the PNG stays 1600 pixels wide, holds the whole group.
SCREENSHOT_WINDOW = (2000, 1900)
SCREENSHOT_SCALE = 0.8


@dataclass
class Location:
    name: str
    groups: dict[str, list[dg.AssetKey]] = field(default_factory=lambda: defaultdict(list))
    checks: dict[dg.AssetKey, list[str]] = field(default_factory=lambda: defaultdict(list))
    sensors: list[str] = field(default_factory=list)
    schedules: list[str] = field(default_factory=list)

    @property
    def assets(self) -> list[str]:
        return sorted(key.to_user_string() for keys in self.groups.values() for key in keys)


def workspace_locations() -> dict[str, Location]:
    """Every code location in workspace.yaml, read from its Definitions."""
    locations = {}
    for entry in yaml.safe_load(WORKSPACE.read_text())["load_from"]:
        module = entry["python_module"]
        defs: dg.Definitions = importlib.import_module(module["module_name"]).defs
        repository = defs.get_repository_def()
        graph = repository.asset_graph
        location = Location(module["location_name"])
        for key in sorted(graph.get_all_asset_keys()):
            location.groups[graph.get(key).group_name or "default"].append(key)
        for check in sorted(graph.asset_check_keys, key=lambda c: c.to_user_string()):
            location.checks[check.asset_key].append(check.name)
        location.sensors = sorted(sensor.name for sensor in repository.sensor_defs)
        location.schedules = sorted(schedule.name for schedule in repository.schedule_defs)
        locations[location.name] = location
    return locations


@dataclass
class Visit:
    """A page to render and the strings its DOM must contain."""

    path: str
    expect: list[str]
    window: tuple[int, int] = (1600, 1100)
    screenshot: Path | None = None
    scale: float = 1.0


def asset_href(key: dg.AssetKey) -> str:
    return "/assets/" + "/".join(key.path)


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


@pytest.mark.ui
def test_ui_shows_assets_checks_and_sensors(dagster_ui: str, browser: Browser, tmp_path: Path):
    locations = workspace_locations()
    fleet = locations[FLEET]
    # Anchors: the generic checks below must not pass vacuously.
    assert {"silver/bus_events", "gold/files_daily", "reference/vehicles"} <= set(fleet.assets)
    assert {"fleet_platform_check_failure_email", "fleet_platform_run_failure_email"} <= set(
        fleet.sensors
    )
    register_snapshot = dg.AssetKey(["register", "source_register_snapshot"])
    assert "snapshot_unique_source_ids" in locations["asset_register"].checks[register_snapshot]

    # (a) The fleet group's lineage graph: a screenshot, and the node labels in the DOM.
    screenshot = tmp_path / "asset-graph.png"
    graph_labels = {"bus_events", "files_daily", "vehicles"} | {
        key.path[-1] for key in fleet.groups[FLEET_GROUP] if len(key.path[-1]) <= GRAPH_LABEL_CHARS
    }
    visits = [
        Visit(
            f"/locations/{FLEET}/asset-groups/{FLEET_GROUP}/lineage",
            sorted(graph_labels),
            window=SCREENSHOT_WINDOW,
            screenshot=screenshot,
            scale=SCREENSHOT_SCALE,
        )
    ]
    # Every asset of every group, by its link, in the group's list view (the list is
    # virtualised: the window is made tall enough to hold every row).
    for location in locations.values():
        for group, keys in location.groups.items():
            visits.append(
                Visit(
                    f"/locations/{location.name}/asset-groups/{group}/list",
                    [asset_href(key) for key in keys],
                    window=(1600, 400 + 80 * len(keys)),
                )
            )
    # (b) Sensors and schedules of every location, by name and link, on the automation page.
    automations = [
        text
        for location in locations.values()
        for text in (
            *location.sensors,
            *location.schedules,
            *(f"/locations/{location.name}/sensors/{name}" for name in location.sensors),
            *(f"/locations/{location.name}/schedules/{name}" for name in location.schedules),
        )
    ]
    visits.append(Visit("/automation", automations, window=(1600, 400 + 40 * len(automations))))
    # (c) The checks tab of each location's most-checked asset names every check on it.
    for location in locations.values():
        if location.checks:
            key, names = max(location.checks.items(), key=lambda item: len(item[1]))
            visits.append(
                Visit(f"{asset_href(key)}?view=checks", [*names, f"Checks ({len(names)})"])
            )

    pages = [
        browser.render(
            dagster_ui + visit.path,
            expect=visit.expect,
            window=visit.window,
            screenshot=visit.screenshot,
            scale=visit.scale,
        )
        for visit in visits
    ]
    print("pages rendered:", *browser.log, sep="\n  ")

    problems = [
        f"{page.url} lacks {missing}\n  its text: {page.text[:600]}"
        for visit, page in zip(visits, pages, strict=True)
        if (missing := page.missing(visit.expect))
    ]
    assert not problems, "\n".join([*problems, "pages rendered:", *browser.log])
    assert screenshot.exists(), "chromium wrote no screenshot"
    assert png_size(screenshot) == tuple(
        round(side * SCREENSHOT_SCALE) for side in SCREENSHOT_WINDOW
    )
    assert screenshot.stat().st_size > 20_000, "the screenshot is nearly blank"
