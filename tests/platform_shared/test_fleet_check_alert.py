"""Breaking the fleet's data makes the right mail arrive once: a landed day with too many
rejected files fails ``gold/files_daily:rejected_file_share`` in the real fleet location,
and its check-failure sensor mails about it once over several ticks."""

import os
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from fleet_platform.checks import fleet_checks
from fleet_platform.definitions import defs
from fleet_platform.engines.resources import PolarsEngineResource
from fleet_platform.events.assets import landed_events, vehicles
from fleet_platform.kpis.assets import gold_assets
from fleet_platform.landing.resource import LandingResource
from platform_shared.delta import WarehouseResource

DAY = "2026-11-20"
LINE = (
    '{"vin":"VFE1BUS0000000001","ts":"2026-11-20T08:00:00Z","recv_ts":1795165200000,'
    '"type":"POSITION"}\n'
)


def land(root: Path, key: str, data: bytes) -> None:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    stamp = datetime(2026, 11, 20, 9, tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))


def test_a_failing_fleet_check_mails_once(tmp_path, alert_env, smtp, instance, run_tick):
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    land(
        landing,
        "reference/vehicles.csv",
        b"vin,fleet_number,operator,country,model,energy,commissioned_on\n",
    )
    land(landing, f"pcm/{DAY}/good.jsonl", LINE.encode())
    land(landing, f"pcm/{DAY}/bad.txt", b"not a pcm file")  # 1 of 2 files rejected: 50 %
    resources = {
        "landing": LandingResource(url=str(landing)),
        "warehouse": WarehouseResource(url=str(warehouse)),
        "engine": PolarsEngineResource(),
    }
    assert dg.materialize([vehicles], resources=resources, instance=instance).success
    result = dg.materialize(
        [landed_events, *gold_assets, *fleet_checks.asset_checks],
        selection=dg.AssetSelection.assets(landed_events, *gold_assets),
        resources=resources,
        instance=instance,
        partition_key=DAY,
        raise_on_error=False,
    )
    evaluations = {
        e.check_name: e.passed
        for e in result.get_asset_check_evaluations()
        if e.asset_key.to_user_string() == "gold/files_daily"
    }
    assert evaluations["rejected_file_share"] is False
    assert evaluations["rows_conserved"] is True

    sensor = defs.resolve_sensor_def("fleet_platform_check_failure_email")
    repository = defs.get_repository_def()
    cursor = None
    for _ in range(3):
        _, cursor = run_tick(sensor, instance, repository, cursor)
    assert len(smtp.received) == 1
    mail = smtp.received[0]
    assert "[staging]" in mail.subject and "fleet_platform" in mail.subject
    assert "rejected_file_share" in mail.body and "gold/files_daily" in mail.body
    assert DAY in mail.body
    assert "https://dagster.fleet.example/runs/" in mail.body
