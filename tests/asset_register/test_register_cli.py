"""``asset-register sync``: summary and exit codes, against SQLite and PostgreSQL sources."""

from pathlib import Path

import pytest
from register_fake_central import FakeCentral
from register_source_db import SourceDb

from asset_register.cli import EXIT_BLOCKED, EXIT_FAILED, EXIT_OK, main
from asset_register.source.demo import demo_rows


def use_env(monkeypatch: pytest.MonkeyPatch, source: SourceDb, central: str, tmp: Path) -> None:
    monkeypatch.setenv("REGISTER_SOURCE_URL", source.url)
    monkeypatch.setenv("REGISTER_SOURCE_TABLE", source.table_setting)
    monkeypatch.setenv("CENTRAL_REGISTER_URL", central)
    monkeypatch.setenv("REGISTER_WAREHOUSE_URL", str(tmp / "warehouse"))
    monkeypatch.setenv("CENTRAL_REGISTER_BACKOFF_SECONDS", "0")
    monkeypatch.setenv("CENTRAL_REGISTER_MAX_ATTEMPTS", "2")


def test_sync_exit_codes(
    source_db: SourceDb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    use_env(monkeypatch, source_db, f"sqlite:///{tmp_path / 'central.sqlite'}", tmp_path)
    assert main(["sync", "--date", "2024-05-02"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "read 200, invalid 5, upserted 195, retired 0, unchanged 0" in out
    assert "central register equals the snapshot of 2024-05-02" in out

    source_db.write(demo_rows()[40:])
    assert main(["sync", "--date", "2024-05-03"]) == EXIT_BLOCKED
    assert "mass retire blocked" in capsys.readouterr().err

    assert main(["sync", "--date", "2024-05-03", "--allow-mass-retire"]) == EXIT_OK
    gone_active = [
        r for r in demo_rows()[:40] if r["status"] == "active" and r["asset_id"] != "itk-00017"
    ]
    assert f"retired {len(gone_active)}, unchanged 156" in capsys.readouterr().out


def test_sync_fails_with_the_reason_when_the_push_fails(
    sqlite_source: SourceDb, fake_central: FakeCentral, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    use_env(monkeypatch, sqlite_source, fake_central.url, tmp_path)
    monkeypatch.setenv("CENTRAL_REGISTER_TOKEN", fake_central.token)
    fake_central.posts_before_outage = 0
    assert main(["sync", "--date", "2024-05-02"]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "push stopped after 0 batches" in err and "still unavailable after 2 attempts" in err


def test_default_deployment_runs_on_the_embedded_systems(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No variables at all (PLATFORM_DATA_DIR is a temp folder): the demo source is seeded."""
    assert main(["sync", "--date", "2024-05-02"]) == EXIT_OK
    assert "read 200, invalid 5, upserted 195" in capsys.readouterr().out
